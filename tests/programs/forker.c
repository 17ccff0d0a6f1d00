/*
 * forker.c MODE - exercises the recorder across fork and exec.
 *   fork: allocate 10 blocks of 3131 bytes, fork; the child allocates 50 blocks
 *         of 5151 bytes, frees them and the inherited ones, exits; the parent
 *         waits, then allocates 20 more of 3131 and frees all.
 *   exec: fork and exec itself as "forker child", which reports whether the
 *         recorder is still in its LD_PRELOAD and allocates 50 of 5151 bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_work(void)
{
	void *b[50];
	for (int i = 0; i < 50; i++)
		b[i] = malloc(5151);
	for (int i = 0; i < 50; i++)
		free(b[i]);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fork";
	if (!strcmp(mode, "child")) {
		const char *pre = getenv("LD_PRELOAD");
		printf("child preload: %s\n",
		       pre && strstr(pre, "libheaplab-record") ? "yes" : "no");
		child_work();
		return 0;
	}
	void *keep[30];
	for (int i = 0; i < 10; i++)
		keep[i] = malloc(3131);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!strcmp(mode, "exec")) {
			execl("/proc/self/exe", argv[0], "child", (char *)NULL);
			_exit(127);
		}
		child_work();
		for (int i = 0; i < 10; i++)
			free(keep[i]);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	for (int i = 10; i < 30; i++)
		keep[i] = malloc(3131);
	for (int i = 0; i < 30; i++)
		free(keep[i]);
	printf("parent done, child status %d\n", WEXITSTATUS(status));
	return 0;
}
