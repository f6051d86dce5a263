from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from telephony.models import WebhookEvent, WebhookEventStatus
from telephony.services import webhook_event_process


class Command(BaseCommand):
    help = "Process stored Retell webhook events again (idempotent): --failed, --id N, --since ISO."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="only failed events")
        parser.add_argument("--id", type=int, help="only this event")
        parser.add_argument("--since", help="only events received at or after this ISO date-time")
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, *args, **options):
        events = WebhookEvent.objects.order_by("received_at")
        if options["id"]:
            events = events.filter(pk=options["id"])
        if options["failed"]:
            events = events.filter(status=WebhookEventStatus.FAILED)
        if options["since"]:
            since = parse_datetime(options["since"])
            if since is None:
                raise CommandError(f"--since {options['since']!r} is not an ISO date-time.")
            events = events.filter(received_at__gte=since)
        failures = 0
        for event in events:
            if options["dry_run"]:
                self.stdout.write(f"would replay {event.pk}: {event.event} {event.call_id} ({event.status})")
                continue
            result = webhook_event_process(event_id=event.pk, include_failed=True)
            failures += not result.get("success")
            self.stdout.write(f"{event.pk} {event.event} {event.call_id}: {result.get('message')}")
        self.stdout.write(f"{events.count()} events {'listed' if options['dry_run'] else 'replayed'}.")
        if failures:
            raise CommandError(f"{failures} events did not succeed.")
