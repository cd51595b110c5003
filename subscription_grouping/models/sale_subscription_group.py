# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from dataclasses import replace

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from subscription_grouping_core import (
    Anchor,
    Move,
    Refusal,
    default_anchor,
    dump_charge,
    dump_move,
    join_refusal,
    load_charge,
    load_move,
    next_run_date,
    plan_join,
    plan_leave,
    plan_price_change,
    plan_resume,
    plan_run,
    plan_ungroup,
)

from ..locking import lock_free_rows

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
MANAGER_GROUP = "subscription_grouping.group_subscription_grouping_manager"
# events whose dates are moves of the core (plan_ungroup undoes them)
MOVE_EVENTS = ("join", "realign", "resume")

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
            group.pending_amount = sum(group._get_pending_charges().mapped("amount"))

    @api.depends(
        "subscription_ids.recurring_next_date",
        "subscription_ids.in_progress",
        "subscription_ids.paused",
    )
    def _compute_next_run_date(self):
        for group in self:
            dates = [
                sub.recurring_next_date
                for sub in group._get_running_members()
                if not sub.paused
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

    def action_preview_billing_day(self):
        """Preview moving the group to another billing day, then apply it."""
        self.ensure_one()
        self._check_grouping_manager()
        return self.env["sale.subscription.group.preview"]._open("realign", group=self)

    def action_run_now(self):
        """Bill the group's next run date now, whatever today is."""
        self.ensure_one()
        self._check_grouping_manager()
        invoices = self._run(self.next_run_date or fields.Date.context_today(self))
        self._clear_billing_failure()
        invoices.filtered(
            lambda move: move.subscription_group_send_state == "to_send"
        )._send_subscription_group_invoices()
        return invoices[:1]._get_records_action() if invoices else True

    @api.model
    def _check_grouping_manager(self):
        """Only grouping managers switch grouping, move members or change groups.

        Other users' actions on their subscriptions (start, close, pause,
        resume, new prices) still update the groups: those updates run as
        the system, after this check was not needed.
        """
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Only subscription grouping managers may switch grouping on or "
                    "off, move subscriptions in or out of a group, or change a "
                    "group."
                )
            )

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
            cancellation_policy=company.subscription_group_cancellation_policy,
            price_change_policy=company.subscription_group_price_change_policy,
        )
        return vals

    @api.model
    def _get_new_group_anchors(self, members, keys):
        """The anchor of each group to create, by key.

        The customer's billing day if set, else the company's fixed day if it
        has one, else DESIGN's default: the day of the next invoice date of the
        customer's longest-running subscription among those joining the group.
        """
        candidates = defaultdict(list)
        for sub, key in keys.items():
            candidates[key].append((sub.date_start, members[sub]))
        anchors = {}
        for key, joining in candidates.items():
            partner = self.env["res.partner"].browse(key[0])
            company = self.env["res.company"].browse(key[1])
            if partner.subscription_grouping_anchor_day:
                anchors[key] = Anchor(partner.subscription_grouping_anchor_day)
            elif company.subscription_group_anchor_mode == "day":
                anchors[key] = Anchor(company.subscription_group_anchor_day)
            else:
                anchors[key] = default_anchor(joining)
        return anchors

    @api.model
    def _plan_join(self, members):
        """What joining ``{subscription: core Member}`` does, written nowhere.

        The plan is a list of JSON-ready entries, one per subscription: its
        group (an existing one, or the key and anchor of one to create), the
        lines the plan was computed from, and the core's move or refusal. A
        preview shows it; :meth:`_apply_join` carries it out as it is.
        """
        keys = {sub: sub._get_grouping_key() for sub in members}
        existing = self.search(
            [("partner_id", "in", list({key[0] for key in keys.values()}))]
        )
        groups = {group._get_key(): group for group in existing}
        anchors = {key: group._get_anchor() for key, group in groups.items()}
        anchors.update(
            self._get_new_group_anchors(
                members, {s: k for s, k in keys.items() if k not in groups}
            )
        )
        return [
            self._prepare_join_entry(
                sub,
                members[sub],
                groups.get(keys[sub], self),
                keys[sub],
                anchors.get(keys[sub]),
            )
            for sub in members
        ]

    def _plan_realign(self, anchor):
        """Move the members of this group onto ``anchor`` (a new billing day).

        Paused members stay where they are: they join the new day by rule 1
        when they resume.
        """
        self.ensure_one()
        return [
            self._prepare_join_entry(
                sub, sub._get_grouping_member(), self, self._get_key(), anchor
            )
            for sub in self._get_realign_members()
        ]

    def _get_realign_members(self):
        """The members a change of billing day moves."""
        return self._get_running_members().filtered(lambda sub: not sub.paused)

    @api.model
    def _prepare_join_entry(self, sub, member, group, key, anchor):
        entry = {
            "subscription": sub.id,
            "group": group.id,
            "key": list(key),
            "lines": [[line.key, str(line.price)] for line in member.lines],
        }
        reason = join_refusal(member)
        if reason:
            entry["refusal"] = reason.value
            return entry
        last_run = group._get_last_run_date()
        entry["anchor"] = [anchor.day, anchor.month]
        entry["last_run"] = last_run and last_run.isoformat()
        entry["policy"] = group.transition_policy
        entry["move"] = dump_move(
            plan_join(member, anchor, sub._get_grouping_rounding(), last_run)
        )
        return entry

    @api.model
    def _get_first_runs(self, entries):
        """Per group of a join plan: the date and total of its first merged
        invoice once the plan is carried out (an existing group's members and
        pending charges included)."""
        Sub = self.env["sale.subscription"]
        by_group = defaultdict(list)
        for entry in entries:
            if "move" in entry:
                by_group[entry["group"], tuple(entry["key"])].append(entry)
        result = []
        for (group_id, key), group_entries in by_group.items():
            group = self.browse(group_id)
            anchor = Anchor(*group_entries[0]["anchor"])
            moved = {entry["subscription"] for entry in group_entries}
            members = [
                sub._get_grouping_member()
                for sub in group._get_running_members()
                if sub.id not in moved
            ]
            pending = list(group._get_pending_charges()._to_core_charges())
            company = self.env["res.company"].browse(key[1])
            policy = (
                group.transition_policy or company.subscription_group_transition_policy
            )
            for entry in group_entries:
                move = load_move(entry["move"])
                members.append(
                    replace(
                        Sub.browse(move.subscription)._get_grouping_member(),
                        paid_through=move.new_date,
                    )
                )
                if move.charge and policy == "next_invoice":
                    pending.append(move.charge)
            run_date = next_run_date(members)
            plan = run_date and plan_run(run_date, anchor, members, pending)
            result.append(
                {
                    "group": group,
                    "key": key,
                    "anchor": anchor,
                    "date": run_date,
                    "total": plan.total if plan else 0,
                }
            )
        return result

    @api.model
    def _check_plan_is_current(self, entries, kind):
        """Refuse a join plan whose subscriptions or groups changed since it
        was made."""
        Sub = self.env["sale.subscription"]
        changed, moved_on = Sub, self.browse()
        for entry in entries:
            if "move" not in entry:
                continue
            if self._group_moved_on(entry, kind):
                moved_on |= self.browse(entry["group"])
            sub = Sub.browse(entry["subscription"]).exists()
            member = sub and sub._get_grouping_member()
            if (
                not sub
                or [[line.key, str(line.price)] for line in member.lines]
                != entry["lines"]
                or fields.Date.to_string(member.paid_through) != entry["move"]["old"]
                or sub.group_id.id != (entry["group"] if kind == "realign" else False)
                or sub.paused
            ):
                changed |= Sub.browse(entry["subscription"])
        moved_on._raise_moved_on()
        self._raise_if_changed(changed)

    def _check_realign_is_current(self, entries):
        """Refuse a change of billing day planned for other members than the
        group's (one joined, left or was paused meanwhile)."""
        self.ensure_one()
        planned = {entry["subscription"] for entry in entries}
        if planned != set(self._get_realign_members().ids):
            self._raise_moved_on()

    @api.model
    def _group_moved_on(self, entry, kind):
        """Whether the existing group of a join entry billed a run, changed its
        billing day or its transition policy since the plan was made."""
        group = self.browse(entry["group"])
        if not group:
            return False
        last_run = group._get_last_run_date()
        return (
            entry.get("last_run") != (last_run and last_run.isoformat())
            or entry["policy"] != group.transition_policy
            or (
                kind == "join"
                and [group.anchor_day, group._get_anchor().month] != entry["anchor"]
            )
        )

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

    @api.model
    def _apply_join(self, entries, kind="join"):
        """Carry out a join plan of :meth:`_plan_join` or :meth:`_plan_realign`.

        Nothing is computed again: the dates, ratios and amounts are the
        plan's. Returns the events.
        """
        self._check_plan_is_current(entries, kind)
        Sub = self.env["sale.subscription"]
        refused = defaultdict(lambda: Sub)
        for entry in entries:
            if "refusal" in entry:
                refused[entry["refusal"]] |= Sub.browse(entry["subscription"])
        for reason, subs in refused.items():
            subs.grouping_refusal = reason
        entries = [entry for entry in entries if "move" in entry]
        groups = self._get_or_create_from_plan(entries)
        moves = [load_move(entry["move"]) for entry in entries]
        events = self._record_moves(groups, moves, kind)
        by_target = defaultdict(lambda: Sub)
        for group, move in zip(groups, moves, strict=True):
            by_target[group, move.new_date] |= Sub.browse(move.subscription)
        for (group, new_date), subs in by_target.items():
            subs.write(
                {
                    "group_id": group.id,
                    "recurring_next_date": new_date,
                    "grouping_refusal": False,
                }
            )
        self._log_events(events)
        self._bill_immediate_transitions(events.charge_ids)
        return events

    def _apply_realign(self, anchor, entries):
        """Bill on ``anchor`` from now on: carry out a plan of :meth:`_plan_realign`."""
        self.ensure_one()
        self._check_realign_is_current(entries)
        self.write(
            {
                "anchor_day": anchor.day,
                "anchor_month": anchor.month and str(anchor.month),
            }
        )
        return self._apply_join(entries, kind="realign")

    @api.model
    def _get_or_create_from_plan(self, entries):
        """The group of each entry, in order; missing groups are created."""
        missing = {}
        for entry in entries:
            if not entry["group"]:
                missing.setdefault(tuple(entry["key"]), Anchor(*entry["anchor"]))
        created = self.create(
            [self._prepare_group_vals(key, anchor) for key, anchor in missing.items()]
        )
        by_key = dict(zip(missing, created, strict=True))
        return [
            self.browse(entry["group"])
            if entry["group"]
            else by_key[tuple(entry["key"])]
            for entry in entries
        ]

    @api.model
    def _record_moves(self, groups, moves, kind, extra=None):
        """An event per move (``extra``: more values per subscription), and the
        charge of its transition."""
        Event = self.env["sale.subscription.group.event"]
        events = Event.create(
            [
                {
                    "group_id": group.id,
                    "subscription_id": move.subscription,
                    "kind": kind,
                    "date_from": move.old_date,
                    "date_to": move.new_date,
                    "amount": float(move.charge.total) if move.charge else 0.0,
                    **(extra or {}).get(move.subscription, {}),
                }
                for group, move in zip(groups, moves, strict=True)
            ]
        )
        self._create_charges(events, [move.charge for move in moves])
        return events

    @api.model
    def _create_charges(self, events, charges):
        """The records of core ``charges`` (or ``None``), one list per event."""
        Charge = self.env["sale.subscription.group.charge"]
        return Charge.create(
            [
                vals
                for event, charge in zip(events, charges, strict=True)
                if charge
                for vals in Charge._prepare_from_core(event.group_id, event, charge)
            ]
        )

    @api.model
    def _bill_immediate_transitions(self, charges):
        immediate = charges.filtered(
            lambda charge: charge.kind == "transition"
            and charge.group_id.transition_policy == "immediate"
        )
        if immediate:
            immediate.group_id._invoice_charges(immediate)

    @api.model
    def _log_events(self, events):
        """One chatter message per group, and one per subscription concerned."""
        group_lines = defaultdict(list)
        member_lines = defaultdict(list)
        for event in events.sorted("id"):
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
            (self, group_lines),
            (self.env["sale.subscription"], member_lines),
        ):
            model.browse(lines)._message_log_batch(
                {res_id: Markup("<br/>").join(texts) for res_id, texts in lines.items()}
            )

    # -- leave, pause, resume, price changes ---------------------------------
    @api.model
    def _leave(self, subscriptions, close_date, note=False):
        """Members closed on ``close_date`` leave their group (DESIGN, rule 5).

        By the group's policy their unused prepaid days ``[close_date, P)``
        are kept or credited: on the next merged invoice, or on a credit note
        when no merged invoice is due any more.
        """
        Event = self.env["sale.subscription.group.event"]
        leave_credits, vals_list = [], []
        for sub in subscriptions:
            group = sub.group_id
            member = sub._get_grouping_member()
            credit = None
            if group.cancellation_policy == "credit":
                credit = plan_leave(
                    member,
                    close_date,
                    group._get_anchor(),
                    sub._get_grouping_rounding(),
                )
            leave_credits.append(credit)
            vals_list.append(
                {
                    "group_id": group.id,
                    "subscription_id": sub.id,
                    "kind": "leave",
                    "date_from": member.paid_through,
                    "date_to": close_date,
                    "amount": float(credit.total) if credit else 0.0,
                    "note": note,
                }
            )
        events = Event.create(vals_list)
        self._create_charges(events, leave_credits)
        groups = subscriptions.group_id
        subscriptions.group_id = False
        self._log_events(events)
        groups._settle_when_idle()
        return events

    def _settle_when_idle(self):
        """Bill the pending charges of groups no merged invoice will come for."""
        pending = self.filtered(
            lambda group: not group.next_run_date
        )._get_pending_charges()
        if pending:
            pending.group_id._invoice_charges(pending)

    @api.model
    def _pause(self, subscriptions):
        """Log paused members: runs skip them from their paid-through date on."""
        events = self.env["sale.subscription.group.event"].create(
            [
                {
                    "group_id": sub.group_id.id,
                    "subscription_id": sub.id,
                    "kind": "pause",
                    "date_from": sub.recurring_next_date,
                    "date_to": sub.recurring_next_date,
                }
                for sub in subscriptions
            ]
        )
        self._log_events(events)
        return events

    @api.model
    def _resume(self, subscriptions, resume_date):
        """Paused members resume on ``resume_date`` (DESIGN, rule 6).

        ``[P, max(P, R))`` is never billed, and the member joins its group
        again by rule 1 from ``max(P, R)``; one that cannot join any more
        leaves with its reason.
        """
        Sub = self.env["sale.subscription"]
        groups, moves, extra = [], [], {}
        refused = defaultdict(lambda: Sub)  # (reason, restart): subscriptions
        for sub in subscriptions:
            group = sub.group_id
            member = sub._get_grouping_member()
            resume = plan_resume(
                member,
                resume_date,
                group._get_anchor(),
                sub._get_grouping_rounding(),
                group._get_last_run_date(),
            )
            restart = resume.paused.end if resume.paused else member.paid_through
            if isinstance(resume.join, Refusal):
                refused[resume.join.reason.value, restart] |= sub
                continue
            groups.append(group)
            moves.append(resume.join)
            # the event shows the date before the pause; the core's move starts
            # at the restart, which the rollback goes back to
            extra[sub.id] = {"date_from": member.paid_through, "resume_date": restart}
        events = self._record_moves(groups, moves, "resume", extra)
        by_date = defaultdict(lambda: Sub)
        for move in moves:
            by_date[move.new_date] |= Sub.browse(move.subscription)
        for new_date, subs in by_date.items():
            subs.write({"recurring_next_date": new_date, "paused": False})
        events |= self.env["sale.subscription.group.event"].create(
            [
                {
                    "group_id": sub.group_id.id,
                    "subscription_id": sub.id,
                    "kind": "leave",
                    "date_from": sub.recurring_next_date,
                    "date_to": restart,
                }
                for (_reason, restart), subs in refused.items()
                for sub in subs
            ]
        )
        left_groups = Sub.concat(*refused.values()).group_id
        for (reason, restart), subs in refused.items():
            # out of the group and off its billing day in one write
            subs.write(
                {
                    "group_id": False,
                    "grouping_refusal": reason,
                    "paused": False,
                    "recurring_next_date": restart,
                }
            )
        left_groups._settle_when_idle()
        self._log_events(events)
        self._bill_immediate_transitions(events.charge_ids)
        return events

    @api.model
    def _reprice(self, before, change_date):
        """Members whose line prices changed (DESIGN, rule 7).

        ``before`` maps each grouped subscription to its core Member before
        the change. New prices apply from the next service period; by the
        group's policy, the difference for ``[change_date, P)`` is billed on
        the next merged invoice, positive or negative.
        """
        groups, vals_list, adjustments = [], [], []
        for sub, old in before.items():
            new = sub._get_grouping_member()
            if new.lines == old.lines:
                continue
            group = sub.group_id
            adjustment = None
            if group.price_change_policy == "prorate":
                adjustment = plan_price_change(
                    old,
                    new.lines,
                    change_date,
                    group._get_anchor(),
                    sub._get_grouping_rounding(),
                )
            groups.append(group)
            adjustments.append(adjustment)
            vals_list.append(
                {
                    "group_id": group.id,
                    "subscription_id": sub.id,
                    "kind": "price",
                    "date_from": change_date,
                    "date_to": old.paid_through,
                    "amount": float(adjustment.total) if adjustment else 0.0,
                    "price_before": float(sum(line.price for line in old.lines)),
                    "price_after": float(sum(line.price for line in new.lines)),
                }
            )
        events = self.env["sale.subscription.group.event"].create(vals_list)
        self._create_charges(events, adjustments)
        self._log_events(events)
        return events

    # -- run ------------------------------------------------------------------
    @api.model
    def _get_run_domain(self, date_ref):
        return [("next_run_date", "<=", date_ref)]

    def _lock_for_run(self, skip_changed=True):
        """The groups of ``self`` that no other transaction is billing now,
        locked until commit (``skip_changed``: see ``lock_free_rows``)."""
        self.flush_model(["next_run_date"])
        return lock_free_rows(self, skip_changed=skip_changed)

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
        return invoices

    def _get_running_members(self):
        return self.subscription_ids.filtered(
            lambda sub: sub.in_progress and sub.recurring_next_date
        )

    def _plan_next_run(self):
        """The core's plan of the group's next run date."""
        self.ensure_one()
        members = self._get_running_members()
        pending = self._get_pending_charges()
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
        Charge = self.env["sale.subscription.group.charge"]
        for group, plan in plans.items():
            if plan.refunds:
                # credits larger than the invoice: a credit note of their own
                invoices |= group._invoice_charges(
                    Charge._browse_core(plan.refunds), plan.run_date
                )
        return invoices

    def _prepare_run_invoice_vals(self, plan):
        self.ensure_one()
        if not self.partner_id.active:
            raise UserError(
                self.env._(
                    "The customer %(customer)s of the group %(group)s is archived: "
                    "restore the customer to bill it, or close its subscriptions.",
                    customer=self.partner_id.display_name,
                    group=self.display_name,
                )
            )
        Sub = self.env["sale.subscription"]
        Charge = self.env["sale.subscription.group.charge"]
        periods = {item.subscription: item.periods for item in plan.items}
        charges = Charge._browse_core(plan.charges)
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
        self._check_invoice_vals(vals)
        return vals

    def _check_invoice_vals(self, vals):
        """Refuse a document of the group that accounting would refuse, or book
        wrong, before anything is written: with what to fix, and where."""
        self.ensure_one()
        company = self.company_id
        default_account = None
        for _command, _id, line_vals in vals["invoice_line_ids"]:
            if line_vals.get("display_type"):
                continue
            account = self.env["account.account"].browse(line_vals.get("account_id"))
            if not account:
                if default_account is None:
                    journal = self._get_invoice_journal(vals)
                    default_account = self.fiscal_position_id.map_account(
                        journal.default_account_id
                    )
                account = default_account
            self._check_invoice_line_vals(line_vals, account, vals)
        currency = self.currency_id
        if currency != company.currency_id and not self.env[
            "res.currency.rate"
        ].search_count(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, company.root_id.id)),
            ],
            limit=1,
        ):
            raise UserError(
                self.env._(
                    "%(currency)s has no exchange rate in %(company)s, so the "
                    "invoice of the group %(group)s would be booked at 1 to 1. Add "
                    "a rate of %(currency)s, then bill again.",
                    currency=currency.name,
                    company=company.display_name,
                    group=self.display_name,
                )
            )
        if self.invoicing_mode == "draft":
            return  # a draft may be redated before it is posted
        # customer invoices and credit notes are in sale journals
        locks = company._get_lock_date_violations(
            vals["invoice_date"], sale=True, purchase=False, tax=False
        )
        if locks:
            raise UserError(
                self.env._(
                    "The invoice of the group %(group)s for %(date)s would be posted "
                    "in a locked period (%(locks)s). Unlock the period to bill it, or "
                    "ask an accountant how to bill it.",
                    group=self.display_name,
                    date=format_date(self.env, vals["invoice_date"]),
                    locks=self.env["res.company"]._format_lock_dates(locks),
                )
            )

    def _get_invoice_journal(self, vals):
        """The journal the document of ``vals`` gets: the group's, else the
        one Odoo picks for it."""
        keys = ("move_type", "company_id", "currency_id", "journal_id")
        return (
            self.env["account.move"]
            .with_company(self.company_id)
            .new({key: vals[key] for key in keys if key in vals})
            .journal_id
        )

    def _check_invoice_line_vals(self, line_vals, account, vals):
        """The income account (``account``, as Odoo will fill it) and the taxes
        of one invoice line of the group."""
        company = self.company_id
        if not account:
            raise UserError(
                self.env._(
                    "%(product)s on %(subscription)s has no income account, and "
                    "the journal %(journal)s no default account: set one on the "
                    "product, its category or the journal.",
                    journal=self._get_invoice_journal(vals).display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )
        if account.deprecated:
            raise UserError(
                self.env._(
                    "The income account %(account)s of %(product)s on "
                    "%(subscription)s is deprecated: set another one on the product "
                    "or its category.",
                    account=account.display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )
        tax_ids = [
            tax_id
            for command in line_vals.get("tax_ids", ())
            if command[0] == Command.SET
            for tax_id in command[2]
        ]
        foreign = (
            self.env["account.tax"]
            .browse(tax_ids)
            .filtered(lambda tax: tax.company_id not in company.parent_ids)
        )
        if foreign:
            raise UserError(
                self.env._(
                    "The taxes %(taxes)s of %(product)s on %(subscription)s belong "
                    "to another company than %(company)s: choose taxes of "
                    "%(company)s on the subscription line.",
                    taxes=", ".join(foreign.mapped("display_name")),
                    company=company.display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )

    def _describe_invoice_line(self, line_vals):
        """The names a refusal of one invoice line gives."""
        product = self.env["product.product"].browse(line_vals.get("product_id"))
        return {
            "subscription": self.env["sale.subscription"]
            .browse(line_vals.get("subscription_id"))
            .display_name,
            "product": product.display_name or line_vals.get("name"),
        }

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
        # Each invoice's journal items computed once, not re-synchronised line
        # by line: that sync was most of a run.
        invoices = (
            self.env["account.move"]
            .with_context(default_move_type="out_invoice", tracking_disable=True)
            ._create_with_precomputed_lines(vals_list)
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

    def _invoice_charges(self, charges, invoice_date=None):
        """Bill ``charges`` now, on a document of its own per group: an invoice,
        or a credit note when they add up to a credit."""
        vals_list = []
        today = invoice_date or fields.Date.context_today(self)
        for group in self:
            group_charges = charges.filtered(
                lambda charge, group=group: charge.group_id == group
            )
            total = sum(group_charges.mapped("amount"))
            refund = group.currency_id.compare_amounts(total, 0.0) < 0
            vals = group._prepare_invoice_vals(
                today, group_charges.subscription_id, {}, group_charges
            )
            if refund:
                vals["move_type"] = "out_refund"
                for _command, _id, line_vals in vals["invoice_line_ids"]:
                    if "price_unit" in line_vals:
                        line_vals["price_unit"] = -line_vals["price_unit"]
            vals_list.append(vals)
        return self._create_invoices(vals_list)

    # -- ungroup --------------------------------------------------------------
    def _plan_ungroup(self, subscriptions=None):
        """What switching grouping off does, written nowhere (DESIGN, rule 8).

        For every group of ``self``, or only for ``subscriptions`` (members
        removed by hand), a JSON-ready entry: the members and their dates now
        and after, the charges dropped with the moves they came from, and the
        charges that must still be billed, on their own.
        """
        entries = []
        for group in self:
            members = group.subscription_ids
            if subscriptions is not None:
                members &= subscriptions
            plan = group._get_core_ungroup(members)
            whole = subscriptions is None
            entries.append(
                {
                    "group": group.id,
                    "whole": whole,
                    "posted": group._has_posted_merged_invoice(),
                    "members": [
                        [sub.id, fields.Date.to_string(sub.recurring_next_date)]
                        for sub in members
                    ],
                    "paid_through": [
                        [sub.id, fields.Date.to_string(plan.paid_through[sub.id])]
                        for sub in members
                    ],
                    "dropped": [dump_charge(charge) for charge in plan.dropped],
                    "settle": [
                        dump_charge(charge)
                        for charge in plan.settle
                        if whole or charge.subscription in members.ids
                    ],
                    "pending": group._get_pending_charges().ids,
                }
            )
        return entries

    def _get_core_ungroup(self, members):
        """The core's plan of taking ``members`` out of this group."""
        self.ensure_one()
        moves = defaultdict(list)
        events = self.event_ids.filtered(
            lambda event: event.kind in MOVE_EVENTS and event.subscription_id in members
        )
        for event in events.sorted("id"):
            charge = event.charge_ids._to_core_charges()
            moves[event.subscription_id.id].append(
                Move(
                    event.subscription_id.id,
                    event.resume_date or event.date_from,
                    event.date_to,
                    charge[0] if charge else None,
                )
            )
        return plan_ungroup(
            [sub._get_grouping_member() for sub in members],
            moves,
            self._get_pending_charges()._to_core_charges(),
            self._has_posted_merged_invoice(),
        )

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

    def _get_pending_charges(self):
        return self.charge_ids.filtered(lambda charge: charge.state == "pending")

    def _has_posted_merged_invoice(self):
        self.ensure_one()
        return any(
            move.subscription_group_run_date and move.state == "posted"
            for move in self.invoice_ids
        )

    def _ungroup(self, subscriptions=None):
        """Switch grouping off, or take ``subscriptions`` out of their groups."""
        groups = self if subscriptions is None else subscriptions.group_id
        return self._apply_ungroup(groups._plan_ungroup(subscriptions))

    @api.model
    def _apply_ungroup(self, entries):
        """Carry out a plan of :meth:`_plan_ungroup`, as it is.

        Before the group's first posted merged invoice each member's previous
        next invoice date comes back and pending transitions are dropped;
        afterwards members keep their dates. Charges still pending are billed
        on an invoice (or credit note) of their own.
        """
        self._check_ungroup_plan_is_current(entries)
        Sub = self.env["sale.subscription"]
        Charge = self.env["sale.subscription.group.charge"]
        groups = self.browse([entry["group"] for entry in entries])
        # before the members leave: the messages count them
        bodies = {
            entry["group"]: self.browse(entry["group"])._get_ungroup_message(entry)
            for entry in entries
        }
        dropped = Charge._browse_core(
            load_charge(charge) for entry in entries for charge in entry["dropped"]
        )
        settle = Charge._browse_core(
            load_charge(charge) for entry in entries for charge in entry["settle"]
        )
        event_vals = []
        by_date = defaultdict(lambda: Sub)
        for entry in entries:
            restored = dict(entry["paid_through"])
            for sub_id, current in entry["members"]:
                new_date = restored[sub_id]
                by_date[new_date] |= Sub.browse(sub_id)
                event_vals.append(
                    {
                        "group_id": entry["group"],
                        "subscription_id": sub_id,
                        "kind": "rollback" if new_date != current else "ungroup",
                        "date_from": current,
                        "date_to": new_date,
                        "amount": -sum(
                            float(load_charge(charge).total)
                            for charge in entry["dropped"]
                            if charge["subscription"] == sub_id
                        ),
                    }
                )
        events = self.env["sale.subscription.group.event"].create(event_vals)
        for new_date, subs in by_date.items():
            subs.write({"group_id": False, "recurring_next_date": new_date})
        dropped.unlink()
        if settle:
            settle.group_id._invoice_charges(settle)
        self._log_events(events.filtered(lambda event: event.kind == "rollback"))
        groups._message_log_batch(bodies)
        groups.filtered(
            lambda group: not group.subscription_ids
            or any(entry["whole"] for entry in entries if entry["group"] == group.id)
        ).active = False
        return events

    @api.model
    def _check_ungroup_plan_is_current(self, entries):
        """Refuse an ungroup plan whose group changed since it was made."""
        Sub = self.env["sale.subscription"]
        changed = Sub
        for entry in entries:
            for sub_id, current in entry["members"]:
                sub = Sub.browse(sub_id)
                if sub.group_id.id != entry["group"] or (
                    fields.Date.to_string(sub.recurring_next_date) != current
                ):
                    changed |= sub
            group = self.browse(entry["group"])
            if (
                set(entry["pending"]) != set(group._get_pending_charges().ids)
                or entry["posted"] != group._has_posted_merged_invoice()
            ):
                changed |= group.subscription_ids
        self._raise_if_changed(changed)

    def _get_ungroup_message(self, entry):
        self.ensure_one()
        count = len(entry["members"])
        if entry["dropped"] and not entry["settle"]:
            return self.env._(
                "Grouping switched off for %(count)s subscription(s) before any "
                "merged invoice: their previous next invoice dates are restored and "
                "pending transitions dropped.",
                count=count,
            )
        return self.env._(
            "Grouping switched off: %(count)s subscription(s) bill on their own again.",
            count=count,
        )
