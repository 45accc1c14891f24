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
    version=13,
    comparisons=(NAME, TAX_ID, LOCATION, INTERNET, CONTACT, COUNTRY, LEGAL_FORM, BANK, SOURCE_SYSTEM),
    # a supplier's records in a purchasing spreadsheet often lack the city its other systems
    # hold, and the address is written in either script (matching.features: one key): the
    # building alone pairs them. Supplier masters stay far smaller than customer masters,
    # so the blocks that repeat across cities stay small (see BLOCKING).
    blocking={**BLOCKING, "address_anywhere": ("addr_building",), "bank_account": ("bank_account",),
              "bank_tail": ("bank_tail",)},
    em_blocking=EM_BLOCKING,
    deterministic=(*DETERMINISTIC, ("bank_account",)),
    deterministic_recall=0.8,
    features="organisation",
    separator=SEPARATOR,
)
