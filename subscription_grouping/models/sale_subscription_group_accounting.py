# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an accountant does to a group's documents, kept in the coverage.

Cancelling or deleting the merged invoice of a group's latest run puts that
run back: its members' next invoice dates return to the days it billed from,
and the charges it billed wait again (a charge is pending while no live
invoice line bills it). A posted credit note of a merged invoice is recorded
as a credit of the periods it credits, in full or in part; the members'
dates stay where they are. A credit counts while its credit note is posted.
"""

from collections import defaultdict

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from .sale_subscription_group_event import EventRow


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    # -- cancel and delete ----------------------------------------------------
    @api.model
    def _put_back_invoices(self, moves, gesture):
        """Put back what the group documents ``moves`` billed, before they are
        cancelled or deleted (``gesture``: "cancel" or "unlink"): the latest
        run of each group first, so that a batch may hold several runs. Runs
        as the system: the caller checked the user may change ``moves``."""
        moves = moves.filtered(
            lambda move: move.subscription_group_id and move.state != "cancel"
        )
        events = self.env["sale.subscription.group.event"]
        for move in moves.sorted(
            lambda move: (move.subscription_group_run_date or move.date, move.id),
            reverse=True,
        ):
            group = move.subscription_group_id
            group._check_not_credited(move, moves)
            if move.subscription_group_run_date:
                group._check_run_can_go_back(move, moves)
            else:
                group._check_reissue_can_go(move)
            rows = group._put_back_rows(move, gesture)
            events |= events._record(rows)
            self.env["sale.subscription"]._write_grouping_values(
                (row.subscription, {"recurring_next_date": row.date_to})
                for row in rows
                if row.date_to != row.date_from
            )
        events._log()
        return events

    def _check_run_can_go_back(self, move, moves):
        """Refuse to put back a run that a later live run, or a later change
        of one of its members, builds on: with what to do instead."""
        self.ensure_one()
        run_date = move.subscription_group_run_date
        later = self.invoice_ids.filtered(
            lambda other: other.subscription_group_run_date
            and other.subscription_group_run_date > run_date
            and other.state != "cancel"
            and other not in moves
        )
        if later:
            raise UserError(
                self.env._(
                    "%(invoice)s bills the run of %(date)s of the group %(group)s, "
                    "and later runs build on it: cancel or delete %(later)s first.",
                    invoice=move._get_group_document_label(),
                    date=format_date(self.env, run_date),
                    group=self.display_name,
                    later=", ".join(
                        move._get_group_document_label()
                        for move in later.sorted("subscription_group_run_date")
                    ),
                )
            )
        changed = self.env["sale.subscription"]
        for sub, (start, end) in move._get_group_billed_periods().items():
            # a charge for days of this run that the invoice does not bill
            # (a price change, a credit, a new billing day) was planned on it
            later_charges = sub.grouping_charge_ids.filtered(
                lambda charge, start=start, end=end: charge.date_start < end
                and charge.date_end >= start
                and not (charge.move_line_ids.move_id & move)
            )
            if (
                sub.group_id != self
                or not sub.in_progress
                or sub.is_paused
                or sub.recurring_next_date != end
                or later_charges
            ):
                changed |= sub
        if changed:
            raise UserError(
                self.env._(
                    "%(subscriptions)s changed since %(invoice)s billed them (closed, "
                    "paused, re-priced or moved to another billing day), so its run "
                    "cannot be put back: keep it, or post it and credit it with a "
                    "credit note.",
                    subscriptions=", ".join(changed.mapped("display_name")),
                    invoice=move._get_group_document_label(),
                )
            )

    def _check_not_credited(self, move, moves):
        """Refuse to cancel or delete a document that a live credit note
        credits (unless it goes too): the credit note would then credit days
        that nothing bills."""
        self.ensure_one()
        refunds = move.reversal_move_ids.filtered(
            lambda refund: refund.state != "cancel" and refund not in moves
        )
        if refunds:
            raise UserError(
                self.env._(
                    "%(invoice)s is credited by %(refunds)s: cancel the credit note "
                    "first, or both together.",
                    invoice=move._get_group_document_label(),
                    refunds=", ".join(
                        refund._get_group_document_label() for refund in refunds
                    ),
                )
            )

    def _check_reissue_can_go(self, move):
        """Refuse to cancel or delete either half of a "Reverse and Create
        Invoice": the new draft that bills a credited invoice's periods again,
        or the credit note whose periods it bills again. Without one, the
        other would leave those days unbilled, or billed twice."""
        self.ensure_one()
        reissued = self.env["sale.subscription.group.event"].search_count(
            [
                ("kind", "=", "credit"),
                ("credit_kind", "=", "reissue"),
                ("invoice_id", "=", move.id),
            ],
            limit=1,
        )
        bills_periods = move.move_type == "out_invoice" and any(
            move._get_group_billed_periods()
        )
        if reissued or bills_periods:
            raise UserError(
                self.env._(
                    "%(invoice)s is one half of a credit note and a new invoice "
                    "that bills the same periods again: cancelling or deleting it "
                    "would leave those days unbilled, or billed twice. Keep it; to "
                    "waive the days, post the new invoice and credit it in full.",
                    invoice=move._get_group_document_label(),
                )
            )

    def _put_back_rows(self, move, gesture):
        """The events of putting back ``move``: one per subscription it bills,
        with its next invoice date before and after."""
        self.ensure_one()
        periods = move._get_group_billed_periods()
        amounts = defaultdict(float)
        for line in move._get_group_product_lines():
            amounts[line.subscription_id] += line.price_subtotal
        document = move._get_group_document_label()
        note = (
            self.env._("%(invoice)s cancelled", invoice=document)
            if gesture == "cancel"
            else self.env._("%(invoice)s deleted", invoice=document)
        )
        if move.move_type == "out_refund":
            note = self.env._("%(note)s: what it credited counts no more", note=note)
        elif not move.subscription_group_run_date:
            note = self.env._(
                "%(note)s: its charges wait again for the next merged invoice",
                note=note,
            )
        rows = []
        for sub, amount in amounts.items():
            start = periods.get(sub, (None, None))[0]
            current = sub.recurring_next_date
            rows.append(
                EventRow(
                    "putback",
                    self,
                    sub.id,
                    current,
                    start or current,
                    values={
                        "amount": -self.currency_id.round(amount),
                        "note": note,
                        "invoice_id": move.id,
                    },
                )
            )
        return rows

    # -- credit notes ---------------------------------------------------------
    @api.model
    def _record_credit_notes(self, refunds, reissued=False):
        """Record the posted credit notes ``refunds`` of merged invoices: per
        subscription, the periods and the amount credited, in full or in part
        (``reissued``: the invoice is billed again on a new draft)."""
        rows = []
        # a credit note posted again after a reset to draft is recorded once
        recorded = (
            self.env["sale.subscription.group.event"]
            .search([("kind", "=", "credit"), ("invoice_id", "in", refunds.ids)])
            .invoice_id
        )
        for refund in refunds - recorded:
            invoice = refund.reversed_entry_id
            group = invoice.subscription_group_id
            full = refund._is_full_reversal_of(invoice)
            if reissued:
                note = self.env._(
                    "%(invoice)s credited by %(refund)s and billed again on a new "
                    "draft",
                    invoice=invoice._get_group_document_label(),
                    refund=refund._get_group_document_label(),
                )
            elif full:
                note = self.env._(
                    "%(invoice)s credited in full by %(refund)s: these days are "
                    "waived, not billed again",
                    invoice=invoice._get_group_document_label(),
                    refund=refund._get_group_document_label(),
                )
            else:
                note = self.env._(
                    "%(invoice)s credited in part by %(refund)s",
                    invoice=invoice._get_group_document_label(),
                    refund=refund._get_group_document_label(),
                )
            credited = defaultdict(float)
            periods = {}
            for line in refund._get_group_product_lines():
                sub = line.subscription_id
                credited[sub] += line.price_subtotal
                if line.start_date and line.end_date:
                    start, end = periods.get(sub, (line.start_date, line.end_date))
                    periods[sub] = (
                        min(start, line.start_date),
                        max(end, line.end_date),
                    )
            for sub, amount in credited.items():
                start, end = periods.get(sub, (None, None))
                rows.append(
                    EventRow(
                        "credit",
                        group,
                        sub.id,
                        start,
                        end,
                        values={
                            "amount": group.currency_id.round(amount),
                            "note": note,
                            "invoice_id": refund.id,
                            "credit_kind": (
                                "reissue"
                                if reissued
                                else "waiver"
                                if full
                                else "partial"
                            ),
                        },
                    )
                )
        events = self.env["sale.subscription.group.event"]._record(rows)
        events._log()
        return events
