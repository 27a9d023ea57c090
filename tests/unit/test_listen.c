/*
 * test_listen.c - which listen values expose the daemon beyond this host
 * (listen_exposed: the rule behind the check-config / setup warn).
 */
#include <stdbool.h>

#include "listen.h"
#include "unit.h"

UNIT_TEST(listen_exposed_table)
{
	static const struct {
		const char	*listen;
		bool		 exposed;
	} cases[] = {
		{ "unix:/run/sessiongw/sessiongw.sock", false },
		{ "inherit", false },
		{ "127.0.0.1:9000", false },
		{ "127.0.0.2:9000", false },
		{ "127.255.255.254:1", false },
		{ "localhost:9000", false },
		{ "[::1]:9000", false },
		{ "[::ffff:127.0.0.1]:9000", false },
		{ "0.0.0.0:9000", true },
		{ "192.0.2.1:9000", true },
		{ "10.0.0.1:9000", true },
		{ "128.0.0.1:9000", true },
		{ "[::]:9000", true },
		{ "[2001:db8::1]:9000", true },
		{ "[::ffff:192.0.2.1]:9000", true },
		{ "gateway.example:9000", true },
		{ "localhost.evil.example:9000", true },
		{ "127.0.0.1.evil.example:9000", true },
		{ ":9000", true },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (listen_exposed(cases[i].listen) != cases[i].exposed) {
			fprintf(stderr, "  listen = %s\n", cases[i].listen);
			CHECK(listen_exposed(cases[i].listen) == cases[i].exposed);
		}
	}
	CHECK(strstr(listen_exposed_warning(), "REMOTE_ADDR") != NULL);
}
