# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import TransactionCase, tagged
from odoo.tools import format_date

from odoo.addons.subscription_grouping.tests.test_i18n import DanishCatalogueMixin

MODULE = "subscription_grouping_queue_job"


@tagged("post_install", "-at_install")
class TestDanish(DanishCatalogueMixin, TransactionCase):
    """Every user-facing term of the module is translated into Danish."""

    module = MODULE

    def test_the_job_names_speak_danish(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["da_DK"])
        env = self.env(context=dict(self.env.context, lang="da_DK"))
        source = "Bill %(count)s subscription group(s) due by %(date)s"
        self.assertNotEqual(self.danish[source], source)
        self.assertEqual(
            env["sale.subscription.group"]
            .browse()
            ._get_bill_job_description(date(2026, 12, 1)),
            self.danish[source]
            % {"count": 0, "date": format_date(env, date(2026, 12, 1))},
        )
