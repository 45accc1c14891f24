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
