from django.urls import path

from telephony import functions, inbound, webhooks

urlpatterns = [
    path("retell/webhook", webhooks.legacy_webhook, name="retell-webhook-legacy"),
    path("retell/webhook/<str:webhook_key>", webhooks.company_webhook, name="retell-webhook"),
    path("retell/inbound/<str:webhook_key>", inbound.inbound_call, name="retell-inbound"),
    path("retell/functions/<str:webhook_key>", functions.retell_function, name="retell-functions"),
]
