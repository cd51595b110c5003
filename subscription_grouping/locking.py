# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Row locks for the scheduled runs: take what no other transaction holds."""

from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo.tools import SQL

# a scheduled action that found every row left held, or changed, by another
# transaction is called again this much later, the same day
LOCKED_RETRY_DELAY = timedelta(minutes=5)


def lock_free_rows(records, skip_changed=True):
    """The records of ``records`` locked for this transaction, less those that
    another transaction holds or has changed since this one began.

    ``FOR UPDATE SKIP LOCKED`` skips the rows another transaction holds. A row
    that another transaction changed and committed after this one's snapshot
    cannot be locked at all under Odoo's REPEATABLE READ: PostgreSQL raises a
    serialization failure. Such a row was just billed or sent by someone else;
    it is skipped too, one row at a time in a savepoint, instead of failing
    the whole call. The caller's count of what is left still sees it, and the
    next call, with a new snapshot, decides again. With ``skip_changed``
    false, the serialization failure is raised instead, for a caller that
    retries its whole transaction (a queue job).
    """
    if not records:
        return records
    cr = records.env.cr
    table = SQL.identifier(records._table)
    try:
        with cr.savepoint(flush=False):
            cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE id IN %s FOR UPDATE SKIP LOCKED",
                    table,
                    tuple(records.ids),
                ),
                # expected, not an error of the query
                log_exceptions=not skip_changed,
            )
            free = {row[0] for row in cr.fetchall()}
            return records.browse([id_ for id_ in records.ids if id_ in free])
    except SerializationFailure:
        if not skip_changed:
            raise
    locked = []
    for record_id in records.ids:
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s FOR UPDATE SKIP LOCKED",
                        table,
                        record_id,
                    ),
                    log_exceptions=False,
                )
                locked += [row[0] for row in cr.fetchall()]
        except SerializationFailure:
            continue
    return records.browse(locked)
