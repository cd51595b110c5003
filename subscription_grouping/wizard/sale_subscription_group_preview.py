# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from subscription_grouping_core import (
    Anchor,
    dump_join_entry,
    dump_ungroup_entry,
    load_join_entry,
    load_ungroup_entry,
)

from ..models.sale_subscription_group import MONTHS

# What only the server writes on a preview (a client's create or write of them
# is refused): the plan and what it shows ...
SERVER_FIELDS = {"plan", "planned_anchor", "line_ids", "summary"}
# ... and what it was opened for, set when it is created.
OPENED_FIELDS = {"mode", "partner_id", "group_id"}
# The collections of a stored plan whose order means nothing (see
# _canonical_plan): a key's pairs, a member's lines, a group's members and
# charges.
UNORDERED_KEYS = {
    "key",
    "lines",
    "members",
    "paid_through",
    "dropped",
    "settle",
    "pending",
}


class SaleSubscriptionGroupPreview(models.TransientModel):
    """See what grouping will do, then carry out exactly that plan.

    The plan is computed when the preview opens (or when the billing day is
    changed and previewed again) and kept in ``plan``, with what it shows.
    Both are the server's: a client can neither create nor write them. Apply
    plans again and carries out the new plan only when it is the one shown;
    otherwise (the subscriptions changed meanwhile, or the stored plan was
    not the server's) it is refused, and nothing is written.
    """

    _name = "sale.subscription.group.preview"
    _description = "Subscription Grouping Preview"

    mode = fields.Selection(
        selection=[
            ("group", "Switch grouping on"),
            ("ungroup", "Switch grouping off"),
            ("realign", "Change the billing day"),
        ],
        required=True,
        readonly=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", readonly=True
    )
    group_id = fields.Many2one(
        comodel_name="sale.subscription.group", string="Group", readonly=True
    )
    anchor_day = fields.Integer(
        string="New Billing Day",
        help="Day of the month (1-31; 29-31 fall on the last day of shorter months).",
    )
    anchor_month = fields.Selection(selection=MONTHS, string="New Billing Month")
    planned_anchor = fields.Char(readonly=True)
    plan = fields.Json(readonly=True)
    line_ids = fields.One2many(
        comodel_name="sale.subscription.group.preview.line",
        inverse_name="wizard_id",
        string="Subscriptions",
        readonly=True,
    )
    summary = fields.Html(readonly=True)
    stale = fields.Boolean(compute="_compute_stale")
    group_count = fields.Integer(string="Groups", compute="_compute_group_count")

    @api.depends("anchor_day", "anchor_month", "planned_anchor")
    def _compute_stale(self):
        for wizard in self:
            wizard.stale = (
                wizard.mode == "realign"
                and wizard.planned_anchor != wizard._get_anchor_text()
            )

    @api.depends("line_ids.group_name")
    def _compute_group_count(self):
        # the view shows the group column only when the plan has several
        for wizard in self:
            wizard.group_count = len(
                set(wizard.line_ids.mapped("group_name")) - {False}
            )

    def _get_anchor_text(self):
        return f"{self.anchor_day}/{self.anchor_month or ''}"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_client_values(vals, SERVER_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        self._check_client_values(vals, SERVER_FIELDS | OPENED_FIELDS)
        return super().write(vals)

    @api.model
    def _check_client_values(self, vals, protected):
        """Refuse ``protected`` fields from anyone but the server's own writes
        (made as the system, which no client can ask for)."""
        if not self.env.su and protected & vals.keys():
            raise AccessError(
                self.env._(
                    "A preview's plan and what it shows are made by the server, "
                    "and its customer and group when it opens: they cannot be "
                    "written. Preview again."
                )
            )

    @api.model
    def _open(self, mode, partner=None, group=None):
        self.env["sale.subscription.group"]._check_grouping_manager()
        vals = {"mode": mode}
        if partner:
            vals["partner_id"] = partner.id
        if group:
            vals.update(
                group_id=group.id,
                partner_id=group.partner_id.id,
                anchor_day=group.anchor_day,
                anchor_month=group.anchor_month,
            )
        wizard = self.create(vals)
        wizard._make_plan()
        return wizard._get_action()

    def _get_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            # the label in the user's language (the raw selection is English)
            "name": dict(self._fields["mode"]._description_selection(self.env))[
                self.mode
            ],
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": {"dialog_size": "extra-large"},
        }

    # -- planning -------------------------------------------------------------
    def _make_plan(self):
        """Compute the plan once, and what it shows."""
        self.ensure_one()
        plan = self._plan()
        lines, summary = (
            self._describe_ungroup(plan)
            if self.mode == "ungroup"
            else self._describe_join(plan)
        )
        # sudo: the plan and what it shows are written by the server only (a
        # client's write of them is refused), on the user's own preview
        self.sudo().write(
            {
                "plan": self._dump_plan(plan),
                "planned_anchor": self._get_anchor_text(),
                "line_ids": [Command.clear()]
                + [Command.create(vals) for vals in lines],
                "summary": summary,
            }
        )

    def _plan(self):
        """The plan of this preview, computed now: the core's entries."""
        self.ensure_one()
        if self.mode == "group":
            return self.partner_id._plan_grouping()
        if self.mode == "ungroup":
            return self.partner_id._plan_ungrouping()
        return self.group_id._plan_realign(self._get_new_anchor())

    def _dump_plan(self, plan):
        """``plan`` as the ``plan`` field stores it (JSON values)."""
        dump = dump_ungroup_entry if self.mode == "ungroup" else dump_join_entry
        return json.loads(json.dumps([dump(entry) for entry in plan]))

    @api.model
    def _canonical_plan(self, value, unordered=True):
        """A stored plan in a form where two plans that do the same compare
        equal: its entries, and the collections of UNORDERED_KEYS, sorted (a
        group's members or charges come in the order they were read)."""
        if isinstance(value, dict):
            return {
                key: self._canonical_plan(item, key in UNORDERED_KEYS)
                for key, item in value.items()
            }
        if isinstance(value, list):
            items = [self._canonical_plan(item, False) for item in value]
            if unordered:
                items.sort(key=lambda item: json.dumps(item, sort_keys=True))
            return items
        return value

    def _get_current_plan(self):
        """The plan computed again now, when it is the one shown; else refused
        (preview again), naming what changed since when it can."""
        self.ensure_one()
        plan = self._plan()
        current = self._dump_plan(plan)
        if self._canonical_plan(current) == self._canonical_plan(self.plan or []):
            return plan
        Group = self.env["sale.subscription.group"]
        load = load_ungroup_entry if self.mode == "ungroup" else load_join_entry
        try:
            shown = [load(data) for data in self.plan or []]
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            shown = None  # no plan the server made
        if shown is not None:
            # the refusals of a plan gone stale: what changed, and where
            if self.mode == "ungroup":
                Group._check_ungroup_plan_is_current(shown)
            elif self.mode == "realign":
                self.group_id._check_realign_is_current(shown)
                Group._check_plan_is_current(shown, "realign")
            else:
                Group._check_plan_is_current(shown, "join")
        if self.mode == "ungroup":
            Group.browse([entry["group"] for entry in current])._raise_moved_on()
        # a change of billing day is the group's plan
        self.group_id._raise_moved_on()
        Group._raise_if_changed(
            self.env["sale.subscription"].browse(
                [entry["subscription"] for entry in current if "subscription" in entry]
            )
            or self.line_ids.subscription_id
        )
        raise UserError(
            self.env._("The plan shown is not the current one: preview again.")
        )

    def _get_new_anchor(self):
        if not 1 <= self.anchor_day <= 31:
            raise UserError(
                self.env._(
                    "The new billing day of %(group)s must be a day of the month, "
                    "from 1 to 31 (29 to 31 fall on the last day of shorter "
                    "months); not %(day)s.",
                    group=self.group_id.display_name,
                    day=self.anchor_day,
                )
            )
        return Anchor(self.anchor_day, int(self.anchor_month or 0) or None)

    def _describe_join(self, plan):
        Sub = self.env["sale.subscription"]
        Group = self.env["sale.subscription.group"]
        reasons = dict(Sub._fields["grouping_refusal"].selection)
        first_runs = Group._get_first_runs(plan)
        names = {
            target: self._get_group_name(target, anchor)
            for target, (anchor, _run) in first_runs.items()
        }
        lines = []
        for sequence, entry in enumerate(plan):
            sub = Sub.browse(entry.subscription)
            vals = {
                "sequence": sequence,
                "subscription_id": sub.id,
                "currency_id": sub.currency_id.id,
                "date_before": sub.recurring_next_date,
            }
            if entry.refusal:
                vals["note"] = self.env._(
                    "Stays out: %(reason)s", reason=reasons[entry.refusal.value]
                )
            else:
                vals.update(
                    group_name=names[entry.target],
                    date_after=entry.move.new_date,
                    **self._describe_charge(entry.move.charge),
                )
            lines.append(vals)
        return lines, self._get_first_runs_summary(first_runs, names)

    def _describe_charge(self, charge):
        if not charge:
            return {"note": self.env._("Already on the billing day")}
        return {
            "charge_start": charge.period.start,
            "charge_end": charge.period.last_day,
            "ratio": self.env["sale.subscription.group.charge"]._format_share(
                charge.period.days, charge.ratio
            ),
            "amount": float(charge.total),
        }

    def _get_group_name(self, target, anchor):
        group_id, key = target
        if group_id:
            return self.env["sale.subscription.group"].browse(group_id).display_name
        currency = self.env["res.currency"].browse(dict(key)["currency_id"])
        return self.env._(
            "New group: %(customer)s, %(currency)s, day %(day)s",
            customer=self.partner_id.display_name,
            currency=currency.name,
            day=anchor.day,
        )

    def _get_first_runs_summary(self, first_runs, names):
        rows = []
        for target, (_anchor, run) in first_runs.items():
            currency = self.env["res.currency"].browse(dict(target[1])["currency_id"])
            if run and run.missed:
                text = self.env._(
                    "%(count)s missed run dates, %(first)s to %(last)s, all on one "
                    "merged invoice dated %(date)s: %(total)s",
                    count=len(run.run_dates),
                    first=format_date(self.env, run.run_dates[0]),
                    last=format_date(self.env, run.run_date),
                    date=format_date(self.env, run.dated),
                    total=currency.format(float(run.total)),
                )
            elif run:
                text = self.env._(
                    "first merged invoice on %(date)s: %(total)s",
                    date=format_date(self.env, run.run_date),
                    total=currency.format(float(run.total)),
                )
            else:
                text = self.env._("no merged invoice due")
            rows.append(
                Markup("<li><strong>%s</strong>: %s</li>") % (names[target], text)
            )
        if not rows:
            return Markup("<p>%s</p>") % self.env._(
                "No subscription of this customer would join a group."
            )
        return Markup("<ul>%s</ul>") % Markup().join(rows)

    def _describe_ungroup(self, plan):
        Group = self.env["sale.subscription.group"]
        lines, rows = [], []
        sequence = 0
        for entry in plan:
            group = Group.browse(entry.group)
            for sub_id, (current, after) in entry.restored().items():
                dropped = entry.dropped_for(sub_id)
                lines.append(
                    {
                        "sequence": sequence,
                        "subscription_id": sub_id,
                        "group_name": group.display_name,
                        "currency_id": group.currency_id.id,
                        "date_before": current,
                        "date_after": after,
                        "amount": -float(sum(charge.total for charge in dropped)),
                        "note": self.env._("Previous date restored, transition dropped")
                        if dropped or after != current
                        else self.env._("Keeps its date, bills on its own"),
                    }
                )
                sequence += 1
            settle = sum(charge.total for charge in entry.settle)
            if entry.posted:
                text = self.env._(
                    "a merged invoice is posted: everything invoiced stays and the "
                    "members bill on their own from their current dates"
                )
            else:
                text = self.env._(
                    "no merged invoice posted yet: the members get back the dates "
                    "they had before grouping"
                )
            if settle:
                text += self.env._(
                    "; pending charges of %(amount)s are billed on their own now",
                    amount=group.currency_id.format(float(settle)),
                )
            rows.append(
                Markup("<li><strong>%s</strong>: %s</li>") % (group.display_name, text)
            )
        if not rows:
            return lines, Markup("<p>%s</p>") % self.env._("No group to switch off.")
        return lines, Markup("<ul>%s</ul>") % Markup().join(rows)

    # -- actions --------------------------------------------------------------
    def action_preview(self):
        """Plan again with the billing day now entered."""
        self._make_plan()
        return self._get_action()

    def action_apply(self):
        """Carry out the plan that was shown, when planning again gives it."""
        self.ensure_one()
        if self.stale:
            raise UserError(
                self.env._(
                    "The billing day was changed after the preview: preview again "
                    "before applying."
                )
            )
        Group = self.env["sale.subscription.group"]
        Group._check_grouping_manager()
        # refused before anything is written
        plan = self._get_current_plan()
        applied = self.partner_id.with_context(subscription_grouping_plan_applied=True)
        if self.mode == "group":
            applied.subscription_grouping = True
            self.partner_id._group_subscriptions(plan)
        elif self.mode == "ungroup":
            applied.subscription_grouping = False
            self.partner_id._ungroup_subscriptions(plan)
            return {"type": "ir.actions.act_window_close"}
        else:
            self.group_id._apply_realign(self._get_new_anchor(), plan)
            return {"type": "ir.actions.act_window_close"}
        return self.partner_id.action_view_subscription_groups()
