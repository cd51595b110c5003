# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from odoo import Command, api, fields, models
from odoo.tools import float_repr

from subscription_grouping_core import Charge, ChargeKind, ChargeLine, Period

from ..labels import format_label_date


class SaleSubscriptionGroupCharge(models.Model):
    """A prorated amount a group bills besides full periods, per subscription line."""

    _name = "sale.subscription.group.charge"
    _description = "Subscription Group Charge"
    _order = "date_start, id"
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
    event_id = fields.Many2one(
        comodel_name="sale.subscription.group.event",
        string="Event",
        required=True,
        index=True,
        ondelete="cascade",
    )
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription",
        string="Subscription",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    subscription_line_id = fields.Many2one(
        comodel_name="sale.subscription.line",
        string="Subscription Line",
        ondelete="set null",
    )
    kind = fields.Selection(
        selection=[
            ("transition", "Transition"),
            ("credit", "Unused days credit"),
            ("adjustment", "Price adjustment"),
        ],
        required=True,
    )
    date_start = fields.Date(string="Service Start", required=True)
    date_end = fields.Date(
        string="Service End", required=True, help="Last day of service (inclusive)."
    )
    ratio_numerator = fields.Integer(required=True)
    ratio_denominator = fields.Integer(required=True)
    ratio = fields.Float(
        compute="_compute_ratio",
        digits=(16, 6),
        help="The part of one full period of the subscription this charge bills.",
    )
    share = fields.Char(
        compute="_compute_share",
        help="The part of one full period of the subscription this charge bills, "
        "e.g. 16 of 30 days.",
    )
    price = fields.Monetary(
        string="Period Price",
        help="What the subscription line bills for one full period (for a price "
        "adjustment: the difference of prices).",
    )
    amount = fields.Monetary(required=True)
    move_line_ids = fields.One2many(
        comodel_name="account.move.line",
        inverse_name="subscription_group_charge_id",
        string="Invoice Lines",
    )
    state = fields.Selection(
        selection=[("pending", "Pending"), ("invoiced", "Invoiced")],
        compute="_compute_state",
        store=True,
        index=True,
    )

    settle_by_run = fields.Boolean(
        string="Waits for the Scheduled Run",
        readonly=True,
        copy=False,
        help="To be billed at once, but the user whose action made it has no "
        "billing rights: the next scheduled run bills it, by the group's invoicing "
        "mode.",
    )

    _sql_constraints = [
        (
            "ratio_positive",
            "CHECK(ratio_numerator > 0 AND ratio_denominator > 0)",
            "A charge bills a positive part of a period.",
        ),
        ("dates", "CHECK(date_start <= date_end)", "A charge ends after it starts."),
    ]

    @api.depends("ratio_numerator", "ratio_denominator")
    def _compute_ratio(self):
        for charge in self:
            charge.ratio = charge.ratio_numerator / (charge.ratio_denominator or 1)

    @api.depends("move_line_ids.parent_state")
    def _compute_state(self):
        for charge in self:
            invoiced = charge.move_line_ids.filtered(
                lambda line: line.parent_state != "cancel"
            )
            charge.state = "invoiced" if invoiced else "pending"

    @api.depends("ratio_numerator", "ratio_denominator", "date_start", "date_end")
    def _compute_share(self):
        for charge in self:
            charge.share = charge._format_share(
                charge._get_period().days,
                Fraction(charge.ratio_numerator, charge.ratio_denominator),
            )

    @api.model
    def _format_share(self, days, ratio):
        """A charge's part of its period as people read it: "16 of 30 days", or
        a number of periods when it spans more than one."""
        whole = days / ratio
        if ratio < 1 and whole.denominator == 1:
            return self.env._(
                "%(days)s of %(period)s days", days=days, period=int(whole)
            )
        periods = f"{float(ratio):.4f}"
        return self.env._("%(periods)s periods", periods=periods)

    @api.depends("kind", "date_start", "date_end", "subscription_line_id")
    def _compute_display_name(self):
        for charge in self:
            charge.display_name = charge._get_description()

    def _get_period(self):
        self.ensure_one()
        return Period.from_inclusive(self.date_start, self.date_end)

    def _get_description(self):
        """What the invoice line says: the kind, the service period, the ratio."""
        self.ensure_one()
        labels = {
            "transition": self.env._("Transition to the group's billing day"),
            "credit": self.env._("Unused days credited"),
            "adjustment": self.env._("Price change adjustment"),
        }
        return self.env._(
            "%(label)s, %(start)s to %(end)s (%(share)s)",
            label=labels[self.kind],
            start=format_label_date(self.env, self.date_start),
            end=format_label_date(self.env, self.date_end),
            share=self.share,
        )

    @api.model
    def _browse_core(self, charges):
        """The records of core ``charges``, whose lines are keyed by record id."""
        return self.browse([line.key for charge in charges for line in charge.lines])

    def _to_core_charges(self):
        """The planning core's charges: one per event, a line per record."""
        by_event = defaultdict(lambda: self.browse())
        for charge in self:
            by_event[charge.event_id] |= charge
        result = []
        for records in by_event.values():
            first = records[0]
            digits = first.currency_id.decimal_places
            result.append(
                Charge(
                    first.subscription_id.id,
                    ChargeKind(first.kind),
                    first._get_period(),
                    Fraction(first.ratio_numerator, first.ratio_denominator),
                    tuple(
                        ChargeLine(
                            record.id,
                            Decimal(float_repr(record.price, digits)),
                            Decimal(float_repr(record.amount, digits)),
                        )
                        for record in records
                    ),
                )
            )
        return result

    @api.model
    def _prepare_from_core(self, group, event, charge):
        """Values of the records of a core charge (one per subscription line)."""
        lines = self.env["sale.subscription.line"].browse(
            [line.key for line in charge.lines]
        )
        return [
            {
                "group_id": group.id,
                "event_id": event.id,
                "subscription_id": charge.subscription,
                "subscription_line_id": sub_line.id,
                "kind": charge.kind.value,
                "date_start": charge.period.start,
                "date_end": charge.period.last_day,
                "ratio_numerator": charge.ratio.numerator,
                "ratio_denominator": charge.ratio.denominator,
                "price": float(line.price),
                "amount": float(line.amount),
            }
            for sub_line, line in zip(lines, charge.lines, strict=True)
        ]

    def _prepare_account_move_line(self, sign=1):
        """The invoice line billing this charge, priced at its exact amount
        (``sign`` -1: on a credit note, where a credit is a positive line)."""
        self.ensure_one()
        sub_line = self.subscription_line_id
        vals = {
            "name": sub_line._get_group_move_line_name(
                self.subscription_id, self._get_description()
            ),
            "quantity": 1.0,
            "price_unit": sign * self.amount,
            "start_date": self.date_start,
            "end_date": self.date_end,
            "subscription_id": self.subscription_id.id,
            "subscription_group_charge_id": self.id,
        }
        if sub_line:
            base = sub_line._prepare_account_move_line()
            vals.update(
                product_id=base["product_id"],
                product_uom_id=base["product_uom_id"],
                tax_ids=[Command.set(sub_line.tax_ids.ids)],
                analytic_distribution=base["analytic_distribution"],
            )
            if base["account_id"]:
                vals["account_id"] = base["account_id"]
        return vals
