from django.contrib import admin
from django.urls import include, path

from askpro import views

# JSON errors for the API, Django's pages elsewhere.
handler404 = "askpro.views.not_found"
handler500 = "askpro.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("askpro.api_urls")),
]
