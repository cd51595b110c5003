# shellcheck shell=bash
# The project's own Odoo 18.0 environment (scripts/test, scripts/demo,
# scripts/benchmark). Source this file; it defines functions only.
#
#   odoo_env_ensure REPO_ROOT
#       Makes sure the virtualenv $ODOO_ENV_DIR (default REPO_ROOT/.venv-odoo)
#       holds Odoo 18.0 Community installed from $ODOO_SOURCE, Odoo's pinned
#       requirements, the OCA addons and test tools of requirements-odoo.txt
#       and the planning core; then sets ODOO_PYTHON to its interpreter.
#       Nothing is reinstalled while the stamp (sha256 of the source archive,
#       of the requirement files and of this file, and the Python version)
#       is unchanged: a second call returns within a second.
#
# Two knobs, for scripts/check-wheels (an integrator's environment, built
# beside .venv-odoo in a folder of its own); .venv-odoo is built without them:
#   ODOO_ENV_ODOO_ONLY=1     Odoo and its pinned requirements only: not
#                            requirements-odoo.txt (no OCA addon, no core)
#   ODOO_ENV_PSYCOPG2=source psycopg2 as Odoo's requirements.txt pins it, built
#                            from source (needs pg_config: Debian libpq-dev),
#                            instead of psycopg2-binary; the distribution odoo
#                            requires psycopg2, so that pip's resolver and
#                            `pip check` find it satisfied
#
# ODOO_SOURCE: a local archive (.tar.xz, .tar.gz, .zip), a local source folder
# (holding setup.py and odoo/release.py), or an http(s) URL of an archive.
# Default: the newest ../shared/odoo/odoo-18.0-*.tar.* beside the repository
# when there is one (machines without internet), else Odoo's official 18.0
# nightly source archive, ODOO_OFFICIAL_URL.
#
# How Odoo's requirements.txt is installed, so that a Debian machine with only
# Python and PostgreSQL's server binaries succeeds:
# - psycopg2 from the binary wheel of the same version (psycopg2-binary):
#   the source build needs libpq's headers and pg_config (unless
#   ODOO_ENV_PSYCOPG2=source);
# - python-ldap is left out: only the auth_ldap addon imports it, and it
#   builds from source only (LDAP and SASL headers);
# - cbor2 5.4.2 has no wheel: it is built without build isolation, with
#   setuptools<81 and setuptools_scm present, as its setup.py requires;
# - everything else from wheels where one exists (--prefer-binary);
# - setuptools stays from 75 to below 80.9: its pkg_resources is still there
#   (and knows normalized distribution names) for the
#   pinned gevent (Odoo's long-polling process imports it through
#   gevent.events) and still warns with the DeprecationWarning that Odoo
#   ignores; 80.9 and 80.10 turn that into a UserWarning, which Babel's
#   extractor would log and which fails the Odoo suite, and 81 removes
#   pkg_resources, which breaks gevent.

ODOO_OFFICIAL_URL="https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
ODOO_ENV_STAMP_VERSION=1

odoo_env__log() { echo "== odoo env: $*"; }
odoo_env__die() { echo "odoo env: $*" >&2; return 1; }

# The default ODOO_SOURCE: the shared archive if present, else the URL.
odoo_env__default_source() {
    local repo="$1" archive
    archive="$(printf '%s\n' "$repo"/../shared/odoo/odoo-18.0-*.tar.* 2>/dev/null |
        grep -v '\*' | sort -V | tail -n 1)" || true
    if [[ -n "$archive" && -f "$archive" ]]; then
        (cd "$(dirname "$archive")" && echo "$(pwd)/$(basename "$archive")")
    else
        echo "$ODOO_OFFICIAL_URL"
    fi
}

# Prints what identifies the source: a file's sha256, a folder's path, or the
# URL itself (a "latest" URL is not fetched again while the environment
# exists: remove the environment's folder to take a newer nightly).
odoo_env__source_id() {
    local source="$1"
    if [[ -f "$source" ]]; then
        sha256sum "$source" | cut -d' ' -f1
    elif [[ -d "$source" ]]; then
        echo "dir:$(cd "$source" && pwd)"
    else
        echo "url:$source"
    fi
}

# The stamp: everything whose change requires a reinstall.
odoo_env__stamp() {
    local repo="$1" source_id="$2" py="$3"
    {
        echo "stamp-version $ODOO_ENV_STAMP_VERSION"
        echo "python $("$py" -c 'import sys; print(sys.version.split()[0])')"
        echo "source $source_id"
        echo "options odoo-only=${ODOO_ENV_ODOO_ONLY:-0} psycopg2=${ODOO_ENV_PSYCOPG2:-binary}"
        (cd "$repo" && sha256sum requirements-odoo.txt pyproject.toml scripts/lib/odoo_env.sh)
    }
}

# Unpacks (or downloads then unpacks) ODOO_SOURCE into $1; prints nothing.
odoo_env__unpack() {
    local source="$1" dest="$2"
    local archive="$source"
    rm -rf "$dest" && mkdir -p "$dest" || return 1
    if [[ -d "$source" ]]; then
        cp -a "$source/." "$dest/" || return 1
        return 0
    fi
    if [[ ! -f "$source" ]]; then
        archive="$dest.download"
        odoo_env__log "downloading $source"
        "$ODOO_ENV_BOOT_PY" - "$source" "$archive" <<'PY' || return 1
import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=600) as response, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(response, out)
PY
    fi
    odoo_env__log "unpacking $(basename "$source")"
    case "$archive" in
        *.zip) "$ODOO_ENV_BOOT_PY" -m zipfile -e "$archive" "$dest" || return 1 ;;
        *) tar -xf "$archive" -C "$dest" || return 1 ;;
    esac
    [[ "$archive" == "$dest.download" ]] && rm -f "$archive"
    # Official archives hold one top folder (odoo-18.0.post2025...): lift it.
    if [[ ! -f "$dest/setup.py" ]]; then
        local top
        top="$(find "$dest" -mindepth 2 -maxdepth 2 -name setup.py -printf '%h\n' | head -n 1)"
        [[ -n "$top" ]] || odoo_env__die "no setup.py in $source" || return 1
        mv "$top" "$dest.lift" && rm -rf "$dest" && mv "$dest.lift" "$dest" || return 1
    fi
}

# Odoo's requirements.txt, rewritten as the header says, to stdout.
odoo_env__requirements() {
    local rules=(-e '/^(python-ldap|cbor2)[=<> ;]/d')
    if [[ "${ODOO_ENV_PSYCOPG2:-binary}" == binary ]]; then
        rules+=(-e 's/^psycopg2==/psycopg2-binary==/')
    fi
    sed -E "${rules[@]}" "$1"
}

# Installs what the packages of the environment still miss, one level at a
# time, without resolving the odoo distribution's own requirements again
# (pip would then build psycopg2 from source beside psycopg2-binary): an OCA
# addon names its sister addons as odoo-addon-* distributions, taken at 18.0.
odoo_env__dependencies() {
    local py="$1" log="$2" round missing
    for round in 1 2 3 4 5 6; do
        missing="$("$py" -m pip check 2>/dev/null |
            sed -nE 's/^.* requires ([^ ,]+), which is not installed\.$/\1/p' |
            grep -vix 'psycopg2' | sort -u |
            sed -E 's/^(odoo-addon-.*)$/\1==18.0.*/')" || true
        [[ -n "$missing" ]] || return 0
        odoo_env__log "dependencies, round $round: $(echo "$missing" | tr '\n' ' ')"
        # shellcheck disable=SC2086  # one requirement per word
        proc_logged "$log" "$py" -m pip install -q --disable-pip-version-check --no-deps \
            --prefer-binary $missing || return 1
    done
    odoo_env__die "dependencies still missing after 6 rounds: $missing"
}

odoo_env_ensure() {
    local repo="$1"
    local env_dir="${ODOO_ENV_DIR:-$repo/.venv-odoo}"
    case "${ODOO_ENV_PSYCOPG2:-binary}" in
        binary) ;;
        source)
            command -v pg_config >/dev/null ||
                odoo_env__die "ODOO_ENV_PSYCOPG2=source builds psycopg2: it needs pg_config" \
                    "(Debian: libpq-dev)" || return 1
            ;;
        *) odoo_env__die "ODOO_ENV_PSYCOPG2 is binary or source, not $ODOO_ENV_PSYCOPG2" || return 1 ;;
    esac
    local source="${ODOO_SOURCE:-$(odoo_env__default_source "$repo")}"
    ODOO_ENV_BOOT_PY="${PYTHON:-python3}"
    local py="$env_dir/bin/python"
    local pip=("$py" -m pip --disable-pip-version-check)

    local source_id stamp
    source_id="$(odoo_env__source_id "$source")" || return 1
    if [[ -x "$py" ]]; then
        stamp="$(odoo_env__stamp "$repo" "$source_id" "$py")" || return 1
        if [[ -f "$env_dir/.stamp" && "$(cat "$env_dir/.stamp")" == "$stamp" ]] &&
            "$py" -c 'import odoo.release' 2>/dev/null; then
            ODOO_PYTHON="$py"
            odoo_env__log "reusing $env_dir (stamp unchanged)"
            return 0
        fi
    fi

    local start=$SECONDS
    odoo_env__log "building $env_dir from $source (a few minutes, once)"
    command -v "$ODOO_ENV_BOOT_PY" >/dev/null ||
        odoo_env__die "no $ODOO_ENV_BOOT_PY: install Python 3.10+ (or set PYTHON)" || return 1
    "$ODOO_ENV_BOOT_PY" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null ||
        odoo_env__die "$ODOO_ENV_BOOT_PY must be Python 3.10+ with venv and ensurepip (Debian: python3-venv)" ||
        return 1
    # pip and the builds are verbose (setuptools' warnings by the thousand in
    # the editable install of Odoo): their output goes to the log, shown only
    # when a step fails
    local log="${ODOO_ENV_LOG:-$repo/.tmp/odoo-env.log}"
    mkdir -p "$(dirname "$log")" && : >"$log" || return 1
    odoo_env__log "the build's full output: $log"
    rm -rf "$env_dir"
    proc_logged "$log" "$ODOO_ENV_BOOT_PY" -m venv "$env_dir" || return 1
    proc_logged "$log" "${pip[@]}" install -q --upgrade pip || return 1

    odoo_env__unpack "$source" "$env_dir/src/odoo" || return 1
    local src="$env_dir/src/odoo"
    [[ -f "$src/odoo/release.py" && -f "$src/requirements.txt" ]] ||
        odoo_env__die "$source is not an Odoo source tree (no odoo/release.py)" || return 1
    "$py" - "$src/odoo/release.py" <<'PY' || odoo_env__die "$source is not Odoo 18.0" || return 1
import sys
scope = {}
exec(open(sys.argv[1], "rb").read(), scope)
sys.exit(scope["version_info"][0] != 18)
PY
    odoo_env__log "build tools (setuptools<80.9, setuptools_scm for cbor2)"
    proc_logged "$log" "${pip[@]}" install -q "setuptools>=75,<80.9" setuptools_scm wheel ||
        return 1
    odoo_env__log "cbor2, built without isolation"
    grep -E '^cbor2[=<> ;]' "$src/requirements.txt" >"$env_dir/requirements-cbor2.txt" ||
        return 1
    proc_logged "$log" "${pip[@]}" install -q --no-build-isolation \
        -r "$env_dir/requirements-cbor2.txt" || return 1
    odoo_env__log "Odoo's pinned requirements (binary wheels preferred)"
    odoo_env__requirements "$src/requirements.txt" >"$env_dir/requirements-odoo.txt" ||
        return 1
    proc_logged "$log" "${pip[@]}" install -q --prefer-binary \
        -r "$env_dir/requirements-odoo.txt" || return 1
    odoo_env__log "Odoo $(basename "$source") (editable, compat mode)"
    proc_logged "$log" "${pip[@]}" install -q --no-deps --no-build-isolation \
        --config-settings editable_mode=compat -e "$src" || return 1
    if [[ "${ODOO_ENV_ODOO_ONLY:-0}" != 1 ]]; then
        odoo_env__log "requirements-odoo.txt (OCA addons, test tools, the core)"
        # -e . in the requirements file is relative to the working directory
        # (no subshell for the cd: the traps must see the child of proc_run)
        local here="$PWD" rc=0
        cd "$repo" || return 1
        proc_logged "$log" "${pip[@]}" install -q --no-deps --prefer-binary \
            -r requirements-odoo.txt || rc=$?
        cd "$here" || return 1
        [[ $rc -eq 0 ]] || return 1
        odoo_env__dependencies "$py" "$log" || return 1
    fi
    # what the packages above pulled in must not move setuptools on
    proc_logged "$log" "${pip[@]}" install -q "setuptools>=75,<80.9" || return 1
    # gevent's plugins resolve their requirements through pkg_resources, which
    # must know normalized names (zope.interface): an old one does not
    "$py" -W error::UserWarning -c 'from gevent import monkey; monkey.patch_all()
import pkg_resources' || odoo_env__die "pkg_resources warns or gevent cannot load" ||
        return 1
    local problems
    problems="$("${pip[@]}" check | grep -v 'requires psycopg2, which is not installed')" || true
    [[ -z "$problems" ]] || odoo_env__log "pip check: $(echo "$problems" | tr '\n' ' ')"

    "$py" -c 'import odoo.release as r, sys; sys.exit(r.version_info[0] != 18)' ||
        odoo_env__die "the environment does not import Odoo 18" || return 1
    odoo_env__stamp "$repo" "$source_id" "$py" >"$env_dir/.stamp" || return 1
    ODOO_PYTHON="$py"
    odoo_env__log "ready in $((SECONDS - start))s: $py"
}
