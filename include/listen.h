/*
 * listen.h - opening and closing the FastCGI listening socket.
 */
#ifndef SESSIONGW_LISTEN_H
#define SESSIONGW_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define LISTEN_OK	0
#define LISTEN_FAIL	1	/* exit 1 */
#define LISTEN_USAGE	2	/* exit 2: config problem or socket in use */

int	listen_open(const struct config *, int *fd, char *err, size_t errsz);
/* Close fd and remove a unix socket file. */
void	listen_close(const struct config *, int fd);

/*
 * Give the unix socket this process created to uid:gid (privilege drop;
 * -1 keeps a part). Through a descriptor opened at bind: never follows a
 * name swapped since. 0, or -1 with err. At most once.
 */
int	listen_chown(const struct config *, uid_t, gid_t, char *err,
	    size_t errsz) __attribute__((warn_unused_result));

/*
 * Is listen a TCP address other than loopback (0.0.0.0, a LAN address, a
 * host name other than localhost)? FastCGI has no authentication, so such a
 * listener lets any peer forge REMOTE_ADDR and HTTPS. The one rule used by
 * check-config and setup-session-security; listen_exposed_warning() is the
 * advice they print.
 */
bool	listen_exposed(const char *listen);
const char *listen_exposed_warning(void);

#endif
