import time

from django.core.management.base import BaseCommand

from api.webhooks import webhook_deliver_due


class Command(BaseCommand):
    help = ("Deliver the change feed to webhook subscriptions: queue new events, attempt every due "
            "delivery (signed, retried with backoff, logged). Runs until stopped, or once with --once.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then stop")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")

    def handle(self, *args, **options):
        while True:
            attempts = webhook_deliver_due()
            if attempts and options["verbosity"] > 1:
                self.stdout.write(f"{attempts} attempt(s)")
            if options["once"]:
                return
            time.sleep(options["interval"])
