#!/bin/sh
# tsan-run.sh [pytest args] - integration tests against a daemon built with
# ThreadSanitizer (make tsan builds it in build-tsan and runs this).
#
# TSan writes its reports to the daemon's stderr, which the harness keeps in
# daemon.log; conftest.py's Gateway.close fails the test when
# "ThreadSanitizer" appears there. halt_on_error=0 keeps the daemon running
# so one test sees every report, and exitcode=66 makes a CLI run with a
# report fail its test too. tests/tsan.supp lists library-only races.
#
# Default: the tests that run the most threads at once (the isolation
# stress, concurrent sessions and guesses, the crash loop, in-flight
# requests during a stop, fault paths, login and cache); pass
# tests/integration for the whole suite.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${SESSIONGW_BIN:=$ROOT/build-tsan/sessiongw}"
export SESSIONGW_BIN
TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 history_size=4 suppressions=$ROOT/tests/tsan.supp${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export TSAN_OPTIONS
[ $# -gt 0 ] || set -- tests/integration/test_isolation.py \
    tests/integration/test_concurrent_sessions.py \
    tests/integration/test_concurrent_guesses.py \
    tests/integration/test_crash_loop.py \
    tests/integration/test_lifecycle.py \
    tests/integration/test_faults.py \
    tests/integration/test_login.py \
    tests/integration/test_cache.py
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
