import time
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from booking.models import AppointmentSource
from booking.selectors import upcoming_appointments_for_phone
from booking.services import BookingError, appointment_cancel
from companies.commands import company_for_command
from companies.demo import next_weekday
from telephony.models import Call, WebhookEvent, WebhookEventStatus
from telephony.simulation import CALLER, demo_call_events, post_signed

REPLACED_REASON = "Replaced by a new simulated call"
# Events the worker has not looked at yet; any other status is an outcome we can report.
UNSEEN = (WebhookEventStatus.RECEIVED, WebhookEventStatus.PROCESSING)


class Command(BaseCommand):
    help = (
        "Post a signed call_started, call_ended and call_analyzed for a company to a running server "
        "and report what the worker booked. The simulated caller keeps one appointment: a run first "
        "cancels what earlier simulated calls left, so it can run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", default="demo", help="company slug (default: demo)")
        parser.add_argument(
            "--base-url",
            "--url",
            dest="base_url",
            help="where AskPro runs (default: PUBLIC_BASE_URL; `make run` prints the one it serves)",
        )
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: next weekday)")
        parser.add_argument("--time", default="11:00", help="HH:MM in the branch's time zone")
        parser.add_argument("--name", default="Jana Caller")
        parser.add_argument("--email", default="jana.caller@example.com")
        parser.add_argument(
            "--wait",
            type=float,
            default=15,
            metavar="SECONDS",
            help="how long to wait for the worker to process the call (default 15; 0: do not wait)",
        )

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        if not company.retell_api_key:
            raise CommandError(f"No company {options['company']!r} with a Retell key.")
        number = company.phone_numbers.filter(is_active=True).values_list("number", flat=True).first()
        if number is None:
            raise CommandError("The company has no active phone number.")
        self._cancel_earlier_simulations(company)
        events = demo_call_events(
            to_number=number,
            day=options["date"] or next_weekday(),
            at=options["time"],
            name=options["name"],
            email=options["email"],
        )
        base_url = (options["base_url"] or settings.PUBLIC_BASE_URL).rstrip("/")
        self._post(f"{base_url}/api/retell/webhook/{company.webhook_key}", events, company)
        call_id = events[0]["call"]["call_id"]
        self.stdout.write(f"Call {call_id} sent.")
        if options["wait"] > 0:
            self._report(company, call_id, len(events), options["wait"])

    def _cancel_earlier_simulations(self, company):
        """Free the simulated caller's slot, so a second run books the same time again instead of
        failing as taken and each run does not leave one more appointment behind."""
        for appointment in upcoming_appointments_for_phone(company=company, phone=CALLER):
            try:
                appointment_cancel(
                    company=company,
                    appointment=appointment,
                    reason=REPLACED_REASON,
                    source=AppointmentSource.ADMIN,
                )
            except BookingError as exc:
                self.stderr.write(f"Could not cancel appointment #{appointment.pk}: {exc.message}")
                continue
            self.stdout.write(f"Cancelled appointment #{appointment.pk} of an earlier simulated call.")

    def _post(self, url: str, events: list[dict], company):
        for payload in events:
            response = post_signed(url, payload, company.retell_api_key.reveal())
            self.stdout.write(f"{payload['event']}: HTTP {response.status_code}")
            if response.status_code >= 300:
                raise CommandError(f"{payload['event']} was refused: {response.text[:200]}")

    def _report(self, company, call_id: str, expected: int, seconds: float):
        events = WebhookEvent.objects.filter(company=company, call_id=call_id)
        if not _processed_in_time(events, expected, seconds):
            self.stdout.write(
                self.style.WARNING(
                    f"Not processed within {seconds:g} s: is the worker (manage.py qcluster) "
                    "running? The call shows in admin once it ran."
                )
            )
            return
        call = Call.objects.filter(company=company, retell_call_id=call_id).first()
        for appointment in call.appointments.select_related("branch") if call else ():
            local = appointment.start.astimezone(ZoneInfo(appointment.branch.effective_timezone))
            said = f"Appointment #{appointment.pk}: {appointment.status}, {local:%Y-%m-%d %H:%M %Z}"
            self.stdout.write(self.style.SUCCESS(said))
        for event in events.exclude(status=WebhookEventStatus.PROCESSED):
            said = f"{event.event}: {event.get_status_display()}: {event.last_error}"
            self.stdout.write(self.style.ERROR(said))


def _processed_in_time(events, expected: int, seconds: float) -> bool:
    """Whether the worker took up all `expected` events within `seconds`."""
    deadline = time.monotonic() + seconds
    while events.count() < expected or events.filter(status__in=UNSEEN).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True
