"""The Retell webhook events we act on and those we acknowledge and drop, in one place."""

# The events we store and act on, in the order Retell sends them (contract retell-api.md §1.1).
CALL_EVENTS = ("call_started", "call_ended", "call_analyzed")
HANDLED_EVENTS = frozenset(CALL_EVENTS)
# Acknowledged with 2xx and not stored: we do not act on them (contract retell-api.md §1.1).
IGNORED_EVENTS = frozenset(
    {
        "transcript_updated",
        "transfer_started",
        "transfer_bridged",
        "transfer_cancelled",
        "transfer_ended",
        "chat_started",
        "chat_ended",
        "chat_analyzed",
    }
)
# Events after which a call's booking wish is final enough to act on.
BOOKING_EVENTS = frozenset({"call_ended", "call_analyzed"})


def dialed_number(call: dict) -> str:
    """Our number: the one called for inbound calls, the one calling for outbound ones."""
    return call.get("from_number", "") if call.get("direction") == "outbound" else call.get("to_number", "")


def caller_number(call: dict) -> str:
    return call.get("to_number", "") if call.get("direction") == "outbound" else call.get("from_number", "")
