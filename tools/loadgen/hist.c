/* SPDX-License-Identifier: MIT */
/* Clocks, the latency histogram, and what /proc says about CPU time and UDP drops. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"

uint64_t lg_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t lg_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t lg_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t v)
{
	unsigned msb;

	if (v < LG_HIST_LINEAR)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v); /* >= 10 */
	return LG_HIST_LINEAR + (msb - 10) * LG_HIST_SUB +
	       (unsigned)((v >> (msb - 6)) & (LG_HIST_SUB - 1));
}

/* The middle of bucket b's range. */
static double bucket_mid(unsigned b)
{
	unsigned msb, sub;
	double low, width;

	if (b < LG_HIST_LINEAR)
		return b;
	msb = (b - LG_HIST_LINEAR) / LG_HIST_SUB + 10;
	sub = (b - LG_HIST_LINEAR) % LG_HIST_SUB;
	width = (double)(1ull << (msb - 6));
	low = (double)(1ull << msb) + sub * width;
	return low + width / 2;
}

void lg_hist_add(struct lg_hist *h, uint64_t ns)
{
	h->b[bucket_of(ns)]++;
	h->count++;
	if (ns > h->max)
		h->max = ns;
}

double lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (unsigned b = 0; b < LG_HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen > rank)
			return bucket_mid(b);
	}
	return (double)h->max;
}

/* utime + stime of a /proc/.../stat line. The command name may hold spaces and parentheses:
 * the fields start after the last ')'. */
double lg_proc_cpu_s(int pid)
{
	char path[64], line[1024];
	unsigned long utime, stime;
	FILE *f;
	char *p;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/stat");
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* After ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime (fields 3..15 of proc(5)). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
		   &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

int lg_udp_snmp(struct lg_udp_snmp *out)
{
	char names[1024], values[1024];
	FILE *f = fopen("/proc/net/snmp", "r");
	int rc = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return -errno;
	/* Pairs of lines: "Udp: Name Name ..." then "Udp: value value ...". */
	while (fgets(names, sizeof(names), f) != NULL) {
		char *sn, *sv, *n, *v;

		if (strncmp(names, "Udp: ", 5) != 0)
			continue;
		if (fgets(values, sizeof(values), f) == NULL)
			break;
		n = strtok_r(names + 5, " \n", &sn);
		v = strtok_r(values + 5, " \n", &sv);
		while (n != NULL && v != NULL) {
			unsigned long long x = strtoull(v, NULL, 10);

			if (strcmp(n, "InErrors") == 0)
				out->in_errors = x;
			else if (strcmp(n, "RcvbufErrors") == 0)
				out->rcvbuf_errors = x;
			else if (strcmp(n, "SndbufErrors") == 0)
				out->sndbuf_errors = x;
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

double lg_machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return -1;
	/* cpu  user nice system idle iowait irq softirq steal (proc(5), in clock ticks) */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 7)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* /proc/stat's totals come from tick sampling, which misses the short bursts packet work is
 * made of (its figure came out below our own precise run time); a process's utime + stime add
 * up its precise run time on this kernel. So "everything else" is the sum over the other
 * processes. */
struct lg_procs *lg_procs_snapshot(void)
{
	struct lg_procs *s = calloc(1, sizeof(*s));
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (s == NULL || d == NULL) {
		free(s);
		if (d != NULL)
			closedir(d);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		int pid = atoi(e->d_name);
		double cpu;

		if (pid <= 0 || (cpu = lg_proc_cpu_s(pid)) < 0)
			continue;
		if (s->nb == s->cap) {
			unsigned cap = s->cap ? 2 * s->cap : 256;
			struct lg_proc *n = realloc(s->p, cap * sizeof(*n));

			if (n == NULL)
				break;
			s->p = n;
			s->cap = cap;
		}
		s->p[s->nb].pid = pid;
		s->p[s->nb].cpu_s = cpu;
		s->nb++;
	}
	closedir(d);
	return s;
}

void lg_procs_free(struct lg_procs *s)
{
	if (s != NULL)
		free(s->p);
	free(s);
}

double lg_procs_delta(const struct lg_procs *before, const struct lg_procs *after, int skip_a,
		      int skip_b, double wall_s)
{
	long nb_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double sum = 0;

	if (before == NULL || after == NULL || wall_s <= 0)
		return -1;
	for (unsigned i = 0; i < after->nb; i++) {
		const struct lg_proc *a = &after->p[i];
		bool is_found = false;

		if (a->pid == skip_a || a->pid == skip_b)
			continue;
		/* Both lists come in /proc's order: look near the same index first. */
		for (unsigned k = 0; k < before->nb && !is_found; k++) {
			const struct lg_proc *b = &before->p[(i + k) % before->nb];

			if (b->pid == a->pid) {
				sum += a->cpu_s > b->cpu_s ? a->cpu_s - b->cpu_s : 0;
				is_found = true;
			}
		}
		/* New since the first snapshot: its time is all in the interval, if plausible. */
		if (!is_found && a->cpu_s <= wall_s * (double)nb_cpus)
			sum += a->cpu_s;
	}
	return sum / wall_s;
}
