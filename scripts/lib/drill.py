"""The fault drill: run by scripts/drill (a script that prints figures, not a test).

It builds a book of grouped and ungrouped customers in a database of a
throwaway cluster, then plays rounds. Each round picks the next run date and
lets several worker processes bill it at once, as Odoo's cron runner does:
each worker calls the scheduled action ``sale.subscription.group._cron_bill``
and commits after each call (one batch of groups), then sends the merged
invoices the same way. While they work, the drill kills workers with SIGKILL
at random moments (in a batch, between batches, while sending) and starts new
ones; once in the drill it restarts PostgreSQL itself (immediate mode, like a
crash) under the workers' feet. When a round's workers are done, it checks
from the database alone:

* duplicates: a group with two customer invoices for one run date;
* missed: a group due on the round's date with neither its invoice nor a
  recorded billing failure;
* coverage: every subscription's service periods (invoice lines and pending
  charges) must tile its billable life, from its first unpaid day to its
  next invoice date, with no gap and no overlap (DESIGN's first invariant):
  an invoice without its advanced dates, or dates advanced without their
  invoice, shows here as an overlap or a gap;
* half-written: a merged invoice with no product line.

Between rounds an accountant (billing rights only) does to some of the
round's merged invoices what accountants do every day: cancels or deletes
the latest run's invoice (its run is put back and billed again by the next
round), resets a posted one to draft and posts it again, reverses one with a
credit note (its days waived) or with a credit note and a new draft. A
second company, with its own chart of accounts and income account, holds a
part of the book: the workers run in the main company, as OdooBot does.

The workers are forked from the drill's process once Odoo's registry is
loaded (every database connection closed first), so a new worker starts in
milliseconds and a round takes about a second.
"""

import argparse
import contextlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from freezegun import freeze_time

from subscription_grouping_core import Period, check_coverage

BOOK_START = date(2024, 1, 1)  # grouping is switched on that day
PHASES = ("starting", "in a batch", "between batches", "sending", "done")


# ------------------------------------------------------------------ arguments
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--pg-restart", default="", help="command restarting PG")
    parser.add_argument(
        "--mutant",
        action="store_true",
        help="workers commit each invoice before the dates it advances: a "
        "broken billing the drill must catch",
    )
    args, odoo_args = parser.parse_known_args(argv)
    args.odoo_args = odoo_args
    return args


def start_odoo(odoo_args):
    import odoo

    odoo.tools.config.parse_config([*odoo_args, "--log-level=critical"])
    return odoo


def environment(db):
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    cr = Registry(db).cursor()
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


# ------------------------------------------------------------------ the book
def build_book(db, customers, batch_size, rng):
    """The drill's book: its fixture, then ``customers`` customers whose
    grouping is switched on on BOOK_START. Returns the first unpaid day of
    each subscription, the grouped customers and the subscriptions made."""
    env = environment(db)
    try:
        fixture = build_fixture(env, batch_size)
        first_unpaid, grouped = add_customers(env, fixture, customers, BOOK_START, rng)
        env.cr.commit()
        return first_unpaid, grouped, len(first_unpaid)
    finally:
        env.cr.close()


def build_fixture(env, batch_size):
    """A second company with its own chart and income account, a product, an
    accountant with billing rights only, a pricelist, monthly and quarterly
    templates of each invoicing mode; groups of ``batch_size`` per call."""
    from odoo import Command

    company = env.company
    company_b = env["res.company"].create({"name": "Drill Company B"})
    env["account.chart.template"].try_loading(
        "generic_coa", company=company_b, install_demo=False
    )
    # one product for both companies, each booking it to its own income
    product = env["product.product"].create(
        {"name": "Drill Service", "type": "service", "taxes_id": [Command.clear()]}
    )
    for each in (company, company_b):
        income = env["account.account"].create(
            {
                "name": f"Drill Sales {each.name}",
                "code": "704100",
                "account_type": "income",
                "company_ids": [Command.set(each.ids)],
            }
        )
        product.with_company(each).property_account_income_id = income
    env["res.users"].create(
        {
            "name": "Drill Accountant",
            "login": "drill_accountant",
            "company_id": company.id,
            "company_ids": [Command.set((company | company_b).ids)],
            "groups_id": [Command.set([env.ref("account.group_account_invoice").id])],
        }
    )
    pricelist = env["product.pricelist"].create(
        {"name": "Drill", "currency_id": company.currency_id.id}
    )
    templates = env["sale.subscription.template"].create(
        [
            {
                "name": name,
                "recurring_interval": interval,
                "recurring_rule_type": "months",
                "invoicing_mode": mode,
            }
            for name, interval, mode in (
                ("Drill Monthly", 1, "draft"),
                ("Drill Monthly Posted", 1, "invoice"),
                ("Drill Monthly Sent", 1, "invoice_send"),
                ("Drill Quarterly", 3, "draft"),
            )
        ]
    )
    env["ir.config_parameter"].set_param(
        "subscription_grouping.bill_batch_size", str(batch_size)
    )
    return {
        "companies": company | company_b,
        "product": product,
        "pricelist": pricelist,
        "templates": templates,
    }


def add_customers(env, fixture, count, start, rng, spread=60):
    """``count`` customers with 1 to 4 subscriptions of mixed cadences, each
    starting within ``spread`` days of ``start``.

    Two customers in three are grouped on ``start``, each on its own billing
    day; a customer in four bills from the second company. Returns the first
    unpaid day of each new subscription and the number of grouped customers.
    """
    from odoo import Command

    company, company_b = fixture["companies"]
    templates = fixture["templates"]
    stage = env["sale.subscription.stage"].search(
        [("type", "=", "in_progress")], order="sequence", limit=1
    )
    first = env["res.partner"].search_count([("name", "=like", "Drill Customer %")])
    partners = env["res.partner"].create(
        [
            {
                "name": f"Drill Customer {index:03d}",
                "is_company": True,
                "property_product_pricelist": fixture["pricelist"].id,
            }
            for index in range(first, first + count)
        ]
    )
    vals_list, first_unpaid = [], []
    for partner in partners:
        template = templates[rng.randrange(len(templates))]
        sub_company = company_b if partner.id % 4 == 0 else company
        for _sub in range(rng.randint(1, 4)):
            next_date = start + timedelta(days=rng.randrange(0, spread))
            first_unpaid.append(next_date)
            vals_list.append(
                {
                    "company_id": sub_company.id,
                    "partner_id": partner.id,
                    "template_id": template.id,
                    "pricelist_id": fixture["pricelist"].id,
                    "date_start": next_date,
                    "recurring_next_date": next_date,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": fixture["product"].id,
                                "price_unit": rng.choice((9.99, 49.0, 100.0)),
                                "product_uom_qty": 1.0,
                            }
                        )
                    ],
                }
            )
    subscriptions = env["sale.subscription"].create(vals_list)
    with freeze_time(start):
        subscriptions.write({"stage_id": stage.id})
    for sub, next_date in zip(subscriptions, first_unpaid, strict=True):
        sub.recurring_next_date = next_date
    grouped = partners.filtered(lambda partner: partner.id % 3)
    both = env.context | {"allowed_company_ids": fixture["companies"].ids}
    with freeze_time(start):
        for partner in grouped.with_context(both):
            partner.write(
                {
                    "subscription_grouping": True,
                    "subscription_grouping_anchor_day": rng.choice((1, 15, 28)),
                }
            )
    return dict(zip(subscriptions.ids, first_unpaid, strict=True)), len(grouped)


# ------------------------------------------------------------------ workers
def commit_invoices_early(env):
    """The mutant: a billing that commits its invoices before the dates."""
    Group = type(env["sale.subscription.group"])
    create = Group._create_account_invoices

    def create_and_commit(self, vals_list):
        invoices = create(self, vals_list)
        self.env.cr.commit()
        time.sleep(0.05)  # a window for the kills
        return invoices

    Group._create_account_invoices = create_and_commit


def worker(db, run_date, phase, seed, mutant=False):
    """Bill ``run_date`` as the cron runner does: commit after each batch.

    Between two calls the runner commits and books its progress; the short
    pause stands for that. A worker whose connection breaks (PostgreSQL
    restarted) exits with status 3, and the drill starts another one.
    """
    from odoo import fields

    random.seed(seed)
    try:
        env = environment(db)
    except Exception:  # noqa: BLE001 - the database is restarting
        sys.exit(3)
    try:
        if mutant:
            commit_invoices_early(env)
        Group = env["sale.subscription.group"]
        Move = env["account.move"]
        today = fields.Date.context_today(Group)
        while True:
            phase.value = PHASES.index("in a batch")
            billed = Group._cron_bill(run_date)
            env.cr.commit()
            phase.value = PHASES.index("between batches")
            time.sleep(0.005)
            if billed:
                continue
            # Nothing taken: done, unless the groups left are locked by
            # another worker, or by a killed one whose transaction PostgreSQL
            # has not ended yet. The scheduled action then triggers itself a
            # little later; the worker comes back at once.
            if not Group.search_count(Group._get_bill_domain(run_date, today)):
                break
            time.sleep(0.05)
        while True:
            phase.value = PHASES.index("sending")
            sent = Move._cron_send_subscription_group_invoices()
            env.cr.commit()
            if not sent:
                break
        phase.value = PHASES.index("done")
    except Exception as error:  # noqa: BLE001 - reported, the worker is replaced
        # one write: workers print at once
        text = " ".join(f"{type(error).__name__}: {error}".split())
        os.write(1, f"   worker {os.getpid()}: {text}\n".encode())
        sys.exit(3)
    finally:
        with contextlib.suppress(Exception):
            env.cr.close()


def spawn(args, run_date, rng):
    phase = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(
        target=worker,
        args=(args.db, run_date, phase, rng.randrange(1 << 30), args.mutant),
    )
    process.start()
    return process, phase


def play_round(args, run_date, rng, stats, restart_pg):
    """Workers bill ``run_date`` at once; some are killed and replaced."""
    running = [spawn(args, run_date, rng) for _ in range(args.workers)]
    kills_left = rng.choice((0, 1, 1, 2, 3))
    deadline = time.monotonic() + 120
    while running:
        if time.monotonic() > deadline:
            raise RuntimeError(f"round {run_date}: workers still running after 120 s")
        time.sleep(rng.uniform(0.01, 0.3))
        if restart_pg:
            restart_pg()
            restart_pg = None
            stats["PostgreSQL restarts"] += 1
        alive = [(proc, phase) for proc, phase in running if proc.is_alive()]
        for proc, _phase in running:
            if not proc.is_alive():
                proc.join()
                if proc.exitcode:
                    stats["workers ended by an error (restarted)"] += 1
        if kills_left and alive:
            if kill_one(alive, rng.choice(PHASES[1:4]), stats):
                kills_left -= 1
        # every worker that did not finish its work is replaced
        running = [
            item if item[0].is_alive() else spawn(args, run_date, rng)
            for item in running
            if item[0].is_alive() or item[0].exitcode != 0
        ]


def kill_one(workers, wanted, stats, patience=0.5):
    """SIGKILL a worker, in the ``wanted`` phase if one gets there soon."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        in_phase = [item for item in workers if PHASES[item[1].value] == wanted]
        if in_phase:
            break
        time.sleep(0.001)
    else:
        in_phase = [item for item in workers if PHASES[item[1].value] != "done"]
    for proc, phase in in_phase[:1]:
        where = PHASES[phase.value]
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        stats["kills"] += 1
        stats[f"kills {where}"] += 1
        return True
    return False


# ------------------------------------------------------------------ the accountant
GESTURES = ("cancel", "delete", "reset and post", "credit note", "credit and redraft")


def accountant_gestures(db, run_date, rng, stats):
    """What an accountant does to a few merged invoices of the last month,
    with billing rights only, in the invoice's company."""
    from odoo.exceptions import UserError

    env = environment(db)
    try:
        accountant = env["res.users"].search([("login", "=", "drill_accountant")])
        # the runs of the last month: the latest ones are put back, earlier
        # ones refused
        invoices = env["account.move"].search(
            [
                ("subscription_group_run_date", "<=", run_date),
                ("subscription_group_run_date", ">", run_date - timedelta(days=31)),
                ("state", "!=", "cancel"),
                ("move_type", "=", "out_invoice"),
            ]
        )
        for invoice in rng.sample(list(invoices), min(len(invoices), 3)):
            gesture = rng.choice(GESTURES)
            move = invoice.with_user(accountant).with_company(invoice.company_id)
            try:
                with env.cr.savepoint():
                    if not accountant_gesture(env, move, gesture):
                        continue
            except UserError:
                stats["gestures refused"] += 1
                continue
            stats[f"gesture: {gesture}"] += 1
        env.cr.commit()
    finally:
        env.cr.close()


def accountant_gesture(env, move, gesture):
    """One gesture on ``move``; False when it does not apply to its state."""
    posted = move.state == "posted"
    if gesture == "cancel":
        move.button_cancel()
    elif gesture == "delete":
        if posted:
            return False
        move.unlink()
    elif gesture == "reset and post":
        if posted:
            move.button_draft()
        move.action_post()
    else:
        if not posted:
            move.action_post()
        wizard = (
            env["account.move.reversal"]
            .with_user(move.env.user)
            .with_context(
                active_model="account.move",
                active_ids=move.ids,
                allowed_company_ids=move.company_id.ids,
            )
            .create({"journal_id": move.journal_id.id, "date": move.invoice_date})
        )
        wizard.reverse_moves(is_modify=gesture == "credit and redraft")
        wizard.new_move_ids.filtered(
            lambda new: new.state == "draft" and new.move_type == "out_refund"
        ).action_post()
    return True


# ------------------------------------------------------------------ checks
def check(db, run_date, first_unpaid):
    """What the database says after a round: a Counter of violations."""
    env = environment(db)
    try:
        cr = env.cr
        found = Counter()
        cr.execute(
            """SELECT subscription_group_id, subscription_group_run_date
                 FROM account_move
                WHERE subscription_group_run_date IS NOT NULL
                  AND state != 'cancel' AND move_type = 'out_invoice'
             GROUP BY 1, 2 HAVING count(*) > 1"""
        )
        found["duplicates"] = len(cr.fetchall())
        cr.execute(
            """SELECT id FROM sale_subscription_group
                WHERE active AND next_run_date <= %s
                  AND billing_error IS NULL""",
            (run_date,),
        )
        found["missed"] = len(cr.fetchall())
        cr.execute(
            """SELECT m.id FROM account_move m
                WHERE m.subscription_group_id IS NOT NULL
                  AND m.move_type = 'out_invoice'
                  AND NOT EXISTS (
                      SELECT 1 FROM account_move_line l
                       WHERE l.move_id = m.id AND l.display_type = 'product')"""
        )
        found["half-written"] = len(cr.fetchall())
        found["coverage violations"] = coverage_violations(cr, first_unpaid)
        return found
    finally:
        env.cr.close()


def coverage_violations(cr, first_unpaid):
    """Subscriptions whose days are not each billed once on a live invoice
    (less its credit notes), pending, or settled by a recorded credit note."""
    billed = defaultdict(set)
    cr.execute(
        """SELECT l.subscription_id, l.move_id, l.start_date, l.end_date,
                  CASE WHEN m.move_type = 'out_refund' THEN -1 ELSE 1 END
             FROM account_move_line l JOIN account_move m ON m.id = l.move_id
            WHERE l.subscription_id IS NOT NULL AND l.display_type = 'product'
              AND m.state != 'cancel'"""
    )
    for sub, move, start, end, sign in cr.fetchall():
        billed[sub].add((f"move {move}", start, end, sign))
    cr.execute(
        """SELECT subscription_id, id, date_start, date_end
             FROM sale_subscription_group_charge WHERE state = 'pending'"""
    )
    for sub, charge, start, end in cr.fetchall():
        billed[sub].add((f"charge {charge}", start, end, 1))
    # a posted credit note of a merged invoice settles the days it credits,
    # unless a new draft bills them again
    cr.execute(
        """SELECT e.subscription_id, e.id, e.date_from, e.date_to
             FROM sale_subscription_group_event e
             JOIN account_move m ON m.id = e.invoice_id
            WHERE e.kind = 'credit' AND e.credit_kind IN ('waiver', 'partial')
              AND m.state = 'posted'"""
    )
    for sub, event, start, end in cr.fetchall():
        billed[sub].add((f"credit {event}", start, end, 1))
    cr.execute("SELECT id, recurring_next_date FROM sale_subscription")
    violations = 0
    for sub, paid_through in cr.fetchall():
        start = first_unpaid[sub]
        periods = [
            (Period(begin, end + timedelta(days=1)), sign)
            for _key, begin, end, sign in billed[sub]
        ]
        coverage = check_coverage(
            periods, Period(start, paid_through) if start < paid_through else None
        )
        violations += not coverage.exact
    return violations


# ------------------------------------------------------------------ main
def pg_restarter(command):
    if not command:
        return None

    def restart():
        subprocess.run(command, shell=True, check=True, capture_output=True)

    return restart


def main(argv):
    args = parse_args(argv)
    rng = random.Random(args.seed)
    start = time.monotonic()
    odoo = start_odoo(args.odoo_args)
    first_unpaid, grouped, subscriptions = build_book(
        args.db, args.customers, args.batch_size, rng
    )
    print(
        f"-- book: {args.customers} customers ({grouped} grouped), "
        f"{subscriptions} subscriptions; {args.workers} workers per round, "
        f"batches of {args.batch_size} groups; seed {args.seed}"
        + (" (MUTANT: invoices committed before their dates)" if args.mutant else ""),
        flush=True,
    )
    # workers are forked: no connection may cross the fork
    odoo.sql_db.close_all()
    multiprocessing.set_start_method("fork")
    stats = Counter()
    totals = Counter()
    restart_round = rng.randrange(args.rounds) if args.pg_restart else None
    run_date = BOOK_START
    for number in range(args.rounds):
        run_date += timedelta(days=rng.randint(3, 12))
        restart = pg_restarter(args.pg_restart) if number == restart_round else None
        play_round(args, run_date, rng, stats, restart)
        found = check(args.db, run_date, first_unpaid)
        accountant_gestures(args.db, run_date, rng, stats)
        odoo.sql_db.close_all()
        totals.update(found)
        stats["rounds"] += 1
        if any(found.values()):
            stats["rounds with a violation"] += 1
            print(f"   round {number + 1} ({run_date}): {dict(found)}", flush=True)
        if (number + 1) % 10 == 0:
            print(
                f"-- {number + 1} rounds, to {run_date}, {stats['kills']} kills, "
                f"{time.monotonic() - start:.0f} s",
                flush=True,
            )
    env = environment(args.db)
    try:
        invoices = env["account.move"].search_count(
            [("subscription_group_id", "!=", False)]
        )
        failed = env["sale.subscription.group"].search_count(
            [("billing_error", "!=", False)]
        )
        company_b = env["account.move"].search_count(
            [
                ("subscription_group_id", "!=", False),
                ("company_id.name", "=", "Drill Company B"),
            ]
        )
    finally:
        env.cr.close()
    print("\n== fault drill")
    for label in (
        "rounds",
        "kills",
        *(f"kills {where}" for where in PHASES[1:4]),
        "workers ended by an error (restarted)",
        "PostgreSQL restarts",
    ):
        print(f"  {label:42}{stats[label]:>8,}")
    print(f"  {'merged invoices made':42}{invoices:>8,}")
    print(f"  {'  of them in the second company':42}{company_b:>8,}")
    for label in (*(f"gesture: {gesture}" for gesture in GESTURES), "gestures refused"):
        print(f"  {label:42}{stats[label]:>8,}")
    print(f"  {'groups with a recorded billing failure':42}{failed:>8,}")
    for label in ("duplicates", "missed", "coverage violations", "half-written"):
        print(f"  {label + ' (must be 0)':42}{totals[label]:>8,}")
    print(f"  {'time (s)':42}{time.monotonic() - start:>8.0f}")
    # a round passes when it found nothing wrong
    failed_rounds = stats["rounds with a violation"]
    print(f"drill: {stats['rounds'] - failed_rounds} passed, {failed_rounds} failed")
    return 1 if failed_rounds else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
