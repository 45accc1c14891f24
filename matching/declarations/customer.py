"""The customer declaration: organisations (matching.declarations.organisation) and
individual people (matching.declarations.person) in one domain. A person's name is
compared by its parts in the levels that open the name comparison; a record without
them, an organisation's, by the company name levels."""

from dataclasses import replace

from matching.declarations import SOURCE_SYSTEM, DomainModel
from matching.declarations import person as p
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
from matching.features.customer import BRAND_KEYS

_MISSING, *_COMPANY_LEVELS = NAME.levels
CUSTOMER_NAME = replace(
    NAME,
    description="name: a person's by given and family name, a company's by core, brand, brand typos, look-alikes",
    levels=(_MISSING, *p.PERSON_NAME_LEVELS, *_COMPANY_LEVELS),
)

# the brand rules on the brand keys of organisations only (matching.features.customer)
CUSTOMER_BLOCKING = {name: tuple(BRAND_KEYS.get(c, c) for c in rule) for name, rule in BLOCKING.items()}

MODEL = DomainModel(
    domain="customer",
    version=16,
    comparisons=(CUSTOMER_NAME, TAX_ID, LOCATION, INTERNET, CONTACT, COUNTRY, LEGAL_FORM, p.BIRTH_DATE,
                 p.NATIONAL_ID, SOURCE_SYSTEM),
    blocking={**CUSTOMER_BLOCKING, **p.BLOCKING},
    em_blocking=(*EM_BLOCKING, *p.EM_BLOCKING),
    deterministic=(*DETERMINISTIC, *p.DETERMINISTIC),
    deterministic_recall=0.8,
    tf_columns=p.TF_COLUMNS,
    private_columns=p.PRIVATE_COLUMNS,
    features="customer",
    separator=SEPARATOR,
)
