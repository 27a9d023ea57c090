/*
 * test_buf.c - the growable buffer: invariants, growth, printf, escaping,
 * detach.
 */
#include <stdlib.h>

#include "buf.h"
#include "unit.h"

UNIT_TEST(buf_init_invariants)
{
	struct buf b;

	buf_init(&b);
	CHECK(b.data != NULL);
	CHECK(b.data == b.initial);
	CHECK_INT(b.len, 0);
	CHECK(b.len < b.cap);
	CHECK_STR(b.data, "");
	CHECK(!buf_failed(&b));
	buf_append(&b, "x", 0);
	CHECK(b.data == b.initial);
	buf_free(&b);
	CHECK(b.data == b.initial);
}

UNIT_TEST(buf_growth_past_1mib)
{
	struct buf b;
	char chunk[1000];
	size_t total = 0;

	memset(chunk, 'a', sizeof(chunk));
	buf_init(&b);
	while (total <= 1024 * 1024 + 17) {
		buf_append(&b, chunk, sizeof(chunk));
		total += sizeof(chunk);
		buf_putc(&b, 'b');
		total++;
	}
	CHECK(!buf_failed(&b));
	CHECK_INT(b.len, total);
	CHECK(b.len < b.cap);
	CHECK_INT(b.data[b.len], 0);
	CHECK_INT(strlen(b.data), total);
	CHECK(b.data[1000] == 'b' && b.data[1001] == 'a');
	buf_free(&b);
}

UNIT_TEST(buf_puts_putc_reset)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_puts(&b, "world");
	CHECK_STR(b.data, "hello world");
	CHECK_INT(b.len, 11);
	buf_reset(&b);
	CHECK_STR(b.data, "");
	CHECK_INT(b.len, 0);
	buf_puts(&b, "again");
	CHECK_STR(b.data, "again");
	buf_free(&b);
}

UNIT_TEST(buf_printf)
{
	struct buf b;
	char big[5000];

	buf_init(&b);
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, "42-x");
	buf_printf(&b, "%s", "");
	CHECK_STR(b.data, "42-x");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]", big);
	CHECK_INT(b.len, 4 + 2 + 4999);
	CHECK(b.data[4] == '[' && b.data[b.len - 1] == ']');
	CHECK_INT(strlen(b.data), b.len);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%03d", i % 1000);
	CHECK_INT(b.len, 4 + 2 + 4999 + 3000);
	CHECK(memcmp(b.data + b.len - 3, "999", 3) == 0);
	CHECK(!buf_failed(&b));
	buf_free(&b);
}

UNIT_TEST(buf_html_escape)
{
	static const struct { const char *in, *out; } t[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "<script>alert('x')</script>",
		  "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
		{ "a & b", "a &amp; b" },
		{ "\"q\"", "&quot;q&quot;" },
		{ "&amp;", "&amp;amp;" },
		{ "<>&\"'", "&lt;&gt;&amp;&quot;&#39;" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;

		buf_init(&b);
		buf_puts(&b, "<");
		buf_html_escape(&b, t[i].in);
		CHECK(strncmp(b.data, "<", 1) == 0);
		CHECK_STR(b.data + 1, t[i].out);
		buf_free(&b);
	}
}

UNIT_TEST(buf_detach)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b);
	s = buf_detach(&b, &len);
	CHECK(s != NULL && s != b.initial);
	CHECK_INT(len, 0);
	CHECK_STR(s, "");
	free(s);

	buf_puts(&b, "owned");
	s = buf_detach(&b, &len);
	CHECK_STR(s, "owned");
	CHECK_INT(len, 5);
	CHECK(b.data == b.initial && b.len == 0);
	free(s);
	buf_puts(&b, "reuse");
	CHECK_STR(b.data, "reuse");
	s = buf_detach(&b, NULL);
	CHECK_STR(s, "reuse");
	free(s);
	buf_free(&b);
}

UNIT_TEST(buf_failed_is_sticky)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_puts(&b, "abc");
	/* An impossible size fails without allocating. */
	buf_append(&b, "x", (size_t)-1);
	CHECK(buf_failed(&b));
	buf_puts(&b, "more");
	buf_printf(&b, "%d", 1);
	CHECK_STR(b.data, "abc");
	CHECK(buf_failed(&b));
	s = buf_detach(&b, NULL);
	CHECK(s == NULL);
	CHECK(!buf_failed(&b));
	buf_free(&b);
}
