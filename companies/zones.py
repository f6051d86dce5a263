"""Time zones staff choose from: the European ones first (where our customers are), then all."""

import zoneinfo
from functools import lru_cache

FIRST = ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich")


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone))


def timezone_choices() -> list[tuple[str, str]]:
    europe = [zone for zone in _all_zones() if zone.startswith("Europe/") and zone not in FIRST]
    rest = [zone for zone in _all_zones() if not zone.startswith("Europe/")]
    return [(zone, zone) for zone in (*FIRST, *europe, *rest)]
