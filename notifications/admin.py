from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.models import WorkStatus
from companies.admin_scoping import RecordedWorkAdmin
from notifications.models import Notification
from notifications.services import notification_send


@admin.register(Notification)
class NotificationAdmin(RecordedWorkAdmin):
    """The texts to callers as stored: what was sent, when, and why not; failed ones can be sent
    again (a sent one never is: the caller has it)."""

    list_display = ["created_at", "kind", "recipient", "language", "status", "attempts", "sent_at", "company"]
    list_filter = ["company", "status", "kind"]
    list_select_related = ["company"]
    search_fields = ["recipient", "provider_id"]
    date_hierarchy = "created_at"
    rerun_permission = "notifications.change_notification"
    actions = ["send_again"]

    def rerun(self, notification) -> tuple[bool, str]:
        result = notification_send(notification_id=notification.pk, include_failed=True)
        label = gettext("Notification %(id)s") % {"id": notification.pk}
        return bool(result.get("success")), f"{label}: {result.get('message')}"

    @admin.action(description=_("Send again"), permissions=["rerun"])
    def send_again(self, request, queryset):
        failed = queryset.filter(status=WorkStatus.FAILED)
        if failed.count() < queryset.count():
            self.message_user(request, gettext("Only failed notifications are sent again."), messages.WARNING)
        self.rerun_each(request, failed)
