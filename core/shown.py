"""How a moment is shown to staff: on the branch's wall clock, in the active language's format,
with its zone named. The one rule for times in admin, the dashboard and the lists."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.formats import date_format


def shown_local(moment: datetime | None, zone_name: str) -> str:
    """'05.12.2026 09:30 CET' in German, 'Dec. 5, 2026, 9:30 a.m. CET' in English; '' for none."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def shown_duration(milliseconds: int | None) -> str:
    """A call's length as mm:ss (h:mm:ss from an hour on); '' when unknown."""
    if milliseconds is None:
        return ""
    minutes, seconds = divmod(round(milliseconds / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
