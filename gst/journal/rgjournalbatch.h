/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The journal writer's entry points for batches someone else encoded: the
 * RecordBatch v2 bytes a Kafka producer sent to the embedded broker
 * (rgbrokeringest.c). Implemented in rgjournal.c beside the writer's own
 * append, so both share rotation, retention, indexing and group commit.
 * Private to libgstrg (not installed, no RG_API): the installed writer API
 * appends GstBuffers only, and a producer's batch is a broker concern.
 *
 * A batch is written as it arrived: its bytes are never re-encoded, only
 * its baseOffset (bytes 0-7, which the CRC-32C does not cover) is set to
 * the offset it gets, from a separate 8-byte buffer so the caller's memory
 * is not written to. Its index entries are those recovery would rebuild
 * from it: a .index entry at the usual interval, a .timeindex entry from
 * its maxTimestamp, and a .keyindex entry for every record without a
 * gst.flags DELTA_UNIT header (every record a foreign producer sends; none
 * for a compressed batch, whose records are not looked into).
 *
 * Thread-safety: as rg_journal_writer_append() (one appending thread).
 */

#ifndef __RG_JOURNAL_BATCH_H__
#define __RG_JOURNAL_BATCH_H__

#include "journal/rgjournal.h"

G_BEGIN_DECLS

/* Appends one whole RecordBatch v2 of @len bytes (exactly one batch: size,
 * magic and CRC-32C are checked, RG_JOURNAL_ERROR_INVALID otherwise, and
 * the writer stays usable). @offset receives the offset its first record
 * got; its records take lastOffsetDelta + 1 offsets. Rolls and applies
 * retention as rg_journal_writer_append() does (a batch counts as a
 * keyframe: a segment may start with it). Does not wait for durability
 * and, unlike rg_journal_writer_append(), never waits for the syncer
 * either when max_pending_bytes is 0. Other errors are those of
 * rg_journal_writer_append(), after which the writer is dead. */
gboolean rg_journal_writer_append_batch (RgJournalWriter * writer,
    const guint8 * batch, gsize len, guint64 * offset, GError ** error);

/* Changes the rotation and retention of an open writer to @config's
 * (max_segment_bytes, max_segment_time, max_bytes, max_age; the sync
 * policy stays): the next append rolls and applies retention by them.
 * From the appending thread only, which alone reads them (the broker's
 * loop, for a topic's AlterConfigs). */
void rg_journal_writer_set_limits (RgJournalWriter * writer,
    const RgJournalConfig * config);

/* Raises the journal's log start to @offset (never lowers it): the
 * closed segments whose records all lie below it are deleted now (the
 * directory fsynced), and those still being made durable at a later roll,
 * as retention deletes. The active segment is never deleted, so readers
 * must apply the log start themselves (the broker keeps it in a
 * checkpoint file: rgbrokeringest.h). Not kept across a reopen. Called
 * from the appending thread. */
void rg_journal_writer_set_log_start (RgJournalWriter * writer,
    guint64 offset);

/*
 * Called when the durable offset rises (a group commit, a segment sealed)
 * or the writer fails, from the thread that did it (the syncer, or the
 * appender when a roll seals a segment), with the writer's lock held: it
 * must be quick and must not call into the writer. The broker's wakes its
 * event loop, which then reads rg_journal_writer_get_durable_offset().
 */
typedef void (*RgJournalDurableFunc) (gpointer user_data);

/* Sets the one durable function (NULL: none). Once it returns, the
 * previous function is not running and will not be called again. */
void rg_journal_writer_set_durable_func (RgJournalWriter * writer,
    RgJournalDurableFunc func, gpointer user_data);

/* Whether the writer has failed (every later call fails). Any thread. */
gboolean rg_journal_writer_is_failed (RgJournalWriter * writer);

G_END_DECLS

#endif /* __RG_JOURNAL_BATCH_H__ */
