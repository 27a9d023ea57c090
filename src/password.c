/*
 * password.c - argon2id password hashes (libsodium) and reading a password
 * from stdin or, without echo, from the terminal.
 *
 * Passwords are only ever kept in caller buffers and our own stack buffers,
 * which are wiped with sodium_memzero; stdin and the terminal are read with
 * read(2), one byte at a time, so no stdio buffer keeps a copy and nothing
 * after the first line is consumed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "errmsg.h"
#include "password.h"
#include "password_import.h"

#define OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

/*
 * An argon2id hash (same parameters) of a random password nobody knows.
 * password_verify() checks against it when the stored hash is malformed,
 * so that a bad row costs the same time as a real one.
 */
static const char malformed_stand_in[] =
    "$argon2id$v=19$m=65536,t=2,p=1$00UrUvfp/lHu2iu0XBalCw"
    "$j+h0fbse0PSVyPvbB8NPrkXbZj76VWLvTETb7Nro7E8";

int
password_hash(const char *pw, char *out, size_t outsz)
{
	size_t len = strnlen(pw, PASSWORD_MAX + 1);

	if (len > PASSWORD_MAX || outsz < crypto_pwhash_STRBYTES)
		return -1;
	if (crypto_pwhash_str_alg(out, pw, len, OPSLIMIT, MEMLIMIT,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;	/* out of memory */
	return 0;
}

/*
 * Each argon2id verification takes MEMLIMIT (64 MiB) for its duration. How
 * many run at once is bounded by who calls this: in `serve`, only the
 * password threads (pwpool.c), never the FastCGI workers.
 */
bool
password_verify(const char *hash, const char *pw)
{
	const char *against = hash;
	bool usable = true;
	size_t len;

	if (pw == NULL)
		pw = "";
	len = strnlen(pw, PASSWORD_MAX + 1);
	if (len > PASSWORD_MAX) {
		usable = false;
		len = PASSWORD_MAX;
	}
	/* Imported (Django) hashes: own verifier, see password_import.h. */
	if (password_needs_upgrade(hash))
		return password_import_verify(hash, pw, len) && usable;
	/* needs_rehash returns -1 for a string that is not a valid hash. */
	if (hash == NULL || strnlen(hash, crypto_pwhash_STRBYTES)
	    == crypto_pwhash_STRBYTES
	    || crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) == -1) {
		usable = false;
		against = malformed_stand_in;
	}
	if (crypto_pwhash_str_verify(against, pw, len) != 0)
		usable = false;
	return usable;
}

int
password_dummy_hash(char *out, size_t outsz)
{
	unsigned char rnd[32];
	char pw[sizeof rnd * 2 + 1];
	int ret;

	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
	ret = password_hash(pw, out, outsz);
	sodium_memzero(rnd, sizeof rnd);
	sodium_memzero(pw, sizeof pw);
	return ret;
}

/* Signals that would leave the terminal without echo if they killed us. */
static const int tty_signals[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
#define NSIG_TTY ((int)(sizeof tty_signals / sizeof tty_signals[0]))
static volatile sig_atomic_t tty_caught[NSIG_TTY];

static bool
tty_interrupted(void)
{
	for (int i = 0; i < NSIG_TTY; i++)
		if (tty_caught[i])
			return true;
	return false;
}

static void
tty_on_signal(int sig)
{
	for (int i = 0; i < NSIG_TTY; i++)
		if (tty_signals[i] == sig)
			tty_caught[i] = 1;
}

/*
 * Read one line from fd into out, without the "\n" and a "\r" before it.
 * 0 ok, -1 with err (I/O, interrupted, too long, NUL byte). At EOF without
 * a newline the bytes read so far are the line.
 */
static int
read_line(int fd, char *out, size_t outsz, char *err, size_t errsz)
{
	size_t len = 0, max = outsz - 1 < PASSWORD_MAX ? outsz - 1 :
	    PASSWORD_MAX;
	bool too_long = false, nul = false;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r == -1 && errno == EINTR && !tty_interrupted())
			continue;
		if (r == -1 && errno == EINTR)
			return errmsg(err, errsz, "interrupted");
		if (r == -1)
			return errmsg(err, errsz, "cannot read the password: "
			    "%s", strerror(errno));
		if (r == 0 || c == '\n')
			break;
		if (c == '\0')
			nul = true;
		else if (len < max)
			out[len++] = c;
		else
			too_long = true;	/* read on to the end of line */
	}
	if (len > 0 && out[len - 1] == '\r')
		len--;
	out[len] = '\0';
	c = 0;
	if (too_long)
		return errmsg(err, errsz, "password too long (at most %zu "
		    "bytes)", max);
	if (nul)
		return errmsg(err, errsz, "password contains a NUL byte");
	return 0;
}

/*
 * Prompt on the tty and read one line with echo off. The terminal and
 * the signal handlers are restored on every path; a signal that arrived
 * meanwhile is re-raised afterwards, once echo is back.
 */
static int
tty_read(int fd, const char *prompt, char *out, size_t outsz, char *err,
    size_t errsz)
{
	struct sigaction sa = { .sa_handler = tty_on_signal }, old[NSIG_TTY];
	struct termios saved, quiet;
	bool installed[NSIG_TTY] = { false };
	int ret = -1;

	if (tcgetattr(fd, &saved) == -1)
		return errmsg(err, errsz, "cannot set up the terminal: %s",
		    strerror(errno));
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	quiet.c_lflag |= ECHONL;	/* the user still sees Enter */
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NSIG_TTY; i++) {
		tty_caught[i] = 0;
		installed[i] = sigaction(tty_signals[i], &sa, &old[i]) == 0;
	}
	if (tcsetattr(fd, TCSADRAIN, &quiet) == -1) {
		errmsg(err, errsz, "cannot turn off echo: %s",
		    strerror(errno));
		goto fail;
	}
	if (write(fd, prompt, strlen(prompt)) == -1) {
		errmsg(err, errsz, "cannot write the prompt: %s",
		    strerror(errno));
		goto fail;
	}
	ret = read_line(fd, out, outsz, err, errsz);
fail:
	while (tcsetattr(fd, TCSADRAIN, &saved) == -1) {
		if (errno != EINTR) {
			ret = errmsg(err, errsz, "cannot restore the "
			    "terminal: %s", strerror(errno));
			break;
		}
	}
	for (int i = 0; i < NSIG_TTY; i++)
		if (installed[i] && sigaction(tty_signals[i], &old[i], NULL)
		    == -1)
			ret = errmsg(err, errsz, "cannot restore signal "
			    "handlers: %s", strerror(errno));
	for (int i = 0; i < NSIG_TTY; i++) {
		if (tty_caught[i]) {
			ret = errmsg(err, errsz, "interrupted");
			sodium_memzero(out, outsz);
			raise(tty_signals[i]);
		}
	}
	return ret;
}

static int
read_from_tty(bool confirm, char *out, size_t outsz, char *err, size_t errsz)
{
	char again[PASSWORD_MAX + 1];
	int fd, ret = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return errmsg(err, errsz, "cannot open /dev/tty: %s (use "
		    "--password-stdin)", strerror(errno));
	if (tty_read(fd, "Password: ", out, outsz, err, errsz) == -1)
		goto fail;
	if (out[0] == '\0') {
		errmsg(err, errsz, "empty password");
		goto fail;
	}
	if (confirm) {
		if (tty_read(fd, "Repeat password: ", again, sizeof again, err,
		    errsz) == -1)
			goto fail;
		if (strlen(again) != strlen(out)
		    || sodium_memcmp(again, out, strlen(out)) != 0) {
			errmsg(err, errsz, "passwords do not match");
			goto fail;
		}
	}
	ret = 0;
fail:
	sodium_memzero(again, sizeof again);
	if (ret == -1)
		sodium_memzero(out, outsz);
	close(fd);
	return ret;
}

int
password_read(bool from_stdin, bool confirm, char *out, size_t outsz,
    char *err, size_t errsz)
{
	if (outsz < 2)
		return errmsg(err, errsz, "no room for a password");
	if (!from_stdin)
		return read_from_tty(confirm, out, outsz, err, errsz);
	if (read_line(STDIN_FILENO, out, outsz, err, errsz) == -1)
		goto fail;
	if (out[0] == '\0') {
		errmsg(err, errsz, "empty password");
		goto fail;
	}
	return 0;
fail:
	sodium_memzero(out, outsz);
	return -1;
}
