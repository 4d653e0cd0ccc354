/* SPDX-License-Identifier: MIT */
/*
 * The ethdevs: the NICs (dpdk.ports[], up to DPDK_MAX_NICS) and the exception port of each,
 * each with one queue pair per forwarding lcore (RSS spreads a NIC's receive queues when there
 * are several and the device can), and the mbuf pool of each NUMA socket they sit on. A local
 * address is NIC k's when exception port k's kernel interface holds it (dpdk_exception_nic()).
 *
 * A NIC is logical: entries of dpdk.ports[] with the same device are VLANs of one trunk port
 * (at most DPDK_MAX_ETHS ethdevs). The first entry opens, configures and polls the ethdev; the
 * others copy it and differ only in their VLAN (what they send is tagged with it) and in their
 * own exception port. The first entry's VLAN table says which logical NIC a received frame is
 * (dpdk_frame_nic()). Each lcore sends through the ethdev's transmit queue of its own index
 * whichever logical NIC the frame is of, so sharing it needs no lock.
 *
 * The exception port is a TAP (net_tap) unless dpdk.exception_device names another
 * device. Its kernel interface gets the NIC's MAC, so that what the kernel answers for its
 * addresses (ARP, ND) names the MAC the NIC receives on and the fast path sends from, and the
 * gateway's addresses (dpdk.exception_addresses), so that the control plane's
 * sockets bound there receive everything the fast path does not take.
 */
#include "dpdk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mempool.h>

/* struct in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h>. */
struct in6_ifreq_compat {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static struct rte_mempool *pool_for(struct dpdk_dp *d, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned cache = RTE_MIN(256u, d->mempool_size / 8);

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (d->pools[socket] != NULL)
		return d->pools[socket];
	snprintf(name, sizeof(name), "ponte_mbuf_%d", socket);
	if (d->mbuf_data < DPDK_MBUF_DATA)
		d->mbuf_data = DPDK_MBUF_DATA;
	d->pools[socket] = rte_pktmbuf_pool_create(name, d->mempool_size, cache, 0,
						   (uint16_t)d->mbuf_data, socket);
	if (d->pools[socket] == NULL)
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.mempool_size: %u mbufs of %u bytes on NUMA socket %d: %s "
			 "(more dpdk.memory, or fewer mbufs)",
			 d->mempool_size, d->mbuf_data, socket, rte_strerror(rte_errno));
	/* Indirect mbufs for the fragments of frames too large for a TAP (kfrag.c): a few
	 * datagrams' worth, the frames being rare. */
	snprintf(name, sizeof(name), "ponte_frag_%d", socket);
	if (d->pools[socket] != NULL && d->frag_pools[socket] == NULL &&
	    (d->frag_pools[socket] = rte_pktmbuf_pool_create(name, 2047, 32, 0, 0, socket)) == NULL) {
		dpdk_log(d, DPDK_LOG_ERROR, "dpdk: 2047 indirect mbufs on NUMA socket %d: %s",
			 socket, rte_strerror(rte_errno));
		rte_mempool_free(d->pools[socket]);
		d->pools[socket] = NULL;
	}
	return d->pools[socket];
}

/* The ethdev name a device string gives: the vdev name before its arguments, or the PCI
 * address with its domain. */
void dpdk_device_name(const char *dev, char *name, size_t size)
{
	size_t n = strcspn(dev, ",");

	if (dpdk_is_pci_address(dev) && strchr(dev, '.') - dev < 8)
		snprintf(name, size, "0000:%.*s", (int)n, dev);
	else
		snprintf(name, size, "%.*s", (int)n, dev);
}

/* Find or probe device dev (named by key in messages) into e. */
static int eth_open(struct dpdk_dp *d, const char *dev, const char *key, struct dpdk_eth *e)
{
	uint16_t port;
	int rc;

	memset(e, 0, sizeof(*e));
	dpdk_device_name(dev, e->name, sizeof(e->name));
	if (rte_eth_dev_get_port_by_name(e->name, &port) != 0) {
		if (dpdk_is_pci_address(dev)) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s: PCI device %s has no DPDK driver that took it (see the EAL "
				 "lines above)",
				 key, dev);
			return -ENODEV;
		}
		if (strchr(dev, ',') == NULL && strncmp(dev, "net_", 4) != 0 &&
		    strncmp(dev, "eth_", 4) != 0 && strncmp(dev, "crypto_", 7) != 0) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s: '%s' is no PCI address, no vdev string (net_...) and no "
				 "ethdev of this process",
				 key, dev);
			return -ENODEV;
		}
		rc = rte_dev_probe(dev);
		if (rc != 0) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "%s: cannot start '%s': %s (see the DPDK lines "
				 "above)",
				 key, dev, strerror(-rc));
			return rc < 0 ? rc : -ENODEV;
		}
		e->is_probed = true;
		if (rte_eth_dev_get_port_by_name(e->name, &port) != 0) {
			dpdk_log(d, DPDK_LOG_ERROR, "%s: '%s' is not a network device", key, dev);
			return -ENODEV;
		}
	}
	e->port_id = port;
	e->is_open = true;
	e->socket = rte_eth_dev_socket_id(port);
	if (e->socket < 0)
		e->socket = 0;
	return 0;
}

static void eth_close(struct dpdk_eth *e)
{
	struct rte_eth_dev_info info;

	if (!e->is_open)
		return;
	if (e->is_started)
		rte_eth_dev_stop(e->port_id);
	if (e->is_probed) {
		if (rte_eth_dev_info_get(e->port_id, &info) == 0 && info.device != NULL) {
			rte_eth_dev_close(e->port_id);
			rte_dev_remove(info.device);
		}
	}
	e->is_open = e->is_started = false;
}

/* dpdk.idle: interrupt: whether every receive queue of e has an interrupt an lcore can wait
 * for (checked once started: PMDs without them accept the setting and then have no fd). */
static int check_rx_intr(struct dpdk_dp *d, struct dpdk_eth *e, const char *key)
{
	for (uint16_t q = 0; q < e->nb_rxq; q++) {
		if (rte_eth_dev_rx_intr_ctl_q_get_fd(e->port_id, q) < 0) {
			dpdk_log(d, DPDK_LOG_ERROR,
				 "dpdk.idle: interrupt: %s (%s) has no receive interrupts, so a "
				 "sleeping lcore would not wake for its frames; use dpdk.idle: "
				 "sleep (net_af_packet, net_af_xdp and the ring PMDs have none; "
				 "net_tap, net_memif and most PCI NICs have them)",
				 e->name, key);
			return -ENOTSUP;
		}
	}
	e->has_rx_intr = true;
	return 0;
}

/*
 * dpdk.ports[].mtu against what the device takes: its max_mtu, and its largest frame less the
 * overhead DPDK's own check counts (rte_eth_dev_configure() refuses an MTU whose frame is
 * beyond max_rx_pktlen; net_af_packet and net_tap report 1518 and 1522: 1500). An exception
 * TAP is not asked: its kernel interface's MTU is set directly (tap_mtu()).
 */
static int mtu_check(struct dpdk_dp *d, struct dpdk_eth *e, const char *key,
		     const struct rte_eth_dev_info *info)
{
	uint32_t most = info->max_mtu, overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

	if (e->mtu == 0 || e->mtu == RTE_ETHER_MTU || e->is_tap)
		return 0;
	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen > overhead)
		most = RTE_MIN(most, info->max_rx_pktlen - overhead);
	if (e->mtu >= info->min_mtu && e->mtu <= most)
		return 0;
	dpdk_log(d, DPDK_LOG_ERROR, "%s.mtu: %u is beyond what %s takes (%u to %u)", key, e->mtu,
		 e->name, info->min_mtu, most);
	return -EINVAL;
}

/* Queues, offloads and start. key names the device in messages; has_vlan: some logical NIC on
 * it is on a VLAN (the tag offloads are wanted). */
static int eth_setup(struct dpdk_dp *d, struct dpdk_eth *e, const char *key, uint16_t nb_rxq,
		     uint16_t nb_txq, uint16_t nb_rxd, uint16_t nb_txd, bool has_vlan)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_mempool *pool = pool_for(d, e->socket);
	int rc;

	if (pool == NULL)
		return -ENOMEM;
	rc = rte_eth_dev_info_get(e->port_id, &info);
	if (rc != 0)
		return rc;
	if (nb_rxq > info.max_rx_queues || nb_txq > info.max_tx_queues) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "%s: %s has %u receive and %u transmit queues; %u and %u are needed "
			 "(one each per lcore of dpdk.lcores%s)",
			 key, e->name, info.max_rx_queues, info.max_tx_queues, nb_rxq, nb_txq,
			 strncmp(e->name, "net_af_packet", 13) == 0 ? "; net_af_packet: qpairs=N"
								    : "");
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		/* Spread by addresses and ports: all of one 5-tuple on one queue. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		e->has_rss = true;
	}
	conf.rxmode.offloads =
	    info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	conf.intr_conf.rxq = d->is_idle_interrupt;
	e->tx_off.has_ipv4_cksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	e->tx_off.has_udp_cksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	conf.txmode.offloads =
	    info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	/* A port on a VLAN: the tag stripped and inserted by the device where it can; parse.c
	 * does it otherwise. No VLAN filter: frames of other VLANs are to be counted. */
	e->tx_off.vlan = e->vlan;
	if (has_vlan) {
		e->has_vlan_strip = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
		e->tx_off.has_vlan_insert =
		    (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT) != 0;
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
		conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	}
	/* What the kernel sends the TAP may be chained (net_tap takes it). */
	conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	rc = mtu_check(d, e, key, &info);
	if (rc != 0)
		return rc;
	if (e->mtu != 0 && e->mtu != RTE_ETHER_MTU && !e->is_tap)
		conf.rxmode.mtu = e->mtu;
	rc = rte_eth_dev_configure(e->port_id, nb_rxq, nb_txq, &conf);
	/* The device's own MTU (a PCI NIC's registers, net_af_xdp's interface); a device that
	 * has none to set (the ring PMDs) took rxmode.mtu above. */
	if (rc == 0 && conf.rxmode.mtu != 0) {
		rc = rte_eth_dev_set_mtu(e->port_id, e->mtu);
		if (rc == -ENOTSUP)
			rc = 0;
	}
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(e->port_id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; rc == 0 && q < nb_rxq; q++)
		rc = rte_eth_rx_queue_setup(e->port_id, q, nb_rxd, (unsigned)e->socket, NULL, pool);
	for (uint16_t q = 0; rc == 0 && q < nb_txq; q++)
		rc = rte_eth_tx_queue_setup(e->port_id, q, nb_txd, (unsigned)e->socket, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(e->port_id);
	if (rc != 0) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "%s: %s: cannot set up %u queue pairs of %u/%u "
			 "descriptors%s: %s",
			 key, e->name, nb_rxq, nb_rxd, nb_txd,
			 d->is_idle_interrupt ? " with receive interrupts (dpdk.idle: interrupt)"
					      : "",
			 rte_strerror(-rc));
		return rc;
	}
	e->is_started = true;
	e->nb_rxq = nb_rxq;
	e->nb_txq = nb_txq;
	if (d->is_idle_interrupt && (rc = check_rx_intr(d, e, key)) != 0)
		return rc;
	rte_eth_macaddr_get(e->port_id, &e->mac);
	/* IPv6 neighbour discovery is multicast; most NICs filter it out otherwise. */
	rte_eth_allmulticast_enable(e->port_id);
	return 0;
}

bool dpdk_parse_cidr(const char *s, struct ponte_addr *a, unsigned *prefix)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long p;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip))
		return false;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (ponte_addr_parse(a, ip, 0) != 0)
		return false;
	p = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || end == slash + 1 || p > (a->family == AF_INET ? 32u : 128u))
		return false;
	*prefix = (unsigned)p;
	return true;
}

static void write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, value, strlen(value));
		close(fd);
	}
}

static int add_address(struct dpdk_dp *d, unsigned k, const struct dpdk_exc_cfg *x, unsigned i)
{
	const char *cidr = x->addrs[i];
	struct ponte_addr a;
	unsigned prefix;
	int fd, rc = 0;

	if (!dpdk_parse_cidr(cidr, &a, &prefix))
		return -EINVAL; /* refused by eal.c's checks already */
	fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (a.family == AF_INET) {
		struct ifreq ifr;
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
		uint32_t mask = prefix == 0 ? 0 : htonl(~0u << (32 - prefix));

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->tap_name[k]);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a.ip, 4);
		if (ioctl(fd, SIOCSIFADDR, &ifr) != 0)
			rc = -errno;
		sin->sin_addr.s_addr = mask;
		if (rc == 0 && ioctl(fd, SIOCSIFNETMASK, &ifr) != 0)
			rc = -errno;
	} else {
		struct in6_ifreq_compat r6;
		char path[96];

		/* Usable at once: duplicate address detection would hold it back a second or
		 * two, and the address is ours by configuration. */
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad",
			 d->tap_name[k]);
		write_sysctl(path, "0");
		memset(&r6, 0, sizeof(r6));
		memcpy(&r6.addr, a.ip, 16);
		r6.prefixlen = prefix;
		r6.ifindex = (int)if_nametoindex(d->tap_name[k]);
		if (ioctl(fd, SIOCSIFADDR, &r6) != 0 && errno != EEXIST)
			rc = -errno;
	}
	close(fd);
	if (rc != 0)
		dpdk_log(d, DPDK_LOG_ERROR, "%s[%u]: cannot give %s to %s: %s", x->addrs_key, i,
			 cidr, d->tap_name[k], strerror(-rc));
	return rc;
}

static int link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The TAP's kernel interface gets its NIC's MTU (0 or 1500: left as it is, a new TAP's being
 * 1500 and an existing one's the system's), so that the kernel sends and takes frames as large
 * as the NIC's. Set here rather than through net_tap, which reports 1500 as its most
 * (max_rx_pktlen 1522): what the kernel sends fits the mbufs all the same (dpdk_mbuf_data()
 * makes them hold the largest MTU), and what it is sent longer than net_tap writes goes in IP
 * fragments (kfrag.c). */
static int tap_mtu(const char *ifname, uint16_t mtu)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (mtu == 0 || mtu == RTE_ETHER_MTU)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The kernel side of NIC k's TAP: the NIC's MAC, the addresses, its MTU, up. */
static int tap_configure(struct dpdk_dp *d, unsigned k, const struct dpdk_exc_cfg *x)
{
	int rc;

	if (!rte_is_zero_ether_addr(&d->nic[k].mac) &&
	    rte_eth_dev_default_mac_addr_set(d->exc[k].port_id, &d->nic[k].mac) == 0)
		rte_ether_addr_copy(&d->nic[k].mac, &d->exc[k].mac);
	for (unsigned i = 0; x->addrs != NULL && x->addrs[i]; i++) {
		rc = add_address(d, k, x, i);
		if (rc != 0)
			return rc;
	}
	rc = tap_mtu(d->tap_name[k], d->exc[k].mtu);
	if (rc != 0) {
		dpdk_log(d, DPDK_LOG_ERROR, "dpdk.ports[%u].mtu: cannot give %s the MTU %u: %s",
			 k, d->tap_name[k], d->exc[k].mtu, strerror(-rc));
		return rc;
	}
	rc = link_up(d->tap_name[k]);
	if (rc != 0)
		dpdk_log(d, DPDK_LOG_ERROR, "%sexception_tap: cannot bring %s up: %s", x->key,
			 d->tap_name[k], strerror(-rc));
	return rc;
}

/* Logical NIC k (of VLAN vid) into the VLAN table of the first entry j of its device. */
static void nic_vlan_add(struct dpdk_dp *d, unsigned j, unsigned k)
{
	struct dpdk_eth *e = &d->nic[j];

	e->vlan_ids[e->nb_vlan_nics] = d->nic[k].vlan;
	e->vlan_nics[e->nb_vlan_nics++] = (uint8_t)k;
}

/* Logical NIC k, VLAN vlan of the device that an earlier entry opened: a copy of that entry
 * that neither polls nor closes the ethdev, with its own VLAN to tag what it sends. */
static int nic_share(struct dpdk_dp *d, unsigned k, uint16_t vlan)
{
	unsigned j = d->eth_of[k];
	struct dpdk_eth *e = &d->nic[k];

	if (!d->nic[j].is_started)
		return -ENODEV;
	*e = d->nic[j];
	e->is_probed = e->is_started = e->has_flow_steer = false;
	e->nb_vlan_nics = 0;
	e->vlan = e->tx_off.vlan = vlan;
	nic_vlan_add(d, j, k);
	return 0;
}

/* NIC k (dpdk.ports[k]) and its exception port. */
static int nic_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc, unsigned k)
{
	const struct ponte_dp_dpdk_port *pc = &dc->ports[k];
	uint16_t nb = (uint16_t)d->nb_lcores;
	uint16_t nb_rxq = pc->rx_queues != 0 ? pc->rx_queues : nb;
	struct dpdk_exc_cfg x;
	char exc_dev[128], vlan_note[128] = "", key[48];
	int rc;

	if (nb_rxq < nb) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.ports[%u].rx_queues: %u queues for %u "
			 "lcores: each lcore needs one",
			 k, nb_rxq, nb);
		return -EINVAL;
	}
	if (d->eth_of[k] != k) {
		rc = nic_share(d, k, pc->vlan);
	} else {
		bool has_vlan = false;

		for (unsigned j = k; j < dc->nb_ports; j++)
			has_vlan |= d->eth_of[j] == k && dc->ports[j].vlan != 0;
		snprintf(key, sizeof(key), "dpdk.ports[%u].device", k);
		rc = eth_open(d, pc->device, key, &d->nic[k]);
		d->nic[k].vlan = pc->vlan;
		d->nic[k].mtu = pc->mtu;
		snprintf(key, sizeof(key), "dpdk.ports[%u]", k);
		if (rc == 0)
			rc = eth_setup(d, &d->nic[k], key, nb_rxq, nb, pc->rx_desc, pc->tx_desc,
				       has_vlan);
		if (rc == 0)
			nic_vlan_add(d, k, k);
	}
	if (rc != 0)
		return rc;
	dpdk_port_exc(dc, k, &x);
	if (x.device == NULL) {
		snprintf(d->tap_name[k], sizeof(d->tap_name[k]), "%s", x.tap);
		/* vdev names must differ: net_tap_ponte, then net_tap_ponte1... */
		snprintf(exc_dev, sizeof(exc_dev), "net_tap_ponte%.0u,iface=%s", k, d->tap_name[k]);
		snprintf(key, sizeof(key), "%sexception_tap", x.key);
		rc = eth_open(d, exc_dev, key, &d->exc[k]);
		d->exc[k].is_tap = true;
		d->exc[k].mtu = pc->mtu;
	} else {
		snprintf(exc_dev, sizeof(exc_dev), "%s", x.device);
		snprintf(key, sizeof(key), "%sexception_device", x.key);
		rc = eth_open(d, exc_dev, key, &d->exc[k]);
	}
	if (rc == 0)
		rc = eth_setup(d, &d->exc[k], key, nb, nb, 0, 0, false);
	if (rc == 0 && d->exc[k].is_tap) {
		uint16_t mtu = RTE_ETHER_MTU;

		/* What net_tap writes at most (pmd_tx_burst()): longer frames are fragmented. */
		rte_eth_dev_get_mtu(d->exc[k].port_id, &mtu);
		d->exc[k].tx_frame_max = mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN;
		rc = tap_configure(d, k, &x);
	}
	if (rc == 0 && d->nic[k].vlan != 0)
		snprintf(vlan_note, sizeof(vlan_note),
			 ", VLAN %u (tag stripped by %s, inserted by %s)", d->nic[k].vlan,
			 d->nic[k].has_vlan_strip ? "the NIC" : "software",
			 d->nic[k].tx_off.has_vlan_insert ? "the NIC" : "software");
	else if (rc == 0 && d->eth_of[k] != k)
		snprintf(vlan_note, sizeof(vlan_note), ", untagged");
	if (rc == 0 && d->eth_of[k] != k)
		snprintf(vlan_note + strlen(vlan_note), sizeof(vlan_note) - strlen(vlan_note),
			 ", sharing NIC %u's device", d->eth_of[k]);
	if (rc == 0)
		dpdk_log(d, DPDK_LOG_INFO,
			 "dpdk: NIC %u %s (port %u, " RTE_ETHER_ADDR_PRT_FMT
			 ", %u rx queues%s%s%s), exception port %s%s%s, %u lcores",
			 k, d->nic[k].name, d->nic[k].port_id, RTE_ETHER_ADDR_BYTES(&d->nic[k].mac),
			 nb_rxq, d->nic[k].tx_off.has_udp_cksum ? ", UDP checksum offload" : "",
			 d->nic[k].has_rss ? ", RSS" : "", vlan_note, d->exc[k].name,
			 d->tap_name[k][0] ? " on " : "", d->tap_name[k], d->nb_lcores);
	return rc;
}

int dpdk_ports_start(struct dpdk_dp *d, const struct ponte_dp_dpdk_config *dc)
{
	uint16_t nb = (uint16_t)d->nb_lcores;
	uint32_t need = 1024u;
	int rc = 0;

	/* Every receive descriptor holds an mbuf, and so may every transmit one until the
	 * driver frees it; then each lcore's pool cache and what one round has in flight. The
	 * exception ports' queues take the driver's default, assumed 512 each way. A pool that
	 * cannot fill them all stops receiving. */
	for (unsigned k = 0; k < dc->nb_ports; k++) {
		const struct ponte_dp_dpdk_port *pc = &dc->ports[k];
		uint16_t nb_rxq = pc->rx_queues != 0 ? pc->rx_queues : nb;

		/* Another VLAN of a device counted already: only its exception port. */
		if (d->eth_of[k] != k) {
			need += (uint32_t)nb * (1024u + 2u * DPDK_TX_BATCH);
			continue;
		}
		need += (uint32_t)nb_rxq * (pc->rx_desc ? pc->rx_desc : 1024u) +
			(uint32_t)nb *
			    ((pc->tx_desc ? pc->tx_desc : 1024u) + 1024u + 3u * DPDK_TX_BATCH);
	}
	need += (uint32_t)nb * 256u;
	if (d->mempool_size < need) {
		dpdk_log(d, DPDK_LOG_ERROR,
			 "dpdk.mempool_size: %u mbufs cannot fill the descriptors of %u lcores' "
			 "queues on %u ports (dpdk.ports[].rx_descriptors, tx_descriptors) and "
			 "leave room for packets in flight; at least %u are needed",
			 d->mempool_size, nb, dc->nb_ports, need);
		return -EINVAL;
	}
	for (unsigned k = 0; rc == 0 && k < dc->nb_ports; k++) {
		d->nb_nics = k + 1;
		rc = nic_start(d, dc, k);
	}
	return rc;
}

void dpdk_ports_stop(struct dpdk_dp *d)
{
	struct rte_flow_error err;

	/* Steering rules of flows still there: a PCI NIC we did not probe keeps its rules
	 * across a stop. */
	for (unsigned k = 0; k < d->nb_nics; k++) {
		if (d->nic[k].is_open && d->nic[k].has_flow_steer && d->eth_of[k] == k)
			rte_flow_flush(d->nic[k].port_id, &err);
		eth_close(&d->exc[k]);
		eth_close(&d->nic[k]);
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(d->pools[s]);
		d->pools[s] = NULL;
		rte_mempool_free(d->frag_pools[s]);
		d->frag_pools[s] = NULL;
	}
}

/* Walk the addresses of exception port k's kernel interface: fn(ctx, addr) until it returns
 * true. 1 when fn said done, 0 when no address did, -errno when the addresses cannot be read
 * (e.g. out of descriptors: getifaddrs opens a netlink socket). */
static int for_each_exception_addr(const struct dpdk_dp *d, unsigned k,
				   bool (*fn)(void *ctx, const struct ponte_addr *a), void *ctx)
{
	struct ifaddrs *ifas, *i;
	bool is_done = false;

	if (d->tap_name[k][0] == '\0')
		return 0;
	if (getifaddrs(&ifas) != 0)
		return -errno;
	for (i = ifas; i != NULL && !is_done; i = i->ifa_next) {
		struct ponte_addr a;

		if (i->ifa_addr == NULL || strcmp(i->ifa_name, d->tap_name[k]) != 0)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.ip, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.ip, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		is_done = fn(ctx, &a);
	}
	freeifaddrs(ifas);
	return is_done ? 1 : 0;
}

static bool is_same_ip(void *ctx, const struct ponte_addr *a)
{
	const struct ponte_addr *want = ctx;

	return a->family == want->family &&
	       memcmp(a->ip, want->ip, a->family == AF_INET ? 4 : 16) == 0;
}

int dpdk_exception_nic(const struct dpdk_dp *d, const struct ponte_addr *ip)
{
	int rc;

	/* One NIC and no kernel interface (the exception port is a ring in a test): every
	 * address a port names is the fast path's. */
	if (d->nb_nics == 1 && d->tap_name[0][0] == '\0')
		return 0;
	for (unsigned k = 0; k < d->nb_nics; k++) {
		if (d->tap_name[k][0] == '\0') {
			for (unsigned i = 0; i < d->nb_nic_addrs[k]; i++)
				if (is_same_ip((void *)ip, &d->nic_addrs[k][i]))
					return (int)k;
			continue;
		}
		rc = for_each_exception_addr(d, k, is_same_ip, (void *)ip);
		if (rc != 0)
			return rc > 0 ? (int)k : rc;
	}
	return -EADDRNOTAVAIL;
}

struct first_of {
	int family;
	struct ponte_addr *out;
};

static bool take_first(void *ctx, const struct ponte_addr *a)
{
	struct first_of *f = ctx;

	/* Not a link-local IPv6 address: peers beyond the link could not reach it. */
	if (a->family != f->family ||
	    (a->family == AF_INET6 && a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80))
		return false;
	f->out->family = a->family;
	memcpy(f->out->ip, a->ip, 16);
	return true;
}

int dpdk_exception_addr(const struct dpdk_dp *d, int family, struct ponte_addr *out)
{
	struct first_of f = {family, out};
	int rc = for_each_exception_addr(d, 0, take_first, &f);

	return rc > 0 ? 0 : rc < 0 ? rc : -EADDRNOTAVAIL;
}
