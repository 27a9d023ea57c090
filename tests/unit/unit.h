/*
 * unit.h - a minimal unit test harness.
 *
 *   UNIT_TEST(cookie_roundtrip) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *
 * Tests register themselves (constructor attribute), so a new test file is
 * picked up by the Makefile's wildcard with no list to keep in order.
 * The runner prints one line per failed check and ends with
 * "N passed, N failed" (N = tests). Optional argv[1] filters by substring.
 */
#ifndef SESSIONGW_UNIT_H
#define SESSIONGW_UNIT_H

#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);
void	unit_register(const char *name, unit_fn fn);
void	unit_fail(const char *file, int line, const char *expr);
extern int unit_current_failed;

#define UNIT_TEST(name)							\
	static void unit_##name(void);					\
	__attribute__((constructor)) static void unit_reg_##name(void)	\
	{ unit_register(#name, unit_##name); }				\
	static void unit_##name(void)

#define CHECK(e) do { if (!(e)) unit_fail(__FILE__, __LINE__, #e); } while (0)
#define CHECK_INT(a, b) do { long long _a = (a), _b = (b);		\
	if (_a != _b) { char _m[256]; snprintf(_m, sizeof _m,		\
	    "%s == %s (%lld != %lld)", #a, #b, _a, _b);			\
	    unit_fail(__FILE__, __LINE__, _m); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b);		\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		unit_fail_str(__FILE__, __LINE__, #a, #b, _a, _b);	\
	} while (0)

void	unit_fail_str(const char *file, int line, const char *ea,
	    const char *eb, const char *a, const char *b);

#endif
