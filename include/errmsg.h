/*
 * errmsg.h - the error-string convention of the modules that report with
 * "0, or -1 with a message in err": one helper to fill err and return -1.
 */
#ifndef SESSIONGW_ERRMSG_H
#define SESSIONGW_ERRMSG_H

#include <stddef.h>

/* Format into err (truncated to errsz, always NUL-terminated); return -1. */
int	errmsg(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
