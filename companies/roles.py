"""What each role of a staff membership may do in admin: the one place that says it.

A membership's role grants its permissions by itself (`MembershipRoleBackend`); nobody has to
put staff into a group as well. Rows stay scoped to the member's company regardless
(companies/admin_scoping.py): a permission says what, the scope says whose.

- viewer: reads everything of their company, changes nothing;
- staff: the daily work: books, moves and cancels appointments, retries and replays what
  failed, marks callers as called back;
- owner: staff's work plus the set-up: the company's keys and webhook key, branches, numbers,
  MCP tokens for AI agents; and the company's audit trail (who did what, read only).
"""

from django.contrib.auth.backends import BaseBackend

from companies.models import StaffMembership, StaffRole

_READ = {
    "companies": ["company", "branch", "phonenumber", "service"],
    "booking": ["customer", "appointment", "bookingrequest", "appointmentchange", "calendarnotice"],
    "telephony": ["call", "webhookevent"],
    "console": ["followup"],
    "notifications": ["notification"],
}
# "change" on the recorded work rows (read-only in admin) is what lets staff retry and replay them.
_OPERATE = {
    "booking.customer": ["add", "change"],
    "booking.appointment": ["add", "change"],
    "booking.bookingrequest": ["change"],
    "booking.appointmentchange": ["change"],
    "booking.calendarnotice": ["change"],
    "telephony.webhookevent": ["change"],
    "notifications.notification": ["change"],
}
_SET_UP = {
    "companies.company": ["change"],
    "companies.branch": ["add", "change", "delete"],
    "companies.phonenumber": ["add", "change", "delete"],
    "companies.service": ["add", "change", "delete"],
    "mcp_api.mcptoken": ["view", "add", "change", "delete"],
    "audit.auditentry": ["view"],  # who did what in the company: read only (audit/admin.py)
}


def _codenames(grants: dict[str, list[str]]) -> set[str]:
    return {
        f"{model.split('.')[0]}.{action}_{model.split('.')[1]}"
        for model, actions in grants.items()
        for action in actions
    }


def _viewing() -> set[str]:
    return {f"{app}.view_{model}" for app, models in _READ.items() for model in models}


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    StaffRole.VIEWER: frozenset(_viewing()),
    StaffRole.STAFF: frozenset(_viewing() | _codenames(_OPERATE)),
    StaffRole.OWNER: frozenset(_viewing() | _codenames(_OPERATE) | _codenames(_SET_UP)),
}


def role_of(user) -> str | None:
    """The role of `user`'s membership; None for users without one (superusers included)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_askpro_role"):
        membership = StaffMembership.objects.filter(user_id=user.pk).only("role").first()
        user._askpro_role = membership.role if membership else None
    return user._askpro_role


class MembershipRoleBackend(BaseBackend):
    """Grants an active staff user the permissions of their membership's role (no login of its
    own: Django's ModelBackend authenticates). Object-level checks are the admin's scoping."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if obj is not None or not getattr(user_obj, "is_active", False) or not user_obj.is_staff:
            return set()
        return set(ROLE_PERMISSIONS.get(role_of(user_obj), ()))

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
