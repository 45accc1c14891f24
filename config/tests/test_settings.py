"""Settings from the environment: a malformed value fails at start-up with a clear line."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_choice


def test_it_refuses_a_malformed_backend_setting(monkeypatch):
    monkeypatch.setenv("MDM_MATCH_BACKEND", "Spark ")
    with pytest.raises(ImproperlyConfigured, match="MDM_MATCH_BACKEND must be one of duckdb, spark"):
        env_choice("MDM_MATCH_BACKEND", "duckdb", ("duckdb", "spark"))
    monkeypatch.setenv("MDM_MATCH_BACKEND", "spark")
    assert env_choice("MDM_MATCH_BACKEND", "duckdb", ("duckdb", "spark")) == "spark"
