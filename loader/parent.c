/*
 * The loader as the command's parent, when it masks: a port of the Go
 * loader's parent.go and signals.go.
 *
 * run_masked runs the command as the loader's child rather than in its
 * place: the command's stdout and stderr go each through a pipe and a
 * masking writer (mask.c) to the loader's own; the loader forwards the
 * signals it gets to the command, reaps orphans when it is PID 1 (BuildKit
 * runs the RUN's process as PID 1 of its PID namespace), and ends as the
 * command did.
 *
 * One thread, one poll loop: the signals come through a signalfd, so that
 * forwarding, reaping and the output are handled one at a time, and no
 * signal is sent after the command is reaped (its pid could be another
 * process's by then).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "mask.h"

enum {
	/* The most read from a pipe at once, and the size the pipes are
	 * asked for (Linux gives 64 KiB by default): fewer, larger reads and
	 * writes, and a command that writes in bursts blocks less. */
	READ_SIZE = 256 << 10,
	/* What is read of each pipe once the command has exited: a
	 * background process that keeps writing must not keep the loader
	 * alive (without the loader, the container ends with its PID 1). */
	DRAIN_MAX = 1 << 20,
	NSIG_MAX = 64, /* the signals Linux numbers */
};

/* What pump reads into: READ_SIZE bytes from mask_pages (not static: the
 * loader's small globals then share their few pages; a RUN's output
 * touches few of these). */
static unsigned char *rbuf;

/* failed returns the failure "loader: <what><errno's words>" (exit 125),
 * worded as Go's syscall.Errno (text.c). */
static struct failure failed(const char *what, int err)
{
	struct text t = {0};
	text_str(&t, what);
	text_errno(&t, err);
	struct failure f = {EXIT_LOAD_FAILED, text_done(&t)};
	return f.msg != NULL ? f : out_of_memory();
}

/* fd_sink writes to a descriptor, whole: after a signal interrupts it, a
 * partial write, or EAGAIN (an output in non-blocking mode). */
static int fd_sink(void *ctx, const unsigned char *p, size_t n)
{
	int fd = *(const int *)ctx;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct timespec ms = {0, 1000000};
				nanosleep(&ms, NULL);
				continue;
			}
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A stream is one of the command's outputs. */
struct stream {
	int fd; /* the pipe's read end, -1 once closed */
	struct mwriter w;
};

/* pump reads once from the pipe and masks what it read to the loader's
 * output. It reports whether it read anything. At EOF, on a read error
 * (EAGAIN when draining) or when the loader's output fails, the pipe is
 * closed: a command writing to it again gets EPIPE or SIGPIPE, as it would
 * writing to the failed output itself. */
static int pump(struct stream *s)
{
	ssize_t n = read(s->fd, rbuf, READ_SIZE);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n > 0 && mwriter_write(&s->w, rbuf, (size_t)n) == 0)
		return 1;
	close(s->fd);
	s->fd = -1;
	return 0;
}

/* forwardable reports whether the loader forwards sig to the command, as
 * signals.go's forwarded. Not: SIGKILL and SIGSTOP (nobody catches them),
 * SIGCHLD (about the loader's own children), SIGPIPE (the loader's own
 * write to a closed output; the command gets it itself when it writes
 * next), SIGURG and SIGPROF (the Go loader's runtime kept them), 32 to 34
 * (the C library's own: musl and glibc refuse to change them; the Go
 * runtime left them alone too), and any signal ignored at start (the
 * command inherits it ignored, as without the loader: see run_masked). */
static int forwardable(int sig)
{
	switch (sig) {
	case SIGKILL:
	case SIGSTOP:
	case SIGCHLD:
	case SIGPIPE:
	case SIGURG:
	case SIGPROF:
		return 0;
	}
	return sig < 32 || sig > 34;
}

/* reap reaps every child that has ended: the command, and, when the loader
 * is PID 1, every orphan that the kernel makes its child. It stops at the
 * command: then it returns 1, its status in *status. */
static int reap(pid_t pid, int init, int *status)
{
	for (;;) {
		int ws;
		pid_t w = waitpid(init ? -1 : pid, &ws, WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		if (w == pid) {
			*status = ws;
			return 1;
		}
	}
}

/* on_signals reads the signals that came, forwards those to forward and
 * reaps on SIGCHLD; it returns 1 when the command was reaped, and then
 * forwards no more. */
static int on_signals(int sfd, pid_t pid, int init, const unsigned char forward[], int *status)
{
	struct signalfd_siginfo si[8];
	for (;;) {
		ssize_t n = read(sfd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* EAGAIN: all read */
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			unsigned sig = si[i].ssi_signo;
			if (sig == SIGCHLD) {
				if (reap(pid, init, status))
					return 1;
			} else if (sig <= NSIG_MAX && forward[sig]) {
				kill(pid, (int)sig);
			}
		}
	}
}

/* die_of ends the loader with signal sig, as the command ended: with the
 * default disposition, unblocked, and without a core dump of the loader
 * (the command dumped its own if it was to). A PID namespace's init cannot
 * die of its own signal (the kernel drops it): then the loader exits with
 * 128 + sig, which is what runc reports for a RUN killed by sig. */
static _Noreturn void die_of(int sig)
{
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* above_stdio moves a pipe's end that took 0, 1 or 2 (they were closed and
 * /dev/null could not take their place) out of the way of the command's
 * descriptors. */
static int above_stdio(int fd)
{
	if (fd > 2)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

static int stdout_fd = 1, stderr_fd = 2;

/* spawn starts the command with stdout and stderr on the descriptors out
 * and err (the pipes' write ends; their other descriptors are close-on-
 * exec) and the signal mask mask; it returns 0, or exec's errno.
 * posix_spawn runs only async-signal-safe calls in the child (musl's and
 * glibc's clone it with CLONE_VFORK). The command inherits out and err as
 * the loader's own 1 and 2, which they replace for the moment of
 * posix_spawn: file actions to dup2 them in the child instead would link
 * musl's malloc next to the loader's own (alloc.c). */
static int spawn(pid_t *pid, const char *file, char *const argv[], char *const envp[], int out, int err,
		 const sigset_t *mask)
{
	int own[2] = {fcntl(1, F_DUPFD_CLOEXEC, 3), fcntl(2, F_DUPFD_CLOEXEC, 3)};
	int e = 0;
	if (own[0] < 0 || own[1] < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
		e = errno;
	} else {
		posix_spawnattr_t attr;
		if ((e = posix_spawnattr_init(&attr)) == 0) {
			if ((e = posix_spawnattr_setsigmask(&attr, mask)) == 0 &&
			    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)) == 0)
				e = posix_spawn(pid, file, NULL, &attr, argv, envp);
			posix_spawnattr_destroy(&attr);
		}
	}
	/* The loader's own 1 and 2 again: it holds no write end of the
	 * pipes there. */
	for (int fd = 1; fd <= 2; fd++) {
		if (own[fd - 1] >= 0) {
			dup2(own[fd - 1], fd);
			close(own[fd - 1]);
		}
	}
	return e;
}

struct failure run_masked(char *const argv[], const char *path, char *const envp[],
			  const char *too_big, const struct patterns *p)
{
	struct failure f;
	char *file = look_path(argv[0], path, &f);
	if (file == NULL)
		return f;
	/* Stdin as it is: main.c opened /dev/null for a closed 0, 1 or 2
	 * (above_stdio moves a pipe that takes one all the same). */
	struct matcher *m;
	struct stream s[2] = {{.fd = -1}, {.fd = -1}};
	if ((rbuf = mask_pages(READ_SIZE)) == NULL || matcher_new(&m, p) < 0 ||
	    mwriter_init(&s[0].w, m, fd_sink, &stdout_fd) < 0 ||
	    mwriter_init(&s[1].w, m, fd_sink, &stderr_fd) < 0)
		return out_of_memory();

	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return failed("loader: cannot make a pipe: ", errno);
	if (pipe2(errp, O_CLOEXEC) < 0)
		return failed("loader: cannot make a pipe: ", errno);
	for (int i = 0; i < 2; i++) {
		if ((out[i] = above_stdio(out[i])) < 0 || (errp[i] = above_stdio(errp[i])) < 0)
			return failed("loader: cannot make a pipe: ", errno);
	}
	/* F_SETPIPE_SZ; the default size is fine when refused. */
	fcntl(out[0], F_SETPIPE_SZ, READ_SIZE);
	fcntl(errp[0], F_SETPIPE_SZ, READ_SIZE);

	/* Every signal the loader forwards or handles is blocked and read
	 * from a signalfd, from before the command starts, so that none is
	 * lost; the command starts with the loader's mask of before. A
	 * signal ignored at start stays ignored, for the command too. */
	static unsigned char forward[NSIG_MAX + 1];
	sigset_t caught, orig;
	sigemptyset(&caught);
	for (int sig = 1; sig <= NSIG_MAX; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig <= 34))
			continue;
		if (sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler == SIG_IGN) {
			if (sig != SIGCHLD)
				continue;
			/* Ignored, SIGCHLD would reap the command before
			 * the loader sees its status. */
			struct sigaction dfl = {.sa_handler = SIG_DFL};
			sigemptyset(&dfl.sa_mask);
			sigaction(SIGCHLD, &dfl, NULL);
		}
		sigaddset(&caught, sig);
		forward[sig] = (unsigned char)forwardable(sig);
	}
	sigprocmask(SIG_BLOCK, &caught, &orig);
	int sfd = signalfd(-1, &caught, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		int err = errno;
		sigprocmask(SIG_SETMASK, &orig, NULL);
		return failed("loader: signalfd: ", err);
	}

	pid_t pid;
	int err = spawn(&pid, file, argv, envp, out[1], errp[1], &orig);
	if (err != 0) {
		sigprocmask(SIG_SETMASK, &orig, NULL);
		return exec_failure(file, err, too_big);
	}
	/* Only the command holds the write ends now: EOF when it and its
	 * children have closed them. */
	close(out[1]);
	close(errp[1]);

	int init = getpid() == 1, status = 0;
	s[0].fd = out[0];
	s[1].fd = errp[0];
	for (int exited = 0; !exited;) {
		struct pollfd pfd[3] = {
			{.fd = s[0].fd, .events = POLLIN},
			{.fd = s[1].fd, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
		};
		if (poll(pfd, 3, -1) < 0) {
			if (errno != EINTR) { /* ENOMEM: try again */
				struct timespec ms = {0, 1000000};
				nanosleep(&ms, NULL);
			}
			continue;
		}
		if (pfd[2].revents != 0)
			exited = on_signals(sfd, pid, init, forward, &status);
		for (int i = 0; i < 2; i++)
			if (s[i].fd >= 0 && pfd[i].revents != 0)
				pump(&s[i]);
	}
	/* What the command (or a process that shares its output) wrote
	 * before it ended is in the pipes: pass it on, without waiting for
	 * writers that are still running. */
	for (int i = 0; i < 2; i++) {
		int fl;
		if (s[i].fd >= 0 && (fl = fcntl(s[i].fd, F_GETFL)) >= 0 &&
		    fcntl(s[i].fd, F_SETFL, fl | O_NONBLOCK) == 0) {
			for (size_t taken = 0; s[i].fd >= 0 && taken < DRAIN_MAX; taken += READ_SIZE)
				if (!pump(&s[i]))
					break;
		}
		mwriter_flush(&s[i].w); /* on error there is nowhere to say it */
	}
	if (WIFSIGNALED(status))
		die_of(WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}
