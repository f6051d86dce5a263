"""Who carries a text to a caller: `NOTIFICATION_SENDER` names the class (a dotted path).

A sender has one method, `send(to, text, kind=...) -> provider id`, and raises the typed
integration errors (integrations/errors.py) when it could not: a transient one is tried again
later, a permanent one fails the notification with its reason (askpro.work.is_transient).

- `LoggingSender` (the default) sends nothing: it logs that a text would go out;
- `TwilioSmsSender` sends an SMS with Twilio's Programmable Messaging API.

Log lines name the kind, the masked number and the length: never the text or the whole number.
"""

import base64
import logging
import secrets
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

from askpro.logfilters import mask_personal_data
from integrations.errors import AuthError, BadRequest, IntegrationError, RateLimited, TransientError
from integrations.http import JsonHttpClient, retry_after_header_seconds

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, to: str, text: str, *, kind: str = "") -> str:
        """Hand `text` to the provider for the E.164 number `to`; the provider's id for it.
        `kind` says what the text is about, for logs only."""
        ...


def configured_sender() -> Sender:
    return import_string(settings.NOTIFICATION_SENDER)()


class LoggingSender:
    """Sends nothing; says in the log that a text would have gone out."""

    def send(self, to: str, text: str, *, kind: str = "") -> str:
        shown = mask_personal_data(to)
        logger.info("notification %s to %s (%d characters), logged only", kind or "-", shown, len(text))
        return f"logged-{secrets.token_hex(6)}"


TWILIO_SERVICE = "twilio"
TWILIO_BASE_URL = "https://api.twilio.com/2010-04-01"
# https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
MESSAGES_PATH = "/Accounts/{AccountSid}/Messages.json"


class TwilioSmsSender(JsonHttpClient):
    """One Twilio account: POST a form (To, Body, and From or MessagingServiceSid) with HTTP Basic
    auth (Account SID : Auth Token); Twilio answers 201 with the Message resource, its `sid`
    the id we keep. The token is the client's key: never logged, never in repr."""

    service = TWILIO_SERVICE
    logger = logging.getLogger("integrations.twilio")

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        sender: str | None = None,
        base_url: str = TWILIO_BASE_URL,
        **kwargs,
    ):
        self._account_sid = account_sid if account_sid is not None else settings.TWILIO_ACCOUNT_SID
        self._sender = sender if sender is not None else settings.TWILIO_FROM
        token = auth_token if auth_token is not None else settings.TWILIO_AUTH_TOKEN
        if not (self._account_sid and self._sender and token):
            raise BadRequest(
                "Twilio is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM.",
                service=TWILIO_SERVICE,
            )
        super().__init__(api_key=token, base_url=base_url, **kwargs)

    def _headers(self, **extra: str) -> dict[str, str]:
        pair = base64.b64encode(f"{self._account_sid}:{self._api_key}".encode()).decode()
        return {"Authorization": f"Basic {pair}", "Accept": "application/json", **extra}

    def send(self, to: str, text: str, *, kind: str = "") -> str:
        form = {"To": to, "Body": text, **self._from()}
        path = MESSAGES_PATH.format(AccountSid=self._account_sid)
        message = self._exchange(
            "send_sms", "POST", path, MESSAGES_PATH, read=_message, headers=self._headers(), form=form
        )
        shown = mask_personal_data(to)
        logger.info("notification %s to %s sent by twilio as %s", kind or "-", shown, message["sid"])
        return message["sid"]

    def _from(self) -> dict[str, str]:
        """TWILIO_FROM is a sending number, or a Messaging Service (its SID starts with MG) that
        picks the number itself."""
        if self._sender.startswith("MG"):
            return {"MessagingServiceSid": self._sender}
        return {"From": self._sender}


def _message(response: requests.Response) -> dict:
    if response.status_code >= 400:
        raise twilio_error(response)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("sid"), str):
        # Accepted or not, we cannot tell: trying again may send it twice, never trying may never.
        raise TransientError(
            f"Twilio answered {response.status_code} without a message sid",
            service=TWILIO_SERVICE,
            status=response.status_code,
        )
    return answer


def twilio_error(response: requests.Response) -> IntegrationError:
    """Twilio's errors are {"code", "message", "more_info", "status"}
    (https://www.twilio.com/docs/usage/twilios-response): 429 and 5xx may pass, any other 4xx
    (a number that cannot get texts, a wrong sender) will fail the same way again."""
    status = response.status_code
    message = _error_message(response)
    context = {"service": TWILIO_SERVICE, "status": status}
    if status == 429:
        return RateLimited(message, retry_after=retry_after_header_seconds(response.headers), **context)
    if status >= 500:
        return TransientError(message, **context)
    if status in (401, 403):
        return AuthError(message, **context)
    return BadRequest(message, **context)


def _error_message(response: requests.Response) -> str:
    """'Twilio 21211: The 'To' number ... is not a valid phone number.': staff read it."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f"Twilio {body.get('code', response.status_code)}: {body['message']}"[:500]
    return f"Twilio answered HTTP {response.status_code}"
