"""Every write to the hub's tables goes through a service in this package.

Each service is keyword-only, typed and one transaction that writes the change, its
history rows (actor, reason, operation) and its change-feed events together:

    locks       the one lock order every writer takes
    feed        change events (the append-only, strictly sequenced outbox)
    systems     source systems
    records     source records: upsert, snapshot deletions, re-standardized values
    restandardize  stale records (standardized by older code) read again from their raw
    golden      golden-record plans (GoldenPlan -> golden_plan_apply), the one write path of
                golden records and memberships, and the edits built on it (merge, split,
                override, retire, ...)
    rulings     steward rulings (must-link / cannot-link) and their chains
    proposals   merge proposals a match run or real-time matching writes
    decisions   steward decisions: decide a proposal, merge or split by hand
"""
