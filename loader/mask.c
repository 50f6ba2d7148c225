/*
 * Masking: package mask in C. patterns_of derives the byte strings to mask
 * from the file's values (patterns.go), the matcher finds them in a buffer
 * (match.go) and mwriter replaces them by "***" in a stream (writer.go).
 * Package mask stays the reference: loader/mask_test.go checks that this
 * gives the same patterns, in the same order, and writes the same bytes
 * after every write and the flush.
 *
 * This runs next to the secret in every masked RUN: every size is checked
 * before it is used, every allocation before its memory is, and a writer's
 * memory is fixed when it is made.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mask.h"

enum {
	MIN_LEN = 8,          /* mask.MinLen: a value or word */
	MIN_PASSWORD_LEN = 4, /* mask.MinPasswordLen */
	MIN_PATTERN = 4,      /* the shortest pattern patterns_of gives */
};

static uint64_t le64(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof x);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

/* load returns the first k (1-4) bytes of p as a little-endian number. */
static uint32_t load(const unsigned char *p, unsigned k)
{
	uint32_t x = 0;
	for (unsigned i = k; i > 0; i--)
		x = x << 8 | p[i - 1];
	return x;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* bytes.Compare */
static int compare(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* grow makes room for need elements of size in *p: 0, or -1 when out of
 * memory or need * size overflows. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap < 16 ? 16 : *cap;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return -1;
	void *q = realloc(*p, n * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* A growable byte buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* room makes room for n more bytes after len: 0, or -1. */
static int room(struct buf *b, size_t n)
{
	if (n > SIZE_MAX - b->len)
		return -1;
	void *p = b->p;
	if (grow(&p, &b->cap, b->len + n, 1) < 0)
		return -1;
	b->p = p;
	return 0;
}

/*
 * Deriving the patterns (patterns.go).
 */

/* A set of byte strings in one arena, in the order they were added, found
 * by a hash table of their spans: a few allocations in all. */
struct span {
	size_t off, end;
};

struct set {
	struct buf arena;
	struct span *spans;
	size_t n, cap;
	uint32_t *table; /* open addressing: 1 + index into spans, 0 is empty */
	size_t tsize;    /* a power of two, at least twice n */
};

static uint64_t hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15u ^ n;
	for (; n >= 8; p += 8, n -= 8) {
		h = (h ^ le64(p)) * 0xff51afd7ed558ccdu;
		h ^= h >> 29;
	}
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t |= (uint64_t)p[i] << (8 * i);
	h = (h ^ t) * 0xc4ceb9fe1a85ec53u;
	return h ^ h >> 32;
}

static int set_grow(struct set *s)
{
	size_t size = s->tsize < 256 ? 256 : s->tsize;
	while (size < 2 * (s->n + 1)) {
		if (size > SIZE_MAX / 2 / sizeof *s->table)
			return -1;
		size *= 2;
	}
	uint32_t *t = calloc(size, sizeof *t);
	if (t == NULL)
		return -1;
	for (size_t n = 0; n < s->n; n++) {
		const struct span *sp = &s->spans[n];
		size_t i = hash(s->arena.p + sp->off, sp->end - sp->off) & (size - 1);
		while (t[i] != 0)
			i = (i + 1) & (size - 1);
		t[i] = (uint32_t)(n + 1);
	}
	free(s->table);
	s->table = t;
	s->tsize = size;
	return 0;
}

/* set_keep adds the n bytes written after the end of the arena (room made
 * by the caller) to the set, unless they are in it already: 1 if added,
 * 0 if not, -1 when out of memory. */
static int set_keep(struct set *s, size_t n)
{
	if (s->n >= UINT32_MAX - 1 || s->n > SIZE_MAX / 4)
		return -1;
	if (2 * (s->n + 1) > s->tsize && set_grow(s) < 0)
		return -1;
	const unsigned char *c = s->arena.p + s->arena.len;
	size_t mask = s->tsize - 1, i = hash(c, n) & mask;
	for (; s->table[i] != 0; i = (i + 1) & mask) {
		const struct span *sp = &s->spans[s->table[i] - 1];
		if (sp->end - sp->off == n && memcmp(s->arena.p + sp->off, c, n) == 0)
			return 0;
	}
	void *spans = s->spans;
	if (grow(&spans, &s->cap, s->n + 1, sizeof *s->spans) < 0)
		return -1;
	s->spans = spans;
	s->spans[s->n] = (struct span){s->arena.len, s->arena.len + n};
	s->n++;
	s->table[i] = (uint32_t)s->n;
	s->arena.len += n;
	return 1;
}

static void set_free(struct set *s)
{
	free(s->arena.p);
	free(s->spans);
	free(s->table);
}

struct deriver {
	struct set pats;    /* the patterns */
	struct set secrets; /* the strings whose encodings were added */
	struct buf zin;     /* a secret after 0-2 zero bytes, or before "\n" */
	struct buf user, pass, join; /* decoded user, password, user:password */
	int oom;
};

/* keep makes the n bytes written after the pattern arena a pattern, unless
 * they are too short or one already. */
static void keep(struct deriver *d, size_t n)
{
	if (n >= MIN_PATTERN && set_keep(&d->pats, n) < 0)
		d->oom = 1;
}

static const unsigned char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const unsigned char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* b64 writes the base64 of src[0:n] to dst (4 * ((n + 2) / 3) bytes at
 * most) and returns its length: encoding/base64's, padded or raw. */
static size_t b64(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char *alpha, int pad)
{
	size_t o = 0, i = 0;
	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = alpha[v >> 18];
		dst[o++] = alpha[v >> 12 & 63];
		dst[o++] = alpha[v >> 6 & 63];
		dst[o++] = alpha[v & 63];
	}
	if (i == n)
		return o;
	uint32_t v = (uint32_t)src[i] << 16;
	if (n - i == 2)
		v |= (uint32_t)src[i + 1] << 8;
	dst[o++] = alpha[v >> 18];
	dst[o++] = alpha[v >> 12 & 63];
	if (n - i == 2)
		dst[o++] = alpha[v >> 6 & 63];
	else if (pad)
		dst[o++] = '=';
	if (pad)
		dst[o++] = '=';
	return o;
}

enum escape_mode {
	QUERY,     /* url.QueryEscape, Python quote_plus */
	PATH,      /* url.PathEscape */
	COMPONENT, /* encodeURIComponent, Python quote(safe="") */
};

static int unreserved(unsigned char c, enum escape_mode m)
{
	if (('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9'))
		return 1;
	if (c == '-' || c == '.' || c == '_' || c == '~')
		return 1;
	return m == PATH && c != 0 && strchr("$&+:=@", c) != NULL;
}

/* escape writes the percent-encoding of s (3 * n bytes at most). */
static size_t escape(unsigned char *dst, const unsigned char *s, size_t n, enum escape_mode m, const char *hex)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (unreserved(c, m)) {
			dst[o++] = c;
		} else if (c == ' ' && m == QUERY) {
			dst[o++] = '+';
		} else {
			dst[o++] = '%';
			dst[o++] = (unsigned char)hex[c >> 4];
			dst[o++] = (unsigned char)hex[c & 15];
		}
	}
	return o;
}

static int needs_escape(const unsigned char *s, size_t n, enum escape_mode m)
{
	for (size_t i = 0; i < n; i++)
		if (!unreserved(s[i], m))
			return 1;
	return 0;
}

/* The most any one encoding of an n-byte secret takes (escape: 3n; base64
 * of n + 2 bytes: 4 * (n + 4) / 3), and a bound on n that keeps it in a
 * size_t. */
#define ENCODED_MAX(n) (3 * (n) + 8)
#define SECRET_MAX ((SIZE_MAX - 8) / 3)

/* slot returns where the next candidate pattern goes, after the end of the
 * pattern arena, with room for any encoding of an n-byte secret; NULL when
 * out of memory. */
static unsigned char *slot(struct deriver *d, size_t n)
{
	if (d->oom || room(&d->pats.arena, ENCODED_MAX(n)) < 0) {
		d->oom = 1;
		return NULL;
	}
	return d->pats.arena.p + d->pats.arena.len;
}

/* secret adds s and its encodings if s has at least min bytes. */
static void secret(struct deriver *d, const unsigned char *s, size_t n, size_t min)
{
	if (d->oom || n < min)
		return;
	if (n > SECRET_MAX || room(&d->secrets.arena, n) < 0 || room(&d->zin, n + 2) < 0) {
		d->oom = 1;
		return;
	}
	memcpy(d->secrets.arena.p + d->secrets.arena.len, s, n);
	int added = set_keep(&d->secrets, n);
	if (added <= 0) {
		d->oom |= added < 0;
		return;
	}
	unsigned char *dst;
	if ((dst = slot(d, n)) == NULL)
		return;
	memcpy(dst, s, n);
	keep(d, n);
	static const unsigned char *const alphabets[] = {b64std, b64url};
	for (size_t a = 0; a < 2; a++) {
		const unsigned char *alpha = alphabets[a];
		if ((dst = slot(d, n)) == NULL)
			return;
		keep(d, b64(dst, s, n, alpha, 1));
		if ((dst = slot(d, n)) == NULL)
			return;
		keep(d, b64(dst, s, n, alpha, 0));
		memcpy(d->zin.p, s, n); /* echo $SECRET | base64 */
		d->zin.p[n] = '\n';
		if ((dst = slot(d, n)) == NULL)
			return;
		keep(d, b64(dst, d->zin.p, n + 1, alpha, 1));
		/* The characters of a larger stream that s alone determines
		 * when it starts shift bytes after a 3-byte group boundary:
		 * character j holds bits [6j, 6j+6), s holds bits
		 * [8*shift, 8*(shift+n)), and the characters that straddle
		 * an end depend on the unknown neighbouring bytes. */
		for (size_t shift = 0; shift < 3; shift++) {
			memset(d->zin.p, 0, shift);
			memcpy(d->zin.p + shift, s, n);
			if ((dst = slot(d, n)) == NULL)
				return;
			size_t len = b64(dst, d->zin.p, shift + n, alpha, 0);
			size_t first = (8 * shift + 5) / 6, last = 8 * (shift + n) / 6;
			if (last > len || first > last)
				continue; /* cannot be, as n >= 4 */
			memmove(dst, dst + first, last - first);
			keep(d, last - first);
		}
	}
	static const enum escape_mode modes[] = {QUERY, PATH, COMPONENT};
	for (size_t i = 0; i < 3; i++) {
		if (!needs_escape(s, n, modes[i]))
			continue; /* the escape is s */
		if ((dst = slot(d, n)) == NULL)
			return;
		keep(d, escape(dst, s, n, modes[i], "0123456789ABCDEF"));
		if ((dst = slot(d, n)) == NULL)
			return;
		keep(d, escape(dst, s, n, modes[i], "0123456789abcdef"));
	}
}

/* trim drops the ASCII whitespace around s[0:*n]. */
static const unsigned char *trim(const unsigned char *s, size_t *n)
{
	while (*n > 0 && is_space(s[0]))
		s++, (*n)--;
	while (*n > 0 && is_space(s[*n - 1]))
		(*n)--;
	return s;
}

static int unhex(unsigned char c)
{
	if ('0' <= c && c <= '9')
		return c - '0';
	if ('a' <= c && c <= 'f')
		return c - 'a' + 10;
	if ('A' <= c && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape decodes the %XX sequences of s[0:n] into b, then trims the
 * whitespace they may decode to (s as it is if it has no '%'). It returns
 * 0 if s has a malformed one (then nothing decoded is masked: the raw form
 * still is) or when out of memory. */
static int unescape(struct deriver *d, struct buf *b, const unsigned char *s, size_t n,
		    const unsigned char **out, size_t *outlen)
{
	if (memchr(s, '%', n) == NULL) {
		*out = s;
		*outlen = n;
		return 1;
	}
	b->len = 0;
	if (room(b, n) < 0) {
		d->oom = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			b->p[b->len++] = s[i];
			continue;
		}
		if (n - i <= 2 || unhex(s[i + 1]) < 0 || unhex(s[i + 2]) < 0)
			return 0;
		b->p[b->len++] = (unsigned char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
		i += 2;
	}
	*outlen = b->len;
	*out = trim(b->p, outlen);
	return 1;
}

/* userinfos adds the secrets of the userinfo of every URL in the word w. */
static void userinfos(struct deriver *d, const unsigned char *w, size_t n)
{
	for (;;) {
		size_t i = 0;
		while (i + 3 <= n && memcmp(w + i, "://", 3) != 0)
			i++;
		if (i + 3 > n)
			return;
		w += i + 3;
		n -= i + 3;
		size_t auth = 0;
		while (auth < n && w[auth] != '/' && w[auth] != '?' && w[auth] != '#')
			auth++;
		/* The last '@': a password with an unescaped '@' is common,
		 * and clients split at the last one too. */
		size_t at = auth;
		while (at > 0 && w[at - 1] != '@')
			at--;
		if (at == 0)
			continue;
		const unsigned char *ui = w;
		size_t uilen = at - 1, colon = 0;
		while (colon < uilen && ui[colon] != ':')
			colon++;
		const unsigned char *du, *dp;
		size_t dulen, dplen;
		int uok = unescape(d, &d->user, ui, colon, &du, &dulen);
		if (colon == uilen) {
			secret(d, ui, uilen, MIN_LEN);
			if (uok)
				secret(d, du, dulen, MIN_LEN);
			continue;
		}
		const unsigned char *pass = ui + colon + 1;
		size_t passlen = uilen - colon - 1;
		if (passlen == 0)
			continue;
		secret(d, pass, passlen, MIN_PASSWORD_LEN);
		secret(d, ui, uilen, MIN_PASSWORD_LEN);
		if (unescape(d, &d->pass, pass, passlen, &dp, &dplen) && uok) {
			secret(d, dp, dplen, MIN_PASSWORD_LEN);
			d->join.len = 0;
			if (dulen > SIZE_MAX - 1 - dplen || room(&d->join, dulen + 1 + dplen) < 0) {
				d->oom = 1;
				return;
			}
			memcpy(d->join.p, du, dulen);
			d->join.p[dulen] = ':';
			memcpy(d->join.p + dulen + 1, dp, dplen);
			secret(d, d->join.p, dulen + 1 + dplen, MIN_PASSWORD_LEN);
		}
	}
}

static void value(struct deriver *d, const unsigned char *v, size_t n)
{
	/* Trimmed, so that no pattern begins with a space or a line end:
	 * those end every line and progress update, and would be held. */
	size_t tn = n;
	const unsigned char *t = trim(v, &tn);
	secret(d, t, tn, MIN_LEN);
	/* Its words, split at ASCII whitespace as the shell splits $VAR. */
	for (size_t i = 0; i < n && !d->oom;) {
		while (i < n && is_space(v[i]))
			i++;
		size_t start = i;
		while (i < n && !is_space(v[i]))
			i++;
		if (i > start) {
			secret(d, v + start, i - start, MIN_LEN);
			userinfos(d, v + start, i - start);
		}
	}
}

struct patterns *patterns_of(const char *const v[], const size_t len[], size_t n)
{
	struct deriver d = {0};
	struct patterns *ps = NULL;
	/* About what the encodings take, so the arena rarely moves. */
	size_t size = 0;
	for (size_t i = 0; i < n; i++)
		size = len[i] < SIZE_MAX / 16 - size ? size + len[i] : SIZE_MAX / 16;
	if (room(&d.pats.arena, 16 * size) < 0)
		goto out;
	for (size_t i = 0; i < n && !d.oom; i++)
		value(&d, (const unsigned char *)v[i], len[i]);
	if (d.oom)
		goto out;
	ps = calloc(1, sizeof *ps);
	if (ps == NULL)
		goto out;
	if (d.pats.n > 0) {
		ps->p = calloc(d.pats.n, sizeof *ps->p);
		ps->len = calloc(d.pats.n, sizeof *ps->len);
		if (ps->p == NULL || ps->len == NULL) {
			patterns_free(ps);
			ps = NULL;
			goto out;
		}
		ps->mem = d.pats.arena.p;
		d.pats.arena.p = NULL;
		for (size_t i = 0; i < d.pats.n; i++) {
			ps->p[i] = (unsigned char *)ps->mem + d.pats.spans[i].off;
			ps->len[i] = d.pats.spans[i].end - d.pats.spans[i].off;
		}
		ps->n = d.pats.n;
	}
out:
	set_free(&d.pats);
	set_free(&d.secrets);
	free(d.zin.p);
	free(d.user.p);
	free(d.pass.p);
	free(d.join.p);
	return ps;
}

void patterns_free(struct patterns *ps)
{
	if (ps == NULL)
		return;
	free(ps->p);
	free(ps->len);
	free(ps->mem);
	free(ps);
}

struct patterns *mask_patterns(char *const values[], size_t n)
{
	size_t *len = calloc(n ? n : 1, sizeof *len);
	struct patterns *ps = NULL;
	if (len != NULL) {
		for (size_t i = 0; i < n; i++)
			len[i] = strlen(values[i]);
		ps = patterns_of((const char *const *)values, len, n);
		free(len);
	}
	if (ps == NULL) {
		/* Masking cannot be skipped, and this is before anything
		 * ran: end as the loader ends when it cannot load. */
		static const char msg[] = "dockerfile-dotenv: loader: out of memory\n";
		ssize_t r = write(2, msg, sizeof msg - 1);
		(void)r;
		_exit(EXIT_LOAD_FAILED);
	}
	if (ps->n == 0) {
		patterns_free(ps);
		return NULL;
	}
	return ps;
}

/*
 * Finding the patterns (match.go): a bit filter on the first k bytes
 * (k = 4, or less if a pattern is shorter) rejects almost every position
 * of ordinary text in a few instructions; a candidate is then looked up in
 * a hash table of those keys, and the patterns sharing its key are
 * searched in lexicographic order, so shared prefixes (many URLs on the
 * same host) cost a binary search, not a comparison each. match.go says
 * why this and not an Aho-Corasick automaton.
 */

/* The filter has 2^17 bits (16 KiB, in L1 cache), or 2^15 (one page) for
 * up to FEW_PATTERNS patterns: still few false positives, and three page
 * faults fewer for the usual small file. */
#define FILTER_BITS 17
#define FEW_FILTER_BITS 15
#define FEW_PATTERNS 256
#define HASH_MUL 0x9E3779B1u /* Fibonacci hashing: multiply, keep the top bits */

struct pat {
	const unsigned char *p;
	size_t len;
};

struct bucket {
	uint32_t key;
	uint32_t lo, hi; /* pats[lo:hi] */
};

struct matcher {
	unsigned k;     /* key length */
	unsigned fshift; /* 32 - the filter's bits */
	uint32_t kmask; /* keeps the k key bytes of a little-endian load */
	size_t maxlen;

	uint64_t filter[1 << (FILTER_BITS - 6)];

	/* A bit for each first byte and first two bytes of a pattern: at the
	 * end of a write they answer begins at once. */
	uint64_t first[4];
	uint64_t pair[(1 << 16) / 64];

	uint32_t *table; /* open addressing: 1 + index into buckets, 0 is empty */
	uint32_t tmask;
	unsigned tshift;
	struct bucket *buckets;
	size_t nbuckets;
	struct pat *pats; /* bucket by bucket, each sorted */

	/* The keys as big-endian left-aligned numbers, sorted, to tell
	 * whether the last k-1 bytes or fewer begin a pattern. */
	uint32_t *keys;

	size_t mapsize; /* the matcher and its arrays are one mapping */
};

static int filter_has(const uint64_t *f, unsigned fshift, uint32_t key)
{
	uint32_t h = (key * HASH_MUL) >> fshift;
	return f[h >> 6] >> (h & 63) & 1;
}

static int cmp_pat(const void *a, const void *b)
{
	const struct pat *x = a, *y = b;
	return compare(x->p, x->len, y->p, y->len);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The index of the bucket of key, added if new. */
static uint32_t insert(struct matcher *m, uint32_t key)
{
	for (uint32_t i = (key * HASH_MUL) >> m->tshift;; i = (i + 1) & m->tmask) {
		uint32_t e = m->table[i];
		if (e == 0) {
			m->buckets[m->nbuckets] = (struct bucket){.key = key};
			m->table[i] = (uint32_t)++m->nbuckets;
			return (uint32_t)(m->nbuckets - 1);
		}
		if (m->buckets[e - 1].key == key)
			return e - 1;
	}
}

/* The bucket of the patterns that begin with key, or NULL. */
static const struct bucket *lookup(const struct matcher *m, uint32_t key)
{
	for (uint32_t i = (key * HASH_MUL) >> m->tshift;; i = (i + 1) & m->tmask) {
		uint32_t e = m->table[i];
		if (e == 0)
			return NULL;
		if (m->buckets[e - 1].key == key)
			return &m->buckets[e - 1];
	}
}

/* place reserves count elements of size bytes, aligned to align (a power
 * of two), at the end of a layout of *end bytes: their offset in *at, or
 * -1 if the layout would not fit in a size_t. */
static int place(size_t *end, size_t count, size_t size, size_t align, size_t *at)
{
	size_t o = (*end + align - 1) & ~(align - 1);
	if (o < *end || count > (SIZE_MAX - o) / size)
		return -1;
	*at = o;
	*end = o + count * size;
	return 0;
}

void *mask_pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int matcher_new(struct matcher **out, const struct patterns *ps)
{
	*out = NULL;
	size_t n = 0, maxlen = 0;
	unsigned k = 4;
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->len[i] == 0)
			continue;
		n++;
		if (ps->len[i] < k)
			k = (unsigned)ps->len[i];
		if (ps->len[i] > maxlen)
			maxlen = ps->len[i];
	}
	if (n == 0)
		return 0;
	if (n > (1u << 26))
		return -1; /* beyond what a table of 32-bit hashes serves */
	/* The table at most half full (n bounds the number of keys). */
	unsigned tbits = 4;
	while ((UINT32_C(1) << tbits) <= 2 * n)
		tbits++;
	/* One mapping: the matcher, its arrays, and the counting sort's
	 * (n bounds the number of buckets, as of keys). */
	size_t size = sizeof(struct matcher), at_pats, at_buckets, at_table, at_keys, at_count, at_of;
	if (place(&size, n, sizeof(struct pat), _Alignof(struct pat), &at_pats) < 0 ||
	    place(&size, n, sizeof(struct bucket), _Alignof(struct bucket), &at_buckets) < 0 ||
	    place(&size, (size_t)1 << tbits, sizeof(uint32_t), _Alignof(uint32_t), &at_table) < 0 ||
	    place(&size, n, sizeof(uint32_t), _Alignof(uint32_t), &at_keys) < 0 ||
	    place(&size, n, sizeof(uint32_t), _Alignof(uint32_t), &at_count) < 0 ||
	    place(&size, ps->n, sizeof(uint32_t), _Alignof(uint32_t), &at_of) < 0)
		return -1;
	unsigned char *mem = mask_pages(size);
	if (mem == NULL)
		return -1;
	struct matcher *m = (struct matcher *)mem;
	m->mapsize = size;
	m->pats = (struct pat *)(mem + at_pats);
	m->buckets = (struct bucket *)(mem + at_buckets);
	m->table = (uint32_t *)(mem + at_table);
	m->keys = (uint32_t *)(mem + at_keys);
	uint32_t *count = (uint32_t *)(mem + at_count);
	uint32_t *of = (uint32_t *)(mem + at_of);
	m->k = k;
	m->fshift = 32 - (n <= FEW_PATTERNS ? FEW_FILTER_BITS : FILTER_BITS);
	m->kmask = k == 4 ? UINT32_MAX : (UINT32_C(1) << (8 * k)) - 1;
	m->maxlen = maxlen;
	m->tmask = (UINT32_C(1) << tbits) - 1;
	m->tshift = 32 - tbits;

	/* Counting sort of the patterns into their buckets. */
	for (size_t i = 0; i < ps->n; i++) {
		const unsigned char *p = ps->p[i];
		if (ps->len[i] == 0)
			continue;
		uint32_t key = load(p, k);
		uint32_t h = (key * HASH_MUL) >> m->fshift;
		m->filter[h >> 6] |= UINT64_C(1) << (h & 63);
		m->first[p[0] >> 6] |= UINT64_C(1) << (p[0] & 63);
		if (ps->len[i] > 1) {
			uint32_t x = load(p, 2);
			m->pair[x >> 6] |= UINT64_C(1) << (x & 63);
		}
		uint32_t b = insert(m, key);
		count[b]++;
		of[i] = b;
	}
	uint32_t pos = 0;
	for (size_t b = 0; b < m->nbuckets; b++) {
		m->buckets[b].lo = m->buckets[b].hi = pos;
		pos += count[b];
	}
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->len[i] == 0)
			continue;
		struct bucket *b = &m->buckets[of[i]];
		m->pats[b->hi++] = (struct pat){ps->p[i], ps->len[i]};
	}
	for (size_t b = 0; b < m->nbuckets; b++) {
		const struct bucket *bk = &m->buckets[b];
		qsort(m->pats + bk->lo, bk->hi - bk->lo, sizeof *m->pats, cmp_pat);
		m->keys[b] = __builtin_bswap32(bk->key);
	}
	qsort(m->keys, m->nbuckets, sizeof *m->keys, cmp_u32);
	*out = m;
	return 0;
}

void matcher_free(struct matcher *m)
{
	if (m != NULL)
		munmap(m, m->mapsize);
}

size_t matcher_maxlen(const struct matcher *m)
{
	return m->maxlen;
}

/* next returns the first position from i on where a pattern may start, by
 * the filter, or i if fewer than 4 bytes are left there: the caller
 * checks those few positions one by one. */
static size_t next(const struct matcher *m, const unsigned char *b, size_t len, size_t i)
{
	const uint64_t *f = m->filter;
	unsigned fs = m->fshift;
	if (m->k == 4) {
		/* 8 positions from 2 loads of 8 bytes. */
		for (; i < len && len - i > 11; i += 8) {
			uint64_t lo = le64(b + i), hi = le64(b + i + 4);
			if (filter_has(f, fs, (uint32_t)lo))
				return i;
			if (filter_has(f, fs, (uint32_t)(lo >> 8)))
				return i + 1;
			if (filter_has(f, fs, (uint32_t)(lo >> 16)))
				return i + 2;
			if (filter_has(f, fs, (uint32_t)(lo >> 24)))
				return i + 3;
			if (filter_has(f, fs, (uint32_t)hi))
				return i + 4;
			if (filter_has(f, fs, (uint32_t)(hi >> 8)))
				return i + 5;
			if (filter_has(f, fs, (uint32_t)(hi >> 16)))
				return i + 6;
			if (filter_has(f, fs, (uint32_t)(hi >> 24)))
				return i + 7;
		}
	}
	for (; i < len && len - i > 3; i++)
		if (filter_has(f, fs, load(b + i, 4) & m->kmask))
			return i;
	return i;
}

/* The number of the sorted ps[0:n] that are <= t. */
static size_t upper(const struct pat *ps, size_t n, const unsigned char *t, size_t tlen)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare(ps[mid].p, ps[mid].len, t, tlen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* begins reports whether t[0:n], shorter than k, begins some pattern. */
static int begins(const struct matcher *m, const unsigned char *t, size_t n)
{
	if ((m->first[t[0] >> 6] >> (t[0] & 63) & 1) == 0)
		return 0;
	if (n == 1)
		return 1;
	uint32_t x = load(t, 2);
	if ((m->pair[x >> 6] >> (x & 63) & 1) == 0)
		return 0;
	/* n is 2 or 3 here: k is 4 or 3. */
	uint32_t lo = __builtin_bswap32(load(t, (unsigned)n));
	uint32_t hi = lo | ((UINT32_C(1) << (8 * (4 - n))) - 1);
	size_t a = 0, z = m->nbuckets;
	while (a < z) {
		size_t mid = a + (z - a) / 2;
		if (m->keys[mid] < lo)
			a = mid + 1;
		else
			z = mid;
	}
	return a < m->nbuckets && m->keys[a] <= hi;
}

/* at sets *n to the length of the longest pattern at b[i:len], and returns
 * 1 (undecided) if b[i:len] is a proper prefix of a pattern and the stream
 * goes on (final is 0): then more bytes are needed to know. */
static int at(const struct matcher *m, const unsigned char *b, size_t len, size_t i, int final, size_t *n)
{
	const unsigned char *t = b + i;
	size_t tlen = len - i;
	int open = !final && tlen < m->maxlen; /* can a pattern run past the end? */
	*n = 0;
	if (tlen < m->k)
		return open && begins(m, t, tlen);
	const struct bucket *bk = lookup(m, load(t, m->k));
	if (bk == NULL)
		return 0;
	const struct pat *ps = m->pats + bk->lo;
	size_t np = bk->hi - bk->lo;
	if (tlen > m->maxlen)
		tlen = m->maxlen;
	size_t j = upper(ps, np, t, tlen);
	if (open && j < np && ps[j].len > tlen && memcmp(ps[j].p, t, tlen) == 0)
		return 1;
	/* The last pattern <= t is the longest prefix of t if it is one;
	 * otherwise no prefix of t is longer than their common prefix. */
	while (j > 0) {
		const struct pat *q = &ps[j - 1];
		size_t l = 0, max = q->len < tlen ? q->len : tlen;
		while (l < max && q->p[l] == t[l])
			l++;
		if (l == q->len) {
			*n = l;
			return 0;
		}
		if (l < m->k)
			return 0;
		tlen = l;
		j = upper(ps, j - 1, t, tlen);
	}
	return 0;
}

/*
 * The stream (writer.go).
 */

int mwriter_init(struct mwriter *w, const struct matcher *m, mask_sink sink, void *ctx)
{
	*w = (struct mwriter){.m = m, .sink = sink, .ctx = ctx, .region = -1};
	if (m == NULL)
		return 0;
	/* The held-back tail is shorter than the longest pattern; the masked
	 * bytes of a step at most 2 * cap + 1: each "***" stands for one
	 * byte or more, and two are apart by one byte or more. */
	if (m->maxlen > (SIZE_MAX - MASK_CHUNK) / 4)
		return -1;
	w->cap = m->maxlen - 1 + MASK_CHUNK;
	w->outcap = 2 * w->cap + 1;
	/* One mapping: no page of it is touched before there is output. */
	w->buf = mask_pages(w->cap + w->outcap);
	if (w->buf == NULL) {
		w->cap = w->outcap = 0;
		return -1;
	}
	w->out = w->buf + w->cap;
	return 0;
}

void mwriter_free(struct mwriter *w)
{
	if (w->buf != NULL)
		munmap(w->buf, w->cap + w->outcap);
	w->buf = w->out = NULL;
	w->len = w->cap = w->outcap = 0;
}

/* put appends p[0:n] to the step's output, passing it on first if full
 * (which the bound of mwriter_init says never happens). */
static int put(struct mwriter *w, size_t *olen, const unsigned char *p, size_t n)
{
	if (n > w->outcap - *olen) {
		int err = *olen > 0 ? w->sink(w->ctx, w->out, *olen) : 0;
		*olen = 0;
		if (err != 0)
			return err;
		if (n > w->outcap)
			return w->sink(w->ctx, p, n);
	}
	memcpy(w->out + *olen, p, n);
	*olen += n;
	return 0;
}

/* step scans buf, passes on the bytes before the hold point with their
 * masked regions as "***", and keeps the rest in buf. When final, the
 * stream ends here and nothing is held back.
 *
 * Matches are found by start position, each the longest there, so regions
 * are merged in one sweep: a match that starts inside or right at the end
 * of the current region extends it. Positions from the hold point on are
 * scanned again by the next step, with the bytes that decide them. */
static int step(struct mwriter *w, int final)
{
	const struct matcher *m = w->m;
	unsigned char *b = w->buf;
	size_t len = w->len, olen = 0, hold = len;
	ptrdiff_t end = w->region; /* end of the current region, -1 if none yet */
	int err = 0;
	for (size_t i = next(m, b, len, 0); i < len; i = next(m, b, len, i + 1)) {
		size_t n;
		if (at(m, b, len, i, final, &n)) {
			hold = i;
			break;
		}
		if (n == 0)
			continue;
		if (end >= 0 && i <= (size_t)end) {
			if (i + n > (size_t)end)
				end = (ptrdiff_t)(i + n);
			continue;
		}
		size_t from = end < 0 ? 0 : (size_t)end;
		if ((err = put(w, &olen, b + from, i - from)) != 0 ||
		    (err = put(w, &olen, (const unsigned char *)"***", 3)) != 0)
			return err;
		end = (ptrdiff_t)(i + n);
	}
	const unsigned char *rest = b;
	size_t rlen = 0;
	if (end < (ptrdiff_t)hold) {
		size_t from = end < 0 ? 0 : (size_t)end;
		rest = b + from;
		rlen = hold - from;
		w->region = -1;
	} else {
		w->region = end - (ptrdiff_t)hold;
	}
	if (olen > 0) {
		if ((err = put(w, &olen, rest, rlen)) != 0)
			return err;
		rest = w->out;
		rlen = olen;
	}
	if (rlen > 0)
		err = w->sink(w->ctx, rest, rlen); /* before the tail moves over rest */
	memmove(b, b + hold, len - hold);
	w->len = len - hold;
	return err;
}

int mwriter_write(struct mwriter *w, const unsigned char *p, size_t n)
{
	if (w->err != 0)
		return w->err;
	if (w->m == NULL)
		return n > 0 ? w->sink(w->ctx, p, n) : 0;
	while (n > 0) {
		/* The held tail is shorter than the longest pattern: there
		 * is room for MASK_CHUNK bytes or more. */
		size_t c = w->cap - w->len;
		if (c == 0 || w->len > w->cap)
			return w->err = EOVERFLOW; /* cannot be */
		if (c > n)
			c = n;
		memcpy(w->buf + w->len, p, c);
		w->len += c;
		if ((w->err = step(w, 0)) != 0)
			return w->err;
		p += c;
		n -= c;
	}
	return 0;
}

int mwriter_flush(struct mwriter *w)
{
	if (w->err != 0)
		return w->err;
	if (w->m != NULL && w->len > 0)
		w->err = step(w, 1);
	w->region = -1;
	return w->err;
}
