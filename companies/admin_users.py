"""Sign-ins in admin (Django's users and groups), with the audit trail of every other admin page.

Only superusers reach these pages: a staff role grants no permission on them (companies/roles.py).
What an operator does here decides who may do what anywhere, so it is recorded like the rest:
who was made staff, superuser or inactive, whose groups or permissions changed, whose password
was set or disabled. An entry about a staff member's sign-in goes into their company's trail
(its owners see that an operator changed it); one about an operator's goes into no company's.
Names, e-mail addresses and passwords are recorded only as "changed" (audit.trail).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import transaction

from audit.actions import Action
from audit.trail import CHANGED, record
from companies.admin_scoping import AuditedAdmin, trail_company


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        user = super().save(commit)
        record(
            Action.CHANGE,
            company=trail_company(None, user),
            obj=user,
            changes={"password": CHANGED, "usable_password": user.has_usable_password()},
        )
        return user


class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    change_password_form = AuditedPasswordChangeForm
    # Kept by Django, shown only: typed back as a date and a time to the minute, they would lose
    # their seconds on every save, and one in the hour the clocks go back could not be saved.
    readonly_fields = ("last_login", "date_joined")

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():  # Django's view is not: no new password without its entry
            return super().user_change_password(request, id, form_url)


class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    """A group is the operators' (only superusers reach it): in no company's trail."""


admin.site.unregister(get_user_model())
admin.site.unregister(Group)
admin.site.register(get_user_model(), AuditedUserAdmin)
admin.site.register(Group, AuditedGroupAdmin)
