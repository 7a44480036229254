#ifndef CHORUS_STORE_SCHEMA_PG_H
#define CHORUS_STORE_SCHEMA_PG_H
extern const char schema_pg_baseline[];
enum { SCHEMA_PG_BASELINE = 23 };
#endif
