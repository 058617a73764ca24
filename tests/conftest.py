"""Suite-wide set-up: headless Qt, and recovery files in a private folder per session (the
app's autosave must never offer a test's leftovers to the user, or the user's to a test)."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("COMPOSER_RECOVERY_DIR", tempfile.mkdtemp(prefix="composer-recovery-"))
