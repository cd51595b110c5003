# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    subscription_grouping = fields.Boolean(
        string="Group Subscriptions",
        copy=False,
        help="Bill all the subscriptions of this customer on one date, in one "
        "invoice per group. Switching it off before the first merged invoice "
        "restores every subscription's previous next invoice date.",
    )
    subscription_grouping_anchor_day = fields.Integer(
        string="Grouping Billing Day",
        copy=False,
        help="Day of the month (1-31; 29-31 fall on the last day of shorter "
        "months) on which the groups of this customer bill. Empty: the day of "
        "the next invoice date of the customer's longest-running subscription.",
    )
    subscription_group_ids = fields.One2many(
        comodel_name="sale.subscription.group",
        inverse_name="partner_id",
        string="Subscription Groups",
    )
    subscription_group_count = fields.Integer(
        compute="_compute_subscription_group_count"
    )

    _sql_constraints = [
        (
            "subscription_grouping_anchor_day_range",
            "CHECK(subscription_grouping_anchor_day BETWEEN 0 AND 31)",
            "The grouping billing day is a day of the month, from 1 to 31.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "subscription_grouping" not in vals and not vals.get("parent_id"):
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["subscription_grouping"] = company.subscription_grouping_default
        return super().create(vals_list)

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "subscription_grouping",
            "subscription_grouping_anchor_day",
        ]

    @api.depends("subscription_group_ids")
    def _compute_subscription_group_count(self):
        counts = dict(
            self.env["sale.subscription.group"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.subscription_group_count = counts.get(partner, 0)

    def write(self, vals):
        if {"subscription_grouping", "subscription_grouping_anchor_day"} & vals.keys():
            self.env["sale.subscription.group"]._check_grouping_manager()
        if "subscription_grouping" not in vals or self.env.context.get(
            "subscription_grouping_plan_applied"
        ):
            return super().write(vals)
        switched = self._get_switched(vals["subscription_grouping"])
        res = super().write(vals)
        if vals["subscription_grouping"]:
            switched._group_subscriptions()
        else:
            switched._ungroup_subscriptions()
        return res

    def _get_switched(self, on):
        """The customers of ``self`` whose grouping switch changes to ``on``."""
        return self.filtered(
            lambda partner: partner.commercial_partner_id == partner
            and partner.subscription_grouping != bool(on)
        )

    def _get_subscriptions_to_group(self):
        return self.env["sale.subscription"].search(
            [
                ("partner_id", "child_of", self.ids),
                ("in_progress", "=", True),
                ("group_id", "=", False),
                ("paused", "=", False),
                ("grouping_excluded", "=", False),
            ]
        )

    def _plan_grouping(self):
        """What switching grouping on does, as a plan (see the preview)."""
        return self._get_subscriptions_to_group()._plan_grouping_join()

    def _plan_ungrouping(self):
        """What switching grouping off does, as a plan (see the preview)."""
        return (
            self.env["sale.subscription.group"]
            .search([("partner_id", "in", self.ids)])
            ._plan_ungroup()
        )

    def _group_subscriptions(self, plan=None):
        """Join the running subscriptions of these customers to their groups
        (by ``plan``, a plan of :meth:`_plan_grouping` shown in a preview)."""
        self.env["sale.subscription.group"]._apply_join(
            self._plan_grouping() if plan is None else plan
        )

    def _ungroup_subscriptions(self, plan=None):
        self.env["sale.subscription.group"]._apply_ungroup(
            self._plan_ungrouping() if plan is None else plan
        )
        self._clear_grouping_refusals()

    def _clear_grouping_refusals(self):
        self.env["sale.subscription"].search(
            [("partner_id", "child_of", self.ids), ("grouping_refusal", "!=", False)]
        ).grouping_refusal = False

    def action_preview_subscription_grouping(self):
        """Open the preview of switching grouping on, or off."""
        self.ensure_one()
        mode = "ungroup" if self.subscription_grouping else "group"
        return self.env["sale.subscription.group.preview"]._open(
            mode, partner=self.commercial_partner_id
        )

    def action_view_subscription_groups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "subscription_grouping.sale_subscription_group_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"active_test": False}
        return action
