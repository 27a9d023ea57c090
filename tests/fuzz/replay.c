/*
 * replay.c - run a corpus through a fuzz harness without libFuzzer.
 *
 *   fuzz-replay-HARNESS FILE_OR_DIR...
 *
 * Built with the normal compiler and linked with one harness (its
 * LLVMFuzzerInitialize and LLVMFuzzerTestOneInput), so `make test` checks
 * every checked-in input, crashes found earlier included, on every build.
 * Each file runs in a child process: an invariant that aborts (or a
 * sanitizer report in a sanitized build) counts as one failure and names
 * the file; the rest still run. Last line: "N passed, N failed".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX_BYTES	(1024 * 1024)

static int npass, nfail;

/* Read all of path into a fresh buffer. 0, or -1 (message printed). */
static int
read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	uint8_t	*buf = NULL;
	size_t	 n = 0;
	int	 ret = -1;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(REPLAY_MAX_BYTES)) == NULL)
		goto out;
	n = fread(buf, 1, REPLAY_MAX_BYTES, fp);
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return ret;
}

static void
run_one(const char *path)
{
	uint8_t	*data = NULL;
	size_t	 len = 0;
	pid_t	 pid;
	int	 st = 0;

	if (read_all(path, &data, &len) != 0) {
		nfail++;
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		_exit(0);
	}
	free(data);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "replay: FAIL %s (%s %d)\n", path,
		    WIFSIGNALED(st) ? "signal" : "exit",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		nfail++;
	} else {
		npass++;
	}
}

static void
run_path(const char *path)
{
	struct dirent **ents = NULL;
	struct stat sb;
	char	 sub[4096];
	int	 n;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		nfail++;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		run_one(path);
		return;
	}
	/* Sorted, so a failure always shows up in the same place. */
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		nfail++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof sub, "%s/%s", path,
		    ents[i]->d_name) < sizeof sub)
			run_path(sub);
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("%s: %d passed, %d failed\n", argv[0], npass, nfail);
	return nfail == 0 && npass > 0 ? 0 : 1;
}
