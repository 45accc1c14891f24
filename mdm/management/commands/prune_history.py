import getpass
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError

from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.audit import history_prune


class Command(BaseCommand):
    help = ("The retention procedure: delete the history written before a date, keeping each "
            "record's version in force then; recorded, with anchors that keep verify_audit "
            "proving the rest. Without --confirm it only reports what it would remove.")

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD (midnight UTC)")
        parser.add_argument("--reason", required=True, help="the retention rule applied")
        parser.add_argument("--confirm", action="store_true", help="delete (default: a dry run)")

    def handle(self, *args, **options):
        try:
            day = datetime.strptime(options["before"], "%Y-%m-%d").date()
        except ValueError:
            raise CommandError(f"--before must be YYYY-MM-DD, got {options['before']!r}") from None
        before = datetime.combine(day, time(), tzinfo=UTC)
        try:
            removed = history_prune(
                before=before, reason=options["reason"], dry_run=not options["confirm"],
                change=Change(actor=f"cli:{getpass.getuser()}", reason=f"prune_history: {options['reason']}"),
            )
        except MdmError as exc:
            raise CommandError(exc.message) from None
        verb = "removed" if options["confirm"] else "would remove (dry run; --confirm to delete)"
        total = sum(removed.values())
        details = ", ".join(f"{table} {n}" for table, n in sorted(removed.items())) or "nothing"
        self.stdout.write(f"{verb} {total} history rows written before {day}: {details}")
