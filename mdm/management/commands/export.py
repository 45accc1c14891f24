from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm.errors import MdmError
from mdm.exports.files import EXPORT_FORMATS, KINDS, export_write


class Command(BaseCommand):
    help = (
        "Export a domain's golden records, cross-reference, merge proposals or change feed as CSV, "
        "XLSX or Parquet; --after N sends only what changed after feed position N (the position "
        "each export prints); --system with --profile writes that system's import template."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=f"what to export: {', '.join(KINDS)}")
        parser.add_argument("--domain", required=True)
        parser.add_argument("--format", dest="fmt", default="csv", help=f"{', '.join(EXPORT_FORMATS)} (default csv)")
        parser.add_argument("--after", type=int, help="only what the change feed names after this position")
        parser.add_argument("--system", help="one source system's records (its code)")
        parser.add_argument("--profile", help="xref in the system's import-template layout, read from its profile")
        parser.add_argument("--out", type=Path, help="the file to write (default: <kind>-<domain>[-<system>].<format>)")

    def handle(self, *args, kind, domain, fmt, after, system, profile, out, **options):
        path = out or Path(f"{kind}-{domain}{'-' + system if system else ''}.{fmt}")
        try:
            result = export_write(kind=kind, domain=domain, fmt=fmt, path=path, after=after, system=system,
                                  profile=profile)
        except MdmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{result.path}: {result.rows} row(s) of {result.kind} ({result.domain}); feed position "
            f"{result.position}: next time pass --after {result.position}"
        )
