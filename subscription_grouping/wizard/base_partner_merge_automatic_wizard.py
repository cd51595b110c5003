# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.exceptions import UserError


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Merging customers moves their subscriptions and groups to the one kept:
    it must still have one group per invoice key, and all its running
    subscriptions grouped when its grouping is on."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        partners = self.env["res.partner"].browse(partner_ids).exists()
        self._check_subscription_groups_merge(partners)
        res = super()._merge(partner_ids, dst_partner, extra_checks)
        kept = partners.exists()
        if len(kept) == 1:
            kept._after_subscription_merge()
        return res

    def _check_subscription_groups_merge(self, partners):
        """Refuse a merge after which one customer would have two groups for
        the same invoices (two merged invoices on one date)."""
        # sudo: the groups of every company move with the partners; only their
        # keys and names are read
        groups = (
            self.env["sale.subscription.group"]
            .sudo()
            .search([("partner_id", "in", partners.ids)], order="id")
        )
        seen = {}
        for group in groups:
            first = seen.setdefault(group._get_key()[1:], group)
            if first.partner_id != group.partner_id:
                raise UserError(
                    self.env._(
                        "Merging these customers would give one customer two groups "
                        "billing the same invoices: %(first)s and %(second)s. Switch "
                        "grouping off for one of these customers, then merge them.",
                        first=first.display_name,
                        second=group.display_name,
                    )
                )
