import getpass

from django.core.management.base import BaseCommand, CommandError

from mdm.domains import all_domains
from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.restandardize import BATCH, RestandardizeReport, source_records_restandardize


class Command(BaseCommand):
    help = (
        "Read again, from their stored raw payloads, the records standardized by older code "
        "(standardizers, their tables, a domain's attribute types or a profile's mapping have "
        "changed since) and store what they read as now: a new version, with history and change "
        "events, for each record whose values change, and its golden record recomputed. Re-running "
        "it writes nothing. --dry-run counts what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("domains", nargs="*", metavar="domain",
                            help=f"the domains to bring up to date (default: all: {', '.join(all_domains())})")
        parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
        parser.add_argument("--batch-size", type=int, default=BATCH, help="records per transaction")
        parser.add_argument("--actor", help="who runs it (default: cli:<user>)")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        unknown = sorted(set(options["domains"]) - set(all_domains()))
        if unknown:
            raise CommandError(f"unknown domain(s) {', '.join(unknown)} (known: {', '.join(all_domains())})")
        actor = options["actor"] or f"cli:{getpass.getuser()}"
        failed = 0
        for domain in options["domains"] or list(all_domains()):
            change = Change(actor=actor, reason=f"re-standardization of {domain}: standardization changed")
            try:
                report = source_records_restandardize(domain=domain, change=change, dry_run=options["dry_run"],
                                                      batch_size=options["batch_size"])
            except MdmError as exc:
                raise CommandError(exc.message) from None
            for line in report_lines(report):
                self.stdout.write(line)
            failed += report.failed
        if failed:
            raise CommandError(f"{failed:,} record(s) could not be read again and keep their stored values "
                               "(listed above): fix their profile or the standardizer, then re-run")


def report_lines(report: RestandardizeReport) -> list[str]:
    head = f"{report.domain}{' (dry run, nothing written)' if report.dry_run else ''}"
    unchecked = [f"warning: {report.domain}: {n:,} record(s) of profile {name!r} left as they are, not "
                 f"checked: {report.unresolved[name]} (put the profile in MDM_PROFILE_DIRS to check them)"
                 for name, n in sorted(report.unchecked.items())]
    if not report.stale:
        return [f"{head}: no record standardized by older code; nothing to do", *unchecked]
    would = "would be " if report.dry_run else ""
    lines = [
        f"{head}: {report.stale:,} record(s) standardized by older code read again: "
        f"{report.changed:,} {would}changed (a new version each), {report.same:,} read the same "
        f"(marked current, no version), {report.failed:,} could not be read; "
        f"{report.goldens:,} golden record(s) {would}updated"
    ]
    if report.failed:
        lines.append(f"{report.domain}: kept as they were (the first {len(report.failures)}):")
        lines += [f"  {f.system}:{f.source_key} (profile {f.profile}): {f.reason}" for f in report.failures]
    return [*lines, *unchecked]
