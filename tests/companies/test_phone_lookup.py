"""The dialed number's owner and branch, cached together (#15): read once, then no query until
admin changes the number or the branch."""

from companies.models import Branch, PhoneNumber
from companies.phone_lookup import phone_number_owner
from telephony.call_branch import number_branch
from tests.factories import BranchFactory, CompanyFactory

NUMBER = "+493011111111"


def test_the_branch_comes_with_the_cached_owner_without_a_query(company_a, django_assert_num_queries):
    first = number_branch(company_a, NUMBER)
    with django_assert_num_queries(0):
        again = number_branch(company_a, NUMBER)
    assert again == first == Branch.objects.get(company=company_a)
    assert again is not first  # each caller gets its own copy to set attributes on
    assert again.company is company_a  # no query for it either


def test_a_saved_branch_is_read_again_by_the_next_call(company_a):
    number_branch(company_a, NUMBER)
    branch = Branch.objects.get(company=company_a)
    branch.calcom_event_type_id, branch.timezone = 4242, "Europe/Vienna"
    branch.save()
    seen = number_branch(company_a, NUMBER)
    assert (seen.calcom_event_type_id, seen.timezone) == (4242, "Europe/Vienna")


def test_a_deactivated_branch_answers_only_where_inactive_ones_count(company_a):
    number_branch(company_a, NUMBER)
    branch = Branch.objects.get(company=company_a)
    branch.is_active = False
    branch.save()
    assert number_branch(company_a, NUMBER) is None
    assert number_branch(company_a, NUMBER, active_only=False) == branch


def test_a_deleted_branch_leaves_its_number_without_a_branch(company_a):
    """An active number needs its branch (a constraint): the number is switched off first,
    then looked up again (cached with the branch), then the branch is deleted."""
    phone = PhoneNumber.objects.get(number=NUMBER)
    phone.is_active = False
    phone.save()
    assert number_branch(company_a, NUMBER, active_only=False) is not None
    Branch.objects.get(company=company_a).delete()
    assert phone_number_owner(NUMBER).branch is None
    assert number_branch(company_a, NUMBER, active_only=False) is None


def test_a_number_moved_to_another_branch_rings_there(company_a):
    number_branch(company_a, NUMBER)
    other = BranchFactory(company=company_a, name="Alpha Nord")
    phone = PhoneNumber.objects.get(number=NUMBER)
    phone.branch = other
    phone.save()
    assert number_branch(company_a, NUMBER) == other


def test_another_company_never_gets_the_cached_branch(company_a):
    number_branch(company_a, NUMBER)
    stranger = CompanyFactory(name="Other", slug="other")
    assert number_branch(stranger, NUMBER) is None
    assert number_branch(stranger, NUMBER, active_only=False) is None
