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

/* Tests of the consumer-group coordinator (gst/broker/rgbrokergroup.c)
 * and its offset store. Time is a number the test passes in, so every
 * timeout is checked at its exact millisecond. Each test plays the
 * requests real consumers send (librdkafka's sequence: JoinGroup with an
 * empty member id, MEMBER_ID_REQUIRED, JoinGroup again, SyncGroup,
 * Heartbeat, OffsetCommit) and checks what a client would see: error
 * codes, generations, member ids, leaders, assignments, offsets. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "broker/rgbrokergroup.h"

#define S(x) rg_kafka_str_from_cstr (x)
#define SESSION 10000
#define REBALANCE 30000

typedef struct
{
  gpointer waiter;
  gint16 error;
  gint32 generation;
  gchar *member_id;
  gchar *leader;
  gchar *protocol;
  guint n_members;
} JoinResult;

typedef struct
{
  gpointer waiter;
  gint16 error;
  GBytes *assignment;
} SyncResult;

typedef struct
{
  RgGroupCoordinator *c;
  GArray *joins;                /* JoinResult */
  GArray *syncs;                /* SyncResult */
  GPtrArray *records;           /* GBytes key, GBytes value (or NULL) */
  gboolean fail_persist;
  guint persist_calls;
} Harness;

static void
on_join (gpointer waiter, const RgGroupJoinResponse * r, gpointer data)
{
  Harness *h = data;
  JoinResult j = { waiter, r->error, r->generation_id,
    g_strdup (r->member_id), g_strdup (r->leader),
    g_strdup (r->protocol_name), r->n_members
  };

  g_array_append_val (h->joins, j);
}

static void
on_sync (gpointer waiter, const RgGroupSyncResponse * r, gpointer data)
{
  Harness *h = data;
  SyncResult s = { waiter, r->error, g_bytes_ref (r->assignment) };

  g_array_append_val (h->syncs, s);
}

static gboolean
on_persist (const RgGroupRecord * records, guint n, gpointer data)
{
  Harness *h = data;
  guint i;

  h->persist_calls++;
  if (h->fail_persist)
    return FALSE;
  for (i = 0; i < n; i++) {
    g_ptr_array_add (h->records, g_bytes_new (records[i].key,
            records[i].key_len));
    g_ptr_array_add (h->records, records[i].value ?
        g_bytes_new (records[i].value, records[i].value_len) : NULL);
  }
  return TRUE;
}

static void
join_result_clear (gpointer data)
{
  JoinResult *j = data;

  g_free (j->member_id);
  g_free (j->leader);
  g_free (j->protocol);
}

static void
sync_result_clear (gpointer data)
{
  g_bytes_unref (((SyncResult *) data)->assignment);
}

static void
bytes_free0 (gpointer b)
{
  if (b)
    g_bytes_unref (b);
}

static Harness *
harness_new (gint32 initial_delay)
{
  Harness *h = g_new0 (Harness, 1);
  RgGroupCallbacks cb = { on_join, on_sync, on_persist };
  RgGroupConfig config;

  rg_group_config_init (&config);
  config.initial_rebalance_delay_ms = initial_delay;
  h->c = rg_group_coordinator_new (&config, &cb, h);
  h->joins = g_array_new (FALSE, TRUE, sizeof (JoinResult));
  g_array_set_clear_func (h->joins, join_result_clear);
  h->syncs = g_array_new (FALSE, TRUE, sizeof (SyncResult));
  g_array_set_clear_func (h->syncs, sync_result_clear);
  h->records = g_ptr_array_new_with_free_func (bytes_free0);
  rg_group_coordinator_activate (h->c, 0);
  return h;
}

static void
harness_free (Harness * h)
{
  rg_group_coordinator_free (h->c);
  g_array_unref (h->joins);
  g_array_unref (h->syncs);
  g_ptr_array_unref (h->records);
  g_free (h);
}

/* A consumer's JoinGroup for "g" with one or two assignors, as librdkafka
 * sends it (protocol type "consumer", metadata = the member's name). */
typedef struct
{
  RgGroupJoinRequest req;
  RgGroupProtocol protocols[2];
} Join;

static void
join_init (Join * j, gint16 version, const gchar * member,
    const gchar * instance, const gchar * p1, const gchar * p2)
{
  memset (j, 0, sizeof (*j));
  j->req.version = version;
  j->req.group_id = S ("g");
  j->req.session_timeout_ms = SESSION;
  j->req.rebalance_timeout_ms = REBALANCE;
  j->req.member_id = S (member ? member : "");
  j->req.group_instance_id = S (instance);
  j->req.protocol_type = S ("consumer");
  j->protocols[0].name = S (p1);
  j->protocols[0].metadata = (RgKafkaBytes) {
  (const guint8 *) p1, (gint32) strlen (p1)};
  j->protocols[1].name = S (p2);
  j->protocols[1].metadata = (RgKafkaBytes) {
  (const guint8 *) "m2", 2};
  j->req.protocols = j->protocols;
  j->req.n_protocols = p2 ? 2 : 1;
  j->req.client_id = S ("rdkafka");
  j->req.client_host = S ("/127.0.0.1");
}

static RgGroupResult
join (Harness * h, const gchar * member, gpointer waiter, gint64 now,
    RgGroupJoinResponse * resp)
{
  Join j;

  join_init (&j, 5, member, NULL, "range", NULL);
  return rg_group_coordinator_join (h->c, &j.req, waiter, now, resp);
}

/* The KIP-394 handshake: returns the member id MEMBER_ID_REQUIRED gave. */
static gchar *
get_member_id (Harness * h, gint64 now)
{
  RgGroupJoinResponse resp;

  fail_unless_equals_int (join (h, NULL, NULL, now, &resp), RG_GROUP_DONE);
  fail_unless_equals_int (resp.error, RG_GROUP_ERR_MEMBER_ID_REQUIRED);
  fail_unless_equals_int (resp.generation_id, -1);
  fail_unless (g_str_has_prefix (resp.member_id, "rdkafka-"), "%s",
      resp.member_id);
  return g_strdup (resp.member_id);
}

static RgGroupResult
sync_req_in (RgGroupCoordinator * c, const gchar * member,
    gint32 generation, const RgGroupAssignment * assignments, guint n,
    gpointer waiter, gint64 now, RgGroupSyncResponse * resp)
{
  RgGroupSyncRequest req = { S ("g"), generation, S (member),
    RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, assignments, n
  };

  return rg_group_coordinator_sync (c, &req, waiter, now, resp);
}

static RgGroupResult
sync_req (Harness * h, const gchar * member, gint32 generation,
    const RgGroupAssignment * assignments, guint n, gpointer waiter,
    gint64 now, RgGroupSyncResponse * resp)
{
  return sync_req_in (h->c, member, generation, assignments, n, waiter, now,
      resp);
}

static gint16
heartbeat (Harness * h, const gchar * member, gint32 generation, gint64 now)
{
  RgGroupHeartbeatRequest req = { S ("g"), generation, S (member),
    RG_KAFKA_STR_NULL
  };

  return rg_group_coordinator_heartbeat (h->c, &req, now);
}

static gint16
commit (Harness * h, const gchar * group, const gchar * member,
    gint32 generation, gint32 partition, gint64 offset, gint64 now)
{
  RgGroupCommitPartition p = { S ("video"), partition, offset, 4, S ("md"),
    -1
  };
  gint16 err = 99;
  RgGroupCommitRequest req = { S (group), generation, S (member),
    RG_KAFKA_STR_NULL, -1, &p, 1, &err
  };
  gint16 top = rg_group_coordinator_commit (h->c, &req, now);

  fail_unless_equals_int (top == RG_GROUP_ERR_NONE ? err : top, err);
  return err;
}

static gint64
fetched (Harness * h, const gchar * group, gint32 partition)
{
  RgGroupTopicPartition tp = { S ("video"), partition };
  RgGroupFetchRequest req = { S (group), FALSE, &tp, 1 };
  RgGroupFetchResponse resp;

  rg_group_coordinator_fetch (h->c, &req, &resp);
  fail_unless_equals_int (resp.error, 0);
  fail_unless_equals_int (resp.n_partitions, 1);
  fail_unless_equals_string (resp.partitions[0].topic, "video");
  return resp.partitions[0].offset;
}

static RgGroupState
describe_state (Harness * h)
{
  RgGroupDescription d;

  rg_group_coordinator_describe (h->c, S ("g"), &d);
  return d.state;
}

/* Brings up a Stable group of one member and returns its id. */
static gchar *
stable_single (Harness * h, gint64 now)
{
  gchar *id = get_member_id (h, now);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment a = { S (id), {(const guint8 *) "A", 1} };

  fail_unless_equals_int (join (h, id, NULL, now, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  fail_unless_equals_int (sync_req (h, id, jr.generation_id, &a, 1, NULL,
          now, &sr), RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, 0);
  return id;
}

GST_START_TEST (test_load_states)
{
  RgGroupCoordinator *c = rg_group_coordinator_new (NULL, NULL, NULL);
  RgGroupJoinResponse resp;
  const RgGroupListing *list;
  guint n;
  Join j;

  join_init (&j, 5, NULL, NULL, "range", NULL);
  /* Before the broker starts the coordinator: not available. */
  fail_unless_equals_int (rg_group_coordinator_join (c, &j.req, NULL, 0,
          &resp), RG_GROUP_DONE);
  fail_unless_equals_int (resp.error,
      RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  /* While __consumer_offsets is replayed: loading. */
  rg_group_coordinator_begin_load (c);
  rg_group_coordinator_join (c, &j.req, NULL, 0, &resp);
  fail_unless_equals_int (resp.error,
      RG_GROUP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
  fail_unless_equals_int (rg_group_coordinator_list (c, NULL, 0, &list, &n),
      RG_GROUP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
  rg_group_coordinator_activate (c, 0);
  rg_group_coordinator_join (c, &j.req, NULL, 0, &resp);
  fail_unless_equals_int (resp.error, RG_GROUP_ERR_MEMBER_ID_REQUIRED);
  rg_group_coordinator_free (c);
}

GST_END_TEST;

GST_START_TEST (test_single_member)
{
  Harness *h = harness_new (0);
  gchar *id = get_member_id (h, 0);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment a = { S (id), {(const guint8 *) "p0", 2} };
  RgGroupDescription d;
  gsize len;

  /* With no initial delay the only member completes the join itself. */
  fail_unless_equals_int (join (h, id, NULL, 10, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  fail_unless_equals_int (jr.generation_id, 1);
  fail_unless_equals_string (jr.leader, id);
  fail_unless_equals_string (jr.member_id, id);
  fail_unless_equals_string (jr.protocol_name, "range");
  fail_unless_equals_string (jr.protocol_type, "consumer");
  fail_unless_equals_int (jr.n_members, 1);
  fail_unless_equals_string (jr.members[0].member_id, id);
  fail_unless (g_bytes_get_size (jr.members[0].metadata) == 5);
  fail_unless_equals_int (describe_state (h),
      RG_GROUP_COMPLETING_REBALANCE);

  fail_unless_equals_int (sync_req (h, id, 1, &a, 1, NULL, 20, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, 0);
  fail_unless (memcmp (g_bytes_get_data (sr.assignment, &len), "p0", 2)
      == 0 && len == 2);
  fail_unless_equals_int (heartbeat (h, id, 1, 30), 0);
  fail_unless_equals_int (heartbeat (h, id, 0, 30),
      RG_GROUP_ERR_ILLEGAL_GENERATION);
  fail_unless_equals_int (heartbeat (h, "nobody", 1, 30),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);

  rg_group_coordinator_describe (h->c, S ("g"), &d);
  fail_unless_equals_string (rg_group_state_name (d.state), "Stable");
  fail_unless_equals_string (d.protocol, "range");
  fail_unless_equals_int (d.n_members, 1);
  fail_unless_equals_string (d.members[0].client_host, "/127.0.0.1");
  fail_unless_equals_int (g_bytes_get_size (d.members[0].assignment), 2);
  /* No parked request was ever answered through a callback. */
  fail_unless_equals_int (h->joins->len, 0);
  fail_unless_equals_int (h->syncs->len, 0);
  g_free (id);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_two_members_rebalance)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0), *b;
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment assign[2];
  JoinResult *jb;
  gsize len;
  gint waiter_b = 0;

  b = get_member_id (h, 100);
  /* B's join parks: A must rejoin first. */
  fail_unless_equals_int (join (h, b, &waiter_b, 100, &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (describe_state (h), RG_GROUP_PREPARING_REBALANCE);
  fail_unless_equals_int (heartbeat (h, a, 1, 200),
      RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
  fail_unless_equals_int (commit (h, "g", a, 1, 0, 7, 200), 0);

  /* A rejoins: the join completes, A (leader) answered inline with both
   * members, B through its callback without them. */
  fail_unless_equals_int (join (h, a, NULL, 300, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.generation_id, 2);
  fail_unless_equals_string (jr.leader, a);
  fail_unless_equals_int (jr.n_members, 2);
  fail_unless_equals_int (h->joins->len, 1);
  jb = &g_array_index (h->joins, JoinResult, 0);
  fail_unless (jb->waiter == &waiter_b);
  fail_unless_equals_int (jb->error, 0);
  fail_unless_equals_int (jb->generation, 2);
  fail_unless_equals_string (jb->member_id, b);
  fail_unless_equals_string (jb->leader, a);
  fail_unless_equals_int (jb->n_members, 0);

  /* Commits from the old generation or during CompletingRebalance are
   * refused as Kafka refuses them. */
  fail_unless_equals_int (commit (h, "g", b, 2, 1, 5, 350),
      RG_GROUP_ERR_REBALANCE_IN_PROGRESS);

  /* B's SyncGroup parks until the leader's assignment. */
  fail_unless_equals_int (sync_req (h, b, 2, NULL, 0, &waiter_b, 400, &sr),
      RG_GROUP_PARKED);
  assign[0] = (RgGroupAssignment) {
  S (a), {(const guint8 *) "AA", 2}};
  assign[1] = (RgGroupAssignment) {
  S (b), {(const guint8 *) "BBB", 3}};
  fail_unless_equals_int (sync_req (h, a, 2, assign, 2, NULL, 500, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (g_bytes_get_size (sr.assignment), 2);
  fail_unless_equals_int (h->syncs->len, 1);
  fail_unless (g_array_index (h->syncs, SyncResult, 0).waiter == &waiter_b);
  fail_unless (memcmp (g_bytes_get_data (g_array_index (h->syncs,
                  SyncResult, 0).assignment, &len), "BBB", 3) == 0);
  fail_unless_equals_int (len, 3);

  fail_unless_equals_int (commit (h, "g", b, 1, 1, 5, 600),
      RG_GROUP_ERR_ILLEGAL_GENERATION);
  fail_unless_equals_int (commit (h, "g", "stranger", 2, 1, 5, 600),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  fail_unless_equals_int (commit (h, "g", b, 2, 1, 5, 600), 0);
  fail_unless_equals_int (fetched (h, "g", 1), 5);
  fail_unless_equals_int (fetched (h, "g", 0), 7);
  fail_unless_equals_int (fetched (h, "g", 2), -1);
  g_free (a);
  g_free (b);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_initial_delay)
{
  Harness *h = harness_new (3000);
  gchar *a = get_member_id (h, 0), *b;
  RgGroupJoinResponse jr;
  gint wa, wb;

  fail_unless_equals_int (join (h, a, &wa, 0, &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (rg_group_coordinator_next_deadline (h->c), 3000);
  b = get_member_id (h, 1000);
  fail_unless_equals_int (join (h, b, &wb, 1000, &jr), RG_GROUP_PARKED);
  rg_group_coordinator_poll (h->c, 2999);
  fail_unless_equals_int (h->joins->len, 0);
  /* B arrived during the delay: one more delay, then the join. */
  rg_group_coordinator_poll (h->c, 3000);
  fail_unless_equals_int (h->joins->len, 0);
  fail_unless_equals_int (rg_group_coordinator_next_deadline (h->c), 6000);
  rg_group_coordinator_poll (h->c, 6000);
  fail_unless_equals_int (h->joins->len, 2);
  fail_unless_equals_int (g_array_index (h->joins, JoinResult, 0).generation,
      1);
  fail_unless_equals_int (g_array_index (h->joins, JoinResult, 1).generation,
      1);
  fail_unless_equals_string (g_array_index (h->joins, JoinResult, 0).leader,
      a);
  fail_unless_equals_int (g_array_index (h->joins, JoinResult,
          0).n_members, 2);
  g_free (a);
  g_free (b);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_rebalance_timeout_drops_laggard)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0), *b, *c;
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment none[1];
  gint wb, wc;

  /* Make a Stable group of A and B. */
  b = get_member_id (h, 0);
  join (h, b, &wb, 0, &jr);
  join (h, a, NULL, 0, &jr);
  none[0] = (RgGroupAssignment) {
  S (a), {NULL, 0}};
  sync_req (h, a, 2, none, 1, NULL, 0, &sr);
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);

  /* C joins at t=1000; only A rejoins. After the rebalance timeout the
   * join completes without B, which is gone. */
  c = get_member_id (h, 1000);
  fail_unless_equals_int (join (h, c, &wc, 1000, &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (join (h, a, &wc, 1500, &jr), RG_GROUP_PARKED);
  /* B keeps its session alive with heartbeats but never rejoins. */
  {
    gint64 t;

    for (t = 1500; t < 1000 + REBALANCE; t += 5000) {
      fail_unless_equals_int (heartbeat (h, b, 2, t),
          RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
      rg_group_coordinator_poll (h->c, t);
    }
  }
  rg_group_coordinator_poll (h->c, 1000 + REBALANCE - 1);
  fail_unless_equals_int (describe_state (h), RG_GROUP_PREPARING_REBALANCE);
  g_array_set_size (h->joins, 0);
  rg_group_coordinator_poll (h->c, 1000 + REBALANCE);
  fail_unless_equals_int (h->joins->len, 2);
  fail_unless_equals_int (g_array_index (h->joins, JoinResult, 0).generation,
      3);
  fail_unless_equals_int (describe_state (h),
      RG_GROUP_COMPLETING_REBALANCE);
  fail_unless_equals_int (heartbeat (h, b, 3, 1000 + REBALANCE),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  g_free (a);
  g_free (b);
  g_free (c);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_session_expiry)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0);
  RgGroupJoinResponse jr;

  fail_unless_equals_int (rg_group_coordinator_next_deadline (h->c),
      SESSION);
  fail_unless_equals_int (heartbeat (h, a, 1, SESSION - 1), 0);
  rg_group_coordinator_poll (h->c, 2 * SESSION - 2);
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);
  rg_group_coordinator_poll (h->c, 2 * SESSION - 1);
  /* The only member expired: the group rebalances to Empty, generation 2,
   * and its commits are kept. */
  fail_unless_equals_int (describe_state (h), RG_GROUP_EMPTY);
  fail_unless_equals_int (heartbeat (h, a, 1, 2 * SESSION),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  fail_unless_equals_int (join (h, a, NULL, 2 * SESSION, &jr),
      RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_leave)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0), *b;
  RgGroupJoinResponse jr;
  RgGroupLeaveRequest lv = { 1, S ("g"), S ("nobody"), NULL, 0 };
  RgGroupLeaveResponse resp;
  RgGroupLeavingMember batch[2];
  gint wb;

  rg_group_coordinator_leave (h->c, &lv, 10, &resp);
  fail_unless_equals_int (resp.error, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);

  /* B parks in a rebalance; A leaves: the join completes with B alone,
   * B becomes leader. */
  b = get_member_id (h, 20);
  fail_unless_equals_int (join (h, b, &wb, 20, &jr), RG_GROUP_PARKED);
  lv.member_id = S (a);
  rg_group_coordinator_leave (h->c, &lv, 30, &resp);
  fail_unless_equals_int (resp.error, 0);
  fail_unless_equals_int (h->joins->len, 1);
  fail_unless_equals_string (g_array_index (h->joins, JoinResult, 0).leader,
      b);
  fail_unless_equals_int (g_array_index (h->joins, JoinResult,
          0).n_members, 1);

  /* Batch leave (v3+): each member answered on its own. */
  batch[0] = (RgGroupLeavingMember) {
  S (b), RG_KAFKA_STR_NULL};
  batch[1] = (RgGroupLeavingMember) {
  S ("ghost"), RG_KAFKA_STR_NULL};
  lv.version = 3;
  lv.members = batch;
  lv.n_members = 2;
  rg_group_coordinator_leave (h->c, &lv, 40, &resp);
  fail_unless_equals_int (resp.error, 0);
  fail_unless_equals_int (resp.n_members, 2);
  fail_unless_equals_int (resp.member_errors[0], 0);
  fail_unless_equals_int (resp.member_errors[1],
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  /* Nobody is left: the rebalance completes at once into Empty. */
  fail_unless_equals_int (describe_state (h), RG_GROUP_EMPTY);
  g_free (a);
  g_free (b);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_static_member)
{
  Harness *h = harness_new (0);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment a;
  RgGroupHeartbeatRequest hb;
  RgGroupLeaveRequest lv = { 4, S ("g"), RG_KAFKA_STR_NULL, NULL, 0 };
  RgGroupLeavingMember leaving[2];
  RgGroupLeaveResponse lr;
  gchar *old_id, *new_id;
  Join j;

  /* A static member skips MEMBER_ID_REQUIRED. */
  join_init (&j, 5, NULL, "cam-1", "range", NULL);
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &j.req, NULL, 0,
          &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  old_id = g_strdup (jr.member_id);
  a = (RgGroupAssignment) {
  S (old_id), {(const guint8 *) "x", 1}};
  sync_req (h, old_id, 1, &a, 1, NULL, 0, &sr);

  /* The process restarts: same instance id, no member id. It gets a new
   * member id in the same generation, without a rebalance, and the old id
   * is fenced. */
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &j.req, NULL,
          100, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  fail_unless_equals_int (jr.generation_id, 1);
  fail_if (g_str_equal (jr.member_id, old_id));
  new_id = g_strdup (jr.member_id);
  /* As Kafka: the answer names the leader as it was before the
   * replacement and carries no member list, so the restarted leader does
   * not compute an assignment nobody asked for. */
  fail_unless_equals_string (jr.leader, old_id);
  fail_unless_equals_int (jr.n_members, 0);
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);
  hb = (RgGroupHeartbeatRequest) {
  S ("g"), 1, S (old_id), S ("cam-1")};
  fail_unless_equals_int (rg_group_coordinator_heartbeat (h->c, &hb, 200),
      RG_GROUP_ERR_FENCED_INSTANCE_ID);
  hb.member_id = S (new_id);
  fail_unless_equals_int (rg_group_coordinator_heartbeat (h->c, &hb, 200), 0);
  fail_unless_equals_int (sync_req (h, new_id, 1, NULL, 0, NULL, 200, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (g_bytes_get_size (sr.assignment), 1);

  /* Leaving by instance id: the old member id is fenced, an unknown
   * instance is unknown. */
  leaving[0] = (RgGroupLeavingMember) {
  S (old_id), S ("cam-1")};
  leaving[1] = (RgGroupLeavingMember) {
  RG_KAFKA_STR_NULL, S ("cam-9")};
  lv.members = leaving;
  lv.n_members = 2;
  rg_group_coordinator_leave (h->c, &lv, 300, &lr);
  fail_unless_equals_int (lr.member_errors[0],
      RG_GROUP_ERR_FENCED_INSTANCE_ID);
  fail_unless_equals_int (lr.member_errors[1],
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  leaving[0].member_id = RG_KAFKA_STR_NULL;
  lv.n_members = 1;
  rg_group_coordinator_leave (h->c, &lv, 300, &lr);
  fail_unless_equals_int (lr.member_errors[0], 0);
  g_free (old_id);
  g_free (new_id);
  harness_free (h);
}

GST_END_TEST;

/* Joins the static member @instance (librdkafka with group.instance.id:
 * JoinGroup v5 with no member id and no MEMBER_ID_REQUIRED step). */
static RgGroupResult
join_static (Harness * h, const gchar * member, const gchar * instance,
    gpointer waiter, gint64 now, RgGroupJoinResponse * resp)
{
  Join j;

  join_init (&j, 5, member, instance, "range", NULL);
  return rg_group_coordinator_join (h->c, &j.req, waiter, now, resp);
}

static gint16
heartbeat_static (Harness * h, const gchar * member, const gchar * instance,
    gint32 generation, gint64 now)
{
  RgGroupHeartbeatRequest req = { S ("g"), generation, S (member),
    S (instance)
  };

  return rg_group_coordinator_heartbeat (h->c, &req, now);
}

/* As Kafka's onCompleteJoin: when the rebalance timeout ends a join, a
 * static member that did not rejoin stays in the new generation (only a
 * session timeout or LeaveGroup removes it) while a dynamic one is
 * dropped, and a leader that did not rejoin hands over to one that did. */
GST_START_TEST (test_static_member_kept_by_rebalance)
{
  Harness *h = harness_new (0);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment none[1];
  RgGroupDescription d;
  gchar *s1, *s2, *s3, *dyn;
  gint w2, w3, wd;
  gint64 t;
  guint i;

  /* s1 (the leader) and s2 static, dyn dynamic: Stable in generation 2. */
  fail_unless_equals_int (join_static (h, NULL, "cam-1", NULL, 0, &jr),
      RG_GROUP_DONE);
  s1 = g_strdup (jr.member_id);
  none[0] = (RgGroupAssignment) {
  S (s1), {NULL, 0}};
  sync_req (h, s1, 1, none, 1, NULL, 0, &sr);
  fail_unless_equals_int (join_static (h, NULL, "cam-2", &w2, 0, &jr),
      RG_GROUP_PARKED);
  dyn = get_member_id (h, 0);
  fail_unless_equals_int (join (h, dyn, &wd, 0, &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (join_static (h, s1, "cam-1", NULL, 0, &jr),
      RG_GROUP_DONE);
  fail_unless_equals_int (jr.generation_id, 2);
  fail_unless_equals_string (jr.leader, s1);
  s2 = g_strdup (g_array_index (h->joins, JoinResult, 0).member_id);
  sync_req (h, s1, 2, none, 1, NULL, 0, &sr);
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);

  /* s3 joins at t=1000; only s2 rejoins. s1 and dyn keep their sessions
   * alive with heartbeats but never rejoin. */
  fail_unless_equals_int (join_static (h, NULL, "cam-3", &w3, 1000, &jr),
      RG_GROUP_PARKED);
  fail_unless_equals_int (join_static (h, s2, "cam-2", &w2, 1500, &jr),
      RG_GROUP_PARKED);
  for (t = 1500; t < 1000 + REBALANCE; t += 5000) {
    fail_unless_equals_int (heartbeat_static (h, s1, "cam-1", 2, t),
        RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
    fail_unless_equals_int (heartbeat (h, dyn, 2, t),
        RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
    rg_group_coordinator_poll (h->c, t);
  }
  g_array_set_size (h->joins, 0);
  rg_group_coordinator_poll (h->c, 1000 + REBALANCE);

  /* Generation 3: s1, s2 and s3; the two that rejoined got answers, the
   * leader is now s2 (the first member that rejoined) and its member list
   * names all three, absent s1 included. */
  fail_unless_equals_int (h->joins->len, 2);
  for (i = 0; i < h->joins->len; i++) {
    JoinResult *j = &g_array_index (h->joins, JoinResult, i);

    fail_unless_equals_int (j->error, 0);
    fail_unless_equals_int (j->generation, 3);
    fail_unless_equals_string (j->leader, s2);
    fail_unless_equals_int (j->n_members,
        g_str_equal (j->member_id, s2) ? 3 : 0);
  }
  s3 = g_strdup (g_array_index (h->joins, JoinResult, 0).member_id);
  if (g_str_equal (s3, s2)) {
    g_free (s3);
    s3 = g_strdup (g_array_index (h->joins, JoinResult, 1).member_id);
  }
  rg_group_coordinator_describe (h->c, S ("g"), &d);
  fail_unless_equals_int (d.state, RG_GROUP_COMPLETING_REBALANCE);
  fail_unless_equals_int (d.n_members, 3);
  /* s1 is still a member, one generation behind; dyn is gone. */
  fail_unless_equals_int (heartbeat_static (h, s1, "cam-1", 2,
          1000 + REBALANCE), RG_GROUP_ERR_ILLEGAL_GENERATION);
  fail_unless_equals_int (heartbeat (h, dyn, 2, 1000 + REBALANCE),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);

  /* s1 catches up with generation 3 and gets what the leader gave it. */
  {
    RgGroupAssignment a[3] = {
      {S (s1), {(const guint8 *) "1", 1}},
      {S (s2), {(const guint8 *) "22", 2}},
      {S (s3), {(const guint8 *) "333", 3}},
    };

    fail_unless_equals_int (sync_req (h, s2, 3, a, 3, NULL, 1000 + REBALANCE,
            &sr), RG_GROUP_DONE);
    fail_unless_equals_int (g_bytes_get_size (sr.assignment), 2);
  }
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);
  fail_unless_equals_int (join_static (h, s1, "cam-1", NULL,
          1000 + REBALANCE + 1, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.generation_id, 3);
  fail_unless_equals_int (sync_req (h, s1, 3, NULL, 0, NULL,
          1000 + REBALANCE + 1, &sr), RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, 0);
  fail_unless_equals_int (g_bytes_get_size (sr.assignment), 1);
  g_free (s1);
  g_free (s2);
  g_free (s3);
  g_free (dyn);
  harness_free (h);
}

GST_END_TEST;

/* A rebalance that only absent static members could complete waits
 * another rebalance timeout instead of forming a generation nobody
 * joined. */
GST_START_TEST (test_static_member_nobody_rejoined)
{
  Harness *h = harness_new (0);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment none[1];
  RgGroupLeaveRequest lv = { 1, S ("g"), RG_KAFKA_STR_NULL, NULL, 0 };
  RgGroupLeaveResponse lr;
  gchar *s1, *dyn;
  gint64 t;
  gint wd;

  fail_unless_equals_int (join_static (h, NULL, "cam-1", NULL, 0, &jr),
      RG_GROUP_DONE);
  s1 = g_strdup (jr.member_id);
  none[0] = (RgGroupAssignment) {
  S (s1), {NULL, 0}};
  sync_req (h, s1, 1, none, 1, NULL, 0, &sr);
  dyn = get_member_id (h, 0);
  join (h, dyn, &wd, 0, &jr);
  join_static (h, s1, "cam-1", NULL, 0, &jr);
  sync_req (h, s1, 2, none, 1, NULL, 0, &sr);
  fail_unless_equals_int (describe_state (h), RG_GROUP_STABLE);

  /* dyn leaves; s1 heartbeats but does not rejoin. */
  lv.member_id = S (dyn);
  rg_group_coordinator_leave (h->c, &lv, 1000, &lr);
  fail_unless_equals_int (lr.error, 0);
  for (t = 1000; t < 1000 + REBALANCE; t += 5000) {
    fail_unless_equals_int (heartbeat_static (h, s1, "cam-1", 2, t),
        RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
    rg_group_coordinator_poll (h->c, t);
  }
  g_array_set_size (h->joins, 0);
  rg_group_coordinator_poll (h->c, 1000 + REBALANCE);
  fail_unless_equals_int (h->joins->len, 0);
  fail_unless_equals_int (describe_state (h), RG_GROUP_PREPARING_REBALANCE);
  fail_unless_equals_int (heartbeat_static (h, s1, "cam-1", 2, 1000 +
          REBALANCE), RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
  /* It rejoins at last: generation 3, as its leader. */
  fail_unless_equals_int (join_static (h, s1, "cam-1", NULL, 1000 +
          REBALANCE + 10, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  fail_unless_equals_int (jr.generation_id, 3);
  fail_unless_equals_string (jr.leader, s1);
  fail_unless_equals_int (jr.n_members, 1);
  g_free (s1);
  g_free (dyn);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_protocol_selection)
{
  Harness *h = harness_new (1000);
  RgGroupJoinResponse jr;
  Join ja, jb, jc, bad;

  /* Two of three prefer roundrobin; all support it. */
  join_init (&ja, 3, NULL, NULL, "range", "roundrobin");
  join_init (&jb, 3, NULL, NULL, "roundrobin", "range");
  join_init (&jc, 3, NULL, NULL, "roundrobin", NULL);
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &ja.req, &ja, 0,
          &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &jb.req, &jb, 0,
          &jr), RG_GROUP_PARKED);
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &jc.req, &jc, 0,
          &jr), RG_GROUP_PARKED);

  /* A member whose assignors or protocol type the group cannot share is
   * refused. */
  join_init (&bad, 3, NULL, NULL, "cooperative-sticky", NULL);
  rg_group_coordinator_join (h->c, &bad.req, &bad, 0, &jr);
  fail_unless_equals_int (jr.error,
      RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
  join_init (&bad, 3, NULL, NULL, "roundrobin", NULL);
  bad.req.protocol_type = S ("connect");
  rg_group_coordinator_join (h->c, &bad.req, &bad, 0, &jr);
  fail_unless_equals_int (jr.error,
      RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);

  /* Members kept arriving during the first delay: one more delay. */
  rg_group_coordinator_poll (h->c, 1000);
  fail_unless_equals_int (h->joins->len, 0);
  rg_group_coordinator_poll (h->c, 2000);
  fail_unless_equals_int (h->joins->len, 3);
  fail_unless_equals_string (g_array_index (h->joins, JoinResult,
          0).protocol, "roundrobin");
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_request_checks)
{
  Harness *h = harness_new (0);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  gchar *a;
  Join j;

  join_init (&j, 5, NULL, NULL, "range", NULL);
  j.req.session_timeout_ms = 5999;
  rg_group_coordinator_join (h->c, &j.req, NULL, 0, &jr);
  fail_unless_equals_int (jr.error, RG_GROUP_ERR_INVALID_SESSION_TIMEOUT);
  j.req.session_timeout_ms = SESSION;
  j.req.group_id = S ("");
  rg_group_coordinator_join (h->c, &j.req, NULL, 0, &jr);
  fail_unless_equals_int (jr.error, RG_GROUP_ERR_INVALID_GROUP_ID);

  /* A known member id for a group that does not exist. */
  fail_unless_equals_int (join (h, "rdkafka-123", NULL, 0, &jr),
      RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);

  /* JoinGroup v0-3 predates KIP-394: no MEMBER_ID_REQUIRED round. */
  join_init (&j, 3, NULL, NULL, "range", NULL);
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &j.req, NULL, 0,
          &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  a = g_strdup (jr.member_id);
  fail_unless_equals_int (sync_req (h, a, 7, NULL, 0, NULL, 0, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, RG_GROUP_ERR_ILLEGAL_GENERATION);
  fail_unless_equals_int (sync_req (h, "x", 1, NULL, 0, NULL, 0, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_simple_commits)
{
  Harness *h = harness_new (0);
  const RgGroupListing *list;
  guint n;
  gchar *a;
  RgGroupCommitPartition big = { S ("video"), 0, 1, -1, RG_KAFKA_STR_NULL,
    -1
  };
  gchar *md = g_strnfill (4097, 'x');
  gint16 err;
  RgGroupCommitRequest req = { S ("tools"), -1, S (""), RG_KAFKA_STR_NULL,
    -1, &big, 1, &err
  };

  /* An assign()-style consumer commits with generation -1: the group is
   * created Empty with no protocol type. */
  fail_unless_equals_int (commit (h, "tools", "", -1, 0, 42, 0), 0);
  fail_unless_equals_int (fetched (h, "tools", 0), 42);
  fail_unless_equals_int (commit (h, "missing", "m", 3, 0, 1, 0),
      RG_GROUP_ERR_ILLEGAL_GENERATION);
  rg_group_coordinator_list (h->c, NULL, 0, &list, &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_string (list[0].group_id, "tools");
  fail_unless_equals_string (list[0].protocol_type, "");
  fail_unless_equals_int (list[0].state, RG_GROUP_EMPTY);

  big.metadata = S (md);
  rg_group_coordinator_commit (h->c, &req, 0);
  fail_unless_equals_int (err, RG_GROUP_ERR_OFFSET_METADATA_TOO_LARGE);
  fail_unless_equals_int (fetched (h, "tools", 0), 42);

  /* Once a group is managed, a simple commit is refused. */
  a = stable_single (h, 0);
  fail_unless_equals_int (commit (h, "g", "", -1, 0, 1, 0),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  {
    RgGroupState stable = RG_GROUP_STABLE;

    rg_group_coordinator_list (h->c, &stable, 1, &list, &n);
    fail_unless_equals_int (n, 1);
    fail_unless_equals_string (list[0].group_id, "g");
    fail_unless_equals_string (list[0].protocol_type, "consumer");
  }
  g_free (md);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

/* Commits reach the persist callback as Kafka's own records; a failed
 * persist fails the commit and changes nothing; replaying the records
 * into a new coordinator restores offsets and the group. */
GST_START_TEST (test_persist_and_replay)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0);
  RgKafkaOffsetsKey key;
  RgKafkaOffsetCommitValue value;
  RgGroupCoordinator *again;
  RgGroupDescription d;
  RgGroupHeartbeatRequest hb = { S ("g"), 1, RG_KAFKA_STR_NULL,
    RG_KAFKA_STR_NULL
  };
  gsize klen, vlen;
  const guint8 *k, *v;
  guint i, n;

  /* The leader's SyncGroup wrote the group's metadata (key version 2). */
  fail_unless_equals_int (h->records->len, 2);
  k = g_bytes_get_data (g_ptr_array_index (h->records, 0), &klen);
  fail_unless (rg_kafka_offsets_key_decode (k, klen, &key, NULL));
  fail_unless_equals_int (key.version, 2);

  fail_unless_equals_int (commit (h, "g", a, 1, 2, 1234, 5000), 0);
  fail_unless_equals_int (h->records->len, 4);
  k = g_bytes_get_data (g_ptr_array_index (h->records, 2), &klen);
  v = g_bytes_get_data (g_ptr_array_index (h->records, 3), &vlen);
  fail_unless (rg_kafka_offsets_key_decode (k, klen, &key, NULL));
  fail_unless_equals_int (key.version, 1);
  fail_unless (rg_kafka_str_equal (key.group, "g"));
  fail_unless (rg_kafka_str_equal (key.topic, "video"));
  fail_unless_equals_int (key.partition, 2);
  fail_unless (rg_kafka_offset_commit_value_decode (v, vlen, &value, NULL));
  fail_unless_equals_int (value.version, 3);
  fail_unless_equals_int64 (value.offset, 1234);
  fail_unless_equals_int (value.leader_epoch, 4);
  fail_unless (rg_kafka_str_equal (value.metadata, "md"));
  fail_unless_equals_int64 (value.commit_timestamp, 5000);

  h->fail_persist = TRUE;
  fail_unless_equals_int (commit (h, "g", a, 1, 2, 9999, 6000),
      RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  fail_unless_equals_int (fetched (h, "g", 2), 1234);
  h->fail_persist = FALSE;
  fail_unless_equals_int (commit (h, "g", a, 1, 2, 1300, 7000), 0);

  /* A restarted broker replays everything that was persisted. */
  again = rg_group_coordinator_new (NULL, NULL, NULL);
  rg_group_coordinator_begin_load (again);
  n = h->records->len;
  for (i = 0; i < n; i += 2) {
    GBytes *vb = g_ptr_array_index (h->records, i + 1);

    k = g_bytes_get_data (g_ptr_array_index (h->records, i), &klen);
    v = vb ? g_bytes_get_data (vb, &vlen) : NULL;
    fail_unless (rg_group_coordinator_load_record (again, k, klen, v,
            v ? vlen : 0, NULL));
  }
  rg_group_coordinator_activate (again, 10000);
  fail_unless_equals_int64 (rg_offset_store_lookup
      (rg_group_coordinator_get_offsets (again), "g", "video", 2)->offset,
      1300);
  rg_group_coordinator_describe (again, S ("g"), &d);
  fail_unless_equals_int (d.state, RG_GROUP_STABLE);
  fail_unless_equals_int (d.n_members, 1);
  fail_unless_equals_string (d.members[0].member_id, a);
  fail_unless_equals_int (g_bytes_get_size (d.members[0].assignment), 1);
  /* The member keeps its generation across the restart, and its session
   * starts again at activation. */
  hb.member_id = S (a);
  fail_unless_equals_int (rg_group_coordinator_heartbeat (again, &hb,
          10001), 0);
  rg_group_coordinator_poll (again, 10001 + SESSION);
  rg_group_coordinator_describe (again, S ("g"), &d);
  fail_unless_equals_int (d.state, RG_GROUP_EMPTY);
  rg_group_coordinator_free (again);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_replay_tombstones)
{
  RgOffsetStore *store = rg_offset_store_new ();
  GByteArray *k = g_byte_array_new (), *v1 = g_byte_array_new (),
      *v2 = g_byte_array_new ();
  RgKafkaOffsetsKey key = { 1, S ("g"), S ("t"), 0 };
  RgKafkaOffsetCommitValue val = { 3, 10, -1, S (""), 1, -1 };
  GError *err = NULL;
  static const guint8 garbage[] = { 0x00, 0x07 };

  rg_kafka_offsets_key_encode (&key, k, NULL);
  rg_kafka_offset_commit_value_encode (&val, v1, NULL);
  val.offset = 20;
  rg_kafka_offset_commit_value_encode (&val, v2, NULL);

  /* Last write wins; a tombstone deletes; a bad record changes nothing. */
  fail_unless (rg_offset_store_replay (store, k->data, k->len, v1->data,
          v1->len, NULL));
  fail_unless (rg_offset_store_replay (store, k->data, k->len, v2->data,
          v2->len, NULL));
  fail_unless_equals_int64 (rg_offset_store_lookup (store, "g", "t",
          0)->offset, 20);
  fail_if (rg_offset_store_replay (store, k->data, k->len, garbage,
          sizeof (garbage), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&err);
  fail_unless_equals_int64 (rg_offset_store_lookup (store, "g", "t",
          0)->offset, 20);
  fail_unless (rg_offset_store_replay (store, k->data, k->len, NULL, 0,
          NULL));
  fail_unless (rg_offset_store_lookup (store, "g", "t", 0) == NULL);
  fail_if (rg_offset_store_has_group (store, "g"));

  g_byte_array_unref (k);
  g_byte_array_unref (v1);
  g_byte_array_unref (v2);
  rg_offset_store_free (store);
}

GST_END_TEST;

GST_START_TEST (test_cancel_and_pending_sync)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0), *b;
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  gint wb;

  b = get_member_id (h, 0);
  fail_unless_equals_int (join (h, b, &wb, 0, &jr), RG_GROUP_PARKED);
  /* B's connection closes: its answer is dropped, B stays a member. */
  rg_group_coordinator_cancel (h->c, &wb);
  fail_unless_equals_int (join (h, a, NULL, 10, &jr), RG_GROUP_DONE);
  fail_unless_equals_int (h->joins->len, 0);
  fail_unless_equals_int (jr.n_members, 2);

  /* B reconnects and syncs; the leader never does. After the rebalance
   * timeout the leader is dropped and B is told to rejoin. */
  fail_unless_equals_int (sync_req (h, b, 2, NULL, 0, &wb, 20, &sr),
      RG_GROUP_PARKED);
  {
    gint64 t;

    /* The leader heartbeats (allowed while CompletingRebalance). */
    for (t = 20; t < 10 + REBALANCE; t += 5000) {
      fail_unless_equals_int (heartbeat (h, a, 2, t), 0);
      rg_group_coordinator_poll (h->c, t);
    }
  }
  rg_group_coordinator_poll (h->c, 10 + REBALANCE - 1);
  fail_unless_equals_int (h->syncs->len, 0);
  rg_group_coordinator_poll (h->c, 10 + REBALANCE);
  fail_unless_equals_int (h->syncs->len, 1);
  fail_unless_equals_int (g_array_index (h->syncs, SyncResult, 0).error,
      RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
  fail_unless_equals_int (heartbeat (h, a, 2, 10 + REBALANCE),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  g_free (a);
  g_free (b);
  harness_free (h);
}

GST_END_TEST;

/* A consumer-protocol subscription (ConsumerProtocolSubscription v0:
 * int16 version, ARRAY STRING topics, BYTES user data) of @topic. */
static GByteArray *
subscription_of (const gchar * topic)
{
  GByteArray *b = g_byte_array_new ();
  guint8 head[6] = { 0, 0, 0, 0, 0, 1 };
  guint8 len[2] = { 0, (guint8) strlen (topic) };
  guint8 user_data[4] = { 0xff, 0xff, 0xff, 0xff };

  g_byte_array_append (b, head, 6);
  g_byte_array_append (b, len, 2);
  g_byte_array_append (b, (const guint8 *) topic, strlen (topic));
  g_byte_array_append (b, user_data, 4);
  return b;
}

/* A Stable group of one member subscribed to @topic, of protocol type
 * @type; returns the member id. */
static gchar *
stable_subscribed (Harness * h, const gchar * type, const gchar * topic)
{
  gchar *id = get_member_id (h, 0);
  GByteArray *sub = subscription_of (topic);
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupAssignment a = { S (id), {(const guint8 *) "A", 1} };
  Join j;

  join_init (&j, 5, id, NULL, "range", NULL);
  j.req.protocol_type = S (type);
  j.protocols[0].metadata = (RgKafkaBytes) {
  sub->data, (gint32) sub->len};
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &j.req, NULL, 0,
          &jr), RG_GROUP_DONE);
  fail_unless_equals_int (jr.error, 0);
  fail_unless_equals_int (sync_req (h, id, jr.generation_id, &a, 1, NULL,
          0, &sr), RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, 0);
  g_byte_array_unref (sub);
  return id;
}

static gint16
delete_offsets (Harness * h, const gchar * group, const gchar * t1,
    gint32 p1, const gchar * t2, gint32 p2, gint16 * errors)
{
  RgGroupTopicPartition tps[2] = { {S (t1), p1}, {S (t2), p2} };

  errors[0] = errors[1] = 99;
  return rg_group_coordinator_delete_offsets (h->c, S (group), tps, 2,
      errors);
}

GST_START_TEST (test_delete_offsets)
{
  Harness *h = harness_new (0);
  gint16 errors[2];
  gchar *a;

  /* An unknown group: the error on every partition. */
  fail_unless_equals_int (delete_offsets (h, "g", "video", 0, "video", 1,
          errors), RG_GROUP_ERR_GROUP_ID_NOT_FOUND);
  fail_unless_equals_int (errors[0], RG_GROUP_ERR_GROUP_ID_NOT_FOUND);
  fail_unless_equals_int (errors[1], RG_GROUP_ERR_GROUP_ID_NOT_FOUND);

  /* An Empty group (simple commits): each partition named goes, one
   * tombstone for the one that had an offset; the others stay. */
  fail_unless_equals_int (commit (h, "g", "", -1, 0, 10, 0), 0);
  fail_unless_equals_int (commit (h, "g", "", -1, 1, 11, 0), 0);
  g_ptr_array_set_size (h->records, 0);
  fail_unless_equals_int (delete_offsets (h, "g", "video", 0, "video", 7,
          errors), 0);
  fail_unless_equals_int (errors[0], 0);
  fail_unless_equals_int (errors[1], 0);
  fail_unless_equals_int (h->records->len, 2);
  fail_unless (g_ptr_array_index (h->records, 1) == NULL);
  fail_unless_equals_int (fetched (h, "g", 0), -1);
  fail_unless_equals_int (fetched (h, "g", 1), 11);

  /* A journal that fails: nothing deleted. */
  h->fail_persist = TRUE;
  fail_unless_equals_int (delete_offsets (h, "g", "video", 1, "video", 2,
          errors), RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  fail_unless_equals_int (errors[0], RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  h->fail_persist = FALSE;
  fail_unless_equals_int (fetched (h, "g", 1), 11);
  harness_free (h);

  /* A consumer group with a member subscribed to "video": its partitions
   * stay (GROUP_SUBSCRIBED_TO_TOPIC), another topic's go. */
  h = harness_new (0);
  a = stable_subscribed (h, "consumer", "video");
  fail_unless_equals_int (commit (h, "g", a, 1, 0, 42, 0), 0);
  fail_unless_equals_int (delete_offsets (h, "g", "video", 0, "audio", 0,
          errors), 0);
  fail_unless_equals_int (errors[0], RG_GROUP_ERR_GROUP_SUBSCRIBED_TO_TOPIC);
  fail_unless_equals_int (errors[1], 0);
  fail_unless_equals_int (fetched (h, "g", 0), 42);
  g_free (a);
  harness_free (h);

  /* Subscribed to another topic: "video" goes. */
  h = harness_new (0);
  a = stable_subscribed (h, "consumer", "audio");
  fail_unless_equals_int (commit (h, "g", a, 1, 0, 42, 0), 0);
  fail_unless_equals_int (delete_offsets (h, "g", "video", 0, "video", 1,
          errors), 0);
  fail_unless_equals_int (errors[0], 0);
  fail_unless_equals_int (fetched (h, "g", 0), -1);
  g_free (a);
  harness_free (h);

  /* A group of another protocol type with members: NON_EMPTY_GROUP. */
  h = harness_new (0);
  a = stable_subscribed (h, "connect", "video");
  fail_unless_equals_int (delete_offsets (h, "g", "video", 0, "video", 1,
          errors), RG_GROUP_ERR_NON_EMPTY_GROUP);
  fail_unless_equals_int (errors[1], RG_GROUP_ERR_NON_EMPTY_GROUP);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_delete_groups)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0);
  RgGroupLeaveRequest lv = { 0, S ("g"), RG_KAFKA_STR_NULL, NULL, 0 };
  RgGroupLeaveResponse lr;
  RgGroupDescription d;

  fail_unless_equals_int (rg_group_coordinator_delete (h->c, S ("nope")),
      RG_GROUP_ERR_GROUP_ID_NOT_FOUND);
  fail_unless_equals_int (commit (h, "g", a, 1, 0, 99, 0), 0);
  fail_unless_equals_int (rg_group_coordinator_delete (h->c, S ("g")),
      RG_GROUP_ERR_NON_EMPTY_GROUP);
  lv.member_id = S (a);
  rg_group_coordinator_leave (h->c, &lv, 0, &lr);
  fail_unless_equals_int (describe_state (h), RG_GROUP_EMPTY);
  g_ptr_array_set_size (h->records, 0);
  fail_unless_equals_int (rg_group_coordinator_delete (h->c, S ("g")), 0);
  /* Two tombstones: the offset, then the group. */
  fail_unless_equals_int (h->records->len, 4);
  fail_unless (g_ptr_array_index (h->records, 1) == NULL);
  fail_unless (g_ptr_array_index (h->records, 3) == NULL);
  fail_unless_equals_int (fetched (h, "g", 0), -1);
  rg_group_coordinator_describe (h->c, S ("g"), &d);
  fail_unless_equals_string (rg_group_state_name (d.state), "Dead");
  fail_unless_equals_int (d.error, 0);
  g_free (a);
  harness_free (h);
}

GST_END_TEST;

/* OffsetCommit v2-4 with a retention time: Kafka writes value version 1
 * with the expiry; v1 requests carry their own commit timestamp. */
GST_START_TEST (test_commit_retention_and_fetch_all)
{
  Harness *h = harness_new (0);
  RgGroupCommitPartition parts[2] = {
    {S ("video"), 1, 10, -1, RG_KAFKA_STR_NULL, 1000},
    {S ("audio"), 0, 20, -1, S ("a"), -1},
  };
  gint16 errs[2];
  RgGroupCommitRequest req = { S ("g"), -1, S (""), RG_KAFKA_STR_NULL,
    86400000, parts, 2, errs
  };
  RgGroupFetchRequest all = { S ("g"), TRUE, NULL, 0 };
  RgGroupFetchResponse resp;
  RgKafkaOffsetCommitValue value;
  const guint8 *v;
  gsize vlen;

  fail_unless_equals_int (rg_group_coordinator_commit (h->c, &req, 5000), 0);
  fail_unless_equals_int (errs[0], 0);
  fail_unless_equals_int (errs[1], 0);
  /* One persist call with both records, in request order. */
  fail_unless_equals_int (h->persist_calls, 1);
  fail_unless_equals_int (h->records->len, 4);
  v = g_bytes_get_data (g_ptr_array_index (h->records, 1), &vlen);
  fail_unless (rg_kafka_offset_commit_value_decode (v, vlen, &value, NULL));
  fail_unless_equals_int (value.version, 1);
  fail_unless_equals_int64 (value.commit_timestamp, 1000);
  fail_unless_equals_int64 (value.expire_timestamp, 1000 + 86400000);
  fail_unless (rg_kafka_str_equal (value.metadata, ""));
  v = g_bytes_get_data (g_ptr_array_index (h->records, 3), &vlen);
  fail_unless (rg_kafka_offset_commit_value_decode (v, vlen, &value, NULL));
  fail_unless_equals_int64 (value.commit_timestamp, 5000);

  /* OffsetFetch v2+ with a null topic list: every committed offset,
   * sorted by topic then partition. */
  rg_group_coordinator_fetch (h->c, &all, &resp);
  fail_unless_equals_int (resp.error, 0);
  fail_unless_equals_int (resp.n_partitions, 2);
  fail_unless_equals_string (resp.partitions[0].topic, "audio");
  fail_unless_equals_int64 (resp.partitions[0].offset, 20);
  fail_unless_equals_string (resp.partitions[0].metadata, "a");
  fail_unless_equals_string (resp.partitions[1].topic, "video");
  fail_unless_equals_int64 (resp.partitions[1].offset, 10);
  harness_free (h);
}

GST_END_TEST;

/* The leader's assignment could not be persisted: every member waiting
 * for it gets COORDINATOR_NOT_AVAILABLE and the group rebalances, as
 * Kafka does when it cannot write the group's metadata. */
GST_START_TEST (test_sync_persist_failure)
{
  Harness *h = harness_new (0);
  gchar *a = stable_single (h, 0), *b;
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  gint wb;

  b = get_member_id (h, 0);
  join (h, b, &wb, 0, &jr);
  join (h, a, NULL, 0, &jr);
  fail_unless_equals_int (sync_req (h, b, 2, NULL, 0, &wb, 0, &sr),
      RG_GROUP_PARKED);
  h->fail_persist = TRUE;
  fail_unless_equals_int (sync_req (h, a, 2, NULL, 0, NULL, 0, &sr),
      RG_GROUP_DONE);
  fail_unless_equals_int (sr.error, RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  fail_unless_equals_int (h->syncs->len, 1);
  fail_unless_equals_int (g_array_index (h->syncs, SyncResult, 0).error,
      RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
  fail_unless_equals_int (describe_state (h), RG_GROUP_PREPARING_REBALANCE);
  fail_unless_equals_int (heartbeat (h, a, 2, 10),
      RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
  g_free (a);
  g_free (b);
  harness_free (h);
}

GST_END_TEST;

GST_START_TEST (test_versions_and_limits)
{
  Harness *h;
  RgGroupCoordinator *small;
  RgGroupConfig config;
  RgGroupJoinResponse jr;
  RgGroupSyncResponse sr;
  RgGroupSyncRequest sync;
  RgGroupDescription d;
  gchar *a;
  Join j;

  /* JoinGroup v0 has no rebalance timeout: the session timeout serves. */
  h = harness_new (0);
  join_init (&j, 0, NULL, NULL, "range", NULL);
  j.req.rebalance_timeout_ms = -1;
  fail_unless_equals_int (rg_group_coordinator_join (h->c, &j.req, NULL, 0,
          &jr), RG_GROUP_DONE);
  a = g_strdup (jr.member_id);
  /* Heartbeats are accepted while CompletingRebalance (Kafka 2.5+), and
   * the group is described without metadata until it is Stable. */
  fail_unless_equals_int (heartbeat (h, a, 1, 0), 0);
  rg_group_coordinator_describe (h->c, S ("g"), &d);
  fail_unless_equals_string (rg_group_state_name (d.state),
      "CompletingRebalance");
  fail_unless_equals_string (d.protocol, "");
  fail_unless_equals_int (g_bytes_get_size (d.members[0].metadata), 0);
  /* SyncGroup v5 names the protocol: a mismatch is refused. */
  sync = (RgGroupSyncRequest) {
  S ("g"), 1, S (a), RG_KAFKA_STR_NULL, S ("consumer"), S ("roundrobin"),
        NULL, 0};
  rg_group_coordinator_sync (h->c, &sync, NULL, 0, &sr);
  fail_unless_equals_int (sr.error, RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
  sync.protocol_name = S ("range");
  rg_group_coordinator_sync (h->c, &sync, NULL, 0, &sr);
  fail_unless_equals_int (sr.error, 0);
  fail_unless_equals_string (sr.protocol_name, "range");
  /* A member whose session is 6 s (v0: also its rebalance timeout). */
  fail_unless_equals_int (rg_group_coordinator_next_deadline (h->c),
      SESSION);
  g_free (a);
  harness_free (h);

  /* group.max.size: the second member is refused. */
  rg_group_config_init (&config);
  config.initial_rebalance_delay_ms = 0;
  config.max_group_size = 1;
  small = rg_group_coordinator_new (&config, NULL, NULL);
  rg_group_coordinator_activate (small, 0);
  join_init (&j, 3, NULL, NULL, "range", NULL);
  rg_group_coordinator_join (small, &j.req, NULL, 0, &jr);
  fail_unless_equals_int (jr.error, 0);
  rg_group_coordinator_join (small, &j.req, NULL, 0, &jr);
  fail_unless_equals_int (jr.error, RG_GROUP_ERR_GROUP_MAX_SIZE_REACHED);
  rg_group_coordinator_free (small);
}

GST_END_TEST;

/* ---- A simulated fleet of consumers ----
 *
 * Eight clients follow the protocol as librdkafka does (KIP-394
 * handshake, JoinGroup, SyncGroup, heartbeats every 3 s, rejoin on
 * REBALANCE_IN_PROGRESS, start over on UNKNOWN_MEMBER_ID) while a seeded
 * random schedule makes them crash, leave, restart and send their requests
 * late. The checks: every parked request is answered exactly once and
 * only while it is parked; a member's assignment is exactly what the
 * leader of that generation gave it; generations never go back; and once
 * the chaos stops the group settles, Stable, with exactly the live
 * clients as members, all in the coordinator's generation. */

#define SIM_CLIENTS 8

typedef enum
{
  SIM_OUT,                      /* not in the group (new, left or crashed) */
  SIM_READY,                    /* should send JoinGroup */
  SIM_JOINING,                  /* JoinGroup parked */
  SIM_SYNC_READY,               /* joined: should send SyncGroup */
  SIM_SYNCING,                  /* SyncGroup parked */
  SIM_STABLE,
} SimState;

typedef struct
{
  gint index;
  SimState state;
  gboolean crashed;
  gchar *member_id;
  gint32 generation;
  gboolean leader;
  GPtrArray *peers;             /* member ids the leader must assign */
  gint64 last_heartbeat;
  gint64 wake_at;               /* a slow client acts only from then */
  gboolean left_parked;         /* left with a request parked: owed one
                                 * error answer */
} SimClient;

typedef struct
{
  RgGroupCoordinator *c;
  SimClient clients[SIM_CLIENTS];
  gint32 max_generation;
  guint answers;
} Sim;

static gchar *
sim_assignment (const gchar * member, gint32 generation)
{
  return g_strdup_printf ("%s@%d", member, generation);
}

static void
sim_joined (SimClient * cl, const RgGroupJoinResponse * r, Sim * sim)
{
  guint i;

  fail_unless (r->generation_id >= sim->max_generation);
  sim->max_generation = r->generation_id;
  g_free (cl->member_id);
  cl->member_id = g_strdup (r->member_id);
  cl->generation = r->generation_id;
  cl->leader = g_str_equal (r->leader, r->member_id);
  fail_unless_equals_int (cl->leader, r->n_members > 0);
  g_ptr_array_set_size (cl->peers, 0);
  for (i = 0; i < r->n_members; i++)
    g_ptr_array_add (cl->peers, g_strdup (r->members[i].member_id));
  cl->state = SIM_SYNC_READY;
}

static void
sim_join_answer (SimClient * cl, const RgGroupJoinResponse * r, Sim * sim)
{
  switch (r->error) {
    case RG_GROUP_ERR_NONE:
      sim_joined (cl, r, sim);
      break;
    case RG_GROUP_ERR_MEMBER_ID_REQUIRED:
      g_free (cl->member_id);
      cl->member_id = g_strdup (r->member_id);
      cl->state = SIM_READY;
      break;
    case RG_GROUP_ERR_UNKNOWN_MEMBER_ID:
      g_clear_pointer (&cl->member_id, g_free);
      cl->state = SIM_READY;
      break;
    default:
      fail_unless_equals_int (r->error, RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
      cl->state = SIM_READY;
  }
}

static void
sim_sync_answer (SimClient * cl, const RgGroupSyncResponse * r)
{
  gchar *want;
  gsize len;
  const gchar *got;

  if (r->error == RG_GROUP_ERR_UNKNOWN_MEMBER_ID)
    g_clear_pointer (&cl->member_id, g_free);
  if (r->error != RG_GROUP_ERR_NONE) {
    fail_unless (r->error == RG_GROUP_ERR_REBALANCE_IN_PROGRESS ||
        r->error == RG_GROUP_ERR_UNKNOWN_MEMBER_ID ||
        r->error == RG_GROUP_ERR_ILLEGAL_GENERATION, "sync error %d",
        r->error);
    cl->state = SIM_READY;
    return;
  }
  want = sim_assignment (cl->member_id, cl->generation);
  got = g_bytes_get_data (r->assignment, &len);
  fail_unless (len == strlen (want) && memcmp (got, want, len) == 0,
      "client %d got %.*s, want %s", cl->index, (gint) len, got, want);
  g_free (want);
  cl->state = SIM_STABLE;
}

/* A client that sent LeaveGroup while its request was parked is owed one
 * answer, an error. */
static gboolean
sim_owed_after_leave (SimClient * cl, gint16 error)
{
  if (cl->state != SIM_OUT)
    return FALSE;
  fail_unless (cl->left_parked, "client %d answered twice", cl->index);
  fail_unless_equals_int (error, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  cl->left_parked = FALSE;
  return TRUE;
}

static void
sim_on_join (gpointer waiter, const RgGroupJoinResponse * r, gpointer data)
{
  SimClient *cl = waiter;

  ((Sim *) data)->answers++;
  if (sim_owed_after_leave (cl, r->error))
    return;
  fail_unless_equals_int (cl->state, SIM_JOINING);
  fail_if (cl->crashed);
  sim_join_answer (cl, r, data);
}

static void
sim_on_sync (gpointer waiter, const RgGroupSyncResponse * r, gpointer data)
{
  SimClient *cl = waiter;

  ((Sim *) data)->answers++;
  if (sim_owed_after_leave (cl, r->error))
    return;
  fail_unless_equals_int (cl->state, SIM_SYNCING);
  fail_if (cl->crashed);
  sim_sync_answer (cl, r);
}

static void
sim_join (Sim * sim, SimClient * cl, gint64 now)
{
  RgGroupJoinResponse r;
  Join j;

  join_init (&j, 5, cl->member_id, NULL, "range", "roundrobin");
  cl->state = SIM_JOINING;
  if (rg_group_coordinator_join (sim->c, &j.req, cl, now, &r) ==
      RG_GROUP_DONE)
    sim_join_answer (cl, &r, sim);
}

static void
sim_sync (Sim * sim, SimClient * cl, gint64 now)
{
  RgGroupAssignment *a = g_new0 (RgGroupAssignment, cl->peers->len + 1);
  gchar **bytes = g_new0 (gchar *, cl->peers->len + 1);
  RgGroupSyncResponse r;
  guint i;

  for (i = 0; i < cl->peers->len; i++) {
    bytes[i] = sim_assignment (g_ptr_array_index (cl->peers, i),
        cl->generation);
    a[i].member_id = S (g_ptr_array_index (cl->peers, i));
    a[i].assignment = (RgKafkaBytes) {
    (const guint8 *) bytes[i], (gint32) strlen (bytes[i])};
  }
  cl->state = SIM_SYNCING;
  if (sync_req_in (sim->c, cl->member_id, cl->generation, a,
          cl->peers->len, cl, now, &r) == RG_GROUP_DONE)
    sim_sync_answer (cl, &r);
  g_strfreev (bytes);
  g_free (a);
}

static void
sim_heartbeat (Sim * sim, SimClient * cl, gint64 now)
{
  RgGroupHeartbeatRequest req = { S ("g"), cl->generation,
    S (cl->member_id), RG_KAFKA_STR_NULL
  };
  gint16 err = rg_group_coordinator_heartbeat (sim->c, &req, now);

  cl->last_heartbeat = now;
  if (err == RG_GROUP_ERR_UNKNOWN_MEMBER_ID)
    g_clear_pointer (&cl->member_id, g_free);
  if (err != RG_GROUP_ERR_NONE)
    cl->state = SIM_READY;
}

/* What a live client does when it gets a turn. */
static void
sim_act (Sim * sim, SimClient * cl, gint64 now)
{
  if (now < cl->wake_at)
    return;
  switch (cl->state) {
    case SIM_READY:
      sim_join (sim, cl, now);
      break;
    case SIM_SYNC_READY:
      sim_sync (sim, cl, now);
      break;
    case SIM_STABLE:
    case SIM_SYNCING:
      if (now - cl->last_heartbeat >= 3000 && cl->state == SIM_STABLE)
        sim_heartbeat (sim, cl, now);
      break;
    default:
      break;
  }
}

static void
sim_chaos (Sim * sim, SimClient * cl, GRand * rand, gint64 now)
{
  gint dice = g_rand_int_range (rand, 0, 1000);
  RgGroupLeaveRequest lv = { 0, S ("g"), RG_KAFKA_STR_NULL, NULL, 0 };
  RgGroupLeaveResponse lr;

  if (cl->state == SIM_OUT) {
    if (dice < 20 && !cl->left_parked) {        /* a new process starts */
      cl->crashed = FALSE;
      g_clear_pointer (&cl->member_id, g_free);
      cl->state = SIM_READY;
    }
  } else if (dice < 3) {        /* crash: its connection closes */
    rg_group_coordinator_cancel (sim->c, cl);
    cl->crashed = TRUE;
    cl->state = SIM_OUT;
  } else if (dice < 6 && cl->member_id) {       /* a clean close */
    cl->left_parked = cl->state == SIM_JOINING || cl->state == SIM_SYNCING;
    cl->state = SIM_OUT;
    lv.member_id = S (cl->member_id);
    rg_group_coordinator_leave (sim->c, &lv, now, &lr);
  } else if (dice < 30) {       /* a slow client */
    cl->wake_at = now + g_rand_int_range (rand, 0, 8000);
  }
}

static gboolean
sim_settled (Sim * sim)
{
  RgGroupDescription d;
  guint i, live = 0, j;

  rg_group_coordinator_describe (sim->c, S ("g"), &d);
  if (d.state != RG_GROUP_STABLE)
    return FALSE;
  for (i = 0; i < SIM_CLIENTS; i++) {
    SimClient *cl = &sim->clients[i];
    gboolean found = FALSE;

    if (cl->left_parked)
      return FALSE;
    if (cl->state == SIM_OUT)
      continue;
    if (cl->state != SIM_STABLE || cl->generation != sim->max_generation)
      return FALSE;
    live++;
    for (j = 0; j < d.n_members; j++)
      found |= g_str_equal (d.members[j].member_id, cl->member_id);
    if (!found)
      return FALSE;
  }
  return live == d.n_members;
}

static void
sim_run (guint32 seed)
{
  RgGroupCallbacks cb = { sim_on_join, sim_on_sync, NULL };
  GRand *rand = g_rand_new_with_seed (seed);
  RgGroupConfig config;
  Sim sim = { 0 };
  gint64 now = 0, settled_at = -1;
  guint i, step;

  rg_group_config_init (&config);
  sim.c = rg_group_coordinator_new (&config, &cb, &sim);
  rg_group_coordinator_activate (sim.c, 0);
  for (i = 0; i < SIM_CLIENTS; i++) {
    sim.clients[i].index = i;
    sim.clients[i].state = SIM_READY;
    sim.clients[i].peers = g_ptr_array_new_with_free_func (g_free);
  }
  /* 3000 steps of chaos, then up to 2000 calm ones (about 17 simulated
   * minutes) for the group to settle. */
  for (step = 0; step < 5000 && settled_at < 0; step++) {
    SimClient *cl = &sim.clients[g_rand_int_range (rand, 0, SIM_CLIENTS)];

    now += g_rand_int_range (rand, 0, 500);
    if (step < 3000)
      sim_chaos (&sim, cl, rand, now);
    if (!cl->crashed)
      sim_act (&sim, cl, now);
    if (now >= rg_group_coordinator_next_deadline (sim.c))
      rg_group_coordinator_poll (sim.c, now);
    if (step >= 3000 && sim_settled (&sim))
      settled_at = now;
  }
  fail_unless (settled_at >= 0, "seed %u: the group never settled", seed);
  fail_unless (sim.answers > 0);
  for (i = 0; i < SIM_CLIENTS; i++) {
    g_free (sim.clients[i].member_id);
    g_ptr_array_unref (sim.clients[i].peers);
  }
  rg_group_coordinator_free (sim.c);
  g_rand_free (rand);
}

GST_START_TEST (test_simulated_fleet)
{
  guint32 seed;

  for (seed = 1; seed <= 20; seed++)
    sim_run (seed);
}

GST_END_TEST;

static Suite *
group_suite (void)
{
  Suite *s = suite_create ("group");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_load_states);
  tcase_add_test (tc, test_single_member);
  tcase_add_test (tc, test_two_members_rebalance);
  tcase_add_test (tc, test_initial_delay);
  tcase_add_test (tc, test_rebalance_timeout_drops_laggard);
  tcase_add_test (tc, test_session_expiry);
  tcase_add_test (tc, test_leave);
  tcase_add_test (tc, test_static_member);
  tcase_add_test (tc, test_static_member_kept_by_rebalance);
  tcase_add_test (tc, test_static_member_nobody_rejoined);
  tcase_add_test (tc, test_protocol_selection);
  tcase_add_test (tc, test_request_checks);
  tcase_add_test (tc, test_simple_commits);
  tcase_add_test (tc, test_persist_and_replay);
  tcase_add_test (tc, test_replay_tombstones);
  tcase_add_test (tc, test_cancel_and_pending_sync);
  tcase_add_test (tc, test_delete_groups);
  tcase_add_test (tc, test_delete_offsets);
  tcase_add_test (tc, test_commit_retention_and_fetch_all);
  tcase_add_test (tc, test_sync_persist_failure);
  tcase_add_test (tc, test_versions_and_limits);
  tcase_add_test (tc, test_simulated_fleet);
  return s;
}

GST_CHECK_MAIN (group);
