"""Where steps and pitches are on screen, shared by the piano roll, its keyboard column and
its ruler, so the three can never disagree about a pixel."""

from __future__ import annotations

import math
from dataclasses import dataclass

PITCHES = 128
MIN_STEP_WIDTH, MAX_STEP_WIDTH = 1.5, 96.0
MIN_KEY_HEIGHT, MAX_KEY_HEIGHT = 4.0, 40.0


@dataclass
class RollGeometry:
    """Zoom (pixels per step and per semitone) and scroll (the content pixel at the
    viewport's left and top edge). x and y are viewport coordinates."""

    step_width: float = 14.0
    key_height: float = 13.0
    scroll_x: int = 0
    scroll_y: int = 0

    def set_zoom(self, step_width: float, key_height: float) -> None:
        self.step_width = min(MAX_STEP_WIDTH, max(MIN_STEP_WIDTH, step_width))
        self.key_height = min(MAX_KEY_HEIGHT, max(MIN_KEY_HEIGHT, key_height))

    def x_of_step(self, step: float) -> float:
        return step * self.step_width - self.scroll_x

    def step_at(self, x: float) -> float:
        return (x + self.scroll_x) / self.step_width

    def y_of_pitch(self, pitch: int) -> float:
        """Top of the row of `pitch`."""
        return (PITCHES - 1 - pitch) * self.key_height - self.scroll_y

    def pitch_at(self, y: float) -> int:
        row = math.floor((y + self.scroll_y) / self.key_height)
        return min(PITCHES - 1, max(0, PITCHES - 1 - row))

    def content_x(self, step: float) -> float:
        """`step`'s pixel in the whole (unscrolled) content, for setting the scroll bar."""
        return step * self.step_width

    def content_y(self, pitch: float) -> float:
        return (PITCHES - 1 - pitch) * self.key_height

    @property
    def content_height(self) -> float:
        return PITCHES * self.key_height
