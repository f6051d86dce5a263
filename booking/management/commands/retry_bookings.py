from django.core.management.base import BaseCommand, CommandError

from booking.models import BookingRequest
from booking.requests import booking_requests_due
from booking.services import BookingError, booking_request_retry


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
            request = BookingRequest.objects.get(pk=request_id)
            try:
                message = booking_request_retry(
                    booking_request=request, include_failed=bool(options["id"])
                ).message
            except BookingError as exc:
                message, failures = exc.message, failures + 1
            self.stdout.write(f"booking request {request_id}: {message}")
        self.stdout.write(f"{len(ids)} booking requests {'listed' if options['dry_run'] else 'retried'}.")
        if failures:
            raise CommandError(f"{failures} booking requests did not succeed.")
