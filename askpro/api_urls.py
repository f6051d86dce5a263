"""Public API routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("telephony.urls")),
    path("", include("booking.urls")),
]
