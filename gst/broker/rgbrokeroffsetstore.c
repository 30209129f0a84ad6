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

/* The in-memory image of __consumer_offsets: per group, a tree of
 * committed offsets ordered by (topic, partition), so that OffsetFetch for
 * "all topics" lists them in a stable order without sorting, and the
 * group's last metadata record. */

#include "broker/rgbrokeroffsetstore.h"

#include <string.h>

typedef struct
{
  GTree *offsets;               /* RgOffsetStoreEntry* → same (owned) */
  GBytes *metadata;             /* last GroupMetadataValue, or NULL */
} GroupOffsets;

struct _RgOffsetStore
{
  GHashTable *groups;           /* gchar* group → GroupOffsets* */
};

static gint
entry_compare (gconstpointer a, gconstpointer b, gpointer unused)
{
  const RgOffsetStoreEntry *x = a, *y = b;
  gint c = strcmp (x->topic, y->topic);

  if (c != 0)
    return c;
  return x->partition < y->partition ? -1 : x->partition > y->partition;
}

static void
entry_free (gpointer data)
{
  RgOffsetStoreEntry *e = data;

  g_free (e->topic);
  g_free (e->metadata);
  g_free (e);
}

static void
group_offsets_free (gpointer data)
{
  GroupOffsets *g = data;

  g_tree_unref (g->offsets);
  if (g->metadata)
    g_bytes_unref (g->metadata);
  g_free (g);
}

RgOffsetStore *
rg_offset_store_new (void)
{
  RgOffsetStore *store = g_new0 (RgOffsetStore, 1);

  store->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      group_offsets_free);
  return store;
}

void
rg_offset_store_free (RgOffsetStore * store)
{
  if (store == NULL)
    return;
  g_hash_table_unref (store->groups);
  g_free (store);
}

static GroupOffsets *
group_get (RgOffsetStore * store, const gchar * group, gboolean create)
{
  GroupOffsets *g = g_hash_table_lookup (store->groups, group);

  if (g == NULL && create) {
    g = g_new0 (GroupOffsets, 1);
    /* The entry is its own key: the value destructor frees it once. */
    g->offsets = g_tree_new_full (entry_compare, NULL, NULL, entry_free);
    g_hash_table_insert (store->groups, g_strdup (group), g);
  }
  return g;
}

/* A group with neither offsets nor metadata left is forgotten, as Kafka's
 * coordinator forgets it once its tombstones are written. */
static void
group_drop_if_empty (RgOffsetStore * store, const gchar * group)
{
  GroupOffsets *g = group_get (store, group, FALSE);

  if (g && g->metadata == NULL && g_tree_nnodes (g->offsets) == 0)
    g_hash_table_remove (store->groups, group);
}

void
rg_offset_store_commit (RgOffsetStore * store, const gchar * group,
    const RgOffsetStoreEntry * entry)
{
  GroupOffsets *g = group_get (store, group, TRUE);
  RgOffsetStoreEntry *copy = g_new (RgOffsetStoreEntry, 1);

  *copy = *entry;
  copy->topic = g_strdup (entry->topic);
  copy->metadata = g_strdup (entry->metadata ? entry->metadata : "");
  /* Removing frees the old entry (key and value are one object); the new
   * one becomes both. */
  g_tree_remove (g->offsets, copy);
  g_tree_insert (g->offsets, copy, copy);
}

const RgOffsetStoreEntry *
rg_offset_store_lookup (RgOffsetStore * store, const gchar * group,
    const gchar * topic, gint32 partition)
{
  GroupOffsets *g = group_get (store, group, FALSE);
  RgOffsetStoreEntry probe = { (gchar *) topic, partition };

  return g ? g_tree_lookup (g->offsets, &probe) : NULL;
}

static gboolean
collect_entry (gpointer key, gpointer value, gpointer data)
{
  g_ptr_array_add (data, value);
  return FALSE;
}

GPtrArray *
rg_offset_store_list (RgOffsetStore * store, const gchar * group)
{
  GroupOffsets *g = group_get (store, group, FALSE);
  GPtrArray *out = g_ptr_array_new ();

  if (g)
    g_tree_foreach (g->offsets, collect_entry, out);
  return out;
}

gboolean
rg_offset_store_has_group (RgOffsetStore * store, const gchar * group)
{
  return group_get (store, group, FALSE) != NULL;
}

void
rg_offset_store_delete_group (RgOffsetStore * store, const gchar * group)
{
  g_hash_table_remove (store->groups, group);
}

void
rg_offset_store_set_group_metadata (RgOffsetStore * store,
    const gchar * group, const guint8 * value, gsize len)
{
  GroupOffsets *g = group_get (store, group, value != NULL);

  if (g == NULL)
    return;
  if (g->metadata)
    g_bytes_unref (g->metadata);
  g->metadata = value ? g_bytes_new (value, len) : NULL;
  if (value == NULL)
    group_drop_if_empty (store, group);
}

GBytes *
rg_offset_store_get_group_metadata (RgOffsetStore * store,
    const gchar * group)
{
  GroupOffsets *g = group_get (store, group, FALSE);

  return g ? g->metadata : NULL;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

GPtrArray *
rg_offset_store_groups (RgOffsetStore * store)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, store->groups);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (out, key);
  g_ptr_array_sort (out, compare_names);
  return out;
}

static void
delete_offset (RgOffsetStore * store, const gchar * group,
    const gchar * topic, gint32 partition)
{
  GroupOffsets *g = group_get (store, group, FALSE);
  RgOffsetStoreEntry probe = { (gchar *) topic, partition };

  if (g == NULL)
    return;
  g_tree_remove (g->offsets, &probe);
  group_drop_if_empty (store, group);
}

void
rg_offset_store_forget (RgOffsetStore * store, const gchar * group,
    const gchar * topic, gint32 partition)
{
  delete_offset (store, group, topic, partition);
}

gboolean
rg_offset_store_replay (RgOffsetStore * store, const guint8 * key,
    gsize key_len, const guint8 * value, gsize value_len, GError ** error)
{
  RgKafkaOffsetsKey k;
  RgKafkaOffsetCommitValue v;
  RgKafkaGroupMetadataValue gm;
  gchar *group, *topic;

  if (!rg_kafka_offsets_key_decode (key, key_len, &k, error))
    return FALSE;
  /* Decode before touching the store, so a bad value changes nothing. */
  if (value && k.version <= 1 &&
      !rg_kafka_offset_commit_value_decode (value, value_len, &v, error))
    return FALSE;
  if (value && k.version == 2) {
    if (!rg_kafka_group_metadata_value_decode (value, value_len, &gm, error))
      return FALSE;
    rg_kafka_group_metadata_value_clear (&gm);
  }

  group = rg_kafka_str_dup (k.group);
  if (k.version == 2) {
    rg_offset_store_set_group_metadata (store, group, value, value_len);
  } else if (value == NULL) {
    topic = rg_kafka_str_dup (k.topic);
    delete_offset (store, group, topic, k.partition);
    g_free (topic);
  } else {
    RgOffsetStoreEntry e;

    e.topic = rg_kafka_str_dup (k.topic);
    e.partition = k.partition;
    e.offset = v.offset;
    e.leader_epoch = v.leader_epoch;
    e.metadata = rg_kafka_str_dup (v.metadata);
    e.commit_timestamp = v.commit_timestamp;
    e.expire_timestamp = v.expire_timestamp;
    rg_offset_store_commit (store, group, &e);
    g_free (e.topic);
    g_free (e.metadata);
  }
  g_free (group);
  return TRUE;
}
