# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Dates in the words of the documents a run writes."""

from odoo.tools import format_date

# key of the labels in the cursor's cache (kept for the cursor's transaction)
DATE_LABELS_KEY = "subscription_grouping_date_labels"


def format_label_date(env, value):
    """``format_date(env, value)``, formatted once per language and date for a
    cursor: a run labels thousands of invoice lines and messages with a
    handful of dates, and each of Odoo's calls looks the language up again."""
    labels = env.cr.cache.setdefault(DATE_LABELS_KEY, {})
    key = (env.lang, value)
    if key not in labels:
        labels[key] = format_date(env, value)
    return labels[key]
