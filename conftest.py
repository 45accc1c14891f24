import pytest

from fixtures.datasets import Dataset, load_samples
from matching import engine
from mdm.history import Change
from mdm.services.systems import source_system_register
from mdm.tests.factories import KNA1_PROFILE


@pytest.fixture
def change():
    return Change(actor="test", reason="test setup")


@pytest.fixture
def erp(db, change):
    return source_system_register(code="erp", name="SAP ERP", change=change)


@pytest.fixture
def crm(db, change):
    return source_system_register(code="crm", name="CRM", change=change)


@pytest.fixture
def profile(tmp_path) -> str:
    """The path of a small KNA1-like profile (mdm.tests.factories.KNA1_PROFILE)."""
    path = tmp_path / "test_customers.yaml"
    path.write_text(KNA1_PROFILE, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def samples() -> dict[str, Dataset]:
    """The sample exports, standardized, with their ground truth, by domain (no database)."""
    return load_samples()


@pytest.fixture(scope="session")
def trained(samples):
    """Models trained once per test session on the sample exports, by domain (no database)."""
    cache = {}

    def get(domain: str):
        if domain not in cache:
            cache[domain] = engine.train(domain, samples[domain].rows)
        return cache[domain]

    return get
