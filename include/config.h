/*
 * config.h - the parsed INI configuration (see conf/sessiongw.conf).
 *
 * A struct config is filled with the defaults by config_defaults() and then
 * overridden by config_load(). It holds only plain values; the key material
 * lives in keys.h, never here.
 */
#ifndef SESSIONGW_CONFIG_H
#define SESSIONGW_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "store.h"

#define CONFIG_PATH_MAX		4096
#define CONFIG_FALLBACKS_MAX	8
#define CONFIG_ORIGINS_MAX	16

enum cookie_secure { SECURE_FALSE, SECURE_TRUE, SECURE_AUTO };
enum cookie_samesite { SAMESITE_STRICT, SAMESITE_LAX, SAMESITE_NONE };
enum ip_change { IP_CHANGE_LOG, IP_CHANGE_LOGOUT };
/* [mfa] totp: may users enrol a second factor, must they. */
enum mfa_mode { MFA_OFF, MFA_OPTIONAL, MFA_REQUIRED };

struct config {
	char	 path[CONFIG_PATH_MAX];		/* the file it was read from */

	/* [server] */
	char	 listen[CONFIG_PATH_MAX];	/* unix:PATH, HOST:PORT or inherit */
	int	 threads;			/* 1..256 */
	int	 socket_mode;			/* unix socket mode, e.g. 0660 */
	char	 database[CONFIG_PATH_MAX];
	char	 audit_log[CONFIG_PATH_MAX];	/* "-" = stderr */
	char	 secret_key_file[CONFIG_PATH_MAX];
	char	 fallback_files[CONFIG_FALLBACKS_MAX][CONFIG_PATH_MAX];
	int	 nfallback_files;
	char	 route_prefix[256];		/* "/session", no trailing slash */
	char	 user[64];			/* "" = do not drop privileges */
	char	 socket_group[64];		/* "" = the daemon's own group */

	/* [session] */
	char	 cookie_name[64];
	long	 cookie_age;
	long	 absolute_age;
	bool	 save_every_request;
	/* seconds between two activity writes of one session (>= 1) */
	long	 activity_interval;
	bool	 expire_at_browser_close;
	bool	 cookie_httponly;
	enum cookie_secure cookie_secure;
	enum cookie_samesite cookie_samesite;
	char	 cookie_path[256];
	char	 cookie_domain[256];
	enum ip_change ip_change;
	char	 allowed_origins[CONFIG_ORIGINS_MAX][256];
	int	 nallowed_origins;
	long	 remember_age;			/* 0 = no "keep me signed in" */

	/* [cache] */
	long	 cache_max_entries;
	long	 cache_cull_frequency;
	long	 cache_max_entries_per_user;
	long	 cache_max_value_bytes;
	long	 cache_default_timeout;

	/* [cleanup] */
	long	 cleanup_interval;
	long	 cleanup_batch;

	/* [ui] */
	char	 ui_title[128];

	/* [login] */
	long	 login_max_failures;
	long	 login_max_failures_per_ip;	/* per address, IPv6 per /64 */
	long	 login_window;
	long	 login_lockout;
	long	 login_min_password_length;	/* user add/passwd, import */

	/* [mfa] */
	enum mfa_mode mfa_totp;
	char	 mfa_issuer[64];		/* shown in authenticator apps */
	/* [store] (store.h: what store_open needs to find it) */
	struct store_conf store;
};

void	config_defaults(struct config *);

/*
 * Read path over the defaults already in cfg. Returns 0, or -1 with one line
 * naming the file, the line, the key and the value in err
 * ("FILE:LINE: [section] key = value: reason"); on error cfg is unchanged.
 */
int	config_load(struct config *, const char *path, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

/* Same, from a string (tests); name is used in messages. */
int	config_load_string(struct config *, const char *name, const char *text,
	    char *err, size_t errsz) __attribute__((warn_unused_result));

/* "Strict", "Lax" or "None": the cookie attribute and config spelling. */
const char *config_samesite_name(enum cookie_samesite);

/*
 * 1 (with a one-line warning in out) when cookie_name is one a web
 * framework uses for its own cookie, else 0. setup-session-security and
 * check-config both ask this; the table of names lives only here.
 */
int	config_cookie_name_warning(const struct config *, char *out,
	    size_t outsz);

/* Print the effective values as INI (never key material). */
void	config_print(const struct config *, FILE *);

/* Path resolution for -c: explicit, then $SESSIONGW_CONFIG, then default. */
const char *config_default_path(const char *explicit_path);

#endif
