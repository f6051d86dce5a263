"""Staff see their own company's texts only, read-only; staff and owners send a failed one again,
viewers cannot, and a sent one is never sent twice."""

import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.functional import Promise

from booking.models import WorkStatus
from companies.models import StaffRole
from companies.services import staff_member_add
from notifications.models import Notification, NotificationKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:notifications_notification_changelist"


def _notification(company, *, status=WorkStatus.FAILED) -> Notification:
    return Notification.objects.create(
        company=company,
        idempotency_key=f"booking_request:{company.pk}:{status}:booking_failed",
        kind=NotificationKind.BOOKING_FAILED,
        recipient="+4915112345678",
        language="de",
        text="Ihr Terminwunsch konnte leider nicht gebucht werden.",
        status=status,
        attempts=1,
        last_error="Twilio 21211: not a valid phone number.",
    )


def _send_again(client, *notifications):
    return client.post(
        reverse(CHANGELIST),
        {"action": "send_again", ACTION_CHECKBOX_NAME: [n.pk for n in notifications]},
        follow=True,
    )


def test_the_list_shows_only_the_own_companys_texts(client, alice, company_a, company_b):
    mine, theirs = _notification(company_a), _notification(company_b)
    client.force_login(alice)
    shown = {n.pk for n in client.get(reverse(CHANGELIST)).context["cl"].result_list}
    assert shown == {mine.pk}
    assert theirs.pk not in shown


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_another_companys_text_is_404(client, alice, company_b, view):
    theirs = _notification(company_b)
    client.force_login(alice)
    url = reverse(f"admin:notifications_notification_{view}", args=[theirs.pk])
    assert client.get(url).status_code == 404


def test_the_own_text_opens_read_only(client, alice, company_a):
    mine = _notification(company_a)
    client.force_login(alice)
    page = client.get(reverse("admin:notifications_notification_change", args=[mine.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_staff_send_a_failed_text_again(client, alice, company_a):
    failed = _notification(company_a)
    client.force_login(alice)
    _send_again(client, failed)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (WorkStatus.SUCCEEDED, 2)  # the logging sender


def test_a_sent_text_is_not_sent_again(client, alice, company_a):
    sent = _notification(company_a, status=WorkStatus.SUCCEEDED)
    client.force_login(alice)
    page = _send_again(client, sent)
    sent.refresh_from_db()
    assert sent.attempts == 1
    assert "Only failed notifications are sent again." in page.content.decode()


def test_another_companys_text_is_not_sent_by_the_action(client, alice, company_b):
    theirs = _notification(company_b)
    client.force_login(alice)
    _send_again(client, theirs)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.attempts) == (WorkStatus.FAILED, 1)


def test_a_viewer_reads_but_cannot_send_again(client, company_a):
    viewer = UserFactory(username="vera")
    staff_member_add(company=company_a, user=viewer, role=StaffRole.VIEWER)
    failed = _notification(company_a)
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and "send_again" not in page.content.decode()
    _send_again(client, failed)
    failed.refresh_from_db()
    assert failed.attempts == 1


def test_the_owner_may_send_again(olga):
    assert olga.has_perm("notifications.change_notification")
    assert olga.has_perm("notifications.view_notification")


def test_the_outbox_labels_are_marked_for_translation():
    config = apps.get_app_config("notifications")
    labels = [config.verbose_name, Notification._meta.verbose_name, Notification._meta.verbose_name_plural]
    for field in Notification._meta.fields:
        if not field.auto_created:
            labels += [field.verbose_name, *(label for _, label in field.flatchoices)]
    assert all(isinstance(label, Promise) for label in labels)
