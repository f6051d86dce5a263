"""HTTP sessions are kept per vendor account and thread, so connections stay alive between a
company's Cal.com calls (#15), and no two tenants or threads share one."""

import threading

import pytest

from booking.calendar import calendar_for
from integrations.sessions import session_for


def test_one_session_per_account_and_thread():
    first = session_for("calcom", "https://api.cal.com/v2", "cal_live_a")
    assert session_for("calcom", "https://api.cal.com/v2/", "cal_live_a") is first
    assert session_for("calcom", "https://api.cal.com/v2", "cal_live_b") is not first
    assert session_for("calcom", "https://api.cal.eu/v2", "cal_live_a") is not first
    elsewhere = []
    thread = threading.Thread(
        target=lambda: elsewhere.append(session_for("calcom", "https://api.cal.com/v2", "cal_live_a"))
    )
    thread.start()
    thread.join()
    assert elsewhere[0] is not first


@pytest.mark.django_db
def test_a_companys_calendar_reuses_its_session_from_one_operation_to_the_next(company_a, company_b):
    def session_of(company):
        return calendar_for(company)._gateway.client._session

    assert session_of(company_a) is session_of(company_a)
    assert session_of(company_a) is not session_of(company_b)
