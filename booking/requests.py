"""BookingRequest life cycle: claim before work, replay after, take over when abandoned.

The row is inserted (and committed) before Cal.com is called. Its unique idempotency key makes
the insert the lock: of two identical requests arriving at once, exactly one inserts and books;
the other waits for that result. A worker that dies mid-way leaves a lease that runs out, after
which the sweeper (or the next identical request) takes the row over.
"""

from datetime import timedelta

from django.db import IntegrityError

from askpro.work import RetriedWork
from booking.booking_input import BookingInput
from booking.calendar_work import unfinished_or_failed
from booking.customers import customer_holds, customer_upsert
from booking.models import Appointment, AppointmentStatus, BookingRequest, BookingRequestStatus, Customer
from booking.results import Booked
from companies.models import Branch, Company
from core import clock
from core.rows import insert_pair

LEASE = timedelta(seconds=90)  # longer than one Cal.com POST plus its lookup can take
WORK = RetriedWork(
    BookingRequest,
    processing=BookingRequestStatus.PROCESSING,
    retrying=BookingRequestStatus.RETRYING,
    done=BookingRequestStatus.SUCCEEDED,
    failed=BookingRequestStatus.FAILED,
    lease=LEASE,
    max_attempts_setting="BOOKING_MAX_ATTEMPTS",
    base_seconds_setting="BOOKING_RETRY_BASE_SECONDS",
)
REPLAY_WINDOW = timedelta(hours=24)


def booking_request_claim(
    *, company: Company, branch: Branch, booking: BookingInput, key: str, customer: Customer | None = None
) -> tuple[BookingRequest, bool]:
    """(request, True) if we own the work now; (existing request, False) if someone else does.
    `customer`: the caller's row, if the caller just wrote it (it is not written twice)."""
    created = _insert(company=company, branch=branch, booking=booking, key=key, customer=customer)
    if created:
        return created, True
    existing = BookingRequest.objects.get(idempotency_key=key)
    if existing.is_finished and existing.created_at < clock.now() - REPLAY_WINDOW and _retire(existing):
        return booking_request_claim(
            company=company, branch=branch, booking=booking, key=key, customer=customer
        )
    return existing, False


def _insert(
    *, company: Company, branch: Branch, booking: BookingInput, key: str, customer: Customer | None
) -> BookingRequest | None:
    """The wish's appointment and request, the request counting the first attempt: both or
    neither, in one statement (core.rows.insert_pair)."""
    told = {"phone": booking.phone, "name": booking.name, "email": booking.email}
    if not customer_holds(customer, company=company, **told):
        # On its own, before: an upsert, which a replay of this wish would only repeat.
        customer = customer_upsert(company=company, **told)
    try:
        _, request = insert_pair(
            Appointment(
                company=company,
                branch=branch,
                customer=customer,
                attendee_name=booking.name,
                attendee_email=booking.email,
                event_type_id=booking.event_type_id,
                start=booking.start_utc,
                end=booking.end_utc,
                source=booking.source,
                status=AppointmentStatus.REQUESTED,
                metadata={"idempotency_key": key},
            ),
            BookingRequest(
                company=company,
                idempotency_key=key,
                source=booking.source,
                call_id=booking.call_id,
                payload=booking.as_payload(),
                attempts=1,  # the claim is this first attempt
                lease_until=clock.now() + LEASE,
            ),
            link="appointment",
        )
        return request
    except IntegrityError:
        return None


def _retire(existing: BookingRequest) -> bool:
    """Free an expired key for a new booking; only one concurrent caller wins."""
    retired_key = f"{existing.idempotency_key[:100]}:expired:{existing.pk}"
    return bool(
        BookingRequest.objects.filter(pk=existing.pk, idempotency_key=existing.idempotency_key).update(
            idempotency_key=retired_key
        )
    )


def booking_request_replay(request: BookingRequest) -> Booked:
    """What the request's work answered, for a repeat of it: its booking, else its failure."""
    if request.status == BookingRequestStatus.SUCCEEDED:
        return Booked(request.appointment, request, replayed=True)
    raise unfinished_or_failed(request, appointment=request.appointment, booking_request=request)


def booking_requests_due() -> list[int]:
    """Ids of requests a worker should try now: due retries and abandoned claims."""
    return WORK.due()
