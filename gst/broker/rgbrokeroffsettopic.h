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
 * The durable __consumer_offsets topic of the embedded broker
 * (rgbrokeroffsettopic.c): a journal directory (journal/rgjournal.h)
 * whose records are Kafka's __consumer_offsets key/value pairs
 * (kafka/rgkafkaoffsets.h), appended by the group coordinator's persist
 * callback and replayed into it when the broker starts. Not installed.
 *
 * Durability: with RG_JOURNAL_SYNC_ALWAYS a commit is acknowledged only
 * once an fdatasync covers it. The loop thread never waits for that: a
 * helper thread waits (rg_journal_writer_wait_durable()) for the newest
 * appended record and wakes the loop when it is durable, so every commit
 * appended during one fdatasync is acknowledged by the next (group
 * commit). Under the other policies a commit is acknowledged once
 * written, as the sink's own records are.
 *
 * Thread-safety: open, replay, append and close are for one thread at a
 * time (the broker serialises them); rg_broker_offset_topic_is_durable()
 * may be called from any thread.
 */

#ifndef __RG_BROKER_OFFSET_TOPIC_H__
#define __RG_BROKER_OFFSET_TOPIC_H__

#include "broker/rgbrokergroup.h"
#include "broker/rgloop.h"
#include "journal/rgjournal.h"

G_BEGIN_DECLS

typedef struct _RgBrokerOffsetTopic RgBrokerOffsetTopic;

/* Opens (creating it if missing) the journal @dir with the sync policy
 * @sync; @waker (referenced) is woken when records became durable.
 * NULL with @error (RG_JOURNAL_ERROR) when the journal cannot be opened
 * (locked by another writer, not writable, damaged). */
RgBrokerOffsetTopic *rg_broker_offset_topic_open (const gchar * dir,
    RgJournalSync sync, RgWaker * waker, GError ** error);

/* Makes everything durable and closes; FALSE with @error when the final
 * sync failed. Frees @topic either way. */
gboolean rg_broker_offset_topic_close (RgBrokerOffsetTopic * topic,
    GError ** error);

/* Feeds every record of the topic, in log order, to
 * rg_group_coordinator_load_record() (a record that is none of Kafka's
 * schemas is skipped with a warning; an empty value is a tombstone).
 * @n_records receives how many were read. FALSE with @error when the
 * journal cannot be read. */
gboolean rg_broker_offset_topic_replay (RgBrokerOffsetTopic * topic,
    RgGroupCoordinator * coordinator, guint * n_records, GError ** error);

/* Appends @records (a tombstone as an empty value). FALSE with @error
 * when the journal refused them; the journal is then dead and every later
 * append fails too. */
gboolean rg_broker_offset_topic_append (RgBrokerOffsetTopic * topic,
    const RgGroupRecord * records, guint n_records, GError ** error);

/* The offset after the last record appended: what a commit appended now
 * waits for. */
guint64 rg_broker_offset_topic_end (RgBrokerOffsetTopic * topic);

/* Whether every record before @end is acknowledged-durable (always TRUE
 * unless the policy is RG_JOURNAL_SYNC_ALWAYS). *@failed is set when the
 * journal failed: such records will never be durable. */
gboolean rg_broker_offset_topic_is_durable (RgBrokerOffsetTopic * topic,
    guint64 end, gboolean * failed);

G_END_DECLS

#endif /* __RG_BROKER_OFFSET_TOPIC_H__ */
