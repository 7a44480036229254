/* bench_data.c — placeholder until the generator lands. */
#include <stdio.h>

int bench_data_run(int accounts, int statuses, unsigned seed);

int bench_data_run(int accounts, int statuses, unsigned seed)
{
	(void)accounts;
	(void)statuses;
	(void)seed;
	fputs("chorus: bench-data is not built yet\n", stderr);
	return -1;
}
