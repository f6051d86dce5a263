"""German first: staff pages speak German unless the browser or the staff member's choice asks for
English; machine endpoints answer in English whatever their client sends."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.german]


def test_the_dashboard_speaks_german_by_default(client, alice):
    client.force_login(alice)
    page = client.get("/admin/").content.decode()
    assert '<html lang="de"' in page
    for german in ("Zu erledigen", "Anrufe und Buchungen", "Nächste Termine", "Verbindungen"):
        assert german in page


def test_an_english_browser_gets_english(client, alice):
    client.force_login(alice)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
    assert '<html lang="en"' in page and "Needs attention" in page


def test_the_language_switch_keeps_the_choice(client, alice):
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    assert "Needs attention" in client.get("/admin/").content.decode()


def test_times_are_shown_in_german_format_with_their_zone(client, alice, company_a):
    from datetime import timedelta

    from booking.models import AppointmentStatus
    from core import clock
    from tests.factories import AppointmentFactory

    start = clock.now().replace(second=0, microsecond=0) + timedelta(days=3)
    AppointmentFactory(
        company=company_a, branch=company_a.branches.get(), status=AppointmentStatus.BOOKED, start=start
    )
    client.force_login(alice)
    page = client.get("/admin/booking/appointment/").content.decode()
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert f"{local:%d.%m.%Y %H:%M} {local.tzname()}" in page
    assert " a.m." not in page and " p.m." not in page


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/api/retell/functions/key", "en"), ("/healthz", "en"), ("/admin/", "de"), ("/i18n/setlang/", "de")],
)
def test_machine_endpoints_answer_in_english_even_to_a_german_client(rf, path, expected):
    """A vendor's error body never changes language; staff pages follow the browser."""
    from django.http import HttpResponse
    from django.utils import translation

    from askpro.locale import StaffLocaleMiddleware

    spoken = {}

    def view(request):
        spoken["language"] = translation.get_language()
        return HttpResponse("")

    request = rf.get(path, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    request.session = {}
    StaffLocaleMiddleware(view)(request)
    assert spoken["language"] == expected
