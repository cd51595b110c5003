# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Joining a group, and moving a group to another billing day (DESIGN, rule 1).

A join plan is a list of the core's :class:`JoinEntry`, one per subscription:
planned here, shown by the preview, carried out as it is by
:meth:`_apply_join`, or refused when what it was computed from changed.
"""

from collections import defaultdict

from odoo import api, fields, models

from subscription_grouping_core import (
    Anchor,
    JoinEntry,
    Refusal,
    default_anchor,
    join_refusal,
    plan_first_run,
    plan_join,
)

from .sale_subscription_group_event import EventRow


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    # -- planning -------------------------------------------------------------
    @api.model
    def _plan_join(self, members):
        """What joining ``{subscription: core Member}`` does, written nowhere:
        a :class:`JoinEntry` per subscription, in the order of ``members``."""
        keys = {sub: sub._get_grouping_key() for sub in members}
        partners = {dict(key)["partner_id"] for key in keys.values()}
        groups = {
            group._get_key(): group
            for group in self.search([("partner_id", "in", list(partners))])
        }
        anchors = {key: group._get_anchor() for key, group in groups.items()}
        anchors.update(
            self._get_new_group_anchors(
                members, {sub: key for sub, key in keys.items() if key not in groups}
            )
        )
        return [
            groups.get(keys[sub], self)._prepare_join_entry(
                sub, members[sub], keys[sub], anchors.get(keys[sub])
            )
            for sub in members
        ]

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
            values = dict(key)
            partner = self.env["res.partner"].browse(values["partner_id"])
            company = self.env["res.company"].browse(values["company_id"])
            if partner.subscription_grouping_anchor_day:
                anchors[key] = Anchor(partner.subscription_grouping_anchor_day)
            elif company.subscription_group_anchor_mode == "day":
                anchors[key] = Anchor(company.subscription_group_anchor_day)
            else:
                anchors[key] = default_anchor(joining)
        return anchors

    def _plan_realign(self, anchor):
        """Move the members of this group onto ``anchor`` (a new billing day).

        Paused members stay where they are: they join the new day by rule 1
        when they resume.
        """
        self.ensure_one()
        key = self._get_key()
        return [
            self._prepare_join_entry(sub, sub._get_grouping_member(), key, anchor)
            for sub in self._get_realign_members()
        ]

    def _get_realign_members(self):
        """The members a change of billing day moves."""
        return self._get_running_members().filtered(lambda sub: not sub.is_paused)

    def _prepare_join_entry(self, sub, member, key, anchor):
        """The entry of ``sub`` joining this group (empty: the group of ``key``
        to create on ``anchor``)."""
        reason = join_refusal(member, has_currency=bool(sub.currency_id))
        if reason:
            return JoinEntry(
                sub.id, Refusal(sub.id, reason), self.id or None, key, member.lines
            )
        last_run = self._get_last_run_date()
        return JoinEntry(
            subscription=sub.id,
            outcome=plan_join(member, anchor, sub._get_grouping_rounding(), last_run),
            group=self.id or None,
            key=key,
            lines=member.lines,
            anchor=anchor,
            last_run=last_run,
            policy=self.transition_policy or None,
        )

    @api.model
    def _get_first_runs(self, entries):
        """Per group of a join plan, by :attr:`JoinEntry.target`: its anchor and
        the core's plan of its first merged invoice once the plan is carried
        out (an existing group's other members and pending charges included,
        the run dates already due on one invoice by its catch-up policy),
        ``None`` when nothing is due."""
        Sub = self.env["sale.subscription"]
        joining = defaultdict(list)
        for entry in entries:
            if entry.move:
                joining[entry.target].append(entry)
        result = {}
        for (group_id, key), group_entries in joining.items():
            group = self.browse(group_id)
            anchor = group_entries[0].anchor
            moved = {entry.subscription for entry in group_entries}
            company = self.env["res.company"].browse(dict(key)["company_id"])
            policy = (
                group.transition_policy or company.subscription_group_transition_policy
            )
            catch_up = (
                group.catch_up_policy or company.subscription_group_catch_up_policy
            ) == "one_invoice"
            result[group_id, key] = (
                anchor,
                plan_first_run(
                    anchor,
                    [
                        sub._get_grouping_member()
                        for sub in group._get_running_members()
                        if sub.id not in moved
                    ],
                    [
                        (
                            Sub.browse(entry.subscription)._get_grouping_member(),
                            entry.move,
                        )
                        for entry in group_entries
                    ],
                    group._get_pending_charges()._to_core_charges(),
                    charges_wait=policy == "next_invoice",
                    catch_up_by=fields.Date.context_today(self) if catch_up else None,
                ),
            )
        return result

    # -- plans that went stale ------------------------------------------------
    @api.model
    def _check_plan_is_current(self, entries, kind):
        """Refuse a join plan whose subscriptions or groups changed since it
        was made."""
        Sub = self.env["sale.subscription"]
        changed, moved_on = Sub, self.browse()
        for entry in entries:
            if not entry.move:
                continue
            group = self.browse(entry.group)
            if group._moved_on_since(entry, kind):
                moved_on |= group
            sub = Sub.browse(entry.subscription).exists()
            member = sub and sub._get_grouping_member()
            if (
                not sub
                or member.lines != entry.lines
                or member.paid_through != entry.move.old_date
                or sub.group_id.id != (entry.group if kind == "realign" else False)
                or sub.is_paused
            ):
                changed |= Sub.browse(entry.subscription)
        moved_on._raise_moved_on()
        self._raise_if_changed(changed)

    def _check_realign_is_current(self, entries):
        """Refuse a change of billing day planned for other members than the
        group's (one joined, left or was paused meanwhile)."""
        self.ensure_one()
        planned = {entry.subscription for entry in entries}
        if planned != set(self._get_realign_members().ids):
            self._raise_moved_on()

    def _moved_on_since(self, entry, kind):
        """Whether this group (of a join entry) billed a run, changed its
        billing day or its transition policy since the entry was planned."""
        if not self:
            return False
        return (
            entry.last_run != self._get_last_run_date()
            or entry.policy != self.transition_policy
            or (kind == "join" and entry.anchor != self._get_anchor())
        )

    # -- carrying a plan out --------------------------------------------------
    @api.model
    def _apply_join(self, entries, kind="join"):
        """Carry out a join plan of :meth:`_plan_join` or :meth:`_plan_realign`.

        Nothing is computed again: the dates, ratios and amounts are the
        plan's. Returns the events.
        """
        self._check_plan_is_current(entries, kind)
        Sub = self.env["sale.subscription"]
        refused = [entry for entry in entries if entry.refusal]
        joining = [entry for entry in entries if entry.move]
        groups = self._get_or_create_from_plan(joining)
        events = self.env["sale.subscription.group.event"]._record(
            [
                EventRow.of_move(kind, group, entry.move)
                for group, entry in zip(groups, joining, strict=True)
            ],
        )
        Sub._write_grouping_values(
            [
                (entry.subscription, {"grouping_refusal": entry.refusal.value})
                for entry in refused
            ]
            + [
                (
                    entry.subscription,
                    {
                        "group_id": group.id,
                        "recurring_next_date": entry.move.new_date,
                        "grouping_refusal": False,
                    },
                )
                for group, entry in zip(groups, joining, strict=True)
            ]
        )
        events._log()
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
            if not entry.group:
                missing.setdefault(entry.key, entry.anchor)
        created = self.create(
            [self._prepare_group_vals(key, anchor) for key, anchor in missing.items()]
        )
        by_key = dict(zip(missing, created, strict=True))
        return [
            self.browse(entry.group) if entry.group else by_key[entry.key]
            for entry in entries
        ]

    @api.model
    def _bill_immediate_transitions(self, charges):
        """Transitions of groups that bill them at once: on their own invoice."""
        immediate = charges.filtered(
            lambda charge: charge.kind == "transition"
            and charge.group_id.transition_policy == "immediate"
        )
        if immediate:
            immediate.group_id._invoice_charges(immediate)
