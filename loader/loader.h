/*
 * The loader program (loader v2): how its parts meet.
 *
 *   dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <argv…>
 *
 * It replaces cmd/dotenv-loader, the Go program it is a port of; packages
 * dotenv and mask stay as the reference it is tested against. It is C,
 * static against musl, because it runs in front of every wrapped RUN and a
 * Go program's start costs several milliseconds of CPU there.
 *
 * Ownership: main.c, dotenv.c, env.c, exec.c (the load and exec path);
 * mask.c, parent.c (masking, the loader as the command's parent).
 */
#ifndef LOADER_H
#define LOADER_H

#include <stddef.h>

/* Exit codes, as dotenv.ExitLoadFailed, ExitCannotRun, ExitNotFound. */
enum {
	EXIT_LOAD_FAILED = 125,
	EXIT_CANNOT_RUN = 126,
	EXIT_NOT_FOUND = 127,
};

/* Why the loader ends without running the command: its exit code and the
 * one line it prints after "dockerfile-dotenv: " (NULL: nothing). */
struct failure {
	int code;
	char *msg;
};

/* exec.c */

/* look_path finds argv0 as runc does (Go's exec.LookPath on the RUN's
 * PATH). It returns the file to exec, or NULL with *f set. */
char *look_path(const char *argv0, const char *path, struct failure *f);

/* exec_failure words a failed execve of file (errno err) as the Go loader
 * does; too_big is added to E2BIG's message. */
struct failure exec_failure(const char *file, int err, const char *too_big);

/* mask.c */

/* The byte strings to mask for the file's values (mask.Patterns), or NULL
 * when there is nothing to mask. */
struct patterns;
struct patterns *mask_patterns(char *const values[], size_t n);

/* parent.c */

/* run_masked runs argv as the loader's child with stdout and stderr masked,
 * forwards signals, reaps orphans as PID 1, and ends the loader as the
 * command ended. It returns only when the command could not be started. */
struct failure run_masked(char *const argv[], const char *path, char *const envp[],
			  const char *too_big, const struct patterns *p);

#endif
