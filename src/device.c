/*
 * device.c - device names from User-Agent strings, and relative times.
 *
 * First match wins in each table, so the order matters: every Chromium-
 * based browser also says "Chrome/" and "Safari/", Edge says "Edg/", and
 * Chrome and Firefox on iOS say "CriOS"/"FxiOS" with Safari's engine;
 * Android user agents also say "Linux", iPhones "like Mac OS X".
 */
#include <stdio.h>
#include <string.h>

#include "device.h"

struct ua_rule {
	const char	*needle;
	const char	*name;
};

static const struct ua_rule browsers[] = {
	{ "Edg/", "Edge" }, { "EdgA/", "Edge" }, { "EdgiOS/", "Edge" },
	{ "OPR/", "Opera" }, { "SamsungBrowser/", "Samsung Internet" },
	{ "Firefox/", "Firefox" }, { "FxiOS/", "Firefox" },
	{ "CriOS/", "Chrome" }, { "Chrome/", "Chrome" },
	{ "Safari/", "Safari" },
	{ "curl/", "curl" }, { "Wget/", "Wget" },
	{ "python-requests/", "Python" }, { "Python-urllib/", "Python" },
};

static const struct ua_rule systems[] = {
	{ "iPhone", "iPhone" }, { "iPad", "iPad" },
	{ "Android", "Android" }, { "CrOS", "ChromeOS" },
	{ "Windows", "Windows" }, { "Macintosh", "macOS" },
	{ "Mac OS X", "macOS" }, { "Linux", "Linux" }, { "BSD", "BSD" },
};

static const char *
first_match(const struct ua_rule *t, size_t n, const char *ua)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(ua, t[i].needle) != NULL)
			return t[i].name;
	return NULL;
}

void
device_name(const char *ua, char *out, size_t outsz)
{
	const char *b = first_match(browsers, sizeof browsers /
	    sizeof browsers[0], ua);
	const char *s = first_match(systems, sizeof systems /
	    sizeof systems[0], ua);

	if (b != NULL && s != NULL)
		snprintf(out, outsz, "%s on %s", b, s);
	else if (b != NULL)
		snprintf(out, outsz, "%s", b);
	else if (s != NULL)
		snprintf(out, outsz, "%s device", s);
	else
		snprintf(out, outsz, "%s", "Unknown device");
}

void
time_ago(int64_t now, int64_t t, char *out, size_t outsz)
{
	static const struct {
		int64_t	 secs;
		const char *unit;
	} units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" },
	};
	int64_t d = now - t;

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (d >= units[i].secs) {
			long long n = (long long)(d / units[i].secs);

			snprintf(out, outsz, "%lld %s%s ago", n, units[i].unit,
			    n == 1 ? "" : "s");
			return;
		}
	}
	snprintf(out, outsz, "%s", "just now");
}
