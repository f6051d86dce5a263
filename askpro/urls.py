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
    # The admin's language switch (German by default; the browser's or the chosen one otherwise).
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("askpro.api_urls")),
]
