"""An access request: everything stored about one caller of one company, as JSON and as text.

Complete: every row of every table that names her is in it (proved by scanning every table of
the project, not just those privacy.person knows). Scoped: her twin at another company and a
neighbour whose number contains hers are not.
"""

import json

import pytest

from audit.models import AuditEntry
from privacy.export import export_summary, person_data_export, person_export
from privacy.person import TABLE, TABLES, PersonNotValid, person_identify, person_rows
from tests.privacy import people

pytestmark = pytest.mark.django_db


def _export(company, phone=people.PHONE, email=""):
    return person_export(person_rows(person_identify(company=company, phone=phone, email=email)))


def _exported(document) -> set[tuple[str, int]]:
    return {(TABLE[t.key].model._meta.label, row["id"]) for t in TABLES for row in document[t.key]}


def test_every_row_that_names_her_anywhere_in_the_project_is_exported(her, alpha):
    people.neighbour(alpha)
    twin_company = people.salon()
    people.twin_at(twin_company)

    document = _export(alpha, phone="0151 12345678")

    naming_her = people.rows_naming_her()
    hers = {key for key, row in naming_her.items() if people.company_of(row) == alpha.pk}
    theirs = {key for key, row in naming_her.items() if people.company_of(row) == twin_company.pk}
    assert hers and theirs  # the scan sees both
    assert hers <= _exported(document), sorted(hers - _exported(document))
    assert not theirs & _exported(document)
    # Every table privacy.person knows holds something of hers: the build covers them all.
    assert {t.key for t in TABLES if document[t.key]} == {t.key for t in TABLES}
    assert set(naming_her) - hers - theirs == set()  # nothing of hers outside a company's rows


def test_rows_found_through_her_rows_are_exported_though_they_do_not_name_her(her, alpha):
    """Her booked appointment's change and her call's events name no number: they are hers by link."""
    document = _export(alpha)
    event_calls = {row["call_id"] for row in document["webhook_events"]}
    assert {"call_7c1e9a4b2d6f3a8e5b0c1d7f4a", "call_lost_jana"} <= event_calls
    assert {row["id"] for row in document["appointments"]} >= {
        her.future.pk,
        her.past.pk,
        her.failed_wish.appointment_id,
    }
    assert her.past.changes.get().pk in {row["id"] for row in document["appointment_changes"]}
    outbound = [row for row in document["calls"] if row["direction"] == "outbound"]
    assert [row["to_number"] for row in outbound] == [people.PHONE]


def test_the_export_holds_what_was_said_and_the_raw_bodies_parsed(her, alpha):
    document = _export(alpha)
    call = next(row for row in document["calls"] if row["retell_call_id"] == her.call.retell_call_id)
    assert people.PHRASE in call["transcript"] and call["summary"]
    assert call["analysis"]["call_summary"] and call["dynamic_variables"]["collected"]["name"] == people.NAME
    assert call["appointments"] == [her.future.pk]
    event = next(row for row in document["webhook_events"] if row["event"] == "call_analyzed")
    assert event["body"]["call"]["from_number"] == people.PHONE  # parsed, not a string
    notice = document["calendar_notices"][0]
    assert notice["body"]["payload"]["attendees"][0]["name"] == people.NAME
    assert document["customers"] == [
        {**document["customers"][0], "phone": people.PHONE, "name": people.NAME, "email": people.EMAIL}
    ]
    assert document["admin_log"][0]["object_type"] == "booking.Customer"
    assert document["asked_for"] == {"phone": people.PHONE, "email": ""}
    assert document["counts"]["calls"] == 2
    json.dumps(document)  # it is JSON as it stands


def test_a_neighbour_whose_number_and_email_contain_hers_is_not_in_her_export(her, alpha):
    other = people.neighbour(alpha)
    document = _export(alpha, email=people.EMAIL)
    text = json.dumps(document, ensure_ascii=False)
    assert other.phone not in text and "Ana Other" not in text and "call_neighbour" not in text


def test_her_twin_at_another_company_is_not_found_and_her_data_is_not_in_the_twins_export(her, alpha):
    beta = people.salon()
    people.twin_at(beta)
    twin_document = _export(beta)
    assert twin_document["counts"]["calls"] == 1 and twin_document["counts"]["appointments"] == 1
    mine = _export(alpha)
    assert "call_twin" not in json.dumps(mine) and her.call.retell_call_id not in json.dumps(twin_document)


def test_an_email_alone_finds_her_customer_and_through_it_her_calls(her, alpha):
    document = _export(alpha, phone="", email="JANA@example.com")
    assert [row["id"] for row in document["customers"]] == [her.customer.pk]
    assert her.call.pk in {row["id"] for row in document["calls"]}


def test_nobody_found_is_an_empty_export_not_an_error(alpha):
    document = _export(alpha)
    assert all(document[t.key] == [] for t in TABLES)
    alpha.language = "en"
    rows = person_rows(person_identify(company=alpha, phone=people.PHONE))
    assert "Nothing is stored about this person." in export_summary(rows)


@pytest.mark.parametrize(
    ("phone", "email", "says"),
    [
        ("12", "", "not a valid phone number"),
        ("hello", "", "not a phone number"),
        ("", "", "Give the person's phone number"),
        (people.CLINIC_NUMBER, "", "one of the company's own numbers"),
        (people.PHONE, "jana@", "not an email address"),
    ],
)
def test_what_names_nobody_is_refused_with_a_reason(alpha, phone, email, says):
    with pytest.raises(PersonNotValid, match=says):
        person_identify(company=alpha, phone=phone, email=email)


def test_the_summary_reads_in_the_companys_language_and_names_what_is_stored(her, alpha):
    rows = person_rows(person_identify(company=alpha, phone=people.PHONE))
    text = export_summary(rows)
    assert people.NAME in text and people.PHRASE in text and "Alpha Mitte" in text
    assert text.count("\n- ") >= 4  # her record, two calls, her appointments...
    alpha.language = "en"
    assert "Calls (2)" in export_summary(rows)


def test_an_export_is_recorded_in_the_audit_trail_by_counts_only(her, alpha):
    text = person_data_export(company=alpha, phone=people.PHONE)
    entry = AuditEntry.objects.get(action="export")
    assert entry.company_id == alpha.pk and entry.object_type == "privacy.person"
    assert entry.changes == json.loads(text)["counts"]
    assert not people.names_her(json.dumps(entry.changes) + entry.object_id + entry.actor_label)
