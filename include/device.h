/*
 * device.h - words people recognise for what the account page lists: a
 * device name from a User-Agent ("Firefox on Linux", "Safari on iPhone")
 * and a relative time ("5 minutes ago"). Pure functions, table-driven;
 * the JSON API keeps the raw user agent.
 */
#ifndef SESSIONGW_DEVICE_H
#define SESSIONGW_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#define DEVICE_NAME_MAX	48
#define TIME_AGO_MAX	32

/* "BROWSER on SYSTEM", "BROWSER", "SYSTEM device" or "Unknown device". */
void	device_name(const char *ua, char *out, size_t outsz);
/* "just now", "1 minute ago", "5 hours ago", "3 days ago"; t in the future
 * (clock skew) is "just now". */
void	time_ago(int64_t now, int64_t t, char *out, size_t outsz);

#endif
