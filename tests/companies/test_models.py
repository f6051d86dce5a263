import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from booking.models import Customer
from companies.models import Branch, Company, PhoneNumber
from companies.validators import normalize_e164
from tests.factories import AppointmentFactory, BranchFactory, CompanyFactory, CustomerFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("030 83793369", "+493083793369"),
        ("030/83793369", "+493083793369"),
        ("+49 30 83793369", "+493083793369"),
        ("0049 30 83793369", "+493083793369"),
        ("+49 (0)30 837 933 69", "+493083793369"),
        ("089 38899000", "+498938899000"),
        ("0171 1234567", "+491711234567"),
        ("+1 212 555 0100", "+12125550100"),
        ("+43 1 5123456", "+4315123456"),
    ],
)
def test_numbers_are_normalised_to_e164_with_germany_as_default_region(raw, expected):
    assert normalize_e164(raw) == expected


@pytest.mark.parametrize("raw", ["", "hello", "123", "+49 30", "030 837933691234567"])
def test_invalid_numbers_are_rejected(raw):
    with pytest.raises(ValidationError):
        normalize_e164(raw)


@pytest.mark.django_db
def test_phone_number_is_normalised_on_save_and_globally_unique():
    branch = BranchFactory()
    number = PhoneNumber.objects.create(company=branch.company, branch=branch, number="030 83793369")
    assert number.number == "+493083793369"
    other = BranchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        # The same number typed differently, even for another company, is the same number.
        PhoneNumber.objects.create(company=other.company, branch=other, number="+49 30 83793369")


@pytest.mark.django_db
def test_phone_number_branch_must_belong_to_the_same_company():
    mine, theirs = CompanyFactory(), CompanyFactory()
    foreign_branch = BranchFactory(company=theirs)
    number = PhoneNumber(company=mine, branch=foreign_branch, number="030 83793369")
    with pytest.raises(ValidationError) as excinfo:
        number.full_clean()
    assert "branch" in excinfo.value.message_dict
    assert not PhoneNumber.objects.exists()


@pytest.mark.django_db
def test_an_active_number_without_branch_is_refused_by_the_database():
    company = CompanyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneNumber.objects.create(company=company, number="+493083793369", is_active=True)
    inactive = PhoneNumber.objects.create(company=company, number="+493083793369", is_active=False)
    assert inactive.branch is None


@pytest.mark.django_db
def test_customer_phone_is_unique_per_company_but_not_across_companies():
    a, b = CompanyFactory(), CompanyFactory()
    Customer.objects.create(company=a, phone="+493083793369")
    Customer.objects.create(company=b, phone="+493083793369")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(company=a, phone="+493083793369")


@pytest.mark.django_db
def test_appointment_relations_must_share_the_company():
    appointment = AppointmentFactory()
    appointment.customer = CustomerFactory()  # another company's customer
    with pytest.raises(ValidationError) as excinfo:
        appointment.full_clean()
    assert "customer" in excinfo.value.message_dict


@pytest.mark.django_db
def test_appointment_end_must_follow_start():
    appointment = AppointmentFactory()
    appointment.end = appointment.start
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment.save()


@pytest.mark.django_db
def test_timezone_must_be_iana_and_base_url_must_be_calcom():
    company = Company(name="X", slug="x", timezone="Mars/Olympus", calcom_base_url="https://evil.example/v2")
    with pytest.raises(ValidationError) as excinfo:
        company.full_clean()
    assert {"timezone", "calcom_base_url"} <= set(excinfo.value.message_dict)
    company.timezone, company.calcom_base_url = "Europe/Vienna", "https://api.cal.eu/v2"
    company.full_clean()


@pytest.mark.django_db
def test_branch_falls_back_to_company_timezone_and_language():
    company = CompanyFactory(timezone="Europe/Vienna", language="en")
    branch = Branch.objects.create(company=company, name="Wien")
    assert (branch.effective_timezone, branch.effective_language) == ("Europe/Vienna", "en")
    branch.timezone, branch.language = "Europe/Berlin", "de"
    assert (branch.effective_timezone, branch.effective_language) == ("Europe/Berlin", "de")


@pytest.mark.django_db
def test_webhook_keys_are_random_and_unique():
    keys = {CompanyFactory().webhook_key for _ in range(5)}
    assert len(keys) == 5
    assert all(len(key) >= 40 for key in keys)
