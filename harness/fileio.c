/* fileio.c - see fileio.h. */

#include "fileio.h"

#include "exitcodes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench: standard output: %s\n", strerror(errno ? errno : EIO));
		return EXIT_SYSTEM;
	}
	return code;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
