"""Public API routes; each app adds its own as it grows."""

urlpatterns: list = []
