/*
 * fuzz_audit_line.c - one line of the audit log as `sessiongw audit` reads
 * it (src/cli_audit.c handle_line: cJSON_ParseWithOpts, then
 * cli_rfc3339_parse on "ts", audit_event_from_name on "event", and
 * cli_printable for every field shown in the table).
 *
 * handle_line is static, so this harness takes the same steps through the
 * functions it calls (exposed in cli_common.h and audit.h). The log is
 * untrusted as far as the terminal goes. Invariants: a printable copy has
 * no control byte, fits its buffer and is NUL-terminated; an event number
 * is -1 or names that event; a timestamp is never before 1970.
 */
#include <stdbool.h>

#include <cJSON.h>

#include "audit.h"
#include "cli_common.h"
#include "fuzz.h"

FUZZ_NO_INITIALIZE

static void
check_printable(const char *s, size_t max)
{
	char	 out[80];

	memset(out, 'X', sizeof out);
	cli_printable(s, out, sizeof out, max);
	FUZZ_ASSERT(memchr(out, '\0', sizeof out) != NULL);
	for (const char *p = out; *p; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	if (max > 0)
		FUZZ_ASSERT(strlen(out) <= max);
}

static const char *
str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
fuzz_line(const char *line, size_t len)
{
	const char *end = NULL, *ts, *ev, *fields[] = { "user", "ip",
	    "session", "ua" };
	cJSON	*o, *detail;
	char	*dj;
	int64_t	 ms;
	int	 e;

	o = cJSON_ParseWithOpts(line, &end, 1);
	if (o == NULL || end != line + len || !cJSON_IsObject(o) ||
	    (ts = str_field(o, "ts")) == NULL ||
	    (ev = str_field(o, "event")) == NULL)
		goto out;
	if (cli_rfc3339_parse(ts, &ms) == 0)
		FUZZ_ASSERT(ms >= -14LL * 3600 * 1000);
	e = audit_event_from_name(ev);
	FUZZ_ASSERT(e == -1 || (e >= 0 && e < AUDIT__MAX &&
	    strcmp(audit_event_names[e], ev) == 0));
	check_printable(ts, 0);
	check_printable(ev, 20);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		check_printable(str_field(o, fields[i]), 16);
	detail = cJSON_GetObjectItemCaseSensitive(o, "detail");
	if (cJSON_IsObject(detail) &&
	    (dj = cJSON_PrintUnformatted(detail)) != NULL) {
		check_printable(dj, 0);
		cJSON_free(dj);
	}
out:
	cJSON_Delete(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	int64_t	 ms;

	if (fuzz_input_split(&in, data, size) != 0)
		return 0;
	fuzz_line(in.s, strlen(in.s));
	fuzz_line(in.a, strlen(in.a));
	(void)cli_rfc3339_parse(in.b, &ms);
	(void)cli_time_arg(in.b, 1700000000000LL, &ms);
	(void)audit_event_from_name(in.b);
	fuzz_input_free(&in);
	return 0;
}
