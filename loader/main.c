/*
 * The loader (loader v2), in front of every wrapped RUN:
 *
 *	dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <the RUN's argv>
 *
 * It reads the build secret's dotenv file as data (dotenv.c), sets its
 * variables on top of the RUN's environment and execs the RUN's argv
 * unchanged, as runc would have: nothing of the file is executed, nothing
 * else is added to the environment, and the command's exit status and
 * signals are its own. When the loader itself fails it prints one line
 * and exits 125; no byte of a value is ever printed. With --mask and
 * values to mask, it stays the command's parent (parent.c).
 *
 * A port of cmd/dotenv-loader (main.go, flags.go, load.go, run.go): same
 * flags, messages, exit codes and environment, byte for byte.
 *
 * The tests' cgo bridge compiles every .c file of this directory with
 * LOADER_NO_MAIN: it calls the parts, not the program.
 */
#ifndef LOADER_NO_MAIN

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dotenv.h"

#define PREFIX "dockerfile-dotenv: "

static void write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(2, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to say it: the exit code still does */
		s += w;
		n -= (size_t)w;
	}
}

/* fail prints the failure's line, if any, and ends the loader. */
static _Noreturn void fail(struct failure f)
{
	if (f.msg != NULL) {
		struct text t = {0};
		text_str(&t, PREFIX);
		text_str(&t, f.msg);
		text_str(&t, "\n");
		char *line = text_done(&t);
		if (line != NULL) {
			write_all(line, strlen(line)); /* one write: lines stay whole */
		} else {
			write_all(PREFIX, sizeof PREFIX - 1);
			write_all(f.msg, strlen(f.msg));
			write_all("\n", 1);
		}
	}
	_exit(f.code);
}

static _Noreturn void fail_text(int code, struct text *t)
{
	struct failure f = {code, text_done(t)};
	fail(f.msg != NULL ? f : out_of_memory());
}

struct options {
	const char *id;   /* the secret id, for messages */
	const char *file; /* where the secret is mounted */
	int required;
	int mask; /* stay the parent and mask the values in the output */
};

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* is_id: the ids the configuration accepts; they need no quoting in
 * messages. */
static int is_id(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (!(c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* parse_flags reads the flags up to --, strictly: each once, none unknown,
 * the command after -- not empty. It returns 0 and the command, or 1 with
 * what is wrong in *msg. */
static int parse_flags(char **args, size_t n, struct options *o, char ***cmd, struct text *msg)
{
	int seen_id = 0, seen_file = 0;
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i];
		if (strcmp(a, "--") == 0) {
			if (!seen_id) {
				text_str(msg, "missing --id=");
			} else if (!seen_file) {
				text_str(msg, "missing --file=");
			} else if (i + 1 == n) {
				text_str(msg, "no command after --");
			} else {
				*cmd = args + i + 1;
				return 0;
			}
			return 1;
		} else if (has_prefix(a, "--id=") && !seen_id) {
			o->id = a + strlen("--id=");
			seen_id = 1;
			if (!is_id(o->id)) {
				text_str(msg, "--id= is not a secret id (letters, digits, '_', '.', '-')");
				return 1;
			}
		} else if (has_prefix(a, "--file=") && !seen_file) {
			o->file = a + strlen("--file=");
			seen_file = 1;
			if (o->file[0] != '/') {
				text_str(msg, "--file= is not an absolute path");
				return 1;
			}
		} else if (strcmp(a, "--required") == 0 && !o->required) {
			o->required = 1;
		} else if (strcmp(a, "--mask") == 0 && !o->mask) {
			o->mask = 1;
		} else {
			text_str(msg, "unknown or repeated flag ");
			text_quote(msg, a);
			return 1;
		}
	}
	text_str(msg, "missing -- before the command");
	return 1;
}

enum read_result { READ_OK, READ_MISSING, READ_TOO_LARGE, READ_FAILED, READ_NO_MEMORY };

/* read_file reads the secret, at most MAX_FILE_SIZE bytes, into memory
 * of the file's size and one byte more (to read its end into), grown
 * while reads fill it (a file whose size fstat does not tell). A file
 * that is not there (the optional mount is absent) is missing; every
 * other failure is worded with the path, which is no secret, in *op and
 * *err. */
static enum read_result read_file(const char *path, unsigned char **data, size_t *len, const char **op, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return READ_MISSING;
		*op = "open";
		*err = errno;
		return READ_FAILED;
	}
	struct stat st;
	size_t cap = 4096;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		cap = st.st_size < MAX_FILE_SIZE ? (size_t)st.st_size + 1 : MAX_FILE_SIZE + 1;
	unsigned char *buf = malloc(cap);
	size_t n = 0;
	enum read_result r = READ_NO_MEMORY;
	while (buf != NULL) {
		if (n == cap) {
			r = READ_TOO_LARGE;
			if (cap == MAX_FILE_SIZE + 1)
				break;
			cap = cap < (MAX_FILE_SIZE + 1) / 2 ? 2 * cap : MAX_FILE_SIZE + 1;
			unsigned char *grown = realloc(buf, cap);
			r = READ_NO_MEMORY;
			if (grown == NULL)
				break;
			buf = grown;
		}
		ssize_t m = read(fd, buf + n, cap - n);
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0) {
			*op = "read";
			*err = errno;
			r = READ_FAILED;
			break;
		}
		if (m == 0) {
			*data = buf;
			*len = n;
			r = READ_OK;
			break;
		}
		n += (size_t)m;
	}
	close(fd);
	return r;
}

/* What the command runs with. */
struct loaded {
	char **env;    /* the RUN's environment with the file's variables on top */
	char **values; /* the values the file assigned, in file order */
	size_t n;
};

/* load reads the secret and returns the environment to run the command
 * with, or fails naming the secret id and the line, never a value. */
static void load(const struct options *o, const struct env *e, struct loaded *out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	const char *op = "";
	int err = 0;
	struct text t = {0};

	text_str(&t, "secret ");
	text_str(&t, o->id);
	switch (read_file(o->file, &data, &len, &op, &err)) {
	case READ_MISSING:
		if (o->required) {
			text_str(&t, " is required: pass it with --secret id=");
			text_str(&t, o->id);
			text_str(&t, ",src=<dotenv file>");
			fail_text(EXIT_LOAD_FAILED, &t);
		}
		free(t.s);
		out->env = e->entries;
		out->values = NULL;
		out->n = 0;
		return;
	case READ_TOO_LARGE:
		text_str(&t, " is larger than 512000 bytes, BuildKit's limit for a secret");
		fail_text(EXIT_LOAD_FAILED, &t);
	case READ_FAILED:
		text_str(&t, " cannot be read: ");
		text_str(&t, op);
		text_str(&t, " ");
		text_str(&t, o->file);
		text_str(&t, ": ");
		text_errno(&t, err);
		fail_text(EXIT_LOAD_FAILED, &t);
	case READ_NO_MEMORY:
		fail(out_of_memory());
	case READ_OK:
		break;
	}

	/* Kept until exec: the environment's strings point into it. */
	static struct dotenv d;
	struct dotenv_error de;
	switch (dotenv_parse(data, len, e, &d, &de)) {
	case 0:
		break;
	case 1:
		text_str(&t, ", ");
		dotenv_error_text(&t, &de);
		text_str(&t, " (values are not shown)");
		fail_text(EXIT_LOAD_FAILED, &t);
	default:
		fail(out_of_memory());
	}
	free(t.s);
	out->env = env_merge(e, &d);
	out->values = calloc(d.n > 0 ? d.n : 1, sizeof(char *));
	if (out->env == NULL || out->values == NULL)
		fail(out_of_memory());
	for (size_t i = 0; i < d.n; i++)
		out->values[i] = d.vars[i].value;
	out->n = d.n;
}

/* std_fds does what Go's runtime did when the Go loader started
 * (checkfds): a closed 0, 1 or 2 is opened on /dev/null, not close-on-exec,
 * so the command inherits /dev/null rather than a closed descriptor, and
 * no file of the loader's (the secret's, the pipes of --mask) takes the
 * number. Where /dev/null cannot be opened Go's runtime crashed; the
 * loader goes on. */
static void std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) < 0)
			return;
}

int main(int argc, char *argv[], char *envp[])
{
	std_fds();

	/* The kernel allows an empty argv: then there are no flags either. */
	char **args = argc > 0 ? argv + 1 : argv;
	size_t nargs = argc > 0 ? (size_t)argc - 1 : 0;
	struct options o = {0};
	char **cmd = NULL;
	struct text msg = {0};

	if (parse_flags(args, nargs, &o, &cmd, &msg) != 0) {
		struct text t = {0};
		text_str(&t, "loader: ");
		text_str(&t, msg.s != NULL ? msg.s : "");
		text_str(&t, "; usage: dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <command…>");
		if (msg.oom)
			t.oom = 1;
		fail_text(EXIT_LOAD_FAILED, &t);
	}

	static struct env e;
	if (env_init(&e, envp) != 0)
		fail(out_of_memory());
	struct loaded l;
	load(&o, &e, &l);

	struct text tb = {0};
	if (l.n > 0) {
		text_str(&tb, " (with the variables of secret ");
		text_str(&tb, o.id);
		text_str(&tb, ")");
	}
	char *too_big = text_done(&tb);
	if (too_big == NULL)
		fail(out_of_memory());

	/* The RUN's own PATH, as runc looks the command up without a loader. */
	const char *path = "";
	size_t path_len;
	env_get(&e, "PATH", 4, &path, &path_len);

	if (o.mask && l.n > 0) {
		/* Nothing to mask (no file, only short values): exec as without. */
		struct patterns *p = mask_patterns(l.values, l.n);
		if (p != NULL)
			fail(run_masked(cmd, path, l.env, too_big, p));
	}

	struct failure f;
	char *file = look_path(cmd[0], path, &f);
	if (file == NULL)
		fail(f);
	execve(file, cmd, l.env);
	fail(exec_failure(file, errno, too_big));
}

#endif
