import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm import audit


class Command(BaseCommand):
    help = ("Walk every history hash chain and name the first broken link of each; with "
            "--checkpoint, also check that the chain heads an earlier checkpoint exported are "
            "still in the history as recorded. Exit status 1 when anything does not hold.")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", type=Path, action="append", default=[],
                            help="a file written by `audit_checkpoint --out` (repeatable)")

    def handle(self, *args, **options):
        exported = [self._read(path) for path in options["checkpoint"]]
        heads, breaks = audit.chain_heads()
        for checkpoint in exported:
            breaks += audit.missing_heads(checkpoint)
        rows = audit.history_row_count()
        chains = sum(len(t) for t in heads.values())
        if breaks:
            for problem in breaks:
                self.stdout.write(f"BROKEN {problem}")
            raise CommandError(f"{len(breaks)} problem(s) in {chains} chains of {rows} history rows")
        self.stdout.write(f"ok: {chains} chains, {rows} history rows, "
                          f"{len(exported)} checkpoint(s) checked; heads digest {audit.heads_digest(heads)}")

    def _read(self, path: Path) -> audit.Heads:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            heads = {table: {key: (int(h[0]), str(h[1])) for key, h in chains.items()}
                     for table, chains in data["heads"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CommandError(f"{path}: not an audit checkpoint file ({exc})") from None
        if audit.heads_digest(heads) != data.get("digest"):
            raise CommandError(f"{path}: its heads do not match its own digest (the file was altered)")
        return heads
