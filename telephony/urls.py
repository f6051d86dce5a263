from django.urls import path

from telephony import webhooks

urlpatterns = [
    path("retell/webhook", webhooks.legacy_webhook, name="retell-webhook-legacy"),
    path("retell/webhook/<str:webhook_key>", webhooks.company_webhook, name="retell-webhook"),
]
