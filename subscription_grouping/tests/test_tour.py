# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from fractions import Fraction

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import SubscriptionGroupingCase, d


@tagged("post_install", "-at_install")
class TestTour(SubscriptionGroupingCase, HttpCase):
    """Switching grouping on in the browser, as an admin does it.

    The dates are in a fixed month of the future, so that the preview shows
    the same plan whatever the day the test runs: with billing day 1, a next
    invoice date of 15 November 2030 moves to 1 December 2030 with a
    transition of 16 of November's 30 days.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the tour logs in as admin: work in the company of the fixtures, as
        # Odoo's own account tour does
        cls.env.ref("base.user_admin").write(
            {
                "company_id": cls.env.company.id,
                "company_ids": [Command.link(cls.env.company.id)],
            }
        )
        # no billing day: the tour chooses it before switching grouping on
        cls.tour_customer = cls._create_customer("Tour Customer")
        cls.mid_month = cls._create_subscription(
            cls.template_monthly, "2030-11-15", [100.0], partner=cls.tour_customer
        )
        cls.on_billing_day = cls._create_subscription(
            cls.template_monthly, "2030-12-01", [40.0], partner=cls.tour_customer
        )
        # known names for the tour to look for (the template has no code)
        cls.mid_month.code = "TOUR-MID"
        cls.on_billing_day.code = "TOUR-ALIGNED"

    def test_switch_on_preview_apply_and_members(self):
        self.assertEqual(self.mid_month.name, "TOUR-MID")
        self.start_tour(
            f"/odoo/res.partner/{self.tour_customer.id}",
            "subscription_grouping_switch_on",
            login="admin",
        )
        # the browser's requests wrote through their own environment
        self.env.invalidate_all()
        self.assertTrue(self.tour_customer.subscription_grouping)
        self.assertEqual(self.tour_customer.subscription_grouping_anchor_day, 1)
        group = self.tour_customer.subscription_group_ids
        self.assertEqual(len(group), 1)
        self.assertEqual(group.anchor_day, 1)
        self.assertEqual(group.next_run_date, d("2030-12-01"))
        self.assertEqual(group.subscription_ids, self.mid_month | self.on_billing_day)
        self.assertEqual(
            (self.mid_month | self.on_billing_day).mapped("recurring_next_date"),
            [d("2030-12-01"), d("2030-12-01")],
        )
        charge = group.charge_ids
        self.assertEqual(charge.subscription_id, self.mid_month)
        self.assertEqual(charge.kind, "transition")
        self.assertEqual(
            (charge.date_start, charge.date_end), (d("2030-11-15"), d("2030-11-30"))
        )
        self.assertEqual(
            Fraction(charge.ratio_numerator, charge.ratio_denominator),
            Fraction(16, 30),
        )
        self.assertEqual(charge.amount, 53.33)
        self.assertEqual(charge.state, "pending")

    def test_merged_invoice_lines(self):
        customer = self._create_customer(
            "Tour Billed", subscription_grouping_anchor_day=1
        )
        billed = self._create_subscription(
            self.template_monthly, "2030-12-01", [40.0], partner=customer
        )
        billed.code = "TOUR-BILL"
        customer.subscription_grouping = True
        self._cron("2030-12-01")
        invoice = self._invoices(customer)
        self.assertEqual(len(invoice), 1)
        # the label stored in the journal item keeps its two lines: the form
        # shows them, it does not change them
        label = "Hosting - TOUR-BILL\n12/01/2030 to 12/31/2030"
        self.assertEqual(
            invoice.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ).mapped("name"),
            [label],
        )
        self.start_tour(
            f"/odoo/account.move/{invoice.id}",
            "subscription_grouping_merged_invoice",
            login="admin",
        )
