/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: RTCP termination (dataplane/rtcp_term.c). The input is consumed as an RTCP
 * compound, and also read as a run of RTP packets (a length byte, then that many bytes) that
 * feed the receive and send statistics. Invariants: consume never grows the packet, leaves a
 * valid compound without SR or RR (or nothing), and keeps to its bytes (ASan checks); every RR
 * and SR built afterwards is a valid compound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp_term.h"
#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *exact_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (p != NULL)
		memcpy(p, data, size);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_rx_stats rx = {0};
	struct dp_tx_stats tx = {0};
	struct dp_sr_info srs[2];
	uint8_t out[DP_RTCP_RR_MAX_LEN];
	uint64_t now_ns = 1000000000000ull;
	unsigned nb_sr;
	size_t off = 0, n;
	uint8_t *pkt;

	if (size > 4096)
		return 0;
	while (off < size) {
		size_t len = data[off++];

		if (len > size - off)
			len = size - off;
		pkt = exact_copy(data + off, len);
		if (pkt == NULL)
			return 0;
		dp_rx_stats_rtp(&rx, pkt, len, now_ns, len % 2 ? 90000 : 0);
		dp_tx_stats_rtp(&tx, pkt, len);
		free(pkt);
		now_ns += 20000000;
		off += len;
	}
	pkt = exact_copy(data, size);
	if (pkt == NULL)
		return 0;
	n = dp_rtcp_consume(pkt, size, &rx, now_ns, srs, 2, &nb_sr);
	if (n > size || nb_sr > 2 || (n != 0 && !dp_rtcp_is_valid(pkt, n)))
		abort();
	for (off = 0; off + 4 <= n; off += 4 * ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1))
		if (pkt[off + 1] == DP_RTCP_SR || pkt[off + 1] == DP_RTCP_RR)
			abort();
	free(pkt);
	n = dp_rtcp_build_rr(&rx, 1, "fuzz@ponte", now_ns + 1000000000, out, sizeof(out));
	if (n != 0 && !dp_rtcp_is_valid(out, n))
		abort();
	for (unsigned i = 0; i < tx.nb; i++) {
		n = dp_rtcp_build_sr(&tx, tx.s[i].ssrc, 0, 0, out, sizeof(out));
		if (n != DP_RTCP_SR_LEN || !dp_rtcp_is_valid(out, n))
			abort();
	}
	return 0;
}
