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
# Default: the whole integration suite (about 4 minutes on the shared
# 2-core machine, 295 tests + the crash loop); pass test files to run fewer.
# Check that reports really reach daemon.log: TSAN_OPTIONS=verbosity=1
# makes TSan print its banner there, and every test then fails on it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${SESSIONGW_BIN:=$ROOT/build-tsan/sessiongw}"
export SESSIONGW_BIN
# A world-readable copy of the suppressions: test_install.py runs the
# daemon as an unprivileged user, who may not reach a checkout under a
# 0700 directory (mktemp -d), and TSan refuses to start without the file.
SUPP=$(mktemp "${TMPDIR:-/tmp}/sessiongw-tsan.XXXXXX") || exit 1
trap 'rm -f "$SUPP"' EXIT
cp tests/tsan.supp "$SUPP" && chmod 0644 "$SUPP" || exit 1
TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 history_size=4 suppressions=$SUPP${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export TSAN_OPTIONS
[ $# -gt 0 ] || set -- tests/integration
/usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"
