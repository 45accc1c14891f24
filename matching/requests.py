"""New master data requests as a steward or a source system files them: the search before
create (the active model's real-time search, then exact shared values), then the core's
request service. Deciding a request needs no matcher: mdm.services.steward."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from matching import realtime
from mdm.access import Action, require
from mdm.errors import MdmError
from mdm.models import MasterDataRequest
from mdm.selectors import golden_records_holding
from mdm.services.requests import master_data_request_standardize, master_data_request_submit
from mdm.services.steward import change_by

EXACT_ATTRIBUTES = ("tax_id", "name", "barcode")  # a value shared exactly: a duplicate without a model


def duplicates(*, domain: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The search before create: golden records the requested values would match, with the
    active model's scores (when the domain has one), then those holding the same tax id,
    name or barcode."""
    attributes, _ = master_data_request_standardize(domain=domain, values=values)
    found: dict[str, dict[str, Any]] = {}
    try:
        for match in realtime.search(domain, {k: v for k, v in values.items() if v}, limit=5,
                                     min_weight=float("-inf")).matches:
            found[match.golden_id] = {"golden_id": match.golden_id, "weight": round(match.weight, 2),
                                      "probability": round(match.probability, 3), "band": match.band,
                                      "name": match.attributes.get("name", ""), "why": "model"}
    except MdmError:  # no trained model yet: the exact matches below still show
        pass
    for golden in golden_records_holding(domain=domain, values=attributes, attributes=EXACT_ATTRIBUTES):
        same = [name for name in EXACT_ATTRIBUTES if attributes.get(name) not in (None, "")
                and golden.attributes.get(name) == attributes.get(name)]
        entry = found.setdefault(golden.golden_id, {"golden_id": golden.golden_id, "weight": None,
                                                    "probability": None, "band": "exact",
                                                    "name": golden.attributes.get("name", "")})
        entry["why"] = "same " + ", ".join(same)
    return sorted(found.values(), key=lambda c: (c["band"] != "exact", -(c["weight"] or 0)))


def request_submit_as(*, user: AbstractBaseUser, domain: str, values: dict[str, Any], note: str = ""
                      ) -> MasterDataRequest:
    """File a request (the user may request in the domain), with its likely duplicates."""
    require(user, Action.REQUEST, domain)
    return master_data_request_submit(domain=domain, values=values, candidates=duplicates(domain=domain,
                                                                                            values=values),
                                      note=note, change=change_by(user, f"request a new {domain}", note))
