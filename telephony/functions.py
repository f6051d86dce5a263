"""Retell custom functions during a live call (POST /api/retell/functions/<company webhook key>,
served by telephony.views).

Answers are always 2xx JSON the agent can use: a `message` to read aloud, `success`, and `data`;
arguments the agent got wrong are answered aloud too, so it can ask the caller again. Retell
re-sends a function up to 2 times (contract §4.1): a repeated booking is idempotent by itself
(BookingRequest), and the successful answer of any function that changed something is replayed
for the same call and arguments, so a re-sent cancel does not come back as "already cancelled".
Read-only functions are always answered fresh.

Each function works within a deadline below its Retell tool timeout (telephony.retell.tools
`answer_deadline_seconds`): Cal.com gets only the time that is left, and when it is up the
caller hears an answer (the calendar is not reachable now; a booking is noted) instead of
silence while Retell gives up.
"""

import hashlib
import json
import logging

from django.core.cache import cache

from booking.services import BookingError, ErrorType
from core.wording import say
from integrations.deadline import deadline_within
from telephony.calls import live_call_count, live_call_ensure
from telephony.events import dialed_number
from telephony.live import HANDLERS, normalized_args, refusal, spoken_failure
from telephony.live_context import live_context
from telephony.retell.tools import answer_deadline_seconds
from telephony.serializers import FunctionArgsSerializer

logger = logging.getLogger(__name__)
ANSWER_TTL = 15 * 60  # longer than Retell's retries of one function call take
REPLAYED = frozenset({"book_appointment", "reschedule_appointment", "cancel_appointment"})


def function_answer(*, company, name: str, args, call: dict) -> dict:
    """The answer; for a change already made in this call with these arguments, the same answer."""
    key = _answer_key(company.pk, str(call.get("call_id", "")), name, args) if name in REPLAYED else None
    if key and (cached := cache.get(key)) is not None:
        return cached
    result = _dispatch(company, name, args, call)
    if key and result["success"]:
        cache.set(key, result, ANSWER_TTL)
    return result


def _answer_key(company_id: int, call_id: str, name: str, args) -> str | None:
    if not call_id:
        return None
    canonical = json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(f"{company_id}|{call_id}|{name}|{canonical}".encode()).hexdigest()
    return f"function-answer:{digest}"


def _dispatch(company, name: str, args, call: dict) -> dict:
    ctx = live_context(company, call)
    handler = HANDLERS.get(name)
    if handler is None:
        return refusal("unknown_function", f"Unknown function {name!r}.")
    live_call_ensure(
        company=company,
        branch=ctx.branch,
        call_id=ctx.call_id,
        caller=ctx.caller_phone,
        dialed=dialed_number(call),
    )
    with deadline_within(answer_deadline_seconds(name)):
        result = _answered(ctx, handler, name, args)
    live_call_count(company=company, call_id=ctx.call_id, function=name, answer=result)
    return result


def _answered(ctx, handler, name: str, args) -> dict:
    arguments = FunctionArgsSerializer(data=normalized_args(args) if isinstance(args, dict) else None)
    try:
        if not arguments.is_valid():
            wrong = tuple(sorted(arguments.errors)) if isinstance(args, dict) else ()
            raise BookingError(ErrorType.VALIDATION, "The agent's arguments are invalid.", fields=wrong)
        return handler(ctx, arguments.validated_data)
    except BookingError as exc:
        return spoken_failure(ctx, exc)
    except Exception:
        logger.exception("function %s failed for company %s", name, ctx.company.pk)
        return refusal(ErrorType.EXCEPTION, say("failed", ctx.language))
