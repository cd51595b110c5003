# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Pause and resume (DESIGN, rule 6), on subscription_oca 19.0's fields and
methods: ``is_paused``, ``paused_until``, ``action_pause(paused_until)`` and
``action_resume(automatic)``.

A pause takes effect at the next invoice date, so no paid day is lost; the
paused days are never billed. A resume date, when one is given, is kept in
``paused_until`` and the scheduled action resumes the subscription that day.
A grouped member comes back on its group's billing day with a transition.
"""

import logging
from dataclasses import replace

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_date

from subscription_grouping_core import Refusal, restart_date

_logger = logging.getLogger(__name__)

RESUME_FAILED_ACTIVITY = "subscription_grouping.mail_activity_type_resume_failed"
RESUME_CRON = "subscription_grouping.ir_cron_resume_paused_subscriptions"


class SaleSubscription(models.Model):
    _name = "sale.subscription"
    _inherit = ["sale.subscription", "subscription.grouping.failure"]

    is_paused = fields.Boolean(
        string="Paused",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
        help="Not billed from its next invoice date on, until it is resumed by "
        "hand or on its resume date. The days already paid are still served.",
    )
    paused_until = fields.Date(
        string="Resume on",
        copy=False,
        readonly=True,
        tracking=True,
        help="The day the scheduled action resumes this paused subscription. "
        "Empty: it stays paused until someone resumes it.",
    )
    resume_failed_on = fields.Date(
        string="Resume Failed On",
        copy=False,
        readonly=True,
        help="The day the scheduled action last failed to resume this "
        "subscription: it is tried again the next day.",
    )

    # -- pause ----------------------------------------------------------------------
    def action_open_pause_wizard(self):
        """The pause dialog, which asks for an optional resume date."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pause"),
            "res_model": "sale.subscription.pause.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_subscription_ids": self.ids},
        }

    def action_pause(self, paused_until=None):
        """Stop billing from the next invoice date on, until resumed: by hand,
        or on ``paused_until`` by the scheduled action. Paid days are served."""
        paused_until = fields.Date.to_date(paused_until) if paused_until else False
        today = fields.Date.context_today(self)
        if paused_until and paused_until <= today:
            raise UserError(
                self.env._(
                    "The resume date must be after today (%(today)s): %(date)s is "
                    "not. Leave it empty to resume by hand.",
                    today=format_date(self.env, today),
                    date=format_date(self.env, paused_until),
                )
            )
        to_pause = self.filtered(lambda sub: not sub.is_paused)
        not_running = to_pause.filtered(lambda sub: not sub.in_progress)
        if not_running:
            raise UserError(
                self.env._(
                    "Only a subscription in progress can be paused: %(subscription)s.",
                    subscription=not_running[0].display_name,
                )
            )
        to_pause.write({"is_paused": True, "paused_until": paused_until})
        grouped = to_pause.filtered("group_id")
        if grouped:
            grouped._pause_in_group()
        for sub in to_pause - grouped:
            sub.message_post(body=sub._get_pause_message())
        return True

    def _get_pause_message(self):
        values = {
            "date": format_date(self.env, self.recurring_next_date),
            "until": format_date(self.env, self.paused_until),
        }
        if self.paused_until:
            return self.env._(
                "Paused until %(until)s: not billed from %(date)s on; resumed "
                "automatically on %(until)s.",
                **values,
            )
        return self.env._(
            "Paused: not billed from %(date)s on, until resumed.", **values
        )

    # -- resume ---------------------------------------------------------------------
    def action_open_resume_wizard(self):
        """The resume dialog: what resuming today bills, then Confirm."""
        return self.env["sale.subscription.resume.wizard"]._open(self)

    def action_resume(self, automatic=False):
        """Bill again from max(next invoice date, today) (DESIGN, rule 6).

        A member of a group joins it again by the join rule: a transition
        covers the days up to the group's next billing day. ``automatic``: by
        the scheduled action, on the resume date.
        """
        to_resume = self.filtered("is_paused")
        resume_date = fields.Date.context_today(self)
        grouped = to_resume.filtered("group_id")
        if grouped:
            grouped.check_access("write")
            # sudo: the resume plans from the group's invoices (the user's
            # record rules may hide some) and takes out a member that cannot
            # join any more (group_id: managers only); its transition is
            # billed with the user's own rights
            grouped.sudo()._resume_in_group(resume_date, automatic)
        for sub in to_resume - grouped:
            restart = restart_date(sub.recurring_next_date, resume_date)
            sub.write(
                {
                    "is_paused": False,
                    "paused_until": False,
                    "recurring_next_date": restart,
                }
            )
            sub.message_post(body=sub._get_resume_message(restart, automatic))
        to_resume._clear_resume_failure()
        # a paused subscription of a grouped customer joins when it resumes
        (to_resume - grouped)._get_joining_subscriptions()._join_subscription_group()
        return True

    def _get_resume_message(self, restart, automatic):
        date = format_date(self.env, restart)
        if automatic:
            return self.env._(
                "Resumed automatically on its resume date: billed again from "
                "%(date)s.",
                date=date,
            )
        return self.env._("Resumed: billed again from %(date)s.", date=date)

    def _get_resume_preview(self, resume_date):
        """What resuming the paused subscriptions of ``self`` on ``resume_date``
        would do, written nowhere: per subscription a dict with its
        ``restart`` date, its ``next_date``, the ``group`` it bills with
        after, its transition ``charge`` (a core Charge, or None), and the
        ``refusal`` that makes a member leave its group."""
        Group = self.env["sale.subscription.group"]
        previews = []
        for sub in self.filtered("is_paused"):
            member = sub._get_grouping_member()
            group = sub.group_id
            preview = {
                "subscription": sub,
                "restart": restart_date(member.paid_through, resume_date),
                "group": group,
                "charge": None,
                "refusal": None,
            }
            if group:
                resume = sub._plan_resume_in_group(member, resume_date)
                if isinstance(resume.join, Refusal):
                    preview.update(
                        group=Group, refusal=resume.join.reason.value, next_date=None
                    )
                else:
                    preview.update(
                        next_date=resume.join.new_date, charge=resume.join.charge
                    )
            else:
                preview["next_date"] = preview["restart"]
                if sub._get_joining_subscriptions(resumed=True):
                    rejoined = replace(
                        member, paid_through=preview["restart"], is_paused=False
                    )
                    entry = Group._plan_join({sub: rejoined})[0]
                    # joining a group still to be made: shown as billing alone
                    if entry.move and entry.group:
                        preview.update(
                            group=Group.browse(entry.group),
                            next_date=entry.move.new_date,
                            charge=entry.move.charge,
                        )
            previews.append(preview)
        return previews

    # -- the scheduled resume -------------------------------------------------------
    @api.model
    def _cron_resume_paused(self):
        """Resume one batch of the subscriptions whose resume date has come,
        each alone: one that fails is recorded and the others resume. A
        concurrent update, or a call that does not end, is tried again a few
        minutes on, not at the next day's run."""
        today = fields.Date.context_today(self)
        domain = self._get_resume_domain(today)
        return self.env.ref(RESUME_CRON)._run_module_call(
            self, domain, lambda: self._resume_batch(domain)
        )

    @api.model
    def _resume_batch(self, domain):
        """Resume one batch of the subscriptions of ``domain``; returns them."""
        subs = self.search(
            domain,
            limit=self.env["sale.subscription.group"]._get_bill_batch_size(),
            order="paused_until, id",
        )
        subs._resume_each()
        return subs

    @api.model
    def _get_resume_domain(self, today):
        """Paused subscriptions due to resume by ``today``, except those whose
        resume failed ``today``."""
        return [
            ("is_paused", "=", True),
            ("paused_until", "!=", False),
            ("paused_until", "<=", today),
            "|",
            ("resume_failed_on", "=", False),
            ("resume_failed_on", "<", today),
        ]

    def _resume_each(self):
        """Resume each subscription in its own company and savepoint; a failure
        is recorded on the subscription and the others go on."""
        for sub in self:
            try:
                with self.env.cr.savepoint():
                    sub.with_company(sub.company_id).action_resume(automatic=True)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            # whatever one resume raises (a transition billed at once on a
            # deprecated account, another module's constraint) must not stop
            # the others: it is kept on the subscription for its managers
            except Exception as error:  # noqa: BLE001
                sub._record_resume_failure(error)

    def _record_resume_failure(self, error):
        """Keep that the resume failed today, tell a grouping manager why."""
        self.ensure_one()
        message = self._get_failure_text(error)
        if isinstance(error, UserError | ValidationError):
            _logger.warning(
                "Resuming subscription %s failed: %s", self.display_name, message
            )
        else:
            _logger.exception("Resuming subscription %s failed", self.display_name)
        self.resume_failed_on = fields.Date.context_today(self)
        self._notify_failure(
            RESUME_FAILED_ACTIVITY,
            self.env._(
                "The subscription could not be resumed on its resume date "
                "%(date)s; the scheduled action tries again tomorrow.",
                date=format_date(self.env, self.paused_until),
            ),
            message,
        )

    def _clear_resume_failure(self):
        failed = self.filtered("resume_failed_on")
        if failed:
            failed.resume_failed_on = False
            failed._close_failure_activities(
                RESUME_FAILED_ACTIVITY, self.env._("Resumed.")
            )
