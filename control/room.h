/* SPDX-License-Identifier: MIT */
/*
 * Rooms: named sets of members, created on first join and gone with the last leave. A member
 * is one connection's presence in one room, with a peer id unique in that room. The room layer
 * knows nothing of protocols or transports: a member's connection is an opaque pointer.
 */
#ifndef PONTE_CONTROL_ROOM_H
#define PONTE_CONTROL_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#define ROOM_NAME_MAX 128
#define ROOM_PEER_MAX 64

struct room;
struct room_hub;

struct room_member {
	struct room *room;
	void *conn; /* borrowed: the connection outlives its memberships */
	char peer[ROOM_PEER_MAX + 1];
	bool is_seed; /* joined with the seed protocol's c: (raw text delivery, no presence) */
};

struct room_hub *room_hub_new(unsigned max_rooms, unsigned max_members);
void room_hub_free(struct room_hub *hub);

/*
 * Add conn to ROOM (created if needed) as PEER. Returns 0 and the new member in *out, or
 * -ENOSPC (max_rooms reached, room does not exist), -EEXIST (peer id taken), -EBUSY (room full).
 */
int room_join(struct room_hub *hub, const char *room, void *conn, const char *peer, bool is_seed,
	      struct room_member **out);

/* Remove and free the member; the room is freed with its last member. */
void room_leave(struct room_hub *hub, struct room_member *m);

struct room *room_find(struct room_hub *hub, const char *name);
struct room_member *room_find_peer(struct room *room, const char *peer);
struct room_member *room_find_conn(struct room *room, const void *conn);
const char *room_name(const struct room *room);
unsigned room_nb_members(const struct room *room);
/* Members in join order; index < room_nb_members(). */
struct room_member *room_member_at(const struct room *room, unsigned i);
unsigned room_hub_nb_rooms(const struct room_hub *hub);
/* A room's media mode (enum ponte_room_media), set by whoever creates it. */
int room_media(const struct room *room);
void room_set_media(struct room *room, int media);

/* Room names: 1..ROOM_NAME_MAX bytes, no ':' (the seed m: separator), no control characters. */
bool room_name_is_valid(const char *name, size_t len);
/* Peer ids: 1..ROOM_PEER_MAX of [A-Za-z0-9_-]. */
bool room_peer_is_valid(const char *peer);

#endif
