# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import ast
import re
from datetime import date
from xml.etree import ElementTree

import polib  # an Odoo 18 requirement

from odoo.tests import TransactionCase, tagged
from odoo.tools import file_open, file_path
from odoo.tools.translate import TranslationModuleReader

from ..labels import format_label_date

MODULE = "subscription_grouping"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


class DanishCatalogueMixin:
    """``module``'s terms against its ``i18n/da.po``: every exported term is
    translated, with the same placeholders. Shared with the queue_job glue's
    tests; ``_excluded_records()`` names the records whose terms are not
    translated, ``min_terms`` how many terms the module has at least. Odoo
    runs inherited test methods only for ``allow_inherited_tests_method``."""

    module = None
    min_terms = 1
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        po = polib.pofile(file_path(f"{cls.module}/i18n/da.po"))
        cls.danish = {
            entry.msgid: entry.msgstr
            for entry in po
            if not entry.obsolete and "fuzzy" not in entry.flags
        }

    def _excluded_records(self):
        return set()

    def test_every_exported_term_has_a_danish_translation(self):
        excluded = self._excluded_records()
        terms = {
            source
            for _module, _type, _name, res_id, source, _value, _comments in (
                TranslationModuleReader(self.env.cr, [self.module])
            )
            if res_id not in excluded
        }
        self.assertGreaterEqual(len(terms), self.min_terms)
        missing = sorted(term for term in terms if not self.danish.get(term))
        self.assertEqual(
            missing,
            [],
            f"untranslated: run scripts/i18n-export {self.module}, then translate "
            "i18n/da.po",
        )

    def test_translations_keep_every_placeholder(self):
        for source, translation in self.danish.items():
            with self.subTest(source=source):
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(translation)),
                    sorted(PLACEHOLDER.findall(source)),
                )


@tagged("post_install", "-at_install")
class TestDanish(DanishCatalogueMixin, TransactionCase):
    """Every user-facing term of the module is translated into Danish."""

    module = MODULE
    min_terms = 251

    def _excluded_records(self):
        """Demo data is not translated: the names of its records."""
        with file_open(f"{MODULE}/__manifest__.py") as manifest:
            demo_files = ast.literal_eval(manifest.read()).get("demo", [])
        names = set()
        for path in demo_files:
            with file_open(f"{MODULE}/{path}") as demo:
                for record in ElementTree.parse(demo).iter("record"):
                    name = f"{MODULE}.{record.get('id')}"
                    # a product variant's template gets an external id of its own
                    names.update((name, f"{name}_product_template"))
        return names

    def test_the_screens_and_messages_speak_danish(self):
        self.env["res.lang"]._activate_lang("da_DK")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["da_DK"])
        env = self.env(context=dict(self.env.context, lang="da_DK"))
        Group = env["sale.subscription.group"]
        self.assertEqual(
            Group._fields["anchor_day"].get_description(env)["string"],
            self.danish["Billing Day"],
        )
        message = (
            "Only subscription grouping managers may switch grouping on or off, move "
            "subscriptions in or out of a group, or change a group."
        )
        self.assertEqual(env._(message), self.danish[message])
        self.assertNotEqual(env._(message), message)

    def test_dates_of_one_transaction_in_each_users_language(self):
        """The dates a run writes are formatted once per language and date,
        never in the language that asked first."""
        self.env["res.lang"]._activate_lang("da_DK")
        english = self.env(context=dict(self.env.context, lang="en_US"))
        danish = self.env(context=dict(self.env.context, lang="da_DK"))
        day = date(2026, 3, 5)
        self.assertEqual(format_label_date(english, day), "03/05/2026")
        self.assertEqual(format_label_date(danish, day), "05-03-2026")
        self.assertEqual(format_label_date(english, date(2026, 12, 31)), "12/31/2026")
        self.assertEqual(format_label_date(english, day), "03/05/2026")
