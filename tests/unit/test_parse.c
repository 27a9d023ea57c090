/*
 * test_parse.c - table-driven tests of the input validators (parse.h).
 */
#include <limits.h>
#include <stdlib.h>

#include "parse.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- cookie */

/* All values of name in header joined with '|'. */
static void
cookie_all(const char *header, const char *name, char *out, size_t outsz)
{
	size_t pos = 0, len, o = 0;
	const char *v;
	int n = 0;

	out[0] = '\0';
	while (cookie_next(header, name, &pos, &v, &len) == 1) {
		int w = snprintf(out + o, outsz - o, "%s%.*s", n++ ? "|" : "",
		    (int)len, v);
		if (w < 0 || (size_t)w >= outsz - o)
			break;
		o += (size_t)w;
	}
}

UNIT_TEST(cookie_next_table)
{
	static const struct {
		const char *header, *name, *want;
	} t[] = {
		{ "sessionid=abc", "sessionid", "abc" },
		{ "a=1; b=2", "b", "2" },
		{ "a=1;b=2;c=3", "b", "2" },
		{ "a=1 ;  b = 2 ; c=3", "b", "2" },
		{ "sessionid=one; x=y; sessionid=two; sessionid=three",
		  "sessionid", "one|two|three" },
		{ "sessionid2=no; sessionid=yes; xsessionid=no; sessionid=",
		  "sessionid", "yes|" },
		{ "sessionid2=no; session=no", "sessionid", "" },
		{ "session=no", "sessionid", "" },
		{ "sessionid=\"quoted\"", "sessionid", "quoted" },
		{ "sessionid=\"\"", "sessionid", "" },
		{ "sessionid=\"", "sessionid", "\"" },
		{ "sessionid=\"a", "sessionid", "\"a" },
		{ "sessionid", "sessionid", "" },
		{ "sessionid; sessionid=v", "sessionid", "v" },
		{ "sessionid=a=b", "sessionid", "a=b" },
		{ "SessionID=x", "sessionid", "" },
		{ "", "sessionid", "" },
		{ ";;; ;", "sessionid", "" },
		{ "\tsessionid=tab\t", "sessionid", "tab" },
		{ "sessionid= spaced value ", "sessionid", "spaced value" },
		{ "a=1;", "a", "1" },
		{ "=x; a=2", "a", "2" },
		{ "=x", "", "" },
	};
	char got[256];

	for (size_t i = 0; i < NELEM(t); i++) {
		cookie_all(t[i].header, t[i].name, got, sizeof(got));
		if (strcmp(got, t[i].want) != 0)
			printf("  case %zu: %s\n", i, t[i].header);
		CHECK_STR(got, t[i].want);
	}
}

UNIT_TEST(cookie_next_edges)
{
	size_t pos = 0, len = 9;
	const char *v = NULL;

	CHECK_INT(cookie_next(NULL, "a", &pos, &v, &len), 0);
	CHECK_INT(cookie_next("a=1", NULL, &pos, &v, &len), 0);
	/* An empty value is still a value: the caller sees TOKEN_EMPTY. */
	pos = 0;
	CHECK_INT(cookie_next("a=", "a", &pos, &v, &len), 1);
	CHECK_INT(len, 0);
	CHECK_INT(cookie_next("a=", "a", &pos, &v, &len), 0);
	CHECK_INT(cookie_next("a=", "a", &pos, &v, &len), 0);
}

/* ------------------------------------------------------------------ form */

UNIT_TEST(percent_decode_table)
{
	static const struct {
		const char *in;
		bool plus;
		int rc;
		const char *want;
	} t[] = {
		{ "", false, 0, "" },
		{ "abc", false, 0, "abc" },
		{ "a%20b", false, 0, "a b" },
		{ "a+b", true, 0, "a b" },
		{ "a+b", false, 0, "a+b" },
		{ "%2B", true, 0, "+" },
		{ "%e2%82%AC", false, 0, "\xe2\x82\xac" },
		{ "%2f%2F", false, 0, "//" },
		{ "%252F", false, 0, "%2F" },
		{ "%", false, -1, "" },
		{ "%2", false, -1, "" },
		{ "a%", false, -1, "" },
		{ "%zz", false, -1, "" },
		{ "%0g", false, -1, "" },
		{ "%g0", false, -1, "" },
		{ "%00", false, -1, "" },
		{ "a%00b", true, -1, "" },
		{ "% 20", false, -1, "" },
		{ "%+20", true, -1, "" },
		{ "%-1", false, -1, "" },
	};
	char out[64];

	for (size_t i = 0; i < NELEM(t); i++) {
		int rc = percent_decode(t[i].in, strlen(t[i].in), out,
		    sizeof(out), t[i].plus);
		CHECK_INT(rc, t[i].rc);
		CHECK_STR(out, t[i].want);
	}
	CHECK_INT(percent_decode("abcd", 4, out, 4, false), -1);
	CHECK_INT(percent_decode("abc", 3, out, 4, false), 0);
	CHECK_INT(percent_decode("%41%42%43", 9, out, 4, false), 0);
	CHECK_STR(out, "ABC");
	CHECK_INT(percent_decode("a", 1, out, 0, false), -1);
	/* The length bounds the input, not a NUL. */
	CHECK_INT(percent_decode("ab%4", 2, out, sizeof(out), false), 0);
	CHECK_STR(out, "ab");
	CHECK_INT(percent_decode("ab%4", 4, out, sizeof(out), false), -1);
}

UNIT_TEST(form_get_table)
{
	static const struct {
		const char *body, *name;
		int rc;
		const char *want;
	} t[] = {
		{ "username=alice&password=pw", "username", 1, "alice" },
		{ "username=alice&password=pw", "password", 1, "pw" },
		{ "username=alice", "password", 0, "" },
		{ "", "username", 0, "" },
		{ "a=1&a=2", "a", 1, "1" },
		{ "a=&a=2", "a", 1, "" },
		{ "a", "a", 1, "" },
		{ "ab=1&a=2", "a", 1, "2" },
		{ "b=1&&&a=2&", "a", 1, "2" },
		{ "user%6Eame=bob", "username", 1, "bob" },
		{ "user+name=x&username=y", "user name", 1, "x" },
		{ "a=x+y%2Bz", "a", 1, "x y+z" },
		{ "a=%C3%A9", "a", 1, "\xc3\xa9" },
		{ "a=1=2", "a", 1, "1=2" },
		{ "=1&a=2", "a", 1, "2" },
		{ "A=1", "a", 0, "" },
		{ "a=%", "a", -1, "" },
		{ "a=%00", "a", -1, "" },
		{ "a=%4", "a", -1, "" },
		{ "a=%zz", "a", -1, "" },
		{ "x%zz=1&a=2", "a", -1, "" },
		{ "a%00=1", "a", -1, "" },
		{ "a=1&b=%zz", "a", 1, "1" },
	};
	char out[32];

	for (size_t i = 0; i < NELEM(t); i++) {
		int rc = form_get(t[i].body, strlen(t[i].body), t[i].name, out,
		    sizeof(out));
		if (rc != t[i].rc)
			printf("  case %zu: %s\n", i, t[i].body);
		CHECK_INT(rc, t[i].rc);
		if (rc == 1)
			CHECK_STR(out, t[i].want);
	}
	/* Raw NUL within the length, value too long, body bounded by len. */
	CHECK_INT(form_get("a=1\0b=2", 7, "b", out, sizeof(out)), -1);
	CHECK_INT(form_get("a=0123456789", 12, "a", out, 10), -1);
	CHECK_INT(form_get("a=0123456789", 12, "a", out, 11), 1);
	CHECK_INT(form_get("a=12&b=3", 4, "a", out, sizeof(out)), 1);
	CHECK_STR(out, "12");
	CHECK_INT(form_get("a=12&b=3", 4, "b", out, sizeof(out)), 0);
	CHECK_INT(form_get(NULL, 0, "a", out, sizeof(out)), 0);
}

UNIT_TEST(body_kind_table)
{
	static const struct {
		const char *ct;
		enum body_kind kind;
	} t[] = {
		{ "application/x-www-form-urlencoded", BODY_FORM },
		{ "application/x-www-form-urlencoded; charset=UTF-8", BODY_FORM },
		{ "Application/X-WWW-Form-URLEncoded", BODY_FORM },
		{ "application/x-www-form-urlencoded ;charset=utf-8", BODY_FORM },
		{ "application/json", BODY_JSON },
		{ "APPLICATION/JSON;charset=utf-8", BODY_JSON },
		{ " application/json", BODY_JSON },
		{ "application/jsonx", BODY_OTHER },
		{ "application/json-patch+json", BODY_OTHER },
		{ "text/plain", BODY_OTHER },
		{ "multipart/form-data; boundary=x", BODY_OTHER },
		{ "", BODY_OTHER },
		{ "application/", BODY_OTHER },
		{ NULL, BODY_OTHER },
	};

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK_INT(body_kind_of(t[i].ct), t[i].kind);
}

UNIT_TEST(login_form_valid)
{
	static const struct {
		enum body_kind kind;
		const char *body, *user, *pw, *rd;
		bool has_rd;
	} t[] = {
		{ BODY_FORM, "username=alice&password=s3cret", "alice",
		  "s3cret", "", false },
		{ BODY_FORM, "password=p+w&username=al%69ce&rd=%2Fapp%3Fa%3D1",
		  "alice", "p w", "/app?a=1", true },
		{ BODY_FORM, "username=a&password=b&rd=", "a", "b", "", true },
		{ BODY_FORM, "username=a&password=b&password=c&username=d",
		  "a", "b", "", false },
		{ BODY_JSON, "{\"username\":\"alice\",\"password\":\"pw\"}",
		  "alice", "pw", "", false },
		{ BODY_JSON, " {\"password\":\"p\\\"w\",\"username\":\"b\","
		  "\"rd\":\"/x\"}\n", "b", "p\"w", "/x", true },
		{ BODY_JSON, "{\"username\":\"\\u00e9\",\"password\":\"x\","
		  "\"extra\":[1,2]}", "\xc3\xa9", "x", "", false },
	};
	struct login_form f;
	char err[128];

	for (size_t i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		int rc = login_form_parse(t[i].kind, t[i].body,
		    strlen(t[i].body), &f, err, sizeof(err));
		if (rc != 0)
			printf("  case %zu: %s\n", i, err);
		CHECK_INT(rc, 0);
		CHECK_STR(f.username, t[i].user);
		CHECK(strcmp(f.password, t[i].pw) == 0);
		CHECK(strcmp(f.rd, t[i].rd) == 0);
		CHECK(f.has_rd == t[i].has_rd);
	}
}

UNIT_TEST(login_form_invalid)
{
	static const struct {
		enum body_kind kind;
		const char *body;
	} t[] = {
		{ BODY_FORM, "" },
		{ BODY_FORM, "username=alice" },
		{ BODY_FORM, "password=pw" },
		{ BODY_FORM, "username=&password=pw" },
		{ BODY_FORM, "username=alice&password=" },
		{ BODY_FORM, "username&password=pw" },
		{ BODY_FORM, "username=al%zzice&password=pw" },
		{ BODY_FORM, "username=alice&password=p%00w" },
		{ BODY_FORM, "username=al%0Aice&password=pw" },
		{ BODY_FORM, "username=al%7Fice&password=pw" },
		{ BODY_FORM, "username=a%09b&password=pw" },
		{ BODY_FORM, "username=a&password=b&rd=%" },
		{ BODY_FORM, "username=a&password=b%" },
		{ BODY_JSON, "" },
		{ BODY_JSON, "null" },
		{ BODY_JSON, "[]" },
		{ BODY_JSON, "\"username\"" },
		{ BODY_JSON, "{" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\"" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\"} x" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\"}{}" },
		{ BODY_JSON, "{\"username\":1,\"password\":\"b\"}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":null}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":[\"b\"]}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":{}}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":true}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\",\"rd\":5}" },
		{ BODY_JSON, "{\"username\":\"\",\"password\":\"b\"}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"\"}" },
		{ BODY_JSON, "{\"password\":\"b\"}" },
		{ BODY_JSON, "{\"Username\":\"a\",\"password\":\"b\"}" },
		{ BODY_JSON, "{\"username\":\"a\\nb\",\"password\":\"b\"}" },
		{ BODY_JSON, "{\"username\":\"a\\u0000b\",\"password\":\"b\"}" },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\\u0000c\"}" },
		{ BODY_JSON, "{'username':'a','password':'b'}" },
		{ BODY_OTHER, "username=a&password=b" },
	};
	struct login_form f;
	char err[128];

	for (size_t i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		int rc = login_form_parse(t[i].kind, t[i].body,
		    strlen(t[i].body), &f, err, sizeof(err));
		if (rc != -1)
			printf("  case %zu: %s\n", i, t[i].body);
		CHECK_INT(rc, -1);
		CHECK(err[0] != '\0');
		CHECK(f.password[0] == 0);
	}
}

/* Sizes: username <= 255, password <= 1023, rd <= 2047, body <= 16 KiB. */
UNIT_TEST(login_form_limits)
{
	struct login_form f;
	char *body = malloc(20000), *v = malloc(20000), err[128];

	CHECK(body != NULL && v != NULL);
	if (body == NULL || v == NULL)
		goto out;
	static const struct {
		const char *field;
		size_t ok;
	} lim[] = {
		{ "username", 255 },
		{ "password", 1023 },
		{ "rd", 2047 },
	};
	for (size_t i = 0; i < NELEM(lim); i++) {
		for (size_t extra = 0; extra < 2; extra++) {
			size_t n = lim[i].ok + extra;
			int rc;

			memset(v, 'x', n);
			v[n] = '\0';
			/* The field under test comes first: first one wins. */
			snprintf(body, 20000, "%s=%s&username=u&password=p",
			    lim[i].field, v);
			rc = login_form_parse(BODY_FORM, body, strlen(body), &f,
			    err, sizeof(err));
			CHECK_INT(rc, extra ? -1 : 0);
			snprintf(body, 20000,
			    "{\"%s\":\"%s\",\"username\":\"u\",\"password\":\"p\"}",
			    lim[i].field, v);
			rc = login_form_parse(BODY_JSON, body, strlen(body), &f,
			    err, sizeof(err));
			CHECK_INT(rc, extra ? -1 : 0);
		}
	}
	/* A body over 16 KiB is refused whatever it holds. */
	memset(v, ' ', 16 * 1024);
	v[16 * 1024] = '\0';
	snprintf(body, 20000, "{\"username\":\"u\",\"password\":\"p\"}%s", v);
	CHECK_INT(login_form_parse(BODY_JSON, body, strlen(body), &f, err,
	    sizeof(err)), -1);
	CHECK_INT(login_form_parse(BODY_JSON, body, 16 * 1024, &f, err,
	    sizeof(err)), 0);
	snprintf(body, 20000, "username=u&password=p&x=%s", v);
	CHECK_INT(login_form_parse(BODY_FORM, body, strlen(body), &f, err,
	    sizeof(err)), -1);
out:
	free(body);
	free(v);
}

/* ----------------------------------------------------------------- query */

UNIT_TEST(cache_key_table)
{
	static const struct {
		const char *key;
		bool ok;
	} t[] = {
		{ "a", true },
		{ "user:42:prefs", true },
		{ "A-Z_a.z~0:9", true },
		{ "..", true },
		{ "a..b", true },
		{ ".", true },
		{ "", false },
		{ "a b", false },
		{ "a/b", false },
		{ "/", false },
		{ "a%2Fb", false },
		{ "%", false },
		{ "a?b", false },
		{ "a\\b", false },
		{ "caf\xc3\xa9", false },
		{ "a\tb", false },
		{ "a+b", false },
		{ "a\x7f", false },
		{ NULL, false },
	};
	char k[300];

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK(cache_key_valid(t[i].key) == t[i].ok);
	memset(k, 'k', sizeof(k));
	k[250] = '\0';
	CHECK(cache_key_valid(k));
	k[250] = 'k';
	k[251] = '\0';
	CHECK(!cache_key_valid(k));
}

UNIT_TEST(parse_long_table)
{
	static const struct {
		const char *s;
		long lo, hi;
		int rc;
		long want;
	} t[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "007", 0, 10, 0, 7 },
		{ "11", 0, 10, -1, 0 },
		{ "-1", 0, 10, -1, 0 },
		{ "-1", -5, 10, 0, -1 },
		{ "+1", 0, 10, -1, 0 },
		{ " 1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 },
		{ "", 0, 10, -1, 0 },
		{ "-", -5, 10, -1, 0 },
		{ "1x", 0, 10, -1, 0 },
		{ "0x1", 0, 10, -1, 0 },
		{ "1e3", 0, 10000, -1, 0 },
		{ "99999999999999999999999", 0, LONG_MAX, -1, 0 },
		{ NULL, 0, 10, -1, 0 },
	};

	for (size_t i = 0; i < NELEM(t); i++) {
		long v = -99;

		CHECK_INT(parse_long(t[i].s, t[i].lo, t[i].hi, &v), t[i].rc);
		if (t[i].rc == 0)
			CHECK_INT(v, t[i].want);
		else
			CHECK_INT(v, -99);
	}
}

/* The per-address login counter key: IPv4 as is, IPv6 per /64. */
UNIT_TEST(login_ip_key_table)
{
	static const struct {
		const char *addr, *want;
	} t[] = {
		{ "192.0.2.7", "192.0.2.7" },
		{ "10.0.0.1", "10.0.0.1" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64" },
		{ "2001:DB8:0001:0002::1", "2001:db8:1:2::/64" },
		{ "2001:db8::1", "2001:db8::/64" },
		{ "2001:db8:0:0:1::", "2001:db8::/64" },
		{ "fe80::1", "fe80::/64" },
		{ "::1", "::/64" },
		{ "::", "::/64" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "::FFFF:10.1.2.3", "10.1.2.3" },
		{ "::ffff:c000:207", "192.0.2.7" },
		{ "", "" },
		{ "fe80::1%eth0", "fe80::1%eth0" },
		{ "not an address", "not an address" },
	};
	char out[IP_KEY_MAX], small[8];

	for (size_t i = 0; i < NELEM(t); i++) {
		memset(out, 'x', sizeof out);
		login_ip_key(t[i].addr, out, sizeof out);
		CHECK_STR(out, t[i].want);
	}
	/* Two hosts of one /64 share a counter; neighbouring /64s do not. */
	login_ip_key("2001:db8:aa:bb::1", out, sizeof out);
	login_ip_key("2001:db8:aa:bb:9:9:9:9", small, sizeof small);
	CHECK_STR(small, "2001:db");	/* cut to the buffer, terminated */
	CHECK_STR(out, "2001:db8:aa:bb::/64");
	login_ip_key("2001:db8:aa:bc::1", out, sizeof out);
	CHECK_STR(out, "2001:db8:aa:bc::/64");
}

UNIT_TEST(ttl_parse_table)
{
	static const struct {
		const char *q;
		int rc;
		bool present;
		long ttl;
	} t[] = {
		{ "", 0, false, 0 },
		{ NULL, 0, false, 0 },
		{ "ttl=0", 0, true, 0 },
		{ "ttl=60", 0, true, 60 },
		{ "ttl=31536000", 0, true, 31536000 },
		{ "a=1&ttl=5&b=2", 0, true, 5 },
		{ "ttl=5&ttl=x", 0, true, 5 },
		{ "xttl=5", 0, false, 0 },
		{ "ttlx=5", 0, false, 0 },
		{ "TTL=5", 0, false, 0 },
		{ "ttl=", 0, false, 0 },	/* SPEC: an empty value is allowed */
		{ "ttl", 0, false, 0 },
		{ "ttl=31536001", -1, false, 0 },
		{ "ttl=-1", -1, false, 0 },
		{ "ttl=+5", -1, false, 0 },
		{ "ttl= 5", -1, false, 0 },
		{ "ttl=5 ", -1, false, 0 },
		{ "ttl=5x", -1, false, 0 },
		{ "ttl=0x10", -1, false, 0 },
		{ "ttl=1e3", -1, false, 0 },
		{ "ttl=%35", -1, false, 0 },
		{ "ttl=99999999999999999999", -1, false, 0 },
		{ "ttl=5.0", -1, false, 0 },
	};

	for (size_t i = 0; i < NELEM(t); i++) {
		bool present = true;
		long ttl = -1;
		int rc = ttl_parse(t[i].q, &present, &ttl);

		if (rc != t[i].rc)
			printf("  case %zu: %s\n", i, t[i].q);
		CHECK_INT(rc, t[i].rc);
		if (rc == 0) {
			CHECK(present == t[i].present);
			CHECK_INT(ttl, t[i].ttl);
		}
	}
}

UNIT_TEST(rd_from_query_table)
{
	static const struct {
		const char *q;
		int rc;
		const char *want;
	} t[] = {
		{ "", 0, "" },
		{ NULL, 0, "" },
		{ "rd=", 0, "" },
		{ "x=1&rd=/a", 0, "" },
		{ "RD=/a", 0, "" },
		{ "rd=/app", 0, "/app" },
		/* Begins with '/': taken as it is, '&' and escapes included. */
		{ "rd=/app?a=1&b=2", 0, "/app?a=1&b=2" },
		{ "rd=/a%20b", 0, "/a%20b" },
		{ "rd=/a%zz", 0, "/a%zz" },
		{ "rd=//evil.example", 0, "//evil.example" },
		/* Otherwise decoded once. */
		{ "rd=%2Fapp%3Fa%3D1%26b%3D2", 0, "/app?a=1&b=2" },
		{ "rd=%2F%2Fevil.example", 0, "//evil.example" },
		{ "rd=%252F", 0, "%2F" },
		{ "rd=a+b", 0, "a+b" },
		{ "rd=https://evil.example/", 0, "https://evil.example/" },
		{ "rd=%2", -1, "" },
		{ "rd=%zz", -1, "" },
		{ "rd=%00", -1, "" },
	};
	char out[64];

	for (size_t i = 0; i < NELEM(t); i++) {
		int rc = rd_from_query(t[i].q, out, sizeof(out));

		CHECK_INT(rc, t[i].rc);
		CHECK_STR(out, t[i].want);
	}
	CHECK_INT(rd_from_query("rd=/abcdef", out, 7), -1);
	CHECK_INT(rd_from_query("rd=/abcde", out, 7), 0);
	CHECK_INT(rd_from_query("rd=%2Fabcdef", out, 7), -1);
}

UNIT_TEST(rd_is_local_table)
{
	static const struct {
		const char *rd;
		bool ok;
	} t[] = {
		{ "/", true },
		{ "/app", true },
		{ "/app?a=1&b=2#frag", true },
		{ "/a/b//c", true },
		{ "/%2F%2Fevil", true },
		{ "/caf\xc3\xa9", true },
		{ "", false },
		{ NULL, false },
		{ "app", false },
		{ "//evil.example", false },
		{ "/\\evil.example", false },
		{ "\\\\evil", false },
		{ "/a\\b", false },
		{ "https://evil.example/", false },
		{ "/a\nb", false },
		{ "/a\rLocation: x", false },
		{ "/a\tb", false },
		{ "/a\x7f", false },
		{ "/a\x01", false },
		{ " /app", false },
		{ "javascript:alert(1)", false },
	};

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK(rd_is_local(t[i].rd) == t[i].ok);
}

UNIT_TEST(origin_allowed_table)
{
	static const char allowed[][256] = {
		"https://app.example.com",
		"http://LOCALHOST:3000",
		"",
	};
	static const struct {
		const char *origin;
		bool https;
		const char *host;
		bool ok;
	} t[] = {
		{ "https://gw.example.com", true, "gw.example.com", true },
		{ "HTTPS://GW.Example.COM", true, "gw.example.com", true },
		{ "http://gw.example.com", false, "gw.example.com", true },
		{ "http://gw.example.com", true, "gw.example.com", false },
		{ "https://gw.example.com", false, "gw.example.com", false },
		{ "https://gw.example.com:8443", true, "gw.example.com:8443",
		  true },
		{ "https://gw.example.com", true, "gw.example.com:8443", false },
		{ "https://gw.example.com:8443", true, "gw.example.com", false },
		{ "https://gw.example.com/", true, "gw.example.com", false },
		{ "https://evil.example", true, "gw.example.com", false },
		{ "https://gw.example.com.evil", true, "gw.example.com", false },
		{ "https://app.example.com", true, "gw.example.com", true },
		{ "https://APP.example.com", false, "gw.example.com", true },
		{ "http://localhost:3000", true, "x", true },
		{ "http://localhost", true, "x", false },
		{ "null", true, "gw.example.com", false },
		{ "", true, "gw.example.com", false },
		{ NULL, true, "gw.example.com", false },
		{ "https://", true, "", false },
		{ "https://gw", true, NULL, false },
	};

	for (size_t i = 0; i < NELEM(t); i++)
		CHECK(origin_allowed(t[i].origin, t[i].https, t[i].host,
		    allowed, (int)NELEM(allowed)) == t[i].ok);

	static const char with_null[][256] = { "null" };
	CHECK(origin_allowed("null", true, "h", with_null, 1));
	CHECK(!origin_allowed("null", true, "h", NULL, 0));
}

/*
 * The site's own host[:port] for the Origin check: HTTP_HOST as sent when
 * it has a port; else SERVER_PORT unless it is the scheme's default
 * (Debian's stock fastcgi_params sends $host, which drops the port).
 */
UNIT_TEST(origin_host_table)
{
	static const struct {
		bool https;
		const char *host;
		const char *port;
		int rc;
		const char *out;
	} t[] = {
		{ false, "127.0.0.1", "8080", 0, "127.0.0.1:8080" },
		{ false, "127.0.0.1:8080", "8080", 0, "127.0.0.1:8080" },
		{ false, "127.0.0.1:8080", "80", 0, "127.0.0.1:8080" },
		{ false, "example.com", "80", 0, "example.com" },
		{ true, "example.com", "443", 0, "example.com" },
		{ true, "example.com", "80", 0, "example.com:80" },
		{ false, "example.com", "443", 0, "example.com:443" },
		{ true, "example.com", "8443", 0, "example.com:8443" },
		{ false, "example.com", NULL, 0, "example.com" },
		{ false, "example.com", "", 0, "example.com" },
		{ false, "example.com", "0", 0, "example.com" },
		{ false, "example.com", "65536", 0, "example.com" },
		{ false, "example.com", "80x", 0, "example.com" },
		{ false, "example.com", "-80", 0, "example.com" },
		{ false, "example.com", "+8080", 0, "example.com" },
		{ false, "example.com", "65535", 0, "example.com:65535" },
		{ false, "[::1]", "8080", 0, "[::1]:8080" },
		{ false, "[::1]:9000", "8080", 0, "[::1]:9000" },
		{ true, "[::1]", "443", 0, "[::1]" },
		{ true, "[2001:db8::1]", "8443", 0, "[2001:db8::1]:8443" },
		{ false, "[::1", "8080", 0, "[::1" },
		{ false, "", "8080", -1, "" },
		{ false, NULL, "8080", -1, "" },
	};
	char out[64];

	for (size_t i = 0; i < NELEM(t); i++) {
		out[0] = '\0';
		CHECK_INT(origin_host(t[i].https, t[i].host, t[i].port, out,
		    sizeof out), t[i].rc);
		if (t[i].rc == 0)
			CHECK_STR(out, t[i].out);
	}
	/* too long for out: -1, never a truncated host that could match */
	CHECK_INT(origin_host(false, "abcdefgh", "8080", out, 9), -1);
	CHECK_INT(origin_host(false, "abcdefgh", "80", out, 9), 0);
	CHECK_STR(out, "abcdefgh");
}
