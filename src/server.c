/*
 * server.c - `sessiongw serve`: the FastCGI responder.
 *
 * `threads` workers each loop on FCGX_Accept_r over the one listening
 * socket, each with its own SQLite connection. Requests that check a
 * password are handed to the password pool (pwpool.c), whose threads have
 * their own connections, so a sign-in flood never holds up validate. Signals are blocked in
 * every thread and taken by the main thread with sigwait(): libfcgi's own
 * handlers would wake only one worker. To stop, the main thread sets the
 * stopping flag and writes to an eventfd that every idle worker polls
 * (see worker_main); requests in flight finish normally.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "audit.h"
#include "cli.h"
#include "listen.h"
#include "metrics.h"
#include "password.h"
#include "pwpool.h"
#include "request_life.h"
#include "response.h"
#include "server.h"
#include "stage.h"

static const char serve_usage[] =
	"usage: sessiongw [-c FILE] serve\n"
	"\n"
	"Run the FastCGI responder in the foreground.\n"
	"  SIGTERM, SIGINT  stop accepting, finish requests in flight, exit 0\n"
	"  SIGHUP           reopen the audit log, re-read the key files\n";

/*
 * The idle worker's wait: its own epoll instance holding the listening
 * socket with EPOLLEXCLUSIVE and the wake eventfd without it. For each
 * new connection the kernel wakes one idle worker (or a few), not all of
 * them: with poll() every worker woke, the losers got EAGAIN from accept
 * and went back to sleep, and under load that was about one wasted
 * wake-up, poll and accept per request (strace -c: 3.5 polls and 1.5
 * accepts a request, 0.5 of them EAGAIN). A stop still wakes every
 * worker through the eventfd. Returns the epoll fd, or -1 (message
 * printed).
 */
static int
open_waiter(struct server *srv)
{
	struct epoll_event lev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
	    .data.fd = srv->listen_fd };
	struct epoll_event wev = { .events = EPOLLIN, .data.fd = srv->wake_fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, srv->listen_fd, &lev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, srv->wake_fd, &wev) < 0) {
		fprintf(stderr, "sessiongw: epoll: %s\n", strerror(errno));
		if (ep >= 0)
			close(ep);
		ep = -1;
	}
	return ep;
}

/*
 * Wait until the listening socket has a connection or the daemon stops.
 * Returns 1: try to accept; 0: stop.
 */
static int
wait_for_work(struct server *srv, int ep)
{
	struct epoll_event ev[2];
	int n, work = 0;

	for (;;) {
		if (atomic_load(&srv->stopping))
			return 0;
		n = epoll_wait(ep, ev, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sessiongw: epoll_wait: %s\n",
			    strerror(errno));
			return 0;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == srv->wake_fd)
				return 0;
			if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
				fprintf(stderr, "sessiongw: listening socket "
				    "failed\n");
				return 0;
			}
			if (ev[i].events & EPOLLIN)
				work = 1;
		}
		if (work)
			return 1;
	}
}

void
serve_finish(struct request *r)
{
	(void)response_send(r);
	FCGX_Finish_r(r->fcgx);	/* the client has its answer now */
	request_detach(r);
	metrics_record(r);
	chain_run_after(r);
	request_end(r);
}

/*
 * Serve one accepted request. Returns the job the worker goes on with:
 * the same one, or a fresh one when this request was handed to the
 * password pool (which owns it from then on; see pwpool.h). A fresh job
 * is made before the handoff, so a worker out of memory answers 503
 * instead of losing its ability to accept.
 */
static struct job *
serve_one(struct worker *w, struct job *job)
{
	struct server *srv = w->srv;
	struct request *r = &job->r;
	struct job *next = NULL;

	request_begin(r, w, &job->fr, job->fr.envp);
	if (chain_run(r) == STAGE_HANDOFF) {
		next = job_new(srv->listen_fd);
		if (next == NULL || pwpool_submit(srv->pwpool, job) != 0) {
			job_free(next);
			next = NULL;
			r->handoff_refused = true;
			(void)chain_run(r);	/* the handoff stage: 503 */
		}
	}
	if (next == NULL) {	/* not handed off: r is still ours */
		serve_finish(r);
		next = job;
	}
	return next;
}

/*
 * The listening socket is non-blocking and watched with epoll together
 * with the wake eventfd (open_waiter): a worker woken for a connection
 * another one took gets EAGAIN from accept and waits again, and at stop
 * every worker wakes through the eventfd. Nothing is done to the socket
 * itself, so an inherited socket (systemd, spawn-fcgi) stays usable for
 * the next instance.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;
	struct job *job = job_new(srv->listen_fd);
	int ep = open_waiter(srv);

	if (job == NULL)
		fprintf(stderr, "sessiongw: worker %d: out of memory\n",
		    w->index);
	while (job != NULL && ep >= 0 && wait_for_work(srv, ep)) {
		if (FCGX_Accept_r(&job->fr) < 0)
			continue;	/* EAGAIN: another worker took it */
		job = serve_one(w, job);
	}
	job_free(job);
	if (ep >= 0)
		close(ep);
	return NULL;
}

/*
 * Password threads: argon2id is CPU- and memory-bound, so running more
 * checks at once than there are cores only adds 64 MiB each without
 * adding throughput. Cores: those this process may run on (taskset,
 * cpusets), as nproc counts them. Capped so a big machine under a sign-in
 * flood does not spend more than about 1 GiB on it.
 */
static int
password_threads(void)
{
	cpu_set_t set;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cores = CPU_COUNT(&set);
	if (cores < 1)
		cores = 1;
	return cores < PWPOOL_THREADS_MAX ? (int)cores : PWPOOL_THREADS_MAX;
}

/* Password queue length for n password threads (see pwpool.h). */
static int
password_queue(int n)
{
	int q = PWPOOL_QUEUE_PER_THREAD * n;

	return q > PWPOOL_QUEUE_MIN ? q : PWPOOL_QUEUE_MIN;
}

static int
open_stores(struct server *srv, struct worker *ws, int n)
{
	/* writes wait at most this; bookkeeping sets its own shorter wait */
	struct store_opts opts = { .create = true, .conf = &srv->cfg.store,
	    .wait_ms = STORE_WAIT_WRITE_MS };
	char err[512];
	int from, to;

	for (int i = 0; i < n; i++) {
		ws[i].srv = srv;
		ws[i].index = i;
		if (store_open(&ws[i].store, srv->cfg.database, &opts, err,
		    sizeof err) != 0) {
			fprintf(stderr, "sessiongw: %s\n", err);
			return -1;
		}
		if (i == 0 && store_prepare(ws[0].store, &from, &to) != 0) {
			/*
			 * A shared store that is down now may be up in a
			 * second: serve, failing closed until it is (the
			 * layout is written by the first gateway that
			 * reaches it). Any other fault stops the start.
			 */
			if (store_fault(ws[0].store) == STORE_FAULT_DOWN) {
				fprintf(stderr, "sessiongw: store not reachable "
				    "yet: %s; serving, failing closed until it "
				    "is\n", store_errmsg(ws[0].store));
				continue;
			}
			fprintf(stderr, "sessiongw: store: preparing the layout "
			    "failed: %s\n", store_errmsg(ws[0].store));
			return -1;
		}
	}
	return 0;
}

static void
close_stores(struct worker *ws, int n)
{
	for (int i = 0; i < n; i++)
		if (ws[i].store != NULL)
			store_close(ws[i].store);
}

/* Non-blocking accept (see worker_main) and the stop eventfd. */
static int
prepare_listen_fd(struct server *srv)
{
	int fl = fcntl(srv->listen_fd, F_GETFL);

	if (fl < 0 || fcntl(srv->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "sessiongw: listening socket: %s\n",
		    strerror(errno));
		return -1;
	}
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->wake_fd < 0) {
		fprintf(stderr, "sessiongw: eventfd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The gid [server] socket_group names; (gid_t)-1 when empty. 0 or -1. */
static int
socket_gid(const struct config *cfg, gid_t *gid)
{
	struct group *gr;

	*gid = (gid_t)-1;
	if (cfg->socket_group[0] == '\0')
		return 0;
	if ((gr = getgrnam(cfg->socket_group)) == NULL) {
		fprintf(stderr, "sessiongw: %s: [server] socket_group = %s: no "
		    "such group\n", cfg->path, cfg->socket_group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/*
 * When started as root with [server] user set: become that user. The
 * socket's group is [server] socket_group (the web server's group) when
 * set, so that the daemon itself can run with its own group and the web
 * server reads nothing but the socket; without root, that group change is
 * all that happens (the daemon must be a member of the group).
 */
static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	char err[512];
	gid_t sgid;
	int rc = -1;

	if (socket_gid(cfg, &sgid) != 0)
		return -1;
	if (geteuid() != 0 || cfg->user[0] == '\0') {
		if (listen_chown(cfg, (uid_t)-1, sgid, err, sizeof err) != 0)
			goto fail;
		return 0;
	}
	if ((pw = getpwnam(cfg->user)) == NULL) {
		snprintf(err, sizeof err, "%s: [server] user = %s: no such "
		    "user", cfg->path, cfg->user);
		goto fail;
	}
	/*
	 * What the daemon reopens later must stay reachable: the socket file
	 * (removed at exit) and the audit log (reopened on SIGHUP). Both are
	 * given away through their open descriptors, never by path: a path
	 * could be a symlink to a root-owned file by now. The key files must
	 * be readable by this user for SIGHUP to reload them;
	 * setup-session-security checks that.
	 */
	if (listen_chown(cfg, pw->pw_uid, sgid != (gid_t)-1 ? sgid :
	    pw->pw_gid, err, sizeof err) != 0 ||
	    audit_chown(pw->pw_uid, pw->pw_gid, err, sizeof err) != 0)
		goto fail;
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, sizeof err, "cannot drop privileges to %s: %s",
		    cfg->user, strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	if (rc != 0)
		fprintf(stderr, "sessiongw: %s\n", err);
	return rc;
}

static void
reload_keys(struct server *srv)
{
	struct keyring fresh, old;
	char err[512];

	if (keyring_load(&fresh, &srv->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "sessiongw: SIGHUP: keeping the old keys: %s\n",
		    err);
		return;
	}
	pthread_rwlock_wrlock(&srv->keys_lock);
	old = srv->keys;
	srv->keys = fresh;
	pthread_rwlock_unlock(&srv->keys_lock);
	keyring_free(&old);
	fprintf(stderr, "sessiongw: SIGHUP: reloaded %d keys\n", fresh.nkeys);
}

static void
audit_daemon(struct server *srv, enum audit_event ev)
{
	struct audit_rec a = { .event = ev };

	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "version", SESSIONGW_VERSION);
		cJSON_AddStringToObject(a.detail, "listen", srv->cfg.listen);
		cJSON_AddNumberToObject(a.detail, "threads", srv->cfg.threads);
		cJSON_AddNumberToObject(a.detail, "password_threads",
		    srv->npassword);
		cJSON_AddNumberToObject(a.detail, "password_queue",
		    password_queue(srv->npassword));
		cJSON_AddNumberToObject(a.detail, "pid", (double)getpid());
	}
	audit_write(&a);
}

/* Wait for signals until told to stop. */
static void
signal_loop(struct server *srv, const sigset_t *set)
{
	char err[512];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (audit_reopen(err, sizeof err) != 0)
				fprintf(stderr, "sessiongw: SIGHUP: %s\n", err);
			reload_keys(srv);
			continue;
		}
		fprintf(stderr, "sessiongw: %s: stopping\n", strsignal(sig));
		return;
	}
}

/*
 * ws holds the FastCGI workers, then the password threads. The pool
 * starts first (workers submit to it) and stops last: workers are joined
 * first, so nothing is queued after pwpool_stop(), which serves every job
 * still queued before it returns.
 */
static int
run_workers(struct server *srv, struct worker *ws, const sigset_t *set)
{
	int started = 0, rc = EXIT_OK;

	if (pwpool_start(&srv->pwpool, &ws[srv->cfg.threads], srv->npassword,
	    password_queue(srv->npassword)) != 0)
		rc = EXIT_FAIL;
	for (; rc == EXIT_OK && started < srv->cfg.threads; started++) {
		if (pthread_create(&ws[started].thread, NULL, worker_main,
		    &ws[started]) != 0) {
			fprintf(stderr, "sessiongw: cannot start thread %d\n",
			    started);
			rc = EXIT_FAIL;
			break;
		}
	}
	if (rc == EXIT_OK) {
		audit_daemon(srv, AUDIT_DAEMON_STARTED);
		fprintf(stderr, "sessiongw: serving on %s with %d threads "
		    "and %d password threads (queue %d)\n", srv->cfg.listen,
		    srv->cfg.threads, srv->npassword,
		    password_queue(srv->npassword));
		signal_loop(srv, set);
	}
	atomic_store(&srv->stopping, true);
	if (eventfd_write(srv->wake_fd, 1) != 0)
		fprintf(stderr, "sessiongw: cannot wake workers: %s\n",
		    strerror(errno));
	for (int i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	pwpool_stop(srv->pwpool);
	srv->pwpool = NULL;
	stats_flush(srv, ws[0].store);
	audit_daemon(srv, AUDIT_DAEMON_STOPPED);
	return rc;
}

static int
serve(struct server *srv)
{
	struct worker *ws = NULL;
	sigset_t set;
	char err[512];
	int rc = EXIT_FAIL, lrc, nws = 0;

	if (keyring_load(&srv->keys, &srv->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "sessiongw: %s\n", err);
		return EXIT_USAGE;
	}
	if (audit_open(srv->cfg.audit_log, err, sizeof err) != 0) {
		fprintf(stderr, "sessiongw: %s\n", err);
		goto out;
	}
	if (password_dummy_hash(srv->dummy_hash, sizeof srv->dummy_hash) != 0)
		goto out;
	srv->npassword = password_threads();
	nws = srv->cfg.threads + srv->npassword;
	ws = calloc((size_t)nws, sizeof *ws);
	if (ws == NULL || open_stores(srv, ws, nws) != 0)
		goto out;
	lrc = listen_open(&srv->cfg, &srv->listen_fd, err, sizeof err);
	if (lrc != LISTEN_OK) {
		fprintf(stderr, "sessiongw: %s: %s\n", srv->cfg.path, err);
		rc = lrc == LISTEN_USAGE ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (prepare_listen_fd(srv) != 0)
		goto out_listen;
	if (drop_privileges(&srv->cfg) != 0)
		goto out_listen;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		goto out_listen;
	rc = run_workers(srv, ws, &set);
out_listen:
	listen_close(&srv->cfg, srv->listen_fd);
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
out:
	if (ws != NULL)
		close_stores(ws, nws);
	free(ws);
	keyring_free(&srv->keys);
	audit_close();
	return rc;
}

int
cmd_serve(struct config *cfg, int argc, char **argv)
{
	struct server *srv;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(serve_usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "sessiongw serve: unexpected argument '%s'\n%s",
		    argv[1], serve_usage);
		return EXIT_USAGE;
	}
	/* The metrics arrays make this too big for the stack. */
	srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return EXIT_FAIL;
	srv->cfg = *cfg;
	srv->listen_fd = -1;
	srv->wake_fd = -1;
	pthread_rwlock_init(&srv->keys_lock, NULL);
	pthread_mutex_init(&srv->flush_lock, NULL);
	atomic_store(&srv->last_cleanup, (long long)time(NULL));
	rc = serve(srv);
	pthread_rwlock_destroy(&srv->keys_lock);
	pthread_mutex_destroy(&srv->flush_lock);
	sodium_memzero(srv->dummy_hash, sizeof srv->dummy_hash);
	free(srv);
	return rc;
}
