/* SPDX-License-Identifier: MIT */
/* Gateway services reached through signaling: WebRTC sessions with the gateway (echo, relayed
 * rooms). Registers itself with the signaling core; everything on the main loop. */
#ifndef PONTE_CONTROL_GATEWAY_H
#define PONTE_CONTROL_GATEWAY_H

#include "session.h"
#include "signaling.h"

struct ponte_gateway;

struct ponte_sip;

/* env is copied (its pointers stay borrowed); sig and sip (NULL: no SIP side) are borrowed and
 * must outlive the gateway. */
int ponte_gateway_create(const struct ponte_session_env *env, struct ponte_signal *sig,
			 struct ponte_sip *sip, struct ponte_gateway **out);
void ponte_gateway_destroy(struct ponte_gateway *gw);
unsigned ponte_gateway_nb_sessions(const struct ponte_gateway *gw);
/* Add "gateway": {sessions, ended, by service, and each session's flow counters}. */
void ponte_gateway_status(struct ponte_gateway *gw, json_t *obj);

#endif
