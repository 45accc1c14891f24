from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mdm.errors import MdmError
from mdm.exports.files import EXPORT_FORMATS, KINDS, export_write
from mdm.visibility import EVERYTHING, Viewer

MSG_UNKNOWN_USER = "no user {name!r}: --as names a user (a person, or a source system's API user)"


class Command(BaseCommand):
    help = (
        "Export a domain's golden records, cross-reference, merge proposals or change feed as CSV, "
        "XLSX or Parquet; --after N sends only what changed after feed position N (the position "
        "each export prints); --system with --profile writes that system's import template. "
        "--as USER writes what that user may see, as the API answers them: only their departments' "
        "systems' records, sensitive values masked unless granted (a source system's API user gets "
        "what its token reads). Without --as the export is the hub's own and holds every record "
        "unmasked: whoever runs this command holds the database already; pass --as for a file that "
        "leaves the hub's operators."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=f"what to export: {', '.join(KINDS)}")
        parser.add_argument("--domain", required=True)
        parser.add_argument("--format", dest="fmt", default="csv", help=f"{', '.join(EXPORT_FORMATS)} (default csv)")
        parser.add_argument("--after", type=int, help="only what the change feed names after this position")
        parser.add_argument("--system", help="one source system's records (its code)")
        parser.add_argument("--profile", help="xref in the system's import-template layout, read from its profile")
        parser.add_argument("--out", type=Path, help="the file to write (default: <kind>-<domain>[-<system>].<format>)")
        parser.add_argument("--as", dest="as_user", metavar="USER",
                            help="write what this user may see (departments, sensitive grants); default: everything")

    def handle(self, *args, kind, domain, fmt, after, system, profile, out, as_user, **options):
        path = out or Path(f"{kind}-{domain}{'-' + system if system else ''}.{fmt}")
        viewer = EVERYTHING
        if as_user is not None:
            user = get_user_model().objects.filter(username=as_user).first()
            if user is None:
                raise CommandError(MSG_UNKNOWN_USER.format(name=as_user))
            viewer = Viewer.of(user)
        try:
            result = export_write(kind=kind, domain=domain, fmt=fmt, path=path, after=after, system=system,
                                  profile=profile, viewer=viewer)
        except MdmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{result.path}: {result.rows} row(s) of {result.kind} ({result.domain}); feed position "
            f"{result.position}: next time pass --after {result.position}"
        )
