"""Which branch a Retell call books for.

A phone call names its branch by the number dialed. A web call (Retell's dashboard test calls,
`call_type: "web_call"`) has no numbers at all (https://docs.retellai.com/api-references/get-call:
`from_number`, `to_number` and `direction` belong to phone calls only), and neither has a custom
function sent with `args_at_root` (no call object). Such a call is resolved by its agent: the
branch whose number routes to that agent (`PhoneNumber.inbound_agent_ids`, kept by the phone
sync), else the company's only active branch that books. Anything else is ambiguous and stays
unresolved, so the caller hears that we cannot book here rather than book in a guessed branch.
"""

from companies.models import Branch, Company, PhoneNumber
from companies.phone_lookup import phone_number_owner
from telephony.events import dialed_number


def call_branch(company: Company, call: dict) -> Branch | None:
    number = dialed_number(call)
    if number:
        return number_branch(company, number)
    return _branch_of_agent(company, str(call.get("agent_id") or "")) or _only_bookable_branch(company)


def number_branch(company: Company, number: str, *, active_only: bool = True) -> Branch | None:
    """The branch a number of `company` rings, from the cached lookup (no query while cached).
    `active_only=False`: also an inactive number's or branch's (a finished call is recorded)."""
    owner = phone_number_owner(number)
    if not (owner and owner.company_id == company.pk and owner.branch):
        return None
    if active_only and not (owner.is_active and owner.branch.is_active):
        return None
    owner.branch.company = company  # the same row: what books reads it through the branch
    return owner.branch


def _branch_of_agent(company: Company, agent_id: str) -> Branch | None:
    """The one active branch whose active numbers route to `agent_id`; None if none or several.
    Compared in Python: a company has a handful of numbers, and SQLite cannot query inside JSON
    lists (`__contains` on a JSONField is PostgreSQL-only)."""
    if not agent_id:
        return None
    numbers = PhoneNumber.objects.filter(
        company=company, is_active=True, branch__is_active=True
    ).select_related("branch")
    branches = {number.branch_id: number.branch for number in numbers if agent_id in number.inbound_agent_ids}
    return next(iter(branches.values())) if len(branches) == 1 else None


def _only_bookable_branch(company: Company) -> Branch | None:
    bookable = list(
        Branch.objects.filter(company=company, is_active=True, calcom_event_type_id__isnull=False)[:2]
    )
    return bookable[0] if len(bookable) == 1 else None
