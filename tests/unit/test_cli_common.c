/*
 * test_cli_common.c - the pure helpers of the command line: user names,
 * --since/--until times, and the display sanitizer.
 */
#include <stdint.h>

#include "cli_common.h"
#include "unit.h"

#define A10	"aaaaaaaaaa"
#define A150	A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10

UNIT_TEST(cli_username_valid_table)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ .name = "alice", .ok = true },
		{ .name = "a", .ok = true },
		{ .name = "Bob.Smith_2@example-corp", .ok = true },
		{ .name = "dj.user+tag@example.com", .ok = true },
		{ .name = A150, .ok = true },	/* Django's limit */
		{ .name = A150 "a", .ok = false },	/* 151 bytes */
		{ .name = "a b", .ok = false },
		{ .name = "a%b", .ok = false },
		{ .name = "a:b", .ok = false },
		{ .name = "", .ok = false },
		{ .name = "bad name", .ok = false },
		{ .name = "a/b", .ok = false },
		{ .name = "caf\xc3\xa9", .ok = false },
		{ .name = "x\n", .ok = false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_INT(cli_username_valid(cases[i].name), cases[i].ok);
}

UNIT_TEST(cli_rfc3339_table)
{
	static const struct { const char *s; int rc; int64_t ms; } cases[] = {
		{ .s = "2026-11-28T21:00:00Z", .ms = 1795899600000LL },
		{ .s = "2026-11-28T21:00:00.123Z", .ms = 1795899600123LL },
		{ .s = "2026-11-28T21:00:00.1Z", .ms = 1795899600100LL },
		{ .s = "2026-11-28T21:00:00.123456Z", .ms = 1795899600123LL },
		{ .s = "2026-11-28T22:00:00+01:00", .ms = 1795899600000LL },
		{ .s = "2026-11-28T20:30:00-00:30", .ms = 1795899600000LL },
		{ .s = "2026-11-28", .ms = 1795824000000LL },
		{ .s = "1970-01-01T00:00:00Z", .ms = 0 },
		{ .s = "2026-02-30T00:00:00Z", .rc = -1 },
		{ .s = "2026-13-01T00:00:00Z", .rc = -1 },
		{ .s = "2026-11-28T24:00:00Z", .rc = -1 },
		{ .s = "2026-11-28T21:00:00", .rc = -1 },
		{ .s = "2026-11-28T21:00:00.Z", .rc = -1 },
		{ .s = "2026-11-28T21:00:00Zjunk", .rc = -1 },
		{ .s = "26-11-28", .rc = -1 },
		{ .s = "", .rc = -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -1;
		CHECK_INT(cli_rfc3339_parse(cases[i].s, &ms), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK_INT(ms, cases[i].ms);
	}
}

UNIT_TEST(cli_time_arg_durations)
{
	const int64_t now = 1795899600000LL;
	int64_t	 ms;

	CHECK_INT(cli_time_arg("90s", now, &ms), 0);
	CHECK_INT(ms, now - 90000);
	CHECK_INT(cli_time_arg("15m", now, &ms), 0);
	CHECK_INT(ms, now - 900000);
	CHECK_INT(cli_time_arg("2h", now, &ms), 0);
	CHECK_INT(ms, now - 7200000);
	CHECK_INT(cli_time_arg("7d", now, &ms), 0);
	CHECK_INT(ms, now - 604800000LL);
	CHECK_INT(cli_time_arg("2026-11-28T21:00:00Z", now, &ms), 0);
	CHECK_INT(ms, 1795899600000LL);
	CHECK_INT(cli_time_arg("15", now, &ms), -1);
	CHECK_INT(cli_time_arg("h", now, &ms), -1);
	CHECK_INT(cli_time_arg("-5m", now, &ms), -1);
	CHECK_INT(cli_time_arg("1.5h", now, &ms), -1);
	CHECK_INT(cli_time_arg("5w", now, &ms), -1);
	CHECK_INT(cli_time_arg("99999999999999999999d", now, &ms), -1);
	CHECK_INT(cli_time_arg("yesterday", now, &ms), -1);
}

UNIT_TEST(cli_printable_sanitizes_and_cuts)
{
	char	 out[16];

	cli_printable("plain", out, sizeof out, 0);
	CHECK_STR(out, "plain");
	cli_printable("a\x1b[31mb\x7f", out, sizeof out, 0);
	CHECK_STR(out, "a?[31mb?");
	cli_printable("abcdefghij", out, sizeof out, 8);
	CHECK_STR(out, "abcde...");
	/* The cut never splits a UTF-8 sequence (é is 2 bytes). */
	cli_printable("abcd\xc3\xa9xyz", out, sizeof out, 8);
	CHECK_STR(out, "abcd...");
	/* Bounded by the buffer even without max. */
	cli_printable("0123456789abcdefghijklmnop", out, sizeof out, 0);
	CHECK_INT((long long)strlen(out), 15);
	CHECK_STR(out, "0123456789ab...");
	cli_printable(NULL, out, sizeof out, 0);
	CHECK_STR(out, "");
}
