from django.contrib import admin

from core.read_only import ReadOnlyAdminMixin
from integrations.models import CircuitBreakerState


@admin.register(CircuitBreakerState)
class CircuitBreakerStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Operators only: the breakers are shared by every tenant."""

    list_display = [
        "service",
        "state",
        "failure_count",
        "success_count",
        "half_open_probes",
        "opened_at",
        "updated_at",
    ]
    readonly_fields = list_display

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
