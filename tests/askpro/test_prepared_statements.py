"""On PostgreSQL a statement a connection runs again and again is prepared once, so the server
stops parsing and planning it anew (#15). The PostgreSQL pass runs this (the embedded default
is SQLite, which has no such thing)."""

import pytest
from django.db import connection

from telephony.models import WebhookEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
]


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_a_statement_run_five_times_is_prepared_on_its_connection():
    for attempt in range(6):
        list(WebhookEvent.objects.filter(call_id=f"call_prepared_{attempt}").values_list("pk"))
    assert any('FROM "telephony_webhookevent"' in statement for statement in _prepared())
