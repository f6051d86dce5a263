"""Why something failed, in plain language for staff (translated): the one place that turns our
error types and Cal.com's developer messages into what a person at the front desk understands."""

from django.utils.translation import gettext as _

from booking.errors import ErrorType


def _booking_reasons() -> dict[str, str]:
    return {
        ErrorType.SLOT_UNAVAILABLE: _("The time was already taken in the calendar."),
        ErrorType.CONFIGURATION: _(
            "The branch is not set up to book (Cal.com key or event type). Run the set-up check."
        ),
        ErrorType.VALIDATION: _("What the caller said could not be read as a booking (date, time or name)."),
        ErrorType.SERVICE_UNAVAILABLE: _("Cal.com did not answer, so the booking could not be made."),
        ErrorType.BOOKING_FAILED: _("Cal.com refused the booking."),
        ErrorType.EXCEPTION: _("An error on our side; the operators have been told."),
    }


def booking_failure_reason(error_type: str, message: str = "") -> str:
    """The reason a booking failed; an event type that requires an email is named as such, as it
    makes every booking of a caller who gave only their number fail."""
    if "email" in message.lower() and error_type in {ErrorType.BOOKING_FAILED, ErrorType.VALIDATION}:
        return _(
            "Cal.com requires an email address for this event type and the caller gave none. "
            "Make the email field optional in the event type, or ask the caller for an email."
        )
    return _booking_reasons().get(error_type, _("The booking did not go through."))


def change_failure_reason(kind: str) -> str:
    if kind == "cancel":
        return _("Cancelling the appointment in Cal.com failed.")
    return _("Moving the appointment in Cal.com failed.")


def notice_failure_reason() -> str:
    return _("A change made in Cal.com could not be applied here.")


# Our own messages for these name exactly what to change (a date in the past, an unknown event
# type id); the others carry Cal.com's developer wording, which a plain reason replaces.
SPECIFIC = {ErrorType.VALIDATION, ErrorType.CONFIGURATION, ErrorType.NOT_FOUND, ErrorType.AMBIGUOUS}


def refusal_for_staff(error_type: str, message: str) -> str:
    """What a form or message tells staff when a booking, move or cancellation was refused."""
    if error_type in SPECIFIC and "email" not in message.lower():
        return message
    return booking_failure_reason(error_type, message)
