/*
 * The loader's allocator, in place of musl's malloc in the image's build.
 *
 * The loader runs for about a millisecond and then execs or exits: it frees
 * nothing small it would use again, so a bump allocator serves it, and
 * touches the fewest pages. musl's malloc keeps each size class and its
 * metadata in pages of their own: five of the twelve pages the loader
 * touched, and a page fault costs 20 us of CPU in a VM (BENCHMARKS.md).
 *
 * Small blocks come from a static arena next to the loader's other globals,
 * then from chunks mapped as needed, whose pages the kernel faults in only
 * as they are written; they are never freed nor reused, so every one is
 * fresh zeros (calloc clears nothing). A large block (a big file's text,
 * the masking patterns of thousands of values) is a mapping of its own,
 * populated as it is made: its writer fills most of it at once, and one
 * call that faults in all its pages costs less than a fault each (2 ms
 * less for a 500 KiB file; a buffer that stays mostly untouched, such as
 * the pipes' read buffer, is mapped by its user instead). realloc grows
 * a large block with mremap, without copying, and free unmaps it. Each
 * block has its size in front of it; a block never shrinks, so a large
 * block stays large and the memory after the last small one stays fresh.
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
	ARENA = 16 << 10,   /* a small file's loader needs a few KiB */
	CHUNK = 1 << 20,    /* the least mapped at once for small blocks */
	LARGE = 128 << 10,  /* from this size, a block is a mapping */
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

/* mapped is the length of a large block's mapping. */
static size_t mapped(size_t n)
{
	return ALIGN + rounded(n);
}

void *malloc(size_t n)
{
	size_t need = rounded(n);
	if (need == 0 && n != 0) {
		errno = ENOMEM;
		return NULL;
	}
	need += ALIGN; /* the size in front */
	unsigned char *b;
	if (n >= LARGE) {
		b = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	} else {
		if ((size_t)(end - next) < need) {
			void *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (c == MAP_FAILED) {
				errno = ENOMEM;
				return NULL;
			}
			next = c;
			end = next + CHUNK;
		}
		b = next;
		next += need;
	}
	if (b == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	*(size_t *)b = n;
	return b + ALIGN;
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
	if (n <= old)
		return p;
	size_t need = rounded(n);
	if (need == 0) {
		errno = ENOMEM;
		return NULL;
	}
	unsigned char *b = (unsigned char *)p - ALIGN;
	if (old >= LARGE) {
		b = mremap(b, mapped(old), mapped(n), MREMAP_MAYMOVE);
		if (b == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		*(size_t *)b = n;
		return b + ALIGN;
	}
	/* The last small block grows in place while it stays small. */
	if (n < LARGE && (unsigned char *)p + rounded(old) == next && need <= (size_t)(end - (unsigned char *)p)) {
		next = (unsigned char *)p + need;
		*size_of(p) = n;
		return p;
	}
	void *q = malloc(n);
	if (q != NULL)
		memcpy(q, p, old);
	return q;
}

void free(void *p)
{
	if (p != NULL && *size_of(p) >= LARGE)
		munmap((unsigned char *)p - ALIGN, mapped(*size_of(p)));
}

#endif
