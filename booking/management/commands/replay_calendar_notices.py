from django.core.management.base import BaseCommand, CommandError

from booking.models import CalendarNotice, WorkStatus
from booking.notices import calendar_notice_process


class Command(BaseCommand):
    help = "Process stored Cal.com booking webhooks again (waiting ones; --failed or --id: failed too)."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, help="this notice only")
        parser.add_argument("--failed", action="store_true", help="failed notices too")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be processed")

    def handle(self, *args, **options):
        statuses = [WorkStatus.RECEIVED, WorkStatus.RETRYING]
        if options["failed"] or options["id"]:
            statuses.append(WorkStatus.FAILED)
        notices = CalendarNotice.objects.filter(status__in=statuses).order_by("pk")
        if options["id"]:
            notices = CalendarNotice.objects.filter(pk=options["id"])
            if not notices.exists():
                raise CommandError(f"No calendar notice {options['id']}.")
        failures = 0
        for notice in notices:
            if options["dry_run"]:
                self.stdout.write(f"would process {notice}")
                continue
            result = calendar_notice_process(notice_id=notice.pk, include_failed=True)
            failures += not result.get("success")
            self.stdout.write(f"{notice.trigger} {notice.booking_uid}: {result.get('message')}")
        if failures:
            raise CommandError(f"{failures} notices did not succeed.")
