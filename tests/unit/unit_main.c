/*
 * unit_main.c - runner for the self-registering unit tests (unit.h).
 */
#include <sodium.h>
#include <stdlib.h>

#include "unit.h"

#define UNIT_MAX 1024

static struct { const char *name; unit_fn fn; } tests[UNIT_MAX];
static int ntests;
int unit_current_failed;
static const char *current;

void
unit_register(const char *name, unit_fn fn)
{
	if (ntests == UNIT_MAX) {
		fprintf(stderr, "unit: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void
unit_fail(const char *file, int line, const char *expr)
{
	printf("FAIL %s: %s:%d: %s\n", current, file, line, expr);
	unit_current_failed++;
}

void
unit_fail_str(const char *file, int line, const char *ea, const char *eb,
    const char *a, const char *b)
{
	printf("FAIL %s: %s:%d: %s == %s (\"%s\" != \"%s\")\n", current,
	    file, line, ea, eb, a ? a : "(null)", b ? b : "(null)");
	unit_current_failed++;
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	if (sodium_init() < 0) {
		fprintf(stderr, "unit: sodium_init failed\n");
		return 2;
	}
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL)
			continue;
		current = tests[i].name;
		unit_current_failed = 0;
		tests[i].fn();
		if (unit_current_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
