from django.core.management.base import BaseCommand, CommandError

from sandbox.schedule import SandboxCalendar
from sandbox.server import DEFAULT_HANG_SECONDS, DEFAULT_RATE_LIMIT, SandboxServer


class Command(BaseCommand):
    help = (
        "Run the local Cal.com API v2 sandbox (event types, slots, bookings in memory) until "
        "interrupted; booking changes go out as Cal.com webhooks to the subscribed URLs. The demo "
        "tenant books against http://127.0.0.1:8025/v2."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--api-key", default=None, help="Only this bearer key is accepted (default: any key)."
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=DEFAULT_RATE_LIMIT,
            help="Requests per key and minute before 429 (0 disables).",
        )
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="Fraction of requests answered 500."
        )
        parser.add_argument("--latency-ms", type=int, default=0, help="Delay added to every response.")
        parser.add_argument(
            "--create-then-timeout-rate",
            type=float,
            default=0.0,
            help="Fraction of POST /v2/bookings that book, then hang.",
        )
        parser.add_argument(
            "--hang-seconds",
            type=float,
            default=DEFAULT_HANG_SECONDS,
            help="How long such a create hangs before answering.",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Seed for booking uids and fault draws (repeatable runs)."
        )
        parser.add_argument(
            "--webhook-url",
            default=None,
            help="Subscribe this URL to every booking webhook at start (POST /v2/webhooks does the same).",
        )
        parser.add_argument(
            "--webhook-secret", default=None, help="Secret that signs those webhooks (X-Cal-Signature-256)."
        )

    def handle(self, *args, **options):
        try:
            server = SandboxServer(
                host=options["host"],
                port=options["port"],
                api_key=options["api_key"],
                rate_limit=options["rate_limit"] or None,
                error_rate=options["error_rate"],
                latency_ms=options["latency_ms"],
                create_then_timeout_rate=options["create_then_timeout_rate"],
                hang_seconds=options["hang_seconds"],
                seed=options["seed"],
                log=self.stdout.write,
            )
        except (ValueError, OSError) as exc:
            raise CommandError(f"Cannot start the sandbox: {exc}") from exc
        if options["webhook_url"]:
            server.webhooks.subscribe(options["webhook_url"], secret=options["webhook_secret"])
        self._describe(server, options)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            server.stop()

    def _describe(self, server: SandboxServer, options: dict) -> None:
        calendar: SandboxCalendar = server.calendar
        self.stdout.write(self.style.SUCCESS(f"Cal.com sandbox on {server.base_url}"))
        auth = "only the --api-key" if options["api_key"] else "any bearer key"
        self.stdout.write(f"Auth: {auth}. Rate limit: {options['rate_limit'] or 'off'}/min.")
        for event_type in calendar.event_types:
            team = f" team {event_type.team.id}" if event_type.team else ""
            confirm = ", needs confirmation" if event_type.requires_confirmation else ""
            self.stdout.write(
                f"  event type {event_type.id} {event_type.title!r} {event_type.length} min{team}{confirm}"
            )
        for subscription in server.webhooks.store.list():
            signed = "signed" if subscription["secret"] else "unsigned"
            triggers = ", ".join(subscription["triggers"])
            self.stdout.write(f"Webhooks ({signed}) to {subscription['subscriberUrl']}: {triggers}")
        self.stdout.write(
            f"Faults: error rate {options['error_rate']}, latency {options['latency_ms']} ms, "
            f"create-then-timeout rate {options['create_then_timeout_rate']} "
            f"(hang {options['hang_seconds']} s). Ctrl-C stops; bookings are not kept."
        )
