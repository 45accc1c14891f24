"""How far a domain's match weights can be trusted, learnt from its stewards' decisions.

    calibration = Calibration.fit(labels)      # labels: (match weight, one entity?) per decided proposal
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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.scoring import probability

LN2 = math.log(2)
PRIOR_SD_A, PRIOR_SD_B = 2.0, 0.5  # the model may be far off in the band (odds ×7 either way), its
# ordering less so: the slope stays near 1 unless decisions across the band say otherwise
MAX_ITERATIONS = 50
MIN_SLOPE = 0.05  # a calibration keeps stronger evidence at least as likely to be one entity

MSG_MODEL = "uncalibrated: the model's own probabilities (no steward decision yet; they run high in the band)"
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

    @property
    def source(self) -> str:
        return "stewards" if self.decisions else "model"

    def describe(self) -> str:
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
                "a": self.a, "b": self.b, "text": self.describe()}

    @classmethod
    def from_report(cls, report: dict[str, object] | None) -> Calibration:
        """The calibration a run's report names (as_report); the model's own without one."""
        if not report:
            return cls()
        return cls(a=float(report["a"]), b=float(report["b"]),  # type: ignore[arg-type]
                   decisions=int(report["decisions"]), approved=int(report["approved"]))  # type: ignore[call-overload]

    @classmethod
    def fit(cls, labels: Sequence[tuple[float, bool]]) -> Calibration:
        """The maximum a posteriori (a, b) for the decided pairs (weight, one entity?), by
        Newton's method on the log posterior (concave: one maximum), each step halved until
        it climbs (a full step overshoots when the model is far off)."""
        if not labels:
            return cls()
        points = [(weight * LN2, 1.0 if same else 0.0) for weight, same in labels]
        a, b = 0.0, 1.0
        current = _log_posterior(points, a, b)
        for _ in range(MAX_ITERATIONS):
            ga, gb = -a / PRIOR_SD_A**2, -(b - 1) / PRIOR_SD_B**2
            haa, hab, hbb = -1 / PRIOR_SD_A**2, 0.0, -1 / PRIOR_SD_B**2
            for x, y in points:
                p = _sigmoid(a + b * x)
                ga += y - p
                gb += (y - p) * x
                v = p * (1 - p)
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
        approved = sum(1 for _, same in labels if same)
        return cls(a=a, b=max(b, MIN_SLOPE), decisions=len(labels), approved=approved)


def _log_posterior(points: Sequence[tuple[float, float]], a: float, b: float) -> float:
    total = -(a / PRIOR_SD_A) ** 2 / 2 - ((b - 1) / PRIOR_SD_B) ** 2 / 2
    for x, y in points:
        z = a + b * x
        # log sigmoid(z) if one entity, else log sigmoid(-z); stable for large |z|
        s = z if y else -z
        total += -math.log1p(math.exp(-s)) if s > -30 else s
    return total
