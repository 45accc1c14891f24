"""Settings from the environment: a malformed value fails at start-up with a clear line."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_choice


def test_it_refuses_a_malformed_backend_setting(monkeypatch):
    monkeypatch.setenv("MDM_MATCH_BACKEND", "Spark ")
    with pytest.raises(ImproperlyConfigured, match="MDM_MATCH_BACKEND must be one of duckdb, spark"):
        env_choice("MDM_MATCH_BACKEND", "duckdb", ("duckdb", "spark"))
    monkeypatch.setenv("MDM_MATCH_BACKEND", "spark")
    assert env_choice("MDM_MATCH_BACKEND", "duckdb", ("duckdb", "spark")) == "spark"


# The production environment README's "Deployment" section documents.
DEPLOY_ENV = {"SECRET_KEY": secrets.token_urlsafe(50), "MDM_SECURE": "true", "MDM_HSTS_PRELOAD": "true",
              "MDM_ALLOWED_HOSTS": "mdm.example.com"}


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path):
    env = {**os.environ, **DEPLOY_ENV, "MDM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the test run's, not production's
        env.pop(name, None)
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
