/* SPDX-License-Identifier: MIT */
#include "room.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

struct room {
	char *name;
	int media;
	GPtrArray *members; /* struct room_member *, owned, in join order */
};

struct room_hub {
	GHashTable *rooms; /* name -> struct room *, owned */
	unsigned max_rooms;
	unsigned max_members;
};

static void room_free(gpointer p)
{
	struct room *room = p;

	g_ptr_array_free(room->members, TRUE);
	g_free(room->name);
	g_free(room);
}

struct room_hub *room_hub_new(unsigned max_rooms, unsigned max_members)
{
	struct room_hub *hub = g_new0(struct room_hub, 1);

	hub->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, room_free);
	hub->max_rooms = max_rooms;
	hub->max_members = max_members;
	return hub;
}

void room_hub_free(struct room_hub *hub)
{
	if (hub == NULL)
		return;
	g_hash_table_destroy(hub->rooms);
	g_free(hub);
}

int room_join(struct room_hub *hub, const char *name, void *conn, const char *peer, bool is_seed,
	      struct room_member **out)
{
	struct room *room = g_hash_table_lookup(hub->rooms, name);
	struct room_member *m;

	if (room == NULL) {
		if (g_hash_table_size(hub->rooms) >= hub->max_rooms)
			return -ENOSPC;
		room = g_new0(struct room, 1);
		room->name = g_strdup(name);
		room->members = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(hub->rooms, room->name, room);
	} else {
		if (room_find_peer(room, peer) != NULL)
			return -EEXIST;
		if (room->members->len >= hub->max_members)
			return -EBUSY;
	}
	m = g_new0(struct room_member, 1);
	m->room = room;
	m->conn = conn;
	m->is_seed = is_seed;
	g_strlcpy(m->peer, peer, sizeof(m->peer));
	g_ptr_array_add(room->members, m);
	*out = m;
	return 0;
}

void room_leave(struct room_hub *hub, struct room_member *m)
{
	struct room *room = m->room;

	/* Ordered removal keeps join order, which the joined reply's peer list shows. */
	g_ptr_array_remove(room->members, m);
	if (room->members->len == 0)
		g_hash_table_remove(hub->rooms, room->name);
}

struct room *room_find(struct room_hub *hub, const char *name)
{
	return g_hash_table_lookup(hub->rooms, name);
}

struct room_member *room_find_peer(struct room *room, const char *peer)
{
	for (guint i = 0; i < room->members->len; i++) {
		struct room_member *m = g_ptr_array_index(room->members, i);

		if (strcmp(m->peer, peer) == 0)
			return m;
	}
	return NULL;
}

struct room_member *room_find_conn(struct room *room, const void *conn)
{
	for (guint i = 0; i < room->members->len; i++) {
		struct room_member *m = g_ptr_array_index(room->members, i);

		if (m->conn == conn)
			return m;
	}
	return NULL;
}

const char *room_name(const struct room *room)
{
	return room->name;
}

unsigned room_nb_members(const struct room *room)
{
	return room->members->len;
}

struct room_member *room_member_at(const struct room *room, unsigned i)
{
	return g_ptr_array_index(room->members, i);
}

unsigned room_hub_nb_rooms(const struct room_hub *hub)
{
	return g_hash_table_size(hub->rooms);
}

int room_media(const struct room *room)
{
	return room->media;
}

void room_set_media(struct room *room, int media)
{
	room->media = media;
}

bool room_name_is_valid(const char *name, size_t len)
{
	if (len == 0 || len > ROOM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == ':' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

bool room_peer_is_valid(const char *peer)
{
	size_t len = strlen(peer);

	if (len == 0 || len > ROOM_PEER_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = peer[i];

		if (!g_ascii_isalnum(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}
