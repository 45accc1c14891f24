import getpass
import secrets
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from matching.ingest import file_ingest
from matching.runs import match_run
from matching.selectors import domain_summary
from matching.training import model_train
from mdm.access import Role, access_grant
from mdm.domains import all_domains
from mdm.history import Change
from mdm.models import SourceRecord
from mdm.selectors import records_shared_by_system
from mdm.services.systems import source_system_register

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"
# Survivorship trust ranks of the demo systems (lower wins; "*": every other attribute):
# the ERPs win for legal data (name, tax id, bank; SAP first, then Kingdee K/3 Cloud and U8),
# the CRMs for e-mail, phone and contact.
DEMO_TRUST = {
    "erp": {
        "customer": {"name": 1, "tax_id": 1, "address": 2, "*": 3},
        "supplier": {"name": 1, "tax_id": 1, "bank_name": 1, "bank_account": 1, "payment_terms": 1, "*": 3},
        "product": {"*": 1},
    },
    "s4": {"customer": {"name": 1, "tax_id": 1, "address": 2, "*": 3}},
    "oracle": {"customer": {"tax_id": 2, "*": 4}, "supplier": {"tax_id": 2, "bank_account": 2, "*": 4}},
    "crm": {"customer": {"email": 1, "phone": 1, "contact": 1, "*": 5}},
    "crm2": {"customer": {"email": 1, "phone": 1, "contact": 1, "*": 5}},
    "forms": {"customer": {"*": 6}},
    "mes": {"customer": {"*": 6}},
    "srm": {"supplier": {"email": 1, "phone": 1, "contact": 1, "*": 4}},
    "plm": {"product": {"spec": 1, "barcode": 2, "*": 2}},
    "k3c": {
        "customer": {"name": 2, "tax_id": 2, "address": 3, "*": 4},
        "supplier": {"name": 2, "tax_id": 2, "bank_name": 2, "bank_account": 2, "*": 4},
        "product": {"*": 3},
    },
    "u8": {
        "customer": {"name": 2, "tax_id": 2, "address": 3, "*": 4},
        "supplier": {"name": 2, "tax_id": 2, "bank_name": 2, "bank_account": 2, "*": 4},
        "product": {"*": 3},
    },
    "jdy": {"customer": {"tax_id": 3, "*": 5}, "supplier": {"tax_id": 3, "bank_account": 3, "*": 5}},
}


class Command(BaseCommand):
    help = (
        "The main job on demo data: migrate, load the sample exports of every shipped "
        "profile, train and match every domain, print a summary, then serve the web app."
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
            source_system_register(code=code, name=name, trust=DEMO_TRUST.get(code, {}), change=change)
        failed = []
        for sample in manifest["samples"]:
            run = file_ingest(
                path=SAMPLES / sample["file"],
                system_code=sample["system"],
                profile_name=sample["profile"],
                encoding=sample.get("encoding"),
                actor=change.actor,
            ).run
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
        self._match(change.actor)
        if options["no_serve"]:
            return
        self._serve(options["addr"])

    def _match(self, actor: str) -> None:
        self.stdout.write("Matching (train without labels, then match; golden IDs stay stable across re-runs):")
        for domain in all_domains():
            model = model_train(domain=domain, actor=actor)
            result = match_run(domain=domain, actor=actor)
            c, summary = result.counts, domain_summary(domain)
            self.stdout.write(
                f"  {domain:<10} model v{model.version}: {summary['records']:>4} live source records -> "
                f"{summary['golden_records']:>4} golden records, {c['records_merged']:>4} duplicates auto-merged "
                f"(into {c['golden_multi_record']} golden records), {summary['proposals_pending']:>3} proposals "
                f"waiting; this run: {c['golden_created']} created, {c['golden_merged']} merged, "
                f"{c['golden_split']} split, {c['golden_updated']} updated; match rate "
                f"{result.report['match_rate']:.1%}, largest cluster {result.report['largest_size']}, "
                f"alarms: {', '.join(a['check'] for a in result.alarms) or 'none'}"
            )
            for alarm in result.alarms:
                self.stdout.write(f"    ALARM {alarm['check']} ({alarm['action']}): {alarm['message']}")
        self.stdout.write("Live records sharing a golden record with another system's:")
        for row in records_shared_by_system():
            self.stdout.write(
                f"  {row['domain']:<10} {row['system__code']:<8} {row['shared_count']:>4} of {row['records']:>4}"
            )

    def _serve(self, addr: str) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        admin = self._login("admin", superuser=True)
        steward = self._login("steward")
        access_grant(user=get_user_model().objects.get(username="steward"), role=Role.STEWARD,
                     change=Change(actor=f"cli:{getpass.getuser()}", reason="demo steward"))
        self.stdout.write(
            f"Serving the steward app on http://{addr}/steward/ (log in as steward, password in {steward}); "
            f"the admin on http://{addr}/admin/ (admin, password in {admin}); a match run's preview on "
            f"http://{addr}/admin/match-preview/; Ctrl-C stops."
        )
        self.stdout.write(f"Steward login: steward / {steward.read_text().split()[1]}")
        call_command("runserver", addr, use_reloader=False)

    def _login(self, name: str, *, superuser: bool = False) -> Path:
        """A demo user with a generated password, kept in the data dir (readable by its owner only)."""
        credentials = settings.DATA_DIR / f"demo-{name}.txt"
        users = get_user_model().objects
        if not users.filter(username=name).exists() or not credentials.exists():
            password = secrets.token_urlsafe(12)
            user = users.filter(username=name).first() or (
                users.create_superuser(name, "", password) if superuser else users.create_user(name, "", password))
            user.set_password(password)
            user.save()
            credentials.write_text(f"{name} {password}\n")
            credentials.chmod(0o600)
        return credentials
