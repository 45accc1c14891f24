import time

from django.core.management.base import BaseCommand, CommandError

from api.relay import EXCHANGE, RabbitPublisher, relay_publish


class Command(BaseCommand):
    help = ("Publish the change feed to RabbitMQ (a topic exchange, routing key <domain>.<kind>), in "
            "order and resumable; runs until stopped, or once with --once.")

    def add_arguments(self, parser):
        parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2F", help="the broker (AMQP URL)")
        parser.add_argument("--exchange", default=EXCHANGE)
        parser.add_argument("--name", default="rabbitmq", help="the relay's name: its position is kept under it")
        parser.add_argument("--unmasked", action="store_true", help="publish sensitive attributes unmasked")
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, **options):
        try:
            publisher = RabbitPublisher(options["url"], options["exchange"])
        except Exception as exc:  # pika's connection errors have no common base worth naming
            raise CommandError(f"cannot reach the broker at {options['url']}: {exc}") from None
        try:
            while True:
                count = relay_publish(publisher, name=options["name"], unmasked=options["unmasked"])
                if count and options["verbosity"] > 1:
                    self.stdout.write(f"published {count}")
                if options["once"]:
                    return
                time.sleep(options["interval"])
        finally:
            publisher.close()
