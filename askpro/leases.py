"""Work rows (booking requests, webhook events) claimed under a lease.

A worker takes a row with one conditional UPDATE, so two workers never both win; a worker that
dies leaves a lease that runs out, after which anyone may take the row over.
"""

from datetime import timedelta

from django.db.models import Q

from core import clock


def take_over(model, *, pk, statuses, processing: str, lease: timedelta) -> bool:
    """Move row `pk` from one of `statuses` (or an expired PROCESSING lease) to `processing`."""
    now = clock.now()
    claimable = Q(status__in=list(statuses)) | Q(status=processing, lease_until__lt=now)
    return bool(
        model.objects.filter(claimable, pk=pk).update(
            status=processing, lease_until=now + lease, updated_at=now
        )
    )


def due_ids(model, *, retrying: str, processing: str, limit: int = 200, extra: Q | None = None) -> list[int]:
    """Rows whose retry time has come or whose worker's lease ran out, oldest first."""
    now = clock.now()
    due = Q(status=retrying, next_attempt_at__lte=now) | Q(status=processing, lease_until__lt=now)
    if extra is not None:
        due |= extra
    return list(model.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:limit])


def backoff_seconds(attempt: int, *, base: int, cap: int = 3600) -> int:
    """base, 2*base, 4*base, ... for attempts 1, 2, 3, ..., at most `cap`."""
    return min(cap, base * 2 ** max(0, attempt - 1))
