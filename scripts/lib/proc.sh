# shellcheck shell=bash
# Long-running children (Odoo, pytest, pip) that stop with the script, on
# Ctrl-C as on SIGTERM. Source this file; it defines functions only.
#
#   proc_traps
#       Installs the INT and TERM traps: the running child is stopped, then
#       the script exits with 130 or 143 (its EXIT trap cleans up after).
#       Without them, a SIGTERM to the script would wait for the child to end
#       on its own: bash runs a trap only once its foreground child is done.
#   proc_run CMD [ARGS...]
#       Runs CMD (a program, not a shell function) and returns its status. Once proc_traps is installed, CMD
#       runs in a session of its own (so that a Ctrl-C reaches the script,
#       which stops it, rather than reaching both at once) while the script
#       waits for it interruptibly. Redirections of the call apply to CMD.
#   proc_logged LOG CMD [ARGS...]
#       proc_run with CMD's output appended to LOG, for what a person need not
#       read (pip's warnings, an install's log): on failure the last 40 lines
#       of LOG and its path go to stderr.
#   proc_stop_child
#       Stops the child of proc_run, if any: SIGTERM to it (Odoo then shuts
#       down cleanly), up to PROC_STOP_TIMEOUT seconds (default 60), then
#       SIGTERM and finally SIGKILL to what is left of its session (a browser
#       started by the tests, say).

PROC_CHILD=
PROC_TRAPPED=

proc_stop_child() {
    local pid="$PROC_CHILD" i
    [[ -n "$pid" ]] || return 0
    PROC_CHILD=
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < ${PROC_STOP_TIMEOUT:-60} * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # the child led its own session: its process group holds what it started
    kill -TERM -- "-$pid" 2>/dev/null && sleep 1
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 0
}

proc_traps() {
    PROC_TRAPPED=1
    trap 'proc_stop_child; exit 130' INT
    trap 'proc_stop_child; exit 143' TERM
}

proc_run() {
    if [[ -z "$PROC_TRAPPED" ]] || ! command -v setsid >/dev/null; then
        "$@"
        return
    fi
    local rc=0
    # not a process group leader (no job control), setsid runs CMD itself: $!
    # is CMD's pid and its session's id
    setsid "$@" &
    PROC_CHILD=$!
    wait "$PROC_CHILD" || rc=$?
    PROC_CHILD=
    return "$rc"
}

proc_logged() {
    local log="$1" rc=0
    shift
    proc_run "$@" >>"$log" 2>&1 </dev/null || rc=$?
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$log" >&2
        echo "failed (exit $rc): $* (full log: $log)" >&2
    fi
    return "$rc"
}
