/* Test-only stand-in for loader/main.c and exec.c: see README. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

extern char **environ;

static char *cat(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *s = malloc(n);
	if (s == NULL)
		abort();
	strcpy(s, a);
	strcat(s, b);
	strcat(s, c);
	strcat(s, d);
	return s;
}

static const char *words(int err)
{
	switch (err) {
	case ENOENT:
		return "no such file or directory";
	case ENOTDIR:
		return "not a directory";
	case EACCES:
		return "permission denied";
	case EISDIR:
		return "is a directory";
	case ENOEXEC:
		return "exec format error";
	case E2BIG:
		return "argument list too long";
	case EAGAIN:
		return "resource temporarily unavailable";
	}
	return "errno ?";
}

static int status_of(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

struct failure exec_failure(const char *file, int err, const char *too_big)
{
	return (struct failure){status_of(err), cat("exec ", file, ": ", cat(words(err), err == E2BIG ? too_big : "", "", ""))};
}

/* find_executable: 0 or an errno; *stat_failed when stat failed. */
static int find_executable(const char *file, int *stat_failed)
{
	struct stat st;
	*stat_failed = 0;
	if (stat(file, &st) < 0) {
		*stat_failed = 1;
		return errno;
	}
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) < 0)
		return errno;
	return 0;
}

char *look_path(const char *argv0, const char *path, struct failure *f)
{
	int sf, err;
	char *q = cat("exec: \"", argv0, "\": ", "");
	if (strchr(argv0, '/') != NULL) {
		if ((err = find_executable(argv0, &sf)) == 0)
			return (char *)argv0;
		*f = (struct failure){status_of(err), sf ? cat(q, "stat ", argv0, cat(": ", words(err), "", "")) : cat(q, words(err), "", "")};
		return NULL;
	}
	for (const char *p = path; p != NULL && *path != '\0';) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *dir = n ? strndup(p, n) : strdup(".");
		char *cand = cat(dir, "/", argv0, "");
		if (find_executable(cand, &sf) == 0)
			return cand;
		p = end != NULL ? end + 1 : NULL;
	}
	*f = (struct failure){EXIT_NOT_FOUND, cat(q, "executable file not found in $PATH", "", "")};
	return NULL;
}

static _Noreturn void fail(struct failure f)
{
	char *line = cat("dockerfile-dotenv: ", f.msg ? f.msg : "", "\n", "");
	if (write(2, line, strlen(line)) < 0)
		_exit(f.code);
	_exit(f.code);
}

int main(int argc, char **argv)
{
	const char *id = "", *file = "";
	int masked = 0, i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--id=", 5) == 0)
			id = argv[i] + 5;
		else if (strncmp(argv[i], "--file=", 7) == 0)
			file = argv[i] + 7;
		else if (strcmp(argv[i], "--mask") == 0)
			masked = 1;
	}
	if (i + 1 >= argc)
		fail((struct failure){EXIT_LOAD_FAILED, "loader: usage"});
	char **cmd = argv + i + 1;

	size_t nenv = 0;
	while (environ[nenv] != NULL)
		nenv++;
	char **env = calloc(nenv + 4096, sizeof *env);
	char **values = calloc(4096, sizeof *values);
	if (env == NULL || values == NULL)
		abort();
	memcpy(env, environ, nenv * sizeof *env);
	size_t nvalues = 0;
	const char *path = getenv("PATH");

	static char text[1 << 20];
	ssize_t len = 0;
	int fd = open(file, O_RDONLY);
	if (fd >= 0) {
		len = read(fd, text, sizeof text - 1);
		close(fd);
	}
	for (char *line = text; len > 0 && line < text + len && nvalues < 4095;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		char *eq = strchr(line, '=');
		if (eq != NULL && line[0] != '#') {
			char *v = eq + 1;
			size_t vn = strlen(v);
			if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0])
				v++, v[vn - 2] = '\0';
			*eq = '\0';
			char *kv = cat(line, "=", v, "");
			size_t k = 0;
			while (k < nenv && !(strncmp(env[k], kv, strlen(line) + 1) == 0))
				k++;
			env[k] = kv;
			if (k == nenv)
				nenv++;
			values[nvalues++] = v;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	const char *too_big = nvalues > 0 ? cat(" (with the variables of secret ", id, ")", "") : "";
	if (masked) {
		struct patterns *p = mask_patterns(values, nvalues);
		if (p != NULL)
			fail(run_masked(cmd, path, env, too_big, p));
	}
	struct failure f;
	char *exe = look_path(cmd[0], path, &f);
	if (exe == NULL)
		fail(f);
	execve(exe, cmd, env);
	fail(exec_failure(exe, errno, too_big));
}
