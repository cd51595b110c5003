# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What happens to a member of a group: it leaves, pauses, resumes, is
re-priced (DESIGN, rules 5 to 7).

Each is done by the subscriptions concerned, in a batch, as the user whose
action it follows (closing, pausing, resuming, editing lines): the group's
events and charges, which every user only reads, are written by the module
(``sale.subscription.group.event._record``), and a document billed at once is
made with the user's own rights, or left to the scheduled run.
"""

from collections import defaultdict

from odoo import models

from subscription_grouping_core import (
    Refusal,
    plan_leave,
    plan_price_change,
    plan_resume,
)

from .sale_subscription_group_event import EventRow


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    def _leave_group(self, close_date, note=False):
        """Closed on ``close_date``: leave the group (rule 5).

        By the group's policy the unused prepaid days ``[close_date, P)`` are
        kept or credited: on the next merged invoice, or on a credit note when
        no merged invoice is due any more.
        """
        rows = []
        for sub in self:
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
            rows.append(
                EventRow(
                    "leave",
                    group,
                    sub.id,
                    member.paid_through,
                    close_date,
                    credit,
                    {"note": note},
                )
            )
        events = self.env["sale.subscription.group.event"]._record(rows)
        groups = self.group_id
        # sudo: only managers write group_id by hand; whoever may close a
        # subscription takes it out of its group (checked by the caller)
        self.sudo().group_id = False
        events._log()
        groups._settle_when_idle()
        return events

    def _pause_in_group(self):
        """Paused: the group's runs skip them from their paid-through date on
        (until their resume date, when they have one)."""
        events = self.env["sale.subscription.group.event"]._record(
            [
                EventRow(
                    "pause",
                    sub.group_id,
                    sub.id,
                    sub.recurring_next_date,
                    sub.recurring_next_date,
                    None,
                    {"resume_date": sub.paused_until},
                )
                for sub in self
            ]
        )
        events._log()
        return events

    def _resume_in_group(self, resume_date, automatic=False):
        """Resumed on ``resume_date`` (rule 6); ``automatic``: by the scheduled
        action, on the resume date.

        ``[P, max(P, R))`` is never billed, and each member joins its group
        again by rule 1 from ``max(P, R)``; one that cannot join any more
        leaves with its reason.
        """
        note = self.env._("automatically, on its resume date") if automatic else False
        rows, leave_rows, writes, left = [], [], [], self.browse()
        for sub in self:
            group = sub.group_id
            member = sub._get_grouping_member()
            resume = sub._plan_resume_in_group(member, resume_date)
            if isinstance(resume.join, Refusal):
                left |= sub
                leave_rows.append(
                    EventRow(
                        "leave", group, sub.id, sub.recurring_next_date, resume.restart
                    )
                )
                # out of the group and off its billing day in one write
                writes.append(
                    (
                        sub,
                        {
                            "group_id": False,
                            "grouping_refusal": resume.join.reason.value,
                            "is_paused": False,
                            "paused_until": False,
                            "recurring_next_date": resume.restart,
                        },
                    )
                )
                continue
            # the event shows the date before the pause; the core's move starts
            # at the restart, which the rollback goes back to
            rows.append(
                EventRow.of_move(
                    "resume",
                    group,
                    resume.join,
                    {
                        "date_from": member.paid_through,
                        "resume_date": resume.restart,
                        "note": note,
                    },
                )
            )
            writes.append(
                (
                    sub,
                    {
                        "recurring_next_date": resume.join.new_date,
                        "is_paused": False,
                        "paused_until": False,
                    },
                )
            )
        events = self.env["sale.subscription.group.event"]._record(rows + leave_rows)
        groups = left.group_id
        self._write_grouping_values(writes)
        groups._settle_when_idle()
        events._log()
        self.env["sale.subscription.group"]._bill_immediate_transitions(
            events.charge_ids
        )
        return events

    def _plan_resume_in_group(self, member, resume_date):
        """The core's plan of this member's resume on ``resume_date``: its
        restart and its return to its group by the join rule."""
        self.ensure_one()
        group = self.group_id
        return plan_resume(
            member,
            resume_date,
            group._get_anchor(),
            self._get_grouping_rounding(),
            group._get_last_run_date(),
        )

    def _reprice_in_group(self, before, change_date):
        """New line prices of grouped subscriptions (rule 7).

        ``before`` maps each of them to its core Member before the change. New
        prices apply from the next service period; by the group's policy, the
        difference for ``[change_date, P)`` is billed on the next merged
        invoice, positive or negative.
        """
        rows = []
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
            rows.append(
                EventRow(
                    "price",
                    group,
                    sub.id,
                    change_date,
                    old.paid_through,
                    adjustment,
                    {
                        "price_before": float(sum(line.price for line in old.lines)),
                        "price_after": float(sum(line.price for line in new.lines)),
                    },
                )
            )
        events = self.env["sale.subscription.group.event"]._record(rows)
        events._log()
        return events

    def _write_grouping_values(self, rows):
        """Write ``(subscription, values)`` rows: one write per distinct values.

        How the module writes next invoice dates, and what changes with them
        (group, pause, refusal): all the subscriptions a plan moves to one
        date in one write.
        """
        batches = defaultdict(list)
        for sub, vals in rows:
            sub_id = sub.id if isinstance(sub, models.BaseModel) else sub
            batches[tuple(vals.items())].append(sub_id)
        for vals, ids in batches.items():
            self.browse(ids).write(dict(vals))
