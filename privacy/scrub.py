"""What "no longer personal" means for each kind of row: the one definition erasure and retention share.

Each function takes a queryset already scoped to one company and to the rows that are due, blanks
the fields that could lead back to a person in one UPDATE, and returns how many rows it changed.
Rows are kept, not deleted, wherever counts and metrics read them (calls, appointments, the
outcomes of work rows); what made them personal goes.
"""

from django.db.models import QuerySet

from booking.models import ERASED_PAYLOAD
from telephony.models import CallDirection


def scrub_call_content(calls: QuerySet) -> int:
    """Transcript, summary, analysis and call variables: what was said, and what was said about."""
    return calls.update(transcript="", summary="", analysis={}, dynamic_variables={})


def scrub_call_identity(calls: QuerySet) -> int:
    """The content, the caller's number and the link to the customer. The business's own number
    (`to_number` of an inbound call) is not personal and stays, so per-number counts still work;
    an outbound call's `to_number` is the person called, and goes."""
    scrub_call_content(calls)
    # Before `from_number` is blanked: `calls` may have been selected by it.
    calls.filter(direction=CallDirection.OUTBOUND).update(to_number="")
    return calls.update(from_number="", customer=None)


def scrub_raw_bodies(events: QuerySet) -> int:
    """Raw webhook bodies (Retell events, Cal.com notices) and any error text quoting them."""
    return events.update(body="", last_error="", result=None)


def scrub_work_payloads(rows: QuerySet) -> int:
    """Booking requests and appointment changes: the replayable wish goes, the outcome stays."""
    return rows.update(payload=ERASED_PAYLOAD, last_error="", result=None)


def scrub_appointments(appointments: QuerySet) -> int:
    """The person as booked; time, branch, status and Cal.com ids stay for the calendar's sake."""
    return appointments.update(
        attendee_name="", attendee_email="", metadata={}, failure_reason="", customer=None
    )


def scrub_appointments_erased(appointments: QuerySet) -> int:
    """scrub_appointments, for a person who asked to be erased, marked so: Cal.com keeps its
    booking with their name and email, and the mark (ERASED_PAYLOAD) keeps a later
    notice or reconciliation from copying them back (booking.models.is_erased)."""
    scrub_appointments(appointments)
    return appointments.update(metadata=ERASED_PAYLOAD)


def scrub_notifications(notifications: QuerySet) -> int:
    return notifications.update(recipient="", text="", last_error="", result=None)


def scrub_follow_ups(follow_ups: QuerySet) -> int:
    """What staff wrote about following up (who was called back, and what they said)."""
    return follow_ups.update(note="")


ERASED_REPR = "[erased]"


def scrub_admin_log(entries: QuerySet) -> int:
    """Django admin's history of the rows: the object's name as shown then (a customer's is their
    name and number) and the change message (which names added or deleted related rows). Who
    changed what kind of row, and when, stays."""
    return entries.update(object_repr=ERASED_REPR, change_message="")
