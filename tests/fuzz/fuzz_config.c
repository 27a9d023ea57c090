/*
 * fuzz_config.c - the INI configuration (src/config.c:
 * config_load_string, config_print).
 *
 * The input is a whole configuration file. Invariants: a refused file
 * leaves the struct exactly as it was and says why in one NUL-terminated
 * message; an accepted one has its numbers in range, and what
 * `check-config` prints (config_print) loads again to the same values.
 */
#include <stdbool.h>

#include "config.h"
#include "fuzz.h"

static struct config before, cfg, again;

FUZZ_NO_INITIALIZE

/* config_print into a fresh string (NULL when out of memory). */
static char *
print_text(const struct config *c)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*out = open_memstream(&text, &len);

	if (out == NULL)
		return NULL;
	config_print(c, out);
	if (fclose(out) != 0) {
		free(text);
		text = NULL;
	}
	return text;
}

/*
 * config_print's text loads back to the same values. Compared as printed
 * text, not memcmp: a string buffer may hold bytes of an earlier, longer
 * value after its NUL, which no reader ever sees.
 */
static void
round_trip(const struct config *c)
{
	char	*text = print_text(c), *text2 = NULL, err[512];

	if (text == NULL)
		return;
	memset(&again, 0, sizeof again);
	config_defaults(&again);
	if (config_load_string(&again, "fuzz", text, err, sizeof err) != 0) {
		fprintf(stderr, "printed config refused: %s\n", err);
		FUZZ_ASSERT(!"printed config loads again");
	}
	if ((text2 = print_text(&again)) != NULL)
		FUZZ_ASSERT(strcmp(text, text2) == 0);
	free(text);
	free(text2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text, err[512];

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cfg, 0, sizeof cfg);
	config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof cfg);
	err[0] = '\0';
	if (config_load_string(&cfg, "fuzz", text, err, sizeof err) != 0) {
		FUZZ_ASSERT(memcmp(&before, &cfg, sizeof cfg) == 0);
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof err));
		goto out;
	}
	FUZZ_ASSERT(cfg.threads >= 1 && cfg.threads <= 256);
	FUZZ_ASSERT(cfg.nallowed_origins >= 0 &&
	    cfg.nallowed_origins <= CONFIG_ORIGINS_MAX);
	FUZZ_ASSERT(cfg.nfallback_files >= 0 &&
	    cfg.nfallback_files <= CONFIG_FALLBACKS_MAX);
	FUZZ_ASSERT(cfg.cookie_name[0] != '\0');
	FUZZ_ASSERT(!(cfg.cookie_samesite == SAMESITE_NONE &&
	    cfg.cookie_secure != SECURE_TRUE));
	FUZZ_ASSERT(strcmp(cfg.path, "fuzz") == 0);
	round_trip(&cfg);
out:
	free(text);
	return 0;
}
