/*
 * The RUN's environment (package dotenv's env.go, and what Go's
 * syscall.Environ made of envp in the Go loader), and the table of names
 * both it and the parser look names up in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"

/* FNV-1a. The keys are the user's own names (file and image): no one
 * else chooses them to collide. */
static size_t hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

/* find returns the key's slot, or the empty slot where it would go. */
static struct slot *find(const struct table *t, const char *key, uint32_t len)
{
	size_t mask = t->cap - 1;
	size_t i = hash(key, len) & mask;
	/* At most three quarters full: an empty slot ends every probe. */
	while (t->slots[i].key != NULL) {
		struct slot *s = &t->slots[i];
		if (s->len == len && memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & mask;
	}
	return &t->slots[i];
}

int table_reserve(struct table *t, size_t n)
{
	if (n > UINT32_MAX - t->used) /* indexes are 32 bits */
		return -1;
	size_t want = t->used + n;
	if (want <= t->cap / 4 * 3)
		return 0;
	size_t cap = t->cap < 16 ? 16 : t->cap;
	while (want > cap / 4 * 3) {
		if (cap > SIZE_MAX / 2 / sizeof(struct slot))
			return -1;
		cap *= 2;
	}
	struct slot *slots = calloc(cap, sizeof *slots);
	if (slots == NULL)
		return -1;
	struct table bigger = {slots, cap, t->used};
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key != NULL)
			*find(&bigger, t->slots[i].key, t->slots[i].len) = t->slots[i];
	free(t->slots);
	*t = bigger;
	return 0;
}

struct slot *table_get(const struct table *t, const char *key, size_t len)
{
	if (t->cap == 0 || len > UINT32_MAX)
		return NULL;
	struct slot *s = find(t, key, (uint32_t)len);
	return s->key != NULL ? s : NULL;
}

struct slot *table_put(struct table *t, const char *key, size_t len)
{
	/* Room is reserved (cap > 0); the callers' keys are shorter than 4 GiB. */
	struct slot *s = find(t, key, (uint32_t)len);
	if (s->key == NULL) {
		s->key = key;
		s->len = (uint32_t)len;
		s->index = 0;
		t->used++;
	}
	return s;
}

void table_free(struct table *t)
{
	free(t->slots);
	memset(t, 0, sizeof *t);
}

/* name_len: the name of an entry, up to its first '=' or all of it
 * (dotenv's cut). */
static size_t name_len(const char *kv, int *has_equals)
{
	const char *eq = strchr(kv, '=');
	*has_equals = eq != NULL;
	return eq != NULL ? (size_t)(eq - kv) : strlen(kv);
}

int env_init(struct env *e, char *const envp[])
{
	memset(e, 0, sizeof *e);
	size_t count = 0;
	while (envp != NULL && envp[count] != NULL)
		count++;
	if (count > SIZE_MAX / sizeof(char *) - 1)
		return -1;
	e->entries = malloc((count + 1) * sizeof(char *));
	if (e->entries == NULL || table_reserve(&e->names, count) != 0) {
		env_free(e);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		char *kv = envp[i];
		int has_equals;
		size_t len = name_len(kv, &has_equals);
		/* As Go's runtime: empty strings dropped, and an entry whose name
		 * an earlier entry had (Go keeps the first, so Unsetenv cannot
		 * uncover a later one). Entries without '=' are kept. */
		if (kv[0] == '\0')
			continue;
		if (len > UINT32_MAX) { /* the kernel takes no string this long */
			env_free(e);
			return -1;
		}
		if (has_equals) {
			if (table_get(&e->names, kv, len) != NULL)
				continue;
			table_put(&e->names, kv, len)->index = e->n;
		}
		e->entries[e->n++] = kv;
	}
	e->entries[e->n] = NULL;
	return 0;
}

int env_get(const struct env *e, const char *name, size_t len, const char **value, size_t *value_len)
{
	const struct slot *s = table_get(&e->names, name, len);
	if (s == NULL)
		return 0;
	const char *kv = e->entries[s->index];
	*value = kv + len + 1; /* after "NAME=" */
	*value_len = strlen(*value);
	return 1;
}

void env_free(struct env *e)
{
	free(e->entries);
	table_free(&e->names);
	memset(e, 0, sizeof *e);
}

/* entry is the assignment's NAME=value, in the arena before its value. */
static char *entry(const struct var *v)
{
	return v->value - v->name_len - 1;
}

/* env_merge is dotenv.Environ: the last assignment of each name wins over
 * the environment's and over earlier ones; each name of the file appears
 * once, where the environment had it first, else after the environment in
 * the order of the last assignments; every other entry is kept as is. */
char **env_merge(const struct env *e, const struct dotenv *d)
{
	enum { LAST = 1, WRITTEN = 2 }; /* state of an assignment */
	if (e->n > SIZE_MAX / sizeof(char *) / 2 - d->n - 1)
		return NULL;
	char **out = malloc((e->n + d->n + 1) * sizeof(char *));
	unsigned char *state = calloc(d->n > 0 ? d->n : 1, 1); /* by index */
	if (out == NULL || state == NULL) {
		free(out);
		free(state);
		return NULL;
	}
	/* The table holds the last assignment of each name. */
	for (size_t i = 0; i < d->last.cap; i++)
		if (d->last.slots[i].key != NULL)
			state[d->last.slots[i].index] = LAST;
	size_t n = 0;
	for (size_t j = 0; j < e->n; j++) {
		int has_equals;
		size_t len = name_len(e->entries[j], &has_equals);
		/* An entry without '=' is named by all of it, as in Go. */
		const struct slot *s = table_get(&d->last, e->entries[j], len);
		if (s == NULL) {
			out[n++] = e->entries[j];
		} else if (!(state[s->index] & WRITTEN)) {
			out[n++] = entry(&d->vars[s->index]);
			state[s->index] |= WRITTEN;
		}
	}
	for (size_t i = 0; i < d->n; i++)
		if (state[i] == LAST)
			out[n++] = entry(&d->vars[i]);
	out[n] = NULL;
	free(state);
	return out;
}
