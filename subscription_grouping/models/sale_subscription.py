# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_repr

from subscription_grouping_core import Cadence, Line, Member, join_refusal

# subscription_oca's invoicing modes, as a merged invoice honours them: a
# group makes invoices, not sale orders, so "sale order & invoice" posts.
GROUP_INVOICING_MODES = {
    "draft": "draft",
    "invoice": "invoice",
    "invoice_send": "invoice_send",
    "sale_and_invoice": "invoice",
}


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    group_id = fields.Many2one(
        comodel_name="sale.subscription.group",
        string="Group",
        index="btree_not_null",
        copy=False,
        readonly=True,
        tracking=True,
        help="The group that bills this subscription with the customer's other "
        "subscriptions, on the group's billing day.",
    )
    group_next_run_date = fields.Date(
        related="group_id.next_run_date", string="Next Merged Invoice"
    )
    grouping_refusal = fields.Selection(
        selection=[
            (
                "cadence",
                "Its cadence, in days or weeks, cannot follow a monthly billing day",
            ),
            ("no_lines", "It has no lines to bill"),
            ("no_next_date", "It has no next invoice date"),
            ("no_currency", "It has no pricelist, hence no currency"),
        ],
        string="Not Grouped Because",
        copy=False,
        readonly=True,
    )
    billed_line_ids = fields.One2many(
        comodel_name="account.move.line",
        inverse_name="subscription_id",
        string="Billed Lines",
        help="The invoice lines that bill this subscription.",
    )
    grouping_charge_ids = fields.One2many(
        comodel_name="sale.subscription.group.charge",
        inverse_name="subscription_id",
        string="Group Charges",
    )

    @api.constrains("recurring_next_date", "group_id")
    def _check_group_alignment(self):
        for sub in self.filtered(lambda sub: sub.group_id and sub.recurring_next_date):
            group = sub.group_id
            if not group._get_anchor().is_aligned(
                sub.recurring_next_date, sub._get_grouping_cadence()
            ):
                raise ValidationError(
                    self.env._(
                        "The next invoice date of %(subscription)s must fall on "
                        "the billing day of its group %(group)s.",
                        subscription=sub.display_name,
                        group=group.display_name,
                    )
                )

    @api.depends("invoice_ids", "sale_order_ids.invoice_ids", "billed_line_ids")
    def _compute_account_invoice_ids_count(self):
        # subscription_oca counts only invoices of one subscription, and takes
        # "no invoice yet" for "start today": merged invoices count too.
        res = super()._compute_account_invoice_ids_count()
        merged = dict(
            self.env["account.move.line"]._read_group(
                [
                    ("subscription_id", "in", self.ids),
                    ("move_id.subscription_id", "=", False),
                ],
                ["subscription_id"],
                ["move_id:count_distinct"],
            )
        )
        for subscription in self:
            subscription.account_invoice_ids_count += merged.get(subscription, 0)
        return res

    def write(self, vals):
        res = super().write(vals)
        if vals.get("stage_id"):
            # a new subscription of a grouped customer joins when it starts
            self.filtered(
                lambda sub: sub.in_progress
                and not sub.group_id
                and sub.partner_id.commercial_partner_id.subscription_grouping
            )._join_subscription_group()
        return res

    def action_view_account_invoice_ids(self):
        action = super().action_view_account_invoice_ids()
        merged = (
            self.env["account.move.line"]
            .search([("subscription_id", "in", self.ids)])
            .move_id
        )
        action["domain"] = [
            ("id", "in", list(set(action["domain"][0][2]) | set(merged.ids)))
        ]
        return action

    @api.model
    def cron_subscription_management(self):
        res = super().cron_subscription_management()
        self.env["sale.subscription.group"]._cron_run()
        return res

    def generate_invoice(self):
        # Grouped subscriptions are billed by their group, on its run dates.
        to_bill = self.filtered(lambda sub: not sub.group_id)
        return super(SaleSubscription, to_bill).generate_invoice() if to_bill else False

    def manual_invoice(self):
        grouped = self.filtered("group_id")
        if grouped:
            raise UserError(
                self.env._(
                    "%(subscription)s is billed with its group %(group)s, on the "
                    "group's merged invoices: open the group to invoice it now.",
                    subscription=grouped[0].display_name,
                    group=grouped[0].group_id.display_name,
                )
            )
        return super().manual_invoice()

    def _get_group_section_name(self):
        """The section heading of this subscription on a merged invoice."""
        self.ensure_one()
        return " - ".join(filter(None, [self.display_name, self.template_id.name]))

    def _get_grouping_cadence(self):
        """The subscription's own cadence, from its template."""
        self.ensure_one()
        template = self.template_id
        return Cadence(template.recurring_interval, template.recurring_rule_type)

    def _get_grouping_member(self):
        """The planning core's view of this subscription.

        Each line bills, for one full period, its unit price times its
        quantity after discount: the amount its invoice line is priced at (tax
        included or not, as the line's taxes say), as an exact decimal of the
        currency.
        """
        self.ensure_one()
        lines = tuple(
            Line(
                line.id,
                self._grouping_decimal(
                    line.price_unit
                    * line.product_uom_qty
                    * (1 - (line.discount or 0.0) / 100)
                ),
            )
            for line in self.sale_subscription_line_ids
        )
        return Member(
            self.id,
            self.recurring_next_date or None,
            self._get_grouping_cadence(),
            lines,
        )

    def _grouping_decimal(self, amount):
        """An amount of the subscription's currency as an exact decimal."""
        currency = self.currency_id
        return Decimal(float_repr(currency.round(amount), currency.decimal_places))

    def _get_grouping_rounding(self):
        """The currency's rounding unit, as the core rounds with it."""
        self.ensure_one()
        currency = self.currency_id
        return Decimal(float_repr(currency.rounding, currency.decimal_places))

    def _get_grouping_key(self):
        """What must be equal for subscriptions to share one invoice."""
        self.ensure_one()
        mode = GROUP_INVOICING_MODES.get(self.template_id.invoicing_mode, "draft")
        template = self.template_id.invoice_mail_template_id
        return (
            self.partner_id.commercial_partner_id.id,
            self.company_id.id,
            self.currency_id.id,
            self.fiscal_position_id.id,
            self.journal_id.id,
            mode,
            template.id if mode == "invoice_send" else False,
        )

    def _join_subscription_group(self):
        """Join each subscription to its customer's group (DESIGN, rule 1).

        Subscriptions that cannot join keep billing on their own, with the
        reason shown on them.
        """
        members = {}
        refused = defaultdict(lambda: self.browse())
        for subscription in self:
            if not subscription.currency_id:
                refused["no_currency"] |= subscription
                continue
            member = subscription._get_grouping_member()
            reason = join_refusal(member)
            if reason:
                refused[reason.value] |= subscription
            else:
                members[subscription] = member
        for reason, subscriptions in refused.items():
            subscriptions.grouping_refusal = reason
        if members:
            self.env["sale.subscription.group"]._join(members)
