/*
 * The loader's allocator, in place of musl's malloc in the image's build.
 *
 * The loader runs for about a millisecond and then execs or exits: it frees
 * nothing it would use again, so a bump allocator serves it, and touches the
 * fewest pages. musl's malloc keeps each size class and its metadata in
 * pages of their own: five of the twelve pages the loader touched, and a
 * page fault costs 20 us of CPU in a VM (BENCHMARKS.md).
 *
 * Blocks come from a static arena next to the loader's other globals, then
 * from chunks mapped as needed, whose pages the kernel faults in only as
 * they are written. Memory is never reused, so every block is fresh zeros
 * (calloc clears nothing). Each block has its size in front of it, for
 * realloc, which grows the last block in place.
 *
 * Not in the tests' cgo bridge (LOADER_NO_MAIN: the Go program's malloc)
 * nor in the sanitized build (__SANITIZE_ADDRESS__: AddressSanitizer's,
 * which checks every access to the heap). hack/build-loader.sh checks that
 * musl's malloc is not linked next to this one.
 */
#if !defined(LOADER_NO_MAIN) && !defined(__SANITIZE_ADDRESS__)

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
	ALIGN = 16,	    /* as malloc's: any type fits */
	CHUNK = 1 << 20,    /* the least mapped at once */
	ARENA = 16 << 10,   /* a small file's loader needs a few KiB */
};

static _Alignas(ALIGN) unsigned char arena[ARENA];
static unsigned char *next = arena, *end = arena + ARENA;

/* size_of is the size asked for the block at p. */
static size_t *size_of(void *p)
{
	return (size_t *)((unsigned char *)p - ALIGN);
}

/* rounded is n up to a multiple of ALIGN, or 0 when that overflows. */
static size_t rounded(size_t n)
{
	return n > SIZE_MAX - ALIGN ? 0 : (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

void *malloc(size_t n)
{
	size_t need = rounded(n);
	if (need == 0 && n != 0) {
		errno = ENOMEM;
		return NULL;
	}
	need += ALIGN; /* the size in front */
	if ((size_t)(end - next) < need) {
		size_t map = need > CHUNK ? need : CHUNK;
		void *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		next = p;
		end = next + map;
	}
	void *p = next + ALIGN;
	next += need;
	*size_of(p) = n;
	return p;
}

void *calloc(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(count * size);
}

void *realloc(void *p, size_t n)
{
	if (p == NULL)
		return malloc(n);
	size_t old = *size_of(p);
	size_t need = rounded(n);
	if (need == 0 && n != 0) {
		errno = ENOMEM;
		return NULL;
	}
	/* The last block grows in place; a block never shrinks, so that
	 * the memory after next is always fresh. */
	unsigned char *after = (unsigned char *)p + rounded(old);
	if (after == next && need <= (size_t)(end - (unsigned char *)p)) {
		if (n > old) {
			next = (unsigned char *)p + need;
			*size_of(p) = n;
		}
		return p;
	}
	if (n <= old)
		return p;
	void *q = malloc(n);
	if (q != NULL)
		memcpy(q, p, old);
	return q;
}

void free(void *p)
{
	(void)p;
}

#endif
