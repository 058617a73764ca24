"""Errors of the ML layer, each message naming the problem and the fix."""

from __future__ import annotations


class ModelError(ValueError):
    """A checkpoint, model option or training input that cannot be used."""
