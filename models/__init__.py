"""The shipped checkpoints, installed as composer.models so they are found as package data."""
