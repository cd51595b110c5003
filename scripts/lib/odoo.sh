# shellcheck shell=bash
# shellcheck disable=SC2034  # ODOO_* variables are set for the callers
# Finding and driving an Odoo 18 that lives OUTSIDE this project (scripts/test,
# scripts/demo). Nothing here builds or fetches Odoo: it only uses one that a
# python interpreter can already import. Source this file.
#
#   odoo_find_python
#       Sets ODOO_PYTHON to an interpreter that imports Odoo 18. Returns
#       0 found; 1 nothing found by auto-detection; 2 ODOO_PYTHON is set but
#       unusable (a misconfiguration: the caller must fail, not skip).
#       Order: $ODOO_PYTHON if set (trusted only if it really imports Odoo
#       18); else `python3` on PATH, then /opt/*/venv/bin/python3 and
#       /opt/*/bin/python3. ODOO_SEARCH=none disables the auto-detection
#       (to simulate a machine without Odoo).
#   odoo_pip_install REPO_ROOT
#       Installs requirements-odoo.txt into that interpreter's environment
#       (ODOO_PIP_INSTALL=0 skips it).
#   odoo_addons_path REPO_ROOT
#       Prints the --addons-path value: the repo root first, then every folder
#       of odoo.addons.__path__ holding modules (Odoo's own addons and the
#       OCA wheels installed in site-packages/odoo/addons).
#   odoo_command
#       Sets the array ODOO_CMD to run the Odoo server with ODOO_PYTHON.
#   odoo_free_port
#       Prints a free TCP port on 127.0.0.1.

ODOO_NOT_FOUND_HELP="set ODOO_PYTHON to a python that can import odoo 18.0"

# Exit status 0 if "$1" imports Odoo with major version 18.
odoo__is_18() {
    "$1" -c 'import sys, odoo.release as r; sys.exit(0 if r.version_info[0] == 18 else 3)' \
        >/dev/null 2>&1
}

odoo_find_python() {
    local cand
    if [[ -n "${ODOO_PYTHON:-}" ]]; then
        cand="$ODOO_PYTHON"
        if [[ "$cand" != */* ]]; then
            cand="$(command -v "$cand" 2>/dev/null || true)"
        fi
        if [[ -z "$cand" || ! -x "$cand" ]]; then
            echo "ERROR: ODOO_PYTHON=$ODOO_PYTHON is not an executable interpreter" >&2
            return 2
        fi
        if ! odoo__is_18 "$cand"; then
            echo "ERROR: ODOO_PYTHON=$ODOO_PYTHON cannot import Odoo 18:" >&2
            "$cand" -c 'import odoo.release as r; print("  it imports odoo", r.version, "from", r.__file__)' 2>&1 |
                tail -n 3 | sed 's/^/  /' >&2 || true
            return 2
        fi
        ODOO_PYTHON="$cand"
        return 0
    fi
    if [[ "${ODOO_SEARCH:-auto}" == none ]]; then
        return 1
    fi
    local candidates=()
    cand="$(command -v python3 2>/dev/null || true)"
    [[ -n "$cand" ]] && candidates+=("$cand")
    for cand in /opt/*/venv/bin/python3 /opt/*/bin/python3; do
        [[ -x "$cand" ]] && candidates+=("$cand")
    done
    for cand in "${candidates[@]}"; do
        if odoo__is_18 "$cand"; then
            ODOO_PYTHON="$cand"
            return 0
        fi
    done
    return 1
}

odoo_pip_install() {
    local repo="$1"
    if [[ "${ODOO_PIP_INSTALL:-1}" == 0 ]]; then
        return 0
    fi
    # -e . in the requirements file is relative to the working directory.
    (cd "$repo" && PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$ODOO_PYTHON" -m pip install -q -r requirements-odoo.txt)
}

odoo_addons_path() {
    "$ODOO_PYTHON" - "$1" <<'PY'
import os
import sys

import odoo.addons

paths = [os.path.abspath(sys.argv[1])]
for path in odoo.addons.__path__:
    path = os.path.abspath(path)
    if path in paths or not os.path.isdir(path):
        continue
    if any(
        os.path.isfile(os.path.join(path, name, "__manifest__.py"))
        for name in os.listdir(path)
    ):
        paths.append(path)
print(",".join(paths))
PY
}

odoo_command() {
    if "$ODOO_PYTHON" -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("odoo.__main__") else 1)' 2>/dev/null; then
        ODOO_CMD=("$ODOO_PYTHON" -m odoo server)
    elif [[ -f "$(dirname "$ODOO_PYTHON")/odoo" ]]; then
        ODOO_CMD=("$ODOO_PYTHON" "$(dirname "$ODOO_PYTHON")/odoo" server)
    else
        echo "ERROR: cannot run Odoo with $ODOO_PYTHON (no odoo/__main__.py, no odoo script beside it)" >&2
        return 1
    fi
}

odoo_free_port() {
    "$ODOO_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
