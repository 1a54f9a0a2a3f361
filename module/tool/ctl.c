/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libknot/control/control.h>

#include "module/tool/ctl.h"

/*! As knotc's default control timeout. */
#define CTL_TIMEOUT_MS	60000

struct tool_ctl {
	knot_ctl_t *ctl;
};

int tool_ctl_open(tool_ctl_t **out, const char *path, char *err, size_t err_size)
{
	tool_ctl_t *ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL || (ctl->ctl = knot_ctl_alloc()) == NULL) {
		free(ctl);
		return KNOT_ENOMEM;
	}
	knot_ctl_set_timeout(ctl->ctl, CTL_TIMEOUT_MS);
	int ret = knot_ctl_connect(ctl->ctl, path);
	if (ret != KNOT_EOK) {
		snprintf(err, err_size, "cannot connect to knotd's control socket %s (%s): "
		         "is knotd running?", path, knot_strerror(ret));
		knot_ctl_free(ctl->ctl);
		free(ctl);
		return ret;
	}
	*out = ctl;
	return KNOT_EOK;
}

void tool_ctl_close(tool_ctl_t *ctl)
{
	if (ctl != NULL) {
		knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_END, NULL);
		knot_ctl_close(ctl->ctl);
		knot_ctl_free(ctl->ctl);
		free(ctl);
	}
}

int tool_ctl_cmd(tool_ctl_t *ctl, const char *cmd, const char *section, const char *id,
                 const char *item, const char *const *values, char *err, size_t err_size)
{
	knot_ctl_data_t data = {
		[KNOT_CTL_IDX_CMD] = cmd,
		[KNOT_CTL_IDX_SECTION] = section,
		[KNOT_CTL_IDX_ID] = id,
		[KNOT_CTL_IDX_ITEM] = item,
	};

	int ret;
	if (values == NULL || values[0] == NULL) {
		ret = knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_DATA, &data);
	} else {
		ret = KNOT_EOK;
		for (size_t i = 0; values[i] != NULL && ret == KNOT_EOK; i++) {
			data[KNOT_CTL_IDX_DATA] = values[i];
			ret = knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_DATA, &data);
		}
	}
	if (ret == KNOT_EOK) {
		ret = knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_BLOCK, NULL);
	}
	if (ret != KNOT_EOK) {
		snprintf(err, err_size, "control socket: %s", knot_strerror(ret));
		return ret;
	}

	/* Replies until the end of the block; any error unit means refused. */
	bool failed = false;
	while (true) {
		knot_ctl_type_t type;
		knot_ctl_data_t reply;
		ret = knot_ctl_receive(ctl->ctl, &type, &reply);
		if (ret != KNOT_EOK) {
			snprintf(err, err_size, "control socket: %s", knot_strerror(ret));
			return ret;
		}
		if (type == KNOT_CTL_TYPE_BLOCK) {
			return failed ? KNOT_ERROR : KNOT_EOK;
		} else if (type == KNOT_CTL_TYPE_END) {
			snprintf(err, err_size, "control socket: %s", knot_strerror(KNOT_EMALF));
			return KNOT_EMALF;
		}
		if (reply[KNOT_CTL_IDX_ERROR] != NULL && !failed) {
			failed = true;
			const char *s = reply[KNOT_CTL_IDX_SECTION], *i = reply[KNOT_CTL_IDX_ITEM],
			           *d = reply[KNOT_CTL_IDX_ID];
			snprintf(err, err_size, "knotd refused %s%s%s%s%s%s%s%s (%s)", cmd,
			         s != NULL ? " " : "", s != NULL ? s : "",
			         d != NULL ? "[" : "", d != NULL ? d : "", d != NULL ? "]" : "",
			         i != NULL ? "." : "", i != NULL ? i : "",
			         reply[KNOT_CTL_IDX_ERROR]);
		}
	}
}
