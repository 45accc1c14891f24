import getpass
import secrets
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from mdm.history import Change
from mdm.ingest.run import import_file
from mdm.models import SourceRecord
from mdm.services import source_system_register

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"


class Command(BaseCommand):
    help = (
        "The main job on demo data: migrate, load the sample exports of every shipped "
        "profile, print a summary, then serve the web app."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="stop after loading")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        change = Change(actor=f"cli:{getpass.getuser()}", reason="demo data")
        manifest = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
        systems = {sample["system"]: sample["system_name"] for sample in manifest["samples"]}
        for code, name in systems.items():
            source_system_register(code=code, name=name, change=change)
        failed = []
        for sample in manifest["samples"]:
            run = import_file(
                path=SAMPLES / sample["file"],
                system_code=sample["system"],
                profile_name=sample["profile"],
                encoding=sample.get("encoding"),
                actor=change.actor,
            )
            self.stdout.write(
                f"  {sample['file']:<32} {run.status:<9} read {run.read:>4}  inserted "
                f"{run.inserted:>4}  unchanged {run.unchanged:>4}  rejected {run.rejected}"
            )
            if run.status != "completed" or run.rejected:
                failed.append(sample["file"])
        self.stdout.write("Source records per domain:")
        for row in SourceRecord.objects.values("domain").annotate(n=Count("id")).order_by("domain"):
            self.stdout.write(f"  {row['domain']:<10} {row['n']}")
        if failed:
            raise CommandError(f"demo samples did not load cleanly: {', '.join(failed)}")
        if options["no_serve"]:
            return
        self._serve(options["addr"])

    def _serve(self, addr: str) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        credentials = settings.DATA_DIR / "demo-admin.txt"
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "", password)
            credentials.write_text(f"admin {password}\n")
            credentials.chmod(0o600)
        self.stdout.write(
            f"Serving on http://{addr}/admin/ (user and password in {credentials}); Ctrl-C stops."
        )
        call_command("runserver", addr, use_reloader=False)
