/*
 * cli_user_import.h - `sessiongw user import FILE` and `user export`.
 *
 * import reads Django's `manage.py dumpdata auth.user` (a JSON array, or
 * its JSON Lines form) and the JSON Lines of `user export`; see
 * src/cli_user_import.c for the rules. Both return the exit status.
 */
#ifndef SESSIONGW_CLI_USER_IMPORT_H
#define SESSIONGW_CLI_USER_IMPORT_H

#include "store.h"

#define IMPORT_FILE_MAX	(512L * 1024 * 1024)	/* bytes; larger is refused */

int	user_import_file(struct store *, const char *path);
/* One JSON object per line on stdout: it holds password hashes. */
int	user_export(struct store *);

#endif
