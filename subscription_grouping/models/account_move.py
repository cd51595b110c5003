# Copyright 2026 subscription_grouping contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import functools
import logging
import subprocess
import time

from odoo import Command, api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, format_date

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

from ..locking import lock_free_rows

_logger = logging.getLogger(__name__)

SEND_CRON = "subscription_grouping.ir_cron_send_subscription_group_invoices"
SEND_BATCH_SIZE_PARAM = "subscription_grouping.send_batch_size"
# invoices rendered in one wkhtmltopdf call and mailed in one transaction
DEFAULT_SEND_BATCH_SIZE = 10


@functools.cache
def wkhtmltopdf_marks_documents():
    """Whether this server's wkhtmltopdf writes the outlines by which Odoo
    splits one PDF of several invoices: only builds with patched Qt do. With
    another build, Odoo refuses a batch whose invoices run over a page, after
    rendering it: each invoice is better rendered alone from the start."""
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"],
            capture_output=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return b"patched qt" in version.lower()


# Product line fields the fast path reads from the values, never computes:
# a line missing one of them is left to Odoo's computes (standard path).
FAST_LINE_FIELDS = (
    "account_id",
    "tax_ids",
    "price_unit",
    "quantity",
    "analytic_distribution",
)
# Line values the standard path would overwrite or recompute after creation.
SYNCED_LINE_FIELDS = (
    "partner_id",
    "currency_id",
    "balance",
    "amount_currency",
    "debit",
    "credit",
    "tax_tag_ids",
    "tax_repartition_line_id",
)
# Invoice values that feed or replace the sync: left to the standard path
# (and a given due date beside payment terms, which compute it).
SYNCED_MOVE_FIELDS = ("line_ids", "tax_totals")
# Tax computations the fast path is proven on: taxes with python code
# (account_tax_python) or cash basis exigibility take the standard path.
FAST_TAX_AMOUNT_TYPES = ("percent", "division", "fixed")


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
    subscription_group_missed_runs = fields.Char(
        string="Missed Runs Billed",
        compute="_compute_subscription_group_missed_runs",
        groups="base.group_user",
        help="The earlier run dates a merged invoice bills with its own, by its "
        "group's catch-up policy: each line keeps its own service period.",
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

    @api.depends(
        "subscription_group_run_date",
        "invoice_line_ids.start_date",
        "invoice_line_ids.subscription_group_charge_id",
    )
    def _compute_subscription_group_missed_runs(self):
        for move in self:
            missed = move._get_group_run_dates()[:-1]
            move.subscription_group_missed_runs = (
                ", ".join(format_date(self.env, run_date) for run_date in missed)
                or False
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

    @api.model
    def _cron_send_subscription_group_invoices(self):
        """Scheduled action: send batches of merged invoices by email for a
        few seconds, and return the invoices taken.

        Rendering PDFs is slow (a second or two each): a call takes batches
        of ``subscription_grouping.send_batch_size`` invoices, each rendered
        and mailed together, until ``subscription_grouping.bill_call_seconds``
        are spent, so that a call stays far inside the cron worker's time
        limit and a killed one loses little. The runner commits after each
        call and calls again while invoices are left. Invoices whose sending
        failed are tried again on a later day, not in the same run. As the
        bill run, a call never raises a concurrent update into the runner,
        which would give the action up to its next interval: it is tried
        again a few minutes on, as is a call that does not end.
        """
        domain = self._get_subscription_group_send_domain()
        return self.env.ref(SEND_CRON)._run_module_call(
            self, domain, lambda: self._cron_send_step(domain)
        )

    @api.model
    def _cron_send_step(self, domain):
        """Send the batches of invoices of ``domain`` of one call, and return
        the invoices taken."""
        batch_size = self._get_send_batch_size()
        deadline = (
            time.monotonic()
            + self.env["sale.subscription.group"]._get_bill_call_seconds()
        )
        taken = self.browse()
        while True:
            # two runs at once (a second worker, a manual call) send each
            # invoice once: the one that locks it
            moves = lock_free_rows(
                self.search(
                    domain + [("id", "not in", taken.ids)], limit=batch_size, order="id"
                )
            )
            moves._send_subscription_group_invoices()
            taken |= moves
            if not moves or time.monotonic() >= deadline:
                return taken

    @api.model
    def _get_subscription_group_send_domain(self):
        """The merged invoices the send action takes: by default every one
        still to send (see :meth:`_get_subscription_group_to_send_domain`)."""
        return self._get_subscription_group_to_send_domain()

    @api.model
    def _get_subscription_group_to_send_domain(self):
        """The merged invoices still to send: those to send, and those whose
        sending failed on an earlier day."""
        today = fields.Date.context_today(self)
        return [
            # a cancelled invoice (its run put back) is not sent
            ("state", "=", "posted"),
            "|",
            ("subscription_group_send_state", "=", "to_send"),
            "&",
            ("subscription_group_send_state", "=", "failed"),
            "|",
            ("subscription_group_send_failed_on", "=", False),
            ("subscription_group_send_failed_on", "<", today),
        ]

    @api.model
    def _get_send_batch_size(self):
        """Invoices rendered and mailed together (system parameter
        subscription_grouping.send_batch_size)."""
        return self.env["sale.subscription.group"]._get_bill_setting(
            SEND_BATCH_SIZE_PARAM, DEFAULT_SEND_BATCH_SIZE, 1
        )

    def _send_subscription_group_invoices(self):
        """Send each merged invoice by email, recording failures for a retry.

        Billing is already written when this runs: a send that fails (no PDF
        renderer, no mail server, ...) leaves the invoice posted and the
        members' dates advanced, and is tried again by the next run. The
        invoices of one company and mail template are rendered and mailed
        together (one wkhtmltopdf call for all their PDFs) where wkhtmltopdf
        can mark each one in the PDF; when that fails, or where it cannot,
        each one is sent alone, so that only a failing invoice waits.
        """
        failed_on = fields.Date.context_today(self)
        sent = self.browse()
        together = self._can_render_invoices_together()
        batches = self.grouped(
            lambda move: (
                move.company_id,
                move.subscription_group_id.invoice_mail_template_id,
            )
        )
        for moves in batches.values():
            if (
                together
                and len(moves) > 1
                and not moves._try_send_subscription_group_invoices()
            ):
                sent |= moves
                continue
            for move in moves:
                error = move._try_send_subscription_group_invoices()
                if not error:
                    sent |= move
                    continue
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
        sent.write(
            {
                "subscription_group_send_state": "sent",
                "subscription_group_send_error": False,
                "subscription_group_send_failed_on": False,
            }
        )

    @api.model
    def _can_render_invoices_together(self):
        """Whether several invoices' PDFs may be rendered in one wkhtmltopdf
        call (see :func:`wkhtmltopdf_marks_documents`)."""
        return wkhtmltopdf_marks_documents()

    def _try_send_subscription_group_invoices(self):
        """Render and mail these invoices of one company and mail template in
        a savepoint: None when sent, else the error (nothing of it kept)."""
        company = self.company_id
        settings = {"sending_methods": ["email"]}
        template = self.subscription_group_id.invoice_mail_template_id
        if template:
            settings["mail_template"] = template
        try:
            with self.env.cr.savepoint():
                # rendered and mailed in the invoices' company, whatever
                # company the run works in
                self.env["account.move.send"].with_company(
                    company
                )._generate_and_send_invoices(
                    self.with_company(company), allow_raising=True, **settings
                )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # another transaction changed the same rows: no failure of the
            # sending; the caller's transaction is retried as a whole
            raise
        # Whatever breaks the rendering or the mailing must not undo the
        # billing around it: the error is kept on the invoice and retried.
        except Exception as error:  # noqa: BLE001
            return error
        return None

    # -- creation with precomputed journal items --------------------------------
    # account.move.create creates the invoice lines, then re-synchronises the
    # move: it computes the tax lines, writes every product line's amounts back
    # one by one, computes the receivable lines, and compares all of it before
    # and after: most of a billing run. The fast path computes, per invoice and
    # before anything is written, the journal items the standard path ends
    # with, with the same Odoo helpers (account.tax base lines, tax details,
    # rounding, tax lines; the payment term's _compute_terms), and creates the
    # move with them, the sync skipped. An invoice takes it only when
    # _get_fast_create_blocker and _get_fast_lines_blocker find nothing it
    # cannot reproduce exactly; any other one is created the standard way.

    @api.model
    def _create_with_precomputed_lines(self, vals_list):
        """Create invoices like :meth:`create`, each one with its journal items
        computed once when it can be; the moves come in the order of
        ``vals_list``."""
        fast, standard = {}, {}
        for index, vals in enumerate(vals_list):
            header = self._new_fast_create_header(vals)
            blocker = header._get_fast_create_blocker(vals)
            if not blocker:
                lines = self._get_fast_product_lines(vals)
                blocker = header._get_fast_lines_blocker(lines)
            if blocker:
                _logger.debug("Invoice %s takes the standard path: %s", index, blocker)
                standard[index] = vals
            else:
                fast[index] = header._prepare_fast_create_vals(vals, lines)
        moves = {}
        if fast:
            # Every amount is given: nothing left for the move's sync nor the
            # lines' (Odoo's point of sale creates its entries the same way).
            created = self.with_context(
                skip_invoice_sync=True, skip_invoice_line_sync=True
            ).create(list(fast.values()))
            moves.update(zip(fast, created.with_env(self.env), strict=True))
        # One at a time: Odoo 18's batch create gives the invoices that follow
        # one without payment terms that one's due date, not their own.
        for index, standard_vals in standard.items():
            moves[index] = self.create(standard_vals)
        return self.union(*(moves[index] for index in range(len(vals_list))))

    @api.model
    def _new_fast_create_header(self, vals):
        """The invoice of ``vals`` in memory, without its lines: its computed
        fields (currency rate, sign, due date) and defaults are create's."""
        header_vals = {
            fname: value
            for fname, value in vals.items()
            if fname not in ("invoice_line_ids", "line_ids")
        }
        missing = [
            fname
            for fname in ("move_type", "invoice_cash_rounding_id")
            if fname not in header_vals
        ]
        return self.new({**self.default_get(missing), **header_vals})

    def _get_fast_create_blocker(self, vals):
        """Why this invoice (``self``: its header, see
        :meth:`_new_fast_create_header`) must take the standard path, or
        ``None``. The reasons are codes for logs and tests, never shown."""
        self.ensure_one()
        if self.move_type not in ("out_invoice", "out_refund"):
            return "move_type"
        if any(fname in vals for fname in SYNCED_MOVE_FIELDS) or (
            "invoice_date_due" in vals and self.invoice_payment_term_id
        ):
            return "synced_move_fields"
        if self.invoice_cash_rounding_id:
            return "cash_rounding"
        if self.invoice_payment_term_id.early_discount:
            return "early_payment_discount"
        # the exact test the taxes computation makes before dividing by it
        if not self.invoice_currency_rate:
            return "currency_rate"
        commands = vals.get("invoice_line_ids", [])
        if any(command[0] != Command.CREATE for command in commands):
            return "line_commands"
        for _command, _id, line_vals in commands:
            display_type = line_vals.get("display_type") or "product"
            if display_type in ("line_section", "line_note"):
                continue
            if display_type != "product":
                return "dynamic_lines"
            if (
                any(fname not in line_vals for fname in FAST_LINE_FIELDS)
                or any(fname in line_vals for fname in SYNCED_LINE_FIELDS)
                or (line_vals.get("product_id") and "product_uom_id" not in line_vals)
            ):
                return "line_fields"
        return None

    def _get_fast_lines_blocker(self, lines):
        """Like :meth:`_get_fast_create_blocker`, on the product lines (see
        :meth:`_get_fast_product_lines`)."""
        self.ensure_one()
        if lines.account_id.filtered(
            lambda account: account.account_type
            in ("asset_receivable", "liability_payable")
        ):
            return "line_account"
        if self._get_discount_allocation_account() and any(lines.mapped("discount")):
            return "discount_allocation"
        if any(
            tax.amount_type not in FAST_TAX_AMOUNT_TYPES
            or tax.tax_exigibility != "on_invoice"
            for tax in lines.tax_ids.flatten_taxes_hierarchy()
        ):
            return "taxes"
        return None

    @api.model
    def _get_fast_product_lines(self, vals):
        """The product lines of ``vals`` as new (in-memory) records holding the
        given values only, converted as create stores them (records, numbers
        rounded to their digits), in their order."""
        Line = self.env["account.move.line"]
        fnames = (*FAST_LINE_FIELDS, "product_id", "product_uom_id", "discount")
        return Line.union(
            *(
                Line.new(
                    {fname: line_vals[fname] for fname in fnames if fname in line_vals}
                )
                for _command, _id, line_vals in vals.get("invoice_line_ids", [])
                if (line_vals.get("display_type") or "product") == "product"
            )
        )

    def _prepare_fast_create_vals(self, vals, lines):
        """``vals`` with every journal item the standard create would end with:
        the product lines with their amounts and tax tags, the tax lines, the
        receivable lines."""
        self.ensure_one()
        base_lines = [self._prepare_fast_base_line(line) for line in lines]
        tax_results = self._compute_fast_tax_results(base_lines)
        product_amounts = [
            amounts for _base_line, amounts in tax_results["base_lines_to_update"]
        ]
        tax_lines = [
            {**tax_line_vals, "display_type": "tax"}
            for tax_line_vals in tax_results["tax_lines_to_add"]
        ]
        line_commands = []
        next_amounts = iter(product_amounts)
        for _command, _id, line_vals in vals.get("invoice_line_ids", []):
            if (line_vals.get("display_type") or "product") == "product":
                line_vals = {**line_vals, **next(next_amounts)}
            line_commands.append(Command.create(line_vals))
        # as _compute_needed_terms: no receivable line for an invoice without lines
        term_lines = (
            self._prepare_fast_payment_term_lines(
                self._get_fast_amounts(product_amounts, tax_lines)
            )
            if line_commands
            else []
        )
        line_commands += [Command.create(line) for line in tax_lines + term_lines]
        fast_vals = {
            fname: value for fname, value in vals.items() if fname != "invoice_line_ids"
        }
        fast_vals.update(
            line_ids=line_commands,
            # the rate the amounts were computed with, which create computes too
            invoice_currency_rate=self.invoice_currency_rate,
            # the due date of the receivable lines, given: create computes it
            # later, in a batch before they exist (then it is today's date)
            invoice_date_due=max(
                (line["date_maturity"] for line in term_lines),
                default=self.invoice_date_due,
            ),
        )
        return fast_vals

    def _prepare_fast_base_line(self, line):
        """The tax computation's base line of a product ``line`` (a new record
        of :meth:`_get_fast_product_lines`), as
        ``_prepare_product_base_line_for_taxes_computation`` makes it from the
        created line: the values it reads from the line's computed fields
        (``_compute_currency_id``, ``_compute_partner_id``,
        ``_compute_is_refund``, ``_compute_tax_tag_invert``) are given, since
        a line of a customer invoice computes them from its invoice alone."""
        self.ensure_one()
        return self.env["account.tax"]._prepare_base_line_for_taxes_computation(
            line,
            price_unit=line.price_unit,
            quantity=line.quantity,
            discount=line.discount,
            rate=self.invoice_currency_rate,
            sign=self.direction_sign,
            special_mode=False,
            product_uom_id=line.product_uom_id if line.product_id else False,
            currency_id=self.currency_id,
            partner_id=self.commercial_partner_id,
            is_refund=self.move_type == "out_refund",
            tax_tag_invert=bool(line.tax_ids) and self.is_inbound(),
        )

    def _compute_fast_tax_results(self, base_lines):
        """What ``_sync_tax_lines`` computes for a new invoice: the amounts and
        tax tags of its product lines, and its tax lines."""
        self.ensure_one()
        AccountTax = self.env["account.tax"]
        company = self.company_id
        AccountTax._add_tax_details_in_base_lines(base_lines, company)
        AccountTax._round_base_lines_tax_details(base_lines, company)
        AccountTax._add_accounting_data_in_base_lines_tax_details(
            base_lines, company, include_caba_tags=self.always_tax_exigible
        )
        return AccountTax._prepare_tax_lines(base_lines, company)

    def _get_fast_amounts(self, product_amounts, tax_lines):
        """The totals ``_compute_amount`` stores for the invoice once its lines
        exist: each line's amounts as stored (rounded), the totals rounded as
        the monetary fields round them."""
        self.ensure_one()
        currency = self.currency_id
        company_currency = self.company_id.currency_id
        sign = self.direction_sign

        def total(lines, fname, line_currency):
            return sum(line_currency.round(line[fname]) for line in lines)

        untaxed_currency = total(product_amounts, "amount_currency", currency)
        tax_currency = total(tax_lines, "amount_currency", currency)
        untaxed = total(product_amounts, "balance", company_currency)
        tax = total(tax_lines, "balance", company_currency)
        amount_total = currency.round(sign * (untaxed_currency + tax_currency))
        return {
            "amount_untaxed": currency.round(sign * untaxed_currency),
            "amount_tax": currency.round(sign * tax_currency),
            "amount_total": amount_total,
            "amount_untaxed_signed": company_currency.round(-untaxed),
            "amount_tax_signed": company_currency.round(-tax),
            "amount_total_signed": company_currency.round(-(untaxed + tax)),
            "amount_total_in_currency_signed": -(sign * amount_total),
        }

    def _prepare_fast_payment_term_lines(self, amounts):
        """The receivable lines of the invoice, as ``_compute_needed_terms``
        makes them from its stored totals ``amounts`` (see
        :meth:`_get_fast_amounts`)."""
        self.ensure_one()
        if not self.invoice_payment_term_id:
            return [
                {
                    "display_type": "payment_term",
                    "date_maturity": self.invoice_date_due,
                    "discount_date": False,
                    "discount_balance": 0.0,
                    "discount_amount_currency": 0.0,
                    "balance": amounts["amount_total_signed"],
                    "amount_currency": amounts["amount_total_in_currency_signed"],
                }
            ]
        sign = 1 if self.is_inbound(include_receipts=True) else -1
        terms = self.invoice_payment_term_id._compute_terms(
            date_ref=self.invoice_date or self.date or fields.Date.context_today(self),
            currency=self.currency_id,
            company=self.company_id,
            tax_amount=amounts["amount_tax_signed"],
            tax_amount_currency=amounts["amount_tax"] * sign,
            untaxed_amount=amounts["amount_untaxed_signed"],
            untaxed_amount_currency=amounts["amount_untaxed"] * sign,
            cash_rounding=self.invoice_cash_rounding_id,
            sign=sign,
        )
        by_date = {}
        for term in terms["line_ids"]:
            date_maturity = fields.Date.to_date(term.get("date"))
            if date_maturity in by_date:
                by_date[date_maturity]["balance"] += term["company_amount"]
                by_date[date_maturity]["amount_currency"] += term["foreign_amount"]
                continue
            by_date[date_maturity] = {
                "display_type": "payment_term",
                "date_maturity": date_maturity,
                "discount_date": terms.get("discount_date"),
                "discount_balance": terms.get("discount_balance") or 0.0,
                "discount_amount_currency": terms.get("discount_amount_currency")
                or 0.0,
                "balance": term["company_amount"],
                "amount_currency": term["foreign_amount"],
            }
        return list(by_date.values())
