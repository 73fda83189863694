// SPDX-License-Identifier: GPL-2.0-or-later
// The show of the hand-over benchmark: appends the CLOCK_MONOTONIC time in
// nanoseconds to OUT and exits.
//
//   stamp OUT          stamps at once: a waiting guard's show, whose first
//                      action is to say that it started
//   stamp OUT FIFO     first reads one byte from FIFO (the driver's "go"),
//                      then stamps and exits: the holder's show, whose last
//                      action is to say that it ends
//
// Built static by bench/run.sh so that its own start costs as little as
// possible; it is the same for every lock design measured.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fputs("usage: stamp OUT [FIFO]\n", stderr);
		return 64;
	}
	if (argc == 3) {
		int fifo = open(argv[2], O_RDONLY | O_CLOEXEC);
		char go;
		if (fifo < 0 || read(fifo, &go, 1) != 1) {
			perror(argv[2]);
			return 71;
		}
		close(fifo);
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char line[32];
	int n = snprintf(line, sizeof(line), "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0 || write(out, line, (size_t)n) != n) {
		perror(argv[1]);
		return 71;
	}
	return 0;
}
