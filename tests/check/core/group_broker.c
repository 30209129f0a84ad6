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
 * The consumer-group apis of the embedded broker over real sockets: the
 * requests are built byte by byte after Kafka's JSON specs (the classic
 * versions librdkafka, kafka-python and Sarama send, and the flexible
 * ones), the answers read field by field. What a client would notice is
 * asserted: error codes, generations, leaders, assignments, committed
 * offsets, and offsets that survive a broker restart.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "kafka/rgkafkagroup.h"
#include "kafkawire.h"

#define SESSION_MS 10000
#define GROUP "g"

/* ---- Requests ---- */

typedef struct
{
  GByteArray *b;
  gboolean flex;
} Req;

static void
put_uvarint (GByteArray * b, guint32 v)
{
  while (v >= 0x80) {
    guint8 x = (v & 0x7f) | 0x80;

    g_byte_array_append (b, &x, 1);
    v >>= 7;
  }
  g_byte_array_append (b, (guint8 *) & v, 1);
}

/* A request of @key @version; flexible ones get header v2's tags. */
static Req
req_new (gint16 key, gint16 version, gint32 corr, gboolean flex)
{
  Req r = { kw_request_new (key, version, corr), flex };

  if (flex)
    put_uvarint (r.b, 0);
  return r;
}

static void
p8 (Req * r, gint8 v)
{
  g_byte_array_append (r->b, (guint8 *) & v, 1);
}

static void
p32 (Req * r, gint32 v)
{
  kw_put32 (r->b, v);
}

static void
p64 (Req * r, gint64 v)
{
  kw_put64 (r->b, v);
}

/* STRING or COMPACT_STRING; NULL is null. */
static void
pstr (Req * r, const gchar * s)
{
  if (!r->flex) {
    kw_putstr (r->b, s);
    return;
  }
  put_uvarint (r->b, s ? strlen (s) + 1 : 0);
  if (s)
    g_byte_array_append (r->b, (const guint8 *) s, strlen (s));
}

static void
pbytes (Req * r, const gchar * s)
{
  if (r->flex)
    put_uvarint (r->b, strlen (s) + 1);
  else
    kw_put32 (r->b, strlen (s));
  g_byte_array_append (r->b, (const guint8 *) s, strlen (s));
}

static void
parray (Req * r, gint32 n)
{
  if (r->flex)
    put_uvarint (r->b, n < 0 ? 0 : n + 1);
  else
    kw_put32 (r->b, n);
}

static void
ptags (Req * r)
{
  if (r->flex)
    put_uvarint (r->b, 0);
}

static void
send_req (int fd, Req * r)
{
  kw_send_request (fd, kw_request_finish (r->b));
}

/* ---- Responses ---- */

typedef struct
{
  guint8 *body;
  KwReader r;
  gboolean flex;
} Resp;

static guint32
get_uvarint (Resp * x)
{
  guint32 v = 0;
  guint shift = 0;
  guint8 byte;

  do {
    byte = kw_get (&x->r, 1);
    v |= (guint32) (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return v;
}

/* Reads a response: correlation id checked; header v1's tags skipped. */
static Resp
recv_resp (int fd, gint32 corr, gboolean flex)
{
  Resp x = { 0, };
  gsize size;

  x.body = kw_recv_frame (fd, corr, &size);
  x.r.p = x.body + 4;
  x.r.end = x.body + size;
  x.flex = flex;
  if (flex)
    fail_unless_equals_int (get_uvarint (&x), 0);
  return x;
}

static gint64
g (Resp * x, guint n)
{
  return kw_get (&x->r, n);
}

/* A string (or bytes when @bytes) as a new C string; NULL for null. */
static gchar *
gstr_any (Resp * x, gboolean bytes)
{
  gint64 len;
  gchar *s;

  if (x->flex)
    len = (gint64) get_uvarint (x) - 1;
  else
    len = g (x, bytes ? 4 : 2);
  if (len < 0)
    return NULL;
  fail_unless (x->r.p + len <= x->r.end, "string past the response");
  s = g_strndup ((const gchar *) x->r.p, len);
  x->r.p += len;
  return s;
}

static gchar *
gstr (Resp * x)
{
  return gstr_any (x, FALSE);
}

static gchar *
gbytes (Resp * x)
{
  return gstr_any (x, TRUE);
}

static gint32
garray (Resp * x)
{
  return x->flex ? (gint32) get_uvarint (x) - 1 : (gint32) g (x, 4);
}

static void
gtags (Resp * x)
{
  if (x->flex)
    fail_unless_equals_int (get_uvarint (x), 0);
}

static void
resp_end (Resp * x)
{
  fail_unless (x->r.p == x->r.end, "%d bytes left in the response",
      (int) (x->r.end - x->r.p));
  g_free (x->body);
}

/* ---- The apis, in the versions librdkafka 2.0 and kafka-python send ---- */

/* The topic "t" the tests commit offsets of (a commit of a partition the
 * broker does not serve is refused). */
static RgBrokerTopic *topic_t;

static RgBroker *
start_broker (guint delay_ms)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  rg_broker_config_init (&config);
  config.group_initial_rebalance_delay_ms = delay_ms;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  topic_t = rg_broker_add_topic (broker, "t", 16, &error);
  fail_unless (topic_t != NULL, "%s", error ? error->message : "?");
  return broker;
}

static void
stop_broker (RgBroker * broker)
{
  rg_broker_remove_topic (broker, topic_t);
  topic_t = NULL;
  rg_broker_release (broker);
}

/* JoinGroup v2 (no KIP-394 round trip). */
static void
send_join_v2 (int fd, gint32 corr, const gchar * member, const gchar * meta)
{
  Req r = req_new (11, 2, corr, FALSE);

  pstr (&r, GROUP);
  p32 (&r, SESSION_MS);
  p32 (&r, SESSION_MS);
  pstr (&r, member);
  pstr (&r, "consumer");
  parray (&r, 1);
  pstr (&r, "range");
  pbytes (&r, meta);
  send_req (fd, &r);
}

typedef struct
{
  gint16 error;
  gint32 generation;
  gchar *leader;
  gchar *member;
  gint32 n_members;
  gchar *first_meta;
} JoinAnswer;

static JoinAnswer
recv_join_v2 (int fd, gint32 corr)
{
  Resp x = recv_resp (fd, corr, FALSE);
  JoinAnswer a = { 0, };
  gint32 i;

  g (&x, 4);
  a.error = g (&x, 2);
  a.generation = g (&x, 4);
  g_free (gstr (&x));
  a.leader = gstr (&x);
  a.member = gstr (&x);
  a.n_members = g (&x, 4);
  for (i = 0; i < a.n_members; i++) {
    g_free (gstr (&x));
    if (i == 0)
      a.first_meta = gbytes (&x);
    else
      g_free (gbytes (&x));
  }
  resp_end (&x);
  return a;
}

static void
join_answer_clear (JoinAnswer * a)
{
  g_free (a->leader);
  g_free (a->member);
  g_free (a->first_meta);
}

/* SyncGroup v1; @assign_to (NULL: a follower's empty list). */
static void
send_sync_v1 (int fd, gint32 corr, gint32 gen, const gchar * member,
    const gchar ** assign_to, const gchar ** assignments, gint n)
{
  Req r = req_new (14, 1, corr, FALSE);
  gint i;

  pstr (&r, GROUP);
  p32 (&r, gen);
  pstr (&r, member);
  parray (&r, n);
  for (i = 0; i < n; i++) {
    pstr (&r, assign_to[i]);
    pbytes (&r, assignments[i]);
  }
  send_req (fd, &r);
}

static gchar *
recv_sync_v1 (int fd, gint32 corr, gint16 * error)
{
  Resp x = recv_resp (fd, corr, FALSE);
  gchar *assignment;

  g (&x, 4);
  *error = g (&x, 2);
  assignment = gbytes (&x);
  resp_end (&x);
  return assignment;
}

static gint16
heartbeat_v1 (int fd, gint32 corr, gint32 gen, const gchar * member)
{
  Req r = req_new (12, 1, corr, FALSE);
  Resp x;
  gint16 err;

  pstr (&r, GROUP);
  p32 (&r, gen);
  pstr (&r, member);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  g (&x, 4);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

/* Heartbeats (every 10 ms, at most 10 s) until one answers other than
 * NONE; returns that error. */
static gint16
heartbeat_until_rebalance (int fd, gint32 corr, gint32 gen,
    const gchar * member)
{
  gint16 err = 0;
  gint i;

  for (i = 0; i < 1000 && err == 0; i++) {
    err = heartbeat_v1 (fd, corr, gen, member);
    if (err == 0)
      g_usleep (10000);
  }
  return err;
}

/* OffsetCommit v2 of @offset for @topic/@partition; returns the
 * partition's error. */
static gint16
commit_v2_to (int fd, gint32 corr, gint32 gen, const gchar * member,
    const gchar * topic, gint32 partition, gint64 offset)
{
  Req r = req_new (8, 2, corr, FALSE);
  Resp x;
  gchar *name;
  gint16 err;

  pstr (&r, GROUP);
  p32 (&r, gen);
  pstr (&r, member);
  p64 (&r, -1);
  parray (&r, 1);
  pstr (&r, topic);
  parray (&r, 1);
  p32 (&r, partition);
  p64 (&r, offset);
  pstr (&r, "meta");
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  fail_unless_equals_int (g (&x, 4), 1);
  name = gstr (&x);
  fail_unless_equals_string (name, topic);
  g_free (name);
  fail_unless_equals_int (g (&x, 4), 1);
  fail_unless_equals_int (g (&x, 4), partition);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

static gint16
commit_v2 (int fd, gint32 corr, gint32 gen, const gchar * member,
    gint64 offset)
{
  return commit_v2_to (fd, corr, gen, member, "t", 0, offset);
}

/* OffsetFetch v1 of t/0: the committed offset (-1 for none). */
static gint64
fetch_v1 (int fd, gint32 corr, const gchar * group, gchar ** metadata)
{
  Req r = req_new (9, 1, corr, FALSE);
  Resp x;
  gchar *s;
  gint64 offset;

  pstr (&r, group);
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 1);
  p32 (&r, 0);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  fail_unless_equals_int (g (&x, 4), 1);
  s = gstr (&x);
  fail_unless_equals_string (s, "t");
  g_free (s);
  fail_unless_equals_int (g (&x, 4), 1);
  fail_unless_equals_int (g (&x, 4), 0);
  offset = g (&x, 8);
  s = gstr (&x);
  if (metadata)
    *metadata = s;
  else
    g_free (s);
  fail_unless_equals_int (g (&x, 2), 0);
  resp_end (&x);
  return offset;
}

static gint16
leave_v1 (int fd, gint32 corr, const gchar * member)
{
  Req r = req_new (13, 1, corr, FALSE);
  Resp x;
  gint16 err;

  pstr (&r, GROUP);
  pstr (&r, member);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  g (&x, 4);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

/* Removes @dir and everything under it (two levels: a journal inside). */
static void
rm_rf_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      rm_rf_dir (path);
    else
      g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* ---- Tests ---- */

/* FindCoordinator answers with the broker itself, v0 and flexible v3. */
GST_START_TEST (test_find_coordinator)
{
  RgBroker *broker = start_broker (0);
  guint port = rg_broker_get_port (broker);
  int fd = kw_connect (port, 10);
  Req r;
  Resp x;
  gchar *host;

  r = req_new (10, 0, 1, FALSE);
  pstr (&r, GROUP);
  send_req (fd, &r);
  x = recv_resp (fd, 1, FALSE);
  fail_unless_equals_int (g (&x, 2), 0);
  fail_unless_equals_int (g (&x, 4), 0);
  host = gstr (&x);
  fail_unless_equals_string (host, "127.0.0.1");
  g_free (host);
  fail_unless_equals_int (g (&x, 4), port);
  resp_end (&x);

  r = req_new (10, 3, 2, TRUE);
  pstr (&r, GROUP);
  p8 (&r, 0);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 2, TRUE);
  fail_unless_equals_int (g (&x, 4), 0);
  fail_unless_equals_int (g (&x, 2), 0);
  fail_unless (gstr (&x) == NULL);
  fail_unless_equals_int (g (&x, 4), 0);
  host = gstr (&x);
  fail_unless_equals_string (host, "127.0.0.1");
  g_free (host);
  fail_unless_equals_int (g (&x, 4), port);
  gtags (&x);
  resp_end (&x);

  /* A transactional id: this broker is its coordinator too. */
  r = req_new (10, 1, 3, FALSE);
  pstr (&r, "tx");
  p8 (&r, 1);
  send_req (fd, &r);
  x = recv_resp (fd, 3, FALSE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 0);
  fail_unless (gstr (&x) == NULL);
  fail_unless_equals_int (g (&x, 4), 0);
  host = gstr (&x);
  fail_unless_equals_string (host, "127.0.0.1");
  g_free (host);
  fail_unless_equals_int (g (&x, 4), port);
  resp_end (&x);

  /* Any other key type is not coordinated here. */
  r = req_new (10, 1, 4, FALSE);
  pstr (&r, "x");
  p8 (&r, 2);
  send_req (fd, &r);
  x = recv_resp (fd, 4, FALSE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 15);
  g_free (x.body);

  close (fd);
  stop_broker (broker);
}

GST_END_TEST;

/* Two members: join, sync, heartbeat, commit, fetch; a second member's
 * join parks until the first rejoins (told by REBALANCE_IN_PROGRESS);
 * stale generations and unknown members are refused; leave rebalances. */
GST_START_TEST (test_two_members)
{
  RgBroker *broker = start_broker (0);
  guint port = rg_broker_get_port (broker);
  int a = kw_connect (port, 10), b = kw_connect (port, 10);
  const gchar *to[2];
  const gchar *what[2] = { "for-a", "for-b" };
  JoinAnswer ja, jb;
  gchar *m1, *m2, *got, *meta = NULL;
  gint16 err;

  /* Alone: the group forms at once (no initial delay configured). */
  send_join_v2 (a, 1, "", "meta-a");
  ja = recv_join_v2 (a, 1);
  fail_unless_equals_int (ja.error, 0);
  fail_unless_equals_int (ja.generation, 1);
  fail_unless_equals_string (ja.leader, ja.member);
  fail_unless_equals_int (ja.n_members, 1);
  fail_unless_equals_string (ja.first_meta, "meta-a");
  m1 = g_strdup (ja.member);
  join_answer_clear (&ja);
  to[0] = m1;
  send_sync_v1 (a, 2, 1, m1, to, what, 1);
  got = recv_sync_v1 (a, 2, &err);
  fail_unless_equals_int (err, 0);
  fail_unless_equals_string (got, "for-a");
  g_free (got);
  fail_unless_equals_int (heartbeat_v1 (a, 3, 1, m1), 0);
  fail_unless_equals_int (commit_v2 (a, 4, 1, m1, 42), 0);
  fail_unless_equals_int (commit_v2_to (a, 30, 1, m1, "nope", 0, 1), 3);
  fail_unless_equals_int (commit_v2_to (a, 31, 1, m1, "t", 1, 1), 3);
  fail_unless_equals_int (fetch_v1 (a, 5, GROUP, &meta), 42);
  fail_unless_equals_string (meta, "meta");
  g_free (meta);

  /* B joins: parked until A rejoins. */
  send_join_v2 (b, 10, "", "meta-b");
  /* B's join reaches the broker on its own connection: A's heartbeats
   * answer NONE until it did, then REBALANCE_IN_PROGRESS. */
  fail_unless_equals_int (heartbeat_until_rebalance (a, 6, 1, m1), 27);
  /* Until the generation moves on, A may still commit what it consumed
   * (an eager consumer does in its revoke callback, before rejoining). */
  fail_unless_equals_int (commit_v2 (a, 7, 1, m1, 43), 0);
  send_join_v2 (a, 8, m1, "meta-a");
  ja = recv_join_v2 (a, 8);
  jb = recv_join_v2 (b, 10);
  fail_unless_equals_int (ja.error, 0);
  fail_unless_equals_int (jb.error, 0);
  fail_unless_equals_int (ja.generation, 2);
  fail_unless_equals_int (jb.generation, 2);
  fail_unless_equals_string (ja.leader, m1);
  fail_unless_equals_string (jb.leader, m1);
  fail_unless_equals_int (ja.n_members, 2);
  fail_unless_equals_int (jb.n_members, 0);
  m2 = g_strdup (jb.member);
  fail_if (g_str_equal (m1, m2));
  join_answer_clear (&ja);
  join_answer_clear (&jb);

  /* The follower's sync waits for the leader's assignment. */
  send_sync_v1 (b, 11, 2, m2, NULL, NULL, 0);
  to[1] = m2;
  send_sync_v1 (a, 9, 2, m1, to, what, 2);
  got = recv_sync_v1 (a, 9, &err);
  fail_unless_equals_int (err, 0);
  fail_unless_equals_string (got, "for-a");
  g_free (got);
  got = recv_sync_v1 (b, 11, &err);
  fail_unless_equals_int (err, 0);
  fail_unless_equals_string (got, "for-b");
  g_free (got);

  fail_unless_equals_int (fetch_v1 (a, 21, GROUP, NULL), 43);
  fail_unless_equals_int (heartbeat_v1 (a, 12, 1, m1), 22);
  fail_unless_equals_int (heartbeat_v1 (a, 13, 2, "nobody"), 25);
  fail_unless_equals_int (commit_v2 (b, 14, 1, m2, 50), 22);
  fail_unless_equals_int (commit_v2 (b, 15, 2, "nobody", 50), 25);
  fail_unless_equals_int (commit_v2 (b, 16, 2, m2, 50), 0);
  fail_unless_equals_int (fetch_v1 (a, 17, GROUP, NULL), 50);

  /* B leaves: A is told to rejoin, and alone forms generation 3. */
  fail_unless_equals_int (leave_v1 (b, 18, m2), 0);
  fail_unless_equals_int (heartbeat_v1 (a, 19, 2, m1), 27);
  send_join_v2 (a, 20, m1, "meta-a");
  ja = recv_join_v2 (a, 20);
  fail_unless_equals_int (ja.error, 0);
  fail_unless_equals_int (ja.generation, 3);
  fail_unless_equals_int (ja.n_members, 1);
  join_answer_clear (&ja);

  g_free (m1);
  g_free (m2);
  close (a);
  close (b);
  stop_broker (broker);
}

GST_END_TEST;

/* JoinGroup v7 (flexible, KIP-394): the first join gets
 * MEMBER_ID_REQUIRED and an id; then SyncGroup v5, Heartbeat v4,
 * OffsetCommit v8, OffsetFetch v7, ListGroups v4, DescribeGroups v5 and
 * LeaveGroup v4, all flexible. */
GST_START_TEST (test_flexible_versions)
{
  RgBroker *broker = start_broker (0);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  gchar *member = NULL, *s;
  Req r;
  Resp x;
  gint i;

  for (i = 0; i < 2; i++) {
    r = req_new (11, 7, 1 + i, TRUE);
    pstr (&r, GROUP);
    p32 (&r, SESSION_MS);
    p32 (&r, SESSION_MS);
    pstr (&r, i == 0 ? "" : member);
    pstr (&r, NULL);
    pstr (&r, "consumer");
    parray (&r, 1);
    pstr (&r, "range");
    pbytes (&r, "m");
    ptags (&r);
    ptags (&r);
    send_req (fd, &r);
    x = recv_resp (fd, 1 + i, TRUE);
    g (&x, 4);
    fail_unless_equals_int (g (&x, 2), i == 0 ? 79 : 0);
    fail_unless_equals_int (g (&x, 4), i == 0 ? -1 : 1);
    s = gstr (&x);
    if (i == 1)
      fail_unless_equals_string (s, "consumer");
    g_free (s);
    s = gstr (&x);
    if (i == 1)
      fail_unless_equals_string (s, "range");
    g_free (s);
    g_free (gstr (&x));
    if (i == 0) {
      member = gstr (&x);
      fail_unless (member && *member);
      g_free (x.body);
      continue;
    }
    s = gstr (&x);
    fail_unless_equals_string (s, member);
    g_free (s);
    fail_unless_equals_int (garray (&x), 1);
    g_free (gstr (&x));
    fail_unless (gstr (&x) == NULL);
    s = gbytes (&x);
    fail_unless_equals_string (s, "m");
    g_free (s);
    gtags (&x);
    gtags (&x);
    resp_end (&x);
  }

  r = req_new (14, 5, 3, TRUE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, member);
  pstr (&r, NULL);
  pstr (&r, "consumer");
  pstr (&r, "range");
  parray (&r, 1);
  pstr (&r, member);
  pbytes (&r, "assigned");
  ptags (&r);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 3, TRUE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 0);
  g_free (gstr (&x));
  g_free (gstr (&x));
  s = gbytes (&x);
  fail_unless_equals_string (s, "assigned");
  g_free (s);
  gtags (&x);
  resp_end (&x);

  r = req_new (12, 4, 4, TRUE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, member);
  pstr (&r, NULL);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 4, TRUE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 0);
  gtags (&x);
  resp_end (&x);

  r = req_new (8, 8, 5, TRUE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, member);
  pstr (&r, NULL);
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 1);
  p32 (&r, 0);
  p64 (&r, 777);
  p32 (&r, 5);
  pstr (&r, NULL);
  ptags (&r);
  ptags (&r);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 5, TRUE);
  g (&x, 4);
  fail_unless_equals_int (garray (&x), 1);
  g_free (gstr (&x));
  fail_unless_equals_int (garray (&x), 1);
  fail_unless_equals_int (g (&x, 4), 0);
  fail_unless_equals_int (g (&x, 2), 0);
  gtags (&x);
  gtags (&x);
  gtags (&x);
  resp_end (&x);

  /* OffsetFetch v7 with a null topic array: every committed offset. */
  r = req_new (9, 7, 6, TRUE);
  pstr (&r, GROUP);
  parray (&r, -1);
  p8 (&r, 1);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 6, TRUE);
  g (&x, 4);
  fail_unless_equals_int (garray (&x), 1);
  s = gstr (&x);
  fail_unless_equals_string (s, "t");
  g_free (s);
  fail_unless_equals_int (garray (&x), 1);
  fail_unless_equals_int (g (&x, 4), 0);
  fail_unless_equals_int (g (&x, 8), 777);
  fail_unless_equals_int (g (&x, 4), 5);
  s = gstr (&x);
  fail_unless_equals_string (s, "");
  g_free (s);
  fail_unless_equals_int (g (&x, 2), 0);
  gtags (&x);
  gtags (&x);
  fail_unless_equals_int (g (&x, 2), 0);
  gtags (&x);
  resp_end (&x);

  /* ListGroups v4, filtered on Stable. */
  r = req_new (16, 4, 7, TRUE);
  parray (&r, 1);
  pstr (&r, "Stable");
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 7, TRUE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 0);
  fail_unless_equals_int (garray (&x), 1);
  s = gstr (&x);
  fail_unless_equals_string (s, GROUP);
  g_free (s);
  s = gstr (&x);
  fail_unless_equals_string (s, "consumer");
  g_free (s);
  s = gstr (&x);
  fail_unless_equals_string (s, "Stable");
  g_free (s);
  gtags (&x);
  gtags (&x);
  resp_end (&x);

  r = req_new (15, 5, 8, TRUE);
  parray (&r, 1);
  pstr (&r, GROUP);
  p8 (&r, 0);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 8, TRUE);
  g (&x, 4);
  fail_unless_equals_int (garray (&x), 1);
  fail_unless_equals_int (g (&x, 2), 0);
  g_free (gstr (&x));
  s = gstr (&x);
  fail_unless_equals_string (s, "Stable");
  g_free (s);
  g_free (gstr (&x));
  s = gstr (&x);
  fail_unless_equals_string (s, "range");
  g_free (s);
  fail_unless_equals_int (garray (&x), 1);
  s = gstr (&x);
  fail_unless_equals_string (s, member);
  g_free (s);
  fail_unless (gstr (&x) == NULL);
  s = gstr (&x);
  fail_unless_equals_string (s, "gst-rg-test");
  g_free (s);
  s = gstr (&x);
  fail_unless_equals_string (s, "/127.0.0.1");
  g_free (s);
  s = gbytes (&x);
  fail_unless_equals_string (s, "m");
  g_free (s);
  s = gbytes (&x);
  fail_unless_equals_string (s, "assigned");
  g_free (s);
  gtags (&x);
  fail_unless_equals_int (g (&x, 4), G_MININT32);
  gtags (&x);
  gtags (&x);
  resp_end (&x);

  r = req_new (13, 4, 9, TRUE);
  pstr (&r, GROUP);
  parray (&r, 2);
  pstr (&r, member);
  pstr (&r, NULL);
  ptags (&r);
  pstr (&r, "nobody");
  pstr (&r, NULL);
  ptags (&r);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, 9, TRUE);
  g (&x, 4);
  fail_unless_equals_int (g (&x, 2), 0);
  fail_unless_equals_int (garray (&x), 2);
  s = gstr (&x);
  fail_unless_equals_string (s, member);
  g_free (s);
  fail_unless (gstr (&x) == NULL);
  fail_unless_equals_int (g (&x, 2), 0);
  gtags (&x);
  g_free (gstr (&x));
  fail_unless (gstr (&x) == NULL);
  fail_unless_equals_int (g (&x, 2), 25);
  gtags (&x);
  gtags (&x);
  resp_end (&x);

  g_free (member);
  close (fd);
  stop_broker (broker);
}

GST_END_TEST;

/* Committed offsets survive a broker restart when kept in a journal, and
 * only then. */
GST_START_TEST (test_offsets_survive_restart)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  gchar *offsets = g_build_filename (dir, "__consumer_offsets", NULL);
  RgBroker *broker;
  GError *error = NULL;
  int fd;

  broker = start_broker (0);
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, &error), "%s", error ? error->message : "");
  /* Again with the same directory: nothing to do. */
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  fail_if (rg_broker_enable_offsets_journal (broker, dir,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  fd = kw_connect (rg_broker_get_port (broker), 10);
  /* A "simple" commit (generation -1), as an assign()-style consumer
   * sends it, then a later one that wins. */
  fail_unless_equals_int (commit_v2 (fd, 1, -1, "", 1000), 0);
  fail_unless_equals_int (commit_v2 (fd, 2, -1, "", 1234), 0);
  close (fd);
  stop_broker (broker);

  broker = start_broker (0);
  fd = kw_connect (rg_broker_get_port (broker), 10);
  /* In memory: a new broker knows nothing. */
  fail_unless_equals_int (fetch_v1 (fd, 3, GROUP, NULL), -1);
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, &error), "%s", error ? error->message : "");
  fail_unless_equals_int (fetch_v1 (fd, 4, GROUP, NULL), 1234);
  fail_unless_equals_int (fetch_v1 (fd, 5, "other", NULL), -1);
  close (fd);
  stop_broker (broker);

  fail_unless (g_file_test (offsets, G_FILE_TEST_IS_DIR));
  rm_rf_dir (dir);
  g_free (offsets);
  g_free (dir);
}

GST_END_TEST;

/* ---- DeleteGroups, OffsetDelete ---- */

/* JoinGroup v2 of GROUP subscribing to "t" (a consumer protocol
 * subscription, as librdkafka's range assignor sends it). */
static void
send_join_subscribed_v2 (int fd, gint32 corr)
{
  static const guint8 subscription[] = {
    0, 0,                       /* version */
    0, 0, 0, 1, 0, 1, 't',      /* topics: "t" */
    0xff, 0xff, 0xff, 0xff      /* user data: null */
  };
  Req r = req_new (11, 2, corr, FALSE);

  pstr (&r, GROUP);
  p32 (&r, SESSION_MS);
  p32 (&r, SESSION_MS);
  pstr (&r, "");
  pstr (&r, "consumer");
  parray (&r, 1);
  pstr (&r, "range");
  p32 (&r, sizeof (subscription));
  g_byte_array_append (r.b, subscription, sizeof (subscription));
  send_req (fd, &r);
}

/* DeleteGroups of @group in @version (flexible from v2): its error. */
static gint16
delete_group (int fd, gint32 corr, gint16 version, const gchar * group)
{
  gboolean flex = version >= 2;
  Req r = req_new (42, version, corr, flex);
  Resp x;
  gchar *name;
  gint16 err;

  parray (&r, 1);
  pstr (&r, group);
  ptags (&r);
  send_req (fd, &r);
  x = recv_resp (fd, corr, flex);
  fail_unless_equals_int (g (&x, 4), 0);
  fail_unless_equals_int (garray (&x), 1);
  name = gstr (&x);
  fail_unless_equals_string (name, group);
  g_free (name);
  err = g (&x, 2);
  gtags (&x);
  gtags (&x);
  resp_end (&x);
  return err;
}

/* OffsetDelete v0 of GROUP's @topic / 0: the group's error, and the
 * partition's in @part_err (99 when the answer lists no partition). */
static gint16
offset_delete (int fd, gint32 corr, const gchar * topic, gint16 * part_err)
{
  Req r = req_new (47, 0, corr, FALSE);
  Resp x;
  gchar *name;
  gint16 err;
  gint32 n;

  pstr (&r, GROUP);
  parray (&r, 1);
  pstr (&r, topic);
  parray (&r, 1);
  p32 (&r, 0);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  err = g (&x, 2);
  fail_unless_equals_int (g (&x, 4), 0);
  n = garray (&x);
  *part_err = 99;
  if (n == 1) {
    name = gstr (&x);
    fail_unless_equals_string (name, topic);
    g_free (name);
    fail_unless_equals_int (garray (&x), 1);
    fail_unless_equals_int (g (&x, 4), 0);
    *part_err = g (&x, 2);
  } else {
    fail_unless_equals_int (n, 0);
  }
  resp_end (&x);
  return err;
}

/* DeleteGroups and OffsetDelete over the wire, with durable offsets: an
 * active subscription keeps its topic's offsets, a group with members is
 * not deleted, an empty one is, and its offsets stay gone after a
 * restart (the tombstones are replayed). */
GST_START_TEST (test_delete_groups_and_offsets)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  gchar *offsets = g_build_filename (dir, "__consumer_offsets", NULL);
  RgBroker *broker = start_broker (0);
  GError *error = NULL;
  JoinAnswer a;
  gint16 part_err;
  int fd;

  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, &error), "%s", error ? error->message : "");
  fd = kw_connect (rg_broker_get_port (broker), 10);
  fail_unless_equals_int (delete_group (fd, 1, 0, GROUP), 69);
  fail_unless_equals_int (offset_delete (fd, 2, "t", &part_err), 69);
  fail_unless_equals_int (part_err, 99);
  fail_unless_equals_int (commit_v2 (fd, 3, -1, "", 1000), 0);

  /* A member subscribed to "t" joins. */
  send_join_subscribed_v2 (fd, 4);
  a = recv_join_v2 (fd, 4);
  fail_unless_equals_int (a.error, 0);
  fail_unless_equals_int (delete_group (fd, 5, 1, GROUP), 68);
  fail_unless_equals_int (offset_delete (fd, 6, "t", &part_err), 0);
  fail_unless_equals_int (part_err, 86);
  fail_unless_equals_int (fetch_v1 (fd, 7, GROUP, NULL), 1000);
  /* A topic the broker does not serve. */
  fail_unless_equals_int (offset_delete (fd, 8, "nope", &part_err), 0);
  fail_unless_equals_int (part_err, 3);

  /* Once it left: the offsets can go, then the group. */
  fail_unless_equals_int (leave_v1 (fd, 9, a.member), 0);
  fail_unless_equals_int (offset_delete (fd, 10, "t", &part_err), 0);
  fail_unless_equals_int (part_err, 0);
  fail_unless_equals_int (fetch_v1 (fd, 11, GROUP, NULL), -1);
  fail_unless_equals_int (commit_v2 (fd, 12, -1, "", 500), 0);
  fail_unless_equals_int (delete_group (fd, 13, 2, GROUP), 0);
  fail_unless_equals_int (delete_group (fd, 14, 2, GROUP), 69);
  fail_unless_equals_int (fetch_v1 (fd, 15, GROUP, NULL), -1);
  join_answer_clear (&a);
  close (fd);
  stop_broker (broker);

  broker = start_broker (0);
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, &error), "%s", error ? error->message : "");
  fd = kw_connect (rg_broker_get_port (broker), 10);
  fail_unless_equals_int (fetch_v1 (fd, 16, GROUP, NULL), -1);
  fail_unless_equals_int (delete_group (fd, 17, 0, GROUP), 69);
  close (fd);
  stop_broker (broker);

  rm_rf_dir (dir);
  g_free (offsets);
  g_free (dir);
}

GST_END_TEST;

#define N_COMMITTERS 8
#define N_ROUNDS 50

/* Under sync=always, commits from many connections at once are each
 * acknowledged once durable, none lost: the last of each group reads
 * back, also after a restart. */
GST_START_TEST (test_group_commit)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  gchar *offsets = g_build_filename (dir, "__consumer_offsets", NULL);
  int fds[N_COMMITTERS];
  RgBroker *broker;
  gint i, round;

  broker = start_broker (0);
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  for (i = 0; i < N_COMMITTERS; i++)
    fds[i] = kw_connect (rg_broker_get_port (broker), 10);
  for (round = 0; round < N_ROUNDS; round++) {
    /* Every connection's commit is in flight before any answer is read. */
    for (i = 0; i < N_COMMITTERS; i++) {
      Req r = req_new (8, 2, round, FALSE);
      gchar group[16];

      g_snprintf (group, sizeof (group), "g%d", i);
      pstr (&r, group);
      p32 (&r, -1);
      pstr (&r, "");
      p64 (&r, -1);
      parray (&r, 1);
      pstr (&r, "t");
      parray (&r, 1);
      p32 (&r, 0);
      p64 (&r, round * 10 + i);
      pstr (&r, NULL);
      send_req (fds[i], &r);
    }
    for (i = 0; i < N_COMMITTERS; i++) {
      Resp x = recv_resp (fds[i], round, FALSE);

      fail_unless_equals_int (g (&x, 4), 1);
      g_free (gstr (&x));
      fail_unless_equals_int (g (&x, 4), 1);
      fail_unless_equals_int (g (&x, 4), 0);
      fail_unless_equals_int (g (&x, 2), 0);
      resp_end (&x);
    }
  }
  for (i = 0; i < N_COMMITTERS; i++)
    close (fds[i]);
  stop_broker (broker);

  broker = start_broker (0);
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  fds[0] = kw_connect (rg_broker_get_port (broker), 10);
  for (i = 0; i < N_COMMITTERS; i++) {
    gchar group[16];

    g_snprintf (group, sizeof (group), "g%d", i);
    fail_unless_equals_int (fetch_v1 (fds[0], 100 + i, group, NULL),
        (N_ROUNDS - 1) * 10 + i);
  }
  close (fds[0]);
  stop_broker (broker);
  rm_rf_dir (dir);
  g_free (offsets);
  g_free (dir);
}

GST_END_TEST;

/* Malformed group requests close the connection; the broker serves on. */
GST_START_TEST (test_malformed)
{
  RgBroker *broker = start_broker (0);
  guint port = rg_broker_get_port (broker);
  int fd;
  Req r;
  guint8 byte;

  /* A JoinGroup whose protocol array claims a billion entries. */
  fd = kw_connect (port, 10);
  r = req_new (11, 2, 1, FALSE);
  pstr (&r, GROUP);
  p32 (&r, SESSION_MS);
  p32 (&r, SESSION_MS);
  pstr (&r, "");
  pstr (&r, "consumer");
  parray (&r, 1000000000);
  send_req (fd, &r);
  fail_unless_equals_int (recv (fd, &byte, 1, 0), 0);
  close (fd);

  /* An OffsetCommit cut inside a partition. */
  fd = kw_connect (port, 10);
  r = req_new (8, 2, 2, FALSE);
  pstr (&r, GROUP);
  p32 (&r, -1);
  pstr (&r, "");
  p64 (&r, -1);
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 1);
  p32 (&r, 0);
  send_req (fd, &r);
  fail_unless_equals_int (recv (fd, &byte, 1, 0), 0);
  close (fd);

  /* A version past the table: closed, as Kafka does. */
  fd = kw_connect (port, 10);
  r = req_new (11, 99, 3, FALSE);
  send_req (fd, &r);
  fail_unless_equals_int (recv (fd, &byte, 1, 0), 0);
  close (fd);

  fd = kw_connect (port, 10);
  fail_unless_equals_int (fetch_v1 (fd, 4, GROUP, NULL), -1);
  close (fd);
  stop_broker (broker);
}

GST_END_TEST;

/* A frame of each group api at a classic and a flexible version, as the
 * tests above send them (without the size prefix). */
static GByteArray *
frame_of (Req * r)
{
  GByteArray *b = r->b;

  g_byte_array_remove_range (b, 0, 4);
  return b;
}

static GPtrArray *
sample_frames (void)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_byte_array_unref);
  Req r;

  r = req_new (11, 2, 1, FALSE);
  pstr (&r, GROUP);
  p32 (&r, SESSION_MS);
  p32 (&r, SESSION_MS);
  pstr (&r, "");
  pstr (&r, "consumer");
  parray (&r, 2);
  pstr (&r, "range");
  pbytes (&r, "meta");
  pstr (&r, "roundrobin");
  pbytes (&r, "");
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (11, 7, 2, TRUE);
  pstr (&r, GROUP);
  p32 (&r, SESSION_MS);
  p32 (&r, SESSION_MS);
  pstr (&r, "m-1");
  pstr (&r, "instance");
  pstr (&r, "consumer");
  parray (&r, 1);
  pstr (&r, "range");
  pbytes (&r, "m");
  ptags (&r);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (14, 5, 3, TRUE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, "m-1");
  pstr (&r, NULL);
  pstr (&r, "consumer");
  pstr (&r, "range");
  parray (&r, 1);
  pstr (&r, "m-1");
  pbytes (&r, "assigned");
  ptags (&r);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (8, 8, 4, TRUE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, "m-1");
  pstr (&r, NULL);
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 1);
  p32 (&r, 0);
  p64 (&r, 777);
  p32 (&r, 5);
  pstr (&r, "md");
  ptags (&r);
  ptags (&r);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (8, 1, 5, FALSE);
  pstr (&r, GROUP);
  p32 (&r, 1);
  pstr (&r, "m-1");
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 1);
  p32 (&r, 0);
  p64 (&r, 777);
  p64 (&r, 1000);
  pstr (&r, NULL);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (9, 7, 6, TRUE);
  pstr (&r, GROUP);
  parray (&r, 1);
  pstr (&r, "t");
  parray (&r, 2);
  p32 (&r, 0);
  p32 (&r, 1);
  ptags (&r);
  p8 (&r, 1);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (13, 4, 7, TRUE);
  pstr (&r, GROUP);
  parray (&r, 1);
  pstr (&r, "m-1");
  pstr (&r, NULL);
  ptags (&r);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (15, 5, 8, TRUE);
  parray (&r, 2);
  pstr (&r, GROUP);
  pstr (&r, "other");
  p8 (&r, 0);
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));

  r = req_new (16, 4, 9, TRUE);
  parray (&r, 1);
  pstr (&r, "Stable");
  ptags (&r);
  g_ptr_array_add (frames, frame_of (&r));
  return frames;
}

static RgKafkaBodyParseFunc
parser_of (gint16 api_key)
{
  switch (api_key) {
    case 8:
      return rg_kafka_group_parse_commit;
    case 9:
      return rg_kafka_group_parse_fetch;
    case 11:
      return rg_kafka_group_parse_join;
    case 13:
      return rg_kafka_group_parse_leave;
    case 14:
      return rg_kafka_group_parse_sync;
    case 15:
      return rg_kafka_group_parse_describe;
    default:
      return rg_kafka_group_parse_list;
  }
}

static const gint16 first_flexible[17] = {[8] = 8,[9] = 6,[11] = 6,
  [13] = 4,[14] = 4,[15] = 5,[16] = 3
};

static RgKafkaRequest *
parse_group (const guint8 * data, gsize len, gint16 api_key)
{
  return rg_kafka_request_parse_other (data, len, first_flexible[api_key],
      parser_of (api_key), rg_kafka_group_request_free, NULL, NULL);
}

/* The group parsers on damaged frames: each sample parses whole; every
 * truncation of it is refused; every byte set to 0x00, 0x7f, 0x80 and
 * 0xff parses or is refused without reading outside the frame (ASan
 * watches) and without allocating more than the frame can justify. */
GST_START_TEST (test_parsers_on_damaged_frames)
{
  static const guint8 values[] = { 0x00, 0x7f, 0x80, 0xff };
  GPtrArray *frames = sample_frames ();
  guint f, len, pos, v;

  for (f = 0; f < frames->len; f++) {
    GByteArray *frame = g_ptr_array_index (frames, f);
    gint16 api_key = GST_READ_UINT16_BE (frame->data);
    RgKafkaRequest *req = parse_group (frame->data, frame->len, api_key);
    guint8 *copy;

    fail_unless (req != NULL, "sample %u (api %d) does not parse", f,
        api_key);
    fail_unless_equals_int (((RgKafkaGroupRequest *) req->body.other.body)->
        api_key, api_key);
    rg_kafka_request_free (req);
    for (len = 10; len < frame->len; len++) {
      /* An exact-size copy: ASan sees a read past it. */
      copy = g_memdup2 (frame->data, len);
      req = parse_group (copy, len, api_key);
      fail_unless (req == NULL, "sample %u cut at %u parses", f, len);
      g_free (copy);
    }
    for (pos = 10; pos < frame->len; pos++) {
      for (v = 0; v < G_N_ELEMENTS (values); v++) {
        copy = g_memdup2 (frame->data, frame->len);
        copy[pos] = values[v];
        rg_kafka_request_free (parse_group (copy, frame->len, api_key));
        g_free (copy);
      }
    }
  }
  g_ptr_array_unref (frames);
}

GST_END_TEST;

/* ---- ACLs on the group and admin apis ---- */

/* Starts a broker accepting ingest whose ACL file is @acl_text (written
 * into @dir). */
static RgBroker *
start_acl_broker (const gchar * dir, const gchar * acl_text)
{
  gchar *path = g_build_filename (dir, "acl", NULL);
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  fail_unless (g_file_set_contents (path, acl_text, -1, NULL));
  rg_broker_config_init (&config);
  config.group_initial_rebalance_delay_ms = 0;
  config.ingest_batches = 16;
  config.acl_file = path;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  topic_t = rg_broker_add_topic (broker, "t", 16, &error);
  fail_unless (topic_t != NULL, "%s", error ? error->message : "?");
  g_free (path);
  return broker;
}

/* Heartbeat v1 of @group (generation 1, an unknown member): its error. */
static gint16
heartbeat_group (int fd, gint32 corr, const gchar * group)
{
  Req r = req_new (12, 1, corr, FALSE);
  Resp x;
  gint16 err;

  pstr (&r, group);
  p32 (&r, 1);
  pstr (&r, "m");
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  g (&x, 4);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

/* OffsetFetch v1 of t/0 and secret/0 in GROUP: their offsets and errors. */
static void
fetch_two_v1 (int fd, gint32 corr, gint64 * offsets, gint16 * errors)
{
  const gchar *topics[2] = { "t", "secret" };
  Req r = req_new (9, 1, corr, FALSE);
  Resp x;
  gint i;

  pstr (&r, GROUP);
  parray (&r, 2);
  for (i = 0; i < 2; i++) {
    pstr (&r, topics[i]);
    parray (&r, 1);
    p32 (&r, 0);
  }
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  fail_unless_equals_int (g (&x, 4), 2);
  for (i = 0; i < 2; i++) {
    gchar *name = gstr (&x);

    fail_unless_equals_string (name, topics[i]);
    g_free (name);
    fail_unless_equals_int (g (&x, 4), 1);
    fail_unless_equals_int (g (&x, 4), 0);
    offsets[i] = g (&x, 8);
    g_free (gstr (&x));
    errors[i] = g (&x, 2);
  }
  resp_end (&x);
}

/* CreateTopics v0 (one partition) or DeleteTopics v0 of @name: its
 * error. */
static gint16
admin_v0 (int fd, gint32 corr, gboolean create, const gchar * name)
{
  Req r = req_new (create ? 19 : 20, 0, corr, FALSE);
  Resp x;
  gchar *got;
  gint16 err;

  parray (&r, 1);
  pstr (&r, name);
  if (create) {
    p32 (&r, 1);
    g_byte_array_append (r.b, (const guint8 *) "\0\1", 2);
    parray (&r, 0);
    parray (&r, 0);
  }
  p32 (&r, 5000);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  fail_unless_equals_int (g (&x, 4), 1);
  got = gstr (&x);
  fail_unless_equals_string (got, name);
  g_free (got);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

/* Group rules: "group:" names or prefixes grant groups, '*' grants every
 * group, topic rules never do. */
GST_START_TEST (test_acl_group_rules)
{
  RgBrokerAcl *acl = rg_broker_acl_parse ("alice read group:team-*\n"
      "alice read g*\n" "bob read group:billing\n" "root all *\n", "acl",
      NULL);

  fail_unless (acl != NULL);
#define GROUP_OK(p, grp) rg_broker_acl_allows_group (acl, p, grp, \
    strlen (grp), RG_BROKER_ACL_READ)
  fail_unless (GROUP_OK ("alice", "team-a"));
  fail_if (GROUP_OK ("alice", "g1"));
  fail_if (GROUP_OK ("alice", "billing"));
  fail_unless (GROUP_OK ("bob", "billing"));
  fail_if (GROUP_OK ("bob", "billing2"));
  fail_unless (GROUP_OK ("root", "anything"));
#undef GROUP_OK
  /* A group rule grants no topic of the same name. */
  fail_if (rg_broker_acl_allows (acl, "bob", "billing", 7,
          RG_BROKER_ACL_READ));
  fail_unless (rg_broker_acl_allows (acl, "alice", "g1", 2,
          RG_BROKER_ACL_READ));
  rg_broker_acl_free (acl);
}

GST_END_TEST;

GST_START_TEST (test_acl)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  RgBroker *broker = start_acl_broker (dir, "ANONYMOUS read t\n"
      "ANONYMOUS read,delete group:" GROUP "\n" "ANONYMOUS read group:kept\n"
      "ANONYMOUS create ingest.ok\n");
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  RgBrokerTopic *secret = rg_broker_add_topic (broker, "secret", 16, NULL);
  RgBrokerTopic *made;
  const gchar *to[1];
  const gchar *what[1] = { "A" };
  gint64 offsets[2];
  gint16 errors[2], err;
  JoinAnswer a;
  gchar *assignment;

  /* A group it may read: membership and commits of a readable topic. */
  send_join_v2 (fd, 1, "", "meta");
  a = recv_join_v2 (fd, 1);
  fail_unless_equals_int (a.error, 0);
  to[0] = a.member;
  send_sync_v1 (fd, 2, a.generation, a.member, to, what, 1);
  assignment = recv_sync_v1 (fd, 2, &err);
  fail_unless_equals_int (err, 0);
  g_free (assignment);
  fail_unless_equals_int (commit_v2_to (fd, 3, a.generation, a.member, "t",
          0, 5), 0);
  /* A topic it may not read: refused per partition, nothing stored. */
  fail_unless_equals_int (commit_v2_to (fd, 4, a.generation, a.member,
          "secret", 0, 7), RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  fetch_two_v1 (fd, 5, offsets, errors);
  fail_unless_equals_int64 (offsets[0], 5);
  fail_unless_equals_int (errors[0], 0);
  fail_unless_equals_int64 (offsets[1], -1);
  fail_unless_equals_int (errors[1], RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);

  /* A group it may not read: every api answers 30. */
  fail_unless_equals_int (heartbeat_group (fd, 6, "other"),
      RG_GROUP_ERR_GROUP_AUTHORIZATION_FAILED);
  fail_unless_equals_int (heartbeat_group (fd, 7, GROUP),
      RG_GROUP_ERR_UNKNOWN_MEMBER_ID);

  /* CreateTopics needs create; a refused name is not created (a
   * pipeline can still take it). DeleteTopics needs create too, checked
   * before the name is looked up. */
  fail_unless_equals_int (admin_v0 (fd, 8, TRUE, "ingest.ok"), 0);
  fail_unless_equals_int (admin_v0 (fd, 9, TRUE, "ingest.no"),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  made = rg_broker_add_topic (broker, "ingest.no", 16, NULL);
  fail_unless (made != NULL);
  rg_broker_remove_topic (broker, made);
  fail_unless_equals_int (admin_v0 (fd, 10, FALSE, "ingest.no"),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (admin_v0 (fd, 11, FALSE, "ingest.ok"), 0);
  fail_unless_equals_int (admin_v0 (fd, 12, FALSE, "ingest.ok"),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);

  join_answer_clear (&a);
  close (fd);
  rg_broker_remove_topic (broker, secret);
  stop_broker (broker);
  rm_rf_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* DeleteRecords v0 of @topic / 0 before @offset: the partition's error. */
static gint16
delete_records_v0 (int fd, gint32 corr, const gchar * topic, gint64 offset)
{
  Req r = req_new (21, 0, corr, FALSE);
  Resp x;
  gchar *name;
  gint16 err;

  parray (&r, 1);
  pstr (&r, topic);
  parray (&r, 1);
  p32 (&r, 0);
  p64 (&r, offset);
  p32 (&r, 1000);
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  g (&x, 4);
  fail_unless_equals_int (garray (&x), 1);
  name = gstr (&x);
  fail_unless_equals_string (name, topic);
  g_free (name);
  fail_unless_equals_int (garray (&x), 1);
  fail_unless_equals_int (g (&x, 4), 0);
  g (&x, 8);
  err = g (&x, 2);
  resp_end (&x);
  return err;
}

/* With an ACL file: DeleteRecords needs create on the topic (checked
 * before the name is looked up), DeleteGroups and OffsetDelete read on
 * the group, OffsetDelete read on each topic. */
GST_START_TEST (test_acl_deletions)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  RgBroker *broker = start_acl_broker (dir, "ANONYMOUS read t\n"
      "ANONYMOUS read,delete group:" GROUP "\n" "ANONYMOUS read group:kept\n"
      "ANONYMOUS create ingest.ok\n");
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  RgBrokerTopic *secret = rg_broker_add_topic (broker, "secret", 16, NULL);
  gint16 part_err;

  fail_unless_equals_int (admin_v0 (fd, 1, TRUE, "ingest.ok"), 0);
  fail_unless_equals_int (delete_records_v0 (fd, 2, "ingest.ok", 0), 0);
  fail_unless_equals_int (delete_records_v0 (fd, 3, "ingest.no", 0),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (delete_records_v0 (fd, 4, "secret", 0),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);

  fail_unless_equals_int (delete_group (fd, 5, 1, "other"),
      RG_GROUP_ERR_GROUP_AUTHORIZATION_FAILED);
  /* Read on a group does not grant deleting it (Kafka asks delete). */
  fail_unless_equals_int (delete_group (fd, 10, 1, "kept"),
      RG_GROUP_ERR_GROUP_AUTHORIZATION_FAILED);
  fail_unless_equals_int (commit_v2 (fd, 6, -1, "", 9), 0);
  fail_unless_equals_int (offset_delete (fd, 7, "secret", &part_err), 0);
  fail_unless_equals_int (part_err, RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (offset_delete (fd, 8, "t", &part_err), 0);
  fail_unless_equals_int (part_err, 0);
  fail_unless_equals_int (delete_group (fd, 9, 1, GROUP), 0);

  close (fd);
  rg_broker_remove_topic (broker, secret);
  stop_broker (broker);
  rm_rf_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* OffsetFetch v2 of every committed offset of GROUP: the topics answered,
 * as "name=offset" joined with ','. */
static gchar *
fetch_all_v2 (int fd, gint32 corr)
{
  Req r = req_new (9, 2, corr, FALSE);
  GString *out = g_string_new (NULL);
  Resp x;
  gint32 n, i, j, n_parts;

  pstr (&r, GROUP);
  p32 (&r, -1);                 /* null: every topic */
  send_req (fd, &r);
  x = recv_resp (fd, corr, FALSE);
  n = g (&x, 4);
  for (i = 0; i < n; i++) {
    gchar *name = gstr (&x);

    n_parts = g (&x, 4);
    for (j = 0; j < n_parts; j++) {
      gint64 offset;

      g (&x, 4);
      offset = g (&x, 8);
      g_free (gstr (&x));
      fail_unless_equals_int (g (&x, 2), 0);
      g_string_append_printf (out, "%s%s=%" G_GINT64_FORMAT,
          out->len ? "," : "", name, offset);
    }
    g_free (name);
  }
  fail_unless_equals_int (g (&x, 2), 0);
  resp_end (&x);
  return g_string_free (out, FALSE);
}

/* Offsets committed before an ACL file was set (a journal-backed broker
 * restarted with one): an all-topics OffsetFetch leaves out the topics
 * the principal may not read. */
GST_START_TEST (test_acl_fetch_all)
{
  gchar *dir = g_dir_make_tmp ("rg-group-XXXXXX", NULL);
  gchar *offsets = g_build_filename (dir, "__consumer_offsets", NULL);
  RgBroker *broker = start_broker (0);
  RgBrokerTopic *secret = rg_broker_add_topic (broker, "secret", 16, NULL);
  gchar *all;
  int fd;

  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  fd = kw_connect (rg_broker_get_port (broker), 10);
  fail_unless_equals_int (commit_v2_to (fd, 1, -1, "", "t", 0, 5), 0);
  fail_unless_equals_int (commit_v2_to (fd, 2, -1, "", "secret", 0, 7), 0);
  all = fetch_all_v2 (fd, 3);
  fail_unless (strstr (all, "t=5") && strstr (all, "secret=7"), "%s", all);
  g_free (all);
  close (fd);
  rg_broker_remove_topic (broker, secret);
  stop_broker (broker);

  broker = start_acl_broker (dir, "ANONYMOUS read t\n"
      "ANONYMOUS read group:" GROUP "\n");
  fail_unless (rg_broker_enable_offsets_journal (broker, offsets,
          RG_JOURNAL_SYNC_ALWAYS, NULL));
  fd = kw_connect (rg_broker_get_port (broker), 10);
  all = fetch_all_v2 (fd, 4);
  fail_unless_equals_string (all, "t=5");
  g_free (all);
  close (fd);
  stop_broker (broker);
  rm_rf_dir (dir);
  g_free (offsets);
  g_free (dir);
}

GST_END_TEST;

static Suite *
group_broker_suite (void)
{
  Suite *s = suite_create ("group_broker");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_find_coordinator);
  tcase_add_test (tc, test_two_members);
  tcase_add_test (tc, test_flexible_versions);
  tcase_add_test (tc, test_offsets_survive_restart);
  tcase_add_test (tc, test_delete_groups_and_offsets);
  tcase_add_test (tc, test_group_commit);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_parsers_on_damaged_frames);
  tcase_add_test (tc, test_acl_group_rules);
  tcase_add_test (tc, test_acl);
  tcase_add_test (tc, test_acl_deletions);
  tcase_add_test (tc, test_acl_fetch_all);
  return s;
}

GST_CHECK_MAIN (group_broker);
