/*
 * listen.h - opening and closing the FastCGI listening socket.
 */
#ifndef SESSIONGW_LISTEN_H
#define SESSIONGW_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define LISTEN_OK	0
#define LISTEN_FAIL	1	/* exit 1 */
#define LISTEN_USAGE	2	/* exit 2: config problem or socket in use */

int	listen_open(const struct config *, int *fd, char *err, size_t errsz);
/* Close fd and remove a unix socket file. */
void	listen_close(const struct config *, int fd);

/* Give the unix socket this process created to uid:gid (privilege drop). */
int	listen_chown(const struct config *, uid_t, gid_t);

#endif
