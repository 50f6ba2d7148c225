/*
 * TEST-ONLY STUB, never shipped: run_masked while loader/parent.c is not
 * merged. The tests (loader_test.go) link it only when loader/parent.c is
 * absent, and say so. It is never called with stub_mask.c (which finds
 * nothing to mask); with the real mask.c it fails loudly.
 */
#include "../loader.h"

static char msg[] = "loader: TEST STUB: run_masked is not merged yet";

struct failure run_masked(char *const argv[], const char *path, char *const envp[],
			  const char *too_big, const struct patterns *p)
{
	(void)argv;
	(void)path;
	(void)envp;
	(void)too_big;
	(void)p;
	struct failure f = {EXIT_LOAD_FAILED, msg};
	return f;
}
