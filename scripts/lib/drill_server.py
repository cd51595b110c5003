"""The fault drill against a real Odoo server: run by scripts/drill --server.

Where drill.py imitates the cron runner with forked workers, this drill bills
through a real prefork Odoo server on the drill's throwaway cluster, in two
modes one after the other on the same database:

* cron: ``--workers 2 --max-cron-threads 1``; the cron worker runs the
  scheduled action *Subscription Grouping: bill due groups* batch after
  batch, as in production;
* queue_job: the same server with OCA queue_job's runner (``--load
  base,web,queue_job``, ``[queue_job] channels = root:2``) and
  subscription_grouping_queue_job installed: the scheduled action hands the
  due groups to bill jobs, which the runner sends to the HTTP workers.

Each round adds new customers whose groups are due today (their grouping
switched on weeks ago), wakes the cron worker as Odoo's triggers do
(``ir.cron._trigger()`` and a commit, which NOTIFYs it), and strikes while
the server bills: SIGKILL of the cron worker or of a worker running a bill
job, ``pg_terminate_backend`` of the connection of a worker running a batch
or a bill job (PostgreSQL stays up), and once per mode an immediate restart
of PostgreSQL. The server's processes are found from outside: Odoo 18 names
each connection ``odoo-<pid>`` (``application_name``; the workers' registry
cursors carry the master's pid, as the master loads the registry before it
forks), the cron worker is the child that lowered its priority, and
queue_job records the pid of the worker running a job.

While groups are left the drill only sends the NOTIFY Odoo's triggers send
(every 2 seconds): it wakes an idle cron worker earlier than its one-minute
poll, and never makes a job due that the server did not keep due. When
nothing due is left, or ``--bound`` seconds after the round's last fault,
it checks drill.py's invariants (duplicates, missed, coverage, half-written)
and the lateness: every group due today billed, or its failure recorded on
the group, and every merged invoice to send sent, or its failure recorded
on it, within the bound after the last fault.
"""

import argparse
import contextlib
import os
import random
import signal
import sys
import time
import types
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import drill
import odoo_server
import psutil
import psycopg2

REPO = Path(__file__).resolve().parents[2]
# the real clock: the book is built under freezegun
CLOCK = types.SimpleNamespace(monotonic=time.monotonic)
BILL_CRON = "subscription_grouping.ir_cron_bill_subscription_groups"
SEND_CRON = "subscription_grouping.ir_cron_send_subscription_group_invoices"
GLUE = "subscription_grouping_queue_job"
MODES = {
    "cron": ["--workers=2", "--max-cron-threads=1"],
    "queue_job": ["--workers=2", "--max-cron-threads=1", "--load=base,web,queue_job"],
}
FAULTS = {
    "cron": ("kill cron worker", "drop connection"),
    "queue_job": ("kill cron worker", "kill job worker", "drop connection"),
}
NOTIFY_EVERY = 2.0  # seconds between two wake-ups while groups are left
STRIKE_PATIENCE = 30.0  # seconds a fault waits for its target to be busy


# ------------------------------------------------------------------ arguments
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=20, help="rounds per mode")
    parser.add_argument("--customers", type=int, default=36, help="per round")
    parser.add_argument("--batch-size", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--modes", default="cron,queue_job")
    parser.add_argument(
        "--bound", type=int, default=600, help="seconds allowed after the last fault"
    )
    parser.add_argument("--pg-restart", default="", help="command restarting PG")
    args, odoo_args = parser.parse_known_args(argv)
    args.odoo_args = odoo_args
    args.modes = args.modes.split(",")
    return args


# ------------------------------------------------------------------ the database
class Watch:
    """The drill's own autocommit connections: to the drill's database and to
    ``postgres`` (where the cron workers listen), reopened after a restart."""

    def __init__(self, db):
        from odoo.tools import config

        self.db = db
        self.params = {
            "host": config["db_host"],
            "port": config["db_port"],
            "user": config["db_user"],
            "application_name": "drill",
        }
        self.conns = {}

    def rows(self, query, params=(), dbname=None):
        """The rows of ``query``; None while PostgreSQL does not answer."""
        dbname = dbname or self.db
        try:
            conn = self.conns.get(dbname)
            if conn is None or conn.closed:
                conn = psycopg2.connect(dbname=dbname, **self.params)
                conn.autocommit = True
                self.conns[dbname] = conn
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else []
        except psycopg2.Error:
            self.close()
            return None

    def close(self):
        for conn in self.conns.values():
            with contextlib.suppress(psycopg2.Error):
                conn.close()
        self.conns = {}

    def wake(self):
        """What ``ir.cron._trigger`` sends after its commit: a NOTIFY on
        ``cron_trigger`` in the postgres database, naming the database."""
        self.rows("NOTIFY cron_trigger, %s", (self.db,), dbname="postgres")

    def left(self, today, queue_job):
        """Groups due today and neither billed nor failed, merged invoices
        to send and neither sent nor failed, and bill and send jobs not
        ended; None while PostgreSQL does not answer."""
        due = self.rows(
            """SELECT count(*) FROM sale_subscription_group
                WHERE active AND next_run_date <= %s AND billing_error IS NULL""",
            (today,),
        )
        to_send = self.rows(
            """SELECT count(*) FROM account_move
                WHERE state = 'posted' AND subscription_group_send_state = 'to_send'"""
        )
        if due is None or to_send is None:
            return None
        jobs = [(0,)]
        if queue_job:
            jobs = self.rows(
                """SELECT count(*) FROM queue_job
                    WHERE method_name IN ('_bill_job', '_send_job')
                      AND state IN ('wait_dependencies', 'pending', 'enqueued',
                                    'started')"""
            )
            if jobs is None:
                return None
        return due[0][0] + to_send[0][0] + jobs[0][0]

    def odoo_backends(self, pids):
        """(backend pid, worker pid, state, query) of the drill database's
        connections of the processes ``pids``."""
        rows = self.rows(
            """SELECT pid, application_name, state, query FROM pg_stat_activity
                WHERE datname = %s AND application_name LIKE 'odoo-%%'""",
            (self.db,),
        )
        return [
            (backend, int(name[5:]), state, query)
            for backend, name, state, query in rows or ()
            if name[5:].isdigit() and int(name[5:]) in pids
        ]

    def job_workers(self, children):
        """The server's children running a bill job now."""
        rows = self.rows(
            """SELECT worker_pid FROM queue_job
                WHERE state = 'started' AND method_name = '_bill_job'"""
        )
        return {pid for (pid,) in rows or () if pid} & children


def children_of(server):
    with contextlib.suppress(psutil.Error):
        return {child.pid for child in psutil.Process(server.pid).children()}
    return set()


def cron_workers(server):
    """The server's cron workers: the children that lowered their priority
    (Odoo's cron worker starts with ``os.nice(10)``, no other process does)."""
    workers = set()
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(server.pid)
        for child in parent.children():
            with contextlib.suppress(psutil.Error):
                if child.nice() > parent.nice():
                    workers.add(child.pid)
    return workers


# ------------------------------------------------------------------ faults
def busy_cron_worker(watch, server):
    """The cron worker, when it is running a job on the drill database."""
    workers = cron_workers(server)
    for _backend, pid, state, _query in watch.odoo_backends(workers):
        if state != "idle":
            return pid
    return None


def strike(fault, watch, server, rng, today, queue_job):
    """Wait (a random moment, then until its target is busy) and strike;
    True when it struck, False when its target never came or nothing is
    left to bill."""
    time.sleep(rng.uniform(0.0, 1.0))
    deadline = CLOCK.monotonic() + STRIKE_PATIENCE
    while CLOCK.monotonic() < deadline:
        if watch.left(today, queue_job) == 0:
            return False
        if fault == "kill cron worker":
            pid = busy_cron_worker(watch, server)
            if pid:
                return kill(pid)
        elif fault == "kill job worker":
            pids = sorted(watch.job_workers(children_of(server)))
            if pids:
                return kill(rng.choice(pids))
        elif fault == "drop connection":
            if drop_connection(watch, server, rng):
                return True
        time.sleep(rng.uniform(0.02, 0.2))
    return False


def kill(pid):
    """SIGKILL: no handler runs, the process's connections just close."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def drop_connection(watch, server, rng):
    """pg_terminate_backend of a worker's connection in a batch or a job: the
    cron worker's (not the one holding its ir_cron row), or a job worker's.

    The master preloads the database's registry before it forks, so the
    workers' registry cursors carry the master's pid in their name: those
    are the connections that bill."""
    pids = watch.job_workers(children_of(server)) or cron_workers(server)
    pids = set(pids) | {server.pid}
    backends = [
        backend
        for backend, _pid, state, query in watch.odoo_backends(pids)
        if state != "idle" and "last_cron_progress" not in query
    ]
    if not backends:
        return False
    rows = watch.rows("SELECT pg_terminate_backend(%s)", (rng.choice(backends),))
    return bool(rows and rows[0][0])


# ------------------------------------------------------------------ rounds
def add_round_customers(args, fixture_ids, today, rng):
    """New customers whose groups are due today: their subscriptions started
    and their grouping was switched on 45 to 6 days ago."""
    env = drill.environment(args.db)
    try:
        fixture = {
            "companies": env["res.company"].browse(fixture_ids["companies"]),
            "product": env["product.product"].browse(fixture_ids["product"]),
            "pricelist": env["product.pricelist"].browse(fixture_ids["pricelist"]),
            "templates": env["sale.subscription.template"].browse(
                fixture_ids["templates"]
            ),
        }
        first_unpaid, _grouped = drill.add_customers(
            env, fixture, args.customers, today - timedelta(days=45), rng, spread=40
        )
        # as an Invoice Now or the module's own calls do: the scheduled
        # action is due now, and the commit wakes the cron worker up
        env.ref(BILL_CRON)._trigger()
        env.cr.commit()
        return first_unpaid
    finally:
        env.cr.close()


def play_round(args, mode, server, watch, today, faults, restart_pg, stats, rng):
    """Strike ``faults`` while the server bills, then wait until nothing is
    left; returns the seconds from the last fault that struck to the end (None
    when groups are still left at the bound), and the faults that struck."""
    last_fault = CLOCK.monotonic()
    struck = []
    for fault in faults:
        if fault == "PostgreSQL restart":
            time.sleep(rng.uniform(0.0, 1.0))
            hit = watch.left(today, mode == "queue_job") != 0
            if hit:
                restart_pg()
                watch.close()
        else:
            hit = strike(fault, watch, server, rng, today, mode == "queue_job")
        if hit:
            stats[mode][fault] += 1
            last_fault = CLOCK.monotonic()
            struck.append(fault)
        else:
            stats[mode][f"{fault}: no target in time"] += 1
    next_wake = 0.0
    while True:
        now = CLOCK.monotonic()
        left = watch.left(today, mode == "queue_job")
        if left == 0:
            return now - last_fault, struck
        if now - last_fault > args.bound:
            return None, struck
        if server.poll() is not None:
            raise RuntimeError(f"the Odoo server stopped (exit {server.returncode})")
        if now >= next_wake:
            watch.wake()
            next_wake = now + NOTIFY_EVERY
        time.sleep(0.25)


def choose_faults(mode, rng, restart_here):
    faults = [rng.choice(FAULTS[mode]) for _ in range(rng.choice((1, 1, 2, 3)))]
    if restart_here:
        faults.insert(rng.randrange(len(faults) + 1), "PostgreSQL restart")
    return faults


# ------------------------------------------------------------------ the server
def prepare_database(args, queue_job):
    """Only the drill's scheduled actions active (and queue_job's): the cron
    worker bills and sends, nothing else."""
    env = drill.environment(args.db)
    try:
        keep = env.ref(BILL_CRON) | env.ref(SEND_CRON)
        crons = env["ir.cron"].with_context(active_test=False).search([])
        if queue_job:
            keep |= crons.filtered(lambda cron: cron.model_id.model == "queue.job")
        (crons - keep).write({"active": False})
        keep.write({"active": True})
        env.cr.commit()
    finally:
        env.cr.close()


def server_args(args, mode, log_dir):
    """The server's options: in queue_job mode, a config file of its own with
    the runner's channels (the other options are on the command line)."""
    odoo_args = list(args.odoo_args)
    if mode == "queue_job":
        config = log_dir / f"odoo-queue-job-{args.db}.conf"
        config.write_text("[options]\n\n[queue_job]\nchannels = root:2\n")
        odoo_args = [
            arg for arg in odoo_args if not arg.startswith(("--config=", "-c"))
        ]
        odoo_args.insert(0, f"--config={config}")
    return odoo_args, MODES[mode]


def release(odoo, db):
    from odoo.modules.registry import Registry

    Registry.delete(db)
    odoo.sql_db.close_all()


def run_mode(args, odoo, mode, fixture_ids, first_unpaid, rng, stats, totals):
    """Install what the mode needs, start its server, play its rounds."""
    log_dir = REPO / ".tmp" / "drill"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if mode == "queue_job":
        release(odoo, args.db)
        log = log_dir / f"install-{GLUE}-{stamp}.log"
        print(f"-- installing {GLUE} (log: {log})", flush=True)
        odoo_server.install_modules(args.odoo_args, args.db, GLUE, log)
        release(odoo, args.db)
    prepare_database(args, mode == "queue_job")
    odoo_args, extra = server_args(args, mode, log_dir)
    log = log_dir / f"server-{mode}-{stamp}.log"
    command = odoo_server.server_command(odoo_args, args.db, log, extra)
    print(f"-- {mode}: a server with {' '.join(extra)} (log: {log})", flush=True)
    release(odoo, args.db)
    server = odoo_server.start_server(command)
    watch = Watch(args.db)
    restart_round = rng.randrange(args.rounds) if args.pg_restart else None
    try:
        odoo_server.wait_until_serving(server, command, 300)
        for number in range(args.rounds):
            env = drill.environment(args.db)
            try:
                # the day of the server's scheduled action (its user's)
                today = odoo.fields.Date.context_today(env["res.users"])
            finally:
                env.cr.close()
            first_unpaid.update(add_round_customers(args, fixture_ids, today, rng))
            faults = choose_faults(mode, rng, number == restart_round)
            restart = drill.pg_restarter(args.pg_restart)
            late, struck = play_round(
                args, mode, server, watch, today, faults, restart, stats, rng
            )
            odoo.sql_db.close_all()
            found = drill.check(args.db, today, first_unpaid)
            found["late beyond the bound"] = int(late is None)
            stats[mode]["rounds"] += 1
            if late is not None:
                stats[mode]["max lateness"] = max(stats[mode]["max lateness"], late)
            totals[mode].update(found)
            if any(found.values()):
                stats[mode]["rounds with a violation"] += 1
                print(f"   {mode} round {number + 1}: {dict(found)}", flush=True)
            print(
                f"   {mode} round {number + 1}: {', '.join(struck) or 'no fault'} "
                f"struck; done "
                + (
                    f"{late:.0f} s after the last fault" if late is not None else "LATE"
                ),
                flush=True,
            )
    finally:
        watch.close()
        odoo_server.stop_server(server)
        odoo.sql_db.close_all()
    text = log.read_text(errors="replace")
    stats[mode]["dead jobs re-queued by the runner"] = text.count("Re-queued dead job")
    stats[mode]["cron calls given up by Odoo (timed out)"] = text.count(") timed out")


# ------------------------------------------------------------------ figures
def mode_figures(db, mode, since):
    """Merged invoices and groups billed since ``since``, groups failed, and
    of those invoices the ones sent and those whose sending failed."""
    env = drill.environment(db)
    try:
        cr = env.cr
        cr.execute(
            """SELECT count(*), count(DISTINCT subscription_group_id)
                 FROM account_move
                WHERE subscription_group_id IS NOT NULL
                  AND move_type = 'out_invoice' AND id > %s""",
            (since,),
        )
        invoices, groups = cr.fetchone()
        cr.execute(
            """SELECT count(*) FILTER (WHERE subscription_group_send_state = 'sent'),
                      count(*) FILTER (WHERE subscription_group_send_state = 'failed')
                 FROM account_move
                WHERE subscription_group_id IS NOT NULL AND id > %s""",
            (since,),
        )
        sent, send_failed = cr.fetchone()
        cr.execute(
            "SELECT count(*) FROM sale_subscription_group WHERE billing_error "
            "IS NOT NULL"
        )
        (failed,) = cr.fetchone()
        cr.execute("SELECT coalesce(max(id), 0) FROM account_move")
        (last,) = cr.fetchone()
        return invoices, groups, failed, sent, send_failed, last
    finally:
        env.cr.close()


FIGURES = (
    "rounds",
    "kill cron worker",
    "kill job worker",
    "drop connection",
    "PostgreSQL restart",
    "kill cron worker: no target in time",
    "kill job worker: no target in time",
    "drop connection: no target in time",
    "dead jobs re-queued by the runner",
    "cron calls given up by Odoo (timed out)",
)
CHECKS = (
    "duplicates",
    "missed",
    "coverage violations",
    "half-written",
    "late beyond the bound",
)


def print_figures(args, stats, totals, billed, seconds):
    modes = args.modes
    print(f"\n== fault drill on a real Odoo server ({args.bound} s bound)")
    print(f"  {'':44}" + "".join(f"{mode:>12}" for mode in modes))
    for label in FIGURES:
        if not any(stats[mode][label] for mode in modes) and ":" in label:
            continue
        print(f"  {label:44}" + "".join(f"{stats[m][label]:>12,}" for m in modes))
    for index, label in enumerate(
        (
            "merged invoices made",
            "groups billed",
            "groups with a recorded failure",
            "merged invoices sent",
            "merged invoices whose sending failed",
        )
    ):
        print(f"  {label:44}" + "".join(f"{billed[m][index]:>12,}" for m in modes))
    print(
        f"  {'max lateness after the last fault (s)':44}"
        + "".join(f"{stats[m]['max lateness']:>12.0f}" for m in modes)
    )
    for label in CHECKS:
        print(
            f"  {label + ' (must be 0)':44}"
            + "".join(f"{totals[m][label]:>12,}" for m in modes)
        )
    print(f"  {'time (s)':44}{seconds:>12.0f}")


# ------------------------------------------------------------------ main
def main(argv):
    args = parse_args(argv)
    rng = random.Random(args.seed)
    start = CLOCK.monotonic()
    odoo = drill.start_odoo(args.odoo_args)
    env = drill.environment(args.db)
    try:
        fixture = drill.build_fixture(env, args.batch_size)
        fixture_ids = {key: records.ids for key, records in fixture.items()}
        env.cr.commit()
    finally:
        env.cr.close()
    print(
        f"-- server drill: {args.rounds} rounds per mode ({', '.join(args.modes)}), "
        f"{args.customers} new customers a round, batches of {args.batch_size} "
        f"groups; seed {args.seed}",
        flush=True,
    )
    stats = {mode: Counter() for mode in args.modes}
    totals = {mode: Counter() for mode in args.modes}
    billed = {}
    first_unpaid = {}
    last = mode_figures(args.db, None, 0)[-1]
    for mode in args.modes:
        run_mode(args, odoo, mode, fixture_ids, first_unpaid, rng, stats, totals)
        *figures, last = mode_figures(args.db, mode, last)
        billed[mode] = figures
    print_figures(args, stats, totals, billed, CLOCK.monotonic() - start)
    rounds = sum(stats[mode]["rounds"] for mode in args.modes)
    failed = sum(stats[mode]["rounds with a violation"] for mode in args.modes)
    print(f"drill: {rounds - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
