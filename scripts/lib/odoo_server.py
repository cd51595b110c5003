"""Real Odoo servers for the scripts: install modules, start, wait, measure.

Shared by the benchmark (billing in a multi-worker server) and the fault
drill's server mode (a prefork server whose processes it kills). Each server
is an Odoo process of its own, started with the scripts' connection options.
"""

import contextlib
import os
import subprocess
import sys
import time
import types
from pathlib import Path

# The real clock, out of freezegun's reach (it swaps module attributes that
# are the real functions, not one held in an object).
CLOCK = types.SimpleNamespace(monotonic=time.monotonic)


def odoo_server_command():
    """How to start Odoo: its console script beside this interpreter when
    there is one (a prefork server starts its long-polling process with
    ``sys.argv[0]``, which ``-m odoo`` cannot re-run), else ``-m odoo``."""
    script = Path(sys.executable).with_name("odoo")
    if script.is_file():
        return [sys.executable, str(script), "server"]
    return [sys.executable, "-m", "odoo", "server"]


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def install_modules(odoo_args, db, modules, log):
    """Install ``modules`` (comma-separated) in ``db`` with an Odoo process of
    its own, logging to ``log``; raises if Odoo fails."""
    command = [
        *odoo_server_command(),
        *odoo_args,
        f"--database={db}",
        f"--init={modules}",
        "--stop-after-init",
        "--max-cron-threads=0",
        f"--http-port={free_port()}",
        f"--logfile={log}",
    ]
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)  # noqa: S603


def server_command(odoo_args, db, log, server_args):
    """The command of a server serving ``db`` alone on a free loopback port."""
    return [
        *odoo_server_command(),
        *odoo_args,
        f"--database={db}",
        f"--db-filter=^{db}$",
        "--http-interface=127.0.0.1",
        f"--http-port={free_port()}",
        f"--logfile={log}",
        "--log-level=info",
        *server_args,
    ]


def start_server(command, environ=None):
    """Start the server of ``command`` (see server_command)."""
    return subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.DEVNULL, env={**os.environ, **(environ or {})}
    )


def stop_server(server, timeout=60):
    """Stop gracefully (SIGINT, as Ctrl-C does), kill if it lingers."""
    import signal

    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_serving(server, command, timeout):
    """Wait for the server's HTTP port to answer (its workers are up)."""
    import urllib.request

    port = next(arg for arg in command if arg.startswith("--http-port=")).split("=")[1]
    deadline = CLOCK.monotonic() + timeout
    while CLOCK.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Odoo server stopped at once: {command}")
        with contextlib.suppress(OSError):
            url = f"http://127.0.0.1:{port}/web/health"
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback
                return
        time.sleep(0.5)
    raise RuntimeError("the Odoo server did not answer")


def resident_mib(process):
    """The largest resident memory among ``process`` (a psutil.Process) and
    its children."""
    sizes = []
    for proc in [process, *process.children(recursive=True)]:
        with contextlib.suppress(Exception):
            sizes.append(proc.memory_info().rss)
    return max(sizes, default=0) / 2**20
