import getpass

from django.core.management.base import BaseCommand, CommandError

from matching.services import ACCEPTABLE, MatchResult, match_run
from mdm.domains import all_domains
from mdm.errors import MdmError
from mdm.management.commands._stages import stages

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


class Command(BaseCommand):
    help = (
        "Match a domain with its active model: score pairs, cluster them under the stewards' "
        "rulings, keep golden IDs stable, apply survivorship, write proposals; compare the run "
        "with the previous one and hold its automatic merges when it raises alarms. --dry-run "
        "reports what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", choices=list(all_domains()))
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--upper", type=float, help="auto-merge threshold (match weight) for this run")
        parser.add_argument("--lower", type=float, help="proposal threshold (match weight) for this run")
        parser.add_argument(
            "--accept-alarms",
            nargs="*",
            choices=ACCEPTABLE,
            metavar="CHECK",
            help="apply the automatic merges the run's alarms would hold (all alarms, or only these "
            f"checks: {', '.join(ACCEPTABLE)}); the run records who accepted which",
        )
        parser.add_argument("--sample", type=int, default=5, help="examples shown per kind of change")
        parser.add_argument("--actor", help="who runs it (default: cli:<user>)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        accept = options["accept_alarms"]
        try:
            with stages(quiet=quiet) as step:
                result = match_run(
                    domain=options["domain"],
                    actor=options["actor"] or f"cli:{getpass.getuser()}",
                    dry_run=options["dry_run"],
                    upper=options["upper"],
                    lower=options["lower"],
                    accept_alarms=True if accept == [] else (accept or False),
                    on_progress=step,
                    sample_size=options["sample"],
                )
        except MdmError as exc:
            raise CommandError(exc.message) from None
        for line in result_lines(result):
            self.stdout.write(line)


def result_lines(result: MatchResult) -> list[str]:
    c, t = result.counts, result.thresholds
    verb = "would" if result.dry_run else ""
    head = f"match {result.domain} ({'dry run, nothing written' if result.dry_run else f'run {result.run.pk}'})"
    lines = [
        f"{head}: model v{result.model_version}, auto-merge >= {t['upper']:+.2f}, proposals >= {t['lower']:+.2f}",
        f"  {c['records']:,} live records: {c['pairs_auto']:,} pairs auto-merge, {c['pairs_review']:,} in the review "
        f"band, {c['pairs_conflict']:,} conflicts kept apart (of {c['pairs_checked']:,} checked); "
        f"{c['must_links']} must-links, {c['cannot_links']} cannot-links",
        f"  {c['golden_records']:,} golden records ({c['golden_multi_record']:,} with several source records, "
        f"{c['records_merged']:,} duplicates merged)",
        f"  {verb + ' ' if verb else ''}change: {c['golden_created']} created, {c['golden_merged']} merged away, "
        f"{c['golden_split']} split into {c['golden_split_parts']} new, {c['golden_updated']} updated, "
        f"{c['golden_deleted']} deleted, {c['golden_unchanged']} unchanged; "
        f"{c['xref_changed']} cross-references",
        f"  proposals: {c['proposals_new']} new, {c['proposals_rescored']} rescored, "
        f"{c['proposals_reopened']} reopened, {c['proposals_superseded']} superseded; "
        f"{c['proposals_pending']} waiting for a steward ({c.get('proposals_held', 0)} held merges)",
        *report_lines(result),
    ]
    if not result.dry_run:
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        lines.append(f"  {c.get('events', 0)} change events; {timings}")
    for kind, samples in result.samples.items():
        lines.append(f"  {SAMPLE_TITLES.get(kind, kind)}{' (would)' if result.dry_run else ''}:")
        lines += [f"    {s}" for s in samples]
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
    if not result.alarms:
        lines.append("  alarms: none")
    for alarm in result.alarms:
        action = alarm["action"]
        if action == "accepted":
            action = f"accepted by {alarm['accepted_by']}"
        lines.append(f"  ALARM {alarm['check']} ({action}): {alarm['message']}")
    return lines
