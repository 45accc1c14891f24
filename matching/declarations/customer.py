"""The customer declaration: organisations (matching.declarations.organisation)."""

from matching.declarations import SOURCE_SYSTEM, DomainModel
from matching.declarations.organisation import (
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
    domain="customer",
    version=11,
    comparisons=(NAME, TAX_ID, LOCATION, INTERNET, CONTACT, COUNTRY, LEGAL_FORM, SOURCE_SYSTEM),
    blocking=BLOCKING,
    em_blocking=EM_BLOCKING,
    deterministic=DETERMINISTIC,
    deterministic_recall=0.8,
    features="organisation",
    separator=SEPARATOR,
)
