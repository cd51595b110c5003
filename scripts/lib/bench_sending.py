"""The benchmark's invoicing modes: draft, posted, and posted and emailed.

What the benchmark needs beyond billing to measure the modes as users run
them: the subscription template's ``invoicing_mode`` for each mode, a local
SMTP sink (scripts/lib/smtp_sink.py) as the databases' outgoing mail server,
an Odoo server that serves the reports' style sheets to wkhtmltopdf, and the
counts of the documents a run made (PDFs really rendered by wkhtmltopdf,
mails posted on invoices, mails received by the sink with their PDF).
"""

import contextlib
import email
import email.policy
import logging
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the benchmark's modes, and subscription_oca's template invoicing_mode of each
# (the groups take theirs from the template when grouping is switched on)
MODES = {"draft": "draft", "posted": "invoice", "emailed": "invoice_send"}
MODE_NAMES = {
    "draft": "draft invoices",
    "posted": "posted invoices",
    "emailed": "posted and emailed with the PDF",
}
COMPANY_EMAIL = "billing@bench.example"
# subscription_oca posts AND mails an invoice in both its non-draft modes
# (generate_invoice: any mode but draft is posted and sent): a posted copy
# needs the sink too, or its mails would go to localhost:25
SENDING_MODES = ("posted", "emailed")
PDF_MAGIC = b"%PDF-"


def customer_email(ref):
    return f"{ref.lower()}@bench.example"


# ------------------------------------------------------------------ the sink
class MailSink:
    """The SMTP sink, in a process of its own: every mail lands in ``folder``."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.process = None
        self.port = None

    def start(self, timeout=20):
        port_file = self.folder.with_suffix(".port")
        port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "smtp_sink.py"), str(self.folder), port_file],
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the SMTP sink stopped at once")
            if port_file.is_file() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                return self
            time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)

    def mails(self):
        """The names of the mails received so far."""
        return {path.name for path in self.folder.glob("*.eml")}

    def summarize(self, names):
        """(mails, mails carrying a real PDF) among ``names``."""
        with_pdf = 0
        for name in names:
            message = email.message_from_bytes(
                (self.folder / name).read_bytes(), policy=email.policy.default
            )
            if any(
                part.get_content_type() == "application/pdf"
                and part.get_payload(decode=True).startswith(PDF_MAGIC)
                for part in message.iter_attachments()
            ):
                with_pdf += 1
        return len(names), with_pdf


# ------------------------------------------------------------------ setup
def configure(env, mode, template_id, smtp_port, report_url):
    """Set a copy of the data up for ``mode``: the template's invoicing mode,
    the outgoing mail server (the sink), the company's sender address and
    where wkhtmltopdf fetches the reports' style sheets. Setup, not measured."""
    env["sale.subscription.template"].browse(template_id).invoicing_mode = MODES[mode]
    if mode not in SENDING_MODES:
        return
    env.company.email = COMPANY_EMAIL
    env["ir.mail_server"].search([]).active = False
    env["ir.mail_server"].create(
        {
            "name": "Benchmark SMTP sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_encryption": "none",
        }
    )
    env["ir.config_parameter"].set_param("report.url", report_url)


def check_pdf_renderer(env):
    """Raise unless Odoo renders PDFs with wkhtmltopdf (not an HTML fallback)."""
    state = env["ir.actions.report"].get_wkhtmltopdf_state()
    if state != "ok":
        raise RuntimeError(
            f"wkhtmltopdf is not usable by Odoo (state {state!r}): install it "
            "(Debian: apt-get install --no-install-recommends wkhtmltopdf)"
        )


UNPATCHED_QT = re.compile(
    r"The switch --[\w-]+, is not support using unpatched qt, and will be ignored\."
)


class UnpatchedQtNotices(logging.Filter):
    """Drop Odoo's warning for what Debian's wkhtmltopdf says on every PDF:
    that its Qt, unpatched, ignores the header and footer switches. Any other
    word of wkhtmltopdf's (a style sheet it could not load...) stays."""

    def filter(self, record):
        message = record.getMessage()
        if not message.startswith("wkhtmltopdf: "):
            return True
        return bool(UNPATCHED_QT.sub("", message[len("wkhtmltopdf: ") :]).strip())


def quiet_unpatched_qt_notices():
    logging.getLogger("odoo.addons.base.models.ir_actions_report").addFilter(
        UnpatchedQtNotices()
    )


# ------------------------------------------------------------------ counts
@dataclass
class Marks:
    """The last ids before a run: what comes after was made by it."""

    attachment: int
    message: int
    mails: frozenset


@dataclass
class Documents:
    """What a run made besides invoices."""

    pdfs: int = 0  # invoice PDFs attached by the run (invoice_pdf_report_file)
    real_pdfs: int = 0  # of those, files that are PDFs (not an HTML fallback)
    mail_messages: int = 0  # emails posted on invoices (mail.message)
    mails_unsent: int = 0  # outgoing mails left in the queue or failed
    mails_received: int = 0  # mails the SMTP sink received
    mails_with_pdf: int = 0  # of those, mails carrying a real PDF


def last_id(cr, table):
    cr.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return cr.fetchone()[0]


def mark(env, sink):
    return Marks(
        last_id(env.cr, "ir_attachment"),
        last_id(env.cr, "mail_message"),
        frozenset(sink.mails() if sink else ()),
    )


def count_documents(env, marks, sink):
    from odoo.tools import config

    cr = env.cr
    cr.execute(
        """SELECT store_fname FROM ir_attachment
            WHERE id > %s AND res_model = 'account.move'
              AND res_field = 'invoice_pdf_report_file'""",
        (marks.attachment,),
    )
    files = [row[0] for row in cr.fetchall()]
    store = Path(config.filestore(cr.dbname))
    real = 0
    for name in files:
        with contextlib.suppress(OSError, TypeError):
            with open(store / name, "rb") as pdf:
                real += pdf.read(len(PDF_MAGIC)) == PDF_MAGIC
    cr.execute(
        """SELECT count(*) FROM mail_message
            WHERE id > %s AND model = 'account.move' AND message_type = 'comment'""",
        (marks.message,),
    )
    messages = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception')"
    )
    unsent = cr.fetchone()[0]
    received, with_pdf = (0, 0)
    if sink:
        received, with_pdf = sink.summarize(sink.mails() - marks.mails)
    return Documents(len(files), real, messages, unsent, received, with_pdf)


def send_queued_mails(env):
    """Odoo's mail queue, emptied as its scheduled action would (committed)."""
    while env["mail.mail"].search_count([("state", "=", "outgoing")]):
        env["mail.mail"].process_email_queue()
        env.cr.commit()
