"""What an entry says was done: the actions the services record, each with a label for staff.

`action` is a plain string on the entry (an app may record one that is not listed here; admin
shows it as it is), so a new kind of write needs no migration: add it here for its label.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Staff in admin (companies.admin_scoping: every scoped admin, inlines included)
    ADD = "add", _("added in admin")
    CHANGE = "change", _("changed in admin")
    DELETE = "delete", _("deleted in admin")
    # The booking front door (booking.create, booking.changes)
    BOOK = "book", _("booked")
    BOOK_FAILED = "book_failed", _("booking refused")
    BOOK_KEPT = "book_kept", _("booking noted for a retry")
    RESCHEDULE = "reschedule", _("rescheduled")
    CANCEL = "cancel", _("cancelled")
    ANNOTATE = "annotate", _("title or note kept")
    # What Cal.com says of a booking (its notices, reconciliation: booking.calendar_sync)
    CALENDAR_CHANGE = "calendar_change", _("changed in the calendar")
    # Access for AI agents (mcp_api.tokens)
    TOKEN_CREATE = "token_create", _("MCP token created")
    TOKEN_REVOKE = "token_revoke", _("MCP token revoked")
    # The console's "needs attention" list (console.attention)
    FOLLOW_UP = "follow_up", _("followed up")
    # Data protection (privacy: export, erasure, retention; companies.rotation: the key ring)
    EXPORT = "export", _("personal data exported")
    ERASE = "erase", _("personal data erased")
    RETENTION = "retention", _("removed after the retention period")
    ROTATE_KEYS = "rotate_keys", _("keys re-encrypted")


def action_label(action: str) -> str:
    """The label of a listed action; an unlisted one as it was recorded."""
    try:
        return Action(action).label
    except ValueError:
        return action.replace("_", " ")
