import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.systems import source_system_register


class Command(BaseCommand):
    help = "Register a source system, or update its name and trust ranks."

    def add_arguments(self, parser):
        parser.add_argument("code", help="short code, e.g. erp, crm")
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--trust",
            help='trust ranks as JSON, lower wins: {"customer": {"tax_id": 1, "*": 5}}',
        )

    def handle(self, *args, **options):
        trust = None
        if options["trust"]:
            try:
                trust = json.loads(options["trust"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--trust is not valid JSON: {exc}") from None
        try:
            system = source_system_register(
                code=options["code"],
                name=options["name"],
                description=options["description"],
                trust=trust,
                change=Change(actor=f"cli:{getpass.getuser()}", reason="register_system"),
            )
        except MdmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"source system {system.code}: {system.name}")
