# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

    # Grouping is internal: portal users see their invoices, not the groups
    # that made them, nor a failed send's error.
    subscription_group_id = fields.Many2one(
        comodel_name="sale.subscription.group",
        string="Subscription Group",
        index="btree_not_null",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    subscription_group_run_date = fields.Date(
        string="Group Run Date",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="The run date this merged invoice bills: a group has at most one "
        "invoice per run date.",
    )
    subscription_group_send_state = fields.Selection(
        selection=[
            ("to_send", "To send"),
            ("sent", "Sent"),
            ("failed", "Sending failed"),
        ],
        string="Group Sending",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="Sending is tried after billing, and retried by the scheduled "
        "action when it fails: a failed send never bills twice.",
    )
    subscription_group_send_error = fields.Text(
        string="Group Sending Error",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    subscription_group_send_failed_on = fields.Date(
        string="Group Sending Failed On",
        copy=False,
        readonly=True,
        help="The day sending last failed: it is tried again on a later day.",
    )

    def init(self):
        res = super().init()
        # One date, one invoice (DESIGN): the database refuses a second merged
        # invoice of a group for a run date, whatever runs at once.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s "
                "(subscription_group_id, subscription_group_run_date) "
                "WHERE subscription_group_run_date IS NOT NULL AND state != 'cancel'",
                SQL.identifier("account_move_subscription_group_run_date_uniq"),
                SQL.identifier(self._table),
            )
        )
        return res

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # the credit note of a merged invoice belongs to its group
        default_values_list = default_values_list or [{} for _move in self]
        for move, default_values in zip(self, default_values_list, strict=True):
            if move.subscription_group_id:
                default_values.setdefault(
                    "subscription_group_id", move.subscription_group_id.id
                )
        return super()._reverse_moves(default_values_list, cancel)

    @api.model
    def _cron_send_subscription_group_invoices(self, limit=50):
        """Scheduled action: send one batch of merged invoices by email.

        Invoices whose sending failed are tried again on a later day, not in
        the same run: the cron runner calls again while invoices are left.
        """
        today = fields.Date.context_today(self)
        domain = [
            "|",
            ("subscription_group_send_state", "=", "to_send"),
            "&",
            ("subscription_group_send_state", "=", "failed"),
            "|",
            ("subscription_group_send_failed_on", "=", False),
            ("subscription_group_send_failed_on", "<", today),
        ]
        moves = self.search(domain, limit=limit, order="id")
        moves._send_subscription_group_invoices()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(moves), remaining=remaining)
        if moves and remaining:
            self.env.ref(
                "subscription_grouping.ir_cron_send_subscription_group_invoices"
            )._trigger()
        return moves

    def _send_subscription_group_invoices(self):
        """Send each merged invoice by email, recording failures for a retry.

        Billing is already written when this runs: a send that fails (no PDF
        renderer, no mail server, ...) leaves the invoice posted and the
        members' dates advanced, and is tried again by the next run.
        """
        sender = self.env["account.move.send"]
        failed_on = fields.Date.context_today(self)
        sent = self.browse()
        for move in self:
            settings = {"sending_methods": ["email"]}
            template = move.subscription_group_id.invoice_mail_template_id
            if template:
                settings["mail_template"] = template
            try:
                with self.env.cr.savepoint():
                    sender._generate_and_send_invoices(
                        move, allow_raising=True, **settings
                    )
            # Whatever breaks the rendering or the mailing must not undo the
            # billing around it: the error is kept on the invoice and retried.
            except Exception as error:
                _logger.warning(
                    "Sending merged invoice %s failed: %s", move.name, error
                )
                move.write(
                    {
                        "subscription_group_send_state": "failed",
                        "subscription_group_send_error": str(error),
                        "subscription_group_send_failed_on": failed_on,
                    }
                )
            else:
                sent |= move
        sent.write(
            {
                "subscription_group_send_state": "sent",
                "subscription_group_send_error": False,
                "subscription_group_send_failed_on": False,
            }
        )
