/*
 * The parent floor: the least a masking loader can cost a RUN. It runs its
 * arguments as its child with stdout and stderr through pipes, copies them
 * to its own until both close, and exits with the child's status: what the
 * loader with --mask does, without reading the secret, masking, forwarding
 * signals or reaping orphans.
 */
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char *argv[])
{
	int p[2][2];
	if (argc < 2 || pipe(p[0]) < 0 || pipe(p[1]) < 0)
		return 2;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0][1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1][1], 2);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			posix_spawn_file_actions_addclose(&fa, p[i][j]);
	pid_t pid;
	if (posix_spawn(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0)
		return 127;
	close(p[0][1]);
	close(p[1][1]);
	struct pollfd pfd[2] = {{.fd = p[0][0], .events = POLLIN}, {.fd = p[1][0], .events = POLLIN}};
	char buf[65536];
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			ssize_t n = read(pfd[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			} else if (write(i + 1, buf, (size_t)n) < 0) {
				return 2;
			}
		}
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
