"""Work rows (booking requests, webhook events) claimed under a lease.

A worker takes a row with one conditional UPDATE, so two workers never both win; a worker that
dies leaves a lease that runs out, after which anyone may take the row over.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
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


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same work again later may succeed: the one rule every retried row uses.

    Transient: an external service that failed in a way that may pass (its error says so), work
    that asks to be retried (`retry_later = True`), and a database that is busy or unreachable.
    Everything else (bad data, a wish in the past, a bug) fails the same way each time: the row
    is failed at once with its reason instead of being retried for hours.
    """
    if getattr(exc, "retry_later", False):
        return True
    permanent = getattr(exc, "permanent", None)
    if isinstance(permanent, bool):
        return not permanent
    return isinstance(exc, OperationalError | InterfaceError)


def failure_reason(exc: BaseException) -> str:
    """What staff read about a permanent failure, in plain words."""
    if isinstance(exc, ValidationError):
        return "The data is invalid: " + "; ".join(exc.messages)
    if isinstance(exc, DataError | IntegrityError):
        return f"The data cannot be stored ({type(exc).__name__}: {exc})."
    return f"Unexpected error ({type(exc).__name__}: {exc}); it is logged. Replay once it is fixed."
