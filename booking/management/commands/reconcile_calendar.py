from django.core.management.base import BaseCommand, CommandError

from booking.reconcile import calendar_reconcile
from booking.services import BookingError
from companies.commands import company_for_command


class Command(BaseCommand):
    help = "Make a company's appointments agree with its Cal.com bookings, and say what changed."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--dry-run", action="store_true", help="only say what would change")
        parser.add_argument("--days-back", type=int, default=1)
        parser.add_argument("--days-ahead", type=int, help="default: CALENDAR_RECONCILE_DAYS_AHEAD")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        if options["days_back"] < 0 or (options["days_ahead"] is not None and options["days_ahead"] < 0):
            raise CommandError("--days-back and --days-ahead cannot be negative.")
        try:
            report = calendar_reconcile(
                company=company,
                days_back=options["days_back"],
                days_ahead=options["days_ahead"],
                dry_run=options["dry_run"],
            )
        except BookingError as exc:
            raise CommandError(f"{company.slug}: {exc.message}") from exc
        for repair in report.repairs:
            target = f"appointment {repair.appointment_id}" if repair.appointment_id else "a new appointment"
            self.stdout.write(f"{repair.change:>16}  {repair.uid}  {target}")
        self.stdout.write(f"{company.slug}: {report.summary()}")
