# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        # "Reverse and create invoice" bills a merged invoice again on a new
        # draft: its credit note is then not a waiver of the periods
        return super(
            AccountMoveReversal,
            self.with_context(subscription_group_reissue=is_modify),
        ).reverse_moves(is_modify=is_modify)
