/*
 * listen.c - the FastCGI listening socket: unix:PATH, HOST:PORT or inherit.
 *
 * A unix socket file left behind by a killed daemon is replaced; one that
 * another process still answers on is refused (two daemons on one socket
 * would split the traffic silently).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

#define BACKLOG	1024

/*
 * The socket file this process created: at exit it is removed only if it
 * is still that file, not one a newer instance has put in its place.
 */
static dev_t	created_dev;
static ino_t	created_ino;
static bool	created;

static int
unix_addr(const char *path, struct sockaddr_un *sun, char *err, size_t errsz)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		snprintf(err, errsz, "listen = unix:%s: path too long", path);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* 0: nobody answers (stale or absent), 1: alive, -1: error. */
static int
socket_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	close(fd);
	return rc == 0 ? 1 : 0;
}

static int
open_unix(const char *path, int mode, int *fdp, char *err, size_t errsz)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd = -1;

	if (unix_addr(path, &sun, err, errsz) != 0)
		return LISTEN_USAGE;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz, "listen = unix:%s: exists and is "
			    "not a socket", path);
			return LISTEN_USAGE;
		}
		if (socket_alive(&sun) == 1) {
			snprintf(err, errsz, "listen = unix:%s: another process "
			    "is answering on this socket", path);
			return LISTEN_USAGE;
		}
		if (unlink(path) != 0) {
			snprintf(err, errsz, "listen = unix:%s: cannot remove "
			    "stale socket: %s", path, strerror(errno));
			return LISTEN_FAIL;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* Create it with no access at all, then open it up to mode. */
	old = umask(0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(path, (mode_t)mode) != 0 || listen(fd, BACKLOG) != 0 ||
	    lstat(path, &st) != 0)
		goto fail;
	created_dev = st.st_dev;
	created_ino = st.st_ino;
	created = true;
	*fdp = fd;
	return LISTEN_OK;
fail:
	snprintf(err, errsz, "listen = unix:%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return LISTEN_FAIL;
}

static int
open_tcp(const char *hostport, int *fdp, char *err, size_t errsz)
{
	int fd = FCGX_OpenSocket(hostport, BACKLOG);

	if (fd < 0) {
		snprintf(err, errsz, "listen = %s: cannot listen (address in "
		    "use or not local?)", hostport);
		return LISTEN_FAIL;
	}
	*fdp = fd;
	return LISTEN_OK;
}

int
listen_open(const struct config *cfg, int *fdp, char *err, size_t errsz)
{
	int type;
	socklen_t len = sizeof type;

	if (strcmp(cfg->listen, "inherit") == 0) {
		if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
			snprintf(err, errsz, "listen = inherit: fd 0 is not a "
			    "socket");
			return LISTEN_USAGE;
		}
		*fdp = 0;
		return LISTEN_OK;
	}
	if (strncmp(cfg->listen, "unix:", 5) == 0)
		return open_unix(cfg->listen + 5, cfg->socket_mode, fdp, err,
		    errsz);
	return open_tcp(cfg->listen, fdp, err, errsz);
}

void
listen_close(const struct config *cfg, int fd)
{
	struct stat st;

	if (fd > 0)
		close(fd);
	if (!created || strncmp(cfg->listen, "unix:", 5) != 0)
		return;
	if (lstat(cfg->listen + 5, &st) == 0 && st.st_dev == created_dev &&
	    st.st_ino == created_ino)
		(void)unlink(cfg->listen + 5);
	created = false;
}

int
listen_chown(const struct config *cfg, uid_t uid, gid_t gid)
{
	if (!created || strncmp(cfg->listen, "unix:", 5) != 0)
		return 0;
	return chown(cfg->listen + 5, uid, gid);
}
