/*
 * Masking, inside the loader: mask.c's declarations for parent.c and for the
 * tests' bridge (loader/mask_cgo.go). mask.c is a port of package mask, the
 * reference it is tested against byte for byte.
 */
#ifndef MASK_H
#define MASK_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* The patterns: n byte strings, none empty when they come from
 * patterns_of or mask_patterns (the bridge builds others by hand). */
struct patterns {
	size_t n;
	const unsigned char **p;
	size_t *len;
	void *mem; /* what patterns_free frees besides p and len, or NULL */
};

/* patterns_of is mask.Patterns for the n values v[i] of len[i] bytes
 * (mask_patterns takes NUL-terminated ones). It returns NULL when out of
 * memory; a result with n == 0 when there is nothing to mask. */
struct patterns *patterns_of(const char *const v[], const size_t len[], size_t n);
void patterns_free(struct patterns *ps);

/* A matcher finds the patterns in a buffer (match.go). It only reads the
 * patterns, which must outlive it. */
struct matcher;

/* matcher_new sets *m to a matcher of the non-empty patterns of ps, or to
 * NULL if there are none. It returns -1 when out of memory, else 0. */
int matcher_new(struct matcher **m, const struct patterns *ps);
void matcher_free(struct matcher *m);

/* The longest pattern, for the tests. */
size_t matcher_maxlen(const struct matcher *m);

/* A sink takes bytes out of a writer: 0, or an errno when it failed. */
typedef int (*mask_sink)(void *ctx, const unsigned char *p, size_t n);

/* mwriter is mask.Writer (writer.go): every occurrence of a pattern in the
 * stream written to it becomes "***" on its sink, the union of overlapping
 * and adjacent occurrences as one; it holds back only a tail of the stream
 * that may begin a pattern (shorter than the longest pattern) until more
 * bytes or the flush decide it, and needs no newline. Its memory is fixed
 * when it is made: three times MASK_CHUNK plus the longest pattern (the
 * buffer, and what a step writes out), mapped as it is used. */
struct mwriter {
	const struct matcher *m; /* NULL: writes go straight to the sink */
	mask_sink sink;
	void *ctx;
	unsigned char *buf; /* the held-back tail, then the bytes of a write */
	size_t len, cap;
	/* The length of the start of buf inside a masked region already
	 * written as "***" (0 if it ends where buf starts), or -1. */
	ptrdiff_t region;
	unsigned char *out; /* the masked bytes of a step */
	size_t outcap;
	int err; /* the sink's first failure, returned ever after */
};

/* How much of a write is scanned at a time, as mask's chunk. */
#define MASK_CHUNK (32 << 10)

/* mwriter_init makes w write to sink, masking what m finds (m may be
 * NULL). It returns -1 when out of memory, else 0. */
int mwriter_init(struct mwriter *w, const struct matcher *m, mask_sink sink, void *ctx);

/* mwriter_write masks p[0:n] and passes on what is decided. It returns 0,
 * or the sink's errno (then every later call returns it too). */
int mwriter_write(struct mwriter *w, const unsigned char *p, size_t n);

/* mwriter_flush ends the stream: the held-back tail goes out, masked where
 * it holds whole patterns. The writer can then start a new stream. */
int mwriter_flush(struct mwriter *w);

void mwriter_free(struct mwriter *w);

/* mask_pages returns n bytes of fresh zero pages (munmap frees them), or
 * NULL: the matcher's tables and the buffers of the output, most of whose
 * pages a RUN never touches. Straight from the kernel rather than malloc
 * (which populates a large block at once): only the pages written are
 * ever faulted in (a page fault costs 15-20 us of CPU in a VM), and a
 * fresh mapping needs no clearing. */
void *mask_pages(size_t n);

#endif
