from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from companies.fields import EncryptedTextField
from companies.models import Company


class FollowUp(models.Model):
    """What a person did about something that needed attention (a failed booking, an event that
    could not be processed): called the caller back, booked them another time. Once followed up,
    it leaves the "needs attention" list; the row stays as the record of who did what."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="follow_ups")
    # "<model>:<pk>" of the row that failed (console.attention names them).
    subject = models.CharField(_("subject"), max_length=64)
    note = EncryptedTextField(_("note"), blank=True)  # about a person: encrypted at rest
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    done_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["company", "subject"], name="followup_once_per_subject")
        ]

    def __str__(self) -> str:
        # Not the note: a name ends up in admin's history and confirmation pages in plaintext.
        return self.subject
