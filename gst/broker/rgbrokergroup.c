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

/*
 * The consumer-group coordinator, after the state machine of Kafka's
 * GroupCoordinator and GroupMetadata (read for semantics; the code is our
 * own).
 *
 *   Empty ──join──► PreparingRebalance ──all rejoined / timeout──►
 *   CompletingRebalance ──leader's SyncGroup──► Stable
 *         ▲                  ▲   │                                  │
 *         └──last member─────┘   └◄── join, leave, expiry ──────────┘
 *            left                     (new rebalance)
 *
 * - A group is born Empty by its first JoinGroup (or by a "simple"
 *   OffsetCommit with generation -1). A join moves it to
 *   PreparingRebalance, where it waits until every known member sent
 *   JoinGroup again (their requests are parked) or the largest rebalance
 *   timeout of its members passed; dynamic members that did not rejoin
 *   are then removed, static ones stay in the new generation. The first rebalance of an Empty group also waits
 *   initial_rebalance_delay_ms, extended while new members keep arriving
 *   (never past the rebalance timeout), so that a starting fleet lands in
 *   one generation instead of one per member.
 * - Completing the join bumps the generation, picks the protocol (the
 *   assignor every member supports that most members prefer), keeps or
 *   elects a leader, and answers every parked JoinGroup; only the leader
 *   gets the member list with their metadata. The group is then
 *   CompletingRebalance until the leader's SyncGroup brings the
 *   assignment, which is persisted and handed to every member (followers'
 *   SyncGroups wait parked for it). Members that send no SyncGroup within
 *   the rebalance timeout are removed (Kafka 3.x's pending-sync rule;
 *   without it a lost leader would stall the group forever).
 * - A member's session expires when neither a heartbeat, a join nor a
 *   sync arrived for session_timeout_ms, except while one of its requests
 *   is parked. A new member of JoinGroup v4+ first gets MEMBER_ID_REQUIRED
 *   and an id, which it must use within a session timeout (KIP-394).
 * - Static members (group.instance.id, KIP-345) keep their identity over
 *   restarts: a join with a known instance id and no member id replaces
 *   the old member id (the old one is fenced with FENCED_INSTANCE_ID) and,
 *   while the group is Stable and the chosen protocol would not change,
 *   answers at once with the current generation instead of rebalancing.
 *
 * Every callback for a parked request is made from inside the call that
 * completed it. A request that completes within its own call (the last
 * member to rejoin, the leader's SyncGroup) is answered DONE directly,
 * never through the callback.
 */

#include "broker/rgbrokergroup.h"

#include <string.h>

#define NO_DEADLINE G_MAXINT64

typedef struct
{
  gchar *name;
  GBytes *metadata;
} Protocol;

typedef struct
{
  gchar *member_id;
  gchar *instance_id;
  gchar *client_id;
  gchar *client_host;
  gint32 session_timeout_ms;
  gint32 rebalance_timeout_ms;
  GPtrArray *protocols;         /* Protocol*, most preferred first */
  GBytes *assignment;
  gint64 last_heartbeat_ms;
  /* A parked JoinGroup or SyncGroup; the waiter is NULL once cancelled,
   * the member still counts as having sent it. */
  gboolean awaiting_join;
  gpointer join_waiter;
  gboolean awaiting_sync;
  gpointer sync_waiter;
  gboolean synced;              /* sent SyncGroup in this generation */
} Member;

typedef struct
{
  gchar *id;
  RgGroupState state;
  gint32 generation;
  gchar *protocol_type;
  gchar *protocol_name;
  gchar *leader_id;
  GPtrArray *members;           /* Member*, in join order */
  GHashTable *pending;          /* member id → gint64* expiry (KIP-394) */
  gint64 rebalance_deadline;    /* PreparingRebalance: join completes */
  gint64 delay_until;           /* initial delay of an Empty group's join */
  gint32 delay_remaining;
  gboolean joined_during_delay;
  gint64 sync_deadline;         /* CompletingRebalance: pending syncs */
  gint64 state_timestamp;
} Group;

typedef enum
{
  PHASE_STARTING,
  PHASE_LOADING,
  PHASE_ACTIVE,
} Phase;

struct _RgGroupCoordinator
{
  RgGroupConfig config;
  RgGroupCallbacks callbacks;
  gpointer user_data;
  Phase phase;
  GHashTable *groups;           /* gchar* id → Group* */
  RgOffsetStore *offsets;
  GBytes *empty;

  /* The member whose own request is being handled: its answer goes into
   * the caller's response struct, not through a callback. */
  Member *inline_member;
  RgGroupJoinResponse *inline_join;
  RgGroupSyncResponse *inline_sync;
  gboolean answered_inline;

  /* Response storage, valid until the next call. */
  GArray *join_members;         /* RgGroupJoinMember */
  GArray *fetch_partitions;     /* RgGroupFetchPartition */
  GPtrArray *fetch_entries;
  GArray *leave_errors;         /* gint16 */
  GArray *listing;              /* RgGroupListing */
  GArray *described;            /* RgGroupMemberDescription */
  gchar *scratch_id;
  gchar *answer_leader;         /* a static rejoin's answer: old leader */
};

void
rg_group_config_init (RgGroupConfig * config)
{
  config->min_session_timeout_ms = 6000;
  config->max_session_timeout_ms = 1800000;
  config->initial_rebalance_delay_ms = 3000;
  config->max_group_size = 0;
  config->max_metadata_bytes = 4096;
}

/* ---------------------------------------------------------------------- */
/* Members and groups */

static void
protocol_free (gpointer data)
{
  Protocol *p = data;

  g_free (p->name);
  g_bytes_unref (p->metadata);
  g_free (p);
}

static void
member_free (gpointer data)
{
  Member *m = data;

  g_free (m->member_id);
  g_free (m->instance_id);
  g_free (m->client_id);
  g_free (m->client_host);
  g_ptr_array_unref (m->protocols);
  g_bytes_unref (m->assignment);
  g_free (m);
}

static void
group_free (gpointer data)
{
  Group *g = data;

  g_free (g->id);
  g_free (g->protocol_type);
  g_free (g->protocol_name);
  g_free (g->leader_id);
  g_ptr_array_unref (g->members);
  g_hash_table_unref (g->pending);
  g_free (g);
}

static Group *
group_new (RgGroupCoordinator * c, const gchar * id, gint64 now_ms)
{
  Group *g = g_new0 (Group, 1);

  g->id = g_strdup (id);
  g->state = RG_GROUP_EMPTY;
  g->members = g_ptr_array_new_with_free_func (member_free);
  g->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  g->rebalance_deadline = g->delay_until = g->sync_deadline = NO_DEADLINE;
  g->state_timestamp = now_ms;
  g_hash_table_insert (c->groups, g->id, g);
  return g;
}

/* A NUL-terminated copy of a request string for hash lookups, kept until
 * the next lookup. */
static const gchar *
scratch_id (RgGroupCoordinator * c, RgKafkaStr s)
{
  g_free (c->scratch_id);
  c->scratch_id = rg_kafka_str_dup (s);
  return c->scratch_id ? c->scratch_id : "";
}

static Group *
group_find (RgGroupCoordinator * c, RgKafkaStr id)
{
  return g_hash_table_lookup (c->groups, scratch_id (c, id));
}

static gboolean
str_is_empty (RgKafkaStr s)
{
  return s.data == NULL || s.len <= 0;
}

static Member *
member_find (Group * g, RgKafkaStr id)
{
  guint i;

  if (str_is_empty (id))
    return NULL;
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    if (rg_kafka_str_equal (id, m->member_id))
      return m;
  }
  return NULL;
}

static Member *
member_find_instance (Group * g, RgKafkaStr instance)
{
  guint i;

  if (instance.data == NULL || instance.len < 0)
    return NULL;
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    if (m->instance_id && rg_kafka_str_equal (instance, m->instance_id))
      return m;
  }
  return NULL;
}

/* A static member is fenced when its instance id now belongs to another
 * member id: an older process of the same instance. */
static gboolean
is_fenced (Group * g, RgKafkaStr member_id, RgKafkaStr instance)
{
  Member *m = member_find_instance (g, instance);

  return m != NULL && !rg_kafka_str_equal (member_id, m->member_id);
}

static gboolean
is_leader (Group * g, Member * m)
{
  return g->leader_id && strcmp (g->leader_id, m->member_id) == 0;
}

static Protocol *
member_protocol (Member * m, const gchar * name)
{
  guint i;

  for (i = 0; name && i < m->protocols->len; i++) {
    Protocol *p = g_ptr_array_index (m->protocols, i);

    if (strcmp (p->name, name) == 0)
      return p;
  }
  return NULL;
}

static GPtrArray *
protocols_from_request (const RgGroupJoinRequest * req)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (protocol_free);
  guint i;

  for (i = 0; i < req->n_protocols; i++) {
    Protocol *p = g_new (Protocol, 1);
    const RgKafkaBytes *md = &req->protocols[i].metadata;

    p->name = rg_kafka_str_dup (req->protocols[i].name);
    if (p->name == NULL)
      p->name = g_strdup ("");
    p->metadata = g_bytes_new (md->data, md->len > 0 ? md->len : 0);
    g_ptr_array_add (out, p);
  }
  return out;
}

static gboolean
protocols_equal (GPtrArray * a, GPtrArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++) {
    Protocol *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

    if (strcmp (x->name, y->name) != 0 || !g_bytes_equal (x->metadata,
            y->metadata))
      return FALSE;
  }
  return TRUE;
}

static gboolean
supported_by_all (Group * g, const gchar * name)
{
  guint i;

  for (i = 0; i < g->members->len; i++)
    if (member_protocol (g_ptr_array_index (g->members, i), name) == NULL)
      return FALSE;
  return TRUE;
}

/* Kafka's rule: a member may join an empty group with any protocol type
 * and at least one protocol; a non-empty group only with its protocol
 * type and a protocol every current member supports. */
static gboolean
supports_protocols (Group * g, const RgGroupJoinRequest * req)
{
  guint i;

  if (str_is_empty (req->protocol_type) || req->n_protocols == 0)
    return FALSE;
  if (g == NULL || g->members->len == 0)
    return TRUE;
  if (!g->protocol_type || !rg_kafka_str_equal (req->protocol_type,
          g->protocol_type))
    return FALSE;
  for (i = 0; i < req->n_protocols; i++) {
    gchar *name = rg_kafka_str_dup (req->protocols[i].name);
    gboolean ok = name && supported_by_all (g, name);

    g_free (name);
    if (ok)
      return TRUE;
  }
  return FALSE;
}

/* Each member votes for the first protocol in its own preference order
 * that every member supports; the most votes win, ties going to the
 * earlier candidate in the first member's order. */
static const gchar *
select_protocol (Group * g)
{
  Member *first = g_ptr_array_index (g->members, 0);
  const gchar *best = NULL;
  guint i, j, best_votes = 0;

  for (i = 0; i < first->protocols->len; i++) {
    const gchar *cand = ((Protocol *) g_ptr_array_index (first->protocols,
            i))->name;
    guint votes = 0;

    if (!supported_by_all (g, cand))
      continue;
    for (j = 0; j < g->members->len; j++) {
      Member *m = g_ptr_array_index (g->members, j);
      guint k;

      for (k = 0; k < m->protocols->len; k++) {
        const gchar *pref = ((Protocol *) g_ptr_array_index (m->protocols,
                k))->name;

        if (supported_by_all (g, pref)) {
          votes += strcmp (pref, cand) == 0;
          break;
        }
      }
    }
    if (best == NULL || votes > best_votes) {
      best = cand;
      best_votes = votes;
    }
  }
  return best;
}

static gint32
max_rebalance_timeout (Group * g)
{
  gint32 max = 0;
  guint i;

  for (i = 0; i < g->members->len; i++)
    max = MAX (max, ((Member *) g_ptr_array_index (g->members,
                i))->rebalance_timeout_ms);
  return max;
}

static void
set_state (Group * g, RgGroupState state, gint64 now_ms)
{
  g->state = state;
  g->state_timestamp = now_ms;
}

/* ---------------------------------------------------------------------- */
/* Persistence */

static void
group_record (Group * g, GByteArray * key, GByteArray * value,
    gboolean tombstone)
{
  RgKafkaOffsetsKey k = { 2, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, -1 };
  RgKafkaGroupMetadataValue v = { 3 };
  RgKafkaGroupMemberMetadata *mm;
  guint i;

  k.group = rg_kafka_str_from_cstr (g->id);
  g_assert (rg_kafka_offsets_key_encode (&k, key, NULL));
  if (tombstone)
    return;
  mm = g_new0 (RgKafkaGroupMemberMetadata, MAX (g->members->len, 1));
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    Protocol *p = member_protocol (m, g->protocol_name);
    gsize len;

    mm[i].member_id = rg_kafka_str_from_cstr (m->member_id);
    mm[i].group_instance_id = rg_kafka_str_from_cstr (m->instance_id);
    mm[i].client_id = rg_kafka_str_from_cstr (m->client_id);
    mm[i].client_host = rg_kafka_str_from_cstr (m->client_host);
    mm[i].rebalance_timeout = m->rebalance_timeout_ms;
    mm[i].session_timeout = m->session_timeout_ms;
    if (p)
      mm[i].subscription.data = g_bytes_get_data (p->metadata, &len);
    mm[i].subscription.len = p ? (gint32) len : 0;
    mm[i].assignment.data = g_bytes_get_data (m->assignment, &len);
    mm[i].assignment.len = (gint32) len;
  }
  v.protocol_type = rg_kafka_str_from_cstr (g->protocol_type ?
      g->protocol_type : "");
  v.generation = g->generation;
  v.protocol = rg_kafka_str_from_cstr (g->protocol_name);
  v.leader = rg_kafka_str_from_cstr (g->leader_id);
  v.current_state_timestamp = g->state_timestamp;
  v.members = mm;
  v.n_members = g->members->len;
  /* Ids, hosts and the like come from requests whose strings are at most
   * 32767 bytes, so the encoding cannot fail. */
  g_assert (rg_kafka_group_metadata_value_encode (&v, value, NULL));
  g_free (mm);
}

static gboolean
persist (RgGroupCoordinator * c, const RgGroupRecord * records, guint n)
{
  return c->callbacks.persist == NULL ||
      c->callbacks.persist (records, n, c->user_data);
}

/* Writes the group's metadata (or its tombstone) and, on success, keeps
 * it in the store as a replay would. */
static gboolean
persist_group (RgGroupCoordinator * c, Group * g, gboolean tombstone)
{
  GByteArray *key = g_byte_array_new (), *value = g_byte_array_new ();
  RgGroupRecord rec;
  gboolean ok;

  group_record (g, key, value, tombstone);
  rec.key = key->data;
  rec.key_len = key->len;
  rec.value = tombstone ? NULL : value->data;
  rec.value_len = tombstone ? 0 : value->len;
  ok = persist (c, &rec, 1);
  if (ok && !tombstone)
    rg_offset_store_set_group_metadata (c->offsets, g->id, value->data,
        value->len);
  g_byte_array_unref (key);
  g_byte_array_unref (value);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* Answering parked requests */

static void
join_error (RgGroupJoinResponse * resp, gint16 error, const gchar * member)
{
  memset (resp, 0, sizeof (*resp));
  resp->error = error;
  resp->generation_id = -1;
  resp->protocol_type = "";
  resp->protocol_name = "";
  resp->leader = "";
  resp->member_id = member ? member : "";
}

static void
fill_join_members (RgGroupCoordinator * c, Group * g)
{
  guint i;

  g_array_set_size (c->join_members, 0);
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    Protocol *p = member_protocol (m, g->protocol_name);
    RgGroupJoinMember jm = { m->member_id, m->instance_id,
      p ? p->metadata : c->empty
    };

    g_array_append_val (c->join_members, jm);
  }
}

static void
join_success (RgGroupCoordinator * c, Group * g, Member * m,
    RgGroupJoinResponse * resp)
{
  memset (resp, 0, sizeof (*resp));
  resp->error = RG_GROUP_ERR_NONE;
  resp->generation_id = g->generation;
  resp->protocol_type = g->protocol_type ? g->protocol_type : "";
  resp->protocol_name = g->protocol_name ? g->protocol_name : "";
  resp->leader = g->leader_id ? g->leader_id : "";
  resp->member_id = m->member_id;
  if (is_leader (g, m)) {
    fill_join_members (c, g);
    resp->members = (const RgGroupJoinMember *) c->join_members->data;
    resp->n_members = c->join_members->len;
  }
}

/* Delivers @resp for @m's parked JoinGroup: into the caller's struct if
 * @m is the member of the current call, else through the callback. */
static void
answer_join (RgGroupCoordinator * c, Member * m, const RgGroupJoinResponse *
    resp)
{
  gpointer waiter = m->join_waiter;

  m->awaiting_join = FALSE;
  m->join_waiter = NULL;
  if (m == c->inline_member && c->inline_join) {
    *c->inline_join = *resp;
    c->answered_inline = TRUE;
  } else if (waiter && c->callbacks.join_done) {
    c->callbacks.join_done (waiter, resp, c->user_data);
  }
}

static void
answer_sync (RgGroupCoordinator * c, Group * g, Member * m, gint16 error)
{
  gpointer waiter = m->sync_waiter;
  RgGroupSyncResponse resp;

  resp.error = error;
  resp.protocol_type = g->protocol_type ? g->protocol_type : "";
  resp.protocol_name = g->protocol_name ? g->protocol_name : "";
  resp.assignment = error == RG_GROUP_ERR_NONE ? m->assignment : c->empty;
  m->awaiting_sync = FALSE;
  m->sync_waiter = NULL;
  if (m == c->inline_member && c->inline_sync) {
    *c->inline_sync = resp;
    c->answered_inline = TRUE;
  } else if (waiter && c->callbacks.sync_done) {
    c->callbacks.sync_done (waiter, &resp, c->user_data);
  }
}

static void
answer_join_error (RgGroupCoordinator * c, Member * m, gint16 error)
{
  RgGroupJoinResponse resp;

  join_error (&resp, error, m->member_id);
  answer_join (c, m, &resp);
}

/* Kafka's resetAndPropagateAssignmentError: a rebalance started while
 * members waited for their assignment; they get @error and rejoin. */
static void
reset_assignments (RgGroupCoordinator * c, Group * g, gint16 error)
{
  guint i;

  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    g_bytes_unref (m->assignment);
    m->assignment = g_bytes_ref (c->empty);
    if (m->awaiting_sync)
      answer_sync (c, g, m, error);
  }
}

/* ---------------------------------------------------------------------- */
/* Rebalancing */

static gboolean
all_rejoined (Group * g)
{
  guint i;

  if (g_hash_table_size (g->pending) > 0)
    return FALSE;
  for (i = 0; i < g->members->len; i++)
    if (!((Member *) g_ptr_array_index (g->members, i))->awaiting_join)
      return FALSE;
  return TRUE;
}

static void
remove_member (Group * g, Member * m)
{
  gboolean was_leader = is_leader (g, m);

  g_ptr_array_remove (g->members, m);
  if (was_leader) {
    g_free (g->leader_id);
    g->leader_id = g->members->len > 0 ?
        g_strdup (((Member *) g_ptr_array_index (g->members,
                0))->member_id) : NULL;
  }
}

/* Keeps the leader if it rejoined, else makes the first member that did
 * the leader (Kafka's maybeElectNewJoinedLeader). FALSE when nobody
 * rejoined. */
static gboolean
elect_joined_leader (Group * g)
{
  Member *leader = member_find (g, rg_kafka_str_from_cstr (g->leader_id));
  guint i;

  if (leader && leader->awaiting_join)
    return TRUE;
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    if (m->awaiting_join) {
      g_free (g->leader_id);
      g->leader_id = g_strdup (m->member_id);
      return TRUE;
    }
  }
  return FALSE;
}

/* Kafka's onCompleteJoin: dynamic members that did not rejoin are
 * dropped, the generation moves on, and every parked JoinGroup is
 * answered. Static members that did not rejoin stay (KIP-345: a static
 * member is removed by its session timeout or a LeaveGroup, never by a
 * rebalance) and are part of the new generation, so the leader assigns
 * them their share as before; they get no JoinGroup answer, having sent
 * none. If only such absent static members are left, the join waits
 * another rebalance timeout, as Kafka does. */
static void
complete_join (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  guint i;

  for (i = g->members->len; i > 0; i--) {
    Member *m = g_ptr_array_index (g->members, i - 1);

    if (!m->awaiting_join && m->instance_id == NULL)
      remove_member (g, m);
  }
  g->rebalance_deadline = g->delay_until = NO_DEADLINE;
  if (g->members->len > 0 && !elect_joined_leader (g)) {
    g->rebalance_deadline = now_ms + max_rebalance_timeout (g);
    return;
  }
  g->generation++;
  g_clear_pointer (&g->protocol_name, g_free);
  if (g->members->len == 0) {
    set_state (g, RG_GROUP_EMPTY, now_ms);
    /* Kafka only logs a failure to write an Empty group's metadata: the
     * offsets are what matters and they are untouched. */
    persist_group (c, g, FALSE);
    return;
  }
  g->protocol_name = g_strdup (select_protocol (g));
  set_state (g, RG_GROUP_COMPLETING_REBALANCE, now_ms);
  g->sync_deadline = now_ms + max_rebalance_timeout (g);
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    RgGroupJoinResponse resp;

    m->last_heartbeat_ms = now_ms;
    m->synced = FALSE;
    if (!m->awaiting_join)
      continue;
    join_success (c, g, m, &resp);
    answer_join (c, m, &resp);
  }
}

static void
try_complete_join (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  if (g->state == RG_GROUP_PREPARING_REBALANCE &&
      g->delay_until == NO_DEADLINE && all_rejoined (g))
    complete_join (c, g, now_ms);
}

static void
prepare_rebalance (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  gint32 timeout = max_rebalance_timeout (g);
  gint32 delay = c->config.initial_rebalance_delay_ms;

  if (g->state == RG_GROUP_COMPLETING_REBALANCE)
    reset_assignments (c, g, RG_GROUP_ERR_REBALANCE_IN_PROGRESS);
  g->sync_deadline = NO_DEADLINE;
  if (g->state == RG_GROUP_EMPTY && delay > 0) {
    g->delay_until = now_ms + delay;
    g->delay_remaining = MAX (timeout - delay, 0);
    g->joined_during_delay = FALSE;
    g->rebalance_deadline = NO_DEADLINE;
  } else {
    g->rebalance_deadline = now_ms + timeout;
  }
  set_state (g, RG_GROUP_PREPARING_REBALANCE, now_ms);
  /* Everyone may have rejoined already (or nobody is left): Kafka tries
   * to complete a new rebalance at once. */
  try_complete_join (c, g, now_ms);
}

static void
maybe_prepare_rebalance (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  if (g->state == RG_GROUP_STABLE || g->state == RG_GROUP_EMPTY ||
      g->state == RG_GROUP_COMPLETING_REBALANCE)
    prepare_rebalance (c, g, now_ms);
}

/* A member leaves (LeaveGroup or session expiry): its parked requests are
 * answered UNKNOWN_MEMBER_ID and the others rebalance without it. */
static void
remove_member_and_update (RgGroupCoordinator * c, Group * g, Member * m,
    gint64 now_ms)
{
  if (m->awaiting_join)
    answer_join_error (c, m, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  if (m->awaiting_sync)
    answer_sync (c, g, m, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
  remove_member (g, m);
  if (g->state == RG_GROUP_STABLE ||
      g->state == RG_GROUP_COMPLETING_REBALANCE)
    prepare_rebalance (c, g, now_ms);
  else if (g->state == RG_GROUP_PREPARING_REBALANCE)
    try_complete_join (c, g, now_ms);
}

/* ---------------------------------------------------------------------- */
/* Coordinator life */

RgGroupCoordinator *
rg_group_coordinator_new (const RgGroupConfig * config,
    const RgGroupCallbacks * callbacks, gpointer user_data)
{
  RgGroupCoordinator *c = g_new0 (RgGroupCoordinator, 1);

  if (config)
    c->config = *config;
  else
    rg_group_config_init (&c->config);
  if (callbacks)
    c->callbacks = *callbacks;
  c->user_data = user_data;
  c->phase = PHASE_STARTING;
  c->groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      group_free);
  c->offsets = rg_offset_store_new ();
  c->empty = g_bytes_new_static ("", 0);
  c->join_members = g_array_new (FALSE, TRUE, sizeof (RgGroupJoinMember));
  c->fetch_partitions = g_array_new (FALSE, TRUE,
      sizeof (RgGroupFetchPartition));
  c->leave_errors = g_array_new (FALSE, TRUE, sizeof (gint16));
  c->listing = g_array_new (FALSE, TRUE, sizeof (RgGroupListing));
  c->described = g_array_new (FALSE, TRUE,
      sizeof (RgGroupMemberDescription));
  return c;
}

void
rg_group_coordinator_free (RgGroupCoordinator * c)
{
  if (c == NULL)
    return;
  g_hash_table_unref (c->groups);
  rg_offset_store_free (c->offsets);
  g_bytes_unref (c->empty);
  g_array_unref (c->join_members);
  g_array_unref (c->fetch_partitions);
  if (c->fetch_entries)
    g_ptr_array_unref (c->fetch_entries);
  g_array_unref (c->leave_errors);
  g_array_unref (c->listing);
  g_array_unref (c->described);
  g_free (c->scratch_id);
  g_free (c->answer_leader);
  g_free (c);
}

static gint16
phase_error (RgGroupCoordinator * c)
{
  switch (c->phase) {
    case PHASE_STARTING:
      return RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    case PHASE_LOADING:
      return RG_GROUP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    default:
      return RG_GROUP_ERR_NONE;
  }
}

void
rg_group_coordinator_begin_load (RgGroupCoordinator * c)
{
  c->phase = PHASE_LOADING;
}

gboolean
rg_group_coordinator_load_record (RgGroupCoordinator * c, const guint8 * key,
    gsize key_len, const guint8 * value, gsize value_len, GError ** error)
{
  return rg_offset_store_replay (c->offsets, key, key_len, value, value_len,
      error);
}

static Member *
member_from_metadata (RgGroupCoordinator * c,
    const RgKafkaGroupMemberMetadata * mm, const gchar * protocol,
    gint64 now_ms)
{
  Member *m = g_new0 (Member, 1);
  Protocol *p = g_new (Protocol, 1);

  m->member_id = rg_kafka_str_dup (mm->member_id);
  m->instance_id = rg_kafka_str_dup (mm->group_instance_id);
  m->client_id = rg_kafka_str_dup (mm->client_id);
  m->client_host = rg_kafka_str_dup (mm->client_host);
  m->session_timeout_ms = mm->session_timeout;
  m->rebalance_timeout_ms = mm->rebalance_timeout >= 0 ?
      mm->rebalance_timeout : mm->session_timeout;
  m->protocols = g_ptr_array_new_with_free_func (protocol_free);
  p->name = g_strdup (protocol ? protocol : "");
  p->metadata = g_bytes_new (mm->subscription.data, mm->subscription.len);
  g_ptr_array_add (m->protocols, p);
  m->assignment = g_bytes_new (mm->assignment.data, mm->assignment.len);
  m->last_heartbeat_ms = now_ms;
  m->synced = TRUE;
  return m;
}

/* Rebuilds a group from its last metadata record, as Kafka's
 * GroupMetadataManager does when it loads __consumer_offsets: a group
 * with members is Stable in its old generation, and the members keep it
 * only if they heartbeat within their session timeout. */
static void
restore_group (RgGroupCoordinator * c, const gchar * id, gint64 now_ms)
{
  GBytes *md = rg_offset_store_get_group_metadata (c->offsets, id);
  Group *g = group_new (c, id, now_ms);
  RgKafkaGroupMetadataValue v;
  gsize len;
  const guint8 *data;
  guint i;

  if (md == NULL)
    return;
  data = g_bytes_get_data (md, &len);
  /* The store only keeps records that decoded when replayed. */
  if (!rg_kafka_group_metadata_value_decode (data, len, &v, NULL))
    return;
  g->generation = v.generation;
  g->protocol_type = v.protocol_type.len > 0 ?
      rg_kafka_str_dup (v.protocol_type) : NULL;
  g->protocol_name = rg_kafka_str_dup (v.protocol);
  g->leader_id = rg_kafka_str_dup (v.leader);
  for (i = 0; i < v.n_members; i++)
    g_ptr_array_add (g->members, member_from_metadata (c, &v.members[i],
            g->protocol_name, now_ms));
  if (g->members->len > 0)
    set_state (g, RG_GROUP_STABLE, now_ms);
  rg_kafka_group_metadata_value_clear (&v);
}

void
rg_group_coordinator_activate (RgGroupCoordinator * c, gint64 now_ms)
{
  GPtrArray *ids = rg_offset_store_groups (c->offsets);
  guint i;

  for (i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (c->groups, g_ptr_array_index (ids, i)))
      restore_group (c, g_ptr_array_index (ids, i), now_ms);
  g_ptr_array_unref (ids);
  c->phase = PHASE_ACTIVE;
}

RgOffsetStore *
rg_group_coordinator_get_offsets (RgGroupCoordinator * c)
{
  return c->offsets;
}

/* ---------------------------------------------------------------------- */
/* JoinGroup */

static void
update_member (Member * m, const RgGroupJoinRequest * req, gpointer waiter,
    gint64 now_ms)
{
  g_ptr_array_unref (m->protocols);
  m->protocols = protocols_from_request (req);
  m->session_timeout_ms = req->session_timeout_ms;
  m->rebalance_timeout_ms = req->rebalance_timeout_ms >= 0 ?
      req->rebalance_timeout_ms : req->session_timeout_ms;
  g_free (m->client_id);
  m->client_id = rg_kafka_str_dup (req->client_id);
  if (m->client_id == NULL)
    m->client_id = g_strdup ("");
  g_free (m->client_host);
  m->client_host = rg_kafka_str_dup (req->client_host);
  if (m->client_host == NULL)
    m->client_host = g_strdup ("");
  m->awaiting_join = TRUE;
  m->join_waiter = waiter;
  m->last_heartbeat_ms = now_ms;
}

static void
update_and_rebalance (RgGroupCoordinator * c, Group * g, Member * m,
    const RgGroupJoinRequest * req, gpointer waiter, gint64 now_ms)
{
  /* A second JoinGroup while one is parked (the client gave up on the
   * first and retried): the older one is answered so it cannot hang. */
  if (m->awaiting_join && m->join_waiter && m->join_waiter != waiter &&
      c->callbacks.join_done) {
    RgGroupJoinResponse resp;

    join_error (&resp, RG_GROUP_ERR_REBALANCE_IN_PROGRESS, m->member_id);
    c->callbacks.join_done (m->join_waiter, &resp, c->user_data);
  }
  update_member (m, req, waiter, now_ms);
  c->inline_member = m;
  maybe_prepare_rebalance (c, g, now_ms);
  try_complete_join (c, g, now_ms);
}

static void
add_and_rebalance (RgGroupCoordinator * c, Group * g,
    const RgGroupJoinRequest * req, gchar * member_id, gpointer waiter,
    gint64 now_ms)
{
  Member *m = g_new0 (Member, 1);

  m->member_id = member_id;
  m->instance_id = rg_kafka_str_dup (req->group_instance_id);
  m->protocols = g_ptr_array_new_with_free_func (protocol_free);
  m->assignment = g_bytes_ref (c->empty);
  update_member (m, req, waiter, now_ms);
  g_hash_table_remove (g->pending, member_id);
  if (g->members->len == 0) {
    g_free (g->protocol_type);
    g->protocol_type = rg_kafka_str_dup (req->protocol_type);
  }
  if (g->leader_id == NULL)
    g->leader_id = g_strdup (member_id);
  g_ptr_array_add (g->members, m);
  if (g->delay_until != NO_DEADLINE)
    g->joined_during_delay = TRUE;
  c->inline_member = m;
  maybe_prepare_rebalance (c, g, now_ms);
  try_complete_join (c, g, now_ms);
}

static gchar *
new_member_id (const RgGroupJoinRequest * req)
{
  gchar *client = rg_kafka_str_dup (req->client_id);
  gchar *uuid = g_uuid_string_random ();
  gchar *id = g_strdup_printf ("%s-%s", client ? client : "", uuid);

  g_free (client);
  g_free (uuid);
  return id;
}

/* The answer to a static member that took its old place in a Stable
 * group: the current generation, no member list and the leader id from
 * before the replacement (as Kafka). A restarted leader that saw itself
 * named with the member list would compute a new assignment and, on the
 * next metadata change it notices, force a rebalance that the group does
 * not need; the old leader id never matches its new member id, so it
 * takes its old assignment back from SyncGroup as a follower does. */
static void
static_rejoin_success (RgGroupCoordinator * c, Group * g, Member * m,
    RgGroupJoinResponse * resp)
{
  join_success (c, g, m, resp);
  resp->leader = c->answer_leader ? c->answer_leader : "";
  resp->members = NULL;
  resp->n_members = 0;
}

/* A static member restarted: it takes its old place under a new member
 * id, and the old process is fenced. */
static void
replace_static_member (RgGroupCoordinator * c, Group * g, Member * old,
    const RgGroupJoinRequest * req, gchar * new_id, gpointer waiter,
    gint64 now_ms, RgGroupJoinResponse * resp)
{
  const gchar *selected;

  if (old->awaiting_join)
    answer_join_error (c, old, RG_GROUP_ERR_FENCED_INSTANCE_ID);
  if (old->awaiting_sync)
    answer_sync (c, g, old, RG_GROUP_ERR_FENCED_INSTANCE_ID);
  g_free (c->answer_leader);
  c->answer_leader = g_strdup (g->leader_id);
  if (is_leader (g, old)) {
    g_free (g->leader_id);
    g->leader_id = g_strdup (new_id);
  }
  g_free (old->member_id);
  old->member_id = new_id;

  if (g->state != RG_GROUP_STABLE) {
    update_and_rebalance (c, g, old, req, waiter, now_ms);
    return;
  }
  update_member (old, req, NULL, now_ms);
  old->awaiting_join = FALSE;
  selected = select_protocol (g);
  if (selected && g->protocol_name && strcmp (selected,
          g->protocol_name) == 0) {
    /* The new member id must be durable before the member uses it; if it
     * is not, the client retries its join and is replaced again. */
    if (persist_group (c, g, FALSE))
      static_rejoin_success (c, g, old, resp);
    else
      join_error (resp, RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE, "");
    c->answered_inline = TRUE;
    return;
  }
  update_and_rebalance (c, g, old, req, waiter, now_ms);
}

static void
join_new_member (RgGroupCoordinator * c, Group * g,
    const RgGroupJoinRequest * req, gpointer waiter, gint64 now_ms,
    RgGroupJoinResponse * resp)
{
  gchar *id = new_member_id (req);
  Member *old = member_find_instance (g, req->group_instance_id);

  if (old) {
    replace_static_member (c, g, old, req, id, waiter, now_ms, resp);
  } else if (req->group_instance_id.data == NULL && req->version >= 4) {
    gint64 *expiry = g_new (gint64, 1);

    *expiry = now_ms + req->session_timeout_ms;
    g_hash_table_insert (g->pending, id, expiry);
    join_error (resp, RG_GROUP_ERR_MEMBER_ID_REQUIRED, id);
    c->answered_inline = TRUE;
  } else {
    add_and_rebalance (c, g, req, id, waiter, now_ms);
  }
}

static gboolean
same_protocols (Member * m, const RgGroupJoinRequest * req)
{
  GPtrArray *p = protocols_from_request (req);
  gboolean same = protocols_equal (m->protocols, p);

  g_ptr_array_unref (p);
  return same;
}

static void
join_known_member (RgGroupCoordinator * c, Group * g,
    const RgGroupJoinRequest * req, gpointer waiter, gint64 now_ms,
    RgGroupJoinResponse * resp)
{
  const gchar *id = scratch_id (c, req->member_id);
  Member *m;

  if (g_hash_table_contains (g->pending, id)) {
    add_and_rebalance (c, g, req, g_strdup (id), waiter, now_ms);
    return;
  }
  if (is_fenced (g, req->member_id, req->group_instance_id)) {
    join_error (resp, RG_GROUP_ERR_FENCED_INSTANCE_ID, id);
    c->answered_inline = TRUE;
    return;
  }
  m = member_find (g, req->member_id);
  if (m == NULL || g->state == RG_GROUP_EMPTY) {
    join_error (resp, RG_GROUP_ERR_UNKNOWN_MEMBER_ID, id);
    c->answered_inline = TRUE;
    return;
  }
  /* A member that rejoins with unchanged metadata while its generation is
   * still current gets that generation again (its JoinGroup response was
   * lost); the leader rejoining a Stable group means it wants a new
   * assignment. */
  if ((g->state == RG_GROUP_COMPLETING_REBALANCE ||
          (g->state == RG_GROUP_STABLE && !is_leader (g, m))) &&
      same_protocols (m, req)) {
    m->last_heartbeat_ms = now_ms;
    join_success (c, g, m, resp);
    c->answered_inline = TRUE;
    return;
  }
  update_and_rebalance (c, g, m, req, waiter, now_ms);
}

static gint16
check_join (RgGroupCoordinator * c, const RgGroupJoinRequest * req)
{
  gint16 err = phase_error (c);

  if (err != RG_GROUP_ERR_NONE)
    return err;
  if (str_is_empty (req->group_id))
    return RG_GROUP_ERR_INVALID_GROUP_ID;
  if (req->session_timeout_ms < c->config.min_session_timeout_ms ||
      req->session_timeout_ms > c->config.max_session_timeout_ms)
    return RG_GROUP_ERR_INVALID_SESSION_TIMEOUT;
  return RG_GROUP_ERR_NONE;
}

static gint16
check_join_group (RgGroupCoordinator * c, Group * g,
    const RgGroupJoinRequest * req)
{
  gboolean new_member = str_is_empty (req->member_id);

  if (g == NULL && !new_member)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (!supports_protocols (g, req))
    return RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL;
  if (g && new_member && c->config.max_group_size > 0 &&
      g->members->len >= c->config.max_group_size &&
      member_find_instance (g, req->group_instance_id) == NULL)
    return RG_GROUP_ERR_GROUP_MAX_SIZE_REACHED;
  return RG_GROUP_ERR_NONE;
}

RgGroupResult
rg_group_coordinator_join (RgGroupCoordinator * c,
    const RgGroupJoinRequest * req, gpointer waiter, gint64 now_ms,
    RgGroupJoinResponse * resp)
{
  gint16 err = check_join (c, req);
  Group *g;

  if (err == RG_GROUP_ERR_NONE) {
    g = group_find (c, req->group_id);
    err = check_join_group (c, g, req);
  }
  if (err != RG_GROUP_ERR_NONE) {
    join_error (resp, err, scratch_id (c, req->member_id));
    return RG_GROUP_DONE;
  }
  if (g == NULL)
    g = group_new (c, scratch_id (c, req->group_id), now_ms);

  c->inline_member = NULL;
  c->inline_join = resp;
  c->answered_inline = FALSE;
  if (str_is_empty (req->member_id))
    join_new_member (c, g, req, waiter, now_ms, resp);
  else
    join_known_member (c, g, req, waiter, now_ms, resp);
  c->inline_member = NULL;
  c->inline_join = NULL;
  return c->answered_inline ? RG_GROUP_DONE : RG_GROUP_PARKED;
}

/* ---------------------------------------------------------------------- */
/* SyncGroup */

static void
sync_error (RgGroupCoordinator * c, RgGroupSyncResponse * resp, gint16 err)
{
  resp->error = err;
  resp->protocol_type = "";
  resp->protocol_name = "";
  resp->assignment = c->empty;
}

/* The leader's assignment: stored for every member (empty for members it
 * left out), persisted, then handed out. */
static void
apply_assignment (RgGroupCoordinator * c, Group * g,
    const RgGroupSyncRequest * req, gint64 now_ms)
{
  guint i, j;

  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    const RgKafkaBytes *a = NULL;

    for (j = 0; j < req->n_assignments; j++)
      if (rg_kafka_str_equal (req->assignments[j].member_id, m->member_id))
        a = &req->assignments[j].assignment;
    g_bytes_unref (m->assignment);
    m->assignment = a && a->len > 0 ? g_bytes_new (a->data, a->len) :
        g_bytes_ref (c->empty);
  }
  set_state (g, RG_GROUP_STABLE, now_ms);
  if (!persist_group (c, g, FALSE)) {
    g->state = RG_GROUP_COMPLETING_REBALANCE;
    reset_assignments (c, g, RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE);
    prepare_rebalance (c, g, now_ms);
    return;
  }
  g->sync_deadline = NO_DEADLINE;
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    if (m->awaiting_sync)
      answer_sync (c, g, m, RG_GROUP_ERR_NONE);
  }
}

static gint16
check_sync (RgGroupCoordinator * c, Group * g, const RgGroupSyncRequest * req)
{
  gint16 err = phase_error (c);

  if (err != RG_GROUP_ERR_NONE)
    return err;
  if (g == NULL)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (is_fenced (g, req->member_id, req->group_instance_id))
    return RG_GROUP_ERR_FENCED_INSTANCE_ID;
  if (member_find (g, req->member_id) == NULL)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (req->generation_id != g->generation)
    return RG_GROUP_ERR_ILLEGAL_GENERATION;
  if ((req->protocol_type.data && !rg_kafka_str_equal (req->protocol_type,
              g->protocol_type)) || (req->protocol_name.data &&
          !rg_kafka_str_equal (req->protocol_name, g->protocol_name)))
    return RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL;
  if (g->state == RG_GROUP_EMPTY)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (g->state == RG_GROUP_PREPARING_REBALANCE)
    return RG_GROUP_ERR_REBALANCE_IN_PROGRESS;
  return RG_GROUP_ERR_NONE;
}

RgGroupResult
rg_group_coordinator_sync (RgGroupCoordinator * c,
    const RgGroupSyncRequest * req, gpointer waiter, gint64 now_ms,
    RgGroupSyncResponse * resp)
{
  Group *g = c->phase == PHASE_ACTIVE ? group_find (c, req->group_id) : NULL;
  gint16 err = check_sync (c, g, req);
  Member *m;

  if (err != RG_GROUP_ERR_NONE) {
    sync_error (c, resp, err);
    return RG_GROUP_DONE;
  }
  m = member_find (g, req->member_id);
  m->last_heartbeat_ms = now_ms;
  m->synced = TRUE;
  if (g->state == RG_GROUP_STABLE) {
    resp->error = RG_GROUP_ERR_NONE;
    resp->protocol_type = g->protocol_type ? g->protocol_type : "";
    resp->protocol_name = g->protocol_name ? g->protocol_name : "";
    resp->assignment = m->assignment;
    return RG_GROUP_DONE;
  }
  /* CompletingRebalance: park until the leader's assignment arrives. */
  m->awaiting_sync = TRUE;
  m->sync_waiter = waiter;
  c->inline_member = m;
  c->inline_sync = resp;
  c->answered_inline = FALSE;
  if (is_leader (g, m))
    apply_assignment (c, g, req, now_ms);
  c->inline_member = NULL;
  c->inline_sync = NULL;
  return c->answered_inline ? RG_GROUP_DONE : RG_GROUP_PARKED;
}

/* ---------------------------------------------------------------------- */
/* Heartbeat and LeaveGroup */

gint16
rg_group_coordinator_heartbeat (RgGroupCoordinator * c,
    const RgGroupHeartbeatRequest * req, gint64 now_ms)
{
  gint16 err = phase_error (c);
  Group *g;
  Member *m;

  if (err != RG_GROUP_ERR_NONE)
    return err;
  g = group_find (c, req->group_id);
  if (g == NULL)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (is_fenced (g, req->member_id, req->group_instance_id))
    return RG_GROUP_ERR_FENCED_INSTANCE_ID;
  m = member_find (g, req->member_id);
  if (m == NULL || g->state == RG_GROUP_EMPTY)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (req->generation_id != g->generation)
    return RG_GROUP_ERR_ILLEGAL_GENERATION;
  m->last_heartbeat_ms = now_ms;
  return g->state == RG_GROUP_PREPARING_REBALANCE ?
      RG_GROUP_ERR_REBALANCE_IN_PROGRESS : RG_GROUP_ERR_NONE;
}

static gint16
leave_one (RgGroupCoordinator * c, Group * g, RgKafkaStr member_id,
    RgKafkaStr instance, gint64 now_ms)
{
  Member *m;

  if (instance.data != NULL && instance.len >= 0) {
    m = member_find_instance (g, instance);
    if (m == NULL)
      return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (!str_is_empty (member_id) && !rg_kafka_str_equal (member_id,
            m->member_id))
      return RG_GROUP_ERR_FENCED_INSTANCE_ID;
  } else {
    if (g_hash_table_remove (g->pending, scratch_id (c, member_id))) {
      try_complete_join (c, g, now_ms);
      return RG_GROUP_ERR_NONE;
    }
    m = member_find (g, member_id);
    if (m == NULL)
      return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  }
  remove_member_and_update (c, g, m, now_ms);
  return RG_GROUP_ERR_NONE;
}

void
rg_group_coordinator_leave (RgGroupCoordinator * c,
    const RgGroupLeaveRequest * req, gint64 now_ms,
    RgGroupLeaveResponse * resp)
{
  gboolean batch = req->version >= 3;
  guint n = batch ? req->n_members : 1;
  Group *g;
  guint i;

  memset (resp, 0, sizeof (*resp));
  g_array_set_size (c->leave_errors, batch ? n : 0);
  resp->member_errors = (const gint16 *) c->leave_errors->data;
  resp->n_members = c->leave_errors->len;
  resp->error = phase_error (c);
  if (resp->error != RG_GROUP_ERR_NONE)
    return;
  g = group_find (c, req->group_id);
  for (i = 0; i < n; i++) {
    RgKafkaStr id = batch ? req->members[i].member_id : req->member_id;
    RgKafkaStr inst = batch ? req->members[i].group_instance_id :
        RG_KAFKA_STR_NULL;
    gint16 err = g ? leave_one (c, g, id, inst, now_ms) :
        RG_GROUP_ERR_UNKNOWN_MEMBER_ID;

    if (batch)
      g_array_index (c->leave_errors, gint16, i) = err;
    else
      resp->error = err;
  }
}

/* ---------------------------------------------------------------------- */
/* OffsetCommit and OffsetFetch */

static void
commit_record (const RgGroupCommitRequest * req,
    const RgGroupCommitPartition * p, gint64 now_ms, GByteArray * key,
    GByteArray * value)
{
  RgKafkaOffsetsKey k = { 1, req->group_id, p->topic, p->partition };
  RgKafkaOffsetCommitValue v = { 3, p->offset, p->leader_epoch,
    p->metadata, p->commit_timestamp >= 0 ? p->commit_timestamp : now_ms,
    -1
  };

  if (v.metadata.data == NULL || v.metadata.len < 0)
    v.metadata = rg_kafka_str_from_cstr ("");
  /* Kafka writes value version 1 only when the commit asked for an
   * explicit expiry (a retention time in OffsetCommit v2-4). */
  if (req->retention_ms >= 0) {
    v.version = 1;
    v.expire_timestamp = v.commit_timestamp + req->retention_ms;
  }
  g_assert (rg_kafka_offsets_key_encode (&k, key, NULL));
  g_assert (rg_kafka_offset_commit_value_encode (&v, value, NULL));
}

static void
store_commit (RgGroupCoordinator * c, const gchar * group,
    const RgGroupCommitRequest * req, const RgGroupCommitPartition * p,
    gint64 now_ms)
{
  RgOffsetStoreEntry e;

  e.topic = rg_kafka_str_dup (p->topic);
  e.partition = p->partition;
  e.offset = p->offset;
  e.leader_epoch = p->leader_epoch;
  e.metadata = rg_kafka_str_dup (p->metadata);
  e.commit_timestamp = p->commit_timestamp >= 0 ? p->commit_timestamp :
      now_ms;
  e.expire_timestamp = req->retention_ms >= 0 ?
      e.commit_timestamp + req->retention_ms : -1;
  rg_offset_store_commit (c->offsets, group, &e);
  g_free (e.topic);
  g_free (e.metadata);
}

/* Encodes every acceptable partition, persists them in one go, and stores
 * them only if that worked. */
static void
apply_commit (RgGroupCoordinator * c, Group * g,
    const RgGroupCommitRequest * req, gint64 now_ms)
{
  GByteArray *bytes = g_byte_array_new ();
  GArray *records = g_array_new (FALSE, FALSE, sizeof (RgGroupRecord));
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (gsize) * 3);
  gboolean ok;
  guint i, r;

  for (i = 0; i < req->n_partitions; i++) {
    const RgGroupCommitPartition *p = &req->partitions[i];
    gsize span[3];
    GByteArray *key = g_byte_array_new (), *value = g_byte_array_new ();

    if (p->metadata.len > c->config.max_metadata_bytes) {
      req->errors[i] = RG_GROUP_ERR_OFFSET_METADATA_TOO_LARGE;
      g_byte_array_unref (key);
      g_byte_array_unref (value);
      continue;
    }
    req->errors[i] = RG_GROUP_ERR_NONE;
    commit_record (req, p, now_ms, key, value);
    span[0] = bytes->len;
    span[1] = key->len;
    span[2] = value->len;
    g_byte_array_append (bytes, key->data, key->len);
    g_byte_array_append (bytes, value->data, value->len);
    g_array_append_vals (offsets, span, 1);
    g_byte_array_unref (key);
    g_byte_array_unref (value);
  }
  /* The byte array may have moved while growing: point into it only now. */
  for (r = 0; r < offsets->len; r++) {
    gsize *span = &g_array_index (offsets, gsize, r * 3);
    RgGroupRecord rec = { bytes->data + span[0], span[1],
      bytes->data + span[0] + span[1], span[2]
    };

    g_array_append_val (records, rec);
  }
  ok = records->len == 0 || persist (c, (RgGroupRecord *) records->data,
      records->len);
  for (i = 0; i < req->n_partitions; i++) {
    if (req->errors[i] != RG_GROUP_ERR_NONE)
      continue;
    if (ok)
      store_commit (c, g->id, req, &req->partitions[i], now_ms);
    else
      req->errors[i] = RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
  }
  g_array_unref (records);
  g_array_unref (offsets);
  g_byte_array_unref (bytes);
}

/* Kafka's order of checks for a commit to an existing group. */
static gint16
check_commit (Group * g, const RgGroupCommitRequest * req, gint64 now_ms)
{
  Member *m;

  if (is_fenced (g, req->member_id, req->group_instance_id))
    return RG_GROUP_ERR_FENCED_INSTANCE_ID;
  if (req->generation_id < 0 && g->state == RG_GROUP_EMPTY)
    return RG_GROUP_ERR_NONE;
  if (g->state == RG_GROUP_COMPLETING_REBALANCE)
    return RG_GROUP_ERR_REBALANCE_IN_PROGRESS;
  m = member_find (g, req->member_id);
  if (m == NULL)
    return RG_GROUP_ERR_UNKNOWN_MEMBER_ID;
  if (req->generation_id != g->generation)
    return RG_GROUP_ERR_ILLEGAL_GENERATION;
  m->last_heartbeat_ms = now_ms;
  return RG_GROUP_ERR_NONE;
}

/* The commit of @req; @member: the committer is a group member whose
 * generation is checked (OffsetCommit), else a transaction's producer,
 * which is no member: its offsets land whatever generation the group is
 * in, as Kafka's transactional commits do (TxnOffsetCommit). */
static gint16
commit_offsets (RgGroupCoordinator * c, const RgGroupCommitRequest * req,
    gboolean member, gint64 now_ms)
{
  gint16 err = phase_error (c);
  Group *g = NULL;
  guint i;

  if (err == RG_GROUP_ERR_NONE && str_is_empty (req->group_id))
    err = RG_GROUP_ERR_INVALID_GROUP_ID;
  if (err == RG_GROUP_ERR_NONE) {
    g = group_find (c, req->group_id);
    /* No such group: a simple commit (generation -1) or a transaction's
     * creates it; a member's comes from a generation that no longer
     * exists. */
    if (g == NULL && (!member || req->generation_id < 0))
      g = group_new (c, scratch_id (c, req->group_id), now_ms);
    if (g == NULL)
      err = RG_GROUP_ERR_ILLEGAL_GENERATION;
    else if (member)
      err = check_commit (g, req, now_ms);
  }
  if (err != RG_GROUP_ERR_NONE) {
    for (i = 0; i < req->n_partitions; i++)
      req->errors[i] = err;
    return err;
  }
  apply_commit (c, g, req, now_ms);
  return RG_GROUP_ERR_NONE;
}

gint16
rg_group_coordinator_commit (RgGroupCoordinator * c,
    const RgGroupCommitRequest * req, gint64 now_ms)
{
  return commit_offsets (c, req, TRUE, now_ms);
}

gint16
rg_group_coordinator_commit_txn (RgGroupCoordinator * c,
    const RgGroupCommitRequest * req, gint64 now_ms)
{
  return commit_offsets (c, req, FALSE, now_ms);
}

static void
fetch_add (RgGroupCoordinator * c, const gchar * topic, gint32 partition,
    const RgOffsetStoreEntry * e)
{
  RgGroupFetchPartition p = { topic, partition, -1, -1, "", 0 };

  if (e) {
    p.offset = e->offset;
    p.leader_epoch = e->leader_epoch;
    p.metadata = e->metadata;
  }
  g_array_append_val (c->fetch_partitions, p);
}

void
rg_group_coordinator_fetch (RgGroupCoordinator * c,
    const RgGroupFetchRequest * req, RgGroupFetchResponse * resp)
{
  gchar *group = rg_kafka_str_dup (req->group_id);
  guint i;

  g_array_set_size (c->fetch_partitions, 0);
  if (c->fetch_entries)
    g_ptr_array_unref (c->fetch_entries);
  c->fetch_entries = g_ptr_array_new_with_free_func (g_free);
  resp->error = phase_error (c);
  if (resp->error == RG_GROUP_ERR_NONE && req->all) {
    GPtrArray *list = rg_offset_store_list (c->offsets, group ? group : "");

    for (i = 0; i < list->len; i++) {
      const RgOffsetStoreEntry *e = g_ptr_array_index (list, i);

      fetch_add (c, e->topic, e->partition, e);
    }
    g_ptr_array_unref (list);
  } else if (!req->all) {
    for (i = 0; i < req->n_partitions; i++) {
      gchar *topic = rg_kafka_str_dup (req->partitions[i].topic);
      const RgOffsetStoreEntry *e = NULL;

      g_ptr_array_add (c->fetch_entries, topic);
      if (resp->error == RG_GROUP_ERR_NONE && topic)
        e = rg_offset_store_lookup (c->offsets, group ? group : "", topic,
            req->partitions[i].partition);
      fetch_add (c, topic ? topic : "", req->partitions[i].partition, e);
      g_array_index (c->fetch_partitions, RgGroupFetchPartition,
          c->fetch_partitions->len - 1).error = resp->error;
    }
  }
  g_free (group);
  resp->partitions = (const RgGroupFetchPartition *)
      c->fetch_partitions->data;
  resp->n_partitions = c->fetch_partitions->len;
}

/* ---------------------------------------------------------------------- */
/* ListGroups, DescribeGroups, DeleteGroups */

static gint
compare_listing (gconstpointer a, gconstpointer b)
{
  return strcmp (((const RgGroupListing *) a)->group_id,
      ((const RgGroupListing *) b)->group_id);
}

static gboolean
state_in (RgGroupState s, const RgGroupState * filter, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (filter[i] == s)
      return TRUE;
  return n == 0;
}

gint16
rg_group_coordinator_list (RgGroupCoordinator * c,
    const RgGroupState * filter, guint n_states,
    const RgGroupListing ** groups, guint * n_groups)
{
  GHashTableIter it;
  gpointer value;

  g_array_set_size (c->listing, 0);
  if (phase_error (c) == RG_GROUP_ERR_NONE) {
    g_hash_table_iter_init (&it, c->groups);
    while (g_hash_table_iter_next (&it, NULL, &value)) {
      Group *g = value;
      RgGroupListing l = { g->id, g->protocol_type ? g->protocol_type : "",
        g->state
      };

      if (g->state != RG_GROUP_DEAD && state_in (g->state, filter, n_states))
        g_array_append_val (c->listing, l);
    }
    g_array_sort (c->listing, compare_listing);
  }
  *groups = (const RgGroupListing *) c->listing->data;
  *n_groups = c->listing->len;
  return phase_error (c);
}

void
rg_group_coordinator_describe (RgGroupCoordinator * c, RgKafkaStr group_id,
    RgGroupDescription * d)
{
  Group *g;
  gboolean stable;
  guint i;

  g_array_set_size (c->described, 0);
  memset (d, 0, sizeof (*d));
  d->error = phase_error (c);
  g = group_find (c, group_id);
  d->group_id = c->scratch_id ? c->scratch_id : "";
  d->state = RG_GROUP_DEAD;
  d->protocol_type = "";
  d->protocol = "";
  if (d->error != RG_GROUP_ERR_NONE || g == NULL)
    return;
  stable = g->state == RG_GROUP_STABLE;
  d->group_id = g->id;
  d->state = g->state;
  d->protocol_type = g->protocol_type ? g->protocol_type : "";
  d->protocol = stable && g->protocol_name ? g->protocol_name : "";
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    Protocol *p = stable ? member_protocol (m, g->protocol_name) : NULL;
    RgGroupMemberDescription md = { m->member_id, m->instance_id,
      m->client_id, m->client_host, p ? p->metadata : c->empty,
      stable ? m->assignment : c->empty
    };

    g_array_append_val (c->described, md);
  }
  d->members = (const RgGroupMemberDescription *) c->described->data;
  d->n_members = c->described->len;
}

gint16
rg_group_coordinator_delete (RgGroupCoordinator * c, RgKafkaStr group_id)
{
  gint16 err = phase_error (c);
  GPtrArray *list;
  GArray *records;
  GPtrArray *keys;
  Group *g;
  guint i;
  gboolean ok;

  if (err != RG_GROUP_ERR_NONE)
    return err;
  g = group_find (c, group_id);
  if (g == NULL)
    return RG_GROUP_ERR_GROUP_ID_NOT_FOUND;
  if (g->state != RG_GROUP_EMPTY)
    return RG_GROUP_ERR_NON_EMPTY_GROUP;

  /* One tombstone per committed offset, then the group's own. */
  list = rg_offset_store_list (c->offsets, g->id);
  records = g_array_new (FALSE, FALSE, sizeof (RgGroupRecord));
  keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  for (i = 0; i <= list->len; i++) {
    GByteArray *key = g_byte_array_new ();
    RgGroupRecord rec = { NULL, 0, NULL, 0 };

    if (i < list->len) {
      const RgOffsetStoreEntry *e = g_ptr_array_index (list, i);
      RgKafkaOffsetsKey k = { 1, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL,
        e->partition
      };

      k.group = rg_kafka_str_from_cstr (g->id);
      k.topic = rg_kafka_str_from_cstr (e->topic);
      g_assert (rg_kafka_offsets_key_encode (&k, key, NULL));
    } else {
      GByteArray *unused = g_byte_array_new ();

      group_record (g, key, unused, TRUE);
      g_byte_array_unref (unused);
    }
    g_ptr_array_add (keys, key);
    rec.key = key->data;
    rec.key_len = key->len;
    g_array_append_val (records, rec);
  }
  ok = persist (c, (RgGroupRecord *) records->data, records->len);
  if (ok) {
    rg_offset_store_delete_group (c->offsets, g->id);
    g_hash_table_remove (c->groups, g->id);
  }
  g_ptr_array_unref (list);
  g_array_unref (records);
  g_ptr_array_unref (keys);
  return ok ? RG_GROUP_ERR_NONE : RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* Whether consumer-protocol subscription @metadata (ConsumerProtocol
 * Subscription: int16 Version, ARRAY STRING Topics, then fields this does
 * not need) names @topic. Metadata that does not decode names nothing, as
 * Kafka treats a subscription it cannot read. */
static gboolean
subscription_names (GBytes * metadata, RgKafkaStr topic)
{
  gsize len, pos = 6;
  const guint8 *p = metadata ? g_bytes_get_data (metadata, &len) : NULL;
  gint32 i, n;

  if (p == NULL || len < 6 || (gint16) GUINT16_FROM_BE (*(guint16 *) p) < 0)
    return FALSE;
  n = (gint32) GUINT32_FROM_BE (*(guint32 *) (p + 2));
  for (i = 0; i < n && pos + 2 <= len; i++) {
    gint16 l = (gint16) GUINT16_FROM_BE (*(guint16 *) (p + pos));

    pos += 2;
    if (l < 0 || pos + l > len)
      return FALSE;
    if (l == topic.len && memcmp (p + pos, topic.data, l) == 0)
      return TRUE;
    pos += l;
  }
  return FALSE;
}

/* Whether an active member of consumer group @g subscribes to @topic:
 * each member's metadata for the group's protocol (before the first
 * generation chose one, its first). */
static gboolean
group_subscribes_to (Group * g, RgKafkaStr topic)
{
  guint i;

  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);
    Protocol *p = g->protocol_name ? member_protocol (m, g->protocol_name) :
        NULL;

    if (p == NULL && m->protocols->len > 0)
      p = g_ptr_array_index (m->protocols, 0);
    if (p && subscription_names (p->metadata, topic))
      return TRUE;
  }
  return FALSE;
}

/* The group-level answer of an OffsetDelete, and which partitions may go:
 * @errors is set to GROUP_SUBSCRIBED_TO_TOPIC for those that may not. */
static gint16
offset_delete_check (Group * g, const RgGroupTopicPartition * partitions,
    guint n, gint16 * errors)
{
  gboolean consumer = g->protocol_type
      && strcmp (g->protocol_type, "consumer") == 0;
  guint i;

  if (g->state == RG_GROUP_DEAD)
    return RG_GROUP_ERR_GROUP_ID_NOT_FOUND;
  if (g->state != RG_GROUP_EMPTY && !consumer)
    return RG_GROUP_ERR_NON_EMPTY_GROUP;
  for (i = 0; i < n; i++)
    errors[i] = g->state != RG_GROUP_EMPTY
        && group_subscribes_to (g, partitions[i].topic) ?
        RG_GROUP_ERR_GROUP_SUBSCRIBED_TO_TOPIC : RG_GROUP_ERR_NONE;
  return RG_GROUP_ERR_NONE;
}

gint16
rg_group_coordinator_delete_offsets (RgGroupCoordinator * c,
    RgKafkaStr group_id, const RgGroupTopicPartition * partitions,
    guint n, gint16 * errors)
{
  gint16 err = phase_error (c);
  GArray *records;
  GPtrArray *keys, *topics;
  Group *g = NULL;
  gboolean ok;
  guint i;

  if (err == RG_GROUP_ERR_NONE) {
    g = group_find (c, group_id);
    err = g ? offset_delete_check (g, partitions, n, errors) :
        RG_GROUP_ERR_GROUP_ID_NOT_FOUND;
  }
  if (err != RG_GROUP_ERR_NONE) {
    for (i = 0; i < n; i++)
      errors[i] = err;
    return err;
  }

  /* One tombstone per committed offset that goes. */
  records = g_array_new (FALSE, FALSE, sizeof (RgGroupRecord));
  keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  topics = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < n; i++) {
    gchar *topic = rg_kafka_str_dup (partitions[i].topic);
    RgKafkaOffsetsKey k = { 1, RG_KAFKA_STR_NULL, partitions[i].topic,
      partitions[i].partition
    };
    GByteArray *key;
    RgGroupRecord rec = { NULL, 0, NULL, 0 };

    g_ptr_array_add (topics, topic);
    if (errors[i] != RG_GROUP_ERR_NONE || !rg_offset_store_lookup (c->offsets,
            g->id, topic, partitions[i].partition))
      continue;
    key = g_byte_array_new ();
    k.group = rg_kafka_str_from_cstr (g->id);
    g_assert (rg_kafka_offsets_key_encode (&k, key, NULL));
    g_ptr_array_add (keys, key);
    rec.key = key->data;
    rec.key_len = key->len;
    g_array_append_val (records, rec);
  }
  ok = records->len == 0 || persist (c, (RgGroupRecord *) records->data,
      records->len);
  for (i = 0; i < n; i++) {
    if (errors[i] != RG_GROUP_ERR_NONE)
      continue;
    if (ok)
      rg_offset_store_forget (c->offsets, g->id,
          g_ptr_array_index (topics, i), partitions[i].partition);
    else
      errors[i] = RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
  }
  g_array_unref (records);
  g_ptr_array_unref (keys);
  g_ptr_array_unref (topics);
  return ok ? RG_GROUP_ERR_NONE : RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* ---------------------------------------------------------------------- */
/* Timers */

static void
expire_pending (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  GHashTableIter it;
  gpointer expiry;
  gboolean removed = FALSE;

  g_hash_table_iter_init (&it, g->pending);
  while (g_hash_table_iter_next (&it, NULL, &expiry)) {
    if (*(gint64 *) expiry <= now_ms) {
      g_hash_table_iter_remove (&it);
      removed = TRUE;
    }
  }
  if (removed)
    try_complete_join (c, g, now_ms);
}

static gboolean
session_expired (Member * m, gint64 now_ms)
{
  return !m->awaiting_join && !m->awaiting_sync &&
      m->last_heartbeat_ms + m->session_timeout_ms <= now_ms;
}

static void
expire_members (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  guint i = 0;

  while (i < g->members->len) {
    Member *m = g_ptr_array_index (g->members, i);

    if (session_expired (m, now_ms))
      remove_member_and_update (c, g, m, now_ms);
    else
      i++;
  }
}

/* The initial delay of an Empty group's first rebalance: extended while
 * members keep arriving, within the rebalance timeout. */
static void
check_initial_delay (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  gint32 step;

  if (g->state != RG_GROUP_PREPARING_REBALANCE || g->delay_until > now_ms)
    return;
  if (g->joined_during_delay && g->delay_remaining > 0) {
    step = MIN (c->config.initial_rebalance_delay_ms, g->delay_remaining);
    g->delay_until = now_ms + step;
    g->delay_remaining -= step;
    g->joined_during_delay = FALSE;
    return;
  }
  complete_join (c, g, now_ms);
}

/* Members that got their JoinGroup answer but sent no SyncGroup within
 * the rebalance timeout are dropped, so a vanished leader cannot stall
 * the group. */
static void
check_pending_syncs (RgGroupCoordinator * c, Group * g, gint64 now_ms)
{
  gboolean removed = FALSE;
  gchar *leader;
  guint i = 0;

  if (g->state != RG_GROUP_COMPLETING_REBALANCE || g->sync_deadline > now_ms)
    return;
  g->sync_deadline = NO_DEADLINE;
  /* The leader cannot have synced (the group would be Stable), so it
   * goes too; members that did sync stay and rejoin. Removing the leader
   * elects another, hence the copy of the old leader's id. */
  leader = g_strdup (g->leader_id);
  while (i < g->members->len) {
    Member *m = g_ptr_array_index (g->members, i);

    if (!m->synced || g_strcmp0 (leader, m->member_id) == 0) {
      if (m->awaiting_sync)
        answer_sync (c, g, m, RG_GROUP_ERR_UNKNOWN_MEMBER_ID);
      remove_member (g, m);
      removed = TRUE;
    } else {
      i++;
    }
  }
  g_free (leader);
  if (removed)
    prepare_rebalance (c, g, now_ms);
}

void
rg_group_coordinator_poll (RgGroupCoordinator * c, gint64 now_ms)
{
  GList *groups, *l;

  if (c->phase != PHASE_ACTIVE)
    return;
  groups = g_hash_table_get_values (c->groups);
  for (l = groups; l; l = l->next) {
    Group *g = l->data;

    expire_pending (c, g, now_ms);
    if (g->delay_until != NO_DEADLINE)
      check_initial_delay (c, g, now_ms);
    if (g->state == RG_GROUP_PREPARING_REBALANCE &&
        g->rebalance_deadline <= now_ms)
      complete_join (c, g, now_ms);
    check_pending_syncs (c, g, now_ms);
    expire_members (c, g, now_ms);
  }
  g_list_free (groups);
}

static gint64
group_deadline (Group * g)
{
  gint64 next = MIN (g->delay_until, g->rebalance_deadline);
  GHashTableIter it;
  gpointer expiry;
  guint i;

  if (g->state == RG_GROUP_COMPLETING_REBALANCE)
    next = MIN (next, g->sync_deadline);
  g_hash_table_iter_init (&it, g->pending);
  while (g_hash_table_iter_next (&it, NULL, &expiry))
    next = MIN (next, *(gint64 *) expiry);
  for (i = 0; i < g->members->len; i++) {
    Member *m = g_ptr_array_index (g->members, i);

    if (!m->awaiting_join && !m->awaiting_sync)
      next = MIN (next, m->last_heartbeat_ms + m->session_timeout_ms);
  }
  return next;
}

gint64
rg_group_coordinator_next_deadline (RgGroupCoordinator * c)
{
  GHashTableIter it;
  gpointer value;
  gint64 next = NO_DEADLINE;

  if (c->phase != PHASE_ACTIVE)
    return NO_DEADLINE;
  g_hash_table_iter_init (&it, c->groups);
  while (g_hash_table_iter_next (&it, NULL, &value))
    next = MIN (next, group_deadline (value));
  return next;
}

void
rg_group_coordinator_cancel (RgGroupCoordinator * c, gpointer waiter)
{
  GHashTableIter it;
  gpointer value;
  guint i;

  g_hash_table_iter_init (&it, c->groups);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Group *g = value;

    for (i = 0; i < g->members->len; i++) {
      Member *m = g_ptr_array_index (g->members, i);

      if (m->join_waiter == waiter)
        m->join_waiter = NULL;
      if (m->sync_waiter == waiter)
        m->sync_waiter = NULL;
    }
  }
}
