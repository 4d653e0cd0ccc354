/* SPDX-License-Identifier: MIT */
/*
 * The UDP port range the fast path owns (struct ponte_dp_dpdk_config.owned_port_min..max; the
 * daemon's dpdk.owned_ports, by default the SIP media range). A port of that range opened with
 * ponte_dp_port_open() has no kernel socket: its number is a bit in a bitmap of its local
 * address, and nothing but the fast path ever answers for it. That takes three things, all
 * here, so that the kernel behind the exception interface never acts on such a port:
 *
 *  - the kernel gives none of those numbers to a socket of its own: the range goes into the
 *    network namespace's ip_local_reserved_ports at start (merged with what is there, and
 *    what was added taken out again at stop), so that no ephemeral bind (port 0, a connect()
 *    of an unbound socket) lands there. Explicit binds are not refused by the kernel: the
 *    control plane must not make any in the range (the configuration refuses a webrtc port
 *    range that overlaps it);
 *  - the kernel never sees a datagram for such a port: the lcores drop, and count
 *    (owned_port_drops), UDP to a port of the range that has no Ponte port (never opened, or
 *    closed since), and the first fragment of a fragmented datagram to one (its UDP header
 *    names the port; the later fragments carry none and go to the kernel, which cannot
 *    reassemble without the first and lets them expire silently: RFC 792 and Linux send a
 *    reassembly time-out only when fragment zero arrived). Were they punted to the kernel, it
 *    would answer ICMP port unreachable, which tears down a peer's connected UDP socket. An
 *    open port's datagrams that no flow takes (STUN, RTP before the flows are installed or
 *    after they are deleted) are still punted to the control plane (lcore.c), never to the
 *    kernel;
 *  - two ports never share a number: ponte_dp_port_open() takes numbers from the bitmap of
 *    their local address and refuses a taken one with -EADDRINUSE, as bind() would.
 *
 * And, across processes: a record of what start added, so that the next start takes over
 * what a crash left in the sysctl and refuses a range another live gateway of the namespace
 * owns; and a look at /proc/net/udp{,6} for other processes' sockets in the range, reported.
 */
#include "dpdk.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define RESERVED_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define PORT_WORDS (65536 / 64)
/* The kernel takes one page per write() of the sysctl: a longer list would be parsed in
 * pieces, a number perhaps cut in two. */
#define RESERVED_MAX 4000

/* The numbers in use on one local address: bit i is port owned.min + i. */
struct dpdk_owned_addr {
	struct ponte_addr ip; /* port 0 */
	uint32_t nb_used;
	uint64_t bits[];
};

static bool bit_get(const uint64_t *b, uint32_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static void bit_set(uint64_t *b, uint32_t i, bool on)
{
	if (on)
		b[i >> 6] |= 1ull << (i & 63);
	else
		b[i >> 6] &= ~(1ull << (i & 63));
}

/* ---- ip_local_reserved_ports ---- */

/* "1,3-5,40000-49999" (what the kernel prints and takes) into bits; 0 or -errno. */
static int reserved_parse(const char *text, uint64_t *bits)
{
	const char *p = text;

	memset(bits, 0, PORT_WORDS * sizeof(*bits));
	while (*p != '\0') {
		unsigned long a, b;
		char *end;

		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (b < a || b > 65535)
			return -EINVAL;
		for (unsigned long i = a; i <= b; i++)
			bit_set(bits, (uint32_t)i, true);
		p = end;
	}
	return 0;
}

/* bits as the kernel's list into out (len bytes): the length, or -E2BIG. */
static int reserved_format(const uint64_t *bits, char *out, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -E2BIG;
	out[0] = '\0';
	for (uint32_t i = 0; i < 65536; i++) {
		uint32_t j = i;
		int n;

		if (!bit_get(bits, i))
			continue;
		while (j + 1 < 65536 && bit_get(bits, j + 1))
			j++;
		n = j == i ? snprintf(out + off, len - off, "%s%u", off ? "," : "", i)
			   : snprintf(out + off, len - off, "%s%u-%u", off ? "," : "", i, j);
		if (n < 0 || (size_t)n >= len - off)
			return -E2BIG;
		off += (size_t)n;
		i = j;
	}
	return (int)off;
}

static int reserved_read(uint64_t *bits)
{
	char buf[RESERVED_MAX * 2];
	ssize_t n;
	int fd = open(RESERVED_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	/* Longer than this, it would be cut here and written back cut. */
	if ((size_t)n == sizeof(buf) - 1)
		return -E2BIG;
	buf[n] = '\0';
	return reserved_parse(buf, bits);
}

static int reserved_write(const uint64_t *bits)
{
	char buf[RESERVED_MAX + 2];
	int n = reserved_format(bits, buf, RESERVED_MAX), fd;
	ssize_t w;

	if (n < 0)
		return n;
	/* An empty list clears the set; the kernel wants at least a newline. */
	buf[n++] = '\n';
	fd = open(RESERVED_PATH, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, buf, (size_t)n);
	n = w == n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return n;
}

/* ---- the record of what start added ----
 *
 * A file per gateway, "owned-NS-MIN-MAX" in the state directory (PONTE_OWNED_STATE_DIR, by
 * default /run/ponte), NS the inode of the network namespace (/proc/self/ns/net), written
 * (atomically: a temporary file renamed) before the sysctl is changed and removed at stop:
 *
 *	pid 1234
 *	start 567890		(the pid's start time, /proc/PID/stat field 22: a pid reused
 *				 by another process is not taken for the gateway)
 *	range 30000-39999
 *	added 30000-39999	(what it added to ip_local_reserved_ports, in the kernel's form)
 *
 * A record whose process is gone was left by a crash: the next start in the namespace takes
 * its ports over (they come out at its own stop). A live one whose range overlaps refuses the
 * start: two gateways would drop each other's media. Starts and stops of one namespace hold
 * "owned-NS.lock" (flock) around reading and writing the sysctl and the records.
 */

#define STATE_DIR_ENV "PONTE_OWNED_STATE_DIR"
#define STATE_DIR_DEFAULT "/run/ponte"

struct record {
	long pid;
	unsigned long long start;
	unsigned min, max;
	uint64_t added[PORT_WORDS];
};

/* Field 22 of /proc/PID/stat (after the command, which may hold spaces and parentheses). */
static bool proc_start_time(long pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return false;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return false;
	}
	*start = strtoull(p + 1, NULL, 10);
	return true;
}

/* Whether the gateway that wrote r still runs in network namespace ns. Our own pid: a record
 * of this process's is stale (one dataplane per process, and its stop removes its record). */
static bool record_is_live(const struct record *r, unsigned long ns)
{
	char path[64], link[64], want[48];
	unsigned long long start;
	ssize_t n;

	if (r->pid == (long)getpid() || !proc_start_time(r->pid, &start) || start != r->start)
		return false;
	/* Moved to another network namespace since (setns()): not this one's gateway any more.
	 * Unreadable (another user's process): taken as still here. */
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", r->pid);
	snprintf(want, sizeof(want), "net:[%lu]", ns);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return true;
	link[n] = '\0';
	return strcmp(link, want) == 0;
}

static int record_read(const char *path, struct record *r)
{
	char line[RESERVED_MAX * 2 + 16];
	FILE *f = fopen(path, "re");
	unsigned seen = 0;
	int rc = 0;

	if (f == NULL)
		return -errno;
	memset(r, 0, sizeof(*r));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "pid %ld", &r->pid) == 1)
			seen |= 1;
		else if (sscanf(line, "start %llu", &r->start) == 1)
			seen |= 2;
		else if (sscanf(line, "range %u-%u", &r->min, &r->max) == 2)
			seen |= 4;
		else if (strncmp(line, "added ", 6) == 0 &&
			 (rc = reserved_parse(line + 6, r->added)) == 0)
			seen |= 8;
		else
			rc = -EINVAL;
	}
	fclose(f);
	if (rc == 0 &&
	    (seen != 15 || r->pid <= 0 || r->min == 0 || r->max < r->min || r->max > 65535))
		rc = -EINVAL;
	return rc;
}

static int record_write(const char *path, const struct dpdk_owned *o, const uint64_t *added)
{
	char list[RESERVED_MAX + 2], tmp[PATH_MAX + 32];
	unsigned long long start = 0;
	int n = reserved_format(added, list, sizeof(list)), fd, rc = 0;
	FILE *f;

	if (n < 0)
		return n;
	proc_start_time((long)getpid(), &start);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	fprintf(f, "pid %ld\nstart %llu\nrange %u-%u\nadded %s\n", (long)getpid(), start, o->min,
		o->min + o->nb - 1, list);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* The lock of the namespace's records: its descriptor, or -errno. *dir and *ns are set. */
static int state_lock(const char **dir, unsigned long *ns, char *lock, size_t len)
{
	struct stat st;
	int fd;

	*dir = getenv(STATE_DIR_ENV);
	if (*dir == NULL || **dir == '\0')
		*dir = STATE_DIR_DEFAULT;
	if (stat("/proc/self/ns/net", &st) != 0)
		return -errno;
	*ns = (unsigned long)st.st_ino;
	if (mkdir(*dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	snprintf(lock, len, "%s/owned-%lu.lock", *dir, *ns);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Records of other gateways of the namespace: a live one overlapping [min, max] refuses
 * (-EADDRINUSE, logged), a stale one's ports still reserved are taken over (into added when
 * in our range, out of cur otherwise) and its path kept in stale[] to be removed once ours is
 * written. *nb_stale is how many. */
static int records_check(struct dpdk_dp *d, const char *dir, unsigned long ns, unsigned min,
			 unsigned max, uint64_t *cur, uint64_t *added, char **stale,
			 unsigned *nb_stale)
{
	char prefix[64], path[PATH_MAX];
	struct record *r = malloc(sizeof(*r));
	struct dirent *e;
	DIR *dh = opendir(dir);
	unsigned nb_in, nb_out;
	int rc = 0;

	*nb_stale = 0;
	if (r == NULL || dh == NULL) {
		rc = r == NULL ? -ENOMEM : -errno;
		free(r);
		if (dh != NULL)
			closedir(dh);
		return rc;
	}
	snprintf(prefix, sizeof(prefix), "owned-%lu-", ns);
	while (rc == 0 && (e = readdir(dh)) != NULL) {
		size_t nl = strlen(e->d_name);

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    (nl > 4 && strcmp(e->d_name + nl - 4, ".tmp") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (record_read(path, r) != 0) {
			dpdk_log(d, DPDK_LOG_WARN,
				 "dpdk.owned_ports: %s is no record of a reservation; ignored",
				 path);
			continue;
		}
		if (record_is_live(r, ns)) {
			if (r->max < min || r->min > max)
				continue;
			dpdk_log(
			    d, DPDK_LOG_ERROR,
			    "dpdk.owned_ports: %u-%u overlaps %u-%u, owned by pid %ld, a gateway "
			    "running in this network namespace (net:[%lu], %s): two gateways "
			    "would drop each other's media; give them disjoint ranges",
			    min, max, r->min, r->max, r->pid, ns, path);
			rc = -EADDRINUSE;
			break;
		}
		nb_in = nb_out = 0;
		for (uint32_t p = 1; p <= 65535; p++) {
			if (!bit_get(r->added, p) || !bit_get(cur, p))
				continue;
			if (p >= min && p <= max) {
				bit_set(added, p, true);
				nb_in++;
			} else {
				bit_set(cur, p, false);
				nb_out++;
			}
		}
		dpdk_log(d, DPDK_LOG_WARN,
			 "dpdk.owned_ports: took over the reservation of %u-%u left by pid %ld "
			 "(it did not stop; %s): %u ports of %s now ours, taken out at our stop, "
			 "%u outside our range taken out now",
			 r->min, r->max, r->pid, path, nb_in, RESERVED_PATH, nb_out);
		if (*nb_stale < 16 && (stale[*nb_stale] = strdup(path)) != NULL)
			(*nb_stale)++;
	}
	closedir(dh);
	free(r);
	return rc;
}

/* ---- life ---- */

/* The record could not be kept: as before records (a crash leaves the range reserved). */
static void record_warn(struct dpdk_dp *d, const char *what, const char *dir, int rc)
{
	dpdk_log(d, DPDK_LOG_WARN,
		 "dpdk.owned_ports: cannot %s in %s: %s; a crash would leave the range in %s, "
		 "and another gateway of this network namespace owning the same ports would go "
		 "unnoticed (set %s to a writable directory)",
		 what, dir, strerror(-rc), RESERVED_PATH, STATE_DIR_ENV);
}

static void lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* the flock goes with it */
}

int dpdk_owned_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc)
{
	struct dpdk_owned *o = &d->owned;
	char lock[PATH_MAX], path[PATH_MAX], *stale[16];
	unsigned nb_stale = 0;
	const char *dir = STATE_DIR_DEFAULT;
	unsigned long ns = 0;
	uint64_t *cur, *before;
	bool is_new = false, has_added = false;
	int rc, lock_fd;

	o->min = 0;
	o->nb = 0;
	if (dc->owned_port_min == 0 && dc->owned_port_max == 0)
		return 0;
	if (dc->owned_port_min == 0 || dc->owned_port_max < dc->owned_port_min) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.owned_ports: %u-%u is no port range (MIN-MAX, 1 <= MIN <= MAX <= "
			 "65535)",
			 dc->owned_port_min, dc->owned_port_max);
		return -EINVAL;
	}
	cur = calloc(PORT_WORDS, sizeof(*cur));
	before = calloc(PORT_WORDS, sizeof(*before));
	o->added = calloc(PORT_WORDS, sizeof(*o->added));
	if (cur == NULL || before == NULL || o->added == NULL) {
		free(cur);
		free(before);
		free(o->added);
		o->added = NULL;
		return -ENOMEM;
	}
	o->min = dc->owned_port_min;
	o->nb = (uint32_t)dc->owned_port_max - dc->owned_port_min + 1;
	lock_fd = state_lock(&dir, &ns, lock, sizeof(lock));
	if (lock_fd < 0)
		record_warn(d, "keep a record of the reservation", dir, lock_fd);
	rc = reserved_read(cur);
	if (rc == 0)
		memcpy(before, cur, PORT_WORDS * sizeof(*cur));
	if (rc == 0 && lock_fd >= 0) {
		rc = records_check(d, dir, ns, dc->owned_port_min, dc->owned_port_max, cur,
				   o->added, stale, &nb_stale);
		if (rc == -EADDRINUSE)
			goto out;
		if (rc != 0) {
			record_warn(d, "read the records", dir, rc);
			rc = 0;
		}
	}
	for (uint32_t p = dc->owned_port_min; rc == 0 && p <= dc->owned_port_max; p++) {
		if (!bit_get(cur, p)) {
			bit_set(o->added, p, true);
			bit_set(cur, p, true);
			is_new = true;
		}
	}
	for (uint32_t w = 0; w < PORT_WORDS; w++)
		has_added = has_added || o->added[w] != 0;
	if (rc == 0 && lock_fd >= 0) {
		snprintf(path, sizeof(path), "%s/owned-%lu-%u-%u", dir, ns, dc->owned_port_min,
			 dc->owned_port_max);
		rc = record_write(path, o, o->added);
		if (rc == 0) {
			o->record = strdup(path);
			o->lock = strdup(lock);
		} else {
			record_warn(d, "write a record of the reservation", dir, rc);
			rc = 0;
		}
	}
	if (rc == 0 && memcmp(before, cur, PORT_WORDS * sizeof(*cur)) != 0)
		rc = reserved_write(cur);
	/* The dead ones' records go once ours holds their ports and the sysctl is written (a
	 * crash before that leaves them, to be taken over again). */
	for (unsigned i = 0; rc == 0 && o->record != NULL && i < nb_stale; i++)
		if (strcmp(stale[i], o->record) != 0)
			unlink(stale[i]);
	if (rc != 0 && o->record != NULL) {
		unlink(o->record);
		free(o->record);
		o->record = NULL;
	}
out:
	lock_release(lock_fd);
	for (unsigned i = 0; i < nb_stale; i++)
		free(stale[i]);
	free(cur);
	free(before);
	if (rc != 0) {
		if (rc != -EADDRINUSE)
			dpdk_log(
			    d, DPDK_LOG_ERROR,
			    "dpdk.owned_ports: cannot add %u-%u to %s: %s (the kernel could "
			    "give those numbers to sockets of its own; it takes CAP_NET_ADMIN "
			    "in the gateway's network namespace; or set dpdk.owned_ports: off)",
			    dc->owned_port_min, dc->owned_port_max, RESERVED_PATH, strerror(-rc));
		free(o->added);
		free(o->lock);
		o->added = NULL;
		o->lock = NULL;
		o->min = 0;
		o->nb = 0;
		return rc;
	}
	o->has_reserved = has_added;
	dpdk_log(d, DPDK_LOG_INFO,
		 "dpdk: UDP ports %u-%u of the NICs' addresses are the fast path's: no kernel "
		 "socket, in %s%s",
		 dc->owned_port_min, dc->owned_port_max, RESERVED_PATH, is_new ? "" : " already");
	return 0;
}

void dpdk_owned_stop(struct dpdk_dp *d)
{
	struct dpdk_owned *o = &d->owned;
	int lock_fd = -1, rc = 0;

	if (o->lock != NULL) {
		lock_fd = open(o->lock, O_RDWR | O_CLOEXEC);
		if (lock_fd >= 0 && flock(lock_fd, LOCK_EX) != 0) {
			close(lock_fd);
			lock_fd = -1;
		}
	}
	/* Take out what start added (or took over), leaving what others added since. */
	if (o->has_reserved) {
		uint64_t *cur = calloc(PORT_WORDS, sizeof(*cur));

		rc = cur != NULL ? reserved_read(cur) : -ENOMEM;

		for (uint32_t w = 0; rc == 0 && w < PORT_WORDS; w++)
			cur[w] &= ~o->added[w];
		if (rc == 0)
			rc = reserved_write(cur);
		if (rc != 0)
			dpdk_log(d, DPDK_LOG_WARN,
				 "dpdk.owned_ports: cannot take %u-%u out of %s again: %s", o->min,
				 o->min + o->nb - 1, RESERVED_PATH, strerror(-rc));
		free(cur);
		o->has_reserved = false;
	}
	/* Kept when the ports could not be taken out: once this process is gone, the next
	 * start takes them over. */
	if (o->record != NULL && rc == 0)
		unlink(o->record);
	lock_release(lock_fd);
	free(o->record);
	free(o->lock);
	o->record = o->lock = NULL;
	for (unsigned i = 0; i < o->nb_addrs; i++)
		free(o->addrs[i]);
	free(o->addrs);
	free(o->added);
	o->addrs = NULL;
	o->added = NULL;
	o->nb_addrs = o->cap_addrs = 0;
	o->nb = 0;
	o->nb_warned = 0;
	o->scanned_at = 0;
}

/* ---- other processes' sockets in the range ----
 *
 * The kernel refuses none of the range's numbers to an explicit bind(): a SIPp, a second
 * media server, a test tool in the gateway's namespace may hold one. Its datagrams arriving
 * through a NIC are the fast path's (dropped: no Ponte port there), so the operator is told,
 * once per socket: at start, and again when a port of the range is opened, at most every
 * SCAN_EVERY_S seconds (reading /proc/net/udp costs about a microsecond a socket). Ponte's own
 * sockets are never there (the configuration keeps webrtc.port_min..max and SIP's UDP port
 * out of the range, ponte_dp_port_attach() refuses one), so whatever is found is another's.
 * Only warned, not refused: such a socket may be meant for loopback or another interface
 * only, and one appearing after start could not be refused anyway.
 */

#define SCAN_EVERY_S 10.0

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process holding the socket of inode ino, found in /proc/PID/fd: its pid (its command
 * into name), 0 when none is seen (another user's namespace, a process gone). */
static long socket_owner(unsigned long ino, char *name, size_t len)
{
	char want[48], path[600], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *p;
	long found = 0;
	FILE *f;

	name[0] = '\0';
	if (proc == NULL)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while (found == 0 && (p = readdir(proc)) != NULL) {
		struct dirent *e;
		DIR *fds;

		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (fds == NULL)
			continue;
		while ((e = readdir(fds)) != NULL) {
			ssize_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, e->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0) {
				found = strtol(p->d_name, NULL, 10);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (found == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", found);
	f = fopen(path, "re");
	if (f != NULL) {
		if (fgets(name, (int)len, f) == NULL)
			name[0] = '\0';
		fclose(f);
	}
	name[strcspn(name, "\n")] = '\0';
	return found;
}

static bool was_warned(struct dpdk_owned *o, uint64_t ino)
{
	unsigned n = o->nb_warned < 32 ? o->nb_warned : 32;

	for (unsigned i = 0; i < n; i++)
		if (o->warned[i] == ino)
			return true;
	o->warned[o->nb_warned++ % 32] = ino;
	return false;
}

/* "0100007F" (a 32-bit word of the kernel's, printed as a number) into its 4 bytes. */
static bool hex_word(const char *s, uint8_t *out)
{
	char w[9];
	char *end;
	uint32_t v;

	memcpy(w, s, 8);
	w[8] = '\0';
	v = (uint32_t)strtoul(w, &end, 16);
	if (*end != '\0')
		return false;
	memcpy(out, &v, 4);
	return true;
}

static void scan_file(struct dpdk_dp *d, const char *file, int family)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct dpdk_owned *o = &d->owned;
	char line[512], hex[40], shown[64], name[32];
	unsigned words = family == AF_INET ? 1 : 4;
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct ponte_addr a = {.family = (uint16_t)family};
		unsigned long ino;
		unsigned port;
		bool is_ok = true;
		long pid;

		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*s %*s %*s %*s %*s %*s %*s %lu", hex,
			   &port, &ino) != 3 ||
		    strlen(hex) != words * 8 || port > 65535 ||
		    !dpdk_owned_has_range(o, (uint16_t)port))
			continue;
		for (unsigned i = 0; i < words; i++)
			is_ok = is_ok && hex_word(hex + 8 * i, a.ip + 4 * i);
		if (!is_ok)
			continue;
		if (family == AF_INET6 && memcmp(a.ip, mapped, 12) == 0) {
			a.family = AF_INET;
			memmove(a.ip, a.ip + 12, 4);
			memset(a.ip + 4, 0, 12);
		}
		a.port = (uint16_t)port;
		/* The wildcard takes the NICs' datagrams too; loopback never sees them. */
		if (memcmp(a.ip, (uint8_t[16]){0}, 16) != 0 &&
		    ((a.family == AF_INET && a.ip[0] == 127) ||
		     (a.family == AF_INET6 && memcmp(a.ip, (uint8_t[16]){[15] = 1}, 16) == 0) ||
		     dpdk_exception_nic(d, &a) < 0))
			continue;
		if (was_warned(o, ino))
			continue;
		pid = socket_owner(ino, name, sizeof(name));
		if (pid != 0)
			dpdk_log(d, DPDK_LOG_WARN,
				 "dpdk.owned_ports: UDP %s is bound by pid %ld (%s); the fast path "
				 "takes its datagrams: they will be dropped",
				 ponte_addr_str(&a, shown, sizeof(shown)), pid, name);
		else
			dpdk_log(
			    d, DPDK_LOG_WARN,
			    "dpdk.owned_ports: UDP %s is bound (socket inode %lu, no process of "
			    "it seen in /proc); the fast path takes its datagrams: they will be "
			    "dropped",
			    ponte_addr_str(&a, shown, sizeof(shown)), ino);
	}
	fclose(f);
}

void dpdk_owned_scan(struct dpdk_dp *d)
{
	if (d->owned.nb == 0)
		return;
	d->owned.scanned_at = mono_s();
	scan_file(d, "/proc/net/udp", AF_INET);
	scan_file(d, "/proc/net/udp6", AF_INET6);
}

/* ---- numbers ---- */

/* The numbers of local's address (its port ignored); created when create is set. A linear
 * search: the owned range lives on the NICs' addresses, a handful. */
static struct dpdk_owned_addr *addr_of(struct dpdk_owned *o, const struct ponte_addr *local,
				       bool create)
{
	struct dpdk_owned_addr *a;
	size_t ip_len = local->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < o->nb_addrs; i++) {
		a = o->addrs[i];
		if (a->ip.family == local->family && memcmp(a->ip.ip, local->ip, ip_len) == 0)
			return a;
	}
	if (!create)
		return NULL;
	if (o->nb_addrs == o->cap_addrs) {
		unsigned cap = o->cap_addrs ? 2 * o->cap_addrs : 4;
		struct dpdk_owned_addr **n = realloc(o->addrs, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		o->addrs = n;
		o->cap_addrs = cap;
	}
	a = calloc(1, sizeof(*a) + (o->nb + 63) / 64 * sizeof(uint64_t));
	if (a == NULL)
		return NULL;
	a->ip = *local;
	a->ip.port = 0;
	o->addrs[o->nb_addrs++] = a;
	return a;
}

int dpdk_owned_take(struct dpdk_dp *d, struct ponte_addr *local, uint16_t port_min,
		    uint16_t port_max)
{
	struct dpdk_owned *o = &d->owned;
	struct dpdk_owned_addr *a;
	uint32_t lo, hi, span, start;
	char shown[64];

	if (o->nb == 0)
		return 1;
	if (local->port != 0) {
		if (!dpdk_owned_has_range(o, local->port))
			return 1;
		lo = hi = local->port - o->min;
	} else if (port_min == 0 && port_max == 0) {
		/* Any port: one of the range, which needs no socket. */
		lo = 0;
		hi = o->nb - 1;
	} else {
		uint32_t omax = o->min + o->nb - 1;

		if (port_max < port_min || port_max < o->min || port_min > omax)
			return 1;
		if (!dpdk_owned_has_range(o, port_min) || !dpdk_owned_has_range(o, port_max)) {
			dpdk_log(
			    d, DPDK_LOG_ERROR,
			    "dpdk: a port in %u-%u on %s: that range straddles the owned range "
			    "%u-%u (dpdk.owned_ports); ask for one inside or outside it",
			    port_min, port_max, ponte_addr_str(local, shown, sizeof(shown)), o->min,
			    omax);
			return -EINVAL;
		}
		lo = port_min - o->min;
		hi = port_max - o->min;
	}
	a = addr_of(o, local, true);
	if (a == NULL)
		return -ENOMEM;
	span = hi - lo + 1;
	start = span > 1 ? (uint32_t)random() % span : 0;
	for (uint32_t n = 0; n < span; n++) {
		uint32_t i = lo + (start + n) % span;

		if (bit_get(a->bits, i))
			continue;
		bit_set(a->bits, i, true);
		a->nb_used++;
		local->port = (uint16_t)(o->min + i);
		if (mono_s() - o->scanned_at >= SCAN_EVERY_S)
			dpdk_owned_scan(d);
		return 0;
	}
	return -EADDRINUSE;
}

void dpdk_owned_put(struct dpdk_dp *d, const struct ponte_addr *local)
{
	struct dpdk_owned *o = &d->owned;
	struct dpdk_owned_addr *a;

	if (!dpdk_owned_has_range(o, local->port) || (a = addr_of(o, local, false)) == NULL)
		return;
	if (bit_get(a->bits, local->port - o->min)) {
		bit_set(a->bits, local->port - o->min, false);
		a->nb_used--;
	}
}

bool dpdk_owned_is_taken(const struct dpdk_dp *d, const struct ponte_addr *local)
{
	struct dpdk_owned_addr *a;

	if (!dpdk_owned_has_range(&d->owned, local->port) ||
	    (a = addr_of((struct dpdk_owned *)&d->owned, local, false)) == NULL)
		return false;
	return bit_get(a->bits, local->port - d->owned.min);
}

/* ---- the lcores' check ---- */

/*
 * The UDP destination port of a frame parse.c gives to the kernel (IPv4 options, a fragment,
 * IPv6 extension headers), when the frame carries one: not for a fragment other than the
 * first, nor for what is not UDP. m is untagged by then (parse.c took a VLAN tag out) and
 * only its first segment is looked at.
 */
static bool kernel_udp_port(const struct rte_mbuf *m, uint16_t *port)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, off = RTE_ETHER_HDR_LEN;
	uint16_t type;
	uint8_t next;

	if (len < RTE_ETHER_HDR_LEN)
		return false;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + off);

		if (len < off + sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP ||
		    (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
			return false;
		off += (ip->version_ihl & 0x0fu) * 4u;
		next = IPPROTO_UDP;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		if (len < off + 40)
			return false;
		next = f[off + 6];
		off += 40;
		/* RFC 8200 §4: hop-by-hop, routing and destination options (8-byte units after
		 * the first 8), and the fragment header (§4.5: offset 0 is the first). */
		for (int h = 0; h < 8 && next != IPPROTO_UDP; h++) {
			if (len < off + 8)
				return false;
			if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			    next == IPPROTO_DSTOPTS) {
				next = f[off];
				off += (f[off + 1] + 1u) * 8u;
			} else if (next == IPPROTO_FRAGMENT) {
				if (((f[off + 2] << 8 | f[off + 3]) & 0xfff8) != 0)
					return false;
				next = f[off];
				off += 8;
			} else {
				return false;
			}
		}
		if (next != IPPROTO_UDP)
			return false;
	} else {
		return false;
	}
	if (len < off + sizeof(struct rte_udp_hdr))
		return false;
	*port = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
	return true;
}

bool dpdk_owned_drop(struct dpdk_lcore *l, struct rte_mbuf *m, const struct dpdk_pkt *pkt)
{
	uint16_t port;

	if (l->d->owned.nb == 0)
		return false;
	if (pkt->verdict == DPKT_UDP)
		port = pkt->dst.port;
	else if (pkt->verdict != DPKT_KERNEL || !kernel_udp_port(m, &port))
		return false;
	if (!dpdk_owned_has_range(&l->d->owned, port))
		return false;
	LSTAT_ADD(l, owned_port_drops, 1);
	rte_pktmbuf_free(m);
	return true;
}
