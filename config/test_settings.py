"""Settings for the test suite: the same as production but fast hashing and a temp data dir."""

import os
import tempfile

os.environ.setdefault("MDM_DATA_DIR", tempfile.mkdtemp(prefix="mdm-test-"))

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so subprocesses (the kill-and-rerun test) see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
LANGUAGE_CODE = "en-us"  # tests read English messages unless they ask for Chinese
# The live server's thread (browser tests) must not keep its connection past a test: the
# test database is dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
