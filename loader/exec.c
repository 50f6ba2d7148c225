/*
 * Finding and running the command as runc does without the loader, worded
 * as the Go loader words it (cmd/dotenv-loader/run.go): argv[0] without a
 * slash is looked up in the RUN's PATH as Go's exec.LookPath does, argv
 * is passed unchanged, and a file exec cannot run is an error, not a
 * script. Exit 127 when the file does not exist, 126 otherwise, as dash
 * and bash decide it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dotenv.h"

static int status_of(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/* Go's isCapDacOverrideSet: CAP_DAC_OVERRIDE in the effective set. */
static int cap_dac_override(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0}; /* _LINUX_CAPABILITY_VERSION_3 */
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2] = {{0, 0, 0}, {0, 0, 0}};
	return syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << 1)) != 0;
}

/* Go's isGroupMember. */
static int in_group(gid_t gid)
{
	int n = getgroups(0, NULL);
	if (n <= 0 || n > 1 << 20)
		return 0;
	gid_t *groups = malloc((size_t)n * sizeof *groups);
	if (groups == NULL)
		return 0;
	int found = 0;
	n = getgroups(n, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	free(groups);
	return found;
}

/* access_fallback is what Go's syscall.Faccessat(AT_FDCWD, file, X_OK,
 * AT_EACCESS) does when the kernel lacks faccessat2 (before 5.8) or a
 * seccomp profile refuses it with EPERM, as older container runtimes'
 * do: the permission bits, checked as the kernel would. */
int access_fallback(const char *file)
{
	struct stat st;
	if (fstatat(AT_FDCWD, file, &st, 0) != 0)
		return errno;
	uid_t uid = geteuid();
	if (uid != 0 && cap_dac_override())
		uid = 0;
	if (uid == 0) /* root executes what anybody can */
		return st.st_mode & 0111 ? 0 : EACCES;
	unsigned fmode;
	if (uid == st.st_uid)
		fmode = (st.st_mode >> 6) & 7;
	else if (getegid() == st.st_gid || in_group(st.st_gid))
		fmode = (st.st_mode >> 3) & 7;
	else
		fmode = st.st_mode & 7;
	return fmode & 1 ? 0 : EACCES;
}

/* go_faccessat is Go's syscall.Faccessat(AT_FDCWD, file, X_OK, AT_EACCESS):
 * faccessat2, else the fallback. musl's faccessat would fork a checker
 * instead; calling the kernel keeps Go's answers. */
static int go_faccessat(const char *file)
{
	if (syscall(SYS_faccessat2, AT_FDCWD, file, X_OK, AT_EACCESS) == 0)
		return 0;
	int err = errno;
	if (err != ENOSYS && err != EPERM)
		return err;
	return access_fallback(file);
}

/* find_executable is os/exec's check: not a directory, executable for us.
 * It returns 0 or an errno; *stat_failed tells a failed stat, which Go
 * words "stat FILE: ...". */
static int find_executable(const char *file, int *stat_failed)
{
	struct stat st;
	*stat_failed = 0;
	if (stat(file, &st) != 0) {
		*stat_failed = 1;
		return errno;
	}
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	int err = go_faccessat(file);
	if (err == 0 || (err != ENOSYS && err != EPERM))
		return err;
	return st.st_mode & 0111 ? 0 : EACCES;
}

/* path_join is path.Join(dir, file) for a dir that is not empty:
 * path.Clean(dir + "/" + file), without recursion. */
char *path_join(const char *dir, const char *file)
{
	size_t dl = strlen(dir), fl = strlen(file);
	if (dl > SIZE_MAX / 2 || fl > SIZE_MAX / 2)
		return NULL;
	size_t n = dl + 1 + fl;
	char *path = malloc(n + 1);
	char *out = malloc(n + 2); /* Clean is never longer, but "." */
	if (path == NULL || out == NULL) {
		free(path);
		free(out);
		return NULL;
	}
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, file, fl);
	path[n] = '\0';

	/* path.Clean: the lexical processing of Rob Pike's "Getting Dot-Dot
	 * Right", on a copy (Go's lazybuf writes into one too). */
	int rooted = path[0] == '/';
	size_t r = 0, w = 0, dotdot = 0;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	free(path);
	return out;
}

/* lookup_failure words a failed look-up: `exec: "argv0": <what>`. */
static struct failure lookup_failure(const char *argv0, int code, const char *stat_file, int err)
{
	struct text t = {0};
	text_str(&t, "exec: ");
	text_quote(&t, argv0);
	text_str(&t, ": ");
	if (err == 0) {
		text_str(&t, "executable file not found in $PATH");
	} else {
		if (stat_file != NULL) {
			text_str(&t, "stat ");
			text_str(&t, stat_file);
			text_str(&t, ": ");
		}
		text_errno(&t, err);
	}
	struct failure f = {code, text_done(&t)};
	return f.msg != NULL ? f : out_of_memory();
}

char *look_path(const char *argv0, const char *path, struct failure *f)
{
	int stat_failed, err;
	if (strchr(argv0, '/') != NULL) {
		err = find_executable(argv0, &stat_failed);
		if (err != 0) {
			*f = lookup_failure(argv0, status_of(err), stat_failed ? argv0 : NULL, err);
			return NULL;
		}
		char *file = strdup(argv0);
		if (file == NULL)
			*f = out_of_memory();
		return file;
	}
	/* filepath.SplitList: "" is no directory, "a:" is a and "". An
	 * empty entry is the working directory, as in sh. */
	for (const char *p = path; p != NULL && *path != '\0';) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char *dir = len > 0 ? strndup(p, len) : strdup(".");
		char *candidate = dir != NULL ? path_join(dir, argv0) : NULL;
		free(dir);
		if (candidate == NULL) {
			*f = out_of_memory();
			return NULL;
		}
		if (find_executable(candidate, &stat_failed) == 0)
			return candidate;
		free(candidate);
		p = end != NULL ? end + 1 : NULL;
	}
	*f = lookup_failure(argv0, EXIT_NOT_FOUND, NULL, 0);
	return NULL;
}

struct failure exec_failure(const char *file, int err, const char *too_big)
{
	struct text t = {0};
	text_str(&t, "exec ");
	text_str(&t, file);
	text_str(&t, ": ");
	text_errno(&t, err);
	if (err == E2BIG && too_big != NULL)
		text_str(&t, too_big);
	struct failure f = {status_of(err), text_done(&t)};
	return f.msg != NULL ? f : out_of_memory();
}
