/*
 * migrations.h - the schema migrations compiled into the binary.
 *
 * build/sql_migrations.c is generated from sql/NNN_name.sql by
 * tools/embed-sql.sh: sql_migrations[i] brings the schema from
 * PRAGMA user_version i to i + 1. Only store_migrate() should need this.
 */
#ifndef SESSIONGW_MIGRATIONS_H
#define SESSIONGW_MIGRATIONS_H

#include <stddef.h>

extern const char *const sql_migrations[];
extern const size_t sql_migrations_count;

#endif
