/* SPDX-License-Identifier: MIT */
/*
 * The EAL: the configuration checked before it starts (a DPDK failure inside rte_eal_init()
 * says little, and some leave the EAL unusable for the rest of the process), the arguments it
 * gets, and DPDK's own log routed into Ponte's.
 *
 * The EAL starts once per process and cannot start again after a failure. A dataplane made
 * after another in the same process uses the EAL already running, and so does one made in a
 * process where something else started it (a test that creates ring ports first): it then
 * forwards on the EAL's idle worker lcores.
 */
#include "dpdk.h"

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

/* What this process did with the EAL. */
static enum {
	EAL_NONE,
	EAL_OURS,    /* started by a dataplane */
	EAL_FOREIGN, /* found running */
	EAL_FAILED,  /* rte_eal_init() failed: it cannot be tried again */
} eal_state;

/* DPDK has one log stream per process: the dataplane that routes it there now. */
static const struct dpdk_dp *log_owner;
static FILE *log_stream;
static char log_line[512];
static size_t log_len;

void dpdk_log(const struct dpdk_dp *d, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d != NULL && d->log != NULL)
		d->log(d->log_ctx, level, msg);
	else
		fprintf(stderr, "dpdk: %s\n", msg);
}

/* DPDK's levels (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8) as Ponte's. Its INFO lines are chatter
 * about what it detected: debug for us. */
static int level_of(int rte_level)
{
	if (rte_level <= (int)RTE_LOG_ERR)
		return DPDK_LOG_ERROR;
	if (rte_level == (int)RTE_LOG_WARNING)
		return DPDK_LOG_WARN;
	if (rte_level == (int)RTE_LOG_NOTICE)
		return DPDK_LOG_INFO;
	return DPDK_LOG_DEBUG;
}

/*
 * DPDK errors that are no error for us, logged as debug: net_tap's rte_flow support wants the
 * multiq qdisc, which kernels without sch_multiq lack (we use no rte_flow rules), and it
 * tells secondary processes about its queues, which --no-shconf rules out.
 */
static const char *const benign[] = {
    "Specified qdisc kind is unknown",	     "Could not add multiq qdisc",
    "failed to create multiq qdisc",	     "Disabling rte flow support",
    "Failed to send start req to secondary",
};

static int line_level(const char *line, int rte_level)
{
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		if (strstr(line, benign[i]) != NULL)
			return DPDK_LOG_DEBUG;
	return level_of(rte_level);
}

/*
 * The stream's write function: one Ponte log line per DPDK line. The stream is line-buffered,
 * and stdio holds its lock while it calls this, so log_line is never written by two threads
 * at once.
 */
static ssize_t log_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '\n' && log_len < sizeof(log_line) - 1) {
			log_line[log_len++] = buf[i];
			continue;
		}
		if (buf[i] != '\n')
			continue; /* too long: the rest of the line is cut */
		log_line[log_len] = '\0';
		if (log_len > 0)
			dpdk_log(log_owner, line_level(log_line, rte_log_cur_msg_loglevel()), "%s",
				 log_line);
		log_len = 0;
	}
	return (ssize_t)size;
}

static void route_log(const struct dpdk_dp *d)
{
	static const cookie_io_functions_t fns = {.write = log_write};

	log_owner = d;
	if (log_stream == NULL) {
		log_stream = fopencookie(NULL, "w", fns);
		if (log_stream == NULL)
			return;
		setvbuf(log_stream, NULL, _IOLBF, 0);
	}
	rte_openlog_stream(log_stream);
}

/* ---- checks before the EAL starts ---- */

/* "1", "2-3,5": the CPUs, in the order given, no duplicates. Returns how many, or -EINVAL. */
static int parse_cpu_list(const char *s, unsigned *cpus, unsigned max)
{
	unsigned n = 0;

	while (*s != '\0') {
		char *end;
		unsigned long a, b;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b >= CPU_SETSIZE || (*end != ',' && *end != '\0'))
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++) {
			for (unsigned i = 0; i < n; i++)
				if (cpus[i] == c)
					return -EINVAL;
			if (n == max)
				return -E2BIG;
			cpus[n++] = (unsigned)c;
		}
		s = *end == ',' ? end + 1 : end;
	}
	return n > 0 ? (int)n : -EINVAL;
}

/* The CPUs this process may run on, as "0-3,6" in buf. */
static void cpuset_str(const cpu_set_t *set, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < size; c++) {
		int e = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		off += (size_t)snprintf(buf + off, size - off, off ? ",%d" : "%d", c);
		if (e > c && off < size)
			off += (size_t)snprintf(buf + off, size - off, "-%d", e);
		c = e;
	}
}

static int check_lcores(struct dpdk_dp *d, const char *list, const cpu_set_t *allowed,
			unsigned *cpus)
{
	char shown[128];
	int n;

	cpuset_str(allowed, shown, sizeof(shown));
	if (list == NULL || list[0] == '\0') {
		/* Default: the last CPU we may use, the one the kernel's own work is least
		 * likely to favour. */
		for (int c = CPU_SETSIZE - 1; c >= 0; c--) {
			if (CPU_ISSET(c, allowed)) {
				cpus[0] = (unsigned)c;
				return 1;
			}
		}
		return -ENODEV;
	}
	n = parse_cpu_list(list, cpus, DPDK_MAX_LCORES);
	if (n == -E2BIG) {
		dpdk_log(d, DPDK_LOG_ERROR, "dpdk.lcores: '%s': at most %d lcores", list,
			 DPDK_MAX_LCORES);
		return -EINVAL;
	}
	if (n < 0) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.lcores: '%s' is not a CPU list like \"1\" or \"2-3,5\"", list);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!CPU_ISSET(cpus[i], allowed)) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.lcores: CPU %u does not exist or is not one this "
				 "process may use (%s)",
				 cpus[i], shown);
			return -EINVAL;
		}
	}
	return n;
}

/* What the EAL must have, in MB: the mbufs (with their headers and the pool's per-lcore
 * caches), the tables, and the EAL's own needs. A rough figure, on the safe side. */
static uint32_t memory_needed(const struct ponte_dp_config *cfg)
{
	uint64_t mbufs = (uint64_t)cfg->dpdk->mempool_size * (dpdk_mbuf_data(cfg->dpdk) + 256);
	uint64_t tables = (uint64_t)cfg->max_flows * 2 * 160 + (uint64_t)cfg->max_ports * 96;

	return (uint32_t)((mbufs + tables) >> 20) + 48;
}

/* Free hugepage memory in MB, from /proc/meminfo; 0 when none. */
static uint64_t hugepages_free_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long free_pages = 0, size_kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &size_kb);
	}
	fclose(f);
	return (uint64_t)free_pages * size_kb / 1024;
}

static int check_memory(struct dpdk_dp *d, const struct ponte_dp_config *cfg)
{
	const struct ponte_dp_dpdk_config *dc = cfg->dpdk;
	uint32_t need = memory_needed(cfg);

	if (dc->memory_mb < need) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.memory: %u MB is too little: %u mbufs "
			 "(dpdk.mempool_size) of %u bytes (dpdk.ports[].mtu) and %u flows "
			 "(dataplane.max_flows) need about %u MB",
			 dc->memory_mb, dc->mempool_size, dpdk_mbuf_data(dc), cfg->max_flows, need);
		return -ENOMEM;
	}
	if (!dc->is_no_huge) {
		uint64_t avail = hugepages_free_mb();

		if (avail < dc->memory_mb) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.memory: %u MB of hugepages wanted, %llu MB free "
				 "(reserve more in /proc/sys/vm/nr_hugepages, or set "
				 "dpdk.no_huge)",
				 dc->memory_mb, (unsigned long long)avail);
			return -ENOMEM;
		}
	}
	return 0;
}

/* "0000:01:00.0" or "01:00.0". */
bool dpdk_is_pci_address(const char *s)
{
	unsigned dom, bus, dev, fn;
	char end;

	return sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &end) == 3;
}

/* The value of key= in a devargs string ("net_af_packet0,iface=veth0"), into buf. */
static bool devarg(const char *devargs, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = strchr(devargs, ',');

	while (p != NULL) {
		p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, ",");

			if (n >= size)
				return false;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return true;
		}
		p = strchr(p, ',');
	}
	return false;
}

uint32_t dpdk_mbuf_data(const struct ponte_dp_dpdk_config *dc)
{
	uint32_t room = DPDK_MBUF_DATA;

	for (unsigned k = 0; k < dc->nb_ports; k++) {
		const char *dev = dc->ports[k].device;
		uint32_t mtu = dc->ports[k].mtu != 0 ? dc->ports[k].mtu : RTE_ETHER_MTU;
		/* A whole frame in one mbuf: Ethernet, a VLAN tag, the CRC some NICs leave. The
		 * parser and the pipeline see one segment (no RX scatter: see docs/dpdk.md). */
		uint32_t frame = RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN +
				 RTE_ETHER_CRC_LEN;
		char v[16];

		room = RTE_MAX(room, RTE_ALIGN_CEIL(frame, 64));
		/* net_af_packet copies each frame of its ring into one mbuf and refuses a queue
		 * whose mbufs hold less than a ring frame's data (framesz less its 32-byte
		 * header): a larger framesz= (whole reassembled datagrams) needs larger mbufs. */
		if (dev != NULL && strncmp(dev, "net_af_packet", 13) == 0 &&
		    devarg(dev, "framesz", v, sizeof(v))) {
			unsigned long fs = strtoul(v, NULL, 10);

			if (fs > 32 && fs <= 1u << 20)
				room = RTE_MAX(room, (uint32_t)(RTE_PKTMBUF_HEADROOM + fs - 32));
		}
	}
	return RTE_MIN(room, (uint32_t)UINT16_MAX);
}

/* A device the EAL will be asked for: catch what is surely wrong before it is. */
static int check_device(struct dpdk_dp *d, const char *dev, const char *key)
{
	char iface[IF_NAMESIZE + 8];

	if (dev == NULL || dev[0] == '\0') {
		dpdk_log(d, DPDK_LOG_ERROR, "%s: empty: name a PCI address or a vdev string", key);
		return -EINVAL;
	}
	if (dpdk_is_pci_address(dev)) {
		char path[128], link[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s%s",
			 strchr(dev, '.') - dev < 8 ? "0000:" : "", dev);
		if (access(path, F_OK) != 0) {
			dpdk_log(d, DPDK_LOG_ERROR, "%s: no PCI device %s on this machine", key,
				 dev);
			return -ENODEV;
		}
		strncat(path, "/driver", sizeof(path) - strlen(path) - 1);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		if (n <= 0 || (strstr(link, "vfio-pci") == NULL && strstr(link, "uio") == NULL &&
			       strstr(link, "mlx") == NULL)) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s: PCI device %s is bound to %s, not to a DPDK driver (bind it "
				 "with dpdk-devbind.py --bind=vfio-pci %s)",
				 key, dev, n > 0 ? strrchr(link, '/') + 1 : "no driver", dev);
			return -ENODEV;
		}
		return 0;
	}
	if ((strncmp(dev, "net_af_packet", 13) == 0 || strncmp(dev, "net_af_xdp", 10) == 0) &&
	    devarg(dev, "iface", iface, sizeof(iface)) && if_nametoindex(iface) == 0) {
		dpdk_log(d, DPDK_LOG_ERROR, "%s: '%s': there is no network interface %s", key, dev,
			 iface);
		return -ENODEV;
	}
	return 0;
}

static int check_prefix(struct dpdk_dp *d, const char *prefix)
{
	if (prefix == NULL || prefix[0] == '\0' || strlen(prefix) > 64)
		goto bad;
	for (const char *p = prefix; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			goto bad;
	return 0;
bad:
	dpdk_log(d, DPDK_LOG_ERROR, "dpdk.file_prefix: '%s': 1 to 64 of [A-Za-z0-9_-] expected",
		 prefix ? prefix : "");
	return -EINVAL;
}

void dpdk_port_exc(const struct ponte_dp_dpdk_config *dc, unsigned k, struct dpdk_exc_cfg *out)
{
	const struct ponte_dp_dpdk_port *pc = &dc->ports[k];
	bool is_own = (pc->exception_device != NULL && pc->exception_device[0] != '\0') ||
		      (pc->exception_tap != NULL && pc->exception_tap[0] != '\0');

	/* The top-level keys are the first port's, from when there was one port. */
	if (k == 0 && !is_own) {
		out->device = dc->exception_device;
		out->tap = dc->exception_tap;
		snprintf(out->key, sizeof(out->key), "dpdk.");
	} else {
		out->device = pc->exception_device;
		out->tap = pc->exception_tap;
		snprintf(out->key, sizeof(out->key), "dpdk.ports[%u].", k);
	}
	is_own = pc->exception_addresses != NULL && pc->exception_addresses[0] != NULL;
	out->addrs = k == 0 && !is_own ? dc->exception_addresses : pc->exception_addresses;
	if (k == 0 && !is_own)
		snprintf(out->addrs_key, sizeof(out->addrs_key), "dpdk.exception_addresses");
	else
		snprintf(out->addrs_key, sizeof(out->addrs_key),
			 "dpdk.ports[%u].exception_addresses", k);
	if (out->device != NULL && out->device[0] == '\0')
		out->device = NULL;
}

/* dpdk.ports[k] with the device of an earlier entry j: another VLAN of that trunk port, with
 * the same queues. Which entries share an ethdev is kept in d->eth_of[]. */
static int check_shared(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc, unsigned k,
			unsigned j)
{
	const struct ponte_dp_dpdk_port *pc = &dc->ports[k], *pj = &dc->ports[j];
	static const char *const what[] = {"rx_queues", "rx_descriptors", "tx_descriptors",
					   "mtu"};
	const unsigned vk[] = {pc->rx_queues, pc->rx_desc, pc->tx_desc,
			       pc->mtu != 0 ? pc->mtu : RTE_ETHER_MTU};
	const unsigned vj[] = {pj->rx_queues, pj->rx_desc, pj->tx_desc,
			       pj->mtu != 0 ? pj->mtu : RTE_ETHER_MTU};

	if (pc->vlan == pj->vlan) {
		if (pc->vlan == 0)
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.ports[%u].vlan: dpdk.ports[%u] is the untagged one of "
				 "device '%s' already: the other entries of a device each name a "
				 "VLAN (1 to 4094), at most one none",
				 k, j, pc->device);
		else
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.ports[%u].vlan: %u is dpdk.ports[%u]'s already on device "
				 "'%s': each entry of one device is a VLAN of its own",
				 k, pc->vlan, j, pc->device);
		return -EINVAL;
	}
	for (unsigned i = 0; i < RTE_DIM(what); i++) {
		if (vk[i] != vj[i]) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.ports[%u].%s: %u, but %u in dpdk.ports[%u], the same device "
				 "'%s': the VLANs of one device share its queues, give them the "
				 "same value",
				 k, what[i], vk[i], vj[i], j, pc->device);
			return -EINVAL;
		}
	}
	d->eth_of[k] = (uint8_t)d->eth_of[j];
	return 0;
}

/* dpdk.ports[k]: its device, VLAN and exception port (a device, or a TAP whose name no other
 * port has), and the addresses that port is given, kept in d->nic_addrs[k]. */
static int check_port(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc, unsigned k)
{
	const struct ponte_dp_dpdk_port *pc = &dc->ports[k];
	struct dpdk_exc_cfg x, y;
	char key[48], name[64];
	int rc;

	snprintf(key, sizeof(key), "dpdk.ports[%u].device", k);
	rc = check_device(d, pc->device, key);
	if (rc != 0)
		return rc;
	if (pc->vlan > 4094) {
		/* 4095 is reserved (IEEE 802.1Q §9.6); 0 means no VLAN here. */
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.ports[%u].vlan: %u is no VLAN id (1 to 4094; 0: untagged)", k,
			 pc->vlan);
		return -EINVAL;
	}
	if (pc->mtu != 0 && (pc->mtu < 1280 || pc->mtu > 9600)) {
		/* IPv6's least (RFC 8200 §5); the largest jumbo frames NICs commonly take. */
		dpdk_log(d, DPDK_LOG_ERROR, "dpdk.ports[%u].mtu: %u is out of range (1280 to 9600)",
			 k, pc->mtu);
		return -EINVAL;
	}
	/* The same ethdev as an earlier entry: another VLAN of it. Two strings that name one
	 * ethdev with different arguments would be two devices to the user and one to DPDK. */
	d->eth_of[k] = (uint8_t)k;
	dpdk_device_name(pc->device, name, sizeof(name));
	for (unsigned j = 0; j < k; j++) {
		char other[64];

		dpdk_device_name(dc->ports[j].device, other, sizeof(other));
		if (strcmp(other, name) != 0)
			continue;
		if (strcmp(dc->ports[j].device, pc->device) != 0) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s: '%s' names the device of dpdk.ports[%u] ('%s') with other "
				 "arguments: VLANs of one device name it the same way",
				 key, pc->device, j, dc->ports[j].device);
			return -EINVAL;
		}
		rc = check_shared(d, dc, k, j);
		if (rc != 0)
			return rc;
		break;
	}
	dpdk_port_exc(dc, k, &x);
	if (x.device != NULL) {
		snprintf(key, sizeof(key), "%sexception_device", x.key);
		rc = check_device(d, x.device, key);
		if (rc != 0)
			return rc;
	} else if (x.tap == NULL || x.tap[0] == '\0' || strlen(x.tap) >= IF_NAMESIZE) {
		dpdk_log(d, DPDK_LOG_ERROR, "%sexception_tap: 1 to %d characters%s", x.key,
			 IF_NAMESIZE - 1,
			 k > 0 ? " (each port beyond the first names its own TAP, or "
				 "exception_device, a VLAN of a device as much as another device)"
			       : "");
		return -EINVAL;
	} else {
		for (unsigned j = 0; j < k; j++) {
			dpdk_port_exc(dc, j, &y);
			if (y.device == NULL && y.tap != NULL && strcmp(y.tap, x.tap) == 0) {
				dpdk_log(d, DPDK_LOG_ERROR,
					 "%sexception_tap: '%s' is dpdk.ports[%u]'s already: each "
					 "NIC has its own exception interface",
					 x.key, x.tap, j);
				return -EINVAL;
			}
		}
	}
	d->nb_nic_addrs[k] = 0;
	for (unsigned i = 0; x.addrs != NULL && x.addrs[i] != NULL; i++) {
		unsigned prefix;

		if (i >= DPDK_MAX_NIC_ADDRS) {
			dpdk_log(d, DPDK_LOG_ERROR, "%s: at most %d addresses", x.addrs_key,
				 DPDK_MAX_NIC_ADDRS);
			return -EINVAL;
		}
		if (!dpdk_parse_cidr(x.addrs[i], &d->nic_addrs[k][i], &prefix)) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s[%u]: '%s' is not ADDRESS/PREFIX, such as 192.0.2.1/24 or "
				 "2001:db8::1/64",
				 x.addrs_key, i, x.addrs[i]);
			return -EINVAL;
		}
		d->nb_nic_addrs[k] = i + 1;
		for (unsigned j = 0; j < k; j++) {
			for (unsigned h = 0; h < d->nb_nic_addrs[j]; h++) {
				const struct ponte_addr *a = &d->nic_addrs[k][i];

				if (a->family != d->nic_addrs[j][h].family ||
				    memcmp(a->ip, d->nic_addrs[j][h].ip,
					   a->family == AF_INET ? 4 : 16) != 0)
					continue;
				dpdk_log(d, DPDK_LOG_ERROR,
					 "%s[%u]: '%s': that address is dpdk.ports[%u]'s already: "
					 "each NIC (each VLAN) has addresses of its own",
					 x.addrs_key, i, x.addrs[i], j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Every VLAN of a device names its addresses: they are what says which of them a local
 * address is, and so which VLAN its media leaves on. */
static int check_vlan_addrs(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc, unsigned k)
{
	struct dpdk_exc_cfg x;
	bool is_shared = false;

	for (unsigned j = 0; j < dc->nb_ports; j++)
		is_shared |= j != k && d->eth_of[j] == d->eth_of[k];
	if (!is_shared || d->nb_nic_addrs[k] > 0)
		return 0;
	dpdk_port_exc(dc, k, &x);
	dpdk_log(d, DPDK_LOG_ERROR,
		 "%s: empty: dpdk.ports[%u] is a VLAN of device '%s', which has others, and needs "
		 "addresses of its own (ADDRESS/PREFIX) for its exception interface",
		 x.addrs_key, k, dc->ports[k].device);
	return -EINVAL;
}

static int check_config(struct dpdk_dp *d, const struct ponte_dp_config *cfg)
{
	const struct ponte_dp_dpdk_config *dc = cfg->dpdk;
	int rc;

	if (dc->nb_ports == 0) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.ports: empty: list the NIC (a PCI address or a vdev "
			 "string such as net_af_packet0,iface=eth1)");
		return -EINVAL;
	}
	if (dc->nb_ports > DPDK_MAX_NICS) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.ports: %u ports listed; at most %d (VLANs of a device count one "
			 "each), on at most %d devices",
			 dc->nb_ports, DPDK_MAX_NICS, DPDK_MAX_ETHS);
		return -EINVAL;
	}
	rc = 0;
	for (unsigned k = 0, nb_eths = 0; rc == 0 && k < dc->nb_ports; k++) {
		rc = check_port(d, dc, k);
		if (rc == 0 && d->eth_of[k] == k && ++nb_eths > DPDK_MAX_ETHS) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.ports[%u].device: a device beyond the %d the fast path "
				 "drives (up to %d entries: several VLANs of one device)",
				 k, DPDK_MAX_ETHS, DPDK_MAX_NICS);
			rc = -EINVAL;
		}
	}
	for (unsigned k = 0; rc == 0 && k < dc->nb_ports; k++)
		rc = check_vlan_addrs(d, dc, k);
	d->mbuf_data = dpdk_mbuf_data(dc);
	if (rc == 0 && dc->mempool_size < 1024) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.mempool_size: %u is too small (at "
			 "least 1024)",
			 dc->mempool_size);
		rc = -EINVAL;
	}
	return rc;
}

/* ---- starting ---- */

/* The arguments and their storage. */
struct eal_args {
	char *argv[32];
	int argc;
	char buf[1024];
	size_t used;
};

static void arg(struct eal_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct eal_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->buf) - a->used)
		return;
	a->argv[a->argc++] = a->buf + a->used;
	a->used += (size_t)n + 1;
}

/* Why rte_eal_init() failed, in words an operator can act on. */
static const char *init_error(int err)
{
	switch (err) {
	case EACCES:
		return "permission denied (the EAL needs root, or CAP_SYS_ADMIN and "
		       "CAP_IPC_LOCK, for its memory)";
	case ENOMEM:
		return "not enough memory (dpdk.memory; with hugepages, "
		       "/proc/sys/vm/nr_hugepages)";
	case EINVAL:
		return "invalid EAL arguments (dpdk.lcores, memory, file_prefix)";
	case ENODEV:
		return "no device found (dpdk.ports)";
	case ENOTSUP:
		return "not supported on this machine";
	case EPROTO:
		return "the EAL's memory could not be set up (another process with the same "
		       "dpdk.file_prefix?)";
	case EFAULT:
		return "the EAL's runtime directory could not be made";
	default:
		return rte_strerror(err);
	}
}

/* The forwarding lcores of an EAL already running: its idle workers. */
static int take_workers(struct dpdk_dp *d, unsigned nb)
{
	unsigned id;

	d->nb_lcores = 0;
	RTE_LCORE_FOREACH_WORKER(id)
	{
		if (d->nb_lcores == nb)
			break;
		if (rte_eal_get_lcore_state(id) == WAIT)
			d->lcore_ids[d->nb_lcores++] = id;
	}
	if (d->nb_lcores < nb) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.lcores: %u lcores wanted; the EAL already running in this "
			 "process has %u idle worker lcores",
			 nb, d->nb_lcores);
		return -EBUSY;
	}
	return 0;
}

int dpdk_eal_start(struct dpdk_dp *d, const struct ponte_dp_config *cfg)
{
	const struct ponte_dp_dpdk_config *dc = cfg->dpdk;
	unsigned cpus[DPDK_MAX_LCORES];
	cpu_set_t allowed;
	struct eal_args a = {.argc = 0};
	char set[128];
	int n, rc;

	if (eal_state == EAL_FAILED) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk: the EAL failed to start earlier in this process and "
			 "cannot be started again; restart the process");
		return -EIO;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return -errno;
	if (eal_state == EAL_NONE && rte_lcore_count() > 0)
		eal_state = EAL_FOREIGN;
	if (eal_state != EAL_NONE) {
		/* Only how many lcores: the running EAL's CPUs are what they are. */
		CPU_ZERO(&allowed);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &allowed);
	}
	n = check_lcores(d, dc->lcores, &allowed, cpus);
	if (n < 0)
		return n;
	rc = check_config(d, cfg);
	if (rc != 0)
		return rc;
	route_log(d);
	if (eal_state != EAL_NONE) {
		dpdk_log(d, DPDK_LOG_INFO,
			 "dpdk: using the EAL already running in this process "
			 "(dpdk.lcores gives only the number of lcores; memory, no_huge and "
			 "file_prefix do not apply)");
		return take_workers(d, (unsigned)n);
	}
	if (check_prefix(d, dc->file_prefix) != 0)
		return -EINVAL;
	rc = check_memory(d, cfg);
	if (rc != 0)
		return rc;

	arg(&a, "ponte");
	/* The main lcore is the control thread, and keeps every CPU it had: pinning it would
	 * pin the whole control plane and every thread it starts later. The forwarding lcores
	 * get one CPU each. */
	cpuset_str(&allowed, set, sizeof(set));
	{
		char lc[512];
		size_t off = (size_t)snprintf(lc, sizeof(lc), "0@(%s)", set);

		for (int i = 0; i < n && off < sizeof(lc); i++)
			off +=
			    (size_t)snprintf(lc + off, sizeof(lc) - off, ",%d@%u", i + 1, cpus[i]);
		arg(&a, "--lcores=%s", lc);
	}
	arg(&a, "--main-lcore=0");
	arg(&a, "--file-prefix=%s", dc->file_prefix);
	arg(&a, "--no-telemetry");
	arg(&a, "-m");
	arg(&a, "%u", dc->memory_mb);
	if (dc->is_no_huge) {
		arg(&a, "--no-huge");
		/* No hugepage files to share, and no secondary process: no shared config. */
		arg(&a, "--no-shconf");
	} else {
		/* Hugepages from memfd: nothing to mount, nothing left behind. */
		arg(&a, "--in-memory");
	}
	{
		bool has_pci = false;

		/* The PCI NICs listed, and no other PCI device. */
		for (unsigned k = 0; k < dc->nb_ports; k++) {
			/* A device's other VLANs: it is listed once. */
			if (!dpdk_is_pci_address(dc->ports[k].device) || d->eth_of[k] != k)
				continue;
			arg(&a, "-a");
			arg(&a, "%s", dc->ports[k].device);
			has_pci = true;
		}
		if (!has_pci)
			arg(&a, "--no-pci");
	}
	arg(&a, "--log-level=*:notice");
	a.argv[a.argc] = NULL;

	{
		char shown[1024];
		size_t off = 0;

		shown[0] = '\0';
		for (int i = 1; i < a.argc && off < sizeof(shown); i++)
			off += (size_t)snprintf(shown + off, sizeof(shown) - off, " %s", a.argv[i]);
		dpdk_log(d, DPDK_LOG_INFO, "dpdk: starting the EAL:%s", shown);
	}
	/* rte_eal_init() prints its usage on stdout when it dislikes an argument: the checks
	 * above are there so that it never does. */
	rc = rte_eal_init(a.argc, a.argv);
	if (rc < 0) {
		int err = rte_errno;

		eal_state = EAL_FAILED;
		dpdk_log(d, DPDK_LOG_ERROR, "dpdk: the EAL did not start: %s", init_error(err));
		return -(err != 0 ? err : EIO);
	}
	eal_state = EAL_OURS;
	d->nb_lcores = 0;
	for (int i = 0; i < n; i++)
		d->lcore_ids[d->nb_lcores++] = (unsigned)i + 1;
	return 0;
}

void dpdk_eal_stop(struct dpdk_dp *d)
{
	/* The EAL stays: it cannot start again in this process. Only the log goes back, and
	 * the runtime directory it made goes if nothing is in it (--no-shconf leaves it empty). */
	if (eal_state == EAL_OURS)
		rmdir(rte_eal_get_runtime_dir());
	if (log_owner == d) {
		log_owner = NULL;
		if (log_stream != NULL)
			fflush(log_stream);
	}
}
