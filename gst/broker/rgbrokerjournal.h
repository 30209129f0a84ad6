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
 * Journal-backed topic storage of the broker (rgbrokerjournal.c). Not
 * installed. Every function is called with the owning topic's lock held.
 */

#ifndef __RG_BROKER_JOURNAL_H__
#define __RG_BROKER_JOURNAL_H__

#include "journal/rgjournal.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RgBrokerJournal RgBrokerJournal;

/*
 * The result of reading one partition for a Fetch, from a journal here or
 * from an in-memory topic (rgbrokertopic.h, which includes this header).
 * @error_code: Kafka error code of the partition
 * @high_watermark, @log_start_offset: the partition's range
 * @refs: RgKafkaRecordsRef, each holding a reference on its record (the
 *   notify releases it)
 * @bytes, @records: what @refs hold
 * @next_offset: the offset after the last record in @refs (the fetch
 *   offset when empty)
 */
typedef struct
{
  gint16 error_code;
  gint64 high_watermark;
  gint64 log_start_offset;
  gsize bytes;
  guint records;
  gint64 next_offset;
} RgBrokerCollect;

/* @tail: (nullable): the tail of the writer appending in this process. */
RgBrokerJournal *rg_broker_journal_new (const gchar * dir,
    RgJournalTail * tail);
void rg_broker_journal_free (RgBrokerJournal * journal);

/* Calls @func (NULL: stops) when the in-process writer's tail moves. */
void rg_broker_journal_watch (RgBrokerJournal * journal,
    RgJournalTailFunc func, gpointer user_data);

/* Whether parked fetches must look at the files on a timer: there is no
 * writer's tail to tell them, or it no longer answers. Any thread. */
gboolean rg_broker_journal_needs_poll (RgBrokerJournal * journal);

/* Refreshes the segment list and the scan; returns the readable range. */
void rg_broker_journal_range (RgBrokerJournal * journal, guint64 * log_start,
    guint64 * high_watermark);

/* Raises the log start to @offset (DeleteRecords): the range, collects
 * and ListOffsets answer as if the records below it were gone, whether or
 * not their segment still exists. */
void rg_broker_journal_set_log_start (RgBrokerJournal * journal,
    guint64 offset);

/* As rg_broker_topic_collect(), with FILE references to segment ranges,
 * and only batches that begin before @until (G_MAXUINT64: no limit; the
 * topic serves the offsets from @until on from memory). */
void rg_broker_journal_collect (RgBrokerJournal * journal,
    gint64 fetch_offset, guint64 until, gsize max_bytes,
    gboolean first_whole, GArray * refs, RgBrokerCollect * result);

void rg_broker_journal_list_offset (RgBrokerJournal * journal,
    gint64 timestamp, gint64 * offset, gint64 * found_timestamp);

G_END_DECLS

#endif /* __RG_BROKER_JOURNAL_H__ */
