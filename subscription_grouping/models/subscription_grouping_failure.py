# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a scheduled action does with a record it could not handle: a note in
its chatter and one open activity for a grouping manager, until it is done."""

from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError, ValidationError

from .sale_subscription_group import MANAGER_GROUP


class SubscriptionGroupingFailure(models.AbstractModel):
    _name = "subscription.grouping.failure"
    _description = "Subscription Grouping: Failures of Scheduled Actions"

    def _get_failure_text(self, error):
        """What a user reads of ``error``: the message of an error meant for
        users, else the exception's type and text."""
        if isinstance(error, UserError | ValidationError):
            return error.args[0]
        return f"{type(error).__name__}: {error}"

    def _notify_failure(self, activity_type_xmlid, what, message):
        """Log ``what`` failed and why in the chatter, and ask a grouping
        manager to look at it (one open activity of that type per record)."""
        self.ensure_one()
        self._message_log(body=Markup("<p>%s</p><p>%s</p>") % (what, message))
        activity_type = self.env.ref(activity_type_xmlid)
        if self.activity_ids.filtered(
            lambda activity: activity.activity_type_id == activity_type
        ):
            return
        user = self._get_failure_user()
        if user:
            self.activity_schedule(activity_type_xmlid, user_id=user.id, note=message)

    def _get_failure_user(self):
        """Who is asked to look at a failure: the customer's salesperson when
        a grouping manager, else the first manager of the record's company."""
        self.ensure_one()
        managers = self.env.ref(MANAGER_GROUP).users.filtered(
            lambda user: not user.share and self.company_id in user.company_ids
        )
        salesperson = self.partner_id.user_id
        if salesperson in managers:
            return salesperson
        return managers.sorted("id")[:1]

    def _close_failure_activities(self, activity_type_xmlid, feedback):
        """The failure is over: its activities are marked done."""
        self.activity_feedback([activity_type_xmlid], feedback=feedback)
