/*
 * null_responder - the benchmark baseline: a do-nothing libfcgi responder.
 *
 *     null_responder SOCKET_PATH THREADS
 *
 * THREADS threads loop on FCGX_Accept_r on one unix socket and answer every
 * request with 200, an X-Session-User header and an empty body, without
 * looking at the request. It is what "bare FastCGI" costs through the same
 * libfcgi and the same nginx, so sessiongw's figures can be read as a ratio
 * to it. A benchmark tool: SIGTERM/SIGINT just _exit(0).
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd = -1;

static const char reply[] =
    "Status: 200 OK\r\n"
    "X-Session-User: bench\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void *worker(void *arg)
{
	FCGX_Request req;

	(void)arg;
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, (int)sizeof reply - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	pthread_t *tids;
	int i, n;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > 1024) {
		fprintf(stderr, "usage: %s SOCKET_PATH THREADS\n", argv[0]);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	listen_fd = FCGX_OpenSocket(argv[1], 128);
	if (listen_fd < 0) {
		perror("FCGX_OpenSocket");
		return 1;
	}
	chmod(argv[1], 0666);
	tids = calloc((size_t)n, sizeof *tids);
	if (!tids)
		return 1;
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0)
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
