"""Logging filters: what a log line must never carry, and how often an outage may repeat itself.

- Company webhook keys sit in our Retell and Cal.com URLs; Django's own request log lines
  ("Not Found: /api/retell/webhook/<key>") and the development server's access lines would
  write them out. Every line passes through `RedactWebhookKeys`, whoever logs it.
- Callers' phone numbers and email addresses are personal data (GDPR): our own log lines name
  calls, appointments and booking requests by id instead, and `MaskPersonalData` is the safety
  net for whatever slips through anyway: a vendor's error quoting an attendee, a database error
  quoting a row, a third-party library's line. A number keeps its country code and last two
  digits ("+49*********78"), an address its first character and top-level domain
  ("j***@***.com"): enough for an operator to match a complaint, too little to reach anyone.
  Names and free text cannot be recognised in a line; they are kept out at the log sites.
- Both filters clean a record's message, traceback and stack (an exception's text quotes what
  it was given). They sit on the console handler, which every logger writes through
  (settings.LOGGING), so a filter on a logger would miss what its children propagate.
- While Redis is down, every cache operation fails and django-redis logs each one: the first of
  a kind per minute is enough (`OncePerMinute`).
"""

import logging
import re
import time
from collections.abc import Callable

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

_KEY_IN_PATH = re.compile(r"(/api/(?:retell/(?:webhook|inbound|functions)|calcom/webhook)/)[^/\s?\"']+")
REDACTED = r"\1<key>"

# An address, also as it appears URL-encoded in a query string (urllib3's DEBUG request lines).
# It starts where a word does and never gives back what its parts took (possessive `*+`, `++`):
# a long line costs one pass, not one per character.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])(?P<first>[\w+\-])(?:[\w.+\-]|%(?!40)[0-9A-Fa-f]{2})*+"
    r"(?:@|%40)(?:[\w\-]++\.)++(?P<tld>[A-Za-z]{2,})\b"
)
# A phone number as people and systems write it, with spaces, dashes, slashes or "(0)" inside.
# Without a plus it is never part of a word, an id, a decimal, a date or a path: no letter,
# digit, dot, dash, slash or percent sign may precede it (call_7c1e..., 0.0123456, 05/12/2026,
# /v2/bookings/9001). Written without any prefix it needs 11 to 15 digits and a first digit
# from 2: epoch seconds have 10 digits, epoch milliseconds start with 1.
_PHONE = re.compile(
    r"""
    (?:
        (?<![\w+]) (?P<international>\+|%2[Bb]) (?=[1-9])     # +49 151 ..., %2B49... in a URL
    |
        (?<![\w.\-/+%])
        (?:
            (?P<zeros>00) (?=[1-9])                           # 0049 151 ...
        |   (?P<national>0) (?=[1-9]\d)                        # 0151 ..., 030 ...
        |   (?=[2-9]\d{10,14}(?![\w\-]))                        # 4915112345678
        )
    )
    \d+ (?: (?:[ \-/]|\ ?\(0\)\ ?) \d+ )*
    (?![\w\-])
    """,
    re.VERBOSE,
)
_TRUNK_ZERO = re.compile(r" ?\(0\) ?")  # +49 (0)151: the 0 is dialled only from within the country
PHONE_DIGITS = range(7, 16)  # E.164 allows at most 15; shorter runs are not phone numbers
MASK = "*"


def redact_keys(text: str) -> str:
    return _KEY_IN_PATH.sub(REDACTED, text)


def mask_personal_data(text: str) -> str:
    """`text` with every phone number and email address masked (see the module's docstring)."""
    if "@" in text or "%40" in text:  # most lines hold no address: skip the costlier pattern
        text = _EMAIL.sub(_masked_email, text)
    return _PHONE.sub(_masked_phone, text)


def masked_number(digits: str, *, national: bool = False) -> str:
    """'4915112345678' -> '+49*********78'; national '015112345678' -> '0*********78'."""
    lead = "0" if national else "+" + _country_code(digits)
    rest = digits[len(lead.removeprefix("+")) :]
    return lead + MASK * max(0, len(rest) - 2) + rest[-2:]


def _country_code(digits: str) -> str:
    """Country codes are prefix-free: the first 1 to 3 digits that name one ('' if none do)."""
    for length in (1, 2, 3):
        if int(digits[:length]) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[:length]
    return ""


def _masked_phone(match: re.Match) -> str:
    found = match.group(0)
    lead = match.group("international") or match.group("zeros") or ""  # not digits of the number
    digits = "".join(filter(str.isdigit, _TRUNK_ZERO.sub("", found[len(lead) :])))
    if len(digits) not in PHONE_DIGITS:
        return found
    return masked_number(digits, national=match.group("national") is not None)


def _masked_email(match: re.Match) -> str:
    return f"{match.group('first')}{MASK * 3}@{MASK * 3}.{match.group('tld')}"


class _Redacting(logging.Filter):
    """Applies `clean` to a record's message, traceback and stack, whoever logged it."""

    clean: Callable[[str], str]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: the handler reports it
            return True
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text once set: the traceback is written as cleaned here.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()


class RedactWebhookKeys(_Redacting):
    clean = staticmethod(redact_keys)


class MaskPersonalData(_Redacting):
    clean = staticmethod(mask_personal_data)


class OncePerMinute(logging.Filter):
    """Lets one record per logger and message through each minute (per process)."""

    interval = 60.0

    def __init__(self, name: str = ""):
        super().__init__(name)
        self._last: dict[tuple[str, str], float] = {}

    def reset(self) -> None:
        self._last.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -self.interval) < self.interval:
            return False
        self._last[key] = now
        return True
