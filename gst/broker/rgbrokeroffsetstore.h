/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

#ifndef __RG_BROKER_OFFSET_STORE_H__
#define __RG_BROKER_OFFSET_STORE_H__

#include <glib.h>
#include "kafka/rgkafkaoffsets.h"

G_BEGIN_DECLS

/*
 * The committed offsets of every consumer group, in memory: what
 * OffsetFetch answers. Private to libgstrg (no RG_API).
 *
 * The store is the in-memory image of the __consumer_offsets topic. It is
 * filled either by commits (rg_offset_store_commit()) or by replaying that
 * topic's records in log order (rg_offset_store_replay()): the last record
 * for a (group, topic, partition) wins and a tombstone (null value) deletes
 * it, exactly as Kafka's coordinator loads the topic. The store also keeps
 * the last group-metadata record of each group, undecoded, so that the
 * coordinator can rebuild its groups after a replay
 * (rg_offset_store_get_group_metadata()).
 *
 * Ownership: the store copies every string and record it keeps; returned
 * entries and bytes stay valid until the next call that changes the store.
 *
 * Errors: only rg_offset_store_replay() fails, with the decoder's
 * RG_KAFKA_ERROR (a record that is not one of Kafka's schemas); the store
 * is then unchanged, so a replay can report and skip a bad record.
 *
 * Thread-safety: none. A store belongs to one thread (the broker's loop,
 * through the group coordinator).
 */

typedef struct _RgOffsetStore RgOffsetStore;

/**
 * RgOffsetStoreEntry:
 * @topic: the topic
 * @partition: the partition
 * @offset: the committed offset
 * @leader_epoch: the leader epoch the client sent, or -1
 * @metadata: the client's metadata string (never %NULL)
 * @commit_timestamp: ms since the epoch
 * @expire_timestamp: ms since the epoch, or -1 for none
 *
 * One committed offset.
 */
typedef struct
{
  gchar *topic;
  gint32 partition;
  gint64 offset;
  gint32 leader_epoch;
  gchar *metadata;
  gint64 commit_timestamp;
  gint64 expire_timestamp;
} RgOffsetStoreEntry;

RgOffsetStore *rg_offset_store_new (void);
void rg_offset_store_free (RgOffsetStore * store);

/* rg_offset_store_commit: sets the committed offset of @group's
 * @entry->topic / @entry->partition (copied); the last commit wins. */
void rg_offset_store_commit (RgOffsetStore * store, const gchar * group,
    const RgOffsetStoreEntry * entry);

/* rg_offset_store_lookup: (transfer none) (nullable): the committed offset,
 * %NULL if none. */
const RgOffsetStoreEntry *rg_offset_store_lookup (RgOffsetStore * store,
    const gchar * group, const gchar * topic, gint32 partition);

/* rg_offset_store_list: (transfer container): the committed offsets of
 * @group sorted by topic then partition, an empty array if none. */
GPtrArray *rg_offset_store_list (RgOffsetStore * store, const gchar * group);

/* rg_offset_store_has_group: %TRUE if @group has a committed offset or a
 * group-metadata record. */
gboolean rg_offset_store_has_group (RgOffsetStore * store,
    const gchar * group);

/* rg_offset_store_delete_group: forgets @group's offsets and metadata. */
void rg_offset_store_delete_group (RgOffsetStore * store, const gchar * group);

/* rg_offset_store_forget: forgets @group's committed offset of @topic /
 * @partition, if any (OffsetDelete). */
void rg_offset_store_forget (RgOffsetStore * store, const gchar * group,
    const gchar * topic, gint32 partition);

/* rg_offset_store_set_group_metadata: keeps @value (a GroupMetadataValue
 * record, copied) as @group's metadata; %NULL forgets it. */
void rg_offset_store_set_group_metadata (RgOffsetStore * store,
    const gchar * group, const guint8 * value, gsize len);

/* rg_offset_store_get_group_metadata: (transfer none) (nullable): @group's
 * last GroupMetadataValue record. */
GBytes *rg_offset_store_get_group_metadata (RgOffsetStore * store,
    const gchar * group);

/* rg_offset_store_groups: (transfer container): the ids of the groups
 * the store knows (owned by the store), sorted. */
GPtrArray *rg_offset_store_groups (RgOffsetStore * store);

/* rg_offset_store_replay: applies one __consumer_offsets record; @value
 * %NULL is a tombstone. */
gboolean rg_offset_store_replay (RgOffsetStore * store, const guint8 * key,
    gsize key_len, const guint8 * value, gsize value_len, GError ** error);

G_END_DECLS

#endif /* __RG_BROKER_OFFSET_STORE_H__ */
