"""What a practice or its customer does in Cal.com itself, against the local sandbox: a booking
made on Cal.com's booking page, or a booking cancelled there. The sandbox then sends its signed
webhook to AskPro (once the company's webhooks are connected), and the change shows in admin.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from django.core.management.base import BaseCommand, CommandError

from booking.models import Appointment
from booking.scope import BOOKABLE_BRANCH
from companies.commands import company_for_command
from companies.demo import next_weekday
from core.public_url import is_loopback
from integrations.calcom.client import BOOKINGS_API_VERSION, SLOTS_API_VERSION, utc_timestamp


class Command(BaseCommand):
    help = "Book or cancel in the local Cal.com sandbox as Cal.com's own pages would (no AskPro involved)."

    def add_arguments(self, parser):
        parser.add_argument("--company", default="demo", help="company slug (default: demo)")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--book", action="store_true", help="book the first free time of --date")
        action.add_argument("--cancel", metavar="UID_OR_ID", help="a Cal.com uid or our appointment id")
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: next weekday)")
        parser.add_argument("--name", default="Mara Online")
        parser.add_argument("--phone", default="+4915798765432")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        if not is_loopback(company.calcom_base_url):
            raise CommandError("This acts on the local sandbox only; the company books in a real Cal.com.")
        base = company.calcom_base_url.rstrip("/")
        if options["book"]:
            self._book(company, base, options)
        else:
            self._cancel(company, base, options["cancel"])

    def _book(self, company, base: str, options) -> None:
        branch = company.branches.filter(BOOKABLE_BRANCH).first()
        if branch is None:
            raise CommandError("The company has no branch that books.")
        tz = ZoneInfo(branch.effective_timezone)
        day = options["date"] or next_weekday()
        first = datetime.combine(day, time.min, tzinfo=tz)
        slots = _call(
            "GET",
            f"{base}/slots",
            SLOTS_API_VERSION,
            params={
                "eventTypeId": branch.calcom_event_type_id,
                "start": utc_timestamp(first),
                "end": utc_timestamp(first + timedelta(days=1)),
                "timeZone": branch.effective_timezone,
            },
        )
        starts = [slot["start"] for day_slots in slots.values() for slot in day_slots]
        if not starts:
            raise CommandError(f"Nothing is free on {day}.")
        attendee = {
            "name": options["name"],
            "phoneNumber": options["phone"],
            "timeZone": branch.effective_timezone,
        }
        body = {"start": starts[0], "eventTypeId": branch.calcom_event_type_id, "attendee": attendee}
        made = _call("POST", f"{base}/bookings", BOOKINGS_API_VERSION, json=body)
        self.stdout.write(f"Booked in Cal.com: {made['uid']} at {made['start']} for {options['name']}.")

    def _cancel(self, company, base: str, reference: str) -> None:
        appointment = (
            Appointment.objects.filter(company=company, pk=int(reference)).first()
            if reference.isdigit()
            else None
        )
        uid = appointment.calcom_booking_uid if appointment else reference
        body = {"cancellationReason": "Cancelled in Cal.com (simulated)"}
        _call("POST", f"{base}/bookings/{uid}/cancel", BOOKINGS_API_VERSION, json=body)
        self.stdout.write(f"Cancelled in Cal.com: {uid}.")


def _call(method: str, url: str, version: str, **kwargs):
    """Anonymous, like Cal.com's own booking pages."""
    response = requests.request(method, url, headers={"cal-api-version": version}, timeout=10, **kwargs)
    if response.status_code >= 300:
        raise CommandError(f"The sandbox answered {response.status_code}: {response.text[:300]}")
    return response.json()["data"]
