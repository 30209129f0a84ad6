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
 * The group handlers of the embedded broker (contract in
 * rgbrokergroups.h). Each handler hands its parsed request
 * (kafka/rgkafkagroup.h) to the coordinator and encodes the answer; the
 * coordinator is the only place group state lives.
 *
 * Parking. A request that cannot be answered yet is parked by the
 * connection layer with its frame; its parsed body carries a Wait (below)
 * as its waiter. The coordinator completes a parked JoinGroup or SyncGroup
 * from inside another call (another member's request, or the timers of
 * rg_broker_groups_turn()); the callback encodes the answer into the Wait
 * at once (the coordinator's response structs live only for the callback)
 * and wakes the loop, whose retry of every parked request then finds it.
 * A connection closing frees its parked request, whose Wait cancels
 * itself in the coordinator. A Wait that outlives its deadline (the
 * rebalance timeout plus a margin: the coordinator always answers before)
 * is answered REBALANCE_IN_PROGRESS, on which every client rejoins.
 *
 * Answers, per api:
 *  - FindCoordinator: this broker (node 0, the advertised host and port)
 *    for a group; COORDINATOR_NOT_AVAILABLE for a transactional id (no
 *    transaction coordinator here).
 *  - JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetFetch,
 *    ListGroups, DescribeGroups: the coordinator's answer.
 *  - With an ACL file (docs/security.md), every api but FindCoordinator
 *    needs read on the group ("group:<id>" rules): GROUP_AUTHORIZATION_FAILED
 *    (30) otherwise, and nothing reaches the coordinator. OffsetCommit also
 *    needs read on each topic (TOPIC_AUTHORIZATION_FAILED, 29, for its
 *    partitions, which are not committed); OffsetFetch answers 29 for a
 *    topic named that the principal may not read and leaves such topics
 *    out of an all-topics answer; ListGroups lists only the groups the
 *    principal may read. FindCoordinator is not checked: every group's
 *    coordinator is this broker, there is nothing to hide.
 *  - OffsetCommit: UNKNOWN_TOPIC_OR_PARTITION for a partition the broker
 *    does not serve (as Kafka), the coordinator's answer for the others,
 *    sent once the commit is durable: with the offsets journal under sync=always, after an
 *    fdatasync covers it (group commit); a journal that failed answers
 *    COORDINATOR_NOT_AVAILABLE, which clients retry.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokergroups.h"
#include "broker/rgbrokerauth.h"
#include "broker/rgbrokeroffsettopic.h"
#include "broker/rgbrokertopic.h"

#include <pthread.h>
#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* How long past the coordinator's own deadline a parked group request may
 * wait before the broker gives up on it. */
#define WAIT_MARGIN_MS 5000
/* How long an OffsetCommit may wait for its fdatasync. */
#define COMMIT_WAIT_MS 30000

struct _RgBrokerGroups
{
  RgGroupConfig config;
  RgWaker *waker;

  /* Guards everything below: the loop thread's handlers and timers, and
   * an element's thread enabling the journal. */
  pthread_mutex_t lock;
  RgGroupCoordinator *coordinator;
  RgBrokerOffsetTopic *topic;
  gchar *topic_dir;
  /* The persist callback's error, for the handler that called in. */
  gboolean persist_failed;
};

/* A parked request's state (the waiter of its parsed body). */
typedef struct
{
  RgBrokerGroups *groups;
  gint16 api_key;
  gint16 version;
  gint32 correlation_id;
  /* In the coordinator: cancel it if the request goes away first. */
  gboolean in_coordinator;
  /* The answer, once there is one. */
  RgKafkaResponse *response;
  gboolean failed;
  /* OffsetCommit: @response is sent once the offsets topic is durable up
   * to here (0: no wait). */
  guint64 durable_end;
} Wait;

static gint64
wall_ms (void)
{
  return g_get_real_time () / 1000;
}

static RgKafkaGroupRequest *
group_body (const RgKafkaRequest * req)
{
  return req->body.other.body;
}

/* The group ACL check: 0, or GROUP_AUTHORIZATION_FAILED. */
static gint16
group_denied (const RgBrokerRequestContext * ctx, RgKafkaStr group_id)
{
  gint16 err = rg_broker_auth_check_group (ctx, group_id, RG_BROKER_ACL_READ);

  if (err != 0)
    GST_INFO ("client %s (%s): no read on group \"%.*s\"", ctx->peer,
        ctx->principal ? ctx->principal : "?", MAX (group_id.len, 0),
        group_id.data ? group_id.data : "");
  return err;
}

/* ---- Coordinator callbacks (lock held) ---- */

static void
wake (RgBrokerGroups * groups)
{
  rg_waker_wake (groups->waker);
}

static void
join_done (gpointer waiter, const RgGroupJoinResponse * response,
    gpointer user_data)
{
  Wait *w = waiter;

  w->in_coordinator = FALSE;
  w->response = rg_kafka_group_build_join (w->correlation_id, w->version,
      response, NULL);
  w->failed = w->response == NULL;
  wake (w->groups);
}

static void
sync_done (gpointer waiter, const RgGroupSyncResponse * response,
    gpointer user_data)
{
  Wait *w = waiter;

  w->in_coordinator = FALSE;
  w->response = rg_kafka_group_build_sync (w->correlation_id, w->version,
      response, NULL);
  w->failed = w->response == NULL;
  wake (w->groups);
}

static gboolean
persist (const RgGroupRecord * records, guint n_records, gpointer user_data)
{
  RgBrokerGroups *groups = user_data;
  GError *error = NULL;

  if (!groups->topic)
    return TRUE;
  if (!rg_broker_offset_topic_append (groups->topic, records, n_records,
          &error)) {
    GST_ERROR ("__consumer_offsets: %s", error->message);
    g_clear_error (&error);
    groups->persist_failed = TRUE;
    return FALSE;
  }
  return TRUE;
}

static const RgGroupCallbacks callbacks = { join_done, sync_done, persist };

/* ---- Life ---- */

RgBrokerGroups *
rg_broker_groups_new (const RgGroupConfig * config, RgWaker * waker)
{
  RgBrokerGroups *groups = g_new0 (RgBrokerGroups, 1);

  groups->config = *config;
  groups->waker = rg_waker_ref (waker);
  pthread_mutex_init (&groups->lock, NULL);
  groups->coordinator = rg_group_coordinator_new (config, &callbacks, groups);
  rg_group_coordinator_activate (groups->coordinator, wall_ms ());
  return groups;
}

void
rg_broker_groups_free (RgBrokerGroups * groups)
{
  GError *error = NULL;

  if (!groups)
    return;
  rg_group_coordinator_free (groups->coordinator);
  if (groups->topic && !rg_broker_offset_topic_close (groups->topic, &error)) {
    GST_ERROR ("__consumer_offsets could not be made durable: %s",
        error->message);
    g_clear_error (&error);
  }
  g_free (groups->topic_dir);
  pthread_mutex_destroy (&groups->lock);
  rg_waker_unref (groups->waker);
  g_free (groups);
}

gboolean
rg_broker_groups_enable_journal (RgBrokerGroups * groups, const gchar * dir,
    RgJournalSync sync, GError ** error)
{
  RgGroupCoordinator *coordinator, *old;
  RgBrokerOffsetTopic *topic;
  guint n = 0;

  pthread_mutex_lock (&groups->lock);
  if (groups->topic_dir) {
    gboolean same = g_strcmp0 (groups->topic_dir, dir) == 0;

    if (!same)
      g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_LOCKED,
          "The broker keeps its committed offsets in \"%s\" already",
          groups->topic_dir);
    pthread_mutex_unlock (&groups->lock);
    return same;
  }
  pthread_mutex_unlock (&groups->lock);

  /* Opened and replayed outside the lock: the loop keeps serving the
   * in-memory coordinator meanwhile. */
  topic = rg_broker_offset_topic_open (dir, sync, groups->waker, error);
  if (!topic)
    return FALSE;
  coordinator = rg_group_coordinator_new (&groups->config, &callbacks,
      groups);
  rg_group_coordinator_begin_load (coordinator);
  if (!rg_broker_offset_topic_replay (topic, coordinator, &n, error)) {
    rg_group_coordinator_free (coordinator);
    rg_broker_offset_topic_close (topic, NULL);
    return FALSE;
  }
  rg_group_coordinator_activate (coordinator, wall_ms ());
  GST_INFO ("committed offsets in %s: %u records replayed", dir, n);

  pthread_mutex_lock (&groups->lock);
  old = groups->coordinator;
  groups->coordinator = coordinator;
  groups->topic = topic;
  groups->topic_dir = g_strdup (dir);
  pthread_mutex_unlock (&groups->lock);
  /* Requests parked in the old one expire and are answered
   * REBALANCE_IN_PROGRESS: their members rejoin the new one. */
  rg_group_coordinator_free (old);
  return TRUE;
}

gint64
rg_broker_groups_turn (RgBrokerGroups * groups, gint64 now)
{
  gint64 real, deadline;

  pthread_mutex_lock (&groups->lock);
  real = wall_ms ();
  rg_group_coordinator_poll (groups->coordinator, real);
  deadline = rg_group_coordinator_next_deadline (groups->coordinator);
  pthread_mutex_unlock (&groups->lock);
  if (deadline == G_MAXINT64)
    return G_MAXINT64;
  return now + MAX (deadline - real, 0);
}

/* ---- Waits ---- */

static Wait *
wait_new (RgBrokerGroups * groups, const RgKafkaRequest * req)
{
  Wait *w = g_new0 (Wait, 1);

  w->groups = groups;
  w->api_key = req->header.api_key;
  w->version = req->header.api_version;
  w->correlation_id = req->header.correlation_id;
  return w;
}

static void
wait_free (gpointer data)
{
  Wait *w = data;

  if (w->in_coordinator) {
    pthread_mutex_lock (&w->groups->lock);
    rg_group_coordinator_cancel (w->groups->coordinator, w);
    pthread_mutex_unlock (&w->groups->lock);
  }
  rg_kafka_response_free (w->response);
  g_free (w);
}

/* Parks @req with @w as its waiter. The body is the request's own (the
 * connection keeps the request while it is parked), hence the cast. */
static RgBrokerHandleResult
park (const RgKafkaRequest * req, Wait * w, gint64 wait_ms,
    RgBrokerHandleOutcome * out)
{
  RgKafkaGroupRequest *body = group_body (req);

  body->waiter = w;
  body->waiter_free = wait_free;
  out->wait_ms = wait_ms;
  return RG_BROKER_HANDLE_PARK;
}

/* The answer to a Join or Sync the broker stopped waiting for. */
static RgKafkaResponse *
give_up (Wait * w)
{
  if (w->api_key == RG_KAFKA_API_JOIN_GROUP) {
    RgGroupJoinResponse j = { 0, };

    j.error = RG_GROUP_ERR_REBALANCE_IN_PROGRESS;
    j.generation_id = -1;
    return rg_kafka_group_build_join (w->correlation_id, w->version, &j,
        NULL);
  } else {
    RgGroupSyncResponse s = { 0, };
    GBytes *empty = g_bytes_new_static ("", 0);
    RgKafkaResponse *resp;

    s.error = RG_GROUP_ERR_REBALANCE_IN_PROGRESS;
    s.assignment = empty;
    resp = rg_kafka_group_build_sync (w->correlation_id, w->version, &s,
        NULL);
    g_bytes_unref (empty);
    return resp;
  }
}

/* A parked Join or Sync tried again. */
static RgBrokerHandleResult
wait_retry (Wait * w, const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out)
{
  if (w->failed)
    return RG_BROKER_HANDLE_CLOSE;
  if (!w->response && ctx->expired) {
    pthread_mutex_lock (&w->groups->lock);
    rg_group_coordinator_cancel (w->groups->coordinator, w);
    pthread_mutex_unlock (&w->groups->lock);
    w->in_coordinator = FALSE;
    GST_INFO ("client %s: %s not completed in time", ctx->peer,
        w->api_key == RG_KAFKA_API_JOIN_GROUP ? "JoinGroup" : "SyncGroup");
    w->response = give_up (w);
  }
  if (!w->response)
    return RG_BROKER_HANDLE_PARK;
  out->response = w->response;
  w->response = NULL;
  return RG_BROKER_HANDLE_DONE;
}

/* "/host" of a "host:port" peer, as Kafka shows a member's client host. */
static gchar *
client_host (const gchar * peer)
{
  const gchar *colon = peer ? strrchr (peer, ':') : NULL;

  if (!peer)
    return g_strdup ("/");
  return g_strdup_printf ("/%.*s", (int) (colon ? colon - peer :
          (gssize) strlen (peer)), peer);
}

/* ---- FindCoordinator ---- */

RgBrokerHandleResult
rg_broker_groups_find_coordinator (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgGroupFindCoordinatorRequest *f = &group_body (req)->
      u.find_coordinator;
  RgGroupFindCoordinatorResponse r = { 0, };
  GError *error = NULL;

  r.node_id = 0;
  r.host = ctx->node_host;
  r.port = ctx->node_port;
  /* Key type 0 names a group, 1 a transactional id: this broker
   * coordinates both. */
  if (f->key_type != 0 && f->key_type != 1) {
    r.error = RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    r.node_id = -1;
    r.host = "";
    r.port = -1;
  }
  return rg_broker_answer (rg_kafka_group_build_find_coordinator
      (req->header.correlation_id, req->header.api_version, &r, &error),
      error, "FindCoordinator", ctx, out);
}

/* ---- JoinGroup, SyncGroup ---- */

RgBrokerHandleResult
rg_broker_groups_join (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgKafkaGroupRequest *body = group_body (req);
  RgBrokerGroups *groups = ctx->groups;
  RgGroupJoinRequest j = body->u.join;
  RgGroupJoinResponse r;
  RgKafkaResponse *resp = NULL;
  GError *error = NULL;
  gchar *host;
  Wait *w;

  if (body->waiter)
    return wait_retry (body->waiter, ctx, out);
  if ((r.error = group_denied (ctx, j.group_id)) != 0) {
    r.generation_id = -1;
    r.protocol_type = r.protocol_name = r.leader = r.member_id = "";
    r.members = NULL;
    r.n_members = 0;
    return rg_broker_answer (rg_kafka_group_build_join
        (req->header.correlation_id, req->header.api_version, &r, &error),
        error, "JoinGroup", ctx, out);
  }
  w = wait_new (groups, req);
  host = client_host (ctx->peer);
  j.client_id = req->header.client_id.len >= 0 ? req->header.client_id :
      rg_kafka_str_from_cstr ("");
  j.client_host = rg_kafka_str_from_cstr (host);
  pthread_mutex_lock (&groups->lock);
  if (rg_group_coordinator_join (groups->coordinator, &j, w, wall_ms (),
          &r) == RG_GROUP_PARKED) {
    w->in_coordinator = TRUE;
    pthread_mutex_unlock (&groups->lock);
    g_free (host);
    return park (req, w, (gint64) MAX (j.rebalance_timeout_ms,
            j.session_timeout_ms) + WAIT_MARGIN_MS, out);
  }
  resp = rg_kafka_group_build_join (req->header.correlation_id,
      req->header.api_version, &r, &error);
  pthread_mutex_unlock (&groups->lock);
  g_free (host);
  wait_free (w);
  return rg_broker_answer (resp, error, "JoinGroup", ctx, out);
}

RgBrokerHandleResult
rg_broker_groups_sync (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgKafkaGroupRequest *body = group_body (req);
  RgBrokerGroups *groups = ctx->groups;
  RgGroupSyncResponse r;
  RgKafkaResponse *resp = NULL;
  GError *error = NULL;
  Wait *w;

  if (body->waiter)
    return wait_retry (body->waiter, ctx, out);
  if ((r.error = group_denied (ctx, body->u.sync.group_id)) != 0) {
    r.protocol_type = r.protocol_name = "";
    r.assignment = g_bytes_new_static ("", 0);
    resp = rg_kafka_group_build_sync (req->header.correlation_id,
        req->header.api_version, &r, &error);
    g_bytes_unref (r.assignment);
    return rg_broker_answer (resp, error, "SyncGroup", ctx, out);
  }
  w = wait_new (groups, req);
  pthread_mutex_lock (&groups->lock);
  if (rg_group_coordinator_sync (groups->coordinator, &body->u.sync, w,
          wall_ms (), &r) == RG_GROUP_PARKED) {
    w->in_coordinator = TRUE;
    pthread_mutex_unlock (&groups->lock);
    /* The coordinator removes members that do not sync within the
     * rebalance timeout, which clients cap at 5 minutes. */
    return park (req, w, 300000 + WAIT_MARGIN_MS, out);
  }
  resp = rg_kafka_group_build_sync (req->header.correlation_id,
      req->header.api_version, &r, &error);
  pthread_mutex_unlock (&groups->lock);
  wait_free (w);
  return rg_broker_answer (resp, error, "SyncGroup", ctx, out);
}

/* ---- Heartbeat, LeaveGroup ---- */

RgBrokerHandleResult
rg_broker_groups_heartbeat (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgBrokerGroups *groups = ctx->groups;
  GError *error = NULL;
  gint16 err;

  err = group_denied (ctx, group_body (req)->u.heartbeat.group_id);
  if (err == 0) {
    pthread_mutex_lock (&groups->lock);
    err = rg_group_coordinator_heartbeat (groups->coordinator,
        &group_body (req)->u.heartbeat, wall_ms ());
    pthread_mutex_unlock (&groups->lock);
  }
  return rg_broker_answer (rg_kafka_group_build_heartbeat
      (req->header.correlation_id, req->header.api_version, err, &error),
      error, "Heartbeat", ctx, out);
}

RgBrokerHandleResult
rg_broker_groups_leave (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgBrokerGroups *groups = ctx->groups;
  const RgGroupLeaveRequest *l = &group_body (req)->u.leave;
  RgGroupLeaveResponse r;
  RgKafkaResponse *resp;
  GError *error = NULL;

  if ((r.error = group_denied (ctx, l->group_id)) != 0) {
    /* Each member named gets the group's error. */
    r.member_errors = NULL;
    r.n_members = 0;
    return rg_broker_answer (rg_kafka_group_build_leave
        (req->header.correlation_id, req->header.api_version, l, &r, &error),
        error, "LeaveGroup", ctx, out);
  }
  pthread_mutex_lock (&groups->lock);
  rg_group_coordinator_leave (groups->coordinator, l, wall_ms (), &r);
  resp = rg_kafka_group_build_leave (req->header.correlation_id,
      req->header.api_version, l, &r, &error);
  pthread_mutex_unlock (&groups->lock);
  return rg_broker_answer (resp, error, "LeaveGroup", ctx, out);
}

/* ---- OffsetCommit, OffsetFetch ---- */

/* Every partition of @c answered @code (the journal failed). */
static RgKafkaResponse *
commit_failed (const RgKafkaRequest * req, RgGroupCommitRequest * c,
    gint16 code)
{
  guint i;

  for (i = 0; i < c->n_partitions; i++)
    c->errors[i] = code;
  return rg_kafka_group_build_commit (req->header.correlation_id,
      req->header.api_version, c, NULL);
}

/* A parked commit tried again: sent once durable. */
static RgBrokerHandleResult
commit_retry (const RgKafkaRequest * req, Wait * w,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgGroupCommitRequest *c = &group_body (req)->u.commit;
  RgBrokerGroups *groups = ctx->groups;
  gboolean durable, failed = FALSE;

  pthread_mutex_lock (&groups->lock);
  durable = !groups->topic || rg_broker_offset_topic_is_durable
      (groups->topic, w->durable_end, &failed);
  pthread_mutex_unlock (&groups->lock);
  if (!durable && !failed && !ctx->expired)
    return RG_BROKER_HANDLE_PARK;
  if (!durable) {
    rg_kafka_response_free (w->response);
    w->response = commit_failed (req, c, failed ?
        RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE : RG_KAFKA_REQUEST_TIMED_OUT);
  }
  if (!w->response)
    return RG_BROKER_HANDLE_CLOSE;
  out->response = w->response;
  w->response = NULL;
  return RG_BROKER_HANDLE_DONE;
}

/* Commits the partitions of @c that exist and that the principal may
 * read; the others get UNKNOWN_TOPIC_OR_PARTITION or
 * TOPIC_AUTHORIZATION_FAILED. Lock held. */
static void
commit_known (RgBrokerGroups * groups, const RgBrokerRequestContext * ctx,
    RgGroupCommitRequest * c)
{
  RgGroupCommitRequest known = *c;
  RgGroupCommitPartition *parts = g_new (RgGroupCommitPartition,
      MAX (c->n_partitions, 1));
  gint16 *errors = g_new0 (gint16, MAX (c->n_partitions, 1));
  guint *index = g_new (guint, MAX (c->n_partitions, 1));
  guint i, n = 0;

  for (i = 0; i < c->n_partitions; i++) {
    c->errors[i] = rg_broker_auth_check (ctx, c->partitions[i].topic,
        RG_BROKER_ACL_READ);
    if (c->errors[i] != 0)
      continue;
    c->errors[i] = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    if (rg_broker_registry_has_partition (ctx->registry, c->partitions[i].topic,
            c->partitions[i].partition)) {
      index[n] = i;
      parts[n++] = c->partitions[i];
    }
  }
  known.partitions = parts;
  known.n_partitions = n;
  known.errors = errors;
  if (n > 0 || c->n_partitions == 0)
    rg_group_coordinator_commit (groups->coordinator, &known, wall_ms ());
  for (i = 0; i < n; i++)
    c->errors[index[i]] = errors[i];
  g_free (parts);
  g_free (errors);
  g_free (index);
}

gint16
rg_broker_groups_commit_txn (RgBrokerGroups * groups,
    RgGroupCommitRequest * request)
{
  gint16 err;

  pthread_mutex_lock (&groups->lock);
  err = rg_group_coordinator_commit_txn (groups->coordinator, request,
      wall_ms ());
  pthread_mutex_unlock (&groups->lock);
  return err;
}

RgBrokerHandleResult
rg_broker_groups_commit (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgKafkaGroupRequest *body = group_body (req);
  RgBrokerGroups *groups = ctx->groups;
  RgKafkaResponse *resp;
  GError *error = NULL;
  gboolean durable = TRUE, failed = FALSE;
  guint64 end = 0;
  Wait *w;

  gint16 denied;

  if (body->waiter)
    return commit_retry (req, body->waiter, ctx, out);
  denied = group_denied (ctx, body->u.commit.group_id);
  if (denied != 0)
    return rg_broker_answer (commit_failed (req, &body->u.commit, denied),
        NULL, "OffsetCommit", ctx, out);
  pthread_mutex_lock (&groups->lock);
  groups->persist_failed = FALSE;
  commit_known (groups, ctx, &body->u.commit);
  if (groups->topic) {
    end = rg_broker_offset_topic_end (groups->topic);
    durable = rg_broker_offset_topic_is_durable (groups->topic, end,
        &failed);
  }
  pthread_mutex_unlock (&groups->lock);
  if (failed)
    return rg_broker_answer (commit_failed (req, &body->u.commit,
            RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE), NULL, "OffsetCommit",
        ctx, out);
  resp = rg_kafka_group_build_commit (req->header.correlation_id,
      req->header.api_version, &body->u.commit, &error);
  if (!resp || durable)
    return rg_broker_answer (resp, error, "OffsetCommit", ctx, out);
  w = wait_new (groups, req);
  w->response = resp;
  w->durable_end = end;
  return park (req, w, COMMIT_WAIT_MS, out);
}

/* The answer to an OffsetFetch of a group the principal may not read:
 * the group's error, on each partition named too (versions before 2 have
 * no top-level error). */
static RgKafkaResponse *
fetch_denied (const RgKafkaRequest * req, const RgGroupFetchRequest * f,
    gint16 code, GError ** error)
{
  RgGroupFetchPartition *parts = g_new0 (RgGroupFetchPartition,
      MAX (f->n_partitions, 1));
  RgGroupFetchResponse r = { code, parts, 0 };
  RgKafkaResponse *resp;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; !f->all && i < f->n_partitions; i++) {
    gchar *name = rg_kafka_str_dup (f->partitions[i].topic);

    g_ptr_array_add (names, name);
    parts[i] = (RgGroupFetchPartition) {
    name ? name : "", f->partitions[i].partition, -1, -1, "", code};
    r.n_partitions++;
  }
  resp = rg_kafka_group_build_fetch (req->header.correlation_id,
      req->header.api_version, &r, error);
  g_ptr_array_unref (names);
  g_free (parts);
  return resp;
}

/* Applies the topic ACL to a fetch answer, in @kept: a topic the request
 * named but the principal may not read gets TOPIC_AUTHORIZATION_FAILED and
 * no offset; from an all-topics answer it is left out. */
static void
fetch_filter (const RgBrokerRequestContext * ctx, gboolean all,
    RgGroupFetchResponse * r, GArray * kept)
{
  guint i;

  for (i = 0; i < r->n_partitions; i++) {
    RgGroupFetchPartition p = r->partitions[i];

    if (rg_broker_auth_check (ctx, rg_kafka_str_from_cstr (p.topic),
            RG_BROKER_ACL_READ) != 0) {
      if (all)
        continue;
      p.offset = -1;
      p.leader_epoch = -1;
      p.metadata = "";
      p.error = RG_KAFKA_TOPIC_AUTHORIZATION_FAILED;
    }
    g_array_append_val (kept, p);
  }
  r->partitions = (const RgGroupFetchPartition *) kept->data;
  r->n_partitions = kept->len;
}

RgBrokerHandleResult
rg_broker_groups_fetch (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgBrokerGroups *groups = ctx->groups;
  const RgGroupFetchRequest *f = &group_body (req)->u.fetch;
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (RgGroupFetchPartition));
  RgGroupFetchResponse r;
  RgKafkaResponse *resp;
  GError *error = NULL;
  gint16 denied = group_denied (ctx, f->group_id);

  if (denied != 0) {
    resp = fetch_denied (req, f, denied, &error);
  } else {
    pthread_mutex_lock (&groups->lock);
    rg_group_coordinator_fetch (groups->coordinator, f, &r);
    if (ctx->acl)
      fetch_filter (ctx, f->all, &r, kept);
    resp = rg_kafka_group_build_fetch (req->header.correlation_id,
        req->header.api_version, &r, &error);
    pthread_mutex_unlock (&groups->lock);
  }
  g_array_unref (kept);
  return rg_broker_answer (resp, error, "OffsetFetch", ctx, out);
}

/* ---- ListGroups, DescribeGroups ---- */

RgBrokerHandleResult
rg_broker_groups_list (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgBrokerGroups *groups = ctx->groups;
  const RgGroupListRequest *l = &group_body (req)->u.list;
  const RgGroupListing *listing;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint n = 0;
  gint16 err;

  GArray *kept = g_array_new (FALSE, FALSE, sizeof (RgGroupListing));
  guint i;

  pthread_mutex_lock (&groups->lock);
  err = rg_group_coordinator_list (groups->coordinator, l->states,
      l->n_states, &listing, &n);
  /* A filter naming only states that do not exist matches nothing. */
  if (l->unknown_state && l->n_states == 0)
    n = 0;
  /* Only the groups the principal may read are listed. */
  for (i = 0; ctx->acl && i < n; i++)
    if (rg_broker_auth_check_group (ctx,
            rg_kafka_str_from_cstr (listing[i].group_id),
            RG_BROKER_ACL_READ) == 0)
      g_array_append_val (kept, listing[i]);
  if (ctx->acl) {
    listing = (const RgGroupListing *) kept->data;
    n = kept->len;
  }
  resp = rg_kafka_group_build_list (req->header.correlation_id,
      req->header.api_version, err, listing, n, &error);
  pthread_mutex_unlock (&groups->lock);
  g_array_unref (kept);
  return rg_broker_answer (resp, error, "ListGroups", ctx, out);
}

/* A description kept past the next coordinator call (DescribeGroups asks
 * for several groups; each answer lives until the next call). */
typedef struct
{
  RgGroupDescription d;
  GPtrArray *strings;
  GArray *members;              /* RgGroupMemberDescription */
} HeldDescription;

static const gchar *
hold_str (HeldDescription * h, const gchar * s)
{
  gchar *copy = g_strdup (s);

  g_ptr_array_add (h->strings, copy);
  return copy;
}

static void
hold_description (HeldDescription * h, const RgGroupDescription * d)
{
  guint i;

  h->strings = g_ptr_array_new_with_free_func (g_free);
  h->members = g_array_new (FALSE, TRUE, sizeof (RgGroupMemberDescription));
  h->d = *d;
  h->d.group_id = hold_str (h, d->group_id);
  h->d.protocol_type = hold_str (h, d->protocol_type);
  h->d.protocol = hold_str (h, d->protocol);
  for (i = 0; i < d->n_members; i++) {
    RgGroupMemberDescription m = d->members[i];

    m.member_id = hold_str (h, m.member_id);
    m.group_instance_id = hold_str (h, m.group_instance_id);
    m.client_id = hold_str (h, m.client_id);
    m.client_host = hold_str (h, m.client_host);
    m.metadata = m.metadata ? g_bytes_ref (m.metadata) : NULL;
    m.assignment = m.assignment ? g_bytes_ref (m.assignment) : NULL;
    g_array_append_val (h->members, m);
  }
  h->d.members = (const RgGroupMemberDescription *) h->members->data;
}

static void
release_description (HeldDescription * h)
{
  guint i;

  for (i = 0; i < h->members->len; i++) {
    RgGroupMemberDescription *m = &g_array_index (h->members,
        RgGroupMemberDescription, i);

    if (m->metadata)
      g_bytes_unref (m->metadata);
    if (m->assignment)
      g_bytes_unref (m->assignment);
  }
  g_array_unref (h->members);
  g_ptr_array_unref (h->strings);
}

RgBrokerHandleResult
rg_broker_groups_describe (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgBrokerGroups *groups = ctx->groups;
  const RgGroupDescribeRequest *d = &group_body (req)->u.describe;
  HeldDescription *held = g_new0 (HeldDescription, MAX (d->n_groups, 1));
  RgGroupDescription *descs = g_new0 (RgGroupDescription,
      MAX (d->n_groups, 1));
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  pthread_mutex_lock (&groups->lock);
  for (i = 0; i < d->n_groups; i++) {
    RgGroupDescription one;

    rg_group_coordinator_describe (groups->coordinator, d->groups[i], &one);
    if (group_denied (ctx, d->groups[i]) != 0) {
      /* Nothing of the group is shown: its id and the error. */
      one.error = RG_GROUP_ERR_GROUP_AUTHORIZATION_FAILED;
      one.state = RG_GROUP_DEAD;
      one.protocol_type = one.protocol = "";
      one.members = NULL;
      one.n_members = 0;
    }
    hold_description (&held[i], &one);
    descs[i] = held[i].d;
  }
  pthread_mutex_unlock (&groups->lock);
  resp = rg_kafka_group_build_describe (req->header.correlation_id,
      req->header.api_version, descs, d->n_groups, &error);
  for (i = 0; i < d->n_groups; i++)
    release_description (&held[i]);
  g_free (held);
  g_free (descs);
  return rg_broker_answer (resp, error, "DescribeGroups", ctx, out);
}

/* ---- DeleteGroups, OffsetDelete (handlers in rgbrokerdelete.c) ---- */

/* The offset a change made now waits for to be durable (0: nothing to
 * wait for). Lock held. */
static guint64
durable_end_locked (RgBrokerGroups * groups)
{
  return groups->topic ? rg_broker_offset_topic_end (groups->topic) : 0;
}

gint16
rg_broker_groups_delete_group (RgBrokerGroups * groups, RgKafkaStr group_id,
    guint64 * durable_end)
{
  gint16 err;

  pthread_mutex_lock (&groups->lock);
  err = rg_group_coordinator_delete (groups->coordinator, group_id);
  *durable_end = durable_end_locked (groups);
  pthread_mutex_unlock (&groups->lock);
  return err;
}

gint16
rg_broker_groups_delete_offsets (RgBrokerGroups * groups,
    RgKafkaStr group_id, const RgGroupTopicPartition * partitions,
    guint n_partitions, gint16 * errors, guint64 * durable_end)
{
  gint16 err;

  pthread_mutex_lock (&groups->lock);
  err = rg_group_coordinator_delete_offsets (groups->coordinator, group_id,
      partitions, n_partitions, errors);
  *durable_end = durable_end_locked (groups);
  pthread_mutex_unlock (&groups->lock);
  return err;
}

gboolean
rg_broker_groups_is_durable (RgBrokerGroups * groups, guint64 end,
    gboolean * failed)
{
  gboolean durable;

  *failed = FALSE;
  if (end == 0)
    return TRUE;
  pthread_mutex_lock (&groups->lock);
  durable = !groups->topic || rg_broker_offset_topic_is_durable
      (groups->topic, end, failed);
  pthread_mutex_unlock (&groups->lock);
  return durable;
}
