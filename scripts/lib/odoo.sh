# shellcheck shell=bash
# shellcheck disable=SC2034  # ODOO_* variables are set for the callers
# Finding, installing and driving the Odoo 18 that scripts/test, scripts/demo,
# scripts/benchmark and scripts/i18n-export run. Source this file.
#
#   odoo_setup REPO_ROOT
#       Sets ODOO_PYTHON and ODOO_CMD. By default the project's own
#       environment, REPO_ROOT/.venv-odoo, built once from ODOO_SOURCE by
#       odoo_env_ensure (scripts/lib/odoo_env.sh). When ODOO_PYTHON names an
#       interpreter, that Odoo is used instead (it must import Odoo 18, or
#       this fails), and requirements-odoo.txt is pip installed into it
#       (ODOO_PIP_INSTALL=0 skips that).
#   odoo_addons_path REPO_ROOT
#       Prints the --addons-path value: the repo root first, then every folder
#       of odoo.addons.__path__ holding modules (Odoo's own addons and the
#       OCA wheels installed in site-packages/odoo/addons).
#   odoo_command
#       Sets the array ODOO_CMD to run the Odoo server with ODOO_PYTHON.
#   odoo_free_port
#       Prints a free TCP port on 127.0.0.1.

# shellcheck source-path=SCRIPTDIR source=proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"
# shellcheck source-path=SCRIPTDIR source=odoo_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

odoo_setup() {
    local repo="$1"
    if [[ -z "${ODOO_PYTHON:-}" ]]; then
        odoo_env_ensure "$repo" || return 1
    else
        local cand="$ODOO_PYTHON"
        [[ "$cand" == */* ]] || cand="$(command -v "$cand" 2>/dev/null || true)"
        if [[ -z "$cand" || ! -x "$cand" ]]; then
            echo "ERROR: ODOO_PYTHON=$ODOO_PYTHON is not an executable interpreter" >&2
            return 1
        fi
        if ! "$cand" -c 'import sys, odoo.release as r; sys.exit(r.version_info[0] != 18)' \
            >/dev/null 2>&1; then
            echo "ERROR: ODOO_PYTHON=$ODOO_PYTHON cannot import Odoo 18 (unset it to use" \
                "the project's own environment)" >&2
            return 1
        fi
        ODOO_PYTHON="$cand"
        if [[ "${ODOO_PIP_INSTALL:-1}" != 0 ]]; then
            local log="$repo/.tmp/odoo-pip.log" here="$PWD" rc=0
            mkdir -p "$repo/.tmp" && : >"$log" || return 1
            echo "== odoo: pip install -r requirements-odoo.txt into $ODOO_PYTHON's" \
                "environment (log: $log)"
            # -e . in the requirements file is relative to the working directory
            cd "$repo" || return 1
            PIP_DISABLE_PIP_VERSION_CHECK=1 proc_logged "$log" \
                "$ODOO_PYTHON" -m pip install -q -r requirements-odoo.txt || rc=$?
            cd "$here" || return 1
            [[ $rc -eq 0 ]] || return 1
        fi
    fi
    odoo_command
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
