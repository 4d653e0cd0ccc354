/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static FILE *sink;
static int cur_level = PONTE_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int ponte_log_open(const char *file, int level)
{
	ponte_log_close();
	cur_level = level;
	if (file == NULL || file[0] == '\0')
		return 0;
	sink = fopen(file, "a");
	if (sink == NULL)
		return -errno;
	/* Line buffering keeps each event whole when the file is tailed. */
	setvbuf(sink, NULL, _IOLBF, 0);
	return 0;
}

void ponte_log_close(void)
{
	if (sink != NULL)
		fclose(sink);
	sink = NULL;
}

void ponte_log_set_level(int level)
{
	cur_level = level;
}

int ponte_log_level(void)
{
	return cur_level;
}

void ponte_log(int level, const char *module, const char *fmt, ...)
{
	if (level > cur_level)
		return;

	FILE *out = sink != NULL ? sink : stderr;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	char line[1024];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per event so lines from a signal handler's log do not interleave. */
	fprintf(out, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L,
		level_names[level < 0 ? 0 : level > 3 ? 3 : level], module, line);
}
