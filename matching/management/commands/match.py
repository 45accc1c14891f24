import argparse
import getpass

from django.core.management.base import BaseCommand, CommandError

from matching.describe import result_lines
from matching.management.commands._stages import stages
from matching.review import ACCEPTABLE
from matching.runs import match_run
from mdm.domains import all_domains
from mdm.errors import MdmError
from mdm.selectors import source_records_stale

MSG_STALE = ("warning: {n:,} {domain} record(s) were standardized by older code: their stored values, which "
             "matching compares, may not be what the current code makes of them; run "
             "`manage.py restandardize {domain}` first (--dry-run to see what would change)")


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
            "--exclusive-links", action=argparse.BooleanOptionalAction, default=None,
            help="merge a review-band pair whose records are each other's only candidate in the other's "
            "system (default: the domain's matching.exclusive_links)",
        )
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
        stale = source_records_stale(domain=options["domain"])
        if stale:
            self.stderr.write(MSG_STALE.format(n=stale, domain=options["domain"]))
        accept = options["accept_alarms"]
        try:
            with stages(quiet=quiet) as step:
                result = match_run(
                    domain=options["domain"],
                    actor=options["actor"] or f"cli:{getpass.getuser()}",
                    dry_run=options["dry_run"],
                    upper=options["upper"],
                    lower=options["lower"],
                    exclusive_links=options["exclusive_links"],
                    accept_alarms=True if accept == [] else (accept or False),
                    on_progress=step,
                    sample_size=options["sample"],
                )
        except MdmError as exc:
            raise CommandError(exc.message) from None
        for line in result_lines(result):
            self.stdout.write(line)
