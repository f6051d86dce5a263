"""Rows in one statement each, with the statement's SQL built once per shape.

Django builds every statement anew: on a booking event's hot path, building the SQL of its
INSERTs, UPDATEs by key and lookups cost the worker more than the database spent running them
(#15). The statements here are written once per model and column set from the model's own
metadata, and every value passes through its field's own preparation (`pre_save`,
`get_db_prep_save`, the database converters when read), so a row written or read here is the
row the ORM would have written or read. Whatever these cannot say the same way (a value that is
an SQL expression, a model with its own save() or with save signals) goes through the ORM.

And no transaction of their own: Django wraps every bulk write in BEGIN and COMMIT, even of one
row. One statement needs none: in autocommit it is one; inside a caller's transaction a
savepoint keeps a duplicate from aborting the caller's work (`row_insert`).
"""

import functools
import threading
from contextlib import contextmanager, nullcontext

from django.db import DatabaseError, IntegrityError, connections, models, router, transaction
from django.db.models import Expression
from django.db.models.signals import post_save, pre_save
from django.utils.asyncio import async_unsafe

_local = threading.local()  # per thread: converters are bound to the thread's own connection


def row_insert(model, **fields):
    """Insert one row; IntegrityError when a unique constraint says it is there already."""
    row, alias = model(**fields), router.db_for_write(model)
    with _savepoint_if_inside(alias):
        return insert(row)


def _savepoint_if_inside(alias: str):
    """Inside the caller's transaction, a savepoint: a refused statement leaves its work
    standing. In autocommit nothing: one statement is its own transaction."""
    return transaction.atomic(using=alias) if connections[alias].in_atomic_block else nullcontext()


def row_insert_once(model, **fields) -> bool:
    """Insert one row unless a unique constraint says it is there already; True if inserted."""
    try:
        row_insert(model, **fields)
    except IntegrityError:
        return False
    return True


def insert(row: models.Model) -> models.Model:
    """INSERT a new instance as `row.save(force_insert=True)` would, and return it saved."""
    model, alias = type(row), router.db_for_write(type(row), instance=row)
    connection = connections[alias]
    new = _new_row(row, connection) if _plain_model(model) else None
    if new is None:
        row.save(force_insert=True, using=alias)
        return row
    columns, placeholders, params = new
    key = model._meta.pk
    returning = _generated_key(key, row) and connection.features.can_return_columns_from_insert
    sql = _insert_sql(model, columns, placeholders, key.column if returning else "")
    with cursor_for(connection) as cursor:
        cursor.execute(sql, params)
        if _generated_key(key, row):
            value = (
                cursor.fetchone()[0]
                if returning
                else connection.ops.last_insert_id(cursor, model._meta.db_table, key.column)
            )
            row.pk = _converted(model, key, value, connection)
    row._state.adding, row._state.db = False, alias
    return row


def insert_pair(first: models.Model, second: models.Model, *, link: str) -> tuple[models.Model, models.Model]:
    """INSERT `first`, then `second` with its foreign key `link` pointing at `first`: both rows
    or neither (a duplicate in either refuses both, with IntegrityError). On PostgreSQL one
    statement, the first INSERT a data-modifying WITH of the second: no BEGIN and COMMIT
    round trips around them (#15). Elsewhere, or for rows the ORM must write, the two INSERTs
    in a transaction."""
    alias = router.db_for_write(type(first), instance=first)
    if _written_in_one_statement(first, second, link, alias):
        setattr(second, link, first)
        return first, second
    with transaction.atomic(using=alias):
        insert(first)
        setattr(second, link, first)  # after the INSERT: the link is read from first's key
        insert(second)
    return first, second


def _written_in_one_statement(first: models.Model, second: models.Model, link: str, alias: str) -> bool:
    """Both rows written by one INSERT ... WITH, and given their keys; False, with nothing
    written, where that statement cannot say what the ORM would."""
    connection = connections[alias]
    if not _one_statement_pair(connection, first, second):
        return False
    new_first = _new_row(first, connection)
    new_second = _new_row(second, connection, linked=type(second)._meta.get_field(link).column)
    if new_first is None or new_second is None:
        return False
    sql = _pair_sql(type(first), new_first[:2], type(second), new_second[:2])
    with _savepoint_if_inside(alias), cursor_for(connection) as cursor:
        cursor.execute(sql, [*new_first[2], *new_second[2]])
        keys = cursor.fetchone()
    for row, key in zip((first, second), keys, strict=True):
        row.pk = _converted(type(row), row._meta.pk, key, connection)
        row._state.adding, row._state.db = False, alias
    return True


def _one_statement_pair(connection, first: models.Model, second: models.Model) -> bool:
    """PostgreSQL runs an INSERT inside WITH (SQLite does not); both rows need generated keys."""
    return connection.vendor == "postgresql" and all(
        _plain_model(type(row)) and _generated_key(row._meta.pk, row) for row in (first, second)
    )


def upsert(row: models.Model, *, unique: tuple[str, ...], changed: tuple[str, ...]) -> models.Model:
    """INSERT a new instance, or where a row with the same `unique` fields is there, UPDATE that
    row's `changed` fields to the instance's values: one statement, no savepoint, and two
    writers at once cannot both insert. The instance gets the row's primary key."""
    model, alias = type(row), router.db_for_write(type(row), instance=row)
    connection = connections[alias]
    new = _new_row(row, connection)
    if new is None:
        raise ValueError(f"{model.__name__}: an upsert writes values, not SQL expressions")
    columns, placeholders, params = new
    meta = model._meta
    unique_columns = tuple(meta.get_field(name).column for name in unique)
    changed_columns = tuple(meta.get_field(name).column for name in changed)
    with cursor_for(connection) as cursor:
        cursor.execute(_upsert_sql(model, columns, placeholders, unique_columns, changed_columns), params)
        row.pk = cursor.fetchone()[0]
    row._state.adding, row._state.db = False, alias
    return row


def _new_row(row: models.Model, connection, *, linked: str = "") -> tuple[tuple, tuple, list] | None:
    """(columns, placeholders, parameters) of a new row's INSERT, each value prepared by its
    field as save() prepares it; None if a value is an SQL expression other than ColumnOf.
    The `linked` column takes the key of the row inserted first by the same statement."""
    columns, placeholders, params = [], [], []
    for field in type(row)._meta.local_concrete_fields:
        if _generated_key(field, row):
            continue
        if field.column == linked:
            placeholders.append(_FIRST_KEY)
            columns.append(field.column)
            continue
        value = field.pre_save(row, True)
        if isinstance(value, ColumnOf):
            placeholders.append(value.sql)
            params.append(value.pk)
        elif _is_expression(value):
            return None
        else:
            placeholders.append("%s")
            params.append(field.get_db_prep_save(value, connection))
        columns.append(field.column)
    return tuple(columns), tuple(placeholders), params


def update(model, pk, **values) -> int:
    """UPDATE the row with primary key `pk`, as `filter(pk=pk).update(**values)`; rows changed."""
    if any(_is_expression(value) for value in values.values()):
        return model._base_manager.filter(pk=pk).update(**values)
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in values]
    params = [
        field.get_db_prep_save(_saved_value(field, value), connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    key = model._meta.pk
    params.append(key.get_db_prep_value(pk, connection))
    with cursor_for(connection) as cursor:
        cursor.execute(_update_sql(model, tuple(field.column for field in fields)), params)
        return cursor.rowcount


def save_fields(row: models.Model, names: list[str]) -> None:
    """`row.save(update_fields=names)`: the named fields (an auto_now one set now) written."""
    if not _plain_model(type(row)):
        row.save(update_fields=names)
        return
    meta = type(row)._meta
    values = {name: meta.get_field(name).pre_save(row, False) for name in names}
    if update(type(row), row.pk, **values) != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")


def save_all(row: models.Model) -> None:
    """`row.save()` of a row that is there: every field but the primary key written."""
    save_fields(row, [field.name for field in type(row)._meta.concrete_fields if not field.primary_key])


def by_pk(model, pk):
    """The row with primary key `pk`, None if there is none."""
    return first_where(model, model._meta.pk.name, pk)


def first_where(model, name: str, value, *, for_update: bool = False):
    """The first row whose field `name` equals `value` (None if none), locked `for_update`
    (where the database can lock rows; SQLite writes one at a time anyway)."""
    alias = router.db_for_write(model) if for_update else router.db_for_read(model)
    connection = connections[alias]
    field = model._meta.get_field(name)
    lock = for_update and connection.features.has_select_for_update
    sql = _select_sql(model, field.column, lock)
    with cursor_for(connection) as cursor:
        cursor.execute(sql, [field.get_db_prep_value(value, connection)])
        found = cursor.fetchone()
    return None if found is None else from_row(model, found, alias)


PRESENT = object()  # a condition of `rows_where`: the column is not NULL


def rows_where(model, *, order_by: str = "pk", **conditions) -> list:
    """The rows meeting every condition, in `order_by` order: a condition is a value (equal), a
    tuple (one of them) or PRESENT (not NULL)."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    shape, params = [], []
    for name, value in conditions.items():
        field = model._meta.get_field(name)
        if value is PRESENT:
            shape.append((field.column, "present"))
        elif isinstance(value, tuple):
            shape.append((field.column, len(value)))
            params.extend(field.get_db_prep_value(one, connection) for one in value)
        else:
            shape.append((field.column, "equal"))
            params.append(field.get_db_prep_value(value, connection))
    order = model._meta.get_field(model._meta.pk.name if order_by == "pk" else order_by).column
    with cursor_for(connection) as cursor:
        cursor.execute(_where_sql(model, tuple(shape), order), params)
        return [from_row(model, found, alias) for found in cursor.fetchall()]


def from_row(model, values, alias: str):
    """The instance for one row of all the model's concrete columns, in their order (as
    `column_list` writes them), with the database's converters applied."""
    connection = connections[alias]
    values = list(values)
    for index, (converters, column) in _converters(model, alias).items():
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return model.from_db(alias, [field.attname for field in model._meta.concrete_fields], values)


def table(model) -> str:
    return _quote(model._meta.db_table)


def column_list(model) -> str:
    """All the model's concrete columns, quoted, in the order `from_row` reads them."""
    return ", ".join(_quote(field.column) for field in model._meta.concrete_fields)


def column(model, name: str) -> str:
    return _quote(model._meta.get_field(name).column)


class ColumnOf(Expression):
    """One column of the row with primary key `pk`, read by the statement that writes it (so a
    value that is often not needed costs no read of its own), at most `length` characters, ""
    when the row is gone. Its SQL is the same for every key: an INSERT here keeps it built."""

    def __init__(self, model, name: str, pk, *, length: int):
        field = model._meta.get_field(name)
        super().__init__(output_field=field)
        self.pk = pk
        self.sql = (
            f"COALESCE((SELECT SUBSTR({_quote(field.column)}, 1, {int(length)}) FROM {table(model)} "  # noqa: S608
            f"WHERE {_quote(model._meta.pk.column)} = %s), '')"
        )

    def as_sql(self, compiler, connection):
        return self.sql, [self.pk]


@contextmanager
def cursor_for(connection):
    """A cursor whose failed statement marks the caller's transaction for rollback, as the
    ORM's writes do (a caller that catches the error inside `atomic` cannot go on as if the
    transaction were still good).

    The connection's kept cursor: making and closing one per statement, as `connection.cursor()`
    does, cost a third of what the statement cost this side of the wire (#15). While statements
    are being recorded (DEBUG, tests counting queries) each gets a recording cursor of its own."""
    with transaction.mark_for_rollback_on_error(connection.alias):
        if connection.queries_logged:
            with connection.cursor() as cursor:
                yield cursor
        else:
            yield _kept_cursor(connection)


@async_unsafe
def _kept_cursor(connection):
    """The cursor kept on this thread's connection, made anew once the connection is: what
    `connection.cursor()` checks first (the health check, a connection at all) is checked here
    too, so a connection closed or replaced since never serves a statement."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    kept = connection.__dict__.get(_KEPT_CURSOR)
    if kept is None or kept.cursor.connection is not connection.connection:
        kept = connection.__dict__[_KEPT_CURSOR] = connection.cursor()
    return kept


_KEPT_CURSOR = "_core_rows_cursor"


def _plain_model(model) -> bool:
    """Whether an INSERT or UPDATE of its own says all a save would: no save() of its own (or
    one that only guards changes: `INSERTED_AS_SAVED`), no parent table, nobody listening for
    its saves."""
    return (
        (model.save is models.Model.save or model.__dict__.get("INSERTED_AS_SAVED", False))
        and not model._meta.parents
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
    )


def _generated_key(field, row) -> bool:
    return field is row._meta.auto_field and row.pk is None


def _saved_value(field, value):
    """A related row stands for its key, as in the ORM's UPDATE."""
    if field.remote_field and hasattr(value, "prepare_database_save"):
        return value.prepare_database_save(field)
    return value


def _is_expression(value) -> bool:
    return hasattr(value, "resolve_expression")


def _converted(model, field, value, connection):
    """One column's value as the ORM reads it (the generated key an INSERT returned)."""
    index = model._meta.concrete_fields.index(field)
    converters, column = _converters(model, connection.alias).get(index, ((), None))
    for convert in converters:
        value = convert(value, column, connection)
    return value


def _converters(model, alias: str) -> dict:
    """{column index: (converters, column)} for all concrete columns, as the ORM reads them."""
    cache = getattr(_local, "converters", None)
    if cache is None:
        cache = _local.converters = {}
    key = (model, alias)
    if key not in cache:
        compiler = model._base_manager.using(alias).all().query.get_compiler(alias)
        compiler.setup_query()
        cache[key] = compiler.get_converters([column for column, _, _ in compiler.select])
    return cache[key]


def _quote(name: str) -> str:
    return connections["default"].ops.quote_name(name)


# The statements: table and column names come from the models' metadata, quoted; every value
# is a parameter (hence the S608 exemptions).
@functools.cache
def _insert_sql(model, columns: tuple[str, ...], placeholders: tuple[str, ...], returning: str) -> str:
    values = ", ".join(placeholders)
    sql = f"INSERT INTO {table(model)} ({', '.join(map(_quote, columns))}) VALUES ({values})"  # noqa: S608
    return f"{sql} RETURNING {_quote(returning)}" if returning else sql


_FIRST_KEY = '(SELECT "key" FROM "first")'


@functools.cache
def _pair_sql(first, first_shape: tuple[tuple, tuple], second, second_shape: tuple[tuple, tuple]) -> str:
    """(columns, placeholders) of each INSERT; the second's link reads the first's key."""
    first_insert, second_insert = _insert_sql(first, *first_shape, ""), _insert_sql(second, *second_shape, "")
    first_key, second_key = _quote(first._meta.pk.column), _quote(second._meta.pk.column)
    return (
        f'WITH "first" AS ({first_insert} RETURNING {first_key} AS "key") '
        f"{second_insert} RETURNING {_FIRST_KEY}, {second_key}"
    )


@functools.cache
def _upsert_sql(model, columns: tuple, placeholders: tuple, unique: tuple, changed: tuple) -> str:
    assignments = ", ".join(f"{_quote(name)} = EXCLUDED.{_quote(name)}" for name in changed)
    conflict = f"ON CONFLICT ({', '.join(map(_quote, unique))}) DO UPDATE SET {assignments}"
    key = _quote(model._meta.pk.column)
    return f"{_insert_sql(model, columns, placeholders, '')} {conflict} RETURNING {key}"


@functools.cache
def _update_sql(model, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_quote(name)} = %s" for name in columns)
    return f"UPDATE {table(model)} SET {assignments} WHERE {_quote(model._meta.pk.column)} = %s"  # noqa: S608


@functools.cache
def _where_sql(model, shape: tuple[tuple[str, str | int], ...], order: str) -> str:
    conditions = []
    for name, kind in shape:
        if kind == "present":
            conditions.append(f"{_quote(name)} IS NOT NULL")
        elif kind == "equal":
            conditions.append(f"{_quote(name)} = %s")
        else:
            conditions.append(f"{_quote(name)} IN ({', '.join(['%s'] * kind)})")
    where = " AND ".join(conditions) or "1 = 1"
    return f"SELECT {column_list(model)} FROM {table(model)} WHERE {where} ORDER BY {_quote(order)}"  # noqa: S608


@functools.cache
def _select_sql(model, where_column: str, for_update: bool) -> str:
    sql = f"SELECT {column_list(model)} FROM {table(model)} WHERE {_quote(where_column)} = %s LIMIT 1"  # noqa: S608
    return f"{sql} FOR UPDATE" if for_update else sql
