"""How far a domain's match weights can be trusted, learnt from its stewards' decisions.

    calibration = Calibration.fit(labels)      # labels: (match weight, one entity?) per decided proposal
    calibration = Calibration.left_apart(pairs, proposed)   # before any decision: a run's own reading
    calibration.probability(weight)            # the share of such pairs a steward finds true

A model's match weight is its posterior log2 odds; fitted without labels, it is confident
beyond what the data bears where the records alike are most often two entities (the review
band is where it errs, by construction). Stewards' decisions on the review proposals are
the real labels there. The calibration maps the weight w to the probability
sigmoid(a + b·w·ln 2) (Platt scaling), fitted to the decisions with a normal prior on a
and b centred on the model itself (a = 0, b = 1), looser on a than on b: without decisions it is the model's own
probability; a handful moves it a little, hundreds decide it; all approved (or all
rejected) cannot push it to certainty, as a plain fit would. Only review proposals count
(held merges are chosen by an alarm, not by their weight), and an approval a steward later
reversed counts as two entities.

Before any decision (Calibration.left_apart), a run reads the model's probabilities for the
pairs it left apart: the model's probability at a weight holds for all its pairs, most true
ones among them merged through stronger pairs, so those left apart hold fewer (a first run
read through the model's own probabilities expected 3 to 5 times the true proposals). Where
a separator labels pairs for any pair (tax ids: Separator.calibrates), the model is first
calibrated on them (Calibration.from_separator), for it runs high on them too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.scoring import probability

LN2 = math.log(2)
PRIOR_SD_A, PRIOR_SD_B = 2.0, 0.5  # the model may be far off in the band (odds ×7 either way), its
# ordering less so: the slope stays near 1 unless decisions across the band say otherwise
MAX_ITERATIONS = 50
MIN_SLOPE = 0.05  # a calibration keeps stronger evidence at least as likely to be one entity

BIN_BITS = 1.0  # the width of the weight bins a run's pairs are counted in (left_apart)
MIN_LABELLED = 100  # pairs a separator labels about the band before they calibrate a first run
LABELLED_ABOVE = 4.0  # bits above the upper threshold whose labelled pairs count: the automatic
# merges next to the band, where a first run's reading subtracts the two-entity pairs it expects

MSG_MODEL = "uncalibrated: the model's own probabilities (no steward decision yet; they run high in the band)"
MSG_APART = ("no decision yet: the model's, less the pairs this run merged ({apart:,} apart): "
             "p = sigmoid({a:+.2f} + {b:.2f}·w·ln2)")
MSG_IDS = ("no decision yet: {labelled:,} pairs ids label, less this run's merges ({apart:,} apart): "
           "p = sigmoid({a:+.2f} + {b:.2f}·w·ln2)")
MSG_STEWARDS = "{decisions} steward decisions ({approved} approved): p = sigmoid({a:+.2f} + {b:.2f}·w·ln2)"


def _sigmoid(x: float) -> float:
    return probability(x / LN2)  # the probability of log2 odds x / ln 2


@dataclass(frozen=True)
class Calibration:
    """sigmoid(a + b·w·ln2) of a match weight w; the model's own (a=0, b=1) with no decisions."""

    a: float = 0.0
    b: float = 1.0
    decisions: int = 0
    approved: int = 0
    apart: int = 0  # without decisions: the pairs a run left apart it was estimated on (left_apart)
    labelled: int = 0  # and the pairs a separator labelled, when they calibrated the model first

    @property
    def source(self) -> str:
        return "stewards" if self.decisions else "ids" if self.labelled else "apart" if self.apart else "model"

    def describe(self) -> str:
        if self.labelled and not self.decisions:
            return MSG_IDS.format(labelled=self.labelled, apart=self.apart, a=self.a, b=self.b)
        if self.apart and not self.decisions:
            return MSG_APART.format(apart=self.apart, a=self.a, b=self.b)
        if not self.decisions:
            return MSG_MODEL
        return MSG_STEWARDS.format(decisions=self.decisions, approved=self.approved, a=self.a, b=self.b)

    def probability(self, weight: float) -> float:
        return _sigmoid(self.a + self.b * weight * LN2)

    def weight_at(self, probability: float) -> float:
        """The match weight whose calibrated probability is `probability` (0 < p < 1)."""
        return (math.log(probability / (1 - probability)) - self.a) / (self.b * LN2)

    def expected_true(self, weights: Iterable[float]) -> float:
        return sum(self.probability(w) for w in weights)

    def as_report(self) -> dict[str, object]:
        # unrounded: real-time matching reads it back and must score as the run did
        return {"source": self.source, "decisions": self.decisions, "approved": self.approved,
                "apart": self.apart, "labelled": self.labelled, "a": self.a, "b": self.b, "text": self.describe()}

    @classmethod
    def from_report(cls, report: dict[str, object] | None) -> Calibration:
        """The calibration a run's report names (as_report); the model's own without one."""
        if not report:
            return cls()
        return cls(a=float(report["a"]), b=float(report["b"]),  # type: ignore[arg-type]
                   decisions=int(report["decisions"]), approved=int(report["approved"]),  # type: ignore[call-overload]
                   apart=int(report.get("apart", 0)), labelled=int(report.get("labelled", 0)))  # type: ignore[call-overload]

    @classmethod
    def fit(cls, labels: Sequence[tuple[float, bool]]) -> Calibration:
        """The maximum a posteriori (a, b) for the decided pairs (weight, one entity?)."""
        if not labels:
            return cls()
        a, b = _fit([(weight * LN2, 1.0 if same else 0.0, 1.0) for weight, same in labels])
        approved = sum(1 for _, same in labels if same)
        return cls(a=a, b=b, decisions=len(labels), approved=approved)

    @classmethod
    def from_separator(cls, bins: Sequence[Sequence[float]], lower: float, upper: float) -> Calibration:
        """The model calibrated on the pairs a separator labels (engine: [bit, one entity,
        two, their mean weight] by the weight without the separator's own evidence, which
        would give the label away), those from `lower` to LABELLED_ABOVE bits over `upper`:
        where the band and the merges next to it lie. A tax id shows how often pairs alike
        in all else are one company, which the model, trained without labels, cannot see
        (two sister companies sharing a phone and a brand). Fewer than MIN_LABELLED such
        pairs: the model's own."""
        kept = [(weight * LN2, same, different) for bit, same, different, weight in bins
                if lower <= bit < upper + LABELLED_ABOVE]
        labelled = round(sum(same + different for _, same, different in kept))
        if labelled < MIN_LABELLED:
            return cls()
        a, b = _fit([point for x, same, different in kept for point in ((x, 1.0, same), (x, 0.0, different))])
        return cls(a=a, b=b, labelled=labelled)

    @classmethod
    def left_apart(cls, pairs: Iterable[tuple[float, bool]], proposed: Iterable[float],
                   base: Calibration | None = None) -> Calibration:
        """What stewards would find among the pairs a run proposes, before they decide any:
        `pairs` are (weight, left apart?) of the pairs the run scored under its upper
        threshold, `proposed` the weights of its review proposals. The model's probability
        holds for the pairs of a weight taken together, but a run merges most true ones
        (their records join through stronger pairs) and almost none of the others, so those
        it leaves apart hold fewer true pairs than the model says: per bin of BIN_BITS bits,
        as many as the pairs left apart outnumber the two-entity pairs the model expects
        among all of them. Each bin's share, counted once per proposal in it (at their mean
        weight: a fit of a few points whatever the run's size), labels a fit
        as the stewards' decisions would (the same prior), so the fit holds where the
        proposals are: far below them, where the model errs the other way, the counts of
        pairs would outweigh them. The two-entity pairs expected are read through `base`
        (from_separator), else the model's own. Without a proposal, `base` as it is."""
        base = base or cls()
        bins: defaultdict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])  # left apart, two entities expected
        for weight, apart in pairs:
            counts = bins[math.floor(weight / BIN_BITS)]
            counts[0] += apart
            counts[1] += 1 - base.probability(weight)
        at: defaultdict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])  # proposals, their weights
        for weight in proposed:
            here = at[math.floor(weight / BIN_BITS)]
            here[0] += 1
            here[1] += weight
        points = []
        for key, (n, weights) in at.items():
            apart, false = bins.get(key, (0.0, 0.0))
            share = max(0.0, 1 - false / apart) if apart else 0.0
            points += [(weights / n * LN2, 1.0, n * share), (weights / n * LN2, 0.0, n * (1 - share))]
        if not points:
            return base
        a, b = _fit(points)
        return cls(a=a, b=b, apart=round(sum(apart for apart, _ in bins.values())), labelled=base.labelled)


def _fit(points: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    """The maximum a posteriori (a, b) for the points (w·ln2, one entity? as 1 or 0, how
    many pairs), by Newton's method on the log posterior (concave: one maximum), each step
    halved until it climbs (a full step overshoots when the model is far off)."""
    a, b = 0.0, 1.0
    current = _log_posterior(points, a, b)
    for _ in range(MAX_ITERATIONS):
        ga, gb = -a / PRIOR_SD_A**2, -(b - 1) / PRIOR_SD_B**2
        haa, hab, hbb = -1 / PRIOR_SD_A**2, 0.0, -1 / PRIOR_SD_B**2
        for x, y, n in points:
            p = _sigmoid(a + b * x)
            ga += n * (y - p)
            gb += n * (y - p) * x
            v = n * p * (1 - p)
            haa -= v
            hab -= v * x
            hbb -= v * x * x
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:
            tried = _log_posterior(points, a - step * da, b - step * db)
            if tried >= current:
                break
            step /= 2
        else:
            break
        a, b, gain, current = a - step * da, b - step * db, tried - current, tried
        if gain < 1e-10:
            break
    return a, max(b, MIN_SLOPE)


def _log_posterior(points: Sequence[tuple[float, float, float]], a: float, b: float) -> float:
    total = -(a / PRIOR_SD_A) ** 2 / 2 - ((b - 1) / PRIOR_SD_B) ** 2 / 2
    for x, y, n in points:
        z = a + b * x
        # log sigmoid(z) if one entity, else log sigmoid(-z); stable for large |z|
        s = z if y else -z
        total += n * (-math.log1p(math.exp(-s)) if s > -30 else s)
    return total
