"""Webhook subscriptions and deliveries of the local Cal.com sandbox.

`WebhookStore` is `/v2/webhooks` (create, list, get, update, delete; in memory), with the
bodies, messages and statuses of Cal.com API v2 (saved OpenAPI: CreateWebhookInputDto,
UpdateWebhookInputDto, UserWebhookOutputDto; [CAL] apps/api/v2/src/modules/webhooks/:
controllers/webhooks.controller.ts, services/user-webhooks.service.ts, webhooks.repository.ts,
and webhooks.controller.e2e-spec.ts, which shows that ids are uuid strings although the OpenAPI
says number). The sandbox has one account: the API key's owner owns every subscription and every
event type, so each subscription hears about every booking.

`WebhookDispatcher` sends what `sandbox.bookings` reports, the way Cal.com's sendPayload.ts
does (contract §5): one POST per active subscription with the trigger, body
`{"triggerEvent", "createdAt", "payload"}` as compact JSON, `Content-Type: application/json`,
`X-Cal-Signature-256` = hex HMAC-SHA256(secret, raw body) or `no-secret-provided`, redirects not
followed, sent once with no retry. A background thread sends, in the order the bookings changed,
so API answers never wait; a receiver that is down or slow (past `timeout`) only leaves an error
on its Delivery and in the log. Tests wait with `wait_idle()` and read `deliveries()`.
`payloadTemplate` is stored and shown but not applied: every delivery carries the default body.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import queue
import random
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sandbox.schedule import SandboxError, bad_request, format_utc
from sandbox.webhook_payloads import BOOKING_TRIGGERS

# Every trigger CreateWebhookInputDto accepts (saved OpenAPI); the sandbox sends the booking ones.
TRIGGERS = (
    *("BOOKING_CREATED", "BOOKING_PAYMENT_INITIATED", "BOOKING_PAID", "BOOKING_RESCHEDULED"),
    *("BOOKING_REQUESTED", "BOOKING_CANCELLED", "BOOKING_REJECTED", "BOOKING_NO_SHOW_UPDATED"),
    *("FORM_SUBMITTED", "MEETING_ENDED", "MEETING_STARTED", "RECORDING_READY", "INSTANT_MEETING"),
    *("RECORDING_TRANSCRIPTION_GENERATED", "OOO_CREATED", "AFTER_HOSTS_CAL_VIDEO_NO_SHOW"),
    *("AFTER_GUESTS_CAL_VIDEO_NO_SHOW", "FORM_SUBMITTED_NO_EVENT", "ROUTING_FORM_FALLBACK_HIT"),
    *("DELEGATION_CREDENTIAL_ERROR", "WRONG_ASSIGNMENT_REPORT"),
)
WEBHOOK_VERSIONS = ("2021-10-20",)
DUPLICATE_URL = "Webhook with this subscriber url already exists for this user"
# PATCH to a URL another subscription has hits the unique (userId, subscriberUrl) index, which
# the v2 Prisma exception filter answers as P2002.
DUPLICATE_RECORD = "Invalid Input: Trying to create a record that already exists."
NO_SECRET = "no-secret-provided"  # noqa: S105 - Cal.com's literal header value, not a secret
SIGNATURE_HEADER = "X-Cal-Signature-256"
DEFAULT_DELIVERY_TIMEOUT = 5.0  # seconds; Cal.com's fetch has none, a sandbox must not hang


@dataclass(frozen=True)
class Subscription:
    id: str
    user_id: int
    subscriber_url: str
    active: bool
    triggers: tuple[str, ...]
    secret: str | None = None
    payload_template: str | None = None
    version: str | None = None

    def output(self) -> dict:
        """UserWebhookOutputDto; an unset secret or template is null, as Prisma stores it."""
        return {
            "id": self.id,
            "userId": self.user_id,
            "subscriberUrl": self.subscriber_url,
            "active": self.active,
            "triggers": list(self.triggers),
            "payloadTemplate": self.payload_template,
            "secret": self.secret,
        }


class WebhookStore:
    """The account's subscriptions, in creation order."""

    def __init__(self, *, user_id: int, seed: int | str | None = None) -> None:
        self.user_id = user_id
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}
        # Not for security: ids only need to be unique, and repeatable under --seed.
        self._rng = random.Random(None if seed is None else f"{seed}:webhooks")  # noqa: S311

    def create(self, body: object) -> dict:
        fields = _subscription_fields(body, partial=False)
        with self._lock:
            if self._url_taken(fields["subscriber_url"]):
                raise SandboxError(409, DUPLICATE_URL)
            webhook_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            subscription = Subscription(id=webhook_id, user_id=self.user_id, **fields)
            self._subscriptions[webhook_id] = subscription
            return subscription.output()

    def list(self, *, skip: int = 0, take: int = 250) -> list[dict]:
        with self._lock:
            return [sub.output() for sub in tuple(self._subscriptions.values())[skip : skip + take]]

    def get(self, webhook_id: str) -> dict:
        with self._lock:
            return self._find(webhook_id).output()

    def update(self, webhook_id: str, body: object) -> dict:
        fields = _subscription_fields(body, partial=True)
        with self._lock:
            current = self._find(webhook_id)
            url = fields.get("subscriber_url")
            if url is not None and url != current.subscriber_url and self._url_taken(url):
                raise SandboxError(409, DUPLICATE_RECORD, code="CONFLICT")
            updated = replace(current, **fields)
            self._subscriptions[webhook_id] = updated
            return updated.output()

    def delete(self, webhook_id: str) -> dict:
        with self._lock:
            return self._subscriptions.pop(self._find(webhook_id).id).output()

    def listening(self, trigger: str) -> list[Subscription]:
        """Active subscriptions to `trigger`, as they are now (Cal.com's getWebhooks)."""
        with self._lock:
            return [sub for sub in self._subscriptions.values() if sub.active and trigger in sub.triggers]

    def _find(self, webhook_id: str) -> Subscription:
        found = self._subscriptions.get(webhook_id)
        if found is None:
            raise SandboxError(404, f"Webhook ({webhook_id}) not found")
        return found

    def _url_taken(self, url: str) -> bool:
        return any(sub.subscriber_url == url for sub in self._subscriptions.values())


def _is_string(value: object) -> bool:
    return isinstance(value, str)


# (JSON name, Subscription attribute, check, class-validator's message)
_FIELD_RULES = (
    ("active", "active", lambda value: isinstance(value, bool), "active must be a boolean value"),
    ("subscriberUrl", "subscriber_url", _is_string, "subscriberUrl must be a string"),
    ("triggers", "triggers", lambda value: isinstance(value, list), "triggers must be an array"),
    ("secret", "secret", _is_string, "secret must be a string"),
    ("payloadTemplate", "payload_template", _is_string, "payloadTemplate must be a string"),
    (
        "version",
        "version",
        lambda value: value in WEBHOOK_VERSIONS,
        f"version must be one of the following values: {', '.join(WEBHOOK_VERSIONS)}",
    ),
)
REQUIRED_FIELDS = ("active", "subscriberUrl", "triggers")


def _subscription_fields(body: object, *, partial: bool) -> dict:
    """CreateWebhookInputDto (or, `partial`, UpdateWebhookInputDto) as Subscription fields."""
    if not isinstance(body, dict):
        raise bad_request(["body must be a JSON object"])
    errors, fields = [], {}
    for name, attribute, valid, message in _FIELD_RULES:
        if body.get(name) is None:
            if name in REQUIRED_FIELDS and not partial:
                errors.append(message)
        elif valid(body[name]):
            fields[attribute] = body[name]
        else:
            errors.append(message)
    if any(trigger not in TRIGGERS for trigger in fields.get("triggers", ())):
        errors.append(f"each value in triggers must be one of the following values: {', '.join(TRIGGERS)}")
    if errors:
        raise bad_request(errors)
    if "triggers" in fields:
        fields["triggers"] = tuple(fields["triggers"])
    return fields


# -- delivery ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One POST to one subscriber, and how the subscriber answered."""

    webhook_id: str
    subscriber_url: str
    trigger: str
    body: bytes  # exactly the bytes sent and signed
    headers: dict[str, str]
    status: int | None  # the receiver's HTTP status; None when it could not be reached
    error: str | None = None

    @property
    def payload(self) -> dict:
        """The delivered event's `payload` object."""
        return json.loads(self.body)["payload"]


def signature(secret: str | None, body: bytes) -> str:
    """X-Cal-Signature-256 as Cal.com's createWebhookSignature computes it."""
    if not secret:
        return NO_SECRET
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Cal.com posts with `redirect: "manual"`: a 3xx is the answer, not a new address."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class WebhookDispatcher:
    """Sends booking events to the store's subscribers from one background thread."""

    store: WebhookStore
    clock: Callable[[], datetime]
    log: Callable[[str], None] | None = None
    timeout: float = DEFAULT_DELIVERY_TIMEOUT
    _queue: queue.Queue = field(default_factory=queue.Queue, init=False, repr=False)
    _deliveries: list[Delivery] = field(default_factory=list, init=False, repr=False)
    _pending: int = field(default=0, init=False, repr=False)
    _idle: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # No proxies (an environment's http_proxy must not catch a loopback receiver).
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())

    def subscribe(
        self, subscriber_url: str, triggers: Iterable[str] = BOOKING_TRIGGERS, *, secret: str | None = None
    ) -> dict:
        """A subscription without the HTTP round trip (demo set-up, tests)."""
        body = {"active": True, "subscriberUrl": subscriber_url, "triggers": list(triggers)}
        return self.store.create({**body, "secret": secret} if secret else body)

    def publish(self, trigger: str, payload: dict) -> None:
        """Queue one POST per listening subscription; never blocks (a BookingLedger listener)."""
        body = {"triggerEvent": trigger, "createdAt": format_utc(self.clock()), "payload": payload}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        for subscription in self.store.listening(trigger):
            with self._idle:
                self._pending += 1
                self._ensure_worker()
            self._queue.put((subscription, trigger, raw))

    def deliveries(self) -> list[Delivery]:
        """Every delivery finished so far, oldest first."""
        with self._idle:
            return list(self._deliveries)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery is done; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 1.0) -> None:
        """Stop the sender; deliveries still queued after `timeout` are dropped."""
        with self._idle:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_worker(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="calcom-sandbox-webhooks", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            delivery = self._send(*job)
            if self.log:  # before counting it done, so the line is there once wait_idle returns
                self.log(_log_line(delivery))
            with self._idle:
                self._deliveries.append(delivery)
                self._pending -= 1
                self._idle.notify_all()

    def _send(self, subscription: Subscription, trigger: str, raw: bytes) -> Delivery:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(subscription.secret, raw)}
        url = subscription.subscriber_url
        sent = Delivery(subscription.id, url, trigger, raw, headers, status=None)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return replace(sent, error=f"not an http(s) URL: {url!r}")
        try:
            request = urllib.request.Request(url, data=raw, headers=headers, method="POST")  # noqa: S310 - http(s) only, checked above
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
                return replace(sent, status=response.status)
        except urllib.error.HTTPError as answer:  # 3xx, 4xx, 5xx: the receiver did answer
            answer.close()
            return replace(sent, status=answer.code)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, timed out, no URL
            return replace(sent, error=f"{type(exc).__name__}: {exc}")


def _log_line(delivery: Delivery) -> str:
    answer = delivery.status if delivery.status is not None else delivery.error
    return f"webhook {delivery.trigger} -> {delivery.subscriber_url}: {answer} [{delivery.webhook_id}]"
