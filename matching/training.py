"""Training and storing a domain's matching model.

    model = model_train(domain="customer", actor="cli:me")   # a new active MatchModel

Thresholds are match weights of the trained model, whose weights are posterior log odds
(prior included): the domain's declared probabilities (mdm/domains `matching:`) become
weights, so "0.99" means the model's own 99% certainty.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from matching import engine
from matching.artifact import TrainedModel
from matching.declarations import get_declaration
from matching.scoring import probability_weight
from matching.selectors import LiveRows, feature_cache
from matching.tables import feature_table
from mdm import history
from mdm.domains import get_domain
from mdm.errors import InvalidInput, InvalidThresholds, NothingToTrain
from mdm.history import Change
from mdm.models import MatchModel
from mdm.services.audit import declarations_in_force
from mdm.services.locks import golden_domain_lock

ProgressCallback = Callable[[str], None]
MSG_NO_RECORDS = "no live {domain} source records to train on"
MSG_THRESHOLDS = "the lower threshold ({lower:+.2f}) must not be above the upper one ({upper:+.2f})"


def default_thresholds(domain: str) -> dict[str, float]:
    """The domain's default thresholds: the declared match probabilities (mdm/domains
    `matching:`) as match weights of the trained model, whose weights are posterior log
    odds (prior included), so "0.99" means the model's own 99% certainty."""
    declared = get_domain(domain).matching
    return {
        "upper": round(probability_weight(declared.auto_merge_probability), 4),
        "lower": round(probability_weight(declared.review_probability), 4),
    }


def thresholds_chosen(base: dict[str, float], upper: float | None, lower: float | None) -> dict[str, float]:
    chosen = {
        "upper": base["upper"] if upper is None else float(upper),
        "lower": base["lower"] if lower is None else float(lower),
    }
    if chosen["lower"] > chosen["upper"]:
        raise InvalidThresholds(MSG_THRESHOLDS.format(**chosen))
    return chosen


def model_train(
    *,
    domain: str,
    actor: str,
    upper: float | None = None,
    lower: float | None = None,
    use_labels: bool = True,
    on_progress: ProgressCallback | None = None,
) -> MatchModel:
    """Train the domain's model without labels on its live records, refine its m values
    with the stewards' must-links (approved pairs, manual merges) when there are any, and
    store it as the domain's new active model with its thresholds and training report."""
    progress = on_progress or (lambda stage: None)
    progress("reading records")
    rows = LiveRows(domain)
    # the match run reads these feature columns back from the cache, or training them
    table = feature_table(rows, get_declaration(domain), cache=feature_cache(domain))
    if not table.num_rows:
        raise NothingToTrain(MSG_NO_RECORDS.format(domain=domain))
    progress(f"training on {table.num_rows:,} records")
    trained = engine.train(domain, table)
    labels = [(str(a), str(b)) for a, b in rows.must_link()] if use_labels else []
    if labels:
        progress(f"refining m values with {len(labels):,} steward labels")
        trained = engine.refine_with_labels(trained, table, labels)
    thresholds = thresholds_chosen(default_thresholds(domain), upper, lower)
    trained = trained.with_thresholds(match=thresholds["upper"], review=thresholds["lower"])
    change = Change(actor=actor, reason=f"training of the {domain} model")
    return match_model_store(domain=domain, trained=trained, labels=len(labels), change=change)


@transaction.atomic
def match_model_store(*, domain: str, trained: TrainedModel, change: Change, labels: int = 0) -> MatchModel:
    """Store a trained model as the domain's next version and make it the active one.
    Its thresholds are the artifact's (match / review weights), else the domain defaults."""
    golden_domain_lock(domain)
    if trained.domain != domain:
        raise InvalidInput(f"the model was trained for {trained.domain}, not {domain}")
    base = default_thresholds(domain)
    thresholds = {
        "upper": trained.thresholds.get("match", base["upper"]),
        "lower": trained.thresholds.get("review", base["lower"]),
    }
    last = MatchModel.objects.filter(domain=domain).aggregate(v=Max("version"))["v"] or 0
    for active in MatchModel.objects.filter(domain=domain, is_active=True):
        active.is_active = False
        history.stamp(active, change).save(update_fields=["is_active"])
    model = MatchModel(
        domain=domain,
        version=last + 1,
        artifact=json.loads(trained.to_json()),
        report=trained.report,
        thresholds=thresholds,
        labels=labels,
        is_active=True,
        created_by=change.actor,
        operation=change.operation,
        created_at=timezone.now(),
    )
    history.stamp(model, change).save()
    declarations_in_force(declarations=[("domain", domain, get_domain(domain).text)], change=change)
    return model
