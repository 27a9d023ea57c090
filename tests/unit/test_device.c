/*
 * test_device.c - device names from real User-Agent strings, and relative
 * times at the unit boundaries.
 */
#include "device.h"
#include "unit.h"

UNIT_TEST(device_names_from_user_agents)
{
	static const struct {
		const char *ua;
		const char *name;
	} t[] = {
		{ "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
		    "Firefox/128.0", "Firefox on Linux" },
		{ "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
		    "like Gecko) Chrome/126.0.0.0 Safari/537.36",
		    "Chrome on Linux" },
		{ "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
		    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
		    "Mobile/15E148 Safari/604.1", "Safari on iPhone" },
		{ "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
		    "(KHTML, like Gecko) Chrome/126.0.6478.71 Mobile "
		    "Safari/537.36", "Chrome on Android" },
		{ "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
		    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 "
		    "Edg/126.0.2592.87", "Edge on Windows" },
		{ "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
		    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
		    "Safari/605.1.15", "Safari on macOS" },
		{ "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
		    "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 "
		    "Mobile/15E148 Safari/604.1", "Chrome on iPhone" },
		{ "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) "
		    "AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 "
		    "Mobile/15E148 Safari/605.1.15", "Firefox on iPad" },
		{ "curl/7.88.1", "curl" },
		{ "Python-urllib/3.11", "Python" },
		{ "", "Unknown device" },
		{ "Mozilla/5.0 (Linux) something", "Linux device" },
	};
	char out[DEVICE_NAME_MAX];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		device_name(t[i].ua, out, sizeof out);
		CHECK_STR(out, t[i].name);
	}
}

UNIT_TEST(device_time_ago)
{
	static const struct {
		int64_t	 ago;
		const char *text;
	} t[] = {
		{ -30, "just now" }, { 0, "just now" }, { 59, "just now" },
		{ 60, "1 minute ago" }, { 119, "1 minute ago" },
		{ 300, "5 minutes ago" }, { 3599, "59 minutes ago" },
		{ 3600, "1 hour ago" }, { 7200, "2 hours ago" },
		{ 86399, "23 hours ago" }, { 86400, "1 day ago" },
		{ 3 * 86400 + 5, "3 days ago" },
	};
	char out[TIME_AGO_MAX];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		time_ago(1700000000, 1700000000 - t[i].ago, out, sizeof out);
		CHECK_STR(out, t[i].text);
	}
}
