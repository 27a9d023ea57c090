/*
 * errmsg.c - see errmsg.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

int
errmsg(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}
