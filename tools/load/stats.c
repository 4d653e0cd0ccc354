/* SPDX-License-Identifier: MIT */
/* Round-trip histograms, and what /proc says about CPU time and UDP drops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

uint64_t load_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- histogram ---- */

static unsigned bucket_of(uint64_t us)
{
	unsigned msb;

	if (us < LOAD_HIST_LINEAR)
		return (unsigned)us;
	msb = 63u - (unsigned)__builtin_clzll(us); /* >= 10 */
	if (msb >= 10 + 32)
		return LOAD_HIST_BUCKETS - 1;
	return LOAD_HIST_LINEAR + (msb - 10) * LOAD_HIST_SUB +
	       (unsigned)((us >> (msb - 6)) & (LOAD_HIST_SUB - 1));
}

/* The smallest value of bucket b. */
static double bucket_low(unsigned b)
{
	unsigned msb, sub;

	if (b < LOAD_HIST_LINEAR)
		return b;
	msb = (b - LOAD_HIST_LINEAR) / LOAD_HIST_SUB + 10;
	sub = (b - LOAD_HIST_LINEAR) % LOAD_HIST_SUB;
	return (double)((1ull << msb) + ((uint64_t)sub << (msb - 6)));
}

/* One writer thread: a relaxed store of the incremented value is enough. */
void load_hist_add(uint64_t *hist, uint64_t us)
{
	unsigned b = bucket_of(us);

	__atomic_store_n(&hist[b], hist[b] + 1, __ATOMIC_RELAXED);
}

double load_hist_quantile(const uint64_t *hist, uint64_t count, double q)
{
	uint64_t rank = (uint64_t)(q * (double)count), seen = 0;

	if (count == 0)
		return 0;
	if (rank >= count)
		rank = count - 1;
	for (unsigned b = 0; b < LOAD_HIST_BUCKETS; b++) {
		seen += __atomic_load_n(&hist[b], __ATOMIC_RELAXED);
		if (seen > rank)
			return bucket_low(b);
	}
	return bucket_low(LOAD_HIST_BUCKETS - 1);
}

/* ---- /proc ---- */

/* utime + stime of a /proc/.../stat line, in seconds; -1 when it does not parse. The command
 * name may hold spaces and parentheses: the fields start after the last ')'. */
static double stat_cpu(const char *path)
{
	char line[1024];
	unsigned long utime, stime;
	FILE *f = fopen(path, "r");
	char *p;

	if (f == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* Fields 3 (state) to 15 (stime), proc(5). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
		   &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

double load_proc_cpu(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return stat_cpu(path);
}

GHashTable *load_threads_snapshot(int pid)
{
	char path[96];
	GHashTable *t;
	GDir *dir;
	const char *tid;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = g_dir_open(path, 0, NULL);
	if (dir == NULL)
		return NULL;
	t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	while ((tid = g_dir_read_name(dir)) != NULL) {
		char *comm = NULL;
		double cpu, *sum;

		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, tid);
		cpu = stat_cpu(path);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, tid);
		if (cpu < 0 || !g_file_get_contents(path, &comm, NULL, NULL))
			continue;
		g_strstrip(comm);
		g_strdelimit(comm, " ,:", '_');
		sum = g_hash_table_lookup(t, comm);
		if (sum == NULL) {
			sum = g_new0(double, 1);
			g_hash_table_insert(t, g_strdup(comm), sum);
		}
		*sum += cpu;
		g_free(comm);
	}
	g_dir_close(dir);
	return t;
}

struct thread_use {
	const char *name;
	double cores;
};

static int by_cores_desc(const void *a, const void *b)
{
	double x = ((const struct thread_use *)a)->cores, y = ((const struct thread_use *)b)->cores;

	return x < y ? 1 : x > y ? -1 : 0;
}

char *load_threads_delta(GHashTable *before, GHashTable *after, double wall)
{
	GArray *uses = g_array_new(FALSE, FALSE, sizeof(struct thread_use));
	GString *out = g_string_new(NULL);
	GHashTableIter it;
	gpointer k, v;

	if (before == NULL || after == NULL || wall <= 0)
		goto done;
	g_hash_table_iter_init(&it, after);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const double *b = g_hash_table_lookup(before, k);
		struct thread_use u = {k, (*(double *)v - (b != NULL ? *b : 0)) / wall};

		g_array_append_val(uses, u);
	}
	g_array_sort(uses, by_cores_desc);
	for (guint i = 0; i < uses->len; i++) {
		const struct thread_use *u = &g_array_index(uses, struct thread_use, i);

		if (u->cores < 0.005)
			continue;
		g_string_append_printf(out, "%s%s:%.2f", out->len ? "," : "", u->name, u->cores);
	}
done:
	g_array_free(uses, TRUE);
	if (out->len == 0)
		g_string_append(out, "-");
	return g_string_free(out, FALSE);
}

/* utime + stime + cutime + cstime of /proc/PID/stat, in seconds, or -1. */
static double stat_cpu_with_children(const char *path)
{
	char line[1024];
	unsigned long utime, stime;
	long cutime, cstime;
	FILE *f = fopen(path, "r");
	char *p;

	if (f == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &utime,
		   &stime, &cutime, &cstime) != 4)
		return -1;
	return (double)(utime + stime + (unsigned long)cutime + (unsigned long)cstime) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* /proc/stat's totals come from tick sampling, which misses the short bursts a packet relay is
 * made of (an idle CPU has no tick); a process's utime + stime add up to its precise run time.
 * So "everything else" is the sum over processes. */
GHashTable *load_procs_snapshot(void)
{
	GHashTable *t = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	GDir *dir = g_dir_open("/proc", 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		char path[64];
		int pid = atoi(name);
		double cpu;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		cpu = stat_cpu_with_children(path);
		if (cpu >= 0)
			g_hash_table_insert(t, GINT_TO_POINTER(pid), g_memdup2(&cpu, sizeof(cpu)));
	}
	if (dir != NULL)
		g_dir_close(dir);
	return t;
}

double load_procs_delta(GHashTable *before, GHashTable *after, int skip_a, int skip_b, double wall)
{
	GHashTableIter it;
	gpointer k, v;
	double sum = 0;

	if (before == NULL || after == NULL || wall <= 0)
		return -1;
	g_hash_table_iter_init(&it, after);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const double *b = g_hash_table_lookup(before, k);
		double now = *(double *)v;
		int pid = GPOINTER_TO_INT(k);

		if (pid == skip_a || pid == skip_b)
			continue;
		if (b != NULL) {
			sum += now > *b ? now - *b : 0;
			continue;
		}
		/* New since the first snapshot: all its time is in the interval, which bounds it
		 * (a bigger value is a process we failed to read the first time). */
		if (now <= wall * (double)sysconf(_SC_NPROCESSORS_ONLN))
			sum += now;
	}
	return sum / wall;
}

int64_t load_udp_counter(const char *name)
{
	char *text = NULL, **lines;
	int64_t value = -1;

	if (!g_file_get_contents("/proc/net/snmp", &text, NULL, NULL))
		return -1;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	/* Two "Udp:" lines: the names, then the values in the same order. */
	for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++) {
		char **names, **values;

		if (!g_str_has_prefix(lines[i], "Udp: ") || !g_str_has_prefix(lines[i + 1], "Udp: "))
			continue;
		names = g_strsplit(lines[i], " ", -1);
		values = g_strsplit(lines[i + 1], " ", -1);
		for (guint j = 1; names[j] != NULL && values[j] != NULL; j++)
			if (strcmp(names[j], name) == 0)
				value = g_ascii_strtoll(values[j], NULL, 10);
		g_strfreev(names);
		g_strfreev(values);
		break;
	}
	g_strfreev(lines);
	return value;
}
