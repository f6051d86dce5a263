"""The audit trail's tests: Retell's clinic (company A as Retell knows it, tests/telephony), Cal.com
faked at the wire, and the entries read back as a reader of the trail sees them."""

import json

import pytest
from django import forms
from django.core.serializers.json import DjangoJSONEncoder

from audit.models import AuditEntry
from tests.retell_fakes import API_KEY, as_body, function_call_payload, signed_headers
from tests.telephony.conftest import calcom, clinic, deliver, salon  # noqa: F401  (fixtures)

CALCOM_SECRET = "whsec_alpha_not_real"


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    monkeypatch.setattr("integrations.resilience.retry_sleep", lambda seconds: None)


@pytest.fixture
def function(client, clinic):  # noqa: F811
    """Call a Retell live function of the clinic, as Retell does mid-call; returns the answer."""

    def call(name, args=None, **call_fields):
        body = as_body(function_call_payload(name, args or {}, **call_fields))
        response = client.post(
            f"/api/retell/functions/{clinic.webhook_key}", body, **signed_headers(body, API_KEY)
        )
        assert response.status_code == 200, response.content
        return response.json()

    return call


@pytest.fixture
def connected(clinic):  # noqa: F811
    """The clinic with Cal.com's notices connected (their signing secret set)."""
    clinic.calcom_webhook_secret = CALCOM_SECRET
    clinic.save()
    return clinic


def entries(**filters) -> list[AuditEntry]:
    """The trail, oldest first."""
    return list(AuditEntry.objects.filter(**filters).order_by("pk"))


def the_entry(**filters) -> AuditEntry:
    (entry,) = entries(**filters)
    return entry


def whole_trail() -> str:
    """Every entry, every column, as one text: what a dump of the trail would show."""
    return json.dumps(list(AuditEntry.objects.values()), cls=DjangoJSONEncoder, ensure_ascii=False)


def form_as_shown(client, url: str, **typed) -> dict:
    """The POST an admin add or change page at `url` sends once `typed` is entered (None: a box
    left unticked), inline rows included as the page shows them."""
    response = client.get(url)
    assert response.status_code == 200
    data = {"_save": "Save", **_fields_of(response.context["adminform"].form)}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {management.add_prefix(name): management[name].value() for name in management.fields}
        for row in inline.formset.forms:
            data |= _fields_of(row)
    for name, value in typed.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _fields_of(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[form.add_prefix(name)] = "on"
        else:  # a browser sends an empty box as ""
            data[form.add_prefix(name)] = "" if value is None else value
    return data
