# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from subscription_grouping_core import Period

# What only grouping managers change by hand; the module's own updates write
# them as the system or as a manager.
MANAGED_FIELDS = {"group_id", "grouping_excluded", "grouping_refusal"}
# What a member's grouping key and cadence are read from (see
# _check_group_membership).
MEMBERSHIP_FIELDS = (
    "group_id",
    "partner_id",
    "company_id",
    "pricelist_id",
    "fiscal_position_id",
    "journal_id",
    "template_id",
    "recurring_next_date",
    "in_progress",
)


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
            ("negative", "Its lines add up to a credit, which no invoice can bill"),
            ("paused", "It is paused: it joins its group when it is resumed"),
        ],
        string="Not Grouped Because",
        copy=False,
        readonly=True,
    )
    grouping_excluded = fields.Boolean(
        string="Bill on Its Own",
        copy=False,
        tracking=True,
        help="Taken out of its group by hand: it does not join its customer's "
        "group again until it is added back.",
    )
    grouping_pending_amount = fields.Monetary(
        string="Pending Group Charges",
        compute="_compute_grouping_pending_amount",
        help="Transitions, credits and price adjustments of this subscription "
        "waiting for its group's next merged invoice.",
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

    @api.depends("grouping_charge_ids.state", "grouping_charge_ids.amount")
    def _compute_grouping_pending_amount(self):
        for sub in self:
            sub.grouping_pending_amount = sum(
                sub.grouping_charge_ids.filtered(
                    lambda charge: charge.state == "pending"
                ).mapped("amount")
            )

    @api.depends("name", "template_id.name")
    def _compute_display_name(self):
        # without a sequence for its company, a subscription has no name at all:
        # messages, sections and lists would show nothing, or "False"
        res = super()._compute_display_name()
        for sub in self.filtered(lambda sub: not sub.name):
            sub.display_name = self.env._(
                "%(template)s #%(id)s",
                template=sub.template_id.name or self.env._("Subscription"),
                id=sub._origin.id or "",
            )
        return res

    @api.constrains(*MEMBERSHIP_FIELDS)
    def _check_group_membership(self):
        """A member stays billable by its group: same invoice key, a cadence
        in months or years, a next invoice date on the group's billing day.

        Whatever changes a member (its form, a crafted call, a template
        edit) is refused rather than billed on the wrong invoice, or not at
        all.
        """
        for sub in self.filtered("group_id"):
            group = sub.group_id
            values = {"subscription": sub.display_name, "group": group.display_name}
            if sub._get_grouping_key() != group._get_key():
                raise ValidationError(
                    self.env._(
                        "%(subscription)s is billed with the group %(group)s: its "
                        "customer, company, currency, fiscal position, journal and "
                        "invoicing mode must stay those of the group. Remove it "
                        "from the group first.",
                        **values,
                    )
                )
            cadence = sub._get_grouping_cadence()
            if not cadence.alignable:
                raise ValidationError(
                    self.env._(
                        "%(subscription)s is billed with the group %(group)s, on a "
                        "billing day of the month: its cadence must stay in months "
                        "or years. Remove it from the group first.",
                        **values,
                    )
                )
            if not sub.in_progress:
                continue
            if not sub.recurring_next_date:
                raise ValidationError(
                    self.env._(
                        "%(subscription)s is billed with the group %(group)s: it "
                        "needs a next invoice date. Remove it from the group first.",
                        **values,
                    )
                )
            if not group._get_anchor().is_aligned(sub.recurring_next_date, cadence):
                raise ValidationError(
                    self.env._(
                        "The next invoice date of %(subscription)s must fall on "
                        "the billing day of its group %(group)s.",
                        **values,
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

    @api.model_create_multi
    def create(self, vals_list):
        if any(MANAGED_FIELDS & vals.keys() for vals in vals_list):
            self.env["sale.subscription.group"]._check_grouping_manager()
        return super().create(vals_list)

    def write(self, vals):
        if MANAGED_FIELDS & vals.keys():
            self.env["sale.subscription.group"]._check_grouping_manager()
        if vals.get("stage_id"):
            # subscription_oca's close writes the stage as a record
            stage = self.env["sale.subscription.stage"].browse(
                getattr(vals["stage_id"], "id", vals["stage_id"])
            )
            if stage.type != "in_progress":
                # moved out of progress by hand (kanban): it leaves its group,
                # and a pause means nothing any more
                self.filtered("group_id")._leave_subscription_group()
                if self.filtered("is_paused"):
                    vals = dict(vals, is_paused=False, paused_until=False)
        res = super().write(vals)
        if vals.get("stage_id"):
            # a new subscription of a grouped customer joins when it starts
            self._get_joining_subscriptions()._join_subscription_group()
        return res

    def _get_joining_subscriptions(self, resumed=False):
        """Those of ``self`` that join their customer's group by themselves
        (``resumed``: those that would once resumed)."""
        return self.filtered(
            lambda sub: sub.in_progress
            and not sub.group_id
            and (resumed or not sub.is_paused)
            and not sub.grouping_excluded
            and sub.partner_id.commercial_partner_id.subscription_grouping
        )

    def close_subscription(self, close_reason_id=False):
        # before subscription_oca erases the paid-through date
        if self.group_id:
            self._leave_subscription_group(
                self.env["sale.subscription.close.reason"].browse(close_reason_id).name
            )
        return super().close_subscription(close_reason_id)

    def _leave_subscription_group(self, reason=False):
        """Closed today: leave the group, unused days handled by its policy."""
        if not self:
            return
        self.check_access("write")
        self._leave_group(fields.Date.context_today(self), reason or False)

    # -- by hand -------------------------------------------------------------------
    def action_remove_from_group(self):
        """Bill on its own from now on (DESIGN, rule 8, for these members)."""
        self.env["sale.subscription.group"]._check_grouping_manager()
        grouped = self.filtered("group_id")
        grouped.grouping_excluded = True
        if grouped:
            self.env["sale.subscription.group"]._ungroup(grouped)
        return True

    def action_add_to_group(self):
        """Join the customer's group again, by the join rule."""
        self.env["sale.subscription.group"]._check_grouping_manager()
        not_running = self.filtered(lambda sub: not sub.in_progress)
        if not_running:
            raise UserError(
                self.env._(
                    "%(subscription)s is not in progress: only a running "
                    "subscription can join a group.",
                    subscription=not_running[0].display_name,
                )
            )
        self.grouping_excluded = False
        self.filtered(
            lambda sub: sub.in_progress and not sub.group_id
        )._join_subscription_group()
        return True

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

    def _prepare_account_move(self, line_ids):
        # subscription_oca's own invoice bills [P, P + its cadence): its lines
        # say so too, like the merged ones (service dates, subscription)
        vals = super()._prepare_account_move(line_ids)
        start = self.recurring_next_date
        if start:
            period = Period(start, start + self._get_grouping_cadence().delta())
            for command in vals["invoice_line_ids"]:
                if command[0] == Command.CREATE:
                    command[2].update(
                        start_date=period.start,
                        end_date=period.last_day,
                        subscription_id=self.id,
                    )
        return vals

    def generate_invoice(self):
        # Grouped subscriptions are billed by their group, on its run dates;
        # paused ones not at all.
        to_bill = self.filtered(lambda sub: not sub.group_id and not sub.is_paused)
        return super(SaleSubscription, to_bill).generate_invoice() if to_bill else False

    def manual_invoice(self):
        paused = self.filtered("is_paused")
        if paused:
            raise UserError(
                self.env._(
                    "%(subscription)s is paused: resume it to invoice it.",
                    subscription=paused[0].display_name,
                )
            )
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
        if not self.name:
            return self.display_name
        return " - ".join(filter(None, [self.name, self.template_id.name]))
