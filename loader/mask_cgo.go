package loader

// The bridge to mask.c for the tests (mask_test.go), which check it against
// package mask, its reference: the same patterns for the same values, and
// the same bytes out of a writer after every write and the flush. cgo
// builds every .c file of this directory; main.c's main is left out by
// LOADER_NO_MAIN.

/*
#cgo CFLAGS: -std=c11 -D_GNU_SOURCE -DLOADER_NO_MAIN -Wall -Wextra -Wvla
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mask.h"

// What a writer passed on, kept until the Go side takes it; failAfter
// sinks succeed, then every one fails with EIO (-1: none fails).
struct sinkbuf {
	unsigned char *p;
	size_t len, cap;
	long failAfter;
};

static int bridgeSink(void *ctx, const unsigned char *p, size_t n)
{
	struct sinkbuf *s = ctx;
	if (s->failAfter == 0)
		return EIO;
	if (s->failAfter > 0)
		s->failAfter--;
	if (n > s->cap - s->len) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap - s->len < n)
			cap *= 2;
		unsigned char *q = realloc(s->p, cap);
		if (q == NULL)
			return ENOMEM;
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	return 0;
}

struct bridge {
	struct patterns ps;
	struct matcher *m;
	struct mwriter w;
	struct sinkbuf out;
};

static void bridgeFree(struct bridge *b)
{
	mwriter_free(&b->w);
	matcher_free(b->m);
	free(b->ps.p);
	free(b->ps.len);
	free(b->ps.mem);
	free(b->out.p);
	free(b);
}

// bridgeNew copies the n patterns of data, each len[i] bytes, one after the
// other.
static struct bridge *bridgeNew(const unsigned char *data, const size_t *len, size_t n)
{
	struct bridge *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += len[i];
	b->ps.n = n;
	b->ps.p = calloc(n ? n : 1, sizeof *b->ps.p);
	b->ps.len = calloc(n ? n : 1, sizeof *b->ps.len);
	b->ps.mem = malloc(total ? total : 1);
	if (b->ps.p == NULL || b->ps.len == NULL || b->ps.mem == NULL) {
		bridgeFree(b);
		return NULL;
	}
	if (total > 0)
		memcpy(b->ps.mem, data, total);
	for (size_t i = 0, off = 0; i < n; off += len[i], i++) {
		b->ps.p[i] = (unsigned char *)b->ps.mem + off;
		b->ps.len[i] = len[i];
	}
	b->out.failAfter = -1;
	if (matcher_new(&b->m, &b->ps) < 0 || mwriter_init(&b->w, b->m, bridgeSink, &b->out) < 0) {
		bridgeFree(b);
		return NULL;
	}
	return b;
}

// bridgeRun writes text in writes of size bytes, for the benchmark.
static int bridgeRun(struct bridge *b, const unsigned char *text, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i += size) {
		int err = mwriter_write(&b->w, text + i, n - i < size ? n - i : size);
		if (err != 0)
			return err;
	}
	b->out.len = 0;
	return 0;
}

// bridgeDerive derives the patterns of the values and their matcher, and
// frees both, for the benchmark: what runs once per RUN. It returns the
// number of patterns, or -1 when out of memory.
static long bridgeDerive(const char *const *v, const size_t *vlen, size_t n)
{
	struct patterns *ps = patterns_of(v, vlen, n);
	struct matcher *m;
	if (ps == NULL || matcher_new(&m, ps) < 0) {
		patterns_free(ps);
		return -1;
	}
	long count = (long)ps->n;
	matcher_free(m);
	patterns_free(ps);
	return count;
}

// patternsFlat returns mask_patterns' result as one buffer of the
// patterns one after the other, their lengths in *len, or NULL (errno
// ENOMEM when out of memory).
static unsigned char *patternsFlat(const char *const *v, const size_t *vlen, size_t n, size_t **len, size_t *count)
{
	struct patterns *ps = patterns_of(v, vlen, n);
	if (ps == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	size_t total = 0;
	for (size_t i = 0; i < ps->n; i++)
		total += ps->len[i];
	unsigned char *flat = malloc(total ? total : 1);
	*len = calloc(ps->n ? ps->n : 1, sizeof **len);
	if (flat == NULL || *len == NULL) {
		errno = ENOMEM;
		patterns_free(ps);
		return NULL;
	}
	for (size_t i = 0, off = 0; i < ps->n; off += ps->len[i], i++) {
		memcpy(flat + off, ps->p[i], ps->len[i]);
		(*len)[i] = ps->len[i];
	}
	*count = ps->n;
	patterns_free(ps);
	return flat;
}
*/
import "C"

import (
	"errors"
	"syscall"
	"unsafe"
)

var errNoMemory = errors.New("mask.c: out of memory")

// cValues are values in C memory (cgo does not let C keep Go pointers
// inside Go memory); free frees them.
type cValues struct {
	v    []*C.char
	lens []C.size_t
}

func newCValues(values []string) *cValues {
	n := len(values)
	c := &cValues{
		v:    unsafe.Slice((**C.char)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof((*C.char)(nil))))), n+1),
		lens: unsafe.Slice((*C.size_t)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(C.size_t(0))))), n+1),
	}
	for i, v := range values {
		c.v[i] = (*C.char)(C.CBytes([]byte(v + "\x00")))
		c.lens[i] = C.size_t(len(v))
	}
	return c
}

func (c *cValues) free() {
	for _, p := range c.v {
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(&c.v[0]))
	C.free(unsafe.Pointer(&c.lens[0]))
}

// derive is bridgeDerive: the number of patterns.
func (c *cValues) derive() (int, error) {
	n := C.bridgeDerive(&c.v[0], &c.lens[0], C.size_t(len(c.v)-1))
	if n < 0 {
		return 0, errNoMemory
	}
	return int(n), nil
}

// cPatterns is patterns_of (mask_patterns with lengths) on values.
func cPatterns(values []string) ([][]byte, error) {
	c := newCValues(values)
	defer c.free()
	var plen *C.size_t
	var count C.size_t
	flat, err := C.patternsFlat(&c.v[0], &c.lens[0], C.size_t(len(values)), &plen, &count)
	if flat == nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(flat))
	defer C.free(unsafe.Pointer(plen))
	ls := unsafe.Slice((*C.size_t)(plen), int(count))
	ps := make([][]byte, count)
	off := 0
	for i, l := range ls {
		ps[i] = C.GoBytes(unsafe.Pointer(uintptr(unsafe.Pointer(flat))+uintptr(off)), C.int(l))
		off += int(l)
	}
	return ps, nil
}

// cWriter is an mwriter whose output is kept until taken.
type cWriter struct{ b *C.struct_bridge }

func newCWriter(patterns [][]byte) (*cWriter, error) {
	var data []byte
	lens := make([]C.size_t, len(patterns)+1)
	for i, p := range patterns {
		data = append(data, p...)
		lens[i] = C.size_t(len(p))
	}
	cdata := C.CBytes(append(data, 0))
	defer C.free(cdata)
	clens := C.CBytes(unsafe.Slice((*byte)(unsafe.Pointer(&lens[0])), len(lens)*int(unsafe.Sizeof(lens[0]))))
	defer C.free(clens)
	b := C.bridgeNew((*C.uchar)(cdata), (*C.size_t)(clens), C.size_t(len(patterns)))
	if b == nil {
		return nil, errNoMemory
	}
	return &cWriter{b}, nil
}

func errOf(e C.int) error {
	if e == 0 {
		return nil
	}
	return syscall.Errno(e)
}

// write is mwriter_write.
func (w *cWriter) write(p []byte) error {
	if len(p) == 0 {
		return errOf(C.mwriter_write(&w.b.w, nil, 0))
	}
	return errOf(C.mwriter_write(&w.b.w, (*C.uchar)(unsafe.Pointer(&p[0])), C.size_t(len(p))))
}

// flush is mwriter_flush.
func (w *cWriter) flush() error { return errOf(C.mwriter_flush(&w.b.w)) }

// take returns what the writer passed on since the last take.
func (w *cWriter) take() []byte {
	out := C.GoBytes(unsafe.Pointer(w.b.out.p), C.int(w.b.out.len))
	w.b.out.len = 0
	return out
}

// failAfter makes the sink fail after n more successes.
func (w *cWriter) failAfter(n int) { w.b.out.failAfter = C.long(n) }

// held is the length of the held-back tail; bufCap and outCap the sizes of
// the writer's buffers; maxLen the longest pattern.
func (w *cWriter) held() int   { return int(w.b.w.len) }
func (w *cWriter) bufCap() int { return int(w.b.w.cap) }
func (w *cWriter) outCap() int { return int(w.b.w.outcap) }
func (w *cWriter) maxLen() int {
	if w.b.m == nil {
		return 0
	}
	return int(C.matcher_maxlen(w.b.m))
}

// run writes text in writes of size bytes in C, for the benchmark.
func (w *cWriter) run(text []byte, size int) error {
	return errOf(C.bridgeRun(w.b, (*C.uchar)(unsafe.Pointer(&text[0])), C.size_t(len(text)), C.size_t(size)))
}

func (w *cWriter) close() { C.bridgeFree(w.b) }
