/*
 * fuzz.h - what every harness in tests/fuzz/ shares.
 *
 * A harness defines the two libFuzzer entry points. The same file is built
 * twice: with clang -fsanitize=fuzzer for `make fuzz`, and with the normal
 * compiler plus replay.c for `make test`, which runs every file of the
 * checked-in corpus (tests/fuzz/corpus/<harness>/) through the same entry
 * points. An invariant that does not hold aborts, so both builds see it.
 */
#ifndef SESSIONGW_FUZZ_H
#define SESSIONGW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness with nothing to set up before its first input: write
 * FUZZ_NO_INITIALIZE on a line of its own in place of the definition. */
#define FUZZ_NO_INITIALIZE						\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	return 0;							\
}

#define FUZZ_ASSERT(e) do { if (!(e)) { \
	fprintf(stderr, "invariant: %s (%s:%d)\n", #e, __FILE__, __LINE__); \
	abort(); } } while (0)

/*
 * The input as a NUL-terminated copy (s), and split at its first '\n' into
 * two strings (a, b; b is "" when there is no newline). Both are the
 * caller's to release with fuzz_input_free. Returns 0, or -1 out of memory.
 */
struct fuzz_input {
	char	*s;
	size_t	 len;
	char	*a;
	const char *b;
};

static inline int
fuzz_input_split(struct fuzz_input *in, const uint8_t *data, size_t size)
{
	char *nl;

	in->s = malloc(size + 1);
	in->a = malloc(size + 1);
	if (in->s == NULL || in->a == NULL) {
		free(in->s);
		free(in->a);
		return -1;
	}
	for (size_t i = 0; i < size; i++)
		in->s[i] = in->a[i] = (char)data[i];
	in->s[size] = in->a[size] = '\0';
	in->len = size;
	nl = memchr(in->a, '\n', size);
	in->b = nl != NULL ? nl + 1 : in->a + size;
	if (nl != NULL)
		*nl = '\0';
	return 0;
}

static inline void
fuzz_input_free(struct fuzz_input *in)
{
	free(in->s);
	free(in->a);
}

#endif
