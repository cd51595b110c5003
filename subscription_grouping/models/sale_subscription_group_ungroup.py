# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Switching grouping off, or taking members out by hand (DESIGN, rule 8).

An ungroup plan is a list of the core's :class:`UngroupEntry`, one per group:
planned here, shown by the preview, carried out as it is.
"""

from odoo import api, models

from subscription_grouping_core import Move, UngroupEntry, plan_ungroup

from .sale_subscription_group_event import EventRow

# events whose dates are moves of the core (plan_ungroup undoes them)
MOVE_EVENTS = ("join", "realign", "resume")


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    def _plan_ungroup(self, subscriptions=None):
        """What switching grouping off does, written nowhere: an
        :class:`UngroupEntry` for every group of ``self``, or only for
        ``subscriptions`` (members removed by hand)."""
        entries = []
        whole = subscriptions is None
        for group in self:
            members = group.subscription_ids
            if not whole:
                members &= subscriptions
            plan = group._get_core_ungroup(members)
            entries.append(
                UngroupEntry(
                    group=group.id,
                    whole=whole,
                    posted=group._has_posted_merged_invoice(),
                    members=tuple(
                        (sub.id, sub.recurring_next_date or None) for sub in members
                    ),
                    paid_through=tuple(
                        (sub.id, plan.paid_through[sub.id]) for sub in members
                    ),
                    dropped=plan.dropped,
                    settle=tuple(
                        charge
                        for charge in plan.settle
                        if whole or charge.subscription in members.ids
                    ),
                    pending=tuple(group._get_pending_charges().ids),
                )
            )
        return entries

    def _get_core_ungroup(self, members):
        """The core's plan of taking ``members`` out of this group."""
        self.ensure_one()
        moves = {}
        events = self.event_ids.filtered(
            lambda event: event.kind in MOVE_EVENTS and event.subscription_id in members
        )
        for event in events.sorted("id"):
            charge = event.charge_ids._to_core_charges()
            moves.setdefault(event.subscription_id.id, []).append(
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
        Charge = self.env["sale.subscription.group.charge"]
        groups = self.browse([entry.group for entry in entries])
        # before the members leave: the messages count them
        bodies = {
            entry.group: self.browse(entry.group)._get_ungroup_message(entry)
            for entry in entries
        }
        dropped = Charge._browse_core(
            charge for entry in entries for charge in entry.dropped
        )
        settle = Charge._browse_core(
            charge for entry in entries for charge in entry.settle
        )
        rows = []
        for entry in entries:
            group = self.browse(entry.group)
            for sub_id, (current, restored) in entry.restored().items():
                amount = sum(charge.total for charge in entry.dropped_for(sub_id))
                rows.append(
                    EventRow(
                        "rollback" if restored != current else "ungroup",
                        group,
                        sub_id,
                        current,
                        restored,
                        values={"amount": -float(amount)},
                    )
                )
        events = self.env["sale.subscription.group.event"]._record(rows)
        self.env["sale.subscription"]._write_grouping_values(
            (
                row.subscription,
                {"group_id": False, "recurring_next_date": row.date_to or False},
            )
            for row in rows
        )
        # sudo: charges are read-only history; a rollback drops the pending
        # transitions it undoes (the rollback events keep their amounts)
        dropped.sudo().unlink()
        if settle:
            settle.group_id._invoice_charges(settle)
        events.filtered(lambda event: event.kind == "rollback")._log()
        groups._message_log_batch(bodies)
        whole = {entry.group for entry in entries if entry.whole}
        groups.filtered(
            lambda group: not group.subscription_ids or group.id in whole
        ).active = False
        return events

    @api.model
    def _check_ungroup_plan_is_current(self, entries):
        """Refuse an ungroup plan whose group changed since it was made."""
        Sub = self.env["sale.subscription"]
        changed = Sub
        for entry in entries:
            for sub_id, current in entry.members:
                sub = Sub.browse(sub_id)
                if (
                    sub.group_id.id != entry.group
                    or (sub.recurring_next_date or None) != current
                ):
                    changed |= sub
            group = self.browse(entry.group)
            if (
                set(entry.pending) != set(group._get_pending_charges().ids)
                or entry.posted != group._has_posted_merged_invoice()
            ):
                changed |= group.subscription_ids
        self._raise_if_changed(changed)

    def _get_ungroup_message(self, entry):
        self.ensure_one()
        count = len(entry.members)
        if entry.dropped and not entry.settle:
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
