import getpass
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm.errors import MdmError
from mdm.history import Change
from mdm.services.audit import audit_checkpoint_create


class Command(BaseCommand):
    help = ("Record a checkpoint of every history chain's head and write the heads to a file "
            "to keep outside the hub (verify it later with `verify_audit --checkpoint FILE`).")

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="the checkpoint file to write")

    def handle(self, *args, **options):
        out: Path = options["out"]
        if out.exists():
            raise CommandError(f"{out} exists: a checkpoint file is never overwritten")
        try:
            checkpoint, heads = audit_checkpoint_create(
                change=Change(actor=f"cli:{getpass.getuser()}", reason="audit_checkpoint"))
        except MdmError as exc:
            raise CommandError(exc.message) from None
        document = {
            "created_at": checkpoint.created_at.isoformat(),
            "digest": checkpoint.digest,
            "chains": checkpoint.chains,
            "rows": checkpoint.rows,
            "heads": {table: {key: list(head) for key, head in chains.items()}
                      for table, chains in heads.items()},
        }
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False)
        self.stdout.write(f"checkpoint {checkpoint.digest} ({checkpoint.chains} chains, "
                          f"{checkpoint.rows} history rows) written to {out}")
