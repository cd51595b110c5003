# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, format_date

from subscription_grouping_core import (
    Anchor,
    Move,
    default_anchor,
    plan_join,
    plan_run,
    plan_ungroup,
)

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

# The fields that cannot differ inside one invoice, in the order of
# sale.subscription._get_grouping_key().
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

    name = fields.Char(compute="_compute_name", store=True)
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
    def _compute_name(self):
        for group in self:
            group.name = self.env._(
                "%(customer)s, %(currency)s, day %(day)s",
                customer=group.partner_id.name,
                currency=group.currency_id.name,
                day=group.anchor_day,
            )

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
            pending = group.charge_ids.filtered(
                lambda charge: charge.state == "pending"
            )
            group.pending_amount = sum(pending.mapped("amount"))

    @api.depends("subscription_ids.recurring_next_date", "subscription_ids.in_progress")
    def _compute_next_run_date(self):
        for group in self:
            dates = [
                sub.recurring_next_date
                for sub in group.subscription_ids
                if sub.in_progress and sub.recurring_next_date
            ]
            group.next_run_date = min(dates, default=False)

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("subscription_group_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    def action_run_now(self):
        """Bill the group's next run date now, whatever today is."""
        self.ensure_one()
        invoices = self._run(self.next_run_date or fields.Date.context_today(self))
        return invoices[:1]._get_records_action() if invoices else True

    # -- join -----------------------------------------------------------------
    def _get_anchor(self):
        self.ensure_one()
        return Anchor(
            self.anchor_day, int(self.anchor_month) if self.anchor_month else None
        )

    def _get_key(self):
        self.ensure_one()
        return tuple(
            self[name].id if isinstance(self[name], models.BaseModel) else self[name]
            for name in KEY_FIELDS
        )

    @api.model
    def _prepare_group_vals(self, key, anchor):
        vals = dict(zip(KEY_FIELDS, key, strict=True))
        company = self.env["res.company"].browse(vals["company_id"])
        vals.update(
            anchor_day=anchor.day,
            anchor_month=anchor.month and str(anchor.month),
            transition_policy=company.subscription_group_transition_policy,
        )
        return vals

    @api.model
    def _get_or_create_for(self, members):
        """The group of each subscription, created with its anchor if missing.

        A new group's anchor is the customer's billing day if set, else
        DESIGN's default: the day of the next invoice date of the customer's
        longest-running subscription among those joining it.
        """
        keys = {sub: sub._get_grouping_key() for sub in members}
        existing = self.search(
            [("partner_id", "in", list({key[0] for key in keys.values()}))]
        )
        groups = {group._get_key(): group for group in existing}
        joining = defaultdict(list)
        for sub, key in keys.items():
            if key not in groups:
                joining[key].append((sub.date_start, members[sub]))
        partners = self.env["res.partner"].browse([key[0] for key in joining])
        days = {
            partner.id: partner.subscription_grouping_anchor_day for partner in partners
        }
        vals_list = [
            self._prepare_group_vals(
                key,
                Anchor(days[key[0]]) if days[key[0]] else default_anchor(candidates),
            )
            for key, candidates in joining.items()
        ]
        groups.update(zip(joining, self.create(vals_list), strict=True))
        return {sub: groups[key] for sub, key in keys.items()}

    @api.model
    def _join(self, members):
        """Align subscriptions (``{subscription: core Member}``) on their groups."""
        groups = self._get_or_create_for(members)
        moves = {
            sub: plan_join(
                member, groups[sub]._get_anchor(), sub._get_grouping_rounding()
            )
            for sub, member in members.items()
        }
        events = self.env["sale.subscription.group.event"].create(
            [
                {
                    "group_id": groups[sub].id,
                    "subscription_id": sub.id,
                    "kind": "join",
                    "date_from": move.old_date,
                    "date_to": move.new_date,
                    "amount": float(move.charge.total) if move.charge else 0.0,
                }
                for sub, move in moves.items()
            ]
        )
        Charge = self.env["sale.subscription.group.charge"]
        charges = Charge.create(
            [
                vals
                for event, move in zip(events, moves.values(), strict=True)
                if move.charge
                for vals in Charge._prepare_from_core(
                    event.group_id, event, move.charge
                )
            ]
        )
        by_target = defaultdict(lambda: self.env["sale.subscription"])
        for sub, move in moves.items():
            by_target[groups[sub], move.new_date] |= sub
        for (group, new_date), subs in by_target.items():
            subs.write(
                {
                    "group_id": group.id,
                    "recurring_next_date": new_date,
                    "grouping_refusal": False,
                }
            )
        self._log_join_events(events)
        immediate = charges.filtered(
            lambda charge: charge.group_id.transition_policy == "immediate"
        )
        if immediate:
            immediate.group_id._invoice_charges(immediate)

    @api.model
    def _log_join_events(self, events):
        """One chatter message per group, and one per subscription that joined."""
        group_lines = defaultdict(list)
        member_bodies = {}
        for event in events:
            summary = event._get_summary()
            group_lines[event.group_id.id].append(summary)
            member_bodies[event.subscription_id.id] = self.env._(
                "In group %(group)s: %(summary)s",
                group=event.group_id.display_name,
                summary=summary,
            )
        self.browse(group_lines)._message_log_batch(
            {
                group_id: Markup("<br/>").join(lines)
                for group_id, lines in group_lines.items()
            }
        )
        self.env["sale.subscription"].browse(member_bodies)._message_log_batch(
            member_bodies
        )

    # -- run ------------------------------------------------------------------
    @api.model
    def _cron_run(self, date_ref=None):
        date_ref = date_ref or fields.Date.context_today(self)
        self.search(self._get_run_domain(date_ref))._run(date_ref)
        self.env["account.move"]._cron_send_subscription_group_invoices()

    @api.model
    def _get_run_domain(self, date_ref):
        return [("next_run_date", "<=", date_ref)]

    def _lock_for_run(self):
        """The groups of ``self`` that no other transaction is billing now."""
        if not self:
            return self
        self.flush_model(["next_run_date"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR UPDATE SKIP LOCKED",
                SQL.identifier(self._table),
                tuple(self.ids),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _run(self, date_ref):
        """Bill every run date up to ``date_ref``: one invoice per group and date."""
        groups = self.filtered(
            lambda group: group.next_run_date and group.next_run_date <= date_ref
        )._lock_for_run()
        invoices = self.env["account.move"]
        while groups:
            billed = groups._run_next()
            invoices |= billed
            groups = billed.subscription_group_id.filtered(
                lambda group: group.next_run_date and group.next_run_date <= date_ref
            )
        invoices.filtered(
            "subscription_group_send_state"
        )._send_subscription_group_invoices()
        return invoices

    def _get_running_members(self):
        self.ensure_one()
        return self.subscription_ids.filtered(
            lambda sub: sub.in_progress and sub.recurring_next_date
        )

    def _plan_next_run(self):
        """The core's plan of the group's next run date."""
        self.ensure_one()
        members = self._get_running_members()
        pending = self.charge_ids.filtered(lambda charge: charge.state == "pending")
        return plan_run(
            self.next_run_date,
            self._get_anchor(),
            [sub._get_grouping_member() for sub in members],
            pending._to_core_charges(),
        )

    def _run_next(self):
        """One merged invoice per group, for each group's next run date."""
        plans = {group: group._plan_next_run() for group in self}
        plans = {group: plan for group, plan in plans.items() if plan}
        invoices = self._create_invoices(
            [group._prepare_run_invoice_vals(plan) for group, plan in plans.items()]
        )
        by_date = defaultdict(lambda: self.env["sale.subscription"])
        for plan in plans.values():
            for item in plan.items:
                by_date[item.new_paid_through] |= self.env["sale.subscription"].browse(
                    item.subscription
                )
        for new_date, subs in by_date.items():
            subs.recurring_next_date = new_date
        self._log_run(plans, invoices)
        return invoices

    def _prepare_run_invoice_vals(self, plan):
        self.ensure_one()
        Sub = self.env["sale.subscription"]
        Charge = self.env["sale.subscription.group.charge"]
        periods = {item.subscription: item.periods for item in plan.items}
        charges = Charge.browse(
            [line.key for charge in plan.charges for line in charge.lines]
        )
        subs = Sub.browse(periods) | charges.subscription_id
        vals = self._prepare_invoice_vals(plan.run_date, subs, periods, charges)
        vals["subscription_group_run_date"] = plan.run_date
        return vals

    def _prepare_invoice_vals(self, invoice_date, subscriptions, periods, charges):
        """A customer invoice of the group: a section per subscription."""
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        vals = {
            "move_type": "out_invoice",
            "partner_id": partner.address_get(["invoice"])["invoice"],
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "fiscal_position_id": self.fiscal_position_id.id,
            "invoice_date": invoice_date,
            "invoice_payment_term_id": partner.property_payment_term_id.id,
            "invoice_origin": ", ".join(subscriptions.sorted("id").mapped("name")),
            "invoice_user_id": subscriptions[:1].user_id.id or self.env.user.id,
            "partner_bank_id": self.company_id.partner_id.bank_ids[:1].id,
            "subscription_group_id": self.id,
            "invoice_line_ids": [
                Command.create(line_vals)
                for line_vals in self._prepare_invoice_line_vals(
                    subscriptions, periods, charges
                )
            ],
        }
        if self.journal_id:
            vals["journal_id"] = self.journal_id.id
        return vals

    def _prepare_invoice_line_vals(self, subscriptions, periods, charges):
        """Per subscription: a section, its full periods, then its charges."""
        lines = []
        for sub in subscriptions.sorted("id"):
            lines.append(
                {
                    "display_type": "line_section",
                    "name": sub._get_group_section_name(),
                    "subscription_id": sub.id,
                }
            )
            for period in periods.get(sub.id, ()):
                for sub_line in sub.sale_subscription_line_ids:
                    lines.append(sub_line._prepare_group_move_line(period))
            for charge in charges.filtered(
                lambda charge, sub=sub: charge.subscription_id == sub
            ):
                lines.append(charge._prepare_account_move_line())
        return lines

    @api.model
    def _create_invoices(self, vals_list):
        """Create the group invoices in one batch, then post and queue sending."""
        # No creation message, tracking or follower subscription per invoice
        # (the group's chatter links each one): a third of the queries of a
        # run. Posting and sending then run in the caller's context.
        invoices = (
            self.env["account.move"]
            .with_context(default_move_type="out_invoice", tracking_disable=True)
            .create(vals_list)
            .with_env(self.env)
        )
        to_post = invoices.filtered(
            lambda move: move.subscription_group_id.invoicing_mode != "draft"
        )
        to_post.action_post()
        to_post.filtered(
            lambda move: move.subscription_group_id.invoicing_mode == "invoice_send"
        ).subscription_group_send_state = "to_send"
        return invoices

    def _log_run(self, plans, invoices):
        group_bodies, member_bodies = {}, {}
        for (group, plan), invoice in zip(plans.items(), invoices, strict=True):
            link = invoice._get_html_link()
            group_bodies[group.id] = self.env._(
                "Merged invoice %(invoice)s for %(date)s: "
                "%(count)s subscription(s) billed.",
                invoice=link,
                date=format_date(self.env, plan.run_date),
                count=len(plan.items),
            )
            for item in plan.items:
                member_bodies[item.subscription] = self.env._(
                    "Billed with group %(group)s on %(invoice)s, %(start)s to %(end)s.",
                    group=group.display_name,
                    invoice=link,
                    start=format_date(self.env, item.periods[0].start),
                    end=format_date(self.env, item.periods[-1].last_day),
                )
        self.browse(group_bodies)._message_log_batch(group_bodies)
        self.env["sale.subscription"].browse(member_bodies)._message_log_batch(
            member_bodies
        )

    def _invoice_charges(self, charges):
        """Bill ``charges`` now, on an invoice of its own per group."""
        vals_list = []
        today = fields.Date.context_today(self)
        for group in self:
            group_charges = charges.filtered(
                lambda charge, group=group: charge.group_id == group
            )
            vals_list.append(
                group._prepare_invoice_vals(
                    today, group_charges.subscription_id, {}, group_charges
                )
            )
        return self._create_invoices(vals_list)

    # -- ungroup --------------------------------------------------------------
    def _ungroup(self):
        """Switch grouping off (DESIGN, rule 8): undo what can be, settle the rest."""
        plans = {group: group._plan_ungroup() for group in self}
        # before the members leave: the messages count them
        bodies = {
            group.id: group._get_ungroup_message(plan) for group, plan in plans.items()
        }
        Charge = self.env["sale.subscription.group.charge"]
        dropped = Charge.browse(
            [
                line.key
                for plan in plans.values()
                for c in plan.dropped
                for line in c.lines
            ]
        )
        settle = Charge.browse(
            [
                line.key
                for plan in plans.values()
                for c in plan.settle
                for line in c.lines
            ]
        )
        event_vals = []
        by_date = defaultdict(lambda: self.env["sale.subscription"])
        for group, plan in plans.items():
            for sub in group.subscription_ids:
                new_date = plan.paid_through[sub.id]
                by_date[new_date] |= sub
                event_vals.append(
                    {
                        "group_id": group.id,
                        "subscription_id": sub.id,
                        "kind": "rollback"
                        if new_date != sub.recurring_next_date
                        else "ungroup",
                        "date_from": sub.recurring_next_date,
                        "date_to": new_date,
                        "amount": -sum(
                            dropped.filtered(
                                lambda c, sub=sub: c.subscription_id == sub
                            ).mapped("amount")
                        ),
                    }
                )
        self.env["sale.subscription.group.event"].create(event_vals)
        for new_date, subs in by_date.items():
            subs.write({"group_id": False, "recurring_next_date": new_date})
        dropped.unlink()
        if settle:
            settle.group_id._invoice_charges(settle)
        self._message_log_batch(bodies)
        self.active = False

    def _plan_ungroup(self):
        """The core's plan of switching this group off."""
        self.ensure_one()
        moves = defaultdict(list)
        for event in self.event_ids.filtered(lambda e: e.kind == "join").sorted("id"):
            charge = event.charge_ids._to_core_charges()
            moves[event.subscription_id.id].append(
                Move(
                    event.subscription_id.id,
                    event.date_from,
                    event.date_to,
                    charge[0] if charge else None,
                )
            )
        pending = self.charge_ids.filtered(lambda charge: charge.state == "pending")
        posted = any(
            move.subscription_group_run_date and move.state == "posted"
            for move in self.invoice_ids
        )
        return plan_ungroup(
            [sub._get_grouping_member() for sub in self.subscription_ids],
            moves,
            pending._to_core_charges(),
            posted,
        )

    def _get_ungroup_message(self, plan):
        self.ensure_one()
        if plan.dropped and not plan.settle:
            return self.env._(
                "Grouping switched off before any merged invoice: every "
                "subscription's previous next invoice date is restored and pending "
                "transitions dropped."
            )
        return self.env._(
            "Grouping switched off: %(count)s subscription(s) bill on their own again.",
            count=len(self.subscription_ids),
        )
