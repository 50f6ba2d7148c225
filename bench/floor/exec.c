/*
 * The exec floor: the least any loader that is a program can cost a RUN.
 * It execs its arguments and does nothing else; bench/loader.sh runs it in
 * front of a RUN's shell, as the loader runs.
 */
#include <unistd.h>

extern char **environ;

int main(int argc, char *argv[])
{
	if (argc < 2)
		return 2;
	execve(argv[1], argv + 1, environ);
	return 127;
}
