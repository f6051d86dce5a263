"""What "no longer personal" means for each kind of row: the one definition erasure and retention share.

Each function takes a queryset already scoped to one company and to the rows that are due, blanks
the fields that could lead back to a person in one UPDATE, and returns how many rows it changed.
Rows are kept, not deleted, wherever counts and metrics read them (calls, appointments, the
outcomes of work rows); what made them personal goes.
"""

from django.db.models import QuerySet

ERASED_PAYLOAD: dict = {"erased": True}


def scrub_call_content(calls: QuerySet) -> int:
    """Transcript, summary, analysis and call variables: what was said, and what was said about."""
    return calls.update(transcript="", summary="", analysis={}, dynamic_variables={})


def scrub_call_identity(calls: QuerySet) -> int:
    """The content, the caller's number and the link to the customer. The business's own number
    (`to_number` of an inbound call) is not personal and stays, so per-number counts still work."""
    scrub_call_content(calls)
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


def scrub_notifications(notifications: QuerySet) -> int:
    return notifications.update(recipient="", text="", last_error="", result=None)
