/*
 * The dotenv grammar and the RUN's environment: package dotenv of the Go
 * loader (parse.go, word.go, env.go, errors.go, names.go), ported to C.
 * Shared by main.c, dotenv.c, env.c and the tests' cgo bridge only.
 */
#ifndef DOTENV_H
#define DOTENV_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* Limits, as package dotenv's. */
enum {
	MAX_FILE_SIZE = 512000,  /* BuildKit's limit for a secret */
	MAX_ENV_STRING = 131072, /* Linux's MAX_ARG_STRLEN: NAME=value and its NUL */
	MAX_TOTAL = 4 << 20,     /* all values after expansion */
};

/* A table of names (open addressing, at most three quarters full): the
 * file's assignments, the environment's entries. Keys point into memory
 * that outlives the table; their lengths, and the indexes, fit 32 bits
 * (names are shorter than the file or than an environment string). */
struct slot {
	const char *key; /* NULL: empty */
	uint32_t len;
	uint32_t index;
};

struct table {
	struct slot *slots;
	size_t cap; /* 0, or a power of two */
	size_t used;
};

/* table_reserve makes room for n more keys; -1 when out of memory. */
int table_reserve(struct table *t, size_t n);
/* table_get returns the key's slot, or NULL. */
struct slot *table_get(const struct table *t, const char *key, size_t len);
/* table_put returns the key's slot, a new one with index 0 when the key
 * was absent; room must have been reserved. */
struct slot *table_put(struct table *t, const char *key, size_t len);
void table_free(struct table *t);

/* The RUN's environment as the Go loader saw it (syscall.Environ): envp
 * without empty strings and without an entry whose name (before the first
 * '=') an earlier entry had. */
struct env {
	char **entries; /* NULL-terminated; the strings are envp's */
	size_t n;
	struct table names; /* NAME -> its entry, for entries with a '=' */
};

/* env_init returns 0, or -1 when out of memory. */
int env_init(struct env *e, char *const envp[]);
/* env_get finds NAME's value (dotenv.EnvLookup): 1 and the value, or 0. */
int env_get(const struct env *e, const char *name, size_t len, const char **value, size_t *value_len);
void env_free(struct env *e);

/* One assignment of the file, in file order (dotenv.Var). The arena
 * holds it as the environment string NAME=value and its NUL, which the
 * command gets as it is: value points inside it, after NAME=. */
struct var {
	const char *name;  /* in the parsed text; not NUL-terminated */
	char *value;       /* NUL-terminated (a value has no NUL); set when parsing ends */
	uint32_t name_len; /* < MAX_FILE_SIZE */
	uint32_t value_len; /* < MAX_ENV_STRING */
	uint32_t value_off; /* where value is in the arena, while parsing */
	int line;           /* where the assignment starts, from 1 */
};

struct dotenv {
	struct var *vars;
	size_t n, cap;
	char *arena; /* NAME=value NUL, for each assignment */
	size_t arena_len, arena_cap;
	struct table last; /* NAME -> index of its last assignment */
};

/* Why a file is refused (dotenv.Error): a line, a fixed text and at most
 * a name assigned in the file. Nothing else can reach the message. */
struct dotenv_error {
	int line;
	const char *name; /* NULL, or a valid name in the parsed text */
	size_t name_len;
	int reason;
};

/* dotenv_parse reads the file data[0, len) (dotenv.Parse). It rewrites
 * data in place (CRLF to LF) and d's names point into it. $NAME and
 * ${NAME} expand to earlier assignments, else to env's (env may be NULL:
 * empty). It returns 0, 1 when the file is refused (*e says why), or -1
 * when out of memory; d is then empty. */
int dotenv_parse(unsigned char *data, size_t len, const struct env *env, struct dotenv *d, struct dotenv_error *e);
void dotenv_free(struct dotenv *d);

/* dotenv_error_text adds "line N: <reason>" (dotenv.Error.Error). */
void dotenv_error_text(struct text *t, const struct dotenv_error *e);

/* env_merge is dotenv.Environ: env with d's variables on top. The result
 * is NULL-terminated (free frees it; its strings are env's and d's);
 * NULL when out of memory. */
char **env_merge(const struct env *e, const struct dotenv *d);

/* For the tests (exec.c): path.Join(dir, file) as lookPath calls it, and
 * the permission check used where faccessat2 is missing. */
char *path_join(const char *dir, const char *file);
int access_fallback(const char *file);

#endif
