/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "module/common/consts.h"
#include "module/tool/knotc.h"

extern char **environ;

const char *tool_knotc_default(void)
{
	const char *env = getenv("KNOTC");
	if (env != NULL && env[0] != '\0') {
		return env;
	}
	/* knotc is in /usr/sbin, which a user's PATH may lack. */
	const char *path = getenv("PATH");
	while (path != NULL && *path != '\0') {
		const char *end = strchrnul(path, ':');
		char file[4096];
		if (snprintf(file, sizeof(file), "%.*s/knotc", (int)(end - path), path) <
		    (int)sizeof(file) && access(file, X_OK) == 0) {
			return "knotc";
		}
		path = (*end == ':') ? end + 1 : end;
	}
	return access("/usr/sbin/knotc", X_OK) == 0 ? "/usr/sbin/knotc" : "knotc";
}

bool tool_src_is_confdb(const tool_src_t *src)
{
	if (src->confdb != NULL) {
		return true;
	}
	if (src->config != NULL) {
		return false;
	}
	/* As knotc's conf_db_exists(): the directory holds an LMDB data file. */
	struct stat st;
	return stat(KNOT_CONF_DEFAULT_DBDIR "/" ACME_LMDB_DATA_FILE, &st) == 0;
}

const char *tool_src_describe(const tool_src_t *src, char *buf, size_t size)
{
	if (src->confdb != NULL) {
		snprintf(buf, size, "configuration database %s", src->confdb);
	} else if (src->config != NULL) {
		snprintf(buf, size, "configuration file %s", src->config);
	} else if (tool_src_is_confdb(src)) {
		snprintf(buf, size, "configuration database %s", KNOT_CONF_DEFAULT_DBDIR);
	} else {
		snprintf(buf, size, "configuration file %s", KNOT_CONF_DEFAULT_FILE);
	}
	return buf;
}

/*! Appends everything readable from \a fd to \a buf. */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*len + 4096 + 1 > *cap) {
		size_t ncap = (*cap == 0) ? 8192 : *cap * 2;
		char *nbuf = realloc(*buf, ncap);
		if (nbuf == NULL) {
			return KNOT_ENOMEM;
		}
		*buf = nbuf;
		*cap = ncap;
	}
	ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
	if (n < 0) {
		return (errno == EINTR || errno == EAGAIN) ? KNOT_EOK : knot_map_errno();
	}
	*len += n;
	(*buf)[*len] = '\0';
	return n == 0 ? KNOT_EOF : KNOT_EOK;
}

int tool_knotc(const tool_src_t *src, const char *const *args, char **out, char **err)
{
	const char *argv[64];
	size_t argc = 0;
	argv[argc++] = src->knotc;
	if (src->config != NULL) {
		argv[argc++] = "-c";
		argv[argc++] = src->config;
	}
	if (src->confdb != NULL) {
		argv[argc++] = "-C";
		argv[argc++] = src->confdb;
	}
	if (src->socket != NULL) {
		argv[argc++] = "-s";
		argv[argc++] = src->socket;
	}
	for (; *args != NULL; args++) {
		if (argc + 2 > sizeof(argv) / sizeof(argv[0])) {
			return KNOT_ERANGE;
		}
		argv[argc++] = *args;
	}
	argv[argc] = NULL;

	int pout[2], perr[2];
	if (pipe2(pout, O_CLOEXEC) != 0) {
		return knot_map_errno();
	}
	if (pipe2(perr, O_CLOEXEC) != 0) {
		int ret = knot_map_errno();
		close(pout[0]);
		close(pout[1]);
		return ret;
	}

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	pid_t pid;
	int ret = posix_spawnp(&pid, src->knotc, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pout[1]);
	close(perr[1]);
	if (ret != 0) {
		close(pout[0]);
		close(perr[0]);
		return knot_map_errno_code(ret);
	}

	/* Both pipes at once: knotc may fill either. */
	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0 }, caps[2] = { 0 };
	struct pollfd fds[2] = { { pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 } };
	int open_fds = 2, io_ret = KNOT_EOK;
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			io_ret = knot_map_errno();
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || fds[i].revents == 0) {
				continue;
			}
			int r = drain(fds[i].fd, &bufs[i], &lens[i], &caps[i]);
			if (r != KNOT_EOK) {
				if (r != KNOT_EOF) {
					io_ret = r;
				}
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		if (fds[i].fd >= 0) {
			close(fds[i].fd);
		}
		if (bufs[i] == NULL) {
			bufs[i] = strdup("");
		}
	}

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR);

	if (io_ret != KNOT_EOK || bufs[0] == NULL || bufs[1] == NULL) {
		free(bufs[0]);
		free(bufs[1]);
		return io_ret != KNOT_EOK ? io_ret : KNOT_ENOMEM;
	}
	if (out != NULL) {
		*out = bufs[0];
	} else {
		explicit_bzero(bufs[0], lens[0]); /* May hold key secrets. */
		free(bufs[0]);
	}
	if (err != NULL) {
		*err = bufs[1];
	} else {
		free(bufs[1]);
	}
	if (WIFEXITED(status)) {
		return WEXITSTATUS(status);
	}
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
