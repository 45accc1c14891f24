"""Matching declarations, one per domain, as plain data, found by name.

A domain's YAML names its declaration (`matching.model`, by default the domain's own name):
a module of this package, or a dotted module path of your own, whose `MODEL` is a
DomainModel. A declaration names the feature set its columns come from
(matching.features) and lists its comparisons (each an ordered list of levels whose conditions are built
from the small vocabulary below), the blocking rules that generate candidate pairs, how it
is trained without labels (EM blocking rules, deterministic rules for the prior) and the
parameters that are set deliberately instead of learned. Nothing here imports Splink:
`matching.engine` turns a declaration into Splink settings for the backend in use (DuckDB
now, Spark later) and the real-time scorer evaluates the same conditions in Python, with
SQL's three-valued logic, so both give the same comparison level for every pair.

Condition vocabulary (column names are feature columns of matching.features; every
primitive is NULL when a value it compares is missing, as in SQL):
    Exact(c)            l = r
    Differ(c)           l <> r
    Null(c)             l IS NULL OR r IS NULL (never NULL)
    BothNull(c)         l IS NULL AND r IS NULL (never NULL)
    JaroWinkler(c, t)   jaro_winkler_similarity(l, r) >= t
    Damerau(c, n)       damerau_levenshtein(l, r) <= n
    Overlap(c, n)       at least n list elements in common
    Subset(c)           the shorter list's elements all in the other (both non-empty)
    EitherTrue(c)       l OR r (booleans)
    EitherFalse(c)      l = FALSE OR r = FALSE
    AtLeast(c, n)       l >= n AND r >= n (numbers)
    All(...), Any(...), Not(x)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from mdm.domains import get_domain
from mdm.errors import DeclarationError


@dataclass(frozen=True)
class Exact:
    column: str


@dataclass(frozen=True)
class Differ:
    column: str


@dataclass(frozen=True)
class Null:
    column: str


@dataclass(frozen=True)
class BothNull:
    column: str


@dataclass(frozen=True)
class JaroWinkler:
    column: str
    threshold: float


@dataclass(frozen=True)
class Damerau:
    column: str
    distance: int


@dataclass(frozen=True)
class Overlap:
    column: str
    size: int = 1


@dataclass(frozen=True)
class Subset:
    column: str


@dataclass(frozen=True)
class EitherTrue:
    column: str


@dataclass(frozen=True)
class EitherFalse:
    column: str


@dataclass(frozen=True)
class AtLeast:
    column: str
    size: int


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition) -> None:
        object.__setattr__(self, "parts", parts)


@dataclass(frozen=True)
class Any:
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition) -> None:
        object.__setattr__(self, "parts", parts)


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = (
    Exact | Differ | Null | BothNull | JaroWinkler | Damerau | Overlap | Subset | EitherTrue | EitherFalse | AtLeast
    | All | Any | Not
)


@dataclass(frozen=True)
class Level:
    """One comparison level. `label` is the evidence text shown to stewards.

    Parameters set deliberately: `m` alone fixes the m probability (u is still estimated);
    `m` with `weight` fixes both (u = m / 2**weight), for evidence that random sampling
    cannot see, such as look-alike companies. `null` marks the level that means "nothing
    to compare" (weight 0). `tf` names a column for a term-frequency adjustment of this
    level (rare values count more than common ones; a value counts the items that carry it,
    the most records one source system holds with it: engine._tf_tables). `conflict`: a pair
    at this level is two entities whatever its other comparisons say (two valid barcodes or
    tax ids, another maker, two countries) unless it is an automatic match on its own:
    clustering never joins its records through other pairs, as for a pair whose evidence
    (the prior left out) weighs below the domain's conflict_below. `fitted`: the weight is
    fitted to the pairs the domain's separator labels (DomainModel.separator), given the
    rest of their evidence, instead of taken from random pairs (m by EM, u from the fit): for evidence whose meaning
    depends on the rest, such as a look-alike name (two companies of one brand share their
    phone, building and mail domain, which random pairs never show). The fit only lowers
    the weight EM found, and never above 0 (engine._fit_levels)."""

    label: str
    condition: Condition | None  # None: the ELSE level
    null: bool = False
    m: float | None = None
    weight: float | None = None
    tf: str | None = None
    conflict: bool = False
    fitted: bool = False


@dataclass(frozen=True)
class Comparison:
    """`ordered`: the levels go from the strongest agreement down, so no level may weigh
    more than the one above it (a learned weight that would is capped: a small sample can
    make a fuzzy level look rarer, and so stronger, than exact agreement)."""

    name: str
    description: str
    levels: tuple[Level, ...]
    ordered: bool = False

    def columns(self) -> list[str]:
        """The feature columns its levels read."""
        found: list[str] = []
        for level in self.levels:
            if level.condition is not None:
                _columns(level.condition, found)
        return found


# An EM blocking rule of this column alone trains every comparison on random pairs (a
# random bucket per record, sized like the sample u is estimated on): no comparison is
# left out of the session, at the cost of few matches among the pairs.
RANDOM_PAIRS = "_random_pairs"


@dataclass(frozen=True)
class Separator:
    """A comparison whose levels say almost surely whether two records are one entity
    (an exact tax id: one company; two valid tax ids that differ: two): the pairs at them
    are the labels that fitted levels (Level.fitted) are fitted to. `calibrates`: its
    labels hold for any candidate pair, not only for those at the fitted levels (a tax id
    does; one maker makes many items), so they also calibrate a first run's reading of the
    model (matching.calibration.Calibration.labelled)."""

    comparison: str
    same: tuple[str, ...]  # level labels: one entity
    different: tuple[str, ...]  # level labels: two entities
    calibrates: bool = False


@dataclass(frozen=True)
class DomainModel:
    """Everything the engine needs to train and run one domain's model.

    blocking: named rules, each a tuple of columns that must be equal (a list column as a
    whole list, as Splink's block_on compares it). em_blocking: rules whose pairs train m by EM.
    deterministic: rules that almost only find true matches, with their expected recall,
    for the prior probability that two random records match; `fallback_prior` is the prior
    used when they find nothing to estimate it from (None: one match per record assumed).
    `prior_from_blocks`: estimate the prior instead from the pairs of the blocking rules,
    as the share of them the trained model takes for matches (EM on that share with m and
    u fixed), for a domain whose deterministic rules find too few matches to tell.
    `separator`: the comparison that labels pairs for fitted levels (Level.fitted).
    `private_columns`: feature columns of personal data (a date of birth, a national id): their
    values are never shown where blocks are described (engine.blocking_counts)."""

    domain: str
    version: int
    comparisons: tuple[Comparison, ...]
    blocking: dict[str, tuple[str, ...]]
    em_blocking: tuple[tuple[str, ...], ...]
    deterministic: tuple[tuple[str, ...], ...]
    deterministic_recall: float
    features: str  # the feature set its columns come from (matching.features)
    tf_columns: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=())
    fallback_prior: float | None = None
    prior_from_blocks: bool = False
    separator: Separator | None = None
    private_columns: tuple[str, ...] = ()

    def condition_columns(self) -> list[str]:
        found: list[str] = []
        for comparison in self.comparisons:
            found.extend(c for c in comparison.columns() if c not in found)
        for rule in (*self.blocking.values(), *self.em_blocking, *self.deterministic):
            found.extend(c for c in rule if c not in found and c != RANDOM_PAIRS)
        return found


# Two records of one system are less often one entity than a record of each: a system
# holds an entity once, as a rule, and another system is where its twin usually lives.
# Learned like any comparison (u: how many random pairs share a system; m by EM), so the
# weight follows the data: about -1.3 / +0.7 bits on the product samples (a fifth of their
# true pairs are duplicates inside one system), -1.0 / +0.1 on the customer samples.
SOURCE_SYSTEM = Comparison(
    "system",
    "source systems of the two records",
    (
        Level("source system unknown", Null("source_system"), null=True),
        Level("same source system", Exact("source_system")),
        Level("other source systems", None),
    ),
)


def _columns(condition: Condition, found: list[str]) -> None:
    if isinstance(condition, (All, Any)):
        for part in condition.parts:
            _columns(part, found)
    elif isinstance(condition, Not):
        _columns(condition.part, found)
    elif condition.column not in found:
        found.append(condition.column)


def get_declaration(domain: str) -> DomainModel:
    """The matching declaration of `domain`: the `MODEL` of the module its YAML names."""
    name = get_domain(domain).matching.model or domain
    module_name = name if "." in name else f"{__name__}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise DeclarationError(f"domain {domain!r}: no matching declaration {name!r} ({exc})") from None
    model = getattr(module, "MODEL", None)
    if not isinstance(model, DomainModel):
        raise DeclarationError(f"domain {domain!r}: {module_name} declares no MODEL (a DomainModel)")
    if model.domain != domain:
        raise DeclarationError(f"domain {domain!r}: {module_name}.MODEL is declared for {model.domain!r}")
    return model
