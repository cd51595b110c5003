# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import date

import polib  # an Odoo 18 requirement

from odoo.tests import TransactionCase, tagged
from odoo.tools import file_path, format_date
from odoo.tools.translate import TranslationModuleReader

MODULE = "subscription_grouping_queue_job"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@tagged("post_install", "-at_install")
class TestDanish(TransactionCase):
    """Every user-facing term of the module is translated into Danish."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        po = polib.pofile(file_path(f"{MODULE}/i18n/da.po"))
        cls.danish = {
            entry.msgid: entry.msgstr
            for entry in po
            if not entry.obsolete and "fuzzy" not in entry.flags
        }

    def test_every_exported_term_has_a_danish_translation(self):
        terms = {
            source
            for *_head, source, _value, _comments in TranslationModuleReader(
                self.env.cr, [MODULE]
            )
        }
        self.assertTrue(terms)
        missing = sorted(term for term in terms if not self.danish.get(term))
        self.assertEqual(
            missing,
            [],
            "untranslated: run scripts/i18n-export MODULE, then translate i18n/da.po",
        )

    def test_translations_keep_every_placeholder(self):
        for source, translation in self.danish.items():
            with self.subTest(source=source):
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(translation)),
                    sorted(PLACEHOLDER.findall(source)),
                )

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
