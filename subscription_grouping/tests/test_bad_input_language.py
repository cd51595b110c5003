# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bad-input matrix (see bad_input_common): refusals in the user's
language.
"""

from odoo.tests import tagged

from .bad_input_common import BadInputCase

# the group's name, in the reader's language
GROUP = "Grouping Customer, USD, dag 1"


@tagged("post_install", "-at_install")
class TestBadInputDanish(BadInputCase):
    """Each answer is a translated term: a Danish user reads it in Danish."""

    def test_refusals_speak_the_users_language(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms(
            ["subscription_grouping"], ["da_DK"]
        )
        danish = self.env(context=dict(self.env.context, lang="da_DK"))
        subscription = self._subscription("2026-12-01", [100.0], self.template_posted)
        closed = self._subscription("2026-12-01", [10.0], code="SUB-CLOSED")
        closed.close_subscription()
        self.customer.subscription_grouping = True
        group = subscription.group_id
        other = self._create_customer("Other Customer")
        self.assertRefused(
            lambda: subscription.with_env(danish).write({"partner_id": other.id}),
            "SUB-2026-12-01 faktureres sammen med gruppen " + GROUP + ": dets kunde, "
            "virksomhed, valuta, skatteposition, journal og faktureringsmåde skal "
            "forblive gruppens. Fjern det først fra gruppen.",
        )
        self.assertRefusedBeforeWriting(
            closed.with_env(danish).action_add_to_group,
            "SUB-CLOSED er ikke igangværende: kun et igangværende abonnement kan "
            "tilslutte sig en gruppe.",
        )
        self.assertRefused(
            lambda: self.customer.with_env(danish).write(
                {"subscription_grouping_anchor_day": 32}
            ),
            "Faktureringsdagen for gruppering for Grouping Customer skal være en dag "
            "i måneden, fra 1 til 31 (29 til 31 falder på den sidste dag i kortere "
            "måneder), eller tom; ikke 32.",
        )
        self.customer.active = False
        self.assertRefusedBeforeWriting(
            group.with_env(danish).action_run_now,
            "Kunden Grouping Customer i gruppen " + GROUP + " er arkiveret: gendan "
            "kunden for at fakturere den, eller luk dens abonnementer.",
        )
