"""An admin page that only shows: history (the audit trail, follow-ups) and shared state (the
circuit breakers) are written by the services, never typed in."""


class ReadOnlyAdminMixin:
    """Put before ModelAdmin (or a subclass): no adding, changing or deleting, whoever asks."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
