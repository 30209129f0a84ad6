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
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The __consumer_offsets topic on disk (contract in rgbrokeroffsettopic.h).
 *
 * Format: an ordinary gst-rg journal (docs/journal-format.md), one record
 * per __consumer_offsets record: the record key is Kafka's key
 * (OffsetCommitKey or GroupMetadataKey) and the record value Kafka's value
 * (OffsetCommitValue or GroupMetadataValue), byte for byte as a Kafka
 * broker writes them (rgkafkaoffsets.c), so rg-journal and any reader of
 * the journal format can inspect it. A tombstone (Kafka's null value) is
 * stored as an empty value: every value schema starts with an int16
 * version, so an empty value cannot be anything else.
 *
 * The journal keeps every record (no retention: deleting a segment would
 * lose the commits in it); Kafka compacts this topic, gst-rg does not yet,
 * so it grows by about a hundred bytes per committed partition.
 *
 * Group commit under RG_JOURNAL_SYNC_ALWAYS: the loop appends and returns;
 * the durability thread below waits for the newest appended offset with
 * rg_journal_writer_wait_durable(), publishes it and wakes the loop, whose
 * parked OffsetCommits then see rg_broker_offset_topic_is_durable(). One
 * wait covers every record appended before it started, so the number of
 * waits per second does not bound the commits per second.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokeroffsettopic.h"
#include "journal/rgjournalreader.h"
#include "record/rgmeta.h"

#include <pthread.h>

#define GST_CAT_DEFAULT rg_broker_debug
GST_DEBUG_CATEGORY_EXTERN (rg_broker_debug);

struct _RgBrokerOffsetTopic
{
  gchar *dir;
  RgJournalWriter *writer;
  RgJournalSync sync;
  RgWaker *waker;

  /* Loop thread only. */
  guint64 end;

  /* Under lock: what the durability thread is asked to wait for and what
   * it found durable (offsets after the last record, 0 = nothing). */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  guint64 requested;
  guint64 durable;
  gboolean failed;
  gboolean quit;
  gboolean has_thread;
  pthread_t thread;
};

static void *
durability_thread (gpointer data)
{
  RgBrokerOffsetTopic *t = data;

  pthread_mutex_lock (&t->lock);
  while (!t->quit) {
    guint64 target;
    gboolean ok;

    if (t->requested <= t->durable || t->failed) {
      pthread_cond_wait (&t->cond, &t->lock);
      continue;
    }
    target = t->requested;
    pthread_mutex_unlock (&t->lock);
    ok = rg_journal_writer_wait_durable (t->writer, target - 1, NULL);
    pthread_mutex_lock (&t->lock);
    if (ok)
      t->durable = MAX (t->durable, target);
    else
      t->failed = TRUE;
    rg_waker_wake (t->waker);
  }
  pthread_mutex_unlock (&t->lock);
  return NULL;
}

RgBrokerOffsetTopic *
rg_broker_offset_topic_open (const gchar * dir, RgJournalSync sync,
    RgWaker * waker, GError ** error)
{
  RgBrokerOffsetTopic *t;
  RgJournalConfig config;
  RgJournalWriter *writer;

  rg_journal_config_init (&config);
  config.sync = sync;
  /* Small segments: the topic is small records, and a reader's replay
   * maps one segment at a time. */
  config.max_segment_bytes = 16 * 1024 * 1024;
  writer = rg_journal_writer_open (dir, &config, error);
  if (!writer)
    return NULL;

  t = g_new0 (RgBrokerOffsetTopic, 1);
  t->dir = g_strdup (dir);
  t->writer = writer;
  t->sync = sync;
  t->waker = rg_waker_ref (waker);
  t->end = rg_journal_writer_get_next_offset (writer);
  t->requested = t->durable = t->end;
  pthread_mutex_init (&t->lock, NULL);
  pthread_cond_init (&t->cond, NULL);
  if (sync == RG_JOURNAL_SYNC_ALWAYS
      && pthread_create (&t->thread, NULL, durability_thread, t) == 0)
    t->has_thread = TRUE;
  else if (sync == RG_JOURNAL_SYNC_ALWAYS)
    GST_WARNING ("no durability thread for %s: commits are acknowledged "
        "once written", dir);
  return t;
}

gboolean
rg_broker_offset_topic_close (RgBrokerOffsetTopic * t, GError ** error)
{
  gboolean ok;

  if (t->has_thread) {
    pthread_mutex_lock (&t->lock);
    t->quit = TRUE;
    pthread_cond_signal (&t->cond);
    pthread_mutex_unlock (&t->lock);
    pthread_join (t->thread, NULL);
  }
  ok = rg_journal_writer_close (t->writer, error);
  pthread_mutex_destroy (&t->lock);
  pthread_cond_destroy (&t->cond);
  rg_waker_unref (t->waker);
  g_free (t->dir);
  g_free (t);
  return ok;
}

/* One journal record into the coordinator. */
static void
replay_record (RgGroupCoordinator * coordinator, const RgJournalRecord * rec)
{
  GstRgMeta *meta = gst_buffer_get_rg_meta (rec->buffer);
  GBytes *key = meta ? gst_rg_meta_get_key (meta) : NULL;
  GstMapInfo map;
  GError *error = NULL;
  gsize key_len = 0;
  const guint8 *key_data;

  if (!key) {
    GST_WARNING ("__consumer_offsets record %" G_GUINT64_FORMAT
        " has no key: skipped", rec->offset);
    return;
  }
  key_data = g_bytes_get_data (key, &key_len);
  if (!gst_buffer_map (rec->buffer, &map, GST_MAP_READ)) {
    g_bytes_unref (key);
    return;
  }
  if (!rg_group_coordinator_load_record (coordinator, key_data, key_len,
          map.size ? map.data : NULL, map.size, &error)) {
    GST_WARNING ("__consumer_offsets record %" G_GUINT64_FORMAT
        " skipped: %s", rec->offset, error->message);
    g_clear_error (&error);
  }
  gst_buffer_unmap (rec->buffer, &map);
  g_bytes_unref (key);
}

gboolean
rg_broker_offset_topic_replay (RgBrokerOffsetTopic * t,
    RgGroupCoordinator * coordinator, guint * n_records, GError ** error)
{
  RgJournalReader *reader = rg_journal_reader_open (t->dir, error);
  RgJournalRecord rec = { 0, };
  RgJournalReadResult res;

  *n_records = 0;
  if (!reader)
    return FALSE;
  while ((res = rg_journal_reader_next (reader, &rec, FALSE, -1, error))
      == RG_JOURNAL_READ_OK) {
    replay_record (coordinator, &rec);
    rg_journal_record_clear (&rec);
    (*n_records)++;
  }
  rg_journal_reader_free (reader);
  return res == RG_JOURNAL_READ_END;
}

gboolean
rg_broker_offset_topic_append (RgBrokerOffsetTopic * t,
    const RgGroupRecord * records, guint n_records, GError ** error)
{
  guint i;

  for (i = 0; i < n_records; i++) {
    GBytes *key = g_bytes_new (records[i].key, records[i].key_len);
    GstBuffer *value = records[i].value ?
        gst_buffer_new_memdup (records[i].value, records[i].value_len) :
        gst_buffer_new ();
    guint64 offset;
    gboolean ok;

    ok = rg_journal_writer_append (t->writer, value, -1, key, &offset,
        error);
    gst_buffer_unref (value);
    g_bytes_unref (key);
    if (!ok)
      return FALSE;
    t->end = offset + 1;
  }
  if (t->has_thread) {
    pthread_mutex_lock (&t->lock);
    t->requested = MAX (t->requested, t->end);
    pthread_cond_signal (&t->cond);
    pthread_mutex_unlock (&t->lock);
  }
  return TRUE;
}

guint64
rg_broker_offset_topic_end (RgBrokerOffsetTopic * t)
{
  return t->end;
}

gboolean
rg_broker_offset_topic_is_durable (RgBrokerOffsetTopic * t, guint64 end,
    gboolean * failed)
{
  gboolean durable;

  *failed = FALSE;
  if (!t->has_thread)
    return TRUE;
  pthread_mutex_lock (&t->lock);
  durable = t->durable >= end;
  *failed = t->failed;
  pthread_mutex_unlock (&t->lock);
  return durable;
}
