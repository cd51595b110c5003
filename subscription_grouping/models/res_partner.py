# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


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
    # What the form shows and edits: a day to choose, or nothing (the integer
    # field would show its empty value as 0). The days come from a method so
    # that their digits are no terms to translate.
    subscription_grouping_billing_day = fields.Selection(
        selection="_get_subscription_grouping_billing_days",
        string="Billing Day",
        compute="_compute_subscription_grouping_billing_day",
        inverse="_inverse_subscription_grouping_billing_day",
        help="Day of the month (1-31; 29-31 fall on the last day of shorter "
        "months) on which the groups of this customer bill. Empty: the company's "
        "choice (Settings).",
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

    @api.constrains("subscription_grouping_anchor_day")
    def _check_subscription_grouping_anchor_day(self):
        for partner in self:
            day = partner.subscription_grouping_anchor_day
            if not 0 <= day <= 31:
                raise ValidationError(
                    self.env._(
                        "The grouping billing day of %(customer)s must be a day of "
                        "the month, from 1 to 31 (29 to 31 fall on the last day of "
                        "shorter months), or empty; not %(day)s.",
                        customer=partner.display_name,
                        day=day,
                    )
                )

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

    @api.model
    def _get_subscription_grouping_billing_days(self):
        return [(str(day), str(day)) for day in range(1, 32)]

    @api.depends("subscription_grouping_anchor_day")
    def _compute_subscription_grouping_billing_day(self):
        for partner in self:
            day = partner.subscription_grouping_anchor_day
            partner.subscription_grouping_billing_day = str(day) if day else False

    def _inverse_subscription_grouping_billing_day(self):
        for partner in self:
            day = int(partner.subscription_grouping_billing_day or 0)
            if partner.subscription_grouping_anchor_day != day:
                partner.subscription_grouping_anchor_day = day

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
        switched._check_grouping_companies()
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

    def _check_grouping_companies(self):
        """Refuse a switch that would leave out subscriptions of companies the
        user has not selected.

        The switch is one per customer, for every company, but a user acts
        only in the companies selected: their subscriptions and groups would
        silently stay as they are.
        """
        if not self:
            return
        domain = [
            ("partner_id", "child_of", self.ids),
            ("company_id", "not in", self.env.companies.ids),
        ]
        # sudo: to name what the user cannot see rather than leave it out
        # silently; only the companies' names are read
        subscriptions = self.env["sale.subscription"].sudo()
        groups = self.env["sale.subscription.group"].sudo()
        outside = (
            subscriptions.search(domain + [("in_progress", "=", True)]).company_id
            | groups.search(domain).company_id
        )
        if outside:
            raise UserError(
                self.env._(
                    "Grouping is switched for %(customer)s in every company, but it "
                    "has subscriptions in companies you have not selected: "
                    "%(companies)s. Select these companies too, then try again.",
                    customer=", ".join(self.mapped("display_name")),
                    companies=", ".join(outside.mapped("name")),
                )
            )

    def _get_subscriptions_to_group(self):
        """The running subscriptions of these customers that are in no group;
        paused ones too: they are shown, and join when they resume."""
        return self.env["sale.subscription"].search(
            [
                ("partner_id", "child_of", self.ids),
                ("in_progress", "=", True),
                ("group_id", "=", False),
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

    def _after_subscription_merge(self):
        """Once customers were merged into this one (their references moved
        in SQL): when its grouping is on, the running subscriptions it took
        over join its groups (their names, computed when read, follow it)."""
        self.ensure_one()
        if self.subscription_grouping:
            self._group_subscriptions()

    def action_preview_subscription_grouping(self):
        """Open the preview of switching grouping on, or off."""
        self.ensure_one()
        mode = "ungroup" if self.subscription_grouping else "group"
        self.commercial_partner_id._check_grouping_companies()
        return self.env["sale.subscription.group.preview"]._open(
            mode, partner=self.commercial_partner_id
        )

    def action_view_subscription_groups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "subscription_grouping.sale_subscription_group_action"
        )
        domain = [("partner_id", "=", self.commercial_partner_id.id)]
        groups = (
            self.env["sale.subscription.group"]
            .with_context(active_test=False)
            .search(domain, limit=2)
        )
        if len(groups) == 1:
            # one group, the usual case: straight to it rather than to a list
            # of one row
            action.update(view_mode="form", views=[(False, "form")], res_id=groups.id)
            return action
        action["domain"] = domain
        action["context"] = {"active_test": False}
        return action
