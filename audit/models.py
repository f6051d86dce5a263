"""The audit trail: one row per write, never changed and never deleted.

An entry names who, when, which company, which object and what changed, but holds no personal
data and no secret: text fields are recorded as "changed" without their values (see
`audit.trail.describe_changes`). That is what lets an erasure leave the trail untouched, and lets an
operator read it without reading the people in it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actors import ActorKind


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries are never changed.")

    def delete(self):
        raise AppendOnly("Audit entries are never deleted.")


class AuditEntry(models.Model):
    # No database constraint and no cascade: an entry outlives whatever it describes, the
    # company included, and deleting a company must not need to delete its history.
    company = models.ForeignKey(
        "companies.Company",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
    )
    at = models.DateTimeField(_("when"), db_index=True)
    actor_kind = models.CharField(_("actor"), max_length=16, choices=ActorKind.choices)
    actor_ref = models.CharField(_("actor id"), max_length=100, blank=True)
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["company", "-at"], name="audit_company_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type} {self.object_id}"

    # core.rows may write a new entry without calling save(): it only refuses changes.
    INSERTED_AS_SAVED = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are never deleted.")
