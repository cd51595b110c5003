# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from typing import NamedTuple

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

from subscription_grouping_core import Charge, Move


class EventRow(NamedTuple):
    """What one event records, from the core's values.

    Its ``kind``, a member of ``group`` (a record) and its next invoice dates
    before and after; ``charge`` the core charge the event bills (its total is the
    event's amount, its records are created with it); ``values`` any other
    field of the event (a note, the prices of a price change, an amount that
    is no charge).
    """

    kind: str
    group: models.BaseModel
    subscription: int
    date_from: object
    date_to: object
    charge: Charge | None = None
    values: dict | None = None

    @classmethod
    def of_move(cls, kind, group, move: Move, values=None):
        """The event of a core move: its dates and its transition."""
        return cls(
            kind,
            group,
            move.subscription,
            move.old_date,
            move.new_date,
            move.charge,
            values,
        )


class SaleSubscriptionGroupEvent(models.Model):
    """What happened to a member of a group: who, when, old and new dates, amounts."""

    _name = "sale.subscription.group.event"
    _description = "Subscription Group Event"
    _order = "id desc"
    _check_company_auto = True

    group_id = fields.Many2one(
        comodel_name="sale.subscription.group",
        string="Group",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="group_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="group_id.currency_id", store=True)
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        string="Subscription",
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    kind = fields.Selection(
        selection=[
            ("join", "Join"),
            ("realign", "Billing day change"),
            ("leave", "Leave"),
            ("pause", "Pause"),
            ("resume", "Resume"),
            ("price", "Price change"),
            ("ungroup", "Ungroup"),
            ("rollback", "Rollback"),
            ("putback", "Run put back"),
            ("credit", "Credit note"),
        ],
        required=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="By",
        required=True,
        default=lambda self: self.env.user,
    )
    date_from = fields.Date(
        string="Date Before",
        help="The next invoice date before the event (for a price change: the "
        "date it applies from; for a credit note: the first day credited).",
    )
    date_to = fields.Date(
        string="Date After",
        help="The next invoice date after the event (for a leave: the close date; "
        "for a price change: the end of the period already paid; for a credit "
        "note: the last day credited).",
    )
    resume_date = fields.Date(
        string="Service Resumed On",
        help="For a resume: the day service restarts, max(next invoice date, resume "
        "date); the paused days before it are not billed. For a pause: the day "
        "the scheduled action resumes it, if one was set.",
    )
    amount = fields.Monetary(
        help="Total of the charges (or credits) this event created; for an "
        "ungroup, minus the pending charges it dropped."
    )
    price_before = fields.Monetary(help="For a price change: the period price before.")
    price_after = fields.Monetary(help="For a price change: the period price after.")
    note = fields.Char(
        help="For a leave: the close reason; for a run put back or a credit note: "
        "the document and what was done to it; for a resume: whether the "
        "scheduled action did it."
    )
    invoice_id = fields.Many2one(
        comodel_name="account.move",
        string="Document",
        index="btree_not_null",
        ondelete="set null",
        help="For a run put back: the merged invoice cancelled (emptied when it "
        "was deleted); for a credit note: the credit note.",
    )
    credit_kind = fields.Selection(
        selection=[
            ("waiver", "Waived in full"),
            ("partial", "Credited in part"),
            ("reissue", "Billed again on a new draft"),
        ],
        help="For a credit note: whether it waives the periods of the merged "
        "invoice in full (never billed again), credits a part of what they "
        "cost (they stay billed), or comes with a new draft that bills them "
        "again. It counts while the credit note stays posted.",
    )
    charge_ids = fields.One2many(
        comodel_name="sale.subscription.group.charge",
        inverse_name="event_id",
        string="Charges",
    )

    @api.model
    def _record(self, rows):
        """The events of ``rows`` (:class:`EventRow`), with the records of
        their charges: every event of the module is made here.

        Events and charges are the group's history, read-only for every user
        (a rollback reads them): they are written here, as the system, for
        whoever's action they record.
        """
        # sudo: the history is read-only in the access rights; only the module
        # writes it, here (sudo keeps the user: the event's author)
        History = self.sudo()
        events = History.create(
            [
                {
                    "group_id": row.group.id,
                    "subscription_id": row.subscription,
                    "kind": row.kind,
                    "date_from": row.date_from,
                    "date_to": row.date_to,
                    "amount": float(row.charge.total) if row.charge else 0.0,
                    **(row.values or {}),
                }
                for row in rows
            ]
        )
        Charge = History.env["sale.subscription.group.charge"]
        Charge.create(
            [
                vals
                for event, row in zip(events, rows, strict=True)
                if row.charge
                for vals in Charge._prepare_from_core(event.group_id, event, row.charge)
            ]
        )
        return events.with_env(self.env)

    def _log(self):
        """One chatter message per group, and one per subscription concerned."""
        group_lines = defaultdict(list)
        member_lines = defaultdict(list)
        for event in self.sorted("id"):
            summary = event._get_summary()
            group_lines[event.group_id.id].append(summary)
            if event.subscription_id:
                member_lines[event.subscription_id.id].append(
                    self.env._(
                        "In group %(group)s: %(summary)s",
                        group=event.group_id.display_name,
                        summary=summary,
                    )
                )
        for model, lines in (
            (self.env["sale.subscription.group"], group_lines),
            (self.env["sale.subscription"], member_lines),
        ):
            model.browse(lines)._message_log_batch(
                {res_id: Markup("<br/>").join(texts) for res_id, texts in lines.items()}
            )

    def _get_resume_head(self, values):
        """How a resume's sentence starts: by whom (the note) and from when."""
        restart = format_date(self.env, self.resume_date)
        if self.note:
            return self.env._(
                "%(subscription)s resumed (%(note)s), service from %(restart)s",
                note=self.note,
                restart=restart,
                **values,
            )
        return self.env._(
            "%(subscription)s resumed, service from %(restart)s",
            restart=restart,
            **values,
        )

    def _get_pause_summary(self, values):
        if self.resume_date:
            return self.env._(
                "%(subscription)s paused until %(until)s: runs skip it from "
                "%(old)s, the end of its paid period, until it is resumed.",
                until=format_date(self.env, self.resume_date),
                **values,
            )
        return self.env._(
            "%(subscription)s paused: runs skip it from %(old)s, the end of its "
            "paid period.",
            **values,
        )

    def _get_summary(self):
        """One sentence for the chatter: what happened, the dates and amounts."""
        self.ensure_one()
        _ = self.env._
        values = {
            "subscription": self.subscription_id.display_name,
            "old": format_date(self.env, self.date_from),
            "new": format_date(self.env, self.date_to),
            "amount": self.currency_id.format(self.amount),
        }
        charge = self.charge_ids[:1]
        if charge:
            values.update(
                start=format_date(self.env, charge.date_start),
                end=format_date(self.env, charge.date_end),
            )
        kind = self.kind
        if kind in ("join", "realign", "resume"):
            if kind == "resume":
                head = self._get_resume_head(values)
            elif kind == "realign":
                head = _("%(subscription)s moved to the new billing day", **values)
            else:
                head = _("%(subscription)s joined", **values)
            if not charge:
                return _(
                    "%(head)s: its next invoice date %(new)s is already on the "
                    "billing day.",
                    head=head,
                    **values,
                )
            return _(
                "%(head)s: next invoice date %(old)s becomes %(new)s; transition "
                "%(start)s to %(end)s: %(amount)s.",
                head=head,
                **values,
            )
        if kind == "leave":
            reason = f" ({self.note})" if self.note else ""
            if charge:
                return _(
                    "%(subscription)s left the group, closed on %(new)s%(reason)s; "
                    "unused days %(start)s to %(end)s credited: %(amount)s.",
                    reason=reason,
                    **values,
                )
            return _(
                "%(subscription)s left the group, closed on %(new)s%(reason)s; "
                "paid through %(old)s.",
                reason=reason,
                **values,
            )
        if kind == "pause":
            return self._get_pause_summary(values)
        if kind == "price":
            prices = {
                "before": self.currency_id.format(self.price_before),
                "after": self.currency_id.format(self.price_after),
            }
            if charge:
                return _(
                    "%(subscription)s price changed from %(before)s to %(after)s; "
                    "difference for %(start)s to %(end)s: %(amount)s.",
                    **prices,
                    **values,
                )
            return _(
                "%(subscription)s price changed from %(before)s to %(after)s, from "
                "its next period (%(new)s).",
                **prices,
                **values,
            )
        if kind == "putback" and self.date_from == self.date_to:
            return _("%(subscription)s: %(note)s.", note=self.note, **values)
        if kind == "putback":
            return _(
                "%(subscription)s: %(note)s, its run is put back: next invoice date "
                "%(old)s becomes %(new)s again; %(amount)s to bill again.",
                note=self.note,
                **{**values, "amount": self.currency_id.format(-self.amount)},
            )
        if kind == "credit":
            return _(
                "%(subscription)s: %(note)s, %(old)s to %(new)s: %(amount)s.",
                note=self.note,
                **values,
            )
        if kind == "rollback":
            return _(
                "%(subscription)s left the group: next invoice date %(old)s restored "
                "to %(new)s; pending transitions dropped: %(amount)s.",
                **values,
            )
        return _(
            "%(subscription)s left the group and bills on its own from %(new)s.",
            **values,
        )
