/* schema_pg.h — chorus's schema on PostgreSQL at one version (the
 * baseline); later versions are migrations in schema.c. */
#ifndef CHORUS_STORE_SCHEMA_PG_H
#define CHORUS_STORE_SCHEMA_PG_H

/* The script that creates the schema in an empty database, at version
 * SCHEMA_PG_BASELINE (it fills schema_version). */
extern const char schema_pg_baseline[];
enum { SCHEMA_PG_BASELINE = 23 };
/* The rows SQLite's migrations seed (token_revision's one row), for a
 * new database; migrate-to copies them from the source instead. */
extern const char schema_pg_seed[];
/* The script that takes the schema from version - 1 to version, for a
 * version after the baseline (schema.c); NULL for any other. */
const char *store_pg_migration_sql(int version);

#endif
