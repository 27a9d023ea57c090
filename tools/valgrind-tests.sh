#!/bin/sh
# Run integration tests with every sessiongw process (daemon and CLI) under
# valgrind memcheck. Any memcheck error or definite leak makes the process
# exit 99, which the tests see as a failure; the reports are printed.
# Usage: sh tools/valgrind-tests.sh [pytest args]   (default: a subset)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SESSIONGW_BIN:-$ROOT/build/sessiongw}
VG=$(mktemp -d "${TMPDIR:-/tmp}/sg-valgrind.XXXXXX")
trap 'rm -rf "$VG"' EXIT INT TERM
cat > "$VG/sessiongw" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --log-file=$VG/vg.%p.log "$BIN" "\$@"
WRAP
chmod +x "$VG/sessiongw"
[ $# -gt 0 ] || set -- tests/integration/test_login.py tests/integration/test_api.py
cd "$ROOT"
rc=0
SESSIONGW_BIN=$VG/sessiongw /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" || rc=$?
if cat "$VG"/vg.*.log 2>/dev/null | grep -q .; then
	echo "valgrind reports:"
	cat "$VG"/vg.*.log
	rc=1
fi
exit $rc
