/*
 * The loader program (loader v2): how its parts meet.
 *
 *   dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <argv…>
 *
 * It is the program the image ships, a port of cmd/dotenv-loader: that Go
 * loader (with packages dotenv and mask) stays as the reference it is
 * tested against byte for byte (this directory's Go tests). It is C,
 * static against musl, because it runs in front of every wrapped RUN and
 * a Go program's start costs several milliseconds of CPU there.
 *
 * Parts: main.c, dotenv.c, env.c, exec.c, text.c (the load and exec path;
 * dotenv.h declares what only they share); mask.c, parent.c (masking, the
 * loader as the command's parent; mask.h); alloc.c (malloc, in the
 * program only).
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

/* text.c: messages, built from fixed strings, names, numbers, paths and
 * the command's name; never with printf, so that no format can pull a
 * byte of a value into them. A failed allocation is remembered and ends
 * in text_done returning NULL. */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};

void text_add(struct text *t, const char *s, size_t n);
void text_str(struct text *t, const char *s);
void text_uint(struct text *t, unsigned long n);
/* text_quote adds s as Go's strconv.Quote words it. */
void text_quote(struct text *t, const char *s);
/* text_errno adds err as Go's syscall.Errno words it ("errno N" when Go
 * has no text for it, or when our table lacks one: see text.c). */
void text_errno(struct text *t, int err);
/* text_done returns the NUL-terminated text (the caller owns it), or NULL
 * when an allocation failed. */
char *text_done(struct text *t);

/* go_errno_text is Go's text for err, or NULL. */
const char *go_errno_text(int err);

/* utf8_decode is Go's utf8.DecodeRune: the rune at s (n > 0 bytes) and
 * its width; an invalid or short sequence is U+FFFD of width 1. */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *rune);

/* out_of_memory is the failure when an allocation fails: the Go loader
 * would have died of it too (its runtime's exit 2). */
struct failure out_of_memory(void);

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
