/*
 * test_keys.c - key files: create, read, mode and format checks, rotation,
 * and the key ring built from the main file and the fallback files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "keys.h"
#include "unit.h"

#define KA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KB "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* A fresh directory for one test; removed by tmpdir_done(). */
static void
tmpdir_new(char dir[64])
{
	snprintf(dir, 64, "/tmp/sessiongw-keys-XXXXXX");
	if (mkdtemp(dir) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp");
}

static void
tmpdir_done(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "rm -rf tmpdir");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL) {
		unit_fail(__FILE__, __LINE__, "fopen");
		return;
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (f == NULL)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int
read_one(const char *path, unsigned char (*keys)[KEY_BYTES], int *n,
    int check_mode, char *err, size_t errsz)
{
	err[0] = '\0';
	return keyfile_read(path, keys, KEYS_MAX, n, check_mode, err, errsz);
}

UNIT_TEST(keys_create_and_read)
{
	unsigned char keys[KEYS_MAX][KEY_BYTES];
	char dir[64], path[128], err[512];
	struct stat st;
	int n = -1;

	tmpdir_new(dir);
	snprintf(path, sizeof path, "%s/secret.key", dir);
	CHECK_INT(keyfile_create(path, err, sizeof err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_size, 65);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), 0);
	CHECK_INT(n, 1);
	/* Exclusive: never overwrites a key file. */
	CHECK_INT(keyfile_create(path, err, sizeof err), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "File exists") != NULL);
	/* Two creations give different keys. */
	{
		unsigned char other[KEYS_MAX][KEY_BYTES];
		char path2[160];
		int m = 0;

		snprintf(path2, sizeof path2, "%s/second.key", dir);
		CHECK_INT(keyfile_create(path2, err, sizeof err), 0);
		CHECK_INT(read_one(path2, other, &m, 1, err, sizeof err), 0);
		CHECK(sodium_memcmp(keys[0], other[0], KEY_BYTES) != 0);
	}
	tmpdir_done(dir);
}

UNIT_TEST(keys_mode_and_type)
{
	unsigned char keys[KEYS_MAX][KEY_BYTES];
	char dir[64], path[128], want[256], err[512];
	int n;

	tmpdir_new(dir);
	snprintf(path, sizeof path, "%s/k", dir);
	write_file(path, KA "\n", 0640);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), -1);
	CHECK(strstr(err, "0640") != NULL);
	snprintf(want, sizeof want, "chmod 600 %s", path);
	CHECK(strstr(err, want) != NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	chmod(path, 0604);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), -1);
	chmod(path, 0400);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), 0);
	/* Without check_mode the bits are not looked at. */
	chmod(path, 0644);
	CHECK_INT(read_one(path, keys, &n, 0, err, sizeof err), 0);
	CHECK_INT(n, 1);
	/* Not a regular file. */
	CHECK_INT(read_one(dir, keys, &n, 0, err, sizeof err), -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	snprintf(path, sizeof path, "%s/fifo", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	/* Missing. */
	snprintf(path, sizeof path, "%s/missing", dir);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), -1);
	CHECK(strstr(err, "No such file") != NULL);
	tmpdir_done(dir);
}

UNIT_TEST(keys_format)
{
	static const struct {
		const char *text;
		int line;		/* 0: valid */
		int nkeys;
		const char *secret;	/* must not show in the message */
	} rows[] = {
		{ KA "\n", 0, 1, NULL },
		{ KA, 0, 1, NULL },			/* no final newline */
		{ KA "\r\n", 0, 1, NULL },
		{ "\n\n" KA "\n  \n\n" KB "\n\n", 0, 2, NULL },
		{ KA "\n" KB "\n" KA "\n" KB "\n", 0, 4, NULL },
		{ "", -1, 0, NULL },			/* no key at all */
		{ "\n \n", -1, 0, NULL },
		{ "0011223344556677889900112233445566778899aabbccddeeff00112233"
		    "445\n", 1, 0, "0011223344556677889900" },	/* 63 */
		{ KA "0\n", 1, 0, "00112233445566778899aa" },	/* 65 */
		{ KA "\n" "0011223344556677889g0011223344556677889900112233445566"
		    "7788990011\n", 2, 0, "0011223344556677889g" },
		{ KA "\n\n\nsecret-looking-words-here\n", 4, 0,
		    "secret-looking" },
		{ " " KA "\n", 1, 0, "00112233445566778899aa" },
		{ KA " x\n", 1, 0, "00112233445566778899aa" },
	};
	unsigned char keys[KEYS_MAX][KEY_BYTES];
	char dir[64], path[128], want[160], err[512];
	int n;

	tmpdir_new(dir);
	snprintf(path, sizeof path, "%s/k", dir);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int rc;

		write_file(path, rows[i].text, 0600);
		rc = read_one(path, keys, &n, 1, err, sizeof err);
		if (rows[i].line == 0) {
			CHECK_INT(rc, 0);
			CHECK_INT(n, rows[i].nkeys);
			continue;
		}
		CHECK_INT(rc, -1);
		CHECK_INT(n, 0);
		if (rows[i].line > 0)
			snprintf(want, sizeof want, "%s:%d: ", path,
			    rows[i].line);
		else
			snprintf(want, sizeof want, "%s: no key", path);
		if (strncmp(err, want, strlen(want)) != 0) {
			char m[800];

			snprintf(m, sizeof m, "row %zu: \"%.400s\" does not "
			    "start with \"%s\"", i, err, want);
			unit_fail(__FILE__, __LINE__, m);
		}
		if (rows[i].secret != NULL)
			CHECK(strstr(err, rows[i].secret) == NULL);
	}
	/* The bytes decoded are the hex given. */
	write_file(path, KA "\n" KB "\n", 0600);
	CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), 0);
	CHECK_INT(keys[0][0], 0x00);
	CHECK_INT(keys[0][1], 0x11);
	CHECK_INT(keys[1][0], 0xff);
	CHECK_INT(keys[1][31], 0x00);
	/* More keys than the caller has room for. */
	CHECK_INT(keyfile_read(path, keys, 1, &n, 1, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: too many keys", path);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	/* A NUL byte would hide what follows it. */
	{
		int fd = open(path, O_WRONLY | O_TRUNC);

		CHECK(fd >= 0);
		CHECK_INT(write(fd, KA "\n\0" "zz\n", 69), 69);
		close(fd);
		CHECK_INT(read_one(path, keys, &n, 1, err, sizeof err), -1);
		CHECK(strstr(err, "NUL byte") != NULL);
	}
	tmpdir_done(dir);
}

UNIT_TEST(keys_rotate)
{
	unsigned char before[KEYS_MAX][KEY_BYTES], after[KEYS_MAX][KEY_BYTES];
	char dir[64], path[128], tmp[160], err[512];
	struct stat st;
	int n, m;

	tmpdir_new(dir);
	snprintf(path, sizeof path, "%s/secret.key", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK_INT(keyfile_create(path, err, sizeof err), 0);
	for (int round = 1; round <= 5; round++) {
		CHECK_INT(read_one(path, before, &n, 1, err, sizeof err), 0);
		/* A stale temp file from a crash does not stop a rotation. */
		if (round == 3)
			write_file(tmp, "junk\n", 0644);
		CHECK_INT(keyfile_rotate(path, err, sizeof err), 0);
		CHECK_INT(read_one(path, after, &m, 1, err, sizeof err), 0);
		CHECK_INT(m, round + 1 < KEYS_PER_FILE ? round + 1 :
		    KEYS_PER_FILE);
		CHECK_INT(count_lines(path), m);
		/* New key on top, the previous keys below it in order. */
		CHECK(sodium_memcmp(after[0], before[0], KEY_BYTES) != 0);
		for (int i = 1; i < m; i++)
			CHECK(sodium_memcmp(after[i], before[i - 1],
			    KEY_BYTES) == 0);
		CHECK_INT(stat(path, &st), 0);
		CHECK_INT(st.st_mode & 07777, 0600);
		CHECK(access(tmp, F_OK) == -1);
	}
	/* A file with too-open mode is not rotated (nor read). */
	chmod(path, 0644);
	CHECK_INT(keyfile_rotate(path, err, sizeof err), -1);
	CHECK(strstr(err, "chmod 600") != NULL);
	CHECK_INT(count_lines(path), KEYS_PER_FILE);
	/* A missing file is an error, not a silent create. */
	snprintf(path, sizeof path, "%s/none.key", dir);
	CHECK_INT(keyfile_rotate(path, err, sizeof err), -1);
	CHECK(access(path, F_OK) == -1);
	tmpdir_done(dir);
}

UNIT_TEST(keys_ring)
{
	unsigned char main_keys[KEYS_MAX][KEY_BYTES];
	struct config *cfg = calloc(1, sizeof *cfg);
	struct keyring ring = { .keys = NULL };
	char dir[64], err[512], text[1200] = "";
	int n;

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	tmpdir_new(dir);
	config_defaults(cfg);
	snprintf(cfg->secret_key_file, sizeof cfg->secret_key_file,
	    "%s/main.key", dir);
	snprintf(cfg->fallback_files[0], sizeof cfg->fallback_files[0],
	    "%s/fb1.key", dir);
	snprintf(cfg->fallback_files[1], sizeof cfg->fallback_files[1],
	    "%s/fb2.key", dir);
	cfg->nfallback_files = 2;
	CHECK_INT(keyfile_create(cfg->secret_key_file, err, sizeof err), 0);
	CHECK_INT(keyfile_rotate(cfg->secret_key_file, err, sizeof err), 0);
	write_file(cfg->fallback_files[0], KA "\n", 0600);
	write_file(cfg->fallback_files[1], KB "\n" KA "\n", 0600);

	CHECK_INT(keyring_load(&ring, cfg, err, sizeof err), 0);
	CHECK_INT(ring.nkeys, 5);
	CHECK_INT(read_one(cfg->secret_key_file, main_keys, &n, 1, err,
	    sizeof err), 0);
	if (ring.keys != NULL) {
		CHECK(sodium_memcmp(ring.keys[0], main_keys[0], KEY_BYTES) == 0);
		CHECK(sodium_memcmp(ring.keys[1], main_keys[1], KEY_BYTES) == 0);
		CHECK_INT(ring.keys[2][1], 0x11);	/* fb1: KA */
		CHECK_INT(ring.keys[3][0], 0xff);	/* fb2: KB */
		CHECK_INT(ring.keys[4][1], 0x11);	/* fb2: KA */
	}
	keyring_free(&ring);
	CHECK(ring.keys == NULL);
	CHECK_INT(ring.nkeys, 0);
	keyring_free(&ring);	/* twice is harmless */

	/* A fallback file open to others is refused like the main one. */
	chmod(cfg->fallback_files[1], 0640);
	CHECK_INT(keyring_load(&ring, cfg, err, sizeof err), -1);
	CHECK(strstr(err, cfg->fallback_files[1]) != NULL);
	CHECK(ring.keys == NULL);
	chmod(cfg->fallback_files[1], 0600);

	/* More than KEYS_MAX keys in all. */
	for (int i = 0; i < KEYS_MAX - 2; i++)
		strcat(text, KA "\n");
	write_file(cfg->fallback_files[1], text, 0600);
	CHECK_INT(keyring_load(&ring, cfg, err, sizeof err), -1);
	CHECK(strstr(err, "in all key files together") != NULL);
	CHECK(ring.keys == NULL);

	/* Missing main file. */
	cfg->nfallback_files = 0;
	snprintf(cfg->secret_key_file, sizeof cfg->secret_key_file,
	    "%s/none.key", dir);
	CHECK_INT(keyring_load(&ring, cfg, err, sizeof err), -1);
	CHECK(strstr(err, "none.key") != NULL);
	tmpdir_done(dir);
	free(cfg);
}
