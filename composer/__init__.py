"""Composer: four-voice chorales with a neural partner."""
