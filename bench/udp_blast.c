/* SPDX-License-Identifier: ISC */
/*
 * bench/classifier's sender: UDP datagrams of SIZE payload octets to
 * ADDRESS:PORT, as fast as one CPU sends them (sendmmsg, BATCH at a
 * time), until killed.  Nothing listens at the other end: the frames
 * cross the bridge and die in the receiving guest's stack, so that the
 * sending CPU does all the work of a packet, and no receiving process's
 * wakeups make the rate wander.  Unconnected: the port unreachable
 * answers (rate-limited) are not reported back as errors.
 *
 * Usage: udp_blast ADDRESS PORT SIZE BATCH
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_SIZE 1472

int main(int argc, char **argv)
{
	static char payload[MAX_SIZE];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET};
	long port, size, batch;
	int fd;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    (port = strtol(argv[2], NULL, 10)) < 1 || port > 65535 ||
	    (size = strtol(argv[3], NULL, 10)) < 1 || size > MAX_SIZE ||
	    (batch = strtol(argv[4], NULL, 10)) < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "usage: udp_blast ADDRESS PORT SIZE(1-%d) BATCH(1-%d)\n",
			MAX_SIZE, MAX_BATCH);
		return 2;
	}
	to.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp_blast: socket");
		return 1;
	}
	for (long i = 0; i < batch; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = (size_t)size;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof to;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		/* A full socket buffer or a neighbour not resolved yet: on. */
		if (sendmmsg(fd, msgs, (unsigned int)batch, 0) < 0 && errno != ENOBUFS &&
		    errno != EAGAIN && errno != EINTR) {
			perror("udp_blast: sendmmsg");
			return 1;
		}
	}
}
