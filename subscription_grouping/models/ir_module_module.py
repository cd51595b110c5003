# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.exceptions import UserError

MODULE = "subscription_grouping"
# how many records a refusal names before "..."
NAMED = 5


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def button_uninstall(self):
        if MODULE in (self | self.downstream_dependencies()).mapped("name"):
            self._check_subscription_grouping_uninstall()
        return super().button_uninstall()

    def _check_subscription_grouping_uninstall(self):
        """Refuse to remove the module while it holds what nothing would bill
        without it, with what to do first: pending charges (never billed once
        the groups are gone) and paused subscriptions (subscription_oca would
        bill their paused days)."""
        # the whole database, whatever companies the administrator selected
        Charge = self.env["sale.subscription.group.charge"].sudo()
        charges = Charge.search([("state", "=", "pending")])
        # the same for subscriptions
        Subscription = self.env["sale.subscription"].sudo()
        paused = Subscription.search([("is_paused", "=", True)], order="id")
        if not charges and not paused:
            return
        problems = []
        if charges:
            groups = charges.group_id.sorted("id")
            problems.append(
                self.env._(
                    "%(count)s group(s) hold charges not billed yet (%(names)s): "
                    "switch grouping off for these customers, which bills the "
                    "charges on invoices of their own.",
                    count=len(groups),
                    names=self._name_a_few(groups.partner_id),
                )
            )
        if paused:
            problems.append(
                self.env._(
                    "%(count)s subscription(s) are paused (%(names)s): resume or "
                    "close them, or subscription_oca would bill their paused days.",
                    count=len(paused),
                    names=self._name_a_few(paused),
                )
            )
        raise UserError(
            self.env._(
                "Subscription Grouping cannot be uninstalled yet, or some days "
                "would never be billed and others billed twice:\n%(problems)s",
                problems="\n".join(f"- {problem}" for problem in problems),
            )
        )

    def _name_a_few(self, records):
        names = records[:NAMED].mapped("display_name")
        if len(records) > NAMED:
            names.append("...")
        return ", ".join(names)
