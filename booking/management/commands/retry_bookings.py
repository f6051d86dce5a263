from django.core.management.base import BaseCommand, CommandError

from booking.create import booking_request_retry
from booking.models import BookingRequest
from booking.requests import booking_requests_due


class Command(BaseCommand):
    help = "Retry booking requests that wait for a retry (or one by --id, also a failed one)."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, help="retry this booking request, even if it failed")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be retried")

    def handle(self, *args, **options):
        ids = [options["id"]] if options["id"] else booking_requests_due()
        if options["id"] and not BookingRequest.objects.filter(pk=options["id"]).exists():
            raise CommandError(f"No booking request {options['id']}.")
        failures = 0
        for request_id in ids:
            if options["dry_run"]:
                self.stdout.write(f"would retry booking request {request_id}")
                continue
            result = booking_request_retry(request_id=request_id, include_failed=bool(options["id"]))
            failures += not result.get("success")
            self.stdout.write(f"booking request {request_id}: {result.get('message')}")
        self.stdout.write(f"{len(ids)} booking requests {'listed' if options['dry_run'] else 'retried'}.")
        if failures:
            raise CommandError(f"{failures} booking requests did not succeed.")
