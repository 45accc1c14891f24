import pytest

from mdm.history import Change
from mdm.services import source_system_register


@pytest.fixture
def change():
    return Change(actor="test", reason="test setup")


@pytest.fixture
def erp(db, change):
    return source_system_register(code="erp", name="SAP ERP", change=change)


@pytest.fixture
def crm(db, change):
    return source_system_register(code="crm", name="CRM", change=change)


@pytest.fixture(scope="session")
def trained():
    """Models trained once per test session on the sample exports, by domain (no database)."""
    from bench.quality import load_samples
    from matching import engine

    cache = {}

    def get(domain: str):
        if domain not in cache:
            if "samples" not in cache:
                cache["samples"] = load_samples()
            cache[domain] = engine.train(domain, cache["samples"][domain].rows)
        return cache[domain]

    return get
