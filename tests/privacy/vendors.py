"""What Cal.com and Retell answer an erasure, registered on the wire, and the whole database as
text (what must not hold her afterwards, and must not change in a dry run)."""

import io
import json
from datetime import timedelta

from django.core.management import call_command

from tests import calcom_fakes, retell_fakes
from tests.privacy import people

CALCOM = calcom_fakes.BASE
RETELL = retell_fakes.BASE
HER_CALLS = (retell_fakes.CALL_ID, "call_outbound_jana")


def cal_com_cancels(wire, uid: str = people.BOOKING_UID, start=None) -> None:
    start = start or people.booking_start()
    cancelled = calcom_fakes.booking_output(
        start=start, end=start + timedelta(minutes=30), uid=uid, status="cancelled"
    )
    wire.post(f"{CALCOM}/bookings/{uid}/cancel", json=cancelled)


def retell_deletes(wire, *call_ids: str, status: int = 204) -> None:
    for call_id in call_ids:
        if status == 204:
            wire.delete(f"{RETELL}/v2/delete-call/{call_id}", status=204)
        else:
            wire.delete(
                f"{RETELL}/v2/delete-call/{call_id}",
                status=status,
                json=retell_fakes.fixture("error_internal"),
            )


def database_dump() -> str:
    """Every table as dumpdata writes it, re-read so that non-ASCII reads as itself."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return json.dumps(json.loads(out.getvalue()), ensure_ascii=False)
