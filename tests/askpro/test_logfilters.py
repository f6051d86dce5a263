"""The log filters: numbers and addresses masked wherever a line comes from, everything an
operator reads a line for (ids, times, counts, durations) left as it was, and the configured
logging sending every logger's lines through them."""

import logging
import sys

import pytest

from askpro.logfilters import MaskPersonalData, RedactWebhookKeys, mask_personal_data, redact_keys
from tests.console_log import console_lines

PHONE = "+4915112345678"


@pytest.mark.parametrize(
    ("line", "masked_line"),
    [
        ("to +4915112345678 sent", "to +49*********78 sent"),
        ("from '+4915112345678'", "from '+49*********78'"),
        ('{"from_number":"+4915112345678"}', '{"from_number":"+49*********78"}'),
        ("tel:+4915112345678.", "tel:+49*********78."),
        ("+49 151 12345678", "+49*********78"),
        ("+49-151-123 456 78", "+49*********78"),
        ("+49 (0)151 12345678", "+49*********78"),
        ("0049 151 12345678", "+49*********78"),
        ("4915112345678", "+49*********78"),
        ("call me: 015112345678", "call me: 0*********78"),
        ("0151 12345678", "0*********78"),
        ("0151/123 456-78", "0*********78"),
        ("030 1234567", "0*******67"),
        ("+14155550123", "+1********23"),
        ("+41 44 668 18 00", "+41*******00"),
        # urllib3's DEBUG line for a GET with the caller in its query string
        ('"GET /v2/x?phone=%2B4915112345678 HTTP/1.1" 200', '"GET /v2/x?phone=+49*********78 HTTP/1.1" 200'),
        ("jana.caller@example.com", "j***@***.com"),
        ("Jana <jana.caller@mail.example.de>", "Jana <j***@***.de>"),
        ("attendeeEmail=jana.caller%40example.com&take=100", "attendeeEmail=j***@***.com&take=100"),
        ("4915112345678@sms.cal.com", "4***@***.com"),  # Cal.com's address for a phone-only attendee
        (
            "DETAIL:  Key (company_id, phone)=(7, +4915112345678) already exists.",
            "DETAIL:  Key (company_id, phone)=(7, +49*********78) already exists.",
        ),
    ],
)
def test_numbers_and_addresses_are_masked(line, masked_line):
    assert mask_personal_data(line) == masked_line


@pytest.mark.parametrize(
    "line",
    [
        "call call_7c1e9a4b2d6f3a8e5b0c1d7f4a processed",  # Retell's call id
        "agent_9f3c2a7d1e5b4c8a6d0e2f4b1a version 3",
        "booking 9001 uid bk_3fY7qLm2, uid gA8mJ3mQdQ5XbP2Ka7H9Ls",  # Cal.com's ids
        "event 12345678-0123-4567-8901-234567890123",  # a uuid whose groups are digits
        "[cid=4f2c0a9d8e7b6a5c4d3e2f1a0b9c8d7e] webhook-event-12",  # correlation ids
        "2026-12-05 10:00:00,123 start 2026-12-08T10:00:00.000+01:00 end 2026-12-08T09:30:00Z",
        "start_timestamp=1703302407333 end 1733400000",  # epoch milliseconds and seconds
        "-> 201 in 312 ms, retrying in 1.07 s, took 0.0123456789 s",
        "127.0.0.1:5432, redis://127.0.0.1:6379/12",
        "GET /v2/bookings/0123456789/cancel",  # a path segment
        "05/12/2026 and 05.12.2026",
        "re-queued 12 WebhookEvent rows; pruned 1500 rows older than 30 days",
        "25 queries, bigint 9223372036854775807",
        "SMfedcba9876543210fedcba9876543210",  # Twilio's message sid
        "+49*********78 and j***@***.com",  # masked already
        "noreply@localhost",  # no domain an address could be reached at
    ],
)
def test_what_an_operator_reads_a_line_for_stays(line):
    assert mask_personal_data(line) == line


def test_a_number_alone_keeps_its_country_code_and_last_two_digits():
    """The shape log sites use for a number of their own (notifications.senders) as well."""
    assert mask_personal_data("+4915112345678") == "+49*********78"
    assert mask_personal_data("+14155550123") == "+1********23"
    assert mask_personal_data("12") == "12"  # too short to be anyone's number


def _record(msg, *args, exc_info=None, stack_info=None) -> logging.LogRecord:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, exc_info)
    record.stack_info = stack_info
    return record


def test_the_filter_masks_the_formatted_message_and_passes_every_record():
    record = _record("notification to %s (%s) failed: %d", PHONE, "jana.caller@example.com", 3)
    assert MaskPersonalData().filter(record) is True
    assert record.getMessage() == "notification to +49*********78 (j***@***.com) failed: 3"


def test_a_traceback_and_a_stack_are_masked():
    try:
        raise ValueError(f"no customer {PHONE}")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info(), stack_info=f"Stack:\n  lookup('{PHONE}')")
    MaskPersonalData().filter(record)
    written = logging.Formatter().format(record)
    assert PHONE not in written
    assert "ValueError: no customer +49*********78" in written and "lookup('+49*********78')" in written


def test_arguments_that_do_not_fit_are_left_to_the_handler():
    record = _record("two: %s %s", "only one")
    assert MaskPersonalData().filter(record) is True  # no exception escapes into the caller
    assert record.msg == "two: %s %s"


@pytest.mark.parametrize(
    "path", ["/api/retell/webhook/", "/api/retell/inbound/", "/api/retell/functions/", "/api/calcom/webhook/"]
)
def test_webhook_keys_are_redacted_in_every_url_that_carries_one(path):
    assert redact_keys(f"Unauthorized: {path}AbC123-_xyz") == f"Unauthorized: {path}<key>"
    record = _record("Unauthorized: %s", f"{path}AbC123-_xyz")
    RedactWebhookKeys().filter(record)
    assert record.getMessage() == f"Unauthorized: {path}<key>"


def _handlers_of_every_logger() -> set[logging.Handler]:
    loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]
    found = {handler for logger in loggers for handler in getattr(logger, "handlers", [])}
    # pytest's own capture handlers are not ours; a NullHandler writes nothing.
    return {
        handler
        for handler in found
        if not type(handler).__module__.startswith("_pytest") and not isinstance(handler, logging.NullHandler)
    }


def test_every_handler_that_writes_carries_both_filters():
    handlers = _handlers_of_every_logger()
    assert handlers, "logging is configured"
    for handler in handlers:
        kinds = {type(f) for f in handler.filters}
        assert {RedactWebhookKeys, MaskPersonalData} <= kinds, handler


@pytest.mark.parametrize("logger", ["django.server", "django.request", "urllib3.connectionpool", "django-q"])
def test_third_party_lines_leave_through_the_filters(logger):
    with console_lines() as lines:
        logging.getLogger(logger).warning('"GET /api/calcom/webhook/AbC123?phone=%s HTTP/1.1" 200', PHONE)
    [line] = lines()
    assert f" {logger} " in line
    assert line.endswith('"GET /api/calcom/webhook/<key>?phone=+49*********78 HTTP/1.1" 200')


def test_an_exception_logged_anywhere_is_written_masked():
    with console_lines() as lines:
        try:
            raise RuntimeError(f"Cal.com answered: attendee jana.caller@example.com ({PHONE}) is blocked")
        except RuntimeError:
            logging.getLogger("askpro.work").exception("BookingRequest 7 failed permanently")
    written = "\n".join(lines())
    assert "BookingRequest 7 failed permanently" in written and "Traceback" in written
    assert "attendee j***@***.com (+49*********78) is blocked" in written
    assert PHONE not in written and "jana.caller" not in written
