# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL


class SaleSubscriptionGroupBillingReport(models.Model):
    """What subscriptions billed, line by line, per group and service period.

    A read-only view over the product lines of invoices and credit notes that
    bill a subscription (draft or posted, never cancelled).
    """

    _name = "sale.subscription.group.billing.report"
    _description = "Subscription Group Billing Analysis"
    _auto = False
    _rec_name = "move_id"
    _order = "invoice_date desc, move_id desc, id"

    move_line_id = fields.Many2one(
        comodel_name="account.move.line", string="Invoice Line", readonly=True
    )
    move_id = fields.Many2one(
        comodel_name="account.move", string="Invoice", readonly=True
    )
    move_type = fields.Selection(
        selection=[
            ("out_invoice", "Customer Invoice"),
            ("out_refund", "Customer Credit Note"),
            ("in_invoice", "Vendor Bill"),
            ("in_refund", "Vendor Credit Note"),
            ("out_receipt", "Sales Receipt"),
            ("in_receipt", "Purchase Receipt"),
            ("entry", "Journal Entry"),
        ],
        string="Type",
        readonly=True,
    )
    state = fields.Selection(
        selection=[("draft", "Draft"), ("posted", "Posted")],
        string="Status",
        readonly=True,
    )
    invoice_date = fields.Date(readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", readonly=True
    )
    company_id = fields.Many2one(
        comodel_name="res.company", string="Company", readonly=True
    )
    company_currency_id = fields.Many2one(
        comodel_name="res.currency", string="Company Currency", readonly=True
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency", string="Invoice Currency", readonly=True
    )
    subscription_id = fields.Many2one(
        comodel_name="sale.subscription", string="Subscription", readonly=True
    )
    group_id = fields.Many2one(
        comodel_name="sale.subscription.group", string="Group", readonly=True
    )
    charge_id = fields.Many2one(
        comodel_name="sale.subscription.group.charge",
        string="Group Charge",
        readonly=True,
    )
    charge_kind = fields.Selection(
        selection=[
            ("period", "Full period"),
            ("transition", "Transition"),
            ("credit", "Unused days credit"),
            ("adjustment", "Price adjustment"),
        ],
        string="Charge",
        readonly=True,
        help="Full period: a renewal at the subscription's price; the others "
        "are the prorated charges of the group.",
    )
    product_id = fields.Many2one(
        comodel_name="product.product", string="Product", readonly=True
    )
    start_date = fields.Date(string="Service Start", readonly=True)
    end_date = fields.Date(
        string="Service End", readonly=True, help="Last day of service (inclusive)."
    )
    service_month = fields.Date(
        readonly=True, help="The first day of the month the service period starts in."
    )
    amount_untaxed_signed = fields.Monetary(
        string="Untaxed Amount",
        currency_field="company_currency_id",
        readonly=True,
        help="In the company's currency; credit notes and credits are negative.",
    )
    amount_untaxed_in_currency_signed = fields.Monetary(
        string="Untaxed Amount in Currency",
        currency_field="currency_id",
        readonly=True,
        help="In the invoice's currency; credit notes and credits are negative.",
    )

    _depends = {
        "account.move": [
            "move_type",
            "state",
            "invoice_date",
            "commercial_partner_id",
        ],
        "account.move.line": [
            "move_id",
            "display_type",
            "parent_state",
            "company_id",
            "company_currency_id",
            "currency_id",
            "product_id",
            "balance",
            "amount_currency",
            "start_date",
            "end_date",
            "subscription_id",
            "subscription_group_id",
            "subscription_group_charge_id",
        ],
        "sale.subscription.group.charge": ["kind"],
    }

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    @api.model
    def _select(self):
        # out_* lines credit income: minus the balance is what was billed, and
        # credit notes or negative lines count against it
        return SQL(
            """
            SELECT
                line.id,
                line.id AS move_line_id,
                line.move_id,
                move.move_type,
                line.parent_state AS state,
                move.invoice_date,
                move.commercial_partner_id AS partner_id,
                line.company_id,
                line.company_currency_id,
                line.currency_id,
                line.subscription_id,
                line.subscription_group_id AS group_id,
                line.subscription_group_charge_id AS charge_id,
                COALESCE(charge.kind, 'period') AS charge_kind,
                line.product_id,
                line.start_date,
                line.end_date,
                date_trunc('month', line.start_date)::date AS service_month,
                -line.balance AS amount_untaxed_signed,
                -line.amount_currency AS amount_untaxed_in_currency_signed
            """
        )

    @api.model
    def _from(self):
        return SQL(
            """
            FROM account_move_line line
            JOIN account_move move ON move.id = line.move_id
            LEFT JOIN sale_subscription_group_charge charge
                ON charge.id = line.subscription_group_charge_id
            """
        )

    @api.model
    def _where(self):
        return SQL(
            """
            WHERE line.subscription_id IS NOT NULL
                AND line.display_type = 'product'
                AND line.parent_state IN ('draft', 'posted')
            """
        )
