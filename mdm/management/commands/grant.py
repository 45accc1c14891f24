import getpass
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mdm.access import Role, access_grant, access_revoke, grants_summary
from mdm.errors import MdmError
from mdm.history import Change


class Command(BaseCommand):
    help = (
        "Give a user a role (steward in some domains, auditor, admin), or take it back with "
        "--revoke. With --create, a missing user is made and its generated password printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--domain", action="append", default=[],
                            help="a steward's domain (repeat for several; none: every domain)")
        parser.add_argument("--revoke", action="store_true", help="take the role back")
        parser.add_argument("--create", action="store_true", help="create the user if missing")

    def handle(self, *args, **options):
        users = get_user_model().objects
        name = options["username"]
        user = users.filter(username=name).first()
        password = None
        if user is None:
            if not options["create"] or options["revoke"]:
                raise CommandError(f"no user {name!r} (pass --create to make one)")
            password = secrets.token_urlsafe(12)
            user = users.create_user(name, password=password)
        change = Change(actor=f"cli:{getpass.getuser()}", reason=f"grant {options['role']} to {name}")
        try:
            if options["revoke"]:
                access_revoke(user=user, role=options["role"], domains=options["domain"], change=change)
            else:
                access_grant(user=user, role=options["role"], domains=options["domain"], change=change)
        except MdmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{name}: {grants_summary(user)}")
        if password:
            self.stdout.write(f"created {name} with password {password}")
