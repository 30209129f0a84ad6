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
 * The consumer-group apis of the embedded broker (rgbrokergroups.c): the
 * dispatch handlers of FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, ListGroups and DescribeGroups
 * over the group coordinator (rgbrokergroup.h), its timers, and the
 * durable __consumer_offsets topic (rgbrokeroffsettopic.h). Not
 * installed.
 *
 * The handlers follow the dispatch contract (rgbrokerdispatch.h) and
 * reach this object through RgBrokerRequestContext.groups. A JoinGroup
 * that waits for the rebalance, a follower's SyncGroup that waits for the
 * leader, and an OffsetCommit that waits for its fdatasync are PARKed;
 * the coordinator's completion (or the offset topic's durability thread)
 * stores the answer and wakes the loop, whose retry of the parked request
 * then sends it.
 *
 * Thread-safety: the handlers and rg_broker_groups_turn() run on the
 * broker's loop thread; rg_broker_groups_enable_journal() may be called
 * from any thread (an element starting). The coordinator is guarded by
 * one pthread mutex, held for the length of each call into it.
 */

#ifndef __RG_BROKER_GROUPS_H__
#define __RG_BROKER_GROUPS_H__

#include "broker/rgbrokerhandler.h"
#include "broker/rgbrokergroup.h"
#include "broker/rgloop.h"
#include "journal/rgjournal.h"
#include "kafka/rgkafkagroup.h"

G_BEGIN_DECLS

typedef struct _RgBrokerGroups RgBrokerGroups;

/* A coordinator with @config (copied), offsets in memory, answering at
 * once. @waker (referenced) is the broker loop's. */
RgBrokerGroups *rg_broker_groups_new (const RgGroupConfig * config,
    RgWaker * waker);

/* Closes the offsets journal (making it durable) and frees. Parked
 * requests must be gone (the connections are freed first). */
void rg_broker_groups_free (RgBrokerGroups * groups);

/* Makes committed offsets durable in the journal @dir (replayed now into
 * a new coordinator, which then replaces the in-memory one: groups formed
 * before are forgotten, their members rejoin). A second call with the
 * same @dir does nothing; with another one it fails (one offsets topic
 * per broker). FALSE with @error when the journal cannot be opened or
 * read. Any thread. */
gboolean rg_broker_groups_enable_journal (RgBrokerGroups * groups,
    const gchar * dir, RgJournalSync sync, GError ** error);

/* The coordinator's timers (rebalance and session timeouts): fires what
 * is due and returns the monotonic ms of the next one (G_MAXINT64 when
 * none). Loop thread. */
gint64 rg_broker_groups_turn (RgBrokerGroups * groups, gint64 now);

/* Stores the offsets of a committed transaction (@request's group,
 * partitions and errors, as rg_group_coordinator_commit_txn()), persisted
 * like any commit. Returns the group-level error. Loop thread. */
gint16 rg_broker_groups_commit_txn (RgBrokerGroups * groups,
    RgGroupCommitRequest * request);

/* DeleteGroups of one group (rg_group_coordinator_delete(): its
 * offsets' and metadata's tombstones are appended to __consumer_offsets).
 * @durable_end: what the answer must wait for
 * (rg_broker_groups_is_durable()), 0 for nothing. Loop thread. */
gint16 rg_broker_groups_delete_group (RgBrokerGroups * groups,
    RgKafkaStr group_id, guint64 * durable_end);

/* OffsetDelete (rg_group_coordinator_delete_offsets()), with
 * @durable_end as above. Loop thread. */
gint16 rg_broker_groups_delete_offsets (RgBrokerGroups * groups,
    RgKafkaStr group_id, const RgGroupTopicPartition * partitions,
    guint n_partitions, gint16 * errors, guint64 * durable_end);

/* Whether __consumer_offsets is durable up to @end (TRUE for 0 and
 * without a journal); @failed when it never will be. Any thread. */
gboolean rg_broker_groups_is_durable (RgBrokerGroups * groups, guint64 end,
    gboolean * failed);

/* The handlers of the api table. */
RgBrokerHandleResult rg_broker_groups_find_coordinator (const RgKafkaRequest
    * req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_join (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_sync (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_heartbeat (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_leave (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_commit (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_fetch (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_list (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_groups_describe (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_GROUPS_H__ */
