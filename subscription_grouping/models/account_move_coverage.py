# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""An accountant's gestures on a group's documents, told to the group.

Cancelling or deleting puts the run back, a posted credit note of a merged
invoice is recorded, and the copies Odoo makes of a merged invoice (its
credit note, the new draft of "Reverse and create invoice") keep its group.
See sale_subscription_group_accounting.py for what each does.
"""

from datetime import timedelta

from odoo import models
from odoo.tools import format_date


class AccountMove(models.Model):
    _inherit = "account.move"

    def copy_data(self, default=None):
        # Odoo's business copies of a merged invoice (its credit note, the new
        # draft that replaces it) belong to its group; a plain duplicate not
        vals_list = super().copy_data(default)
        if self.env.context.get("include_business_fields"):
            for move, vals in zip(self, vals_list, strict=True):
                if move.subscription_group_id:
                    vals.setdefault(
                        "subscription_group_id", move.subscription_group_id.id
                    )
        return vals_list

    def button_cancel(self):
        self._put_back_group_runs("cancel")
        return super().button_cancel()

    def unlink(self):
        # only drafts can be deleted (Odoo refuses the others itself); a
        # cancelled document was put back when it was cancelled
        self.filtered(lambda move: move.state == "draft")._put_back_group_runs("unlink")
        return super().unlink()

    def _post(self, soft=True):
        posted = super()._post(soft)
        refunds = posted.filtered(
            lambda move: move.move_type == "out_refund"
            and move.reversed_entry_id.subscription_group_id
            and move.reversed_entry_id.move_type == "out_invoice"
        )
        if refunds:
            # posted by a billing user (Odoo's own check): the group's history,
            # which that user may not write nor its subscriptions read, as the
            # system
            self.env["sale.subscription.group"].sudo()._record_credit_notes(
                refunds.sudo(),
                reissued=self.env.context.get("subscription_group_reissue", False),
            )
        return posted

    def _put_back_group_runs(self, gesture):
        grouped = self.filtered("subscription_group_id")
        if grouped:
            # once Odoo's own rule lets the user change these documents, the
            # group's history and its members' dates, which a billing user may
            # not write nor read, are updated as the system
            grouped.check_access("write")
            self.env["sale.subscription.group"].sudo()._put_back_invoices(
                grouped.sudo(), gesture
            )

    def _get_group_product_lines(self):
        """The lines that bill a subscription (not its section)."""
        return self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.subscription_id
        )

    def _get_group_billed_periods(self):
        """Per subscription, the full periods this merged invoice bills, as
        ``(first day, day after the last)``; charges are not periods."""
        self.ensure_one()
        periods = {}
        for line in self._get_group_product_lines():
            if line.subscription_group_charge_id or not line.start_date:
                continue
            start, end = periods.get(
                line.subscription_id, (line.start_date, line.end_date)
            )
            periods[line.subscription_id] = (
                min(start, line.start_date),
                max(end, line.end_date),
            )
        day = timedelta(days=1)
        return {sub: (start, end + day) for sub, (start, end) in periods.items()}

    def _get_group_run_dates(self):
        """The group's run dates a merged invoice bills, oldest first: the
        first day of each full period it bills, its run date last (several
        when it caught up missed runs)."""
        self.ensure_one()
        if not self.subscription_group_run_date:
            return []
        return sorted(
            {
                line.start_date
                for line in self._get_group_product_lines()
                if line.start_date and not line.subscription_group_charge_id
            }
            | {self.subscription_group_run_date}
        )

    def _get_group_document_label(self):
        """How the group's history names this document: its number, or for a
        draft, which has none, its kind and date."""
        self.ensure_one()
        if self.name and self.name != "/":
            return self.name
        return self.env._(
            "%(document)s of %(date)s",
            document=self.display_name,
            date=format_date(self.env, self.invoice_date or self.date),
        )

    def _is_full_reversal_of(self, invoice):
        """Whether this credit note credits all of ``invoice``."""
        self.ensure_one()
        currency = invoice.currency_id
        return (
            self.currency_id == currency
            and currency.compare_amounts(self.amount_untaxed, invoice.amount_untaxed)
            == 0
            and currency.compare_amounts(self.amount_total, invoice.amount_total) == 0
        )
