# tests/template/render.sh - the shell renderer of tests/template/*.in,
# sourced by tools/demo.sh, bench/run.sh and tests/browser/run.sh.
# tests/template/render.py is the same renderer for the Python harness;
# tests/integration/test_config_template.py renders with both and compares
# the files, so the two cannot drift. The rules, for both:
#
#   - A line starting with `##` is the template's own comment: not written.
#   - A line that is only `@NAME@` (blanks around allowed) is a block: it is
#     replaced by the value's lines as given (the caller indents them),
#     trailing newlines dropped; an empty or missing value writes nothing.
#   - `@NAME@` inside a line is replaced by the value, which must be given
#     and must be one line. A value is never scanned again.
#   - A value given for a name the template does not have is an error, so
#     a misspelt name fails instead of being silently dropped.
#   NAME is [A-Z][A-Z0-9_]*; nginx's `@login` never matches.
#
#     . "$ROOT/tests/template/render.sh"
#     render TEMPLATE OUT NAME=VALUE ...
#
# Exit status 0, or 1 with a message on stderr and no OUT. POSIX sh + awk
# (the values travel to awk in the environment, as SGT_NAME).

# shellcheck disable=SC2016  # an awk program: its $ are awk's
_RENDER_AWK='
BEGIN {
	n = split(ENVIRON["SGT_NAMES"], names, " ")
	for (i = 1; i <= n; i++) given[names[i]] = 1
}
function fail(msg) {
	printf "render: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	bad = 1
	exit 1
}
/^##/ { next }
/^[ \t]*@[A-Z][A-Z0-9_]*@[ \t]*$/ {
	name = $0
	gsub(/[ \t@]/, "", name)
	used[name] = 1
	if (name in given) {
		v = ENVIRON["SGT_" name]
		sub(/\n+$/, "", v)
		if (v != "") print v
	}
	next
}
{
	out = ""
	line = $0
	while (match(line, /@[A-Z][A-Z0-9_]*@/)) {
		name = substr(line, RSTART + 1, RLENGTH - 2)
		if (!(name in given)) fail("no value for @" name "@")
		v = ENVIRON["SGT_" name]
		if (index(v, "\n")) fail("@" name "@ is inline: its value must be one line")
		used[name] = 1
		out = out substr(line, 1, RSTART - 1) v
		line = substr(line, RSTART + RLENGTH)
	}
	print out line
}
END {
	if (bad) exit 1
	for (name in given)
		if (!(name in used)) {
			printf "render: %s: no @%s@ in the template\n", FILENAME, name > "/dev/stderr"
			exit 1
		}
}
'

render() {	# render TEMPLATE OUT [NAME=VALUE ...]
	_rt=$1 _ro=$2
	shift 2
	_rn=
	_ri=$#
	# Turn each NAME=VALUE into SGT_NAME=VALUE for env, in place.
	while [ "$_ri" -gt 0 ]; do
		case $1 in
		[A-Z]*=*) ;;
		*) echo "render: $1: not NAME=VALUE" >&2; return 1 ;;
		esac
		case ${1%%=*} in
		*[!A-Z0-9_]*) echo "render: bad name ${1%%=*}" >&2; return 1 ;;
		esac
		_rn="$_rn ${1%%=*}"
		set -- "$@" "SGT_$1"
		shift
		_ri=$((_ri - 1))
	done
	env SGT_NAMES="$_rn" "$@" awk "$_RENDER_AWK" "$_rt" >"$_ro" ||
	    { rm -f "$_ro"; return 1; }
}
