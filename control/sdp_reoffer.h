/* SPDX-License-Identifier: MIT */
/*
 * Subsequent offers from the gateway (RFC 3264 §8, JSEP RFC 8829 §5.2.2): the sections already
 * negotiated, unchanged, followed by sections for streams the gateway adds, e.g. the other
 * members of a relayed room. Sections are never removed or reordered; a stream that went away
 * keeps its section, disabled (port 0, RFC 3264 §8.2).
 */
#ifndef PONTE_CONTROL_SDP_REOFFER_H
#define PONTE_CONTROL_SDP_REOFFER_H

#include "sdp_negotiate.h"

/* A section the gateway adds: one stream it sends, modelled on the base section of its kind. */
struct sdp_extra_stream {
	enum sdp_kind kind;
	const char *mid;		/* new and unique in the session */
	struct sdp_local_stream stream; /* msid and SSRCs */
	bool is_active;			/* false: the section stays, disabled */
};

/*
 * A new offer from BASE (our last answer: its sections, transport and codecs) with version
 * VERSION on the o= line, a=setup:actpass (RFC 8842 §5.5 keeps the established association),
 * and one sendonly section per EXTRA, bundled with the others. A kind with no accepted base
 * section cannot be added (-EINVAL). Returns 0 and *offer (sdp_free it), or -ENOMEM/-EINVAL.
 */
int sdp_reoffer_create(const struct sdp *base, uint64_t version,
		       const struct sdp_extra_stream *extra, unsigned nb_extra, const char *cname,
		       struct sdp **offer, char *err, size_t errlen);

#endif
