"""Cal.com API v2 client: HTTP only, plain data in and out, one typed error out.

Reference: https://cal.com/docs/api-reference/v2/introduction (our notes and sources:
shared/contracts/calcom-api.md §1-§3 and §8). Every method returns the `data` part of Cal.com's
`{"status": "success", "data": ...}` envelope and raises an `IntegrationError` subclass for any
transport failure or status >= 400 (see integrations/calcom/errors.py). Nothing here retries:
`integrations.retry.call_with_retry` may wrap the reads, never `create_booking` (contract §3:
Cal.com has no idempotency key, so an ambiguous POST is looked up, not re-sent).

Logs name the method, the path *template* (booking uids are bearer-like secrets, contract §8.16),
the status, the duration and Cal.com's X-Request-Id; never the API key, query strings, bodies or
anything about the attendee.
"""

import logging
from datetime import UTC, datetime
from urllib.parse import quote

import requests

from integrations.calcom.errors import SERVICE, BookingConflict, BookingGone, error_from_response
from integrations.errors import TransientError
from integrations.http import JsonHttpClient

__all__ = ["SERVICE", "BookingConflict", "BookingGone", "CalcomClient", "error_from_response"]

logger = logging.getLogger("integrations.calcom")

DEFAULT_BASE_URL = "https://api.cal.com/v2"
# `cal-api-version` is per endpoint. A missing or unknown value is silently routed to 2024-04-15
# (another body, other filters); a valid but wrong one 404s (contract §1 "How v2 versioning works").
BOOKINGS_API_VERSION = "2024-08-13"  # https://cal.com/docs/api-reference/v2/bookings
SLOTS_API_VERSION = "2024-09-04"  # https://cal.com/docs/api-reference/v2/slots
EVENT_TYPES_API_VERSION = "2024-06-14"  # https://cal.com/docs/api-reference/v2/event-types
# The webhooks controller serves every version (contract §1 table); we send the bookings one.
WEBHOOKS_API_VERSION = BOOKINGS_API_VERSION  # https://cal.com/docs/api-reference/v2/webhooks

# CreateBookingInput_2024_08_13.metadata limits (contract §2.3).
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


class CalcomClient(JsonHttpClient):
    """One company's Cal.com account, reached with its API key."""

    service = SERVICE
    request_id_header = "X-Request-Id"
    logger = logger

    def __init__(self, *, api_key: str, base_url: str = DEFAULT_BASE_URL, **kwargs):
        super().__init__(api_key=api_key, base_url=base_url, **kwargs)

    def list_event_types(self) -> list[dict]:
        """The key owner's personal event types (team ones are not included, contract §2.1)."""
        return self._data("list_event_types", "GET", "/event-types", EVENT_TYPES_API_VERSION)

    def list_team_event_types(self, team_id: int) -> list[dict]:
        """A team's event types; book them by their own id (there is no `teamId` on bookings)."""
        path = f"/teams/{_id(team_id)}/event-types"
        return self._data(
            "list_team_event_types",
            "GET",
            path,
            EVENT_TYPES_API_VERSION,
            template="/teams/{team_id}/event-types",
        )

    def get_event_type(self, event_type_id: int) -> dict:
        path = f"/event-types/{_id(event_type_id)}"
        return self._data(
            "get_event_type", "GET", path, EVENT_TYPES_API_VERSION, template="/event-types/{event_type_id}"
        )

    # -- slots ------------------------------------------------------------------------------

    def get_slots(
        self,
        *,
        event_type_id: int,
        start: datetime,
        end: datetime,
        time_zone: str,
        duration: int | None = None,
        booking_uid_to_reschedule: str | None = None,
    ) -> dict[str, list[dict]]:
        """Free slots between `start` and `end`: {"YYYY-MM-DD": [{"start", "end"}, ...]}.

        The window goes out in UTC; `time_zone` only shapes the answer (date keys and offsets are
        in that zone, contract §2.2). `format=range` gives every slot its end. Days without a
        slot are absent.
        """
        window = {"start": utc_timestamp(start), "end": utc_timestamp(end)}  # refuses naive ones
        if end <= start:
            raise ValueError("end must be after start")
        params = {
            "eventTypeId": _id(event_type_id),
            **window,
            "timeZone": time_zone,
            "format": "range",
            "duration": duration,
            "bookingUidToReschedule": booking_uid_to_reschedule,
        }
        return self._data("get_slots", "GET", "/slots", SLOTS_API_VERSION, params=params)

    # -- bookings ---------------------------------------------------------------------------

    def create_booking(
        self,
        *,
        event_type_id: int,
        start: datetime,
        attendee: dict,
        metadata: dict[str, str] | None = None,
        length_in_minutes: int | None = None,
        booking_fields_responses: dict | None = None,
        location: dict | None = None,
    ) -> dict:
        """Book `start` (a start /v2/slots returned) and return the booking.

        Never retried here or by a generic retry: a TransientError with `request_sent=True` (or a
        BookingConflict) may mean it worked, so look it up first (contract §3). A recurring event
        type answers with a list of occurrences and we return the first; a seated one answers with
        one booking carrying `seatUid`, returned as is.
        """
        _check_attendee(attendee)
        body = {"start": utc_timestamp(start), "eventTypeId": _id(event_type_id), "attendee": attendee}
        if metadata is not None:
            _check_metadata(metadata)
            body["metadata"] = metadata
        optional = {
            "lengthInMinutes": length_in_minutes,
            "bookingFieldsResponses": booking_fields_responses,
            "location": location,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        data = self._data("create_booking", "POST", "/bookings", BOOKINGS_API_VERSION, body=body)
        return _one_booking(data)

    def get_booking(self, uid: str) -> dict:
        """One booking (the first occurrence when `uid` names a recurring series)."""
        data = self._data(
            "get_booking", "GET", f"/bookings/{_uid(uid)}", BOOKINGS_API_VERSION, template="/bookings/{uid}"
        )
        return _one_booking(data)

    def list_bookings(
        self,
        *,
        event_type_id: int | None = None,
        event_type_ids: list[int] | None = None,
        attendee_email: str | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        status: list[str] | None = None,
        take: int = 100,
        max_pages: int = 5,
    ) -> list[dict]:
        """Bookings matching every filter given, following pages up to `max_pages`."""
        if take < 1 or max_pages < 1:
            raise ValueError("take and max_pages must be at least 1")
        filters = {
            "eventTypeId": None if event_type_id is None else _id(event_type_id),
            "eventTypeIds": ",".join(str(_id(i)) for i in event_type_ids) if event_type_ids else None,
            "attendeeEmail": attendee_email,
            "afterStart": None if after_start is None else utc_timestamp(after_start),
            "beforeEnd": None if before_end is None else utc_timestamp(before_end),
            "status": ",".join(status) if status else None,
        }
        return self._all_pages(
            "list_bookings", "/bookings", BOOKINGS_API_VERSION, filters, take=take, max_pages=max_pages
        )

    def reschedule_booking(
        self,
        uid: str,
        *,
        start: datetime,
        reason: str | None = None,
        rescheduled_by: str | None = None,
    ) -> dict:
        """Move a booking to `start`. Cal.com answers with a *new* booking (new uid) that carries
        `rescheduledFromUid`; the old one is cancelled (contract §2.5)."""
        body = {"start": utc_timestamp(start)}
        if reason:
            body["reschedulingReason"] = reason
        if rescheduled_by:
            body["rescheduledBy"] = rescheduled_by
        data = self._data(
            "reschedule_booking",
            "POST",
            f"/bookings/{_uid(uid)}/reschedule",
            BOOKINGS_API_VERSION,
            body=body,
            template="/bookings/{uid}/reschedule",
        )
        return _one_booking(data)

    def cancel_booking(self, uid: str, *, reason: str) -> dict:
        """Cancel a booking. The reason is required: our key is the host's, and Cal.com refuses a
        host cancellation without one (contract §2.6)."""
        if not reason or not reason.strip():
            raise ValueError("a cancellation reason is required")
        data = self._data(
            "cancel_booking",
            "POST",
            f"/bookings/{_uid(uid)}/cancel",
            BOOKINGS_API_VERSION,
            body={"cancellationReason": reason},
            template="/bookings/{uid}/cancel",
        )
        return _one_booking(data)

    # -- webhooks (subscriptions of the key's user) ---------------------------------------------

    def list_webhooks(self, *, take: int = 100, max_pages: int = 5) -> list[dict]:
        """The key owner's webhook subscriptions (UserWebhookOutputDto; contract §5)."""
        webhooks: list[dict] = []
        for page in range(max_pages):
            params = {"take": take, "skip": page * take}
            batch = self._data("list_webhooks", "GET", "/webhooks", WEBHOOKS_API_VERSION, params=params)
            webhooks.extend(batch)
            if len(batch) < take:
                return webhooks
        return webhooks

    def create_webhook(
        self, *, subscriber_url: str, triggers: list[str], secret: str, active: bool = True
    ) -> dict:
        """Subscribe `subscriber_url` to `triggers`; Cal.com signs each delivery with `secret`
        (X-Cal-Signature-256). A second one for the same URL is a 409 (contract §5)."""
        body = {"active": active, "subscriberUrl": subscriber_url, "triggers": triggers, "secret": secret}
        return self._data("create_webhook", "POST", "/webhooks", WEBHOOKS_API_VERSION, body=body)

    def update_webhook(self, webhook_id: str, **fields) -> dict:
        """Change a subscription: `subscriber_url`, `triggers`, `secret`, `active`. Ids are uuid
        strings, whatever the OpenAPI says (Cal.com's webhooks e2e spec expects a string)."""
        names = {
            "subscriber_url": "subscriberUrl",
            "triggers": "triggers",
            "secret": "secret",
            "active": "active",
        }
        body = {names[name]: value for name, value in fields.items()}
        path = f"/webhooks/{_uid(str(webhook_id))}"
        return self._data(
            "update_webhook",
            "PATCH",
            path,
            WEBHOOKS_API_VERSION,
            body=body,
            template="/webhooks/{webhook_id}",
        )

    # -- transport --------------------------------------------------------------------------

    def _all_pages(
        self, name: str, path: str, version: str, params: dict, *, take: int, max_pages: int
    ) -> list[dict]:
        """Every item of a paginated list, following `pagination.hasNextPage` (PaginationMetaDto,
        contract §2.4) for at most `max_pages` pages."""
        items: list[dict] = []
        for page in range(max_pages):
            page_params = {**params, "take": take, "skip": page * take}
            envelope = self._call(name, "GET", path, version, params=page_params)
            items.extend(envelope["data"])
            if not (envelope.get("pagination") or {}).get("hasNextPage"):
                return items
        logger.warning("calcom %s stopped after %d pages; more items match", name, max_pages)
        return items

    def _data(self, name: str, method: str, path: str, version: str, **kwargs):
        return self._call(name, method, path, version, **kwargs)["data"]

    def _call(
        self,
        name: str,
        method: str,
        path: str,
        version: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        template: str | None = None,
    ) -> dict:
        """Send one request; return the whole success envelope or raise a typed error."""
        params = {key: value for key, value in (params or {}).items() if value is not None}
        return self._exchange(
            name,
            method,
            path,
            template or path,
            read=_envelope,
            params=params,
            body=body,
            headers=self._headers(**{"cal-api-version": version}),
        )


def utc_timestamp(value: datetime) -> str:
    """`value` as the UTC ISO 8601 string Cal.com expects, e.g. "2026-12-01T09:00:00Z".

    Cal.com reads every time it is sent as UTC (contract §2.2, §2.3, §8.2), so a naive datetime
    would be silently misread: refuse it. Sub-second precision is dropped (slots are whole
    minutes).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Cal.com needs an aware datetime (with a time zone), got a naive one")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(response: requests.Response) -> dict:
    if not response.ok:
        raise error_from_response(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "data" not in body:
        # A 2xx we cannot read (a proxy page, a truncated body): Cal.com may have acted.
        raise TransientError(
            f"Cal.com answered {response.status_code} without a JSON data envelope",
            service=SERVICE,
            status=response.status_code,
            request_sent=True,
            request_id=response.headers.get("X-Request-Id", ""),
        )
    return body


def _one_booking(data) -> dict:
    """A booking from a booking answer that may be a list (a recurring series, contract §8.17)."""
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        raise TransientError("Cal.com answered without a booking", service=SERVICE)
    return data


def _id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer id, got {value!r}")
    return value


def _uid(uid: str) -> str:
    if not isinstance(uid, str) or not uid.strip():
        raise ValueError("a booking uid is required")
    return quote(uid, safe="")  # a uid is a path segment, never a path


def _check_attendee(attendee: dict) -> None:
    """CreateBookingAttendee requires name and timeZone (contract §2.3); values stay unlogged."""
    missing = [key for key in ("name", "timeZone") if not attendee.get(key)]
    if missing:
        raise ValueError(f"attendee is missing {', '.join(missing)}")


def _check_metadata(metadata: dict[str, str]) -> None:
    """Cal.com's metadata limits, checked before sending (contract §2.3). Values never appear in
    the message: they may identify the caller."""
    if len(metadata) > METADATA_MAX_KEYS:
        raise ValueError(f"metadata has {len(metadata)} keys; Cal.com allows {METADATA_MAX_KEYS}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"metadata keys must be non-empty strings, got {key!r}")
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise ValueError(f"metadata key {key!r} is longer than {METADATA_MAX_KEY_LENGTH}")
        if not isinstance(value, str):
            raise ValueError(f"metadata value for {key!r} must be a string")
        if len(value) > METADATA_MAX_VALUE_LENGTH:
            raise ValueError(f"metadata value for {key!r} is longer than {METADATA_MAX_VALUE_LENGTH}")
