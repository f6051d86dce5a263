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


def test_a_session_takes_the_environments_proxy_and_ca_bundle_once(monkeypatch):
    """Read when the session is made, not on every request (#15), and still honoured."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "api.cal.eu")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/company-ca.pem")
    proxied = session_for("calcom", "https://api.cal.com/v2", "cal_proxy_a")
    assert proxied.proxies["https"] == "http://proxy.internal:3128"
    assert proxied.verify == "/etc/ssl/certs/company-ca.pem" and proxied.trust_env is False
    direct = session_for("calcom", "https://api.cal.eu/v2", "cal_proxy_b")
    assert "https" not in direct.proxies  # NO_PROXY names it
