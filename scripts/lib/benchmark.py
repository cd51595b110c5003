"""Billing with and without subscription_grouping: run by scripts/benchmark.

For each size (N subscriptions over M customers), on copies of the same data
(PostgreSQL copies the data of a size: ``CREATE DATABASE ... TEMPLATE``),
on the day every subscription is due and again one month later:

* ungrouped: subscription_oca's scheduled action,
  ``sale.subscription.cron_subscription_management``: one invoice per
  subscription, made one subscription at a time;
* grouped: the nightly scheduled actions once grouping is on for every
  customer, end to end: subscription_oca's (which leaves grouped
  subscriptions alone), then every batch of *Subscription Grouping: bill due
  groups* (``_cron_bill``) with a commit after each, as Odoo's cron runner
  does; the longest batch is the longest billing transaction;
* floor: one plain batched ``account.move.create`` of the very invoice values
  the grouped run makes (rolled back): what creating those invoices costs
  in Odoo, whoever prepares them.

Each side runs in a process of its own, forked once the data is built, so
that its peak memory (``ru_maxrss``, what Odoo's memory limits watch) is its
own. Measured, around the work and the flush of what it wrote: the wall time
(``time.perf_counter``, the real one: freezegun freezes the patched one), the
CPU time of the billing process (``time.process_time``: Odoo's own work, without
PostgreSQL's nor the waits), the SQL queries (the cursor's ``sql_log_count``) and
the invoices made. Switching
grouping on (groups, realigned dates, transition charges) is setup, not
measured.

A small extra scenario bills groups of 2 and of 10 members apart, to check
that the queries per group do not grow with the group's size.

This is a script, not a test: it prints figures and whether the targets are
met, and fails only if something breaks.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pickle
import pstats
import resource
import shutil
import sys
import time
import traceback
import types
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import odoo_server
import psycopg2
from bench_sending import (
    MODE_NAMES,
    MODES,
    SENDING_MODES,
    MailSink,
    check_pdf_renderer,
    configure,
    count_documents,
    customer_email,
    mark,
    quiet_unpatched_qt_notices,
    send_queued_mails,
)
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from odoo_server import resident_mib, wait_until_serving

# The real time.perf_counter, out of freezegun's reach: inside freeze_time
# it stands still, and freezegun swaps every module attribute that is the
# real function (this module's own too), but not one held in an object.
CLOCK = types.SimpleNamespace(
    perf_counter=time.perf_counter, process_time=time.process_time
)

REPO = Path(__file__).resolve().parents[2]
DAYS_SPREAD = 28  # next dates fall in [run date - 27 days, run date]
PRICES = (100.0, 50.0)  # a subscription has 1 or 2 lines, alternating
PROBE_SIZES = (2, 10)  # group sizes compared for queries per group
PROBE_GROUPS = 20  # groups of each size in that scenario
PROBE_WARMUP = 5  # groups of 2 billed first, unmeasured (see probe_group_sizes)
SETUP_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True}

# Ids of the records shared by every customer, equal in the copies.
Fixture = namedtuple("Fixture", "product pricelist template stage")
# What billing groups of one size cost, per group.
PerGroup = namedtuple("PerGroup", "queries seconds groups")
# What one measured piece of work cost: wall seconds, SQL queries, and the
# CPU seconds of the billing process (PostgreSQL's own are not in them).
Timing = namedtuple("Timing", "seconds queries cpu_seconds")


@dataclass
class Side:
    """What one billing run cost."""

    seconds: float
    queries: int
    invoices: int
    lines: int  # invoice lines of products (sections and notes aside)
    subscriptions: int
    groups: int = None  # grouped run: groups with members due
    peak_mib: float = None  # peak resident memory of the billing process
    longest: float = None  # grouped run: its longest transaction (one batch)
    batches: int = None  # grouped run: calls of the scheduled action
    documents: object = None  # bench_sending.Documents: PDFs and mails made
    cpu_seconds: float = None  # CPU time of the billing process

    @property
    def queries_per_subscription(self):
        return self.queries / self.subscriptions

    @property
    def queries_per_group(self):
        return self.queries / self.groups if self.groups else None


# ------------------------------------------------------------------ arguments
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True, help="database with the module")
    parser.add_argument("--grouped-only", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--baseline-once",
        action="store_true",
        help="measure subscription_oca's side once per size and kind of mode",
    )
    parser.add_argument(
        "--mode",
        action="append",
        choices=[*MODES, "all"],
        help="invoicing mode(s) measured (default draft)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    # today by default: a real server's scheduled action bills what is due
    # today (the in-process runs freeze time on the run date)
    parser.add_argument("--run-date", type=date.fromisoformat, default=date.today())
    parser.add_argument(
        "--server",
        action="store_true",
        help="also bill a copy in a real multi-worker Odoo server",
    )
    parser.add_argument("sizes", nargs="*", default=["500:100"], help="N:M")
    args, odoo_args = parser.parse_known_args(argv)
    args.odoo_args = odoo_args
    args.sizes = [tuple(int(part) for part in size.split(":")) for size in args.sizes]
    modes = args.mode or ["draft"]
    args.modes = list(MODES) if "all" in modes else list(dict.fromkeys(modes))
    return args


def start_odoo(odoo_args):
    import odoo

    odoo.tools.config.parse_config([*odoo_args, "--log-level=warn"], setup_logging=True)
    return odoo


# ------------------------------------------------------------------ databases
@contextlib.contextmanager
def environment(db, context=None):
    """An environment on ``db`` as superuser; commits if the block succeeds."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    with Registry(db).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, context or {})


def release(db):
    """Forget ``db``'s registry and close its pooled connections."""
    import odoo
    from odoo.modules.registry import Registry

    Registry.delete(db)
    odoo.sql_db.close_db(db)


@contextlib.contextmanager
def postgres():
    """An autocommit connection to the ``postgres`` maintenance database."""
    from odoo.tools import config

    conn = psycopg2.connect(
        host=config["db_host"],
        port=config["db_port"],
        user=config["db_user"],
        dbname="postgres",
    )
    conn.autocommit = True
    try:
        yield conn.cursor()
    finally:
        conn.close()


def copy_db(source, target):
    """``target``: a copy of ``source``, database and filestore."""
    from psycopg2 import sql

    from odoo.tools import config

    release(source)
    with postgres() as cr:
        cr.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )
    if os.path.isdir(config.filestore(source)):
        shutil.copytree(config.filestore(source), config.filestore(target))


def drop_db(db):
    from psycopg2 import sql

    from odoo.tools import config

    release(db)
    with postgres() as cr:
        cr.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(db)
            )
        )
    shutil.rmtree(config.filestore(db), ignore_errors=True)


# ------------------------------------------------------------------ data
def build_fixture(env):
    """One product, a pricelist of the company currency, a monthly template."""
    company = env.company
    product = env["product.product"].create(
        {
            "name": "Benchmark Service",
            "type": "service",
            "company_id": company.id,
            "list_price": 100.0,
            "taxes_id": [(5, 0, 0)],
        }
    )
    pricelist = env["product.pricelist"].create(
        {"name": "Benchmark", "currency_id": company.currency_id.id}
    )
    template = env["sale.subscription.template"].create(
        {
            "name": "Benchmark Monthly",
            "recurring_interval": 1,
            "recurring_rule_type": "months",
            "invoicing_mode": "draft",
        }
    )
    stage = env["sale.subscription.stage"].search(
        [("type", "=", "in_progress")], order="sequence", limit=1
    )
    return Fixture(product.id, pricelist.id, template.id, stage.id)


def create_customers(env, fixture, count, prefix):
    return env["res.partner"].create(
        [
            {
                "name": f"{prefix} Customer {index:05d}",
                "ref": f"{prefix}-{index:05d}",
                "email": customer_email(f"{prefix}-{index:05d}"),
                "is_company": True,
                "property_product_pricelist": fixture.pricelist,
            }
            for index in range(count)
        ]
    )


def create_subscriptions(env, fixture, customers, count, run_date, chunk=1000):
    """``count`` running monthly subscriptions spread over ``customers``.

    Subscription k belongs to customer k mod M, has 1 or 2 lines (alternating)
    and its next invoice date k mod 28 days before the run date, so that a
    customer's subscriptions fall on different days.
    """
    from odoo import Command

    subscriptions = env["sale.subscription"]
    for start in range(0, count, chunk):
        vals_list = []
        for k in range(start, min(start + chunk, count)):
            next_date = run_date - timedelta(days=k % DAYS_SPREAD)
            vals_list.append(
                {
                    "partner_id": customers[k % len(customers)].id,
                    "template_id": fixture.template,
                    "pricelist_id": fixture.pricelist,
                    "date_start": next_date - timedelta(days=30),
                    "recurring_next_date": next_date,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": fixture.product,
                                "price_unit": price,
                                "product_uom_qty": 1.0,
                            }
                        )
                        for price in PRICES[: 1 + k % 2]
                    ],
                }
            )
        subscriptions |= subscriptions.create(vals_list)
    start_subscriptions(env, fixture, subscriptions, run_date)
    return subscriptions


def start_subscriptions(env, fixture, subscriptions, run_date):
    """Put them in progress, then restore their next dates.

    subscription_oca sets the next date of a starting subscription without
    invoices to today (as tests/common.py does, written again after).
    """
    wanted = {sub: sub.recurring_next_date for sub in subscriptions}
    with freeze_time(run_date):
        subscriptions.write({"stage_id": fixture.stage})
    by_date = {}
    for sub, next_date in wanted.items():
        by_date[next_date] = by_date.get(next_date, sub.browse()) | sub
    for next_date, subs in by_date.items():
        subs.write({"recurring_next_date": next_date})


def build_data(db, customers_count, subscriptions_count, run_date):
    with environment(db, SETUP_CONTEXT) as env:
        fixture = build_fixture(env)
        customers = create_customers(env, fixture, customers_count, "Bench")
        create_subscriptions(env, fixture, customers, subscriptions_count, run_date)
    return fixture


def group_customers(env, customers, run_date):
    """Switch grouping on, billing day = the run date's day (setup).

    Done the day before the earliest next date, as an admin would.
    """
    with freeze_time(run_date - timedelta(days=DAYS_SPREAD)):
        customers.write(
            {
                "subscription_grouping": True,
                "subscription_grouping_anchor_day": run_date.day,
            }
        )
    env.flush_all()


def due_groups(env, run_date, customers=None):
    domain = [("next_run_date", "<=", run_date)]
    if customers is not None:
        domain.append(("partner_id", "in", customers.ids))
    return env["sale.subscription.group"].search(domain)


# ------------------------------------------------------------------ measure
def invoice_counts(env):
    """(customer invoices, their product lines) in the database."""
    invoices = env["account.move"].search_count([("move_type", "=", "out_invoice")])
    lines = env["account.move.line"].search_count(
        [("move_id.move_type", "=", "out_invoice"), ("display_type", "=", "product")]
    )
    return invoices, lines


def timed(env, run_date, work, profiler=None):
    """Run ``work()`` on ``run_date``: its :class:`Timing`, flush included.

    The clock starts at midnight and ticks: the bill run's calls end after
    their few seconds, which a frozen clock would never let pass."""
    cr = env.cr
    with freeze_time(run_date, tick=True):
        queries = cr.sql_log_count
        start = CLOCK.perf_counter()
        cpu_start = CLOCK.process_time()
        if profiler:
            profiler.enable()
        work()
        env.flush_all()
        if profiler:
            profiler.disable()
        seconds = CLOCK.perf_counter() - start
        cpu_seconds = CLOCK.process_time() - cpu_start
        queries = cr.sql_log_count - queries
    return Timing(seconds, queries, cpu_seconds)


def in_child(work):
    """``work()`` in a forked process of its own: its result, with the
    process's peak resident memory in MiB set on it.

    Every database connection is closed first: none may cross the fork.
    """
    import odoo

    odoo.sql_db.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code = 0
        try:
            result = work()
            result.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            payload = ("ok", result)
        except BaseException:  # noqa: BLE001 - reported by the parent
            payload = ("error", traceback.format_exc())
            code = 1
        with os.fdopen(write, "wb") as out:
            pickle.dump(payload, out)
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as inp:
        status, result = pickle.load(inp)
    os.waitpid(pid, 0)
    if status != "ok":
        raise RuntimeError(f"a measured run failed:\n{result}")
    return result


def measure(db, run_date, subscriptions, work, groups=None, profile_to=None, sink=None):
    """Run ``work(env)`` on ``run_date`` in a process of its own, committed;
    the documents it made are counted (the mails received by ``sink``)."""

    def side():
        with environment(db) as env:
            invoices, lines = invoice_counts(env)
            marks = mark(env, sink)
            profiler = cProfile.Profile() if profile_to else None
            timing = timed(env, run_date, lambda: work(env), profiler)
            if profiler:
                profiler.dump_stats(profile_to)
            env.cr.commit()
            invoices_after, lines_after = invoice_counts(env)
            result = Side(
                timing.seconds,
                timing.queries,
                invoices_after - invoices,
                lines_after - lines,
                subscriptions,
                groups,
                cpu_seconds=timing.cpu_seconds,
            )
            result.documents = count_documents(env, marks, sink)
            if isinstance(work, GroupedNight):
                result.longest = max(work.transactions + work.sending, default=0.0)
                result.batches = len(work.transactions)
            return result

    return in_child(side)


def ungrouped_night(env):
    """subscription_oca's scheduled action (one transaction: its mails go out
    when it commits), then Odoo's mail queue for any mail left in it."""
    env["sale.subscription"].cron_subscription_management()
    env.cr.commit()
    send_queued_mails(env)


class GroupedNight:
    """The nightly scheduled actions of a grouped database, end to end:
    subscription_oca's, then every batch of the groups' action with a commit
    after each, as Odoo's cron runner calls and commits it; then, for groups
    that email their invoices, every batch of *send merged invoices*, and
    Odoo's mail queue for any mail left in it."""

    def __init__(self, run_date):
        self.run_date = run_date
        self.transactions = []
        self.sending = []  # the send action's calls, seconds each

    def __call__(self, env):
        env["sale.subscription"].cron_subscription_management()
        env.cr.commit()
        Group = env["sale.subscription.group"]
        while True:
            start = CLOCK.perf_counter()
            billed = Group._cron_bill(self.run_date)
            env.flush_all()
            env.cr.commit()
            self.transactions.append(CLOCK.perf_counter() - start)
            if not billed:
                break
        Move = env["account.move"]
        while True:
            start = CLOCK.perf_counter()
            sent = Move._cron_send_subscription_group_invoices()
            env.flush_all()
            env.cr.commit()
            self.sending.append(CLOCK.perf_counter() - start)
            if not sent:
                break
        send_queued_mails(env)


def measure_floor(db, run_date, subscriptions):
    """One batched ``account.move.create`` of the grouped run's invoice values:
    the plans and values are prepared first (not measured), the creation is
    rolled back."""

    def side():
        with environment(db) as env:
            with freeze_time(run_date):
                groups = due_groups(env, run_date)
                plans = [(group, group._plan_next_run()) for group in groups]
                vals_list = [
                    group._prepare_run_invoice_vals(plan)
                    for group, plan in plans
                    if plan
                ]
            Move = env["account.move"].with_context(
                default_move_type="out_invoice", tracking_disable=True
            )
            lines = sum(
                1
                for vals in vals_list
                for _command, _id, line in vals["invoice_line_ids"]
                if not line.get("display_type")
            )
            timing = timed(env, run_date, lambda: Move.create(vals_list))
            env.cr.rollback()
            return Side(
                timing.seconds,
                timing.queries,
                len(vals_list),
                lines,
                subscriptions,
                len(groups),
                cpu_seconds=timing.cpu_seconds,
            )

    return in_child(side)


def run_ungrouped(db, run_date, subscriptions, sink=None):
    """(first run, renewal one month later)."""
    first = measure(db, run_date, subscriptions, ungrouped_night, sink=sink)
    renewal = measure(
        db,
        run_date + relativedelta(months=1),
        subscriptions,
        ungrouped_night,
        sink=sink,
    )
    return first, renewal


def measure_baseline_once(session, db, run_date, n, m, mode, sink):
    """subscription_oca's side of a size measured once, on the first run, and
    used for both runs of each mode of its kind: its scheduled action bills a
    first run and a renewal alike (one invoice per subscription, nothing of
    grouping's transitions), and its ``invoice`` and ``invoice_send`` modes
    run the same code (``generate_invoice`` posts and mails in both).
    Returns (side, a note saying where it comes from)."""
    kind = "draft" if mode == "draft" else "posted and mailed"
    key = (n, m, kind)
    if session.baselines.get(key) is None:
        say(f"{n}:{m} {mode}: ungrouped first run in {db} (--baseline-once)")
        session.baselines[key] = (
            measure(db, run_date, n, ungrouped_night, sink=sink),
            mode,
        )
    side, measured_in = session.baselines[key]
    note = (
        f"--baseline-once: subscription_oca's side ({kind}) measured once, on "
        f"the first run of the {measured_in} mode, and used for both runs"
    )
    if measured_in != mode:
        note += f" of the {mode} mode too (the same code in both)"
    return side, note


def run_grouped(db, run_date, subscriptions, profile_to=None, sink=None, floor=True):
    """Group every customer (setup, not measured), then the floor (when
    asked: draft invoices only), then bill."""
    with environment(db) as env:
        customers = env["sale.subscription"].search([]).partner_id
        start = CLOCK.perf_counter()
        group_customers(env, customers, run_date)
        setup_seconds = CLOCK.perf_counter() - start
        grouped = env["sale.subscription"].search_count([("group_id", "!=", False)])
        groups = len(due_groups(env, run_date))
        next_month = run_date + relativedelta(months=1)
    floor = measure_floor(db, run_date, subscriptions) if floor else None
    side = measure(
        db,
        run_date,
        subscriptions,
        GroupedNight(run_date),
        groups,
        profile_to,
        sink,
    )
    with environment(db) as env:
        renewal_groups = len(due_groups(env, next_month))
    renewal = measure(
        db,
        next_month,
        subscriptions,
        GroupedNight(next_month),
        renewal_groups,
        profile_to and renewal_profile_path(profile_to),
        sink,
    )
    return side, renewal, floor, setup_seconds, grouped


def probe_groups(env, fixture, run_date, size, count, prefix):
    """``count`` new customers, each grouped with ``size`` subscriptions due."""
    customers = create_customers(env, fixture, count, prefix)
    create_subscriptions(env, fixture, customers, size * count, run_date)
    group_customers(env, customers, run_date)
    return due_groups(env, run_date, customers)


def probe_group_sizes(db, fixture, run_date):
    """Per PROBE_SIZES size: what billing groups of that size costs, per group.

    Customers of their own, grouped like the others; each size's groups are
    billed together by ``_run``, the grouped part of the cron. A few groups
    are billed first, unmeasured: a new cursor's first run reads accounts,
    journals, precisions... which would load the first size measured.
    Rolled back: copy B keeps the main run's result.
    """
    with environment(db) as env:
        warmup = probe_groups(env, fixture, run_date, 2, PROBE_WARMUP, "Warmup")
        batches = {
            size: probe_groups(env, fixture, run_date, size, PROBE_GROUPS, f"P{size}")
            for size in PROBE_SIZES
        }
        timed(env, run_date, lambda: warmup._run(run_date))
        results = {}
        for size, groups in batches.items():
            seconds, queries, _cpu = timed(
                env, run_date, lambda g=groups: g._run(run_date)
            )
            count = len(groups)
            results[size] = PerGroup(queries / count, seconds / count, count)
        env.cr.rollback()
        return results


# ------------------------------------------------------------------ server
@dataclass
class ServerRun:
    """What billing in a real Odoo server took."""

    label: str
    seconds: float  # from the server's start to the last group billed
    invoices: int
    groups: int  # groups that were due
    left: int  # groups still due and not failed at the end
    failed: int  # groups with a recorded billing failure
    peak_mib: float  # the largest resident memory of one server process
    limit_kills: int  # workers stopped by Odoo's time or memory limits


def due_count(cr, run_date):
    cr.execute(
        """SELECT count(*) FROM sale_subscription_group
            WHERE active AND next_run_date <= %s AND billing_error IS NULL""",
        (run_date,),
    )
    return cr.fetchone()[0]


def to_send_count(cr):
    cr.execute(
        """SELECT count(*) FROM account_move
            WHERE subscription_group_send_state = 'to_send' AND state = 'posted'"""
    )
    return cr.fetchone()[0]


def install_modules(args, db, modules):
    """Install ``modules`` in ``db`` with an Odoo of its own (not measured)."""
    release(db)
    log = REPO / ".tmp" / "benchmark" / f"install-{db}.log"
    odoo_server.install_modules(args.odoo_args, db, modules, log)


def run_in_server(args, db, run_date, label, server_args, environ=None, timeout=1800):
    """Start an Odoo server on ``db`` with the bill action due, wait until every
    due group is billed (or has failed), stop it.

    The server keeps Odoo's default time and memory limits. Every other
    scheduled action but the sending of merged invoices is switched off in
    this throwaway copy, so that the cron worker does only the billing, and
    the sending the bill run calls when its groups email their invoices:
    the wait ends once those are sent too.
    """
    import psutil

    from odoo.tools import config

    with environment(db) as env:
        cron = env.ref("subscription_grouping.ir_cron_bill_subscription_groups")
        send = env.ref("subscription_grouping.ir_cron_send_subscription_group_invoices")
        env.cr.execute("UPDATE ir_cron SET active = (id IN %s)", [(cron.id, send.id)])
        env.cr.execute(
            "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' - interval "
            "'1 minute' WHERE id = %s",
            (cron.id,),
        )
        groups = due_count(env.cr, run_date)
        invoices_before = env["account.move"].search_count(
            [("subscription_group_id", "!=", False)]
        )
    release(db)
    log = REPO / ".tmp" / "benchmark" / f"server-{db}-{label.replace(' ', '-')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = odoo_server.server_command(args.odoo_args, db, log, server_args)
    server = odoo_server.start_server(command, environ)
    peak = 0.0
    left = groups
    conn = psycopg2.connect(
        host=config["db_host"],
        port=config["db_port"],
        user=config["db_user"],
        dbname=db,
    )
    conn.autocommit = True
    try:
        wait_until_serving(server, command, timeout)
        start = CLOCK.perf_counter()
        with conn.cursor() as cr, postgres() as wake:
            while CLOCK.perf_counter() - start < timeout:
                if left == groups:
                    # wake the cron worker up as a trigger does, on the
                    # maintenance database where it listens (repeated until
                    # billing begins: it listens once it has started)
                    wake.execute("NOTIFY cron_trigger, %s", (db,))
                time.sleep(0.5)
                peak = max(peak, resident_mib(psutil.Process(server.pid)))
                left = due_count(cr, run_date) + to_send_count(cr)
                if not left or server.poll() is not None:
                    break
            seconds = CLOCK.perf_counter() - start
            cr.execute(
                "SELECT count(*) FROM account_move WHERE subscription_group_id IS NOT "
                "NULL"
            )
            invoices = cr.fetchone()[0] - invoices_before
            cr.execute(
                "SELECT count(*) FROM sale_subscription_group WHERE billing_error IS "
                "NOT NULL"
            )
            failed = cr.fetchone()[0]
    finally:
        conn.close()
        odoo_server.stop_server(server)
    text = log.read_text(errors="replace")
    kills = sum(text.count(mark) for mark in LIMIT_MARKS)
    return ServerRun(label, seconds, invoices, groups, left, failed, peak, kills)


def bill_in_servers(args, grouped_db, run_date, n, m, sink=None):
    """The scheduled action in a server with 2 workers, then queue_job with 1
    and 2 workers, each on its own copy of the grouped data; then, on the
    copy billed by 2 workers, the renewal one month later (see
    enqueue_renewal). The mails ``sink`` received during each run are
    counted on it (``run.mails``: received, carrying the PDF)."""
    say(f"{n}:{m}: grouping (setup) in {grouped_db}")
    with environment(grouped_db) as env:
        customers = env["sale.subscription"].search([]).partner_id
        group_customers(env, customers, run_date)
    queued = {workers: f"{grouped_db}_q{workers}" for workers in (1, 2)}
    for db in queued.values():
        copy_db(grouped_db, db)
        install_modules(args, db, "subscription_grouping_queue_job")
    runs = []

    def counted(db, date_ref, label, **kwargs):
        before = sink.mails() if sink else set()
        run = run_in_server(args, db, date_ref, label, **kwargs)
        run.mails = sink.summarize(sink.mails() - before) if sink else (0, 0)
        runs.append(run)
        return run

    say(f"{n}:{m}: the scheduled action in a server of 2 workers, {grouped_db}")
    counted(
        grouped_db,
        run_date,
        "scheduled action, 2 workers",
        server_args=["--workers=2", "--max-cron-threads=1"],
    )
    next_month = run_date + relativedelta(months=1)
    for workers, db in queued.items():
        queue_job = {
            "server_args": [
                f"--workers={workers}",
                "--max-cron-threads=1",
                "--load=base,web,queue_job",
            ],
            # as many jobs at once as there are workers to run them
            "environ": {"ODOO_QUEUE_JOB_CHANNELS": f"root:{workers}"},
        }
        say(f"{n}:{m}: queue_job, {workers} worker(s), {db}")
        counted(db, run_date, f"queue_job, {workers} worker(s)", **queue_job)
        if workers == 2:
            enqueued = enqueue_renewal(db, next_month)
            say(f"{n}:{m}: renewal jobs enqueued in {enqueued:.1f} s; billing them")
            label = f"queue_job, 2 workers, renewal {next_month}"
            counted(db, next_month, label, **queue_job).enqueue_seconds = enqueued
        if not args.keep:
            drop_db(db)
    return runs


def enqueue_renewal(db, next_month):
    """The renewal's bill jobs, enqueued as the scheduled action does on
    ``next_month`` (time frozen there, in this process): a real server's
    scheduled action bills what is due on the real day, but its jobs bill
    the date they were given, so the server that runs them bills the
    renewal now. Returns the seconds the enqueuing took (committed)."""
    with environment(db) as env:
        Group = env["sale.subscription.group"]
        start = CLOCK.perf_counter()
        with freeze_time(next_month):
            while Group._cron_bill(next_month):
                env.cr.commit()
        env.cr.commit()
        return CLOCK.perf_counter() - start


def print_server_documents(runs, n):
    """The server runs again, with their mails and time per subscription."""
    print("\n#### in a real Odoo server: time per subscription, mails\n")
    rows = []
    for run in runs:
        received, with_pdf = getattr(run, "mails", (0, 0))
        enqueued = getattr(run, "enqueue_seconds", None)
        rows.append(
            [
                run.label,
                f"{run.seconds:.1f}",
                f"{enqueued:.1f}" if enqueued is not None else "",
                f"{run.seconds * 1000 / n:.1f}",
                f"{run.invoices:,} of {run.groups:,}",
                f"{received:,} ({with_pdf:,})",
                f"{run.peak_mib:,.0f}",
                f"{run.limit_kills}",
            ]
        )
    markdown_table(
        [
            "run",
            "time (s)",
            "jobs enqueued in (s)",
            "ms per subscription",
            "invoices of groups due",
            "mails received (with PDF)",
            "peak RSS (MiB)",
            "stopped by a limit",
        ],
        rows,
    )


# what Odoo's prefork server logs when a limit stops a worker
LIMIT_MARKS = ("time limit", "memory limit", "virtual real time limit")


def print_server_runs(runs):
    print("\n== billing in a real Odoo server (default time and memory limits)")
    print(
        f"  {'':34}{'time (s)':>10}{'groups':>8}{'invoices':>10}{'left':>6}"
        f"{'failed':>8}{'peak MiB':>10}{'killed':>8}"
    )
    for run in runs:
        print(
            f"  {run.label:34}{run.seconds:>10.1f}{run.groups:>8,}{run.invoices:>10,}"
            f"{run.left:>6,}{run.failed:>8,}{run.peak_mib:>10,.0f}{run.limit_kills:>8}"
        )
    print("  (time from the server answering to the last group billed)")
    for run in runs:
        ok = not run.left and not run.limit_kills and run.invoices >= run.groups
        target(
            ok,
            f"{run.label}: every due group billed ({run.invoices:,} invoices for "
            f"{run.groups:,} groups), no worker stopped by a limit",
        )


# ------------------------------------------------------------------ report
ROWS = (  # label, Side attribute, decimals
    ("wall time (s)", "seconds", 2),
    ("CPU time of the billing process (s)", "cpu_seconds", 2),
    ("time per subscription (ms)", "ms_per_subscription", 1),
    ("SQL queries", "queries", 0),
    ("queries per subscription", "queries_per_subscription", 2),
    ("invoices made", "invoices", 0),
    ("invoice lines made (products)", "lines", 0),
    ("invoice PDFs rendered", "pdfs", 0),
    ("of them real PDFs (wkhtmltopdf)", "real_pdfs", 0),
    ("emails posted on invoices", "mail_messages", 0),
    ("mails received by the SMTP sink", "mails_received", 0),
    ("of them carrying the PDF", "mails_with_pdf", 0),
    ("mails left unsent", "mails_unsent", 0),
    ("groups with members due", "groups", 0),
    ("queries per group", "queries_per_group", 1),
    ("peak memory of the process (MiB)", "peak_mib", 0),
    ("calls of the scheduled action", "batches", 0),
    ("longest transaction (s)", "longest", 2),
)
DOCUMENT_ROWS = {
    "pdfs",
    "real_pdfs",
    "mail_messages",
    "mails_received",
    "mails_with_pdf",
    "mails_unsent",
}
ODOO_SOFT_MEMORY_MIB = 2048  # Odoo's default --limit-memory-soft


def cell(side, attr):
    if side is None:
        return None
    if attr in DOCUMENT_ROWS:
        return getattr(side.documents, attr) if side.documents else None
    if attr == "ms_per_subscription":
        return side.seconds * 1000 / side.subscriptions
    return getattr(side, attr)


def fmt(value, digits):
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def ratio(ungrouped, grouped, attr):
    return getattr(ungrouped, attr) / getattr(grouped, attr)


def markdown_table(header, rows):
    """``rows``: lists of cells (strings); the first column left-aligned."""
    print("| " + " | ".join(header) + " |")
    print("| --- " + "| ---: " * (len(header) - 1) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def print_table(title, ungrouped, grouped, floor=None, mode="draft"):
    print(f"\n#### {title}\n")
    columns = [("ungrouped", ungrouped), ("grouped", grouped)]
    if floor:
        columns.append(("floor", floor))
    rows = []
    for label, attr, digits in ROWS:
        if mode == "draft" and attr in DOCUMENT_ROWS:
            continue  # draft invoices: no PDF, no mail
        cells = [cell(side, attr) for _name, side in columns]
        if all(value is None for value in cells):
            continue
        rows.append([label, *(fmt(value, digits) for value in cells)])
    if ungrouped:
        speed = ratio(ungrouped, grouped, "seconds")
        queries = ratio(ungrouped, grouped, "queries")
        rows.append(["speed ratio (ungrouped / grouped time)", "", f"{speed:.1f}x"])
        rows.append(["query ratio (ungrouped / grouped)", "", f"{queries:.1f}x"])
        if ungrouped.cpu_seconds and grouped.cpu_seconds:
            cpu = ratio(ungrouped, grouped, "cpu_seconds")
            rows.append(["CPU time ratio (ungrouped / grouped)", "", f"{cpu:.1f}x"])
    if floor:
        rows.append(
            ["grouped / floor time", "", f"{ratio(grouped, floor, 'seconds'):.2f}x"]
        )
    markdown_table(["", *(name for name, _side in columns)], rows)


def print_checks(n, ungrouped, grouped, grouped_subs, mode):
    checks = [
        (grouped_subs == n, f"subscriptions grouped: {grouped_subs:,} of {n:,}"),
        (
            grouped.invoices == grouped.groups,
            f"grouped: invoices made ({grouped.invoices:,}) == groups with "
            f"members due ({grouped.groups:,})",
        ),
    ]
    if ungrouped:
        checks.append(
            (
                ungrouped.invoices == n,
                f"ungrouped: invoices made ({ungrouped.invoices:,}) == "
                f"subscriptions ({n:,})",
            )
        )
    for name, side in (("ungrouped", ungrouped), ("grouped", grouped)):
        if side is None or side.documents is None:
            continue
        docs = side.documents
        if mode == "emailed":
            checks.append(
                (
                    docs.real_pdfs == docs.pdfs == side.invoices,
                    f"{name}: one real PDF per invoice ({docs.real_pdfs:,} PDFs "
                    f"of {docs.pdfs:,} rendered, {side.invoices:,} invoices)",
                )
            )
            checks.append(
                (
                    docs.mails_with_pdf == docs.mails_received == side.invoices,
                    f"{name}: one mail with its PDF per invoice received by the "
                    f"sink ({docs.mails_with_pdf:,} with the PDF of "
                    f"{docs.mails_received:,}, {side.invoices:,} invoices)",
                )
            )
    print("\nchecks:\n")
    for ok, text in checks:
        print(f"- [{'OK' if ok else 'MISMATCH'}] {text}")


def target(status, text):
    label = {True: "MET", False: "NOT MET", None: "n/a"}[status]
    print(f"- [{label}] {text}")


def speed_target(mode, n, m):
    """The speed ratio a mode's grouped run must reach, or None."""
    if mode == "draft":
        return 10.0
    if mode == "emailed":
        # as many times faster as a customer has subscriptions: the
        # documents grouping does not make
        return n / m
    return None


def print_time_targets(n, m, ungrouped, grouped, run, limit, mode):
    goal = speed_target(mode, n, m)
    text = f"{run}, {mode}: grouped"
    if ungrouped is None:
        target(None, f"{text}: ungrouped side not run (--grouped-only)")
    else:
        speed = ratio(ungrouped, grouped, "seconds")
        if goal is None:
            target(None, f"{text} {speed:.1f}x faster (no target in this mode)")
        else:
            target(speed >= goal, f"{text} >= {goal:g}x faster: {speed:.1f}x")
    if (n, m) == (10000, 2000):
        target(
            None,
            f"{run}, {mode}, in one process: {grouped.seconds:.1f} s (the < {limit} "
            "s target is for 2 queue_job workers: --server)",
        )


def print_targets(n, m, runs, floor, probe, mode):
    """``runs``: (name, ungrouped side or None, grouped side, time limit)."""
    print("\ntargets:\n")
    for name, ungrouped, grouped, limit in runs:
        print_time_targets(n, m, ungrouped, grouped, name, limit, mode)
    if floor:
        first = runs[0][2]
        times = ratio(first, floor, "seconds")
        target(times <= 1.5, f"first run within 1.5x of the floor: {times:.2f}x")
    grouped_sides = [grouped for _name, _u, grouped, _limit in runs]
    per_sub = max(side.queries_per_subscription for side in grouped_sides)
    text = "<= 5 SQL queries per subscription in the grouped runs"
    target(per_sub <= 5, f"{text}: {per_sub:.2f} at most")
    longest = max(side.longest for side in grouped_sides)
    target(longest <= 30, f"no transaction longer than 30 s: {longest:.2f} s")
    peak = max(side.peak_mib for side in grouped_sides)
    target(
        peak < ODOO_SOFT_MEMORY_MIB,
        f"billing process under Odoo's default soft memory limit "
        f"({ODOO_SOFT_MEMORY_MIB} MiB): {peak:,.0f} MiB at peak",
    )
    if not probe:
        return
    (few, many) = PROBE_SIZES[0], PROBE_SIZES[-1]
    (small, big) = (probe[few], probe[many])
    growth = big.queries / small.queries
    per_member = (big.queries - small.queries) / (many - few)
    target(
        growth <= 1.1,
        f"queries per group independent of group size ({small.groups} groups "
        f"of each size billed by _run): {small.queries:.1f} per group of {few}, "
        f"{big.queries:.1f} per group of {many} ({growth:.2f}x, met if <= "
        f"1.10x; {per_member:+.2f} queries per extra member); seconds per "
        f"group {small.seconds:.3f} vs {big.seconds:.3f}",
    )


QUEUE_JOB_LIMITS = {"first run": 60, "renewal": 40}  # seconds, 10,000 / 2,000


def print_queue_job_targets(runs, n, m):
    """10,000 subscriptions of 2,000 customers on 2 queue_job workers."""
    if (n, m) != (10000, 2000):
        return
    print()
    for run in runs:
        if not run.label.startswith("queue_job, 2 workers"):
            continue
        name = "renewal" if "renewal" in run.label else "first run"
        limit = QUEUE_JOB_LIMITS[name]
        enqueued = getattr(run, "enqueue_seconds", 0.0)
        seconds = run.seconds + enqueued
        done = not run.left and run.invoices >= run.groups
        text = f"{name}, 10,000 / 2,000 on 2 queue_job workers < {limit} s: "
        text += f"{seconds:.1f} s"
        if enqueued:
            text += f" ({enqueued:.1f} s enqueuing the jobs included)"
        target(done and seconds < limit, text)


@dataclass
class Summary:
    """One line of the closing table: a run of a size in a mode."""

    size: tuple
    mode: str
    run: str
    ungrouped: Side
    grouped: Side


def documents_text(side):
    if side is None:
        return ""
    docs = side.documents
    text = f"{side.invoices:,} inv."
    if docs and docs.pdfs:
        text += f", {docs.real_pdfs:,} PDFs"
    if docs and docs.mails_received:
        text += f", {docs.mails_received:,} mails"
    return text


def print_summary(summaries):
    """Every size and mode run, in one markdown table."""
    print("\n## Summary (paste into docs/benchmark.md)\n")
    rows = []
    for line in summaries:
        n, m = line.size
        ungrouped, grouped = line.ungrouped, line.grouped
        speed = ratio(ungrouped, grouped, "seconds") if ungrouped else None
        goal = speed_target(line.mode, n, m)
        if speed is None or goal is None:
            verdict = "n/a"
        else:
            verdict = f"{goal:g}x: {'met' if speed >= goal else 'not met'}"
        rows.append(
            [
                f"{n:,} / {m:,}",
                line.mode,
                line.run,
                fmt(ungrouped.seconds, 1) if ungrouped else "",
                fmt(grouped.seconds, 1),
                fmt(cell(ungrouped, "ms_per_subscription"), 1),
                fmt(cell(grouped, "ms_per_subscription"), 1),
                documents_text(ungrouped),
                documents_text(grouped),
                f"{speed:.1f}x" if speed else "",
                verdict,
            ]
        )
    markdown_table(
        [
            "size",
            "mode",
            "run",
            "ungrouped s",
            "grouped s",
            "ungrouped ms/sub",
            "grouped ms/sub",
            "ungrouped made",
            "grouped made",
            "speed ratio",
            "target",
        ],
        rows,
    )


def renewal_profile_path(profile_to):
    """Where the renewal's profile goes, beside the first run's."""
    return profile_to.with_name(profile_to.stem + "-renewal.prof")


def print_profile(path, n, m, run):
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    print(f"\n== profile of the grouped {run}, {n}:{m} (saved in {path})")
    print(out.getvalue())


# ------------------------------------------------------------------ main
def say(text):
    print(f"-- {text}", flush=True)


@dataclass
class Session:
    """What the sizes and modes of one benchmark share."""

    sink: MailSink = None  # the SMTP sink (emailed mode)
    report_url: str = None  # the server wkhtmltopdf fetches style sheets from
    summaries: list = None
    baselines: dict = None  # --baseline-once: (n, m, kind) -> ungrouped side


def start_report_server(args, db, folder):
    """An Odoo server of its own on a copy of the empty database, serving
    the reports' style sheets to wkhtmltopdf (``report.url``): the measured
    processes serve no HTTP, and a busy server's workers cannot answer their
    own renderer. Returns (server process, its URL)."""
    copy_db(args.db, db)
    port = odoo_server.free_port()
    command = [
        *odoo_server.odoo_server_command(),
        *args.odoo_args,
        f"--database={db}",
        f"--db-filter=^{db}$",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        f"--logfile={folder / 'report-server.log'}",
        "--workers=0",
        "--max-cron-threads=0",
    ]
    server = odoo_server.start_server(command)
    wait_until_serving(server, command, 300)
    url = f"http://127.0.0.1:{port}"
    warm_report_server(db, url)
    return server, url


REPORT_BUNDLES = ("web.report_assets_common", "web.report_assets_pdf")


def warm_report_server(db, url):
    """Ask the report server for a static file, then for the reports' style
    sheets, one request at a time (setup): the first run measured must not
    pay for compiling them, and the server's first static lookups, made by
    several threads at once, can fail (Python 3.11: "AST constructor
    recursion depth mismatch")."""
    import urllib.request

    with environment(db) as env:
        paths = [
            path
            for bundle in REPORT_BUNDLES
            for path in env["ir.qweb"]._get_asset_link_urls(bundle)
        ]
    release(db)
    for path in ["/web/static/fonts/lato/Lato-Reg-webfont.woff", *paths]:
        with urllib.request.urlopen(url + path, timeout=300) as answer:
            answer.read()


def measure_mode(args, n, m, mode, dbs, fixture, session, probe_too):
    """Bill copies of the data of a size, set up for ``mode``, and print."""
    mode_db, copy_a, copy_b, copy_c = dbs
    run_date = args.run_date
    sink = session.sink if mode in SENDING_MODES else None
    with environment(mode_db) as env:
        configure(env, mode, fixture.template, sink and sink.port, session.report_url)
        if mode == "emailed":
            check_pdf_renderer(env)
    say(f"{n}:{m} {mode}: copying the data")
    copy_db(mode_db, copy_a)
    copy_db(mode_db, copy_b)
    if args.server:
        copy_db(mode_db, copy_c)
    release(mode_db)
    ungrouped = renewal_ungrouped = None
    baseline_note = None
    if args.baseline_once and not args.grouped_only:
        ungrouped, baseline_note = measure_baseline_once(
            session, copy_a, run_date, n, m, mode, sink
        )
        renewal_ungrouped = ungrouped
        release(copy_a)
    elif not args.grouped_only:
        say(f"{n}:{m} {mode}: ungrouped runs in {copy_a}")
        ungrouped, renewal_ungrouped = run_ungrouped(copy_a, run_date, n, sink)
        release(copy_a)
    profile_to = None
    if args.profile:
        profile_to = REPO / ".tmp" / "benchmark" / f"grouped-{n}-{m}-{mode}.prof"
        profile_to.parent.mkdir(parents=True, exist_ok=True)
    say(f"{n}:{m} {mode}: grouping every customer (setup), then grouped runs")
    grouped, renewal, floor, setup_seconds, grouped_subs = run_grouped(
        copy_b, run_date, n, profile_to, sink, floor=mode == "draft"
    )
    probe = None
    if probe_too:
        say(f"{n}:{m} {mode}: group-size scenario in {copy_b}")
        probe = probe_group_sizes(copy_b, fixture, run_date)
    release(copy_b)
    server_runs = []
    if args.server:
        server_runs = bill_in_servers(args, copy_c, run_date, n, m, sink)

    heading = (
        f"{n:,} subscriptions, {m:,} customers ({n / m:g} per customer), "
        f"{MODE_NAMES[mode]}"
    )
    next_month = run_date + relativedelta(months=1)
    print(f"\n### {heading}")
    if baseline_note:
        print(f"\n({baseline_note})")
    print_table(
        f"first run, {run_date} (grouped: with every transition)",
        ungrouped,
        grouped,
        floor,
        mode,
    )
    print(f"\n(setup, not measured: grouping took {setup_seconds:.1f} s)")
    print_table(
        f"renewal one month later, {next_month}", renewal_ungrouped, renewal, None, mode
    )
    if profile_to:
        print("\n(grouped runs profiled: their times include cProfile's overhead)")
    print_checks(n, ungrouped, grouped, grouped_subs, mode)
    print_targets(
        n,
        m,
        [
            ("first run", ungrouped, grouped, 60),
            ("renewal", renewal_ungrouped, renewal, 40),
        ],
        floor,
        probe,
        mode,
    )
    if server_runs:
        print_server_runs(server_runs)
        print_server_documents(server_runs, n)
        print_queue_job_targets(server_runs, n, m)
    if profile_to:
        print_profile(profile_to, n, m, "first run")
        print_profile(renewal_profile_path(profile_to), n, m, "renewal")
    session.summaries += [
        Summary((n, m), mode, "first run", ungrouped, grouped),
        Summary((n, m), mode, "renewal", renewal_ungrouped, renewal),
    ]
    sys.stdout.flush()


def bench_size(args, n, m, session):
    """Build the data of a size once, then measure each mode on copies."""
    data = f"{args.db}_{n}_{m}"
    run_date = args.run_date
    try:
        say(f"{n}:{m}: building the data in {data}")
        copy_db(args.db, data)
        start = CLOCK.perf_counter()
        fixture = build_data(data, m, n, run_date)
        say(f"{n}:{m}: built in {CLOCK.perf_counter() - start:.1f} s")
        release(data)
        for index, mode in enumerate(args.modes):
            dbs = [f"{data}_{mode}{tail}" for tail in ("", "_a", "_b", "_c")]
            copy_db(data, dbs[0])
            try:
                measure_mode(args, n, m, mode, dbs, fixture, session, index == 0)
            finally:
                if args.keep:
                    say(f"kept databases {', '.join(dbs)}")
                else:
                    for db in dbs:
                        drop_db(db)
    finally:
        if not args.keep:
            drop_db(data)


def main(argv):
    args = parse_args(argv)
    start_odoo(args.odoo_args)
    quiet_unpatched_qt_notices()
    session = Session(summaries=[], baselines={})
    folder = REPO / ".tmp" / "benchmark"
    folder.mkdir(parents=True, exist_ok=True)
    report_server = None
    reports_db = f"{args.db}_reports"
    try:
        if set(SENDING_MODES) & set(args.modes):
            session.sink = MailSink(folder / f"mails-{os.getpid()}").start()
            say(
                f"SMTP sink on 127.0.0.1:{session.sink.port}, mails kept in "
                f"{session.sink.folder}"
            )
            report_server, session.report_url = start_report_server(
                args, reports_db, folder
            )
            say(f"report style sheets served by {session.report_url}")
        for n, m in args.sizes:
            bench_size(args, n, m, session)
        print_summary(session.summaries)
    finally:
        if report_server:
            report_server.terminate()
            report_server.wait(60)
            drop_db(reports_db)
        if session.sink:
            session.sink.stop()
            if not args.keep:
                shutil.rmtree(session.sink.folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
