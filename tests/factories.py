"""Test data builders. Numbers are valid German numbers so E.164 validation passes."""

import itertools
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model

from booking.models import Appointment, AppointmentSource, Customer
from companies.models import Branch, Company, PhoneNumber
from telephony.models import Call
from tests import timeline

_numbers = itertools.count(1000000)


def german_number() -> str:
    return f"+49301{next(_numbers):07d}"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    calcom_api_key = factory.Sequence(lambda n: f"cal_live_test_{n}")
    retell_api_key = factory.Sequence(lambda n: f"key_retell_test_{n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    calcom_event_type_id = factory.Sequence(lambda n: 1000 + n)


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    branch = factory.SubFactory(BranchFactory)
    company = factory.SelfAttribute("branch.company")
    number = factory.LazyFunction(german_number)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    company = factory.SubFactory(CompanyFactory)
    phone = factory.LazyFunction(german_number)
    name = factory.Sequence(lambda n: f"Customer {n}")


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    company = factory.SubFactory(CompanyFactory)
    branch = factory.SubFactory(BranchFactory, company=factory.SelfAttribute("..company"))
    retell_call_id = factory.Sequence(lambda n: f"call_{n:08d}")
    from_number = factory.LazyFunction(german_number)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    company = factory.SubFactory(CompanyFactory)
    branch = factory.SubFactory(BranchFactory, company=factory.SelfAttribute("..company"))
    customer = factory.SubFactory(CustomerFactory, company=factory.SelfAttribute("..company"))
    # The booking day (a Tuesday at least two days ahead) at 10:00 in Berlin.
    start = factory.LazyFunction(lambda: timeline.utc(timeline.booking_day(), "10:00"))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    source = AppointmentSource.ADMIN


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")
