"""The arguments MCP tools take: typed and bounded, so the input schema agents see says what
is accepted, and anything else is refused before a tool runs."""

from datetime import date
from typing import Annotated

from pydantic import Field

BranchId = Annotated[
    int | None,
    Field(ge=1, description="A branch_id from list_branches; may be left out if the company has one branch."),
]
TimeZoneName = Annotated[
    str | None,
    Field(
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$",
        description="IANA zone for local times you send and get back; default: the branch's.",
    ),
]
When = Annotated[
    str,
    Field(
        min_length=10,
        max_length=35,
        description="ISO 8601 date and time: with an offset (2026-12-08T10:00:00+01:00) or local "
        "(2026-12-08T10:00), read in `timezone` or the branch's zone.",
    ),
]
IdempotencyKey = Annotated[
    str,
    Field(
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="Your id for this request (e.g. a UUID). Retrying with the same key returns the "
        "first result instead of acting twice; use a new key for a new request.",
    ),
]
AppointmentId = Annotated[
    str,
    Field(
        min_length=6,
        max_length=40,
        pattern=r"^apt_[0-9]+_[a-z2-7]+$",
        description="An appointment_id from find_appointments or book_appointment.",
    ),
]
Reason = Annotated[
    str | None, Field(max_length=300, description="Why, in a few words (kept on the booking).")
]
CustomerName = Annotated[str, Field(min_length=1, max_length=100, description="The customer's full name.")]
Phone = Annotated[str | None, Field(max_length=32, description="The customer's phone number, as given.")]
Email = Annotated[str | None, Field(max_length=254, description="The customer's email address.")]
Notes = Annotated[str | None, Field(max_length=500, description="Anything the practice should know.")]
FirstDay = Annotated[
    date | None, Field(description="First local day (YYYY-MM-DD); default: the first bookable day.")
]
LastDay = Annotated[
    date | None, Field(description="Last local day, inclusive; default: a week after date_from.")
]
SearchDays = Annotated[int, Field(ge=0, le=62, description="How many days after the wished day to search.")]
MaxResults = Annotated[int, Field(ge=1, le=20, description="How many free times to return at most.")]
