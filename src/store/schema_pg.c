#include "store/schema_pg.h"
const char schema_pg_baseline[] =
	"CREATE TABLE schema_version (version bigint NOT NULL); INSERT INTO "
	"schema_version VALUES (23);";
