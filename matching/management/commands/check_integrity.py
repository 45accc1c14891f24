from django.core.management.base import BaseCommand, CommandError

from matching.integrity import run_checks
from mdm.integrity import LIMIT


class Command(BaseCommand):
    help = "Check the hub's invariants (history, change feed, golden-ID chains); exits 1 on a violation."

    def handle(self, *args, **options):
        failed = 0
        for name, problems in run_checks().items():
            if not problems:
                self.stdout.write(f"ok    {name}")
                continue
            failed += 1
            self.stdout.write(f"FAIL  {name}: {len(problems)} problem(s)")
            for problem in problems[:LIMIT]:
                self.stdout.write(f"      {problem}")
        if failed:
            raise CommandError(f"{failed} invariant(s) violated")
