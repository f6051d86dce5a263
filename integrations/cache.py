"""Cache helpers shared by the integrations."""

from django.core.cache import cache


def clear_cached_data() -> None:
    """Drop our cached entries only. With Redis, the task queue lives in the same database, so a
    FLUSHDB (what `cache.clear()` does there) would also drop queued tasks."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # django-redis scopes this to our KEY_PREFIX
    else:
        cache.clear()
