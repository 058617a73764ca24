"""Suite-wide set-up: headless Qt and a private cache and settings location per session."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
