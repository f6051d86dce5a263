"""Writing one row in one statement.

Django wraps every bulk write in a transaction of its own, even of one row: BEGIN and COMMIT
around one INSERT, two more round trips and a commit on hot paths (#15). One INSERT needs no
transaction: in autocommit it is one; inside a caller's transaction a savepoint keeps a
duplicate from aborting the caller's work.
"""

from django.db import IntegrityError, connection, transaction


def row_insert(model, **fields):
    """Insert one row; IntegrityError when a unique constraint says it is there already."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return model.objects.create(**fields)
    return model.objects.create(**fields)


def row_insert_once(model, **fields) -> bool:
    """Insert one row unless a unique constraint says it is there already; True if inserted."""
    try:
        row_insert(model, **fields)
    except IntegrityError:
        return False
    return True
