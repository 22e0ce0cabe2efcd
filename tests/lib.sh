# lib.sh - what the shell test suites share; source it with
#   . "$(dirname "$0")/../lib.sh"
# Checks print "ok - WHAT" or "not ok - WHAT" (with "#   " diagnostic
# lines); tests_done prints the suite's last line, "tests: N passed, N
# failed", and sets the status; finish does the same and exits.
# tests/, found while the suite is still in the folder it was started from.
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
# not_ok WHAT [DIAGNOSTIC...]
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1"
    shift
    for d in "$@"; do
        printf '%s\n' "$d" | sed 's/^/#   /' | head -n 20
    done
}
notok() { not_ok "$@"; }
# check WHAT 'SHELL CONDITION': one check, passed when it holds.
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
tests_done() {
    echo "tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
finish() {
    tests_done || exit 1
    exit 0
}

# workspace: a temporary folder $T for the suite, removed at exit together
# with the servers it started ($SPID, and each pid in $PIDS); KEEP=1 keeps
# the folder to look at afterwards.
SPID=""
PIDS=""
cleanup() {
    for p in $SPID $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
workspace() {
    T=$(mktemp -d)
    trap cleanup EXIT INT TERM
}

# A loopback port nobody listens on (tests/free-port says how it is chosen).
free_port() { python3 "$tests_dir/free-port"; }
# reload_wait PID LOG: SIGHUP to the server PID, then wait (10 s at most:
# a reload reads the thesaurus again, slow under the sanitizers) for one
# more reload line in its log LOG.
reload_wait() {
    _before=$(grep -c 'configuration and keys reloaded' "$2")
    kill -HUP "$1"
    _i=0
    while [ $_i -lt 100 ]; do
        [ "$(grep -c 'configuration and keys reloaded' "$2")" -gt "$_before" ] &&
            return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}
# wait_up PORT: until the server there answers /healthz (5 s at most).
wait_up() {
    i=0
    while [ $i -lt 50 ]; do
        curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
