#!/bin/sh
# The quick start: run sessiongw behind a real nginx on 127.0.0.1:8080 with
# everything (config, key, SQLite database, audit log, sockets) in ./demo/,
# create a demo user and show a login, a validation and a protected page
# with curl. Stop it with `make demo-stop`.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$ROOT/demo
BIN=$ROOT/build/sessiongw
PORT=${DEMO_PORT:-8080}
USER_NAME=demo
USER_PASS=demo-password-1

[ -x "$BIN" ] || { echo "demo: build first (make)" >&2; exit 1; }
. "$ROOT/tests/template/render.sh"
sh "$ROOT/tools/demo-stop.sh" >/dev/null 2>&1 || true
mkdir -p "$DEMO/www/app" "$DEMO/nginx"

render "$ROOT/tests/template/sessiongw.conf.in" "$DEMO/sessiongw.conf" \
    WRITER="demo configuration (tools/demo.sh), everything under $DEMO" \
    LISTEN="unix:$DEMO/sessiongw.sock" THREADS=4 \
    DATABASE="$DEMO/sessiongw.db" AUDIT_LOG="$DEMO/audit.log" \
    SECRET_KEY="$DEMO/secret.key" \
    SOCKET_MODE=0666 \
    SESSION='; plain http on loopback: the browser would drop a Secure cookie
cookie_secure = false'
# socket_mode 0666: nginx workers may run as another user on loopback

echo "<h1>Protected page</h1><p>only signed-in users see this</p>" \
    > "$DEMO/www/app/index.html"

# shellcheck disable=SC2016  # the $ in LOCATIONS are nginx's variables
render "$ROOT/tests/template/nginx.conf.in" "$DEMO/nginx/nginx.conf" \
    WRITER=tools/demo.sh NGINX_DIR="$DEMO/nginx" DAEMON=on \
    ERROR_LOG_LEVEL=error WORKER_CONNECTIONS=256 \
    ACCESS_LOG="$DEMO/nginx/access.log" SOCKET="$DEMO/sessiongw.sock" \
    PORT="$PORT" WWW="$DEMO/www" SNIPPET="$ROOT/conf/nginx/sessiongw.conf" \
    LOCATIONS='        location /app/ {
            auth_request /session/validate;
            auth_request_set $sg_cookie $upstream_http_set_cookie;
            add_header Set-Cookie $sg_cookie always;
            auth_request_set $sg_user $upstream_http_x_session_user;
            add_header X-Session-User $sg_user;
            # per-user content: no browser or proxy may cache it
            add_header Cache-Control "private, no-store" always;
            try_files $uri $uri/index.html =404;
            error_page 401 = @login;
        }
        location @login { return 302 /session/login?rd=$request_uri; }'

cd "$DEMO"
"$BIN" -c sessiongw.conf setup-session-security | sed 's/^/  /'
if ! "$BIN" -c sessiongw.conf user list | grep -q " $USER_NAME "; then
	echo "$USER_PASS" | "$BIN" -c sessiongw.conf user add "$USER_NAME" \
	    --admin --password-stdin
fi
nohup "$BIN" -c sessiongw.conf serve >> "$DEMO/sessiongw.log" 2>&1 &
echo $! > "$DEMO/sessiongw.pid"
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -S "$DEMO/sessiongw.sock" ] && break
	sleep 0.2
done
nginx -p "$DEMO/nginx" -c "$DEMO/nginx/nginx.conf"

URL=http://127.0.0.1:$PORT
echo
echo "== sessiongw is running behind nginx on $URL"
echo "== without a session, the protected page sends the browser to sign in (302):"
echo "\$ curl -s -o /dev/null -w '%{http_code}' $URL/app/"
curl -s -o /dev/null -w '%{http_code}\n' "$URL/app/"
echo "== log in (JSON):"
echo "\$ curl -s -c jar -H 'Content-Type: application/json' -d '{\"username\":\"$USER_NAME\",\"password\":\"...\"}' $URL/session/login"
curl -s -c "$DEMO/cookies.txt" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASS\"}" \
    "$URL/session/login"
echo "== validate, as nginx auth_request does:"
curl -s -b "$DEMO/cookies.txt" -o /dev/null -D - "$URL/session/validate" |
    grep -i -E '^(HTTP|X-Session)'
echo "== the protected page with the cookie:"
curl -s -b "$DEMO/cookies.txt" "$URL/app/"
echo "== the audit log ($DEMO/audit.log):"
tail -n 3 "$DEMO/audit.log"
echo
echo "Open $URL/app/ in a browser (user $USER_NAME, password $USER_PASS)."
echo "Stop with: make demo-stop"
