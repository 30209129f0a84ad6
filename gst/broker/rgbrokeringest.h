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
 * Durable ingest storage (rgbrokeringest.c): the journal a journal-backed
 * ingest topic writes the batches producers send into, and the directory
 * that holds one such journal per topic. Not installed.
 *
 * It sits beneath the topics (rgbrokertopic.c owns one log per durable
 * ingest topic and reads it back through rgbrokerjournal.c, like any
 * journal-backed topic) and above the journal writer (journal/rgjournal.h,
 * with the batch entry points of journal/rgjournalbatch.h). It knows
 * nothing of requests: the Produce handler asks, per partition, whether
 * the records it appended are durable yet (rg_broker_ingest_log_state()),
 * and is woken through the RgWaker each time the journal's durable offset
 * rises, so one fdatasync answers every producer waiting on it.
 *
 * Thread-safety: appends come from one thread (the broker's loop, through
 * the topic); the state may be read from any thread.
 */

#ifndef __RG_BROKER_INGEST_H__
#define __RG_BROKER_INGEST_H__

#include "broker/rgloop.h"
#include "journal/rgjournal.h"
#include "record/rgbatch.h"

G_BEGIN_DECLS

typedef struct _RgBrokerIngestLog RgBrokerIngestLog;

/* Where a produced range stands. */
typedef enum
{
  RG_BROKER_INGEST_DURABLE,
  RG_BROKER_INGEST_PENDING,
  RG_BROKER_INGEST_FAILED,
} RgBrokerIngestState;

/* Kafka's legal topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
 * An ingest topic is created from a name a client sent, and its journal is
 * a directory of that name, so the name must be one a Kafka cluster would
 * accept and one that cannot leave @root. @len -1: NUL-terminated. */
gboolean rg_broker_ingest_name_valid (const gchar * name, gssize len);

/* The journal of ingest topic @name under @root: "<root>/<name>". */
gchar *rg_broker_ingest_dir (const gchar * root, const gchar * name);

/* The names of the ingest journals under @root (each a directory whose
 * name is a legal topic name), sorted; empty when @root does not exist. */
GPtrArray *rg_broker_ingest_scan (const gchar * root);

/* Deletes the journal of ingest topic @name under @root (DeleteTopics):
 * renamed away at once, so a restart never serves it again, then its
 * files removed. FALSE with @error when the rename failed. */
gboolean rg_broker_ingest_remove (const gchar * root, const gchar * name,
    GError ** error);

/* Opens (creating, or recovering after a crash) the journal in @dir with
 * @config's sync policy, rotation and retention; @waker (referenced) is
 * woken whenever its durable offset rises or it fails. */
RgBrokerIngestLog *rg_broker_ingest_log_open (const gchar * dir,
    const RgJournalConfig * config, RgWaker * waker, GError ** error);

/* The journal's rotation and retention become @config's
 * (rg_journal_writer_set_limits()); from the appending thread. */
void rg_broker_ingest_log_set_limits (RgBrokerIngestLog * log,
    const RgJournalConfig * config);

/* Moves the journal's log start up to @offset (DeleteRecords; a lower
 * one changes nothing): the checkpoint file log-start-offset is written
 * durably, then the segments wholly below @offset are deleted
 * (rg_journal_writer_set_log_start()). A restart reads the checkpoint
 * back. FALSE with @error (RG_JOURNAL_ERROR) when the checkpoint could
 * not be made durable; the log start is then unchanged. Appending thread
 * (the broker's loop). */
gboolean rg_broker_ingest_log_set_log_start (RgBrokerIngestLog * log,
    guint64 offset, GError ** error);

/* The log start the checkpoint holds (0 without one). */
guint64 rg_broker_ingest_log_get_log_start (RgBrokerIngestLog * log);

/* Makes everything durable and closes the journal. */
void rg_broker_ingest_log_close (RgBrokerIngestLog * log);

/* (transfer full): the writer's tail, for the topic's reader. */
RgJournalTail *rg_broker_ingest_log_get_tail (RgBrokerIngestLog * log);

/* Appends the validated batches of a produced record set as they are
 * (only each baseOffset is set). @base_offset: the first batch's offset;
 * @end_offset: the offset after the last record, what an acknowledgement
 * waits for. Returns NONE, or KAFKA_STORAGE_ERROR once the journal has
 * failed (the batches before the failure may be written; none is
 * acknowledged). */
gint16 rg_broker_ingest_log_append (RgBrokerIngestLog * log,
    const guint8 * records, gsize len, gint64 * base_offset,
    guint64 * end_offset, guint64 * n_records);

/* Whether the records below @end_offset are durable under the log's sync
 * policy. With sync "none" the policy promises durability only at close,
 * so what is written counts as durable: the acknowledgement never waits. */
RgBrokerIngestState rg_broker_ingest_log_state (RgBrokerIngestLog * log,
    guint64 end_offset);

/* The journal's offsets: next to be written and first not durable. */
guint64 rg_broker_ingest_log_get_next_offset (RgBrokerIngestLog * log);
guint64 rg_broker_ingest_log_get_durable_offset (RgBrokerIngestLog * log);

/* Called for each batch of an idempotent producer (producer id >= 0), its
 * @info->base_offset the offset it got. */
typedef void (*RgBrokerIngestBatchFunc) (const RgBatchInfo * info,
    gpointer user_data);

/* Walks the batch headers of the journal's newest segment in log order,
 * calling @func for those of idempotent producers: what the broker
 * rebuilds the producers' sequence state from at start, as Kafka rebuilds
 * it from its log, so that a producer retrying a batch across a restart
 * is answered with its first offset instead of appending it again.
 * Producers whose last batch is in an older segment are not found. */
void rg_broker_ingest_log_foreach_producer_batch (RgBrokerIngestLog * log,
    RgBrokerIngestBatchFunc func, gpointer user_data);

/* The journal's counters (fdatasync calls among them). */
void rg_broker_ingest_log_get_stats (RgBrokerIngestLog * log,
    RgJournalStats * stats);

G_END_DECLS

#endif /* __RG_BROKER_INGEST_H__ */
