"""An oracle steward: decide a random share of a domain's pending review proposals by the
ground truth, through the product's own decision service, as a steward would.

    MDM_DATA_DIR=... DJANGO_SETTINGS_MODULE=config.settings \
        python -m bench.heldout.steward BASE DOMAIN [--share 0.5] [--seed 1]

Prints how many it approved and rejected. The next `match` calibrates its estimate of the
true pairs among the rest on these decisions (matching.calibration); bench.heldout.quality
compares that estimate with the truth on the proposals left undecided.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import django

from bench.heldout.quality import ground_truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("domain")
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    django.setup()
    from django.db import transaction

    from mdm.errors import MdmError
    from mdm.history import Change
    from mdm.models import MergeProposal
    from mdm.services.decisions import proposal_decide

    truth = ground_truth(args.base, args.domain)
    pending = list(MergeProposal.objects.filter(
        domain=args.domain, status=MergeProposal.Status.PENDING, kind=MergeProposal.Kind.REVIEW
    ).select_related("left__system", "right__system").order_by("pk"))
    chosen = random.Random(args.seed).sample(pending, round(len(pending) * args.share))
    done = {"approve": 0, "reject": 0, "refused": 0}
    for proposal in chosen:
        a = truth.get(f"{proposal.left.system.code}:{proposal.left.source_key}")
        b = truth.get(f"{proposal.right.system.code}:{proposal.right.source_key}")
        decision = MergeProposal.Decision.APPROVE if a is not None and a == b else MergeProposal.Decision.REJECT
        change = Change(actor="bench:oracle-steward", reason=f"{decision} proposal {proposal.pk}")
        try:
            with transaction.atomic():
                proposal.refresh_from_db()
                proposal_decide(proposal=proposal, decision=decision, reason="oracle: ground truth", change=change)
            done[decision] += 1
        except MdmError:
            done["refused"] += 1
    print(" ".join(f"{k} {v}" for k, v in done.items()))


if __name__ == "__main__":
    main()
