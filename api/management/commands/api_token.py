import getpass

from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from api.services import api_token_issue, api_token_revoke
from mdm.access import Role, access_grant
from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.systems import source_system_get


class Command(BaseCommand):
    help = (
        "Source-system API tokens: `issue SYSTEM` prints a new token (shown once: only its hash is "
        "kept), granting the system the domains named by --domain; `revoke PREFIX`; `list`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a token for a source system")
        issue.add_argument("system")
        issue.add_argument("--name", default="cli", help="what the token is for")
        issue.add_argument("--days", type=int, default=None, help="valid this many days (MDM_API_TOKEN_DAYS)")
        issue.add_argument("--domain", action="append", default=[],
                           help="grant the system this domain (view its golden records, send its records)")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (see list)")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list tokens")

    def handle(self, *args, **options):
        change = Change(actor=f"cli:{getpass.getuser()}", reason=f"api_token {options['action']}")
        try:
            getattr(self, options["action"])(options, change)
        except MdmError as exc:
            raise CommandError(exc.message) from None

    def issue(self, options, change):
        system = source_system_get(options["system"])
        issued = api_token_issue(system=system, name=options["name"], days=options["days"], change=change)
        if options["domain"]:
            system.refresh_from_db()
            access_grant(user=system.api_user, role=Role.SYSTEM, domains=options["domain"], change=change)
        self.stdout.write(issued.plaintext)

    def revoke(self, options, change):
        tokens = list(ApiToken.objects.filter(prefix__startswith=options["prefix"]))
        if len(tokens) != 1:
            raise CommandError(f"{len(tokens)} tokens start with {options['prefix']!r}: give a longer prefix")
        api_token_revoke(token=tokens[0], change=change)
        self.stdout.write(f"revoked {tokens[0]}")

    def list(self, options, change):
        for token in ApiToken.objects.select_related("system"):
            state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
            self.stdout.write(f"{token.prefix}  {token.system.code:10} {token.name:20} {state}")
