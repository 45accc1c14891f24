"""A trained model as a self-contained artifact: its declaration, parameters, term
frequencies, thresholds and training report, round-tripped through JSON exactly (the
MatchModel rows store it). No Splink, no ORM: the engine writes it, scorers read it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from matching import declarations as m

FORMAT_VERSION = 1


@dataclass
class TrainedModel:
    """A trained model of one domain: declaration, parameters, term frequencies and the
    calibrated thresholds. `to_json` / `from_json` round-trip it exactly (the artifact
    stored by other code)."""

    domain: str
    declaration_version: int
    declaration: dict[str, Any]
    prior: float
    parameters: list[list[dict[str, float | None]]]  # per comparison, per level: m, u
    tf_tables: dict[str, dict[str, float]]
    thresholds: dict[str, float] = field(default_factory=dict)  # match / review weights
    report: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> TrainedModel:
        data = json.loads(text)
        return cls(**data)

    @property
    def model(self) -> m.DomainModel:
        return declaration_from_dict(self.declaration)

    def with_thresholds(self, *, match: float, review: float) -> TrainedModel:
        data = json.loads(self.to_json())
        data["thresholds"] = {"match": match, "review": review}
        return TrainedModel(**data)

    @classmethod
    def from_artifact(cls, artifact: dict[str, Any]) -> TrainedModel:
        """The model a MatchModel row's `artifact` holds."""
        return cls(**json.loads(json.dumps(artifact)))


_CONDITIONS: dict[str, type] = {
    cls.__name__: cls
    for cls in (m.Exact, m.Differ, m.Null, m.BothNull, m.JaroWinkler, m.Damerau, m.Overlap, m.Subset,
                m.EitherTrue, m.EitherFalse, m.AtLeast, m.All, m.Any, m.Not)
}


def _condition_to_dict(cond: m.Condition | None) -> Any:
    if cond is None:
        return None
    if isinstance(cond, (m.All, m.Any)):
        return {"op": type(cond).__name__, "parts": [_condition_to_dict(p) for p in cond.parts]}
    if isinstance(cond, m.Not):
        return {"op": "Not", "part": _condition_to_dict(cond.part)}
    return {"op": type(cond).__name__, **asdict(cond)}


def _condition_from_dict(data: Any) -> m.Condition | None:
    if data is None:
        return None
    op = data["op"]
    if op in ("All", "Any"):
        return _CONDITIONS[op](*(_condition_from_dict(p) for p in data["parts"]))
    if op == "Not":
        return m.Not(_condition_from_dict(data["part"]))
    return _CONDITIONS[op](**{k: v for k, v in data.items() if k != "op"})


def declaration_to_dict(model: m.DomainModel) -> dict[str, Any]:
    return {
        "domain": model.domain,
        "version": model.version,
        "comparisons": [
            {
                "name": c.name,
                "description": c.description,
                "ordered": c.ordered,
                "levels": [
                    {
                        "label": lv.label,
                        "condition": _condition_to_dict(lv.condition),
                        "null": lv.null,
                        "m": lv.m,
                        "weight": lv.weight,
                        "tf": lv.tf,
                        "conflict": lv.conflict,
                        "fitted": lv.fitted,
                    }
                    for lv in c.levels
                ],
            }
            for c in model.comparisons
        ],
        "blocking": {k: list(v) for k, v in model.blocking.items()},
        "em_blocking": [list(r) for r in model.em_blocking],
        "deterministic": [list(r) for r in model.deterministic],
        "deterministic_recall": model.deterministic_recall,
        "features": model.features,
        "tf_columns": list(model.tf_columns),
        "separator": (
            {"comparison": model.separator.comparison, "same": list(model.separator.same),
             "different": list(model.separator.different), "calibrates": model.separator.calibrates}
            if model.separator else None
        ),
    }


def declaration_from_dict(data: dict[str, Any]) -> m.DomainModel:
    return m.DomainModel(
        domain=data["domain"],
        version=data["version"],
        comparisons=tuple(
            m.Comparison(
                c["name"],
                c["description"],
                tuple(
                    m.Level(
                        label=lv["label"],
                        condition=_condition_from_dict(lv["condition"]),
                        null=lv["null"],
                        m=lv["m"],
                        weight=lv["weight"],
                        tf=lv["tf"],
                        conflict=lv.get("conflict", False),  # artifacts stored before it existed
                        fitted=lv.get("fitted", False),
                    )
                    for lv in c["levels"]
                ),
                ordered=c.get("ordered", False),
            )
            for c in data["comparisons"]
        ),
        blocking={k: tuple(v) for k, v in data["blocking"].items()},
        em_blocking=tuple(tuple(r) for r in data["em_blocking"]),
        deterministic=tuple(tuple(r) for r in data["deterministic"]),
        deterministic_recall=data["deterministic_recall"],
        # artifacts stored before declarations named their feature set: the domain's own
        features=data.get("features") or m.get_declaration(data["domain"]).features,
        tf_columns=tuple(data["tf_columns"]),
        separator=(
            m.Separator(sep["comparison"], tuple(sep["same"]), tuple(sep["different"]), sep.get("calibrates", False))
            if (sep := data.get("separator")) else None
        ),
    )


def level_weight(mp: float | None, up: float | None) -> float:
    """A level's match weight, log2(m/u); 0 for the null level."""
    if mp is None or up is None:
        return 0.0
    return math.log2(max(mp, 1e-300) / max(up, 1e-300))


def parameter_table(trained: TrainedModel) -> list[dict[str, Any]]:
    """Every level with its m, u and match weight: the training report's core."""
    out = []
    for comp, params in zip(trained.model.comparisons, trained.parameters, strict=True):
        for level, p in zip(comp.levels, params, strict=True):
            if level.null:
                continue
            out.append({
                "comparison": comp.name,
                "level": level.label,
                "m": p["m"],
                "u": p["u"],
                "weight": level_weight(p["m"], p["u"]),
                "set": level.m is not None,
            })
    return out
