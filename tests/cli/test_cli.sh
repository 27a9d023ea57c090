#!/bin/sh
# test_cli.sh - the sessiongw command line, run for real against a config,
# database, key file and audit log in a temporary directory.
#
#   SESSIONGW_BIN=build/sessiongw sh tests/cli/test_cli.sh
#
# Prints "ok N - what" / "not ok N - what" per check and ends with one line
# "N passed, N failed"; exits 1 if any check failed. Needs jq. Nothing here
# depends on timing: no daemon is started.

set -u

BIN=${SESSIONGW_BIN:-./sessiongw}
case $BIN in
/*) ;;
*) BIN=$(pwd)/$BIN ;;
esac
unset SESSIONGW_CONFIG

T=$(mktemp -d "${TMPDIR:-/tmp}/sessiongw-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

n=0
passed=0
failed=0

ok() {
	n=$((n + 1)); passed=$((passed + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	# Show what the binary said, as TAP-style comments.
	if [ -s "$T/err" ]; then sed -n '1,5s/^/#   stderr: /p' "$T/err"; fi
}

# check DESC COMMAND...: ok when COMMAND succeeds.
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# run ARGS...: run the binary with our config; sets rc, out in $T/out,
# stderr in $T/err. stdin is empty.
run() {
	"$BIN" -c "$CONF" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

# run_pw PASSWORD ARGS...: the same with PASSWORD on stdin.
run_pw() {
	pw=$1; shift
	printf '%s\n' "$pw" | "$BIN" -c "$CONF" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# expect WANT DESC: check the exit status of the last run.
expect() {
	if [ "$rc" -eq "$1" ]; then ok "$2"; else not_ok "$2 (exit $rc, want $1)"; fi
}

out_has() { grep -F -q -- "$1" "$T/out"; }
err_has() { grep -F -q -- "$1" "$T/err"; }
# "-rw-------" from ls -l, POSIX (stat -c is GNU only).
jqt() { jq -e "$@" >/dev/null 2>&1; }
mode_of() { ls -ld "$1" | cut -c1-10; }

# write_conf FILE [EXTRA LINES for [session]]
write_conf() {
	{
		echo "[server]"
		echo "listen = unix:$T/run/sessiongw.sock"
		echo "database = $T/db/sessiongw.db"
		echo "audit_log = $T/log/audit.log"
		echo "secret_key_file = $T/keys/secret.key"
		echo "[session]"
		echo "cookie_secure = true"
		shift
		for line in "$@"; do echo "$line"; done
	} >"$1"
}

mkdir -p "$T/run" "$T/db" "$T/log" "$T/keys" || exit 1
chmod 700 "$T/keys"
CONF=$T/sessiongw.conf
write_conf "$CONF"
KEY=$T/keys/secret.key
AUDIT=$T/log/audit.log

# --- help and version: no config needed -----------------------------------

"$BIN" --help >"$T/out" 2>"$T/err"; rc=$?
expect 0 "--help exits 0"
check "--help prints usage on stdout" out_has "usage:"
"$BIN" -h >"$T/out" 2>"$T/err"; rc=$?
expect 0 "-h exits 0"

for cmd in serve setup-session-security migrate check-config clearsessions \
    user sessions audit stats; do
	"$BIN" -c "$T/missing.conf" $cmd --help >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 0 ] && out_has "usage:" && out_has "$cmd"; then
		ok "$cmd --help works without a config file"
	else
		not_ok "$cmd --help works without a config file (exit $rc)"
	fi
done
"$BIN" -c "$T/missing.conf" user add -h >"$T/out" 2>"$T/err"; rc=$?
expect 0 "user add -h exits 0"

"$BIN" --version >"$T/out" 2>"$T/err"; rc=$?
expect 0 "--version exits 0"
check "--version prints 'sessiongw VERSION'" \
    grep -q '^sessiongw [0-9][0-9.]*' "$T/out"

run no-such-command
expect 2 "unknown command is a usage error"
check "unknown command is named on stderr" err_has "no-such-command"
"$BIN" >"$T/out" 2>"$T/err"; rc=$?
expect 2 "no command is a usage error"
run migrate --bogus
expect 2 "unknown option is a usage error"

# --- config errors ----------------------------------------------------------

BAD=$T/bad.conf
printf '[server]\ndatabase = %s\nbogus = 1\n' "$T/db/x.db" >"$BAD"
"$BIN" -c "$BAD" check-config >"$T/out" 2>"$T/err"; rc=$?
expect 2 "unknown key is a config error (exit 2)"
check "config error names file and line" err_has "$BAD:3"
check "config error names the key" err_has "bogus"
check "config error is one line" test "$(wc -l <"$T/err")" -eq 1
# what check-config prints must load back: values it would print as an
# inline comment, or as a line over inih's limit, are refused at load
printf '[session]\nallowed_origins = https://a.example,;x\n' >"$BAD"
"$BIN" -c "$BAD" check-config >"$T/out" 2>"$T/err"; rc=$?
expect 2 "a list item starting with ';' is a config error"
check "the ';' error names the key and the item" \
    err_has "allowed_origins = https://a.example,;x: item 2: a ';' at the start"
long=$(printf '/k%.0s' $(seq 1 42))
printf '[server]\nsecret_key_fallback_files=%s,%s\n' "$long" "$long" >"$BAD"
"$BIN" -c "$BAD" check-config >"$T/out" 2>"$T/err"; rc=$?
expect 2 "a list printed longer than the line limit is a config error"
check "the length error says printed length and limit" \
    err_has "the line is 198 characters, over the 197-character limit"
"$BIN" -c "$T/missing.conf" stats >"$T/out" 2>"$T/err"; rc=$?
expect 2 "missing config file is exit 2"
check "missing config file is named" err_has "$T/missing.conf"

run check-config
expect 0 "check-config exits 0"
check "check-config prints the effective values" out_has "$T/db/sessiongw.db"

# --- setup-session-security -----------------------------------------------

run setup-session-security
expect 0 "setup-session-security succeeds on a fresh host"
check "setup creates the key file" test -f "$KEY"
check "key file mode is 600" test "$(mode_of "$KEY")" = "-rw-------"
check "setup reports the key file it created" \
    out_has "ok   created secret key file $KEY"
check "setup prints ok lines" grep -q '^ok   ' "$T/out"
check "setup prints no FAIL line" sh -c "! grep -q '^FAIL' '$T/out'"
check "setup prints 'cleared 0 existing sessions'" \
    grep -qx 'cleared 0 existing sessions' "$T/out"
check "setup prints next steps" out_has "Next steps:"
check "next steps name the nginx snippet" \
    out_has "include /etc/nginx/snippets/sessiongw.conf;"
check "setup created the database" test -f "$T/db/sessiongw.db"

cp "$KEY" "$T/key.before"
run setup-session-security
expect 0 "setup-session-security is idempotent (second run exits 0)"
check "second run clears 0 sessions" \
    grep -qx 'cleared 0 existing sessions' "$T/out"
check "second run does not recreate the key" \
    sh -c "! grep -q 'created secret key file' '$T/out'"
check "second run keeps the key" cmp -s "$KEY" "$T/key.before"

run check-config
leak=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	if grep -F -q -i -- "$line" "$T/out" "$T/err"; then leak=1; fi
done <"$KEY"
check "check-config never prints key material" test $leak -eq 0

chmod 644 "$KEY"
run setup-session-security --keep-sessions
expect 1 "a 0644 key file makes setup exit 1"
check "a 0644 key file is a FAIL line" grep -q '^FAIL .*secret key file' "$T/out"
check "the FAIL says how to fix it" out_has "chmod 600 $KEY"
chmod 600 "$KEY"

cp "$KEY" "$T/key.before"
run setup-session-security --keep-sessions --rotate-key
expect 0 "setup --rotate-key exits 0"
check "rotation puts a new key on line 1" \
    test "$(head -n 1 "$KEY")" != "$(head -n 1 "$T/key.before")"
check "rotation keeps the old key on line 2" \
    test "$(sed -n 2p "$KEY")" = "$(head -n 1 "$T/key.before")"
check "rotated key file stays mode 600" test "$(mode_of "$KEY")" = "-rw-------"

INSECURE=$T/insecure.conf
write_conf "$INSECURE" "cookie_secure = false" "cookie_samesite = Lax"
sed 's/^cookie_secure = true$//' "$INSECURE" >"$INSECURE.tmp" &&
    mv "$INSECURE.tmp" "$INSECURE"
"$BIN" -c "$INSECURE" setup-session-security --keep-sessions \
    >"$T/out" 2>"$T/err"; rc=$?
expect 0 "cookie_secure = false is not a failure"
check "cookie_secure = false is a warn line" grep -q '^warn cookie_secure' "$T/out"

FWCOOKIE=$T/fwcookie.conf
write_conf "$FWCOOKIE" "cookie_name = sessionid"
"$BIN" -c "$FWCOOKIE" setup-session-security --keep-sessions \
    >"$T/out" 2>"$T/err"; rc=$?
expect 0 "a framework's cookie name is not a failure"
check "cookie_name = sessionid is a warn line naming Django" \
    grep -q "^warn cookie_name = sessionid is Django's session cookie" "$T/out"
"$BIN" -c "$FWCOOKIE" check-config >"$T/out" 2>"$T/err"; rc=$?
expect 0 "check-config with a framework's cookie name exits 0"
check "check-config warns about cookie_name = sessionid" \
    err_has "warn: cookie_name = sessionid is Django's"
sed 's/^cookie_name = sessionid$/cookie_name = PHPSESSID/' "$FWCOOKIE" \
    >"$FWCOOKIE.tmp" && mv "$FWCOOKIE.tmp" "$FWCOOKIE"
"$BIN" -c "$FWCOOKIE" check-config >"$T/out" 2>"$T/err"; rc=$?
check "check-config warns about cookie_name = PHPSESSID" \
    err_has "warn: cookie_name = PHPSESSID is PHP's"
run check-config
check "the default cookie_name (sessiongw) draws no warning" \
    sh -c "! grep -q 'warn' '$T/err'"
check "the default cookie_name is sessiongw" out_has "cookie_name = sessiongw"

NODIR=$T/nodir.conf
write_conf "$NODIR"
sed "s|^database = .*|database = $T/nonexistent/sessiongw.db|" "$NODIR" \
    >"$NODIR.tmp" && mv "$NODIR.tmp" "$NODIR"
"$BIN" -c "$NODIR" setup-session-security >"$T/out" 2>"$T/err"; rc=$?
expect 1 "a missing database directory makes setup exit 1"
check "missing database directory is a FAIL line" \
    grep -q '^FAIL database directory' "$T/out"

# --- migrate, clearsessions, stats ----------------------------------------

run migrate
expect 0 "migrate exits 0"
run migrate
expect 0 "migrate twice exits 0"
check "second migrate reports no change" \
    grep -q '^schema at version \([0-9][0-9]*\) (was \1)$' "$T/out"

run clearsessions
expect 0 "clearsessions exits 0"
check "clearsessions prints counts" \
    grep -qx 'deleted 0 expired sessions, 0 expired cache rows' "$T/out"

# --- users ----------------------------------------------------------------

run_pw 'correct horse battery' user add alice --admin --password-stdin
expect 0 "user add --admin --password-stdin"
run_pw 'another secret pw' user add bob --password-stdin
expect 0 "user add a second user"
run_pw 'x' user add alice --password-stdin
expect 1 "duplicate user add exits 1"
check "duplicate add says so" err_has "user alice already exists"
run_pw 'x' user add 'bad name!' --password-stdin
expect 2 "bad user name exits 2"
check "bad user name is named" err_has "bad name!"
long=$(printf 'a%.0s' $(seq 151))
run_pw 'x' user add "$long" --password-stdin
expect 2 "151-byte user name exits 2"
run_pw 'long enough pw' user add "${long%a}" --password-stdin
expect 0 "150-byte user name is accepted (Django's limit)"
run_pw 'long enough pw' user add 'dj.user+tag@example.com' --password-stdin
expect 0 "Django-style name with + @ . is accepted"
run_pw 'short-pw1' user add shorty --password-stdin
expect 1 "password under min_password_length exits 1"
check "short password names the setting" err_has "min_password_length"
run user list
check "refused short password created no user" sh -c "! grep -q ' shorty ' '$T/out'"
run user del "${long%a}"
run user del 'dj.user+tag@example.com'
run user add
expect 2 "user add without NAME exits 2"
run user frobnicate carol
expect 2 "unknown user subcommand exits 2"

run user list
expect 0 "user list exits 0"
check "user list shows alice as admin" \
    grep -q '^[0-9][0-9]* *alice *yes *no ' "$T/out"
check "user list shows bob" grep -q ' bob  *no  *no ' "$T/out"
check "user list shows RFC 3339 creation time" \
    grep -q 'alice.*[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z' "$T/out"
check "user list never shows a password hash" \
    sh -c "! grep -q 'argon2' '$T/out'"

run user lock bob
expect 0 "user lock"
run user list
check "locked user shows locked" grep -q ' bob  *no  *yes ' "$T/out"
run user unlock bob
expect 0 "user unlock"
run user list
check "unlocked user shows unlocked" grep -q ' bob  *no  *no ' "$T/out"
run_pw 'a new password' user passwd bob --password-stdin
expect 0 "user passwd --password-stdin"
check "user passwd reports revoked sessions" out_has "revoked 0 sessions"
run_pw 'short' user passwd bob --password-stdin
expect 1 "user passwd refuses a short password"
check "user passwd names the setting" err_has "min_password_length"
run user passwd nobody --password-stdin
expect 1 "user passwd of a missing user exits 1"
check "missing user is named" err_has "no such user nobody"
run user del bob
expect 0 "user del"
run user del bob
expect 1 "user del of a missing user exits 1"

# --- sessions -------------------------------------------------------------

run sessions list
expect 0 "sessions list exits 0"
check "sessions list prints a header" out_has "HANDLE"
run sessions list --user alice
expect 0 "sessions list --user exits 0"
run sessions list --user nobody
expect 1 "sessions list --user of a missing user exits 1"
run sessions revoke --all
expect 0 "sessions revoke --all exits 0"
check "sessions revoke prints the count" grep -qx 'revoked 0 sessions' "$T/out"
run sessions revoke --user alice
expect 0 "sessions revoke --user exits 0"
run sessions revoke xyz
expect 2 "a bad handle exits 2"
run sessions revoke
expect 2 "sessions revoke with no target exits 2"
run sessions revoke --all 0123456789ab
expect 2 "sessions revoke with two targets exits 2"
run sessions revoke 0123456789ab
expect 1 "revoking an unknown handle exits 1"

# --- stats ----------------------------------------------------------------

run stats
expect 0 "stats exits 0"
check "stats counts users" grep -qx 'users 1' "$T/out"
check "stats counts active sessions" grep -qx 'sessions_active 0' "$T/out"
check "stats shows the database size" grep -q '^database_bytes [1-9][0-9]*$' "$T/out"
run stats --json
expect 0 "stats --json exits 0"
check "stats --json is one JSON object" \
    jqt '.users == 1 and (.cache_hits | type) == "number"' "$T/out"

# --- with real session rows (seeded with the sqlite3 shell) ----------------

# seed HANDLE USER_ID EXPIRES_IN: one session row, as the daemon would write.
seed() {
	now=$(date +%s)
	sqlite3 "$T/db/sessiongw.db" "INSERT INTO sessions (hash, handle,
	    user_id, created_at, last_seen, expires_at, pw_changed_at,
	    request_count, ip, user_agent) VALUES (randomblob(32), '$1', $2,
	    $now - 100, $now - 10, $now + $3, 0, 1, '192.0.2.7',
	    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36')"
}

if command -v sqlite3 >/dev/null 2>&1; then
	run user list
	alice_id=$(awk '$2 == "alice" { print $1 }' "$T/out")
	seed 0123456789ab "$alice_id" 600
	seed abcdefabcdef "$alice_id" 600
	seed 00000000dead "$alice_id" -50
	run sessions list --user alice
	expect 0 "sessions list --user with sessions"
	check "sessions list shows handle, user and ip" \
	    grep -q '^0123456789ab  *alice .* 192\.0\.2\.7 ' "$T/out"
	check "sessions list truncates long user agents" out_has "..."
	run stats
	check "stats counts only live sessions" grep -qx 'sessions_active 2' "$T/out"
	run clearsessions
	check "clearsessions deletes the expired session" \
	    grep -qx 'deleted 1 expired sessions, 0 expired cache rows' "$T/out"
	run sessions revoke 0123456789AB
	expect 0 "sessions revoke HANDLE"
	check "revoking a handle revokes 1" grep -qx 'revoked 1 sessions' "$T/out"
	run sessions revoke 0123456789ab
	expect 1 "a revoked handle is gone"
	run_pw 'yet another password' user passwd alice --password-stdin
	check "user passwd revokes the user's sessions" out_has "revoked 1 sessions"
	seed 111111111111 "$alice_id" 600
	seed 222222222222 "$alice_id" 600
	run user lock alice
	check "user lock revokes the user's sessions" out_has "revoked 2 sessions"
	run user unlock alice
	seed 333333333333 "$alice_id" 600
	seed 444444444444 "$alice_id" 600
	run setup-session-security
	check "setup prints how many sessions it cleared" \
	    grep -qx 'cleared 2 existing sessions' "$T/out"
	seed 555555555555 "$alice_id" 600
	run sessions revoke --all
	check "sessions revoke --all counts" grep -qx 'revoked 1 sessions' "$T/out"
else
	echo "# sqlite3 shell not found: skipping the checks on seeded sessions"
fi

# --- audit ----------------------------------------------------------------

check "the audit log exists" test -s "$AUDIT"
leak=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	if grep -F -q -i -- "$line" "$AUDIT"; then leak=1; fi
done <"$KEY"
check "the audit log never holds key material" test $leak -eq 0
check "the audit log never holds a password" \
    sh -c "! grep -q -e 'correct horse' -e 'a new password' '$AUDIT'"

run audit --json
expect 0 "audit --json exits 0"
check "audit --json is JSON lines" jqt -s 'length > 0' "$T/out"
for ev in config_verified sessions_cleared key_rotated user_created \
    password_changed user_locked user_unlocked user_deleted \
    session_revoked cleanup; do
	check "audit has a $ev event" \
	    jqt -s "map(select(.event == \"$ev\")) | length > 0" "$T/out"
done
check "sessions_cleared carries the count" \
    jqt -s 'map(select(.event == "sessions_cleared")) | .[0].detail.count == 0' "$T/out"
check "key_rotated carries the number of keys" \
    jqt -s 'map(select(.event == "key_rotated")) | .[0].detail.keys == 2' "$T/out"
check "password_changed carries sessions_revoked" \
    jqt -s 'map(select(.event == "password_changed")) | .[0].detail.sessions_revoked == 0' "$T/out"
check "session_revoked from the CLI says so" \
    jqt -s 'map(select(.event == "session_revoked")) | .[0].detail.source == "cli"' "$T/out"

cp "$AUDIT" "$AUDIT.1"
: >"$T/empty.log"
"$BIN" -c "$CONF" audit --json --event user_created --file "$AUDIT.1" \
    >"$T/out" 2>"$T/err"; rc=$?
expect 0 "audit --file reads a rotated log"
check "audit --file finds the events of the rotated log" \
    jqt -s 'length == 4 and all(.event == "user_created")' "$T/out"
"$BIN" -c "$CONF" audit --json --event user_created --file - \
    <"$AUDIT.1" >"$T/out" 2>"$T/err"; rc=$?
expect 0 "audit --file - reads stdin"
check "audit --file - finds the same events" \
    jqt -s 'length == 4 and all(.event == "user_created")' "$T/out"
"$BIN" -c "$CONF" audit --json --file "$T/empty.log" >"$T/out" 2>"$T/err"; rc=$?
check "audit --file reads that file, not audit_log" test ! -s "$T/out"
run audit --json --event user_created
expect 0 "audit --event exits 0"
check "audit --event filters" \
    jqt -s 'length == 4 and all(.event == "user_created")' "$T/out"
run audit --json --event user_created,user_deleted --user bob
check "audit --event list and --user filter" \
    jqt -s 'length == 2 and all(.user == "bob")' "$T/out"
run audit --event no_such_event
expect 2 "audit --event with a bad name exits 2"
check "the bad event error lists valid events" err_has "login_success"
run audit --json --since 1h
expect 0 "audit --since 1h exits 0"
check "audit --since 1h sees the events just written" \
    jqt -s 'length > 0' "$T/out"
run audit --json --since 2000-01-01T00:00:00Z --until 2000-01-02T00:00:00.500Z
expect 0 "audit with an RFC 3339 range exits 0"
check "an old range shows nothing" test ! -s "$T/out"
run audit --since yesterday
expect 2 "audit --since with a bad time exits 2"
run audit
expect 0 "audit table exits 0"
check "audit table has a header" grep -q '^TS  *EVENT' "$T/out"
check "audit table shows events" out_has "user_created"

echo 'this is not json' >>"$AUDIT"
run audit --json
expect 0 "a malformed line does not stop audit"
check "malformed lines are counted in one warning" \
    test "$(grep -c 'malformed' "$T/err")" -eq 1

STDERRLOG=$T/stderrlog.conf
write_conf "$STDERRLOG"
sed 's|^audit_log = .*|audit_log = -|' "$STDERRLOG" >"$STDERRLOG.tmp" &&
    mv "$STDERRLOG.tmp" "$STDERRLOG"
"$BIN" -c "$STDERRLOG" audit >"$T/out" 2>"$T/err"; rc=$?
expect 2 "audit with audit_log = - exits 2"
check "audit with audit_log = - explains why" err_has "audit log is stderr"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
