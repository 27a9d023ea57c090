/*
 * keys.c - the HMAC key files and the key ring built from them.
 *
 * A key file is one key per line, exactly 64 hex digits; blank lines are
 * ignored. Line 1 of the main file signs, every key verifies. Key files are
 * refused when group or others have any access, since anyone who can read
 * a key can forge every session cookie.
 *
 * Messages name the file and line but never a line's content: a line that
 * is almost a key is still mostly a key. Every buffer that held key bytes
 * or their hex form is wiped with sodium_memzero, and the ring itself lives
 * in sodium_malloc'd (guarded, locked) memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "errmsg.h"
#include "keys.h"

#define KEY_HEX		(KEY_BYTES * 2)
/* Largest key file we read: KEYS_MAX lines plus generous blank lines. */
#define KEYFILE_MAX	8192

/* What a read produced: the keys and the file's owner (kept by rotate). */
struct keyfile {
	unsigned char	(*keys)[KEY_BYTES];
	int		  n;
	uid_t		  uid;
	gid_t		  gid;
};

/* Open for reading and check type and mode on the opened file itself. */
static int
keyfile_open(const char *path, int check_mode, struct stat *st, char *err,
    size_t errsz)
{
	/* O_NONBLOCK: a FIFO must not hang us before the type check. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd == -1)
		return errmsg(err, errsz, "%s: cannot open key file: %s",
		    path, strerror(errno));
	if (fstat(fd, st) == -1) {
		errmsg(err, errsz, "%s: cannot stat key file: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		errmsg(err, errsz, "%s: not a regular file", path);
		goto fail;
	}
	if (check_mode && (st->st_mode & 077) != 0) {
		errmsg(err, errsz, "%s: key file mode %04o gives access to "
		    "group/others; run chmod 600 %s", path,
		    (unsigned)(st->st_mode & 07777), path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Read all of fd into buf (NUL-terminated). 0 or -1 (too large, I/O, or a
 * NUL byte, which would hide the rest of the file from the parser).
 */
static int
read_all(int fd, const char *path, char *buf, size_t bufsz, char *err,
    size_t errsz)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = read(fd, buf + len, bufsz - 1 - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return errmsg(err, errsz, "%s: read error: %s", path,
			    strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == bufsz - 1)
			return errmsg(err, errsz, "%s: key file larger than "
			    "%zu bytes", path, bufsz - 2);
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return errmsg(err, errsz, "%s: NUL byte in key file", path);
	return 0;
}

static int
is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * Parse the file's text into keys. A key line is exactly 64 hex digits
 * (a trailing '\r' is tolerated); the message gives the line number and its
 * length, never its content. base = keys already in the ring from earlier
 * files, so that the limit is reported as the ring's.
 */
static int
parse_keys(const char *path, const char *text, unsigned char (*keys)[KEY_BYTES],
    int max, int base, int *n, char *err, size_t errsz)
{
	const char *line = text, *end;
	int lineno = 0;
	size_t len, binlen;

	*n = 0;
	for (; *line != '\0'; line = *end ? end + 1 : end) {
		lineno++;
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		len = (size_t)(end - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (is_blank(line, len))
			continue;
		if (*n == max)
			return errmsg(err, errsz, "%s:%d: too many keys (at "
			    "most %d%s)", path, lineno, base + max,
			    base ? " in all key files together" : "");
		if (len != KEY_HEX || memchr(line, '\0', len) != NULL
		    || sodium_hex2bin(keys[*n], KEY_BYTES, line, len, NULL,
		    &binlen, NULL) != 0 || binlen != KEY_BYTES)
			return errmsg(err, errsz, "%s:%d: not a key (expected "
			    "exactly %d hex digits, the line has %zu "
			    "characters)", path, lineno, KEY_HEX, len);
		(*n)++;
	}
	if (*n == 0)
		return errmsg(err, errsz, "%s: no key in file (expected lines "
		    "of %d hex digits)", path, KEY_HEX);
	return 0;
}

/* Read one file into kf (kf->keys has room for max rows). */
static int
keyfile_load(const char *path, struct keyfile *kf, int max, int base,
    int check_mode, char *err, size_t errsz)
{
	struct stat st;
	char *text = NULL;
	int fd, ret = -1;

	kf->n = 0;
	if ((fd = keyfile_open(path, check_mode, &st, err, errsz)) == -1)
		return -1;
	kf->uid = st.st_uid;
	kf->gid = st.st_gid;
	if ((text = sodium_malloc(KEYFILE_MAX)) == NULL) {
		errmsg(err, errsz, "%s: out of memory", path);
		goto fail;
	}
	if (read_all(fd, path, text, KEYFILE_MAX, err, errsz) == -1)
		goto fail;
	if (parse_keys(path, text, kf->keys, max, base, &kf->n, err,
	    errsz) == -1)
		goto fail;
	ret = 0;
fail:
	if (ret == -1) {
		sodium_memzero(kf->keys, (size_t)max * KEY_BYTES);
		kf->n = 0;
	}
	sodium_free(text);	/* wipes */
	close(fd);
	return ret;
}

int
keyfile_read(const char *path, unsigned char (*keys)[KEY_BYTES], int max,
    int *n, int check_mode, char *err, size_t errsz)
{
	struct keyfile kf = { .keys = keys };
	int ret;

	ret = keyfile_load(path, &kf, max, 0, check_mode, err, errsz);
	*n = kf.n;
	return ret;
}

/* Add the keys of one more file to the ring. */
static int
ring_add_file(struct keyring *r, const char *path, char *err, size_t errsz)
{
	struct keyfile kf = { .keys = r->keys + r->nkeys };
	int room = KEYS_MAX - r->nkeys;

	if (room == 0)
		return errmsg(err, errsz, "%s: too many keys (at most %d in "
		    "all key files together)", path, KEYS_MAX);
	/* Fallback keys can forge cookies as well: same mode rule. */
	if (keyfile_load(path, &kf, room, r->nkeys, 1, err, errsz) == -1)
		return -1;
	r->nkeys += kf.n;
	return 0;
}

int
keyring_load(struct keyring *out, const struct config *cfg, char *err,
    size_t errsz)
{
	struct keyring r = { .keys = NULL, .nkeys = 0 };

	out->keys = NULL;
	out->nkeys = 0;
	if ((r.keys = sodium_malloc(KEYS_MAX * KEY_BYTES)) == NULL) {
		errmsg(err, errsz, "out of memory for the key ring");
		goto fail;
	}
	sodium_memzero(r.keys, KEYS_MAX * KEY_BYTES);
	if (ring_add_file(&r, cfg->secret_key_file, err, errsz) == -1)
		goto fail;
	for (int i = 0; i < cfg->nfallback_files; i++)
		if (ring_add_file(&r, cfg->fallback_files[i], err, errsz) == -1)
			goto fail;
	/* Read-only from now on: a stray write faults instead of corrupting. */
	if (sodium_mprotect_readonly(r.keys) == -1) {
		errmsg(err, errsz, "cannot protect the key ring: %s",
		    strerror(errno));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	keyring_free(&r);
	return -1;
}

void
keyring_free(struct keyring *r)
{
	if (r->keys != NULL)
		sodium_free(r->keys);	/* wipes, even read-only memory */
	r->keys = NULL;
	r->nkeys = 0;
}

/* write(2) all of buf, retrying short writes and EINTR. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path, so a create or rename is durable. */
static int
fsync_dir(const char *path, char *err, size_t errsz)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, ret = -1;

	if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir)
		return errmsg(err, errsz, "%s: path too long", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errmsg(err, errsz, "%s: cannot open directory: %s",
		    dir, strerror(errno));
	if (fsync(fd) == -1)
		errmsg(err, errsz, "%s: fsync: %s", dir, strerror(errno));
	else
		ret = 0;
	close(fd);
	return ret;
}

/*
 * Create path exclusively (0600, no symlink followed) and write keys as
 * hex lines; fsync'd. The fd is closed; on error the file is removed.
 */
static int
write_keyfile(const char *path, unsigned char (*keys)[KEY_BYTES], int n,
    const struct keyfile *owner, char *err, size_t errsz)
{
	char hex[KEY_HEX + 2];
	int fd, ret = -1;

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return errmsg(err, errsz, "%s: cannot create key file: %s",
		    path, strerror(errno));
	if (owner != NULL && fchown(fd, owner->uid, owner->gid) == -1
	    && !(errno == EPERM && geteuid() != 0)) {
		/* Keep the daemon's user able to read the rotated file. */
		errmsg(err, errsz, "%s: cannot give the key file its previous "
		    "owner: %s", path, strerror(errno));
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		sodium_bin2hex(hex, sizeof hex - 1, keys[i], KEY_BYTES);
		hex[KEY_HEX] = '\n';
		if (write_all(fd, hex, KEY_HEX + 1) == -1) {
			errmsg(err, errsz, "%s: write error: %s", path,
			    strerror(errno));
			goto fail;
		}
	}
	if (fsync(fd) == -1) {
		errmsg(err, errsz, "%s: fsync: %s", path, strerror(errno));
		goto fail;
	}
	ret = 0;
fail:
	sodium_memzero(hex, sizeof hex);
	if (close(fd) == -1 && ret == 0)
		ret = errmsg(err, errsz, "%s: close: %s", path,
		    strerror(errno));
	if (ret == -1)
		unlink(path);
	return ret;
}

int
keyfile_create(const char *path, char *err, size_t errsz)
{
	unsigned char (*key)[KEY_BYTES];
	int ret = -1;

	if ((key = sodium_malloc(KEY_BYTES)) == NULL)
		return errmsg(err, errsz, "%s: out of memory", path);
	randombytes_buf(key[0], KEY_BYTES);
	if (write_keyfile(path, key, 1, NULL, err, errsz) == -1)
		goto fail;
	if (fsync_dir(path, err, errsz) == -1)
		goto fail;
	ret = 0;
fail:
	sodium_free(key);
	return ret;
}

int
keyfile_rotate(const char *path, char *err, size_t errsz)
{
	struct keyfile kf = { .keys = NULL };
	unsigned char (*keys)[KEY_BYTES] = NULL;
	char tmp[PATH_MAX];
	int ret = -1, keep;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return errmsg(err, errsz, "%s: path too long", path);
	/* Row 0 is the new key; the file's keys are read in below it. */
	if ((keys = sodium_malloc((KEYS_MAX + 1) * KEY_BYTES)) == NULL)
		return errmsg(err, errsz, "%s: out of memory", path);
	kf.keys = keys + 1;
	if (keyfile_load(path, &kf, KEYS_MAX, 0, 1, err, errsz) == -1)
		goto fail;
	randombytes_buf(keys[0], KEY_BYTES);
	keep = kf.n < KEYS_PER_FILE - 1 ? kf.n : KEYS_PER_FILE - 1;
	/* A stale temp file from an interrupted rotation is ours to remove. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		errmsg(err, errsz, "%s: cannot remove stale file: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (write_keyfile(tmp, keys, keep + 1, &kf, err, errsz) == -1)
		goto fail;
	if (rename(tmp, path) == -1) {
		errmsg(err, errsz, "%s: cannot rename to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		goto fail;
	}
	if (fsync_dir(path, err, errsz) == -1)
		goto fail;
	ret = 0;
fail:
	sodium_free(keys);
	return ret;
}
