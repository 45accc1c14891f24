"""A match run's result as text lines: the `match` command prints them, the web app's
preview shows them (one wording for both)."""

from __future__ import annotations

from matching.calibration import MSG_MODEL
from matching.runs import MatchResult

MSG_LEFT_OUT = ("  blocking rule {rule!r} left out {keys:,} values, each shared by more records than the domain's "
                "max_candidates ({records:,} records in all): the rule formed no pair on them, the other rules "
                "still pair those records")

SAMPLE_TITLES = {
    "created": "new golden records",
    "merged": "golden records merged (retired into the survivor)",
    "split": "golden records split (the larger part keeps the ID)",
    "updated": "golden attributes changed",
    "deleted": "golden records deleted (no live source record left)",
    "xref": "cross-references changed",
    "proposals": "new merge proposals",
    "held": "automatic merges held for review",
}


def result_lines(result: MatchResult) -> list[str]:
    """The summary, then the samples of each kind of change."""
    lines = [f"earlier run {run.pk}: {run.error}" for run in result.interrupted] + summary_lines(result)
    for kind, samples in result.samples.items():
        lines.append(f"  {sample_title(kind, result)}:")
        lines += [f"    {s}" for s in samples]
    return lines


def sample_title(kind: str, result: MatchResult) -> str:
    return SAMPLE_TITLES.get(kind, kind) + (" (would)" if result.dry_run else "")


def summary_lines(result: MatchResult) -> list[str]:
    c, t = result.counts, result.thresholds
    verb = "would" if result.dry_run else ""
    head = f"match {result.domain} ({'dry run, nothing written' if result.dry_run else f'run {result.run.pk}'})"
    lines = [
        f"{head}: model v{result.model_version}, auto-merge >= {t['upper']:+.2f}, proposals >= {t['lower']:+.2f}",
        (
            f"  {c['records']:,} live records: {c['pairs_auto']:,} pairs auto-merge, {c.get('pairs_exclusive', 0):,} "
            f"more as exclusive links, {c['pairs_review']:,} in the review band, {c['pairs_conflict']:,} conflicts "
            f"kept apart (of {c['pairs_checked']:,} checked); "
            f"{c['must_links']} must-links, {c['cannot_links']} cannot-links"
        ),
        (
            f"  {c['golden_records']:,} golden records ({c['golden_multi_record']:,} with several source records, "
            f"{c['records_merged']:,} duplicates merged)"
        ),
        (
            f"  {verb + ' ' if verb else ''}change: {c['golden_created']} created, {c['golden_merged']} merged away, "
            f"{c['golden_split']} split into {c['golden_split_parts']} new, {c['golden_updated']} updated, "
            f"{c['golden_deleted']} deleted, {c['golden_unchanged']} unchanged; "
            f"{c['xref_changed']} cross-references"
        ),
        (
            f"  proposals: {c['proposals_new']} new, {c['proposals_rescored']} rescored, "
            f"{c['proposals_reopened']} reopened, {c['proposals_superseded']} superseded; "
            f"{c['proposals_pending']} waiting for a steward ({c.get('proposals_held', 0)} held merges, "
            f"{c.get('proposals_below_band', 0)} below the lower threshold within the budget, "
            f"{c.get('proposals_held_back', 0)} band pairs held back past it); "
            f"about {c.get('proposals_likely_true', 0):,.0f} of this run's review proposals are true pairs "
            f"({result.report.get('calibration', {}).get('text', MSG_MODEL)})"
        ),
        # why the figures differ: a steward decides golden records, not pairs
        (
            f"  (one proposal per two golden records the review band would join, its strongest pair: the "
            f"{c['pairs_review']:,} pairs in the band share golden records, or join records already together "
            f"or ruled on)"
        ),
        *report_lines(result),
    ]
    if not result.dry_run:
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        lines.append(f"  {c.get('events', 0)} change events; {timings}")
    return lines


def report_lines(result: MatchResult) -> list[str]:
    """The run report (its comparison with the previous run) and the alarms, as lines."""
    r = result.report
    if not r:
        return []
    previous, deltas = r.get("previous"), r.get("deltas") or {}

    def since(key: str) -> str:
        if not previous:
            return ""
        return f" ({deltas[key] * 100:+.1f} points since run {previous['run']})"

    sizes = " ".join(f"{name}:{count}" for name, count in r["cluster_sizes"].items())
    lines = [
        f"  report: match rate {r['match_rate']:.1%}{since('match_rate')}, auto-merge share of scored pairs "
        f"{r['auto_share']:.1%}{since('auto_share')}; clusters by size {sizes}"
        + ("" if previous else " (the domain's first run: nothing to compare with)"),
        "  largest clusters: "
        + "; ".join(
            f"{entry['size']} {entry['golden_id'] or ('(held)' if entry['held'] else '(new)')} "
            f"{', '.join(entry['members'])}"
            for entry in r["largest"][:3]
        ),
    ]
    drift = r.get("drift")
    if drift:
        lines.append(
            f"  model v{drift['from_version']} -> v{drift['to_version']}: level weights moved by up to "
            f"{drift['max']:.2f} bits ({drift['comparison']} / {drift['level']})"
        )
    for entry in r.get("blocking_left_out") or []:
        lines.append(MSG_LEFT_OUT.format(**entry))
    if not result.alarms:
        lines.append("  alarms: none")
    for alarm in result.alarms:
        action = alarm["action"]
        if action == "accepted":
            action = f"accepted by {alarm['accepted_by']}"
        lines.append(f"  ALARM {alarm['check']} ({action}): {alarm['message']}")
    return lines
