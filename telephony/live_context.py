"""Who is calling whom during a live call: resolved once per function request."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from booking.services import BookingError, ErrorType
from companies.models import Branch, Company
from companies.validators import normalize_e164
from core import clock
from telephony.call_branch import call_branch
from telephony.events import caller_number
from telephony.spoken_when import WishError, parse_spoken_date, parse_time


@dataclass(frozen=True)
class LiveContext:
    company: Company
    branch: Branch | None  # None: the dialed number is unknown, inactive or has no branch
    call_id: str
    caller_phone: str  # E.164, or "" for anonymous callers
    language: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.branch.effective_timezone if self.branch else self.company.timezone)

    def today(self) -> date:
        return clock.today_in(self.tz)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def day(self, text) -> date:
        """'2026-12-01', 'morgen', 'nächsten Dienstag', 'am 3. Dezember' -> a date in the branch's
        calendar, relative ones counted from the branch's today (telephony.spoken_when)."""
        with _unreadable_is_invalid():
            return parse_spoken_date(text, today=self.today())

    def wall_clock(self, day_text, time_text) -> datetime:
        """A naive local date-time; the booking service reads it in the branch's time zone."""
        day = self.day(day_text)
        with _unreadable_is_invalid():
            return datetime.combine(day, parse_time(time_text))


@contextmanager
def _unreadable_is_invalid():
    """What the agent collected cannot be read: the services' validation error, naming the field
    ("date" or "time"), so the caller hears which one to say again."""
    try:
        yield
    except WishError as exc:
        raise BookingError(ErrorType.VALIDATION, str(exc), fields=(exc.field,)) from exc


def live_context(company: Company, call: dict) -> LiveContext:
    branch = call_branch(company, call)
    if branch is not None:
        branch.company = company  # already loaded: the services read it without another query
    try:
        caller = normalize_e164(caller_number(call))
    except ValidationError:
        caller = ""
    language = branch.effective_language if branch else company.language
    return LiveContext(
        company=company,
        branch=branch,
        call_id=str(call.get("call_id", "")),
        caller_phone=caller,
        language=language,
    )
