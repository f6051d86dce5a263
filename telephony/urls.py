from django.urls import path

from telephony import views

urlpatterns = [
    path("retell/webhook", views.LegacyWebhookView.as_view(), name="retell-webhook-legacy"),
    path("retell/webhook/<str:webhook_key>", views.WebhookView.as_view(), name="retell-webhook"),
    path("retell/inbound/<str:webhook_key>", views.InboundCallView.as_view(), name="retell-inbound"),
    path("retell/functions/<str:webhook_key>", views.FunctionView.as_view(), name="retell-functions"),
]
