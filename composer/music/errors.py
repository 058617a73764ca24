"""Error types of the musical core; every message names the problem and, where there is
one, the fix."""


class ScoreError(ValueError):
    """Invalid musical input."""


class FileFormatError(ScoreError):
    """A file that cannot be read as a score."""
