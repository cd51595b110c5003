# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A group's runs and the invoices it makes (DESIGN, rule 4).

One merged invoice per group and run date, built from the core's run plan:
a section per subscription, its full periods, then its charges; charges
billed on their own go on an invoice, or a credit note, of their own.
Everything accounting would refuse is refused before anything is written.
"""

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from subscription_grouping_core import plan_catch_up, plan_run

from ..labels import format_label_date
from ..locking import lock_free_rows
from .account_move import SEND_CRON

BILLING_GROUP = "account.group_account_invoice"


class SaleSubscriptionGroup(models.Model):
    _inherit = "sale.subscription.group"

    # -- runs -----------------------------------------------------------------
    @api.model
    def _get_run_domain(self, date_ref):
        """Groups with a run date due by ``date_ref``, and groups, archived
        ones too, holding charges that wait for the scheduled run."""
        return [
            "|",
            "&",
            ("active", "=", True),
            ("next_run_date", "<=", date_ref),
            ("charge_ids", "any", self._get_deferred_charge_domain()),
        ]

    @api.model
    def _get_deferred_charge_domain(self):
        return [("settle_by_run", "=", True), ("state", "=", "pending")]

    def _is_due(self, date_ref):
        """Whether a run on ``date_ref`` bills something of this group."""
        self.ensure_one()
        return bool(
            (self.next_run_date and self.next_run_date <= date_ref)
            or self._get_pending_charges().filtered("settle_by_run")
        )

    @api.model
    def _can_bill(self):
        """Whether the current user makes and posts customer invoices: billing
        users, and the scheduled runs (OdooBot, the superuser)."""
        return self.env.su or self.env.user.has_group(BILLING_GROUP)

    def _lock_for_run(self, skip_changed=True):
        """The groups of ``self`` that no other transaction is billing now,
        locked until commit (``skip_changed``: see ``lock_free_rows``)."""
        self.flush_model(["next_run_date"])
        return lock_free_rows(self, skip_changed=skip_changed)

    def _run(self, date_ref):
        """Bill every run date up to ``date_ref``: one invoice per group and date,
        each group in its own company (its accounts, taxes, journals and
        sequences), whatever company the caller works in."""
        locked = self.filtered(lambda group: group._is_due(date_ref))._lock_for_run()
        invoices = self.env["account.move"]
        for company, company_groups in locked.grouped("company_id").items():
            invoices |= company_groups._in_company(company)._run_in_company(date_ref)
        return invoices.with_env(self.env)

    def _in_company(self, company):
        """``self`` working in ``company``, the companies the caller works in
        still allowed: a record of another company that was set by mistake
        (a tax on a subscription line) is still seen, and refused, rather
        than left out of the invoice by the companies' record rules."""
        others = (self.env.companies - company).ids
        return self.with_context(allowed_company_ids=[company.id, *others])

    def _run_in_company(self, date_ref):
        invoices = self.env["account.move"]
        groups = self.filtered(
            lambda group: group.next_run_date and group.next_run_date <= date_ref
        )
        while groups:
            billed = groups._run_next(date_ref)
            invoices |= billed
            groups = billed.subscription_group_id.filtered(
                lambda group: group.next_run_date and group.next_run_date <= date_ref
            )
        # what a user without billing rights left for the run, and no merged
        # invoice took: on a document of its own
        deferred = self._get_pending_charges().filtered("settle_by_run")
        if deferred:
            if not self.sudo(False)._can_bill():
                # a scheduled action set to a user without billing rights: the
                # group fails for the day, rather than leave them waiting again
                raise AccessError(
                    self.env._(
                        "The bill run's user %(user)s has no billing rights "
                        "(Invoicing: Billing), so it cannot bill the charges "
                        "waiting for the scheduled run.",
                        user=self.env.user.name,
                    )
                )
            invoices |= deferred.group_id._invoice_charges(deferred)
        return invoices

    def _plan_next_run(self, date_ref=None):
        """The core's plan of the group's next run date; with the catch-up
        policy, of every run date due by ``date_ref``, on one invoice."""
        self.ensure_one()
        members = [sub._get_grouping_member() for sub in self._get_running_members()]
        pending = self._get_pending_charges()._to_core_charges()
        if date_ref and self.catch_up_policy == "one_invoice":
            return plan_catch_up(date_ref, self._get_anchor(), members, pending)
        return plan_run(self.next_run_date, self._get_anchor(), members, pending)

    def _run_next(self, date_ref=None):
        """One merged invoice per group, for each group's next run date (its
        missed ones too, by its catch-up policy)."""
        plans = {group: group._plan_next_run(date_ref) for group in self}
        plans = {group: plan for group, plan in plans.items() if plan}
        invoices = self._create_account_invoices(
            [group._prepare_run_invoice_vals(plan) for group, plan in plans.items()]
        )
        self.env["sale.subscription"]._write_grouping_values(
            (item.subscription, {"recurring_next_date": item.new_paid_through})
            for plan in plans.values()
            for item in plan.items
        )
        self._log_run(plans, invoices)
        Charge = self.env["sale.subscription.group.charge"]
        for group, plan in plans.items():
            if plan.refunds:
                # credits larger than the invoice: a credit note of their own
                invoices |= group._invoice_charges(
                    Charge._browse_core(plan.refunds), plan.dated
                )
        return invoices

    def _prepare_run_invoice_vals(self, plan):
        self.ensure_one()
        if not self.partner_id.active:
            raise UserError(
                self.env._(
                    "The customer %(customer)s of the group %(group)s is archived: "
                    "restore the customer to bill it, or close its subscriptions.",
                    customer=self.partner_id.display_name,
                    group=self.display_name,
                )
            )
        Sub = self.env["sale.subscription"]
        Charge = self.env["sale.subscription.group.charge"]
        periods = {item.subscription: item.periods for item in plan.items}
        charges = Charge._browse_core(plan.charges)
        subs = Sub.browse(periods) | charges.subscription_id
        vals = self._prepare_invoice_vals(plan.dated, subs, periods, charges)
        # a catch-up is recorded under the last run date it bills: no later
        # run may bill any of its run dates again (see account.move.init)
        vals["subscription_group_run_date"] = plan.run_date
        return vals

    def _prepare_invoice_vals(
        self, invoice_date, subscriptions, periods, charges, sign=1
    ):
        """A customer invoice of the group, a section per subscription; with
        ``sign`` -1, a credit note of ``charges`` that add up to a credit."""
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        vals = {
            "move_type": "out_invoice" if sign > 0 else "out_refund",
            "partner_id": partner.address_get(["invoice"])["invoice"],
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "fiscal_position_id": self.fiscal_position_id.id,
            "invoice_date": invoice_date,
            "invoice_payment_term_id": partner.property_payment_term_id.id,
            "invoice_origin": ", ".join(subscriptions.sorted("id").mapped("name")),
            "invoice_user_id": subscriptions[:1].user_id.id or self.env.user.id,
            "partner_bank_id": self.company_id.partner_id.bank_ids[:1].id,
            "subscription_group_id": self.id,
            "invoice_line_ids": [
                Command.create(line_vals)
                for line_vals in self._prepare_invoice_line_vals(
                    subscriptions, periods, charges, sign
                )
            ],
        }
        if not vals["invoice_payment_term_id"]:
            # without payment terms Odoo makes an invoice due today, which is
            # before the date of an invoice billed ahead: then on that date
            vals["invoice_date_due"] = max(
                invoice_date, fields.Date.context_today(self)
            )
        if self.journal_id:
            vals["journal_id"] = self.journal_id.id
        self._check_invoice_vals(vals)
        return vals

    def _check_invoice_vals(self, vals):
        """Refuse a document of the group that accounting would refuse, or book
        wrong, before anything is written: with what to fix, and where."""
        self.ensure_one()
        company = self.company_id
        default_account = None
        for _command, _id, line_vals in vals["invoice_line_ids"]:
            if line_vals.get("display_type"):
                continue
            account = self.env["account.account"].browse(line_vals.get("account_id"))
            if not account:
                if default_account is None:
                    journal = self._get_invoice_journal(vals)
                    default_account = self.fiscal_position_id.map_account(
                        journal.default_account_id
                    )
                account = default_account
            self._check_invoice_line_vals(line_vals, account, vals)
        currency = self.currency_id
        if currency != company.currency_id and not self.env[
            "res.currency.rate"
        ].search_count(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, company.root_id.id)),
            ],
            limit=1,
        ):
            raise UserError(
                self.env._(
                    "%(currency)s has no exchange rate in %(company)s, so the "
                    "invoice of the group %(group)s would be booked at 1 to 1. Add "
                    "a rate of %(currency)s, then bill again.",
                    currency=currency.name,
                    company=company.display_name,
                    group=self.display_name,
                )
            )
        if self.invoicing_mode == "draft":
            return  # a draft may be redated before it is posted
        # customer invoices and credit notes are in sale journals
        locks = company._get_lock_date_violations(
            vals["invoice_date"], sale=True, purchase=False, tax=False
        )
        if locks:
            raise UserError(
                self.env._(
                    "The invoice of the group %(group)s for %(date)s would be posted "
                    "in a locked period (%(locks)s). Unlock the period to bill it, or "
                    "ask an accountant how to bill it.",
                    group=self.display_name,
                    date=format_date(self.env, vals["invoice_date"]),
                    locks=self.env["res.company"]._format_lock_dates(locks),
                )
            )

    def _get_invoice_journal(self, vals):
        """The journal the document of ``vals`` gets: the group's, else the
        one Odoo picks for it."""
        keys = ("move_type", "company_id", "currency_id", "journal_id")
        return (
            self.env["account.move"]
            .with_company(self.company_id)
            .new({key: vals[key] for key in keys if key in vals})
            .journal_id
        )

    def _check_invoice_line_vals(self, line_vals, account, vals):
        """The income account (``account``, as Odoo will fill it) and the taxes
        of one invoice line of the group."""
        company = self.company_id
        if not account:
            raise UserError(
                self.env._(
                    "%(product)s on %(subscription)s has no income account, and "
                    "the journal %(journal)s no default account: set one on the "
                    "product, its category or the journal.",
                    journal=self._get_invoice_journal(vals).display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )
        if account.deprecated:
            raise UserError(
                self.env._(
                    "The income account %(account)s of %(product)s on "
                    "%(subscription)s is deprecated: set another one on the product "
                    "or its category.",
                    account=account.display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )
        tax_ids = [
            tax_id
            for command in line_vals.get("tax_ids", ())
            if command[0] == Command.SET
            for tax_id in command[2]
        ]
        foreign = (
            self.env["account.tax"]
            .browse(tax_ids)
            .filtered(lambda tax: tax.company_id not in company.parent_ids)
        )
        if foreign:
            raise UserError(
                self.env._(
                    "The taxes %(taxes)s of %(product)s on %(subscription)s belong "
                    "to another company than %(company)s: choose taxes of "
                    "%(company)s on the subscription line.",
                    taxes=", ".join(foreign.mapped("display_name")),
                    company=company.display_name,
                    **self._describe_invoice_line(line_vals),
                )
            )

    def _describe_invoice_line(self, line_vals):
        """The names a refusal of one invoice line gives."""
        product = self.env["product.product"].browse(line_vals.get("product_id"))
        return {
            "subscription": self.env["sale.subscription"]
            .browse(line_vals.get("subscription_id"))
            .display_name,
            "product": product.display_name or line_vals.get("name"),
        }

    def _prepare_invoice_line_vals(self, subscriptions, periods, charges, sign=1):
        """Per subscription: a section, its full periods, then its charges
        (``sign``: see :meth:`_prepare_invoice_vals`)."""
        lines = []
        for sub in subscriptions.sorted("id"):
            lines.append(
                {
                    "display_type": "line_section",
                    "name": sub._get_group_section_name(),
                    "subscription_id": sub.id,
                }
            )
            for period in periods.get(sub.id, ()):
                for sub_line in sub.sale_subscription_line_ids:
                    lines.append(sub_line._prepare_group_move_line(period))
            for charge in charges.filtered(
                lambda charge, sub=sub: charge.subscription_id == sub
            ):
                lines.append(charge._prepare_account_move_line(sign))
        return self._map_invoice_line_accounts(lines)

    def _map_invoice_line_accounts(self, lines):
        """The income accounts of ``lines`` as the group's fiscal position maps
        them, as on an invoice made by hand: subscription_oca hands over the
        product's own account, which Odoo would not map once it is given."""
        fiscal_position = self.fiscal_position_id
        if not fiscal_position:
            return lines
        Account = self.env["account.account"]
        for line in lines:
            if line.get("account_id"):
                line["account_id"] = fiscal_position.map_account(
                    Account.browse(line["account_id"])
                ).id
        return lines

    @api.model
    def _create_account_invoices(self, vals_list):
        """Create the group's invoices of ``vals_list`` in one batch, then post
        them and queue their sending, by each group's invoicing mode: the
        sending action is called once this transaction commits."""
        # No creation message, tracking or follower subscription per invoice
        # (the group's chatter links each one): a third of the queries of a
        # run. Posting and sending then run in the caller's context.
        # Each invoice's journal items computed once, not re-synchronised line
        # by line: that sync was most of a run.
        # An invoice is made and posted with the rights of the user who bills,
        # never under the module's sudo (which writes only the group's history
        # and state): Odoo lets only billing users post.
        # The unique index on (group, run date) reads the database: an
        # invoice cancelled in this transaction must be cancelled there too.
        self.env["account.move"].flush_model(["state"])
        invoices = (
            self.env["account.move"]
            .sudo(False)
            .with_context(default_move_type="out_invoice", tracking_disable=True)
            ._create_with_precomputed_lines(vals_list)
            .with_env(self.sudo(False).env)
        )
        to_post = invoices.filtered(
            lambda move: move.subscription_group_id.invoicing_mode != "draft"
        )
        to_post.action_post()
        to_send = to_post.filtered(
            lambda move: move.subscription_group_id.invoicing_mode == "invoice_send"
        )
        if to_send:
            to_send.subscription_group_send_state = "to_send"
            # mailed right after the bill run, not up to an hour later
            self.env.ref(SEND_CRON)._trigger()
        return invoices

    def _log_run(self, plans, invoices):
        group_bodies, member_bodies = {}, {}
        for (group, plan), invoice in zip(plans.items(), invoices, strict=True):
            link = invoice._get_html_link()
            if plan.missed:
                group_bodies[group.id] = self.env._(
                    "Merged invoice %(invoice)s of %(date)s for %(count)s missed run "
                    "dates, %(dates)s: %(members)s subscription(s) billed.",
                    invoice=link,
                    date=format_label_date(self.env, plan.dated),
                    count=len(plan.run_dates),
                    dates=", ".join(
                        format_label_date(self.env, run_date)
                        for run_date in plan.run_dates
                    ),
                    members=len(plan.items),
                )
            else:
                group_bodies[group.id] = self.env._(
                    "Merged invoice %(invoice)s for %(date)s: "
                    "%(count)s subscription(s) billed.",
                    invoice=link,
                    date=format_label_date(self.env, plan.run_date),
                    count=len(plan.items),
                )
            for item in plan.items:
                member_bodies[item.subscription] = self.env._(
                    "Billed with group %(group)s on %(invoice)s, %(start)s to %(end)s.",
                    group=group.display_name,
                    invoice=link,
                    start=format_label_date(self.env, item.periods[0].start),
                    end=format_label_date(self.env, item.periods[-1].last_day),
                )
        self.browse(group_bodies)._message_log_batch(group_bodies)
        self.env["sale.subscription"].browse(member_bodies)._message_log_batch(
            member_bodies
        )

    def _invoice_charges(self, charges, invoice_date=None):
        """Bill ``charges`` now, on a document of its own per group: an invoice,
        or a credit note when they add up to a credit; each in its group's
        company.

        Only a user with billing rights makes it: for any other user the
        charges wait, marked, for the next scheduled run (see :meth:`_run`).
        """
        # the user's own rights decide, also when called from the module's sudo
        if not self.sudo(False)._can_bill():
            return self._defer_charges(charges)
        invoices = self.env["account.move"]
        for company, groups in self.grouped("company_id").items():
            invoices |= groups._in_company(company)._invoice_charges_in_company(
                charges, invoice_date
            )
        return invoices.with_env(self.env)

    def _invoice_charges_in_company(self, charges, invoice_date):
        # the charges' lines read their accounts in this company too
        charges = charges.with_env(self.env)
        today = invoice_date or fields.Date.context_today(self)
        vals_list = []
        for group in self:
            group_charges = charges.filtered(
                lambda charge, group=group: charge.group_id == group
            )
            total = sum(group_charges.mapped("amount"))
            sign = -1 if group.currency_id.compare_amounts(total, 0.0) < 0 else 1
            vals_list.append(
                group._prepare_invoice_vals(
                    today, group_charges.subscription_id, {}, group_charges, sign
                )
            )
        return self._create_account_invoices(vals_list)

    def _settle_when_idle(self):
        """Bill the pending charges of groups no merged invoice will come for."""
        pending = self.filtered(
            lambda group: not group.next_run_date
        )._get_pending_charges()
        if pending:
            pending.group_id._invoice_charges(pending)

    def _defer_charges(self, charges):
        """Leave ``charges`` to the next scheduled run, and say so on each group."""
        # sudo: charges are read-only history; the mark is the module's own
        charges.sudo().settle_by_run = True
        bodies = {}
        for group in self:
            group_charges = charges.filtered(
                lambda charge, group=group: charge.group_id == group
            )
            bodies[group.id] = self.env._(
                "%(amount)s to bill at once waits for the next scheduled run: "
                "%(user)s has no billing rights.",
                amount=group.currency_id.format(sum(group_charges.mapped("amount"))),
                user=self.env.user.name,
            )
        self._message_log_batch(bodies)
        return self.env["account.move"]
