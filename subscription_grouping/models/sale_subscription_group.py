# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The subscription group: what it is, what it shows, and its key.

The group's behaviours extend the same model, one concern per file, as Odoo
does with account_journal_dashboard.py: joining and changing the billing day
(sale_subscription_group_join.py), the run and its invoices
(sale_subscription_group_invoice.py), the scheduled bill run
(sale_subscription_group_run.py) and switching grouping off
(sale_subscription_group_ungroup.py). What happens to one member (leave,
pause, resume, new prices) is done by the subscription itself
(sale_subscription_lifecycle.py).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import format_date

from subscription_grouping_core import Anchor, due_run_dates

MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]

TRANSITION_POLICIES = [
    ("next_invoice", "On the next merged invoice"),
    ("immediate", "On an invoice of its own, at once"),
]
CANCELLATION_POLICIES = [
    ("keep", "Keep the prepaid days"),
    ("credit", "Credit the unused prepaid days"),
]
PRICE_CHANGE_POLICIES = [
    ("next_period", "From the next service period"),
    ("prorate", "Prorate the rest of the paid period"),
]
CATCH_UP_POLICIES = [
    ("per_run", "One invoice per missed run"),
    ("one_invoice", "All missed runs on one invoice"),
]
MANAGER_GROUP = "subscription_grouping.group_subscription_grouping_manager"

# The fields of a group that cannot differ inside one invoice: its key (see
# _get_grouping_key_fields).
KEY_FIELDS = (
    "partner_id",
    "company_id",
    "currency_id",
    "fiscal_position_id",
    "journal_id",
    "invoicing_mode",
    "invoice_mail_template_id",
)


class SaleSubscriptionGroup(models.Model):
    _name = "sale.subscription.group"
    _description = "Subscription Group"
    _inherit = ["mail.thread"]
    _order = "partner_id, id desc"
    _check_company_auto = True

    # in the reader's language, computed when read: a stored name would keep
    # the language of whoever computed it last
    name = fields.Char(compute="_compute_name", search="_search_name")
    active = fields.Boolean(default=True, tracking=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        readonly=True,
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(
        comodel_name="res.currency", required=True, readonly=True
    )
    fiscal_position_id = fields.Many2one(
        comodel_name="account.fiscal.position", check_company=True, readonly=True
    )
    journal_id = fields.Many2one(
        comodel_name="account.journal",
        check_company=True,
        readonly=True,
        domain="[('type', '=', 'sale')]",
    )
    invoicing_mode = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("invoice", "Posted"),
            ("invoice_send", "Posted and sent"),
        ],
        required=True,
        default="draft",
        readonly=True,
    )
    invoice_mail_template_id = fields.Many2one(
        comodel_name="mail.template", string="Invoice Email", readonly=True
    )
    anchor_day = fields.Integer(
        string="Billing Day",
        required=True,
        default=1,
        readonly=True,
        help="Day of the month the group bills on; 29-31 fall on the last day of "
        "shorter months.",
    )
    anchor_month = fields.Selection(
        selection=MONTHS,
        string="Billing Month",
        readonly=True,
        help="For yearly subscriptions only: the month they bill in.",
    )
    transition_policy = fields.Selection(
        selection=TRANSITION_POLICIES,
        required=True,
        default="next_invoice",
        tracking=True,
        help="Where the prorated days between a subscription's next invoice date "
        "and the group's billing day are billed when it joins.",
    )
    cancellation_policy = fields.Selection(
        selection=CANCELLATION_POLICIES,
        string="Unused Days on Close",
        required=True,
        default="keep",
        tracking=True,
        help="When a member is closed before its paid-through date: keep the "
        "prepaid days, or credit them, prorated, on the next merged invoice (on a "
        "credit note when no merged invoice is due).",
    )
    price_change_policy = fields.Selection(
        selection=PRICE_CHANGE_POLICIES,
        string="Price Changes",
        required=True,
        default="next_period",
        tracking=True,
        help="New prices always apply from the next service period. Prorate: the "
        "difference for the rest of the period already paid is also billed (or "
        "credited) on the next merged invoice.",
    )
    catch_up_policy = fields.Selection(
        selection=CATCH_UP_POLICIES,
        string="Missed Runs",
        required=True,
        default="per_run",
        tracking=True,
        help="When several run dates are due at once (billing failed for a while, "
        "or a subscription joined with a next invoice date long past): one "
        "invoice per run date, each dated its run date; or all of them on one "
        "invoice dated the day it is made, each line keeping its own period.",
    )
    due_run_count = fields.Integer(
        string="Run Dates Due",
        compute="_compute_due_run_count",
        help="The run dates due by today and not billed yet.",
    )
    subscription_ids = fields.One2many(
        comodel_name="sale.subscription", inverse_name="group_id", string="Members"
    )
    subscription_count = fields.Integer(
        compute="_compute_subscription_count", string="Member Count"
    )
    charge_ids = fields.One2many(
        comodel_name="sale.subscription.group.charge",
        inverse_name="group_id",
        string="Charges",
    )
    event_ids = fields.One2many(
        comodel_name="sale.subscription.group.event",
        inverse_name="group_id",
        string="Events",
    )
    invoice_ids = fields.One2many(
        comodel_name="account.move",
        inverse_name="subscription_group_id",
        string="Invoices",
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    pending_amount = fields.Monetary(
        compute="_compute_pending_amount",
        help="Transitions and other charges waiting for the next merged invoice.",
    )
    next_run_date = fields.Date(
        string="Next Merged Invoice",
        compute="_compute_next_run_date",
        store=True,
        index=True,
    )

    _sql_constraints = [
        (
            "anchor_day_range",
            "CHECK(anchor_day BETWEEN 1 AND 31)",
            "The billing day is a day of the month, from 1 to 31.",
        ),
    ]

    @api.depends("partner_id.name", "currency_id.name", "anchor_day")
    @api.depends_context("lang")
    def _compute_name(self):
        for group in self:
            group.name = self.env._(
                "%(customer)s, %(currency)s, day %(day)s",
                customer=group.partner_id.name,
                currency=group.currency_id.name,
                day=group.anchor_day,
            )

    @api.depends("name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for group in self:
            group.display_name = group.name

    def _search_name(self, operator, value):
        """Groups by their customer's or currency's name: what a name is made of."""
        domain = [
            [("partner_id.name", operator, value)],
            [("currency_id.name", operator, value)],
        ]
        if operator in expression.NEGATIVE_TERM_OPERATORS:
            return expression.AND(domain)
        return expression.OR(domain)

    @api.depends("subscription_ids")
    def _compute_subscription_count(self):
        for group in self:
            group.subscription_count = len(group.subscription_ids)

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for group in self:
            group.invoice_count = len(group.invoice_ids)

    @api.depends("charge_ids.state", "charge_ids.amount")
    def _compute_pending_amount(self):
        for group in self:
            group.pending_amount = sum(group._get_pending_charges().mapped("amount"))

    @api.depends(
        "subscription_ids.recurring_next_date",
        "subscription_ids.in_progress",
        "subscription_ids.is_paused",
    )
    def _compute_next_run_date(self):
        for group in self:
            dates = [
                sub.recurring_next_date
                for sub in group._get_running_members()
                if not sub.is_paused
            ]
            group.next_run_date = min(dates, default=False)

    @api.depends(
        "next_run_date",
        "anchor_day",
        "anchor_month",
        "subscription_ids.recurring_next_date",
        "subscription_ids.is_paused",
    )
    def _compute_due_run_count(self):
        today = fields.Date.context_today(self)
        for group in self:
            if not group.next_run_date or group.next_run_date > today:
                group.due_run_count = 0
                continue
            group.due_run_count = len(
                due_run_dates(
                    group._get_anchor(),
                    [
                        sub._get_grouping_member()
                        for sub in group._get_running_members()
                    ],
                    today,
                )
            )

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("subscription_group_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    def action_preview_billing_day(self):
        """Preview moving the group to another billing day, then apply it."""
        self.ensure_one()
        self._check_grouping_manager()
        return self.env["sale.subscription.group.preview"]._open("realign", group=self)

    def action_run_now(self):
        """Bill the group's next run date now, whatever today is, and say what
        happened: billed (its invoice opens), nothing due, or held by another
        transaction. What refuses the invoice is raised as it is, and the
        group's billing failure stays until it is billed."""
        self.ensure_one()
        self._check_grouping_manager()
        self._check_billing_user()
        run_date = self._get_run_now_date()
        if not self._is_due(run_date):
            return self._get_run_now_notification(self._get_nothing_due_message())
        if not self._lock_for_run():
            return self._get_run_now_notification(
                self.env._(
                    "%(group)s is being billed by another transaction (the "
                    "scheduled run, or another user): nothing was invoiced. Try "
                    "again in a moment.",
                    group=self.display_name,
                ),
                "warning",
            )
        invoices = self._run(run_date)
        if not invoices:
            return self._get_run_now_notification(self._get_nothing_due_message())
        self._clear_billing_failure()
        invoices.filtered(
            lambda move: move.subscription_group_send_state == "to_send"
        )._send_subscription_group_invoices()
        return invoices[:1]._get_records_action()

    def _get_run_now_date(self):
        """The run date Invoice Now bills: the group's next one, billed ahead
        when it is to come; with the catch-up policy, today when run dates
        are missed, so that all of them go on today's invoice."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        run_date = self.next_run_date or today
        if self.catch_up_policy == "one_invoice":
            return max(run_date, today)
        return run_date

    def _get_nothing_due_message(self):
        self.ensure_one()
        if self.next_run_date:
            return self.env._(
                "Nothing to invoice for %(group)s now: its next merged invoice is "
                "on %(date)s.",
                group=self.display_name,
                date=format_date(self.env, self.next_run_date),
            )
        return self.env._(
            "Nothing to invoice for %(group)s: none of its subscriptions is running "
            "(closed, paused or left), so no merged invoice is planned.",
            group=self.display_name,
        )

    def _get_run_now_notification(self, message, kind="info"):
        """The client action telling what Invoice Now did, when no invoice opens."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Invoice Now"),
                "message": message,
                "type": kind,
                "sticky": False,
            },
        }

    @api.model
    def _check_billing_user(self):
        """Invoice Now makes and posts invoices: for billing users only."""
        if not self._can_bill():
            raise AccessError(
                self.env._(
                    "Only users with billing rights (Invoicing: Billing) may "
                    "invoice a group now; the scheduled run bills it on its date."
                )
            )

    @api.model
    def _check_grouping_manager(self):
        """Only grouping managers switch grouping, move members or change groups.

        Other users' actions on their subscriptions (start, close, pause,
        resume, new prices) still update the groups: the module writes their
        events and charges (see the event's ``_record``), and a document they
        would bill at once is made only for billing users (see
        ``_invoice_charges``).
        """
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only subscription grouping managers may switch grouping on or "
                    "off, move subscriptions in or out of a group, or change a "
                    "group."
                )
            )

    # -- anchor and key -------------------------------------------------------
    def _get_anchor(self):
        self.ensure_one()
        return Anchor(
            self.anchor_day, int(self.anchor_month) if self.anchor_month else None
        )

    @api.model
    def _get_grouping_key_fields(self):
        """The fields of a group that cannot differ inside one merged invoice.

        A group is one customer's subscriptions that agree on all of them;
        the subscription gives its values, by the same names, in
        ``sale.subscription._get_grouping_key_values()``. An extension that
        splits groups further adds a field of the group here and its value
        there.
        """
        return KEY_FIELDS

    def _get_key(self):
        """The group's key: ``(field, value)`` pairs, ids for relations."""
        self.ensure_one()
        return tuple(
            (name, self[name].id if self._fields[name].relational else self[name])
            for name in self._get_grouping_key_fields()
        )

    @api.model
    def _prepare_group_vals(self, key, anchor):
        """A new group of ``key`` on ``anchor``, with its company's policies."""
        vals = dict(key)
        company = self.env["res.company"].browse(vals["company_id"])
        vals.update(
            anchor_day=anchor.day,
            anchor_month=anchor.month and str(anchor.month),
            transition_policy=company.subscription_group_transition_policy,
            cancellation_policy=company.subscription_group_cancellation_policy,
            price_change_policy=company.subscription_group_price_change_policy,
            catch_up_policy=company.subscription_group_catch_up_policy,
        )
        return vals

    # -- state ----------------------------------------------------------------
    def _get_running_members(self):
        return self.subscription_ids.filtered(
            lambda sub: sub.in_progress and sub.recurring_next_date
        )

    def _get_pending_charges(self):
        return self.charge_ids.filtered(lambda charge: charge.state == "pending")

    def _get_last_run_date(self):
        """The group's last billed run date: joins come after it (no run date
        is ever billed twice). ``None`` for no group or none billed yet."""
        return max(
            (
                move.subscription_group_run_date
                for move in self.invoice_ids
                if move.subscription_group_run_date and move.state != "cancel"
            ),
            default=None,
        )

    def _has_posted_merged_invoice(self):
        self.ensure_one()
        return any(
            move.subscription_group_run_date and move.state == "posted"
            for move in self.invoice_ids
        )

    # -- plans that went stale ------------------------------------------------
    def _raise_moved_on(self):
        if self:
            raise UserError(
                self.env._(
                    "The group %(groups)s changed since the plan was made (a merged "
                    "invoice, its billing day, its policies or its members), so the "
                    "plan would no longer be right. Preview again.",
                    groups=", ".join(self.mapped("display_name")),
                )
            )

    @api.model
    def _raise_if_changed(self, subscriptions):
        if subscriptions:
            raise UserError(
                self.env._(
                    "These subscriptions changed since the plan was made, so it "
                    "would no longer be right: %(subscriptions)s. Preview again.",
                    subscriptions=", ".join(
                        subscriptions.exists().mapped("display_name")
                    )
                    or self.env._("deleted subscriptions"),
                )
            )
