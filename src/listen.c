/*
 * listen.c - the FastCGI listening socket: unix:PATH, HOST:PORT or inherit.
 *
 * A unix socket file left behind by a killed daemon is replaced; one that
 * another process still answers on is refused (two daemons on one socket
 * would split the traffic silently).
 *
 * The daemon may bind as root and then give the socket to [server] user and
 * socket_group. That must never change a file other than the socket it
 * created, whatever someone with write access to the socket's directory
 * does meanwhile: the mode is set by the umask at bind (no chmod by path),
 * and ownership goes through an O_PATH | O_NOFOLLOW descriptor opened right
 * after bind and checked to be a socket (no chown by path). A symlink put
 * in its place is opened as the link itself and refused; a hard link to
 * another file cannot replace it (fs.protected_hardlinks, on by default,
 * forbids linking files one does not own), and fchownat on the descriptor
 * changes the inode it was opened on, not whatever the name means later.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
/* O_PATH descriptor of that socket file, until listen_chown; -1 after. */
static int	created_pathfd = -1;

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
	int fd = -1, pathfd = -1;

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
	/* Created with its final mode: no chmod by path afterwards. */
	old = umask((mode_t)(~mode & 0777));
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	pathfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pathfd < 0 || fstat(pathfd, &st) != 0)
		goto fail;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "listen = unix:%s: replaced by something "
		    "that is not a socket right after bind; refusing", path);
		close(pathfd);
		close(fd);
		return LISTEN_FAIL;
	}
	if (listen(fd, BACKLOG) != 0)
		goto fail;
	created_dev = st.st_dev;
	created_ino = st.st_ino;
	created = true;
	created_pathfd = pathfd;
	*fdp = fd;
	return LISTEN_OK;
fail:
	snprintf(err, errsz, "listen = unix:%s: %s", path, strerror(errno));
	if (pathfd >= 0)
		close(pathfd);
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
	if (created_pathfd >= 0) {
		close(created_pathfd);
		created_pathfd = -1;
	}
	if (!created || strncmp(cfg->listen, "unix:", 5) != 0)
		return;
	if (lstat(cfg->listen + 5, &st) == 0 && st.st_dev == created_dev &&
	    st.st_ino == created_ino)
		(void)unlink(cfg->listen + 5);
	created = false;
}

/*
 * Through the descriptor opened at bind, never by path (see the top of the
 * file). (uid_t)-1 / (gid_t)-1 leave that part as it is. Once only: the
 * descriptor is closed afterwards, nothing else needs it.
 */
int
listen_chown(const struct config *cfg, uid_t uid, gid_t gid, char *err,
    size_t errsz)
{
	int rc = 0;

	if (!created || created_pathfd < 0 ||
	    strncmp(cfg->listen, "unix:", 5) != 0)
		return 0;
	if (fchownat(created_pathfd, "", uid, gid, AT_EMPTY_PATH) != 0) {
		snprintf(err, errsz, "listen = %s: cannot change the socket's "
		    "owner: %s", cfg->listen, strerror(errno));
		rc = -1;
	}
	close(created_pathfd);
	created_pathfd = -1;
	return rc;
}

/* 1: a loopback address (or name), 0: anything else. */
static int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

bool
listen_exposed(const char *listen)
{
	char host[256];
	const char *colon;
	size_t n;

	if (strcmp(listen, "inherit") == 0 || strncmp(listen, "unix:", 5) == 0)
		return false;
	if ((colon = strrchr(listen, ':')) == NULL)
		return true;
	n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof host)
		return true;
	memcpy(host, listen, n);
	host[n] = '\0';
	return !host_is_loopback(host);
}

const char *
listen_exposed_warning(void)
{
	return "FastCGI has no authentication: any host that can reach this "
	    "port can forge REMOTE_ADDR and HTTPS and use every endpoint; "
	    "listen on a unix socket or on 127.0.0.1 (firewall the port "
	    "otherwise)";
}
