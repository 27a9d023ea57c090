#!/bin/sh
# tests/browser/run.sh - sign-in pages in a real headless Chromium.
#
# Starts a real sessiongw ($SESSIONGW_BIN, default build/sessiongw) and a
# real nginx on a free 127.0.0.1 port, everything (config, key, SQLite
# database, audit log, socket, nginx prefix) in a fresh temp dir, creates
# two users, then runs signin.test.mjs with playwright-core driving Debian's
# /usr/bin/chromium. Stops both daemons by PID on exit. Exit status is the
# test's. Needs root for apt-get only when /usr/bin/chromium is missing.
#
#     sh tests/browser/run.sh            (or: make && sh tests/browser/run.sh)
#
# Env: SESSIONGW_BIN, BROWSER_KEEP=1 (keep the temp dir), CHROMIUM.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${SESSIONGW_BIN:-$ROOT/build/sessiongw}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
. "$ROOT/tests/template/render.sh"

[ -x "$BIN" ] || { echo "browser: no $BIN (run make first)" >&2; exit 2; }
command -v nginx >/dev/null 2>&1 || { echo "browser: nginx missing" >&2; exit 2; }
command -v node >/dev/null 2>&1 || { echo "browser: node missing" >&2; exit 2; }

if [ ! -x "$CHROMIUM" ]; then
	echo "browser: installing chromium (apt-get)" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q chromium >/dev/null
fi
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
	echo "browser: npm ci" >&2
	(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

TMP=$(mktemp -d /tmp/sessiongw-browser.XXXXXX)
# nginx workers run as nobody: they need to reach the socket and www/.
chmod 755 "$TMP"
SG_PID=
NGINX_PID=
TEST_RAN=
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null || true
	fi
	if [ -n "$SG_PID" ]; then
		kill "$SG_PID" 2>/dev/null || true
	fi
	for p in $NGINX_PID $SG_PID; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ] && [ -z "$TEST_RAN" ]; then
		echo "browser: logs kept in $TMP (sessiongw.log, audit.log, nginx/error.log)" >&2
	elif [ "$rc" -ne 0 ]; then
		: # keep everything; the test printed where, before its last line
	elif [ "${BROWSER_KEEP:-0}" = 1 ]; then
		echo "browser: temp dir kept: $TMP" >&2
	else
		# screenshots live in $SHOTS (tests/browser/artifacts); drop the rest
		rm -rf "$TMP/nginx" "$TMP/www" "$TMP"/sessiongw.* "$TMP/secret.key" \
		    "$TMP/audit.log" "$TMP/sessiongw.sock" "$TMP/setup.log"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')

# Screenshots where CI can keep them (gitignored).
SHOTS=${SHOT_DIR:-$HERE/artifacts}
rm -rf "$SHOTS"
mkdir -p "$TMP/www/app" "$TMP/nginx" "$SHOTS"
render "$ROOT/tests/template/sessiongw.conf.in" "$TMP/sessiongw.conf" \
    WRITER=tests/browser/run.sh LISTEN="unix:$TMP/sessiongw.sock" THREADS=4 \
    DATABASE="$TMP/sessiongw.db" AUDIT_LOG="$TMP/audit.log" \
    SECRET_KEY="$TMP/secret.key" SOCKET_MODE=0666 \
    SESSION='; plain http on loopback: the browser would drop a Secure cookie
cookie_secure = false
remember_age = 2592000' \
    UI='title = Acme & Co Portal'

echo "<!DOCTYPE html><title>app</title><h1 id=protected>Protected page</h1><p>only signed-in users see this</p>" \
    > "$TMP/www/app/index.html"

# shellcheck disable=SC2016  # the $ in LOCATIONS are nginx's variables
render "$ROOT/tests/template/nginx.conf.in" "$TMP/nginx/nginx.conf" \
    WRITER=tests/browser/run.sh NGINX_DIR="$TMP/nginx" DAEMON=off \
    ERROR_LOG_LEVEL=error WORKER_CONNECTIONS=256 \
    ACCESS_LOG="$TMP/nginx/access.log" SOCKET="$TMP/sessiongw.sock" \
    PORT="$PORT" WWW="$TMP/www" SNIPPET="$ROOT/conf/nginx/sessiongw.conf" \
    LOCATIONS='        location /app/ {
            auth_request /session/validate;
            auth_request_set $sg_cookie $upstream_http_set_cookie;
            add_header Set-Cookie $sg_cookie always;
            # as conf/nginx/example-site.conf: without it Chromium caches
            # /app/ heuristically and shows it again after sign-out
            add_header Cache-Control "private, no-store" always;
            try_files $uri $uri/index.html =404;
            error_page 401 = @login;
        }
        location @login { return 302 /session/login?rd=$request_uri; }'

cd "$TMP"
"$BIN" -c sessiongw.conf setup-session-security > setup.log 2>&1 ||
    { cat setup.log >&2; exit 2; }
printf '%s\n' 'alice-pass-1234' | "$BIN" -c sessiongw.conf user add alice --password-stdin >/dev/null
printf '%s\n' 'bob-pass-2345' | "$BIN" -c sessiongw.conf user add bob --password-stdin >/dev/null
printf '%s\n' 'carol-pass-3456' | "$BIN" -c sessiongw.conf user add carol --password-stdin >/dev/null

"$BIN" -c sessiongw.conf serve > sessiongw.log 2>&1 &
SG_PID=$!
i=0
while [ ! -S "$TMP/sessiongw.sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$SG_PID" 2>/dev/null; then
		echo "browser: sessiongw did not start" >&2; cat sessiongw.log >&2; exit 2
	fi
	sleep 0.1
done

nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
NGINX_PID=$!
URL=http://127.0.0.1:$PORT
i=0
until node -e 'fetch(process.argv[1]).then(()=>process.exit(0),()=>process.exit(1))' "$URL/session/healthz" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		echo "browser: nginx did not start" >&2; cat "$TMP/nginx/error.log" >&2; exit 2
	fi
	sleep 0.1
done

set +e
TEST_RAN=1
LOG_DIR=$TMP BASE_URL=$URL SHOT_DIR=$SHOTS CHROMIUM=$CHROMIUM \
    USER1=alice PASS1=alice-pass-1234 USER2=bob PASS2=bob-pass-2345 \
    UI_TITLE='Acme & Co Portal' \
    timeout 110 node "$HERE/signin.test.mjs"
rc=$?
LOG_DIR=$TMP BASE_URL=$URL SHOT_DIR=$SHOTS CHROMIUM=$CHROMIUM \
    USER2=bob PASS2=bob-pass-2345 USER3=carol PASS3=carol-pass-3456 \
    timeout 160 node "$HERE/mfa.test.mjs"
rc2=$?
[ $rc2 -eq 124 ] && echo "browser: mfa test timed out" >&2
[ $rc -eq 0 ] && rc=$rc2
set -e
[ $rc -eq 124 ] && echo "browser: test timed out" >&2
exit $rc
