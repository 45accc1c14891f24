import getpass

from django.core.management.base import BaseCommand, CommandError

from api.models import InboundEndpoint
from api.services import inbound_endpoint_set
from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.systems import source_system_get


class Command(BaseCommand):
    help = ("Set a source system's inbound webhook endpoint (its URL: /api/v1/inbound/<kind>/<system>): "
            "the profile its records are read through and the secret they are signed with.")

    def add_arguments(self, parser):
        parser.add_argument("system")
        parser.add_argument("--kind", default=InboundEndpoint.Kind.JIANDAOYUN, choices=InboundEndpoint.Kind.values)
        parser.add_argument("--profile", required=True, help="a profile name or path (e.g. jiandaoyun_customer)")
        parser.add_argument("--secret", required=True, help="the secret its sender signs with")

    def handle(self, *args, **options):
        change = Change(actor=f"cli:{getpass.getuser()}", reason=f"inbound endpoint of {options['system']}")
        try:
            endpoint = inbound_endpoint_set(system=source_system_get(options["system"]), kind=options["kind"],
                                            profile=options["profile"], secret=options["secret"], change=change)
        except MdmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"/api/v1/inbound/{endpoint.kind}/{endpoint.system.code} reads {endpoint.profile}")
