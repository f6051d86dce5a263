"""Twilio's Programmable Messaging answers, shaped as documented: the Message resource a create
returns (201; https://www.twilio.com/docs/messaging/api/message-resource) and the error body
{"code", "message", "more_info", "status"} (https://www.twilio.com/docs/usage/twilios-response)."""

import base64
import email.utils
import json
from urllib.parse import parse_qs

from core import clock

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-test-auth-token-5f1c"
FROM = "+4930901820"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
MESSAGE_SID = "SM" + "fedcba9876543210" * 2


def message_created(*, to: str, body: str, sid: str = MESSAGE_SID) -> dict:
    created = email.utils.format_datetime(clock.now())  # 'Tue, 26 Jul 2016 12:50:07 +0000'
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def twilio_error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


INVALID_TO = twilio_error(21211, "The 'To' number +4915112345678 is not a valid phone number.", 400)
INTERNAL = twilio_error(20500, "Internal Server Error", 500)


def form_of(call) -> dict[str, str]:
    """The form-encoded body Twilio received, one value per field."""
    return {name: values[0] for name, values in parse_qs(call.request.body).items()}


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def accepted(request):
    """A `responses` callback: 201 with the Message resource for what was sent."""
    form = {name: values[0] for name, values in parse_qs(request.body).items()}
    return 201, {}, json.dumps(message_created(to=form["To"], body=form["Body"]))
