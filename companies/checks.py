from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def encryption_keys_configured(app_configs, **kwargs):
    """Keys derived from SECRET_KEY die with it; production needs a real keyring."""
    if settings.ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "ENCRYPTION_KEYS is not set: API keys, transcripts and notes are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set ENCRYPTION_KEYS to one or more Fernet keys, newest first.",
            id="askpro.W001",
        )
    ]


@register(deploy=True)
def metrics_token_configured(app_configs, **kwargs):
    if settings.METRICS_TOKEN:
        return []
    return [Warning("METRICS_TOKEN is not set: /metrics is closed.", id="askpro.W002")]
