import getpass

from django.core.management.base import BaseCommand, CommandError

from matching.services import MatchResult, match_run
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
}


class Command(BaseCommand):
    help = (
        "Match a domain with its active model: score pairs, cluster them under the stewards' "
        "rulings, keep golden IDs stable, apply survivorship, write proposals. --dry-run "
        "reports what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", choices=list(all_domains()))
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--upper", type=float, help="auto-merge threshold (match weight) for this run")
        parser.add_argument("--lower", type=float, help="proposal threshold (match weight) for this run")
        parser.add_argument("--sample", type=int, default=5, help="examples shown per kind of change")
        parser.add_argument("--actor", help="who runs it (default: cli:<user>)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        try:
            with stages(quiet=quiet) as step:
                result = match_run(
                    domain=options["domain"],
                    actor=options["actor"] or f"cli:{getpass.getuser()}",
                    dry_run=options["dry_run"],
                    upper=options["upper"],
                    lower=options["lower"],
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
        f"{c['proposals_pending']} waiting for a steward",
    ]
    if not result.dry_run:
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        lines.append(f"  {c.get('events', 0)} change events; {timings}")
    for kind, samples in result.samples.items():
        lines.append(f"  {SAMPLE_TITLES.get(kind, kind)}{' (would)' if result.dry_run else ''}:")
        lines += [f"    {s}" for s in samples]
    return lines
