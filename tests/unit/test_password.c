/*
 * test_password.c - argon2id hashing and verification, the dummy hash,
 * and password_read from stdin (a pipe put on fd 0) and from a terminal
 * (a pseudo-terminal made the controlling tty of a child).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "password.h"
#include "unit.h"

UNIT_TEST(password_hash_verify)
{
	char hash[128], other[128], big[PASSWORD_MAX + 2];

	CHECK_INT(password_hash("correct horse", hash, sizeof hash), 0);
	CHECK(strncmp(hash, "$argon2id$", 10) == 0);
	CHECK(password_verify(hash, "correct horse"));
	CHECK(!password_verify(hash, "correct hors"));
	CHECK(!password_verify(hash, ""));
	CHECK(!password_verify(hash, NULL));
	/* Salted: the same password hashes differently. */
	CHECK_INT(password_hash("correct horse", other, sizeof other), 0);
	CHECK(strcmp(hash, other) != 0);
	/* Too small an output buffer. */
	CHECK_INT(password_hash("x", other, 64), -1);
	/* PASSWORD_MAX bytes is fine, one more is refused. */
	memset(big, 'a', sizeof big);
	big[PASSWORD_MAX] = '\0';
	CHECK_INT(password_hash(big, other, sizeof other), 0);
	CHECK(password_verify(other, big));
	big[PASSWORD_MAX] = 'a';
	big[PASSWORD_MAX + 1] = '\0';
	CHECK_INT(password_hash(big, hash, sizeof hash), -1);
	CHECK(!password_verify(other, big));
}

UNIT_TEST(password_malformed_hash)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"$argon2id$",
		"$argon2id$v=19$m=65536,t=2,p=1$short",
		"$2b$12$abcdefghijklmnopqrstuuNnLpnsQr1lYfcHbXkZGTn9sdPI8Zo/e",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!password_verify(bad[i], "x"));
	CHECK(!password_verify(NULL, "x"));
}

UNIT_TEST(password_dummy)
{
	char a[128], b[128];

	CHECK_INT(password_dummy_hash(a, sizeof a), 0);
	CHECK_INT(password_dummy_hash(b, sizeof b), 0);
	CHECK(strncmp(a, "$argon2id$", 10) == 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(!password_verify(a, ""));
	CHECK(!password_verify(a, "password"));
	CHECK_INT(password_dummy_hash(a, 10), -1);
}

/*
 * Run password_read(from_stdin = true) with input on fd 0 (a pipe).
 * rest gets what is left unread in the pipe afterwards.
 */
static int
read_stdin(const char *input, size_t len, char *out, size_t outsz,
    char *err, size_t errsz, char *rest, size_t restsz)
{
	int p[2], saved, rc;
	ssize_t r;

	if (pipe(p) == -1)
		return -2;
	if (write(p[1], input, len) != (ssize_t)len)
		return -2;
	close(p[1]);
	saved = dup(STDIN_FILENO);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	err[0] = '\0';
	rc = password_read(true, false, out, outsz, err, errsz);
	r = read(STDIN_FILENO, rest, restsz - 1);
	rest[r > 0 ? r : 0] = '\0';
	dup2(saved, STDIN_FILENO);
	close(saved);
	return rc;
}

UNIT_TEST(password_read_stdin)
{
	static const struct {
		const char *in;
		const char *want;	/* NULL: error */
		const char *msg;
		const char *rest;
	} rows[] = {
		{ "secret\n", "secret", NULL, "" },
		{ "secret\r\nsecond line\n", "secret", NULL, "second line\n" },
		{ "no newline", "no newline", NULL, "" },
		{ " spaces kept \n", " spaces kept ", NULL, "" },
		{ "\nsecret\n", NULL, "empty password", "secret\n" },
		{ "\r\n", NULL, "empty password", "" },
		{ "", NULL, "empty password", "" },
	};
	char out[PASSWORD_MAX + 1], err[256], rest[64];
	char *big;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int rc = read_stdin(rows[i].in, strlen(rows[i].in), out,
		    sizeof out, err, sizeof err, rest, sizeof rest);

		if (rows[i].want != NULL) {
			CHECK_INT(rc, 0);
			CHECK_STR(out, rows[i].want);
		} else {
			CHECK_INT(rc, -1);
			CHECK_STR(err, rows[i].msg);
			CHECK_STR(out, "");	/* wiped */
		}
		CHECK_STR(rest, rows[i].rest);
	}
	/* A NUL byte inside the line. */
	CHECK_INT(read_stdin("ab\0cd\n", 6, out, sizeof out, err, sizeof err,
	    rest, sizeof rest), -1);
	CHECK(strstr(err, "NUL") != NULL);
	/* Longer than PASSWORD_MAX: refused, and the line is consumed. */
	big = malloc(PASSWORD_MAX + 16);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, 'p', PASSWORD_MAX + 1);
	memcpy(big + PASSWORD_MAX + 1, "\nnext\n", 7);
	CHECK_INT(read_stdin(big, strlen(big), out, sizeof out, err,
	    sizeof err, rest, sizeof rest), -1);
	CHECK(strstr(err, "too long") != NULL);
	CHECK_STR(rest, "next\n");
	/* Exactly PASSWORD_MAX is fine. */
	big[PASSWORD_MAX] = '\n';
	big[PASSWORD_MAX + 1] = '\0';
	CHECK_INT(read_stdin(big, strlen(big), out, sizeof out, err,
	    sizeof err, rest, sizeof rest), 0);
	CHECK_INT(strlen(out), PASSWORD_MAX);
	/* A small output buffer bounds the password too. */
	CHECK_INT(read_stdin("abcdef\n", 7, out, 4, err, sizeof err, rest,
	    sizeof rest), -1);
	CHECK(strstr(err, "too long") != NULL);
	free(big);
}

/*
 * Child side of the terminal test: make the pty slave our controlling
 * terminal, read with confirm, report "rc:password:echo-restored".
 */
static void
tty_child(const char *slave, int report)
{
	char out[64], err[128], msg[256];
	struct termios t;
	int fd, rc;

	setsid();
	if ((fd = open(slave, O_RDWR)) == -1)
		_exit(3);
	rc = password_read(false, true, out, sizeof out, err, sizeof err);
	if (tcgetattr(fd, &t) == -1)
		_exit(4);
	snprintf(msg, sizeof msg, "%d:%s:%d", rc, rc == 0 ? out : err,
	    (t.c_lflag & ECHO) != 0);
	if (write(report, msg, strlen(msg)) == -1)
		_exit(5);
	_exit(0);
}

/* Type lines into a pty; return what the child reported. */
static int
tty_session(const char *typed, char *report, size_t reportsz, char *screen,
    size_t screensz)
{
	struct pollfd pfd;
	char slave[128];
	int master, rp[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1
	    || grantpt(master) == -1 || unlockpt(master) == -1
	    || ptsname_r(master, slave, sizeof slave) != 0
	    || pipe(rp) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(rp[0]);
		close(master);
		tty_child(slave, rp[1]);
	}
	close(rp[1]);
	/* Wait for the first prompt, so echo is already off when we type. */
	/*
	 * Non-blocking, bounded to ~10 s: until the child opens the slave,
	 * the master may poll as readable (hang-up) with nothing to read.
	 */
	fcntl(master, F_SETFL, O_NONBLOCK);
	pfd = (struct pollfd){ .fd = master, .events = POLLIN };
	for (int tries = 0; tries < 100 && got + 1 < screensz &&
	    strstr(screen, "Password: ") == NULL; tries++) {
		if (poll(&pfd, 1, 100) < 0)
			break;
		if ((r = read(master, screen + got, screensz - 1 - got)) <= 0) {
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			continue;
		}
		got += (size_t)r;
		screen[got] = '\0';
	}
	if (write(master, typed, strlen(typed)) == -1)
		return -1;
	/* Never hang the test run: a stuck child is killed after 10 s. */
	pfd = (struct pollfd){ .fd = rp[0], .events = POLLIN };
	r = poll(&pfd, 1, 10000) == 1 ? read(rp[0], report, reportsz - 1) : -1;
	report[r > 0 ? r : 0] = '\0';
	if (r <= 0)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Collect what the terminal displayed after the prompt. */
	fcntl(master, F_SETFL, O_NONBLOCK);
	while (got + 1 < screensz
	    && (r = read(master, screen + got, screensz - 1 - got)) > 0)
		got += (size_t)r;
	screen[got] = '\0';
	close(rp[0]);
	close(master);
	return 0;
}

UNIT_TEST(password_read_tty)
{
	char report[256], screen[1024];

	screen[0] = '\0';
	CHECK_INT(tty_session("hunter2\nhunter2\n", report, sizeof report,
	    screen, sizeof screen), 0);
	CHECK_STR(report, "0:hunter2:1");
	CHECK(strstr(screen, "Repeat password: ") != NULL);
	CHECK(strstr(screen, "hunter2") == NULL);	/* never echoed */

	screen[0] = '\0';
	CHECK_INT(tty_session("hunter2\nhunter3\n", report, sizeof report,
	    screen, sizeof screen), 0);
	CHECK_STR(report, "-1:passwords do not match:1");

	screen[0] = '\0';
	CHECK_INT(tty_session("\n", report, sizeof report, screen,
	    sizeof screen), 0);
	CHECK_STR(report, "-1:empty password:1");
}
