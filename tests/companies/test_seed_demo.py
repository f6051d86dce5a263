import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from companies.models import Branch, Company, PhoneNumber

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_uses_the_given_password(monkeypatch, capsys):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-pass-123")
    call_command("seed_demo")
    call_command("seed_demo")
    company = Company.objects.get(slug="demo")
    assert Company.objects.count() == 1
    assert Branch.objects.filter(company=company).count() == 2
    assert PhoneNumber.objects.filter(company=company, is_active=True).count() == 2
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-pass-123")
    assert company.calcom_api_key and company.retell_api_key


def test_seed_demo_generates_and_prints_a_password_once(monkeypatch, capsys):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    call_command("seed_demo")
    first = capsys.readouterr().out
    password = first.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    call_command("seed_demo")
    assert "password unchanged" in capsys.readouterr().out


def test_seed_demo_points_the_demo_tenant_at_the_sandbox_port_it_is_given(monkeypatch):
    # `make run SANDBOX_PORT=...` seeds with the sandbox's address; a later run on another port
    # moves the demo company there instead of leaving it at the first one.
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-pass-123")
    call_command("seed_demo", "--sandbox-url", "http://127.0.0.1:9025/v2")
    assert Company.objects.get(slug="demo").calcom_base_url == "http://127.0.0.1:9025/v2"

    call_command("seed_demo", "--sandbox-url", "http://127.0.0.1:9125/v2")
    assert Company.objects.get(slug="demo").calcom_base_url == "http://127.0.0.1:9125/v2"
