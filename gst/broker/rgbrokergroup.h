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

#ifndef __RG_BROKER_GROUP_H__
#define __RG_BROKER_GROUP_H__

#include <glib.h>
#include "kafka/rgkafka.h"
#include "kafka/rgkafkaoffsets.h"
#include "kafka/rgkafkagroup.h"
#include "broker/rgbrokeroffsetstore.h"

G_BEGIN_DECLS

/*
 * The consumer-group coordinator: Kafka's group membership and offset
 * commit protocol as pure logic, with no sockets, threads or clock of its
 * own. Private to libgstrg (no RG_API); docs/clients.md ("Inside the
 * broker") and the top of rgbrokergroup.c describe the state machine.
 *
 * Driving it. The broker's dispatch decodes a request into one of the
 * request structs below and calls the matching function with the current
 * time (ms since the epoch, the clock Kafka's coordinator uses for its
 * timers and commit timestamps). A call either answers at once
 * (%RG_GROUP_DONE, the response struct is filled) or parks the request
 * (%RG_GROUP_PARKED): JoinGroup waits until every member rejoined or the
 * rebalance timeout passed, a follower's SyncGroup waits for the leader's
 * assignment. A parked request is answered later through
 * #RgGroupCallbacks, from inside a later call on the coordinator: another
 * member's request, rg_group_coordinator_poll() (timers: rebalance
 * timeouts, the initial join delay, session expiry) or
 * rg_group_coordinator_cancel(). Each parked request carries the caller's
 * @waiter pointer (typically the connection's pending request), given back
 * in the callback; rg_group_coordinator_cancel() forgets a waiter's parked
 * requests when its connection closes (the member stays, as in Kafka: its
 * session times out unless it reconnects). The loop asks
 * rg_group_coordinator_next_deadline() how long it may sleep.
 *
 * Durability. Every committed offset and every group state change Kafka
 * writes to __consumer_offsets is handed to RgGroupCallbacks.persist as
 * encoded key/value records (rgkafkaoffsets.h) before it is acknowledged;
 * a persist failure fails the request (COORDINATOR_NOT_AVAILABLE, which
 * clients retry) and changes nothing. The callback may return once the
 * records are written and leave waiting for their fdatasync to its caller
 * (the broker parks the OffsetCommit until then: rgbrokergroups.c), so
 * that one fdatasync covers many commits. Without a persist callback the
 * offsets live as long as the coordinator (in-memory mode). A restarted
 * broker replays the topic with rg_group_coordinator_load_record() between
 * rg_group_coordinator_begin_load() and rg_group_coordinator_activate();
 * until then every request is answered COORDINATOR_NOT_AVAILABLE (before
 * the load starts) or COORDINATOR_LOAD_IN_PROGRESS (during it), which
 * clients retry.
 *
 * Ownership. Request structs are borrowed for the call only (strings and
 * bytes may point into the request frame); the coordinator copies what it
 * keeps. Response structs, and everything they point to, belong to the
 * coordinator and are valid until the next call on it (for a DONE answer)
 * or until the callback returns (for a parked one): encode them at once.
 *
 * Errors are Kafka error codes in the responses (#RgGroupError), never
 * GErrors, except for rg_group_coordinator_load_record() (a record that is
 * not one of Kafka's schemas: RG_KAFKA_ERROR, the record is skipped).
 *
 * Thread-safety: none, and no locks. A coordinator belongs to the thread
 * that drives it (the broker's event loop); callbacks run on that thread,
 * inside the call that completed them, and must not call back into the
 * coordinator.
 */

typedef enum
{
  RG_GROUP_DONE,
  RG_GROUP_PARKED,
} RgGroupResult;

/**
 * RgGroupConfig:
 * @min_session_timeout_ms: group.min.session.timeout.ms (6000)
 * @max_session_timeout_ms: group.max.session.timeout.ms (1800000)
 * @initial_rebalance_delay_ms: group.initial.rebalance.delay.ms (3000):
 *   how long the first rebalance of an empty group waits for more members
 * @max_group_size: group.max.size (0: unlimited)
 * @max_metadata_bytes: offset.metadata.max.bytes (4096)
 *
 * Kafka's broker settings of the same names; rg_group_config_init() sets
 * Kafka's defaults.
 */
typedef struct
{
  gint32 min_session_timeout_ms;
  gint32 max_session_timeout_ms;
  gint32 initial_rebalance_delay_ms;
  guint max_group_size;
  gint32 max_metadata_bytes;
} RgGroupConfig;

void rg_group_config_init (RgGroupConfig * config);

/* ---- The coordinator ---- */

/**
 * RgGroupRecord:
 * @value: %NULL for a tombstone
 *
 * One __consumer_offsets record for RgGroupCallbacks.persist.
 */
typedef struct
{
  const guint8 *key;
  gsize key_len;
  const guint8 *value;
  gsize value_len;
} RgGroupRecord;

/**
 * RgGroupCallbacks:
 * @join_done: a parked JoinGroup is answered
 * @sync_done: a parked SyncGroup is answered
 * @persist: (nullable): make @records durable (in order, all or none)
 *   before the coordinator acknowledges them; %FALSE if they could not
 *   be. %NULL: offsets live in memory only.
 */
typedef struct
{
  void (*join_done) (gpointer waiter, const RgGroupJoinResponse * response,
      gpointer user_data);
  void (*sync_done) (gpointer waiter, const RgGroupSyncResponse * response,
      gpointer user_data);
  gboolean (*persist) (const RgGroupRecord * records, guint n_records,
      gpointer user_data);
} RgGroupCallbacks;

typedef struct _RgGroupCoordinator RgGroupCoordinator;

/* rg_group_coordinator_new: a coordinator that answers
 * COORDINATOR_NOT_AVAILABLE until activated. @config and @callbacks are
 * copied. */
RgGroupCoordinator *rg_group_coordinator_new (const RgGroupConfig * config,
    const RgGroupCallbacks * callbacks, gpointer user_data);

/* rg_group_coordinator_free: parked requests are dropped without their
 * callbacks. */
void rg_group_coordinator_free (RgGroupCoordinator * coordinator);

/* Loading: begin_load (answers turn to COORDINATOR_LOAD_IN_PROGRESS),
 * load_record for each record of __consumer_offsets in log order, then
 * activate, which rebuilds each group from its last metadata record
 * (members get a fresh session from @now_ms). activate without a load is
 * a fresh start. */
void rg_group_coordinator_begin_load (RgGroupCoordinator * coordinator);
gboolean rg_group_coordinator_load_record (RgGroupCoordinator * coordinator,
    const guint8 * key, gsize key_len, const guint8 * value,
    gsize value_len, GError ** error);
void rg_group_coordinator_activate (RgGroupCoordinator * coordinator,
    gint64 now_ms);

RgGroupResult rg_group_coordinator_join (RgGroupCoordinator * coordinator,
    const RgGroupJoinRequest * request, gpointer waiter, gint64 now_ms,
    RgGroupJoinResponse * response);
RgGroupResult rg_group_coordinator_sync (RgGroupCoordinator * coordinator,
    const RgGroupSyncRequest * request, gpointer waiter, gint64 now_ms,
    RgGroupSyncResponse * response);
gint16 rg_group_coordinator_heartbeat (RgGroupCoordinator * coordinator,
    const RgGroupHeartbeatRequest * request, gint64 now_ms);
void rg_group_coordinator_leave (RgGroupCoordinator * coordinator,
    const RgGroupLeaveRequest * request, gint64 now_ms,
    RgGroupLeaveResponse * response);

/* rg_group_coordinator_commit: fills @request->errors; returns the first
 * group-level error (also copied into every partition), or NONE. */
gint16 rg_group_coordinator_commit (RgGroupCoordinator * coordinator,
    const RgGroupCommitRequest * request, gint64 now_ms);
/* rg_group_coordinator_commit_txn: the offsets of a committed
 * transaction (TxnOffsetCommit, applied at EndTxn): stored without the
 * member and generation checks, in a group created when missing. Fills
 * @request->errors; returns the group-level error, or NONE. */
gint16 rg_group_coordinator_commit_txn (RgGroupCoordinator * coordinator,
    const RgGroupCommitRequest * request, gint64 now_ms);
void rg_group_coordinator_fetch (RgGroupCoordinator * coordinator,
    const RgGroupFetchRequest * request, RgGroupFetchResponse * response);

/* rg_group_coordinator_list: (array length=n_groups): the groups that are
 * not Dead, sorted by id; with @states_filter (v4+), only those whose
 * state is in it. Returns the error (load states). */
gint16 rg_group_coordinator_list (RgGroupCoordinator * coordinator,
    const RgGroupState * states_filter, guint n_states,
    const RgGroupListing ** groups, guint * n_groups);
void rg_group_coordinator_describe (RgGroupCoordinator * coordinator,
    RgKafkaStr group_id, RgGroupDescription * description);

/* rg_group_coordinator_delete: DeleteGroups for one group: NONE,
 * GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP or a load-state error. Writes the
 * tombstones of the group's offsets and metadata. */
gint16 rg_group_coordinator_delete (RgGroupCoordinator * coordinator,
    RgKafkaStr group_id);

/* rg_group_coordinator_delete_offsets: OffsetDelete of @group_id's
 * committed offsets of @partitions, with Kafka's rules: a group that is
 * unknown (or Dead) gets GROUP_ID_NOT_FOUND; an Empty group loses every
 * partition named; a consumer group with members keeps those of topics an
 * active member subscribes to (their @errors get GROUP_SUBSCRIBED_TO_TOPIC,
 * the subscription read from the members' "consumer" protocol metadata)
 * and loses the others; any other group with members gets
 * NON_EMPTY_GROUP. Tombstones of the offsets that existed are persisted
 * first (COORDINATOR_NOT_AVAILABLE if that fails, nothing deleted).
 * Fills @errors (one per partition, the group-level error copied into
 * each when there is one) and returns the group-level error, or NONE. */
gint16 rg_group_coordinator_delete_offsets (RgGroupCoordinator * coordinator,
    RgKafkaStr group_id, const RgGroupTopicPartition * partitions,
    guint n_partitions, gint16 * errors);

/* rg_group_coordinator_poll: fires what is due at @now_ms: completes
 * rebalances whose timeout or initial delay passed, expires members and
 * pending member ids whose session ran out. */
void rg_group_coordinator_poll (RgGroupCoordinator * coordinator,
    gint64 now_ms);

/* rg_group_coordinator_next_deadline: the earliest time poll has work, or
 * G_MAXINT64 if none. */
gint64 rg_group_coordinator_next_deadline (RgGroupCoordinator * coordinator);

/* rg_group_coordinator_cancel: forgets every parked request of @waiter;
 * its callback will not be called. */
void rg_group_coordinator_cancel (RgGroupCoordinator * coordinator,
    gpointer waiter);

/* rg_group_coordinator_get_offsets: (transfer none): the committed
 * offsets, for tests and statistics. */
RgOffsetStore *rg_group_coordinator_get_offsets (RgGroupCoordinator *
    coordinator);

G_END_DECLS

#endif /* __RG_BROKER_GROUP_H__ */
