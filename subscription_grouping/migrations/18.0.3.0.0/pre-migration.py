# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.3.0.0: the pause flag ``paused`` is now ``is_paused``, subscription_oca
19.0's name. Renamed here, before the ORM loads the new fields: otherwise the
ORM adds an empty ``is_paused`` column and drops ``paused`` with its values,
and every paused subscription would be billed again."""

import logging

_logger = logging.getLogger(__name__)


def _column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = %s AND column_name = %s",
        (table, column),
    )
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version or not _column_exists(cr, "sale_subscription", "paused"):
        return
    if _column_exists(cr, "sale_subscription", "is_paused"):
        # another module made the new column already: keep both flags' pauses
        cr.execute(
            "UPDATE sale_subscription SET is_paused = TRUE "
            "WHERE paused AND is_paused IS NOT TRUE"
        )
        _logger.info("Pause flag: %s subscription(s) marked is_paused", cr.rowcount)
        return
    cr.execute("ALTER TABLE sale_subscription RENAME COLUMN paused TO is_paused")
    # the field's own record, its external id and its tracking history follow
    cr.execute(
        "UPDATE ir_model_fields SET name = 'is_paused' "
        "WHERE model = 'sale.subscription' AND name = 'paused'"
    )
    cr.execute(
        "UPDATE ir_model_data SET name = 'field_sale_subscription__is_paused' "
        "WHERE module = 'subscription_grouping' AND model = 'ir.model.fields' "
        "AND name = 'field_sale_subscription__paused'"
    )
    cr.execute("SELECT count(*) FROM sale_subscription WHERE is_paused")
    _logger.info(
        "Pause flag: column paused renamed to is_paused (%s paused)", cr.fetchone()[0]
    )
