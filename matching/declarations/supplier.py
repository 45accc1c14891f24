"""The supplier declaration: organisations (matching.declarations.organisation) with their
bank accounts."""

from matching.declarations import SOURCE_SYSTEM, DomainModel
from matching.declarations.organisation import (
    BANK,
    BLOCKING,
    CONTACT,
    COUNTRY,
    DETERMINISTIC,
    EM_BLOCKING,
    INTERNET,
    LEGAL_FORM,
    LOCATION,
    NAME,
    SEPARATOR,
    TAX_ID,
)

MODEL = DomainModel(
    domain="supplier",
    version=9,
    comparisons=(NAME, TAX_ID, LOCATION, INTERNET, CONTACT, COUNTRY, LEGAL_FORM, BANK, SOURCE_SYSTEM),
    blocking={**BLOCKING, "bank_account": ("bank_account",), "bank_tail": ("bank_tail",)},
    em_blocking=EM_BLOCKING,
    deterministic=(*DETERMINISTIC, ("bank_account",)),
    deterministic_recall=0.8,
    features="organisation",
    separator=SEPARATOR,
)
