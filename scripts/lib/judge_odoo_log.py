"""Judge an Odoo 18 test run from its log (used by scripts/test).

usage: judge_odoo_log.py LOG ODOO_RC DB_HOST DB_PORT DB_USER DB_NAME MODULES
                         [ALLOW_SKIP]

The run fails (exit 1) when Odoo exited non-zero; when Odoo's final test
report ("F failed, E error(s) of N tests when loading database ...") is
missing, counts failures or errors, or counts no test; when a test was skipped
(unless ALLOW_SKIP is 1: scripts/test's TOUR=skip); when one of the MODULES
(comma-separated) is not installed with its demo data afterwards; or when any
log record is at level WARNING, ERROR or CRITICAL (tests mute the warnings
they expect, so the install and the tests must log none). It prints the
offending records, then, as its last line (the tests of all the MODULES):

    odoo: N passed, N failed[, N skipped]

It runs with the Odoo environment's interpreter (for psycopg2) and imports
nothing of Odoo.
"""

import re
import sys

HEADER = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d+ \d+ (?P<level>[A-Z?]+) \S+ "
    r"(?P<logger>[^\s:]+): (?P<msg>.*)$"
)
RESULT = re.compile(
    r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests "
    r"when loading database"
)
BAD_LEVELS = {"WARNING", "ERROR", "CRITICAL"}
MAX_RECORD_LINES = 60


def read_records(path):
    """(header match, lines) per log record; tracebacks stay with their record."""
    records = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = raw.rstrip("\n")
            match = HEADER.match(line)
            if match:
                records.append((match, [line]))
            elif records:
                records[-1][1].append(line)
    return records


def summarize(records):
    """The final test report, the number of skipped tests, the bad records."""
    result, skipped, offending = None, 0, []
    for match, lines in records:
        level, logger, msg = match["level"], match["logger"], match["msg"]
        if logger == "odoo.tests.result" and RESULT.match(msg):
            result = RESULT.match(msg)
        elif (
            level == "INFO"
            and logger.startswith("odoo.addons.")
            and msg.startswith("skipped ")
        ):
            skipped += 1
        if level in BAD_LEVELS:
            offending.append(lines)
    return result, skipped, offending


def module_problems(host, port, user, dbname, modules):
    """Why each of ``modules`` is not installed with demo data, if so."""
    import psycopg2

    try:
        with psycopg2.connect(host=host, port=port, user=user, dbname=dbname) as conn:
            with conn.cursor() as cr:
                cr.execute(
                    "SELECT name, state, demo FROM ir_module_module"
                    " WHERE name = ANY(%s)",
                    (list(modules),),
                )
                rows = {name: (state, demo) for name, state, demo in cr.fetchall()}
    except psycopg2.Error as error:
        return [f"cannot read the modules' state in {dbname}: {error}".strip()]
    problems = []
    for module in modules:
        state, demo = rows.get(module, (None, None))
        if state is None:
            problems.append(f"module {module} is unknown to the database")
        elif state != "installed":
            problems.append(f"module {module} failed to install (state: {state})")
        elif not demo:
            problems.append(f"module {module} was installed without demo data")
    return problems


def report_problems(result, offending, modules, skipped, allow_skip):
    if result is None:
        return ["no final test report in the log: Odoo crashed or was stopped early"]
    problems = []
    failed, errors, run = (int(result[key]) for key in ("failed", "errors", "run"))
    if failed or errors:
        problems.append(f"{failed} test(s) failed and {errors} errored")
    if not run:
        problems.append(
            f"no test ran: do {' and '.join(f'{m}/tests/__init__.py' for m in modules)}"
            " import the test modules, and do the test tags match?"
        )
    if skipped and not allow_skip:
        problems.append(f"{skipped} test(s) skipped: a skipped test is not a pass")
    if offending:
        problems.append(
            f"{len(offending)} log record(s) at WARNING, ERROR or CRITICAL"
            " (the install and the tests must log none)"
        )
    return problems


def print_records(title, records):
    print(title)
    for lines in records:
        shown = lines[:MAX_RECORD_LINES]
        print("  " + "\n  ".join(shown))
        if len(lines) > len(shown):
            print(f"  ... ({len(lines) - len(shown)} more lines in the log)")


def main(log, odoo_rc, host, port, user, dbname, modules, allow_skip="0"):
    modules = [module for module in modules.split(",") if module]
    result, skipped, offending = summarize(read_records(log))
    problems = report_problems(result, offending, modules, skipped, allow_skip == "1")
    problems += module_problems(host, port, user, dbname, modules)
    if int(odoo_rc):
        problems.append(f"Odoo exited with status {odoo_rc}")

    if offending:
        print_records("odoo: offending log records:", offending)
    if result is None:
        with open(log, encoding="utf-8", errors="replace") as tail:
            print_records(
                "odoo: last lines of the log:", [tail.read().splitlines()[-40:]]
            )
    for problem in problems:
        print(f"odoo suite FAILED: {problem}")

    failed = run = 0
    if result is not None:
        failed = int(result["failed"]) + int(result["errors"])
        run = int(result["run"])
    closing = f"odoo: {max(run - failed - skipped, 0)} passed, {failed} failed"
    if skipped:
        closing += f", {skipped} skipped"
    print(closing)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:9]))
