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
 * rg-bench-groups: the consumer-group numbers of the embedded broker.
 * A benchmark, not a test: it prints figures with the load average beside
 * them and asserts nothing about time.
 *
 *   rg-bench-groups commit [--connections=N] [--seconds=S] [--dir=D]
 *       OffsetCommit throughput with the offsets journal under
 *       sync=always (and, interleaved, sync=none for reference): N
 *       connections over raw sockets, each with one OffsetCommit v2 in
 *       flight (as a consumer has), for S seconds per run. D: where the
 *       journal goes (a real disk: fdatasync must cost what it costs).
 *
 *   rg-bench-groups consume [--records=N] [--rounds=R]
 *       8 librdkafka consumers reading 8 in-memory topics of N records:
 *       A = one group subscribed to all 8 (the broker's coordinator
 *       assigns one topic each), B = 8 assign()-style readers, one topic
 *       each. Interleaved A/B rounds. The records (1000 bytes) are
 *       appended once every consumer holds its topic (the group settled),
 *       and the figure is records/s from the first append to the last
 *       record read, and the A/B ratio.
 *
 *   rg-bench-groups settle [--members=M] [--rounds=R]
 *       M raw-socket members (JoinGroup v2, SyncGroup v1, Heartbeat v1
 *       every 100 ms, rebalance timeout 3 s) form a Stable group; then a
 *       member joins, later one leaves; the figure is the time from the
 *       join (or the LeaveGroup) until every member holds the new
 *       generation's assignment.
 */

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "rgbench.h"

/* ---- Raw sockets ---- */

static int
connect_to (guint port)
{
  struct sockaddr_in sin = { 0, };
  int fd = socket (AF_INET, SOCK_STREAM, 0), one = 1;

  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) != 0)
    g_error ("connect: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  return fd;
}

static void
send_all (int fd, const guint8 * p, gsize len)
{
  while (len > 0) {
    ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

    if (n <= 0)
      g_error ("send: %s", g_strerror (errno));
    p += n;
    len -= n;
  }
}

static void
recv_all (int fd, guint8 * p, gsize len)
{
  while (len > 0) {
    ssize_t n = recv (fd, p, len, 0);

    if (n <= 0)
      g_error ("recv: %s", n == 0 ? "closed" : g_strerror (errno));
    p += n;
    len -= n;
  }
}

/* One response body (after the size prefix), g_free() it. */
static guint8 *
recv_frame (int fd, gsize * size)
{
  guint8 prefix[4];
  guint8 *body;

  recv_all (fd, prefix, 4);
  *size = GST_READ_UINT32_BE (prefix);
  body = g_malloc (*size);
  recv_all (fd, body, *size);
  return body;
}

static void
put16 (GByteArray * b, gint16 v)
{
  guint8 x[2];

  GST_WRITE_UINT16_BE (x, v);
  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray * b, gint32 v)
{
  guint8 x[4];

  GST_WRITE_UINT32_BE (x, v);
  g_byte_array_append (b, x, 4);
}

static void
put64 (GByteArray * b, gint64 v)
{
  guint8 x[8];

  GST_WRITE_UINT64_BE (x, v);
  g_byte_array_append (b, x, 8);
}

static void
putstr (GByteArray * b, const gchar * s)
{
  put16 (b, strlen (s));
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static void
putbytes (GByteArray * b, const gchar * s, gsize len)
{
  put32 (b, len);
  g_byte_array_append (b, (const guint8 *) s, len);
}

static GByteArray *
request_new (gint16 key, gint16 version, gint32 corr)
{
  GByteArray *b = g_byte_array_new ();

  put32 (b, 0);
  put16 (b, key);
  put16 (b, version);
  put32 (b, corr);
  putstr (b, "rg-bench");
  return b;
}

static void
request_send (int fd, GByteArray * b)
{
  GST_WRITE_UINT32_BE (b->data, b->len - 4);
  send_all (fd, b->data, b->len);
  g_byte_array_unref (b);
}

/* ---- commit ---- */

typedef struct
{
  guint port;
  gint index;
  gint64 deadline;
  guint64 commits;
  guint64 errors;
} Committer;

static gpointer
committer_run (gpointer data)
{
  Committer *c = data;
  int fd = connect_to (c->port);
  gchar group[32];
  gint32 corr = 0;

  g_snprintf (group, sizeof (group), "bench-%d", c->index);
  while (g_get_monotonic_time () < c->deadline) {
    GByteArray *b = request_new (8, 2, ++corr);
    guint8 *resp;
    gsize size;

    putstr (b, group);
    put32 (b, -1);
    putstr (b, "");
    put64 (b, -1);
    put32 (b, 1);
    putstr (b, "t");
    put32 (b, 1);
    put32 (b, 0);
    put64 (b, corr);
    putstr (b, "");
    request_send (fd, b);
    resp = recv_frame (fd, &size);
    /* corr, [topics: 1, "t", [1: partition, error]] */
    if (GST_READ_UINT16_BE (resp + size - 2) == 0)
      c->commits++;
    else
      c->errors++;
    g_free (resp);
  }
  close (fd);
  return NULL;
}

static gdouble
commit_run (const gchar * dir, RgJournalSync sync, guint n, guint seconds,
    guint64 * errors)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerTopic *topic;
  Committer *cs = g_new0 (Committer, n);
  GThread **threads = g_new0 (GThread *, n);
  GError *error = NULL;
  guint64 total = 0;
  gint64 start;
  guint i;

  rg_broker_config_init (&config);
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  if (!broker || !rg_broker_enable_offsets_journal (broker, dir, sync,
          &error))
    g_error ("%s", error->message);
  topic = rg_broker_add_topic (broker, "t", 1, &error);
  start = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    cs[i].port = rg_broker_get_port (broker);
    cs[i].index = i;
    cs[i].deadline = start + seconds * G_TIME_SPAN_SECOND;
    threads[i] = g_thread_new ("committer", committer_run, &cs[i]);
  }
  *errors = 0;
  for (i = 0; i < n; i++) {
    g_thread_join (threads[i]);
    total += cs[i].commits;
    *errors += cs[i].errors;
  }
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  g_free (cs);
  g_free (threads);
  return total / ((g_get_monotonic_time () - start) / 1e6);
}

static void
bench_commit (guint n, guint seconds, const gchar * base, guint rounds)
{
  guint round;

  g_print ("| round | sync | connections | commits/s | errors | load |\n"
      "|---|---|---|---|---|---|\n");
  for (round = 0; round < rounds; round++) {
    RgJournalSync syncs[2] = { RG_JOURNAL_SYNC_ALWAYS, RG_JOURNAL_SYNC_NONE };
    guint k;

    for (k = 0; k < 2; k++) {
      gchar *dir = g_strdup_printf ("%s/rg-bench-offsets-%u-%u", base,
          round, k);
      gchar *load = rg_bench_load_average ();
      gchar *cmd = g_strdup_printf ("rm -rf '%s'", dir);
      guint64 errors;
      gdouble rate = commit_run (dir, syncs[k], n, seconds, &errors);

      g_print ("| %u | %s | %u | %.0f | %" G_GUINT64_FORMAT " | %s |\n",
          round, k == 0 ? "always" : "none", n, rate, errors, load);
      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", dir);
      g_free (cmd);
      g_free (load);
      g_free (dir);
    }
  }
}

/* ---- consume ---- */

#define N_TOPICS 8

static RgBroker *
consume_broker (guint n_records, RgBrokerTopic ** topics)
{
  RgBrokerConfig config;
  RgBroker *broker;
  GError *error = NULL;
  guint i;

  rg_broker_config_init (&config);
  config.group_initial_rebalance_delay_ms = 0;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  for (i = 0; i < N_TOPICS; i++) {
    gchar name[16];

    g_snprintf (name, sizeof (name), "topic-%u", i);
    topics[i] = rg_broker_add_topic (broker, name, n_records, &error);
    if (!topics[i])
      g_error ("%s", error->message);
  }
  return broker;
}

/* The records, appended once every reader has its topic: the figure is
 * steady delivery, not how long a group takes to form. */
static void
consume_fill (RgBrokerTopic ** topics, guint n_records)
{
  guint i, j;

  for (j = 0; j < n_records; j++) {
    for (i = 0; i < N_TOPICS; i++) {
      GstBuffer *buf = gst_buffer_new_allocate (NULL, 1000, NULL);

      gst_buffer_memset (buf, 0, j & 0xff, 1000);
      rg_broker_topic_append (topics[i], buf, -1, NULL, NULL, NULL);
      gst_buffer_unref (buf);
    }
  }
}

typedef struct
{
  guint port;
  gboolean group;
  guint index;
  guint n_records;
  gchar *group_id;
  guint64 got;
  gint64 end;
  gint assigned;                /* partitions assigned now (atomic) */
  gint64 deadline;
} Reader;

static rd_kafka_t *
reader_new (Reader * r)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  gchar bootstrap[32], err[256];
  rd_kafka_t *rk;

  g_snprintf (bootstrap, sizeof (bootstrap), "127.0.0.1:%u", r->port);
  rd_kafka_conf_set (conf, "bootstrap.servers", bootstrap, err, sizeof err);
  rd_kafka_conf_set (conf, "group.id", r->group_id, err, sizeof err);
  rd_kafka_conf_set (conf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set (conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set (conf, "partition.assignment.strategy", "roundrobin",
      err, sizeof err);
  rk = rd_kafka_new (RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk)
    g_error ("%s", err);
  rd_kafka_poll_set_consumer (rk);
  return rk;
}

static gpointer
reader_run (gpointer data)
{
  Reader *r = data;
  rd_kafka_t *rk = reader_new (r);
  rd_kafka_topic_partition_list_t *list =
      rd_kafka_topic_partition_list_new (N_TOPICS);
  gchar name[16];
  guint i;

  if (r->group) {
    for (i = 0; i < N_TOPICS; i++) {
      g_snprintf (name, sizeof (name), "topic-%u", i);
      rd_kafka_topic_partition_list_add (list, name, RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_subscribe (rk, list);
  } else {
    g_snprintf (name, sizeof (name), "topic-%u", r->index);
    rd_kafka_topic_partition_list_add (list, name, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign (rk, list);
  }
  rd_kafka_topic_partition_list_destroy (list);
  while (r->got < r->n_records && g_get_monotonic_time () < r->deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll (rk, 100);
    rd_kafka_topic_partition_list_t *a = NULL;

    if (rd_kafka_assignment (rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      g_atomic_int_set (&r->assigned, a->cnt);
      rd_kafka_topic_partition_list_destroy (a);
    }

    if (!m)
      continue;
    if (!m->err)
      r->got++;
    rd_kafka_message_destroy (m);
  }
  r->end = g_get_monotonic_time ();
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);
  return NULL;
}

static gdouble
consume_run (gboolean group, guint n_records, guint round)
{
  RgBrokerTopic *topics[N_TOPICS];
  Reader readers[N_TOPICS];
  GThread *threads[N_TOPICS];
  RgBroker *broker = consume_broker (n_records, topics);
  gchar *group_id = g_strdup_printf ("bench-%s-%u", group ? "group" :
      "assign", round);
  gint64 start, end = 0, stable_since = 0, deadline;
  guint64 got = 0;
  guint i;

  deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  for (i = 0; i < N_TOPICS; i++) {
    readers[i] = (Reader) {
    rg_broker_get_port (broker), group, i, n_records, group_id, 0, 0, 0,
          deadline};
    threads[i] = g_thread_new ("reader", reader_run, &readers[i]);
  }
  /* Every reader holds one partition, for 500 ms on end: the group has
   * settled (the assign readers at once). */
  while (g_get_monotonic_time () < deadline) {
    gboolean all = TRUE;

    for (i = 0; i < N_TOPICS; i++)
      if (g_atomic_int_get (&readers[i].assigned) != 1)
        all = FALSE;
    if (!all)
      stable_since = 0;
    else if (!stable_since)
      stable_since = g_get_monotonic_time ();
    else if (g_get_monotonic_time () - stable_since > 500000)
      break;
    g_usleep (10000);
  }
  start = g_get_monotonic_time ();
  consume_fill (topics, n_records);
  for (i = 0; i < N_TOPICS; i++) {
    g_thread_join (threads[i]);
    end = MAX (end, readers[i].end);
    got += readers[i].got;
  }
  if (got != (guint64) N_TOPICS * n_records)
    g_printerr ("%s: %" G_GUINT64_FORMAT " of %u records\n", group_id, got,
        N_TOPICS * n_records);
  for (i = 0; i < N_TOPICS; i++)
    rg_broker_remove_topic (broker, topics[i]);
  rg_broker_release (broker);
  g_free (group_id);
  return got / ((end - start) / 1e6);
}

static void
bench_consume (guint n_records, guint rounds)
{
  gdouble sum_a = 0, sum_b = 0;
  guint round;

  g_print ("| round | A: group of 8 (rec/s) | B: 8 assign (rec/s) | A/B "
      "| load |\n|---|---|---|---|---|\n");
  for (round = 0; round < rounds; round++) {
    gchar *load = rg_bench_load_average ();
    /* Alternate which goes first, so drift in the machine's load does not
     * favour one side. */
    gboolean a_first = round % 2 == 0;
    gdouble a, b;

    if (a_first) {
      a = consume_run (TRUE, n_records, round);
      b = consume_run (FALSE, n_records, round);
    } else {
      b = consume_run (FALSE, n_records, round);
      a = consume_run (TRUE, n_records, round);
    }
    sum_a += a;
    sum_b += b;
    g_print ("| %u | %.0f | %.0f | %.3f | %s |\n", round, a, b, a / b, load);
    g_free (load);
  }
  g_print ("| mean | %.0f | %.0f | %.3f | |\n", sum_a / rounds,
      sum_b / rounds, sum_a / sum_b);
}

/* ---- settle ---- */

#define SETTLE_REBALANCE_MS 3000
#define SETTLE_HEARTBEAT_MS 100

typedef struct _Settle Settle;

typedef struct
{
  Settle *settle;
  guint index;
  gint fd;
  gchar *member_id;
  gint32 generation;
  gboolean leave;
  gboolean stop;
} Member;

struct _Settle
{
  guint port;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  /* The generation each member holds an assignment of (0: none). */
  gint32 synced[64];
  guint n_members;
};

/* JoinGroup v2; returns the generation, fills member id and, for the
 * leader, the member ids. */
static gint32
member_join (Member * m, GPtrArray * ids)
{
  GByteArray *b = request_new (11, 2, 1);
  const guint8 *p;
  guint8 *resp;
  gsize size;
  gint16 err;
  gint32 gen, n, i;
  guint16 len;
  gchar *leader;

  putstr (b, "settle");
  put32 (b, 10000);
  put32 (b, SETTLE_REBALANCE_MS);
  putstr (b, m->member_id ? m->member_id : "");
  putstr (b, "consumer");
  put32 (b, 1);
  putstr (b, "roundrobin");
  putbytes (b, "x", 1);
  request_send (m->fd, b);
  resp = recv_frame (m->fd, &size);
  p = resp + 4 + 4;
  err = GST_READ_UINT16_BE (p);
  p += 2;
  gen = GST_READ_UINT32_BE (p);
  p += 4;
  len = GST_READ_UINT16_BE (p);
  p += 2 + len;
  len = GST_READ_UINT16_BE (p);
  leader = g_strndup ((const gchar *) p + 2, len);
  p += 2 + len;
  len = GST_READ_UINT16_BE (p);
  g_free (m->member_id);
  m->member_id = g_strndup ((const gchar *) p + 2, len);
  p += 2 + len;
  n = GST_READ_UINT32_BE (p);
  p += 4;
  for (i = 0; i < n; i++) {
    len = GST_READ_UINT16_BE (p);
    g_ptr_array_add (ids, g_strndup ((const gchar *) p + 2, len));
    p += 2 + len;
    p += 4 + GST_READ_UINT32_BE (p);
  }
  g_free (leader);
  g_free (resp);
  return err == 0 ? gen : -1;
}

static gboolean
member_sync (Member * m, GPtrArray * ids)
{
  GByteArray *b = request_new (14, 1, 2);
  guint8 *resp;
  gsize size;
  gint16 err;
  guint i;

  putstr (b, "settle");
  put32 (b, m->generation);
  putstr (b, m->member_id);
  put32 (b, ids->len);
  for (i = 0; i < ids->len; i++) {
    putstr (b, g_ptr_array_index (ids, i));
    putbytes (b, "a", 1);
  }
  request_send (m->fd, b);
  resp = recv_frame (m->fd, &size);
  err = GST_READ_UINT16_BE (resp + 8);
  g_free (resp);
  return err == 0;
}

static gint16
member_heartbeat (Member * m)
{
  GByteArray *b = request_new (12, 1, 3);
  guint8 *resp;
  gsize size;
  gint16 err;

  putstr (b, "settle");
  put32 (b, m->generation);
  putstr (b, m->member_id);
  request_send (m->fd, b);
  resp = recv_frame (m->fd, &size);
  err = GST_READ_UINT16_BE (resp + 8);
  g_free (resp);
  return err;
}

static void
member_leave (Member * m)
{
  GByteArray *b = request_new (13, 1, 4);
  gsize size;

  putstr (b, "settle");
  putstr (b, m->member_id);
  request_send (m->fd, b);
  g_free (recv_frame (m->fd, &size));
}

static gpointer
member_run (gpointer data)
{
  Member *m = data;
  Settle *s = m->settle;

  m->fd = connect_to (s->port);
  while (!g_atomic_int_get (&m->stop)) {
    GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

    m->generation = member_join (m, ids);
    if (m->generation > 0 && member_sync (m, ids)) {
      pthread_mutex_lock (&s->lock);
      s->synced[m->index] = m->generation;
      pthread_cond_broadcast (&s->cond);
      pthread_mutex_unlock (&s->lock);
      /* Stable: heartbeat until told to rejoin, stop or leave. */
      while (!g_atomic_int_get (&m->stop) && !g_atomic_int_get (&m->leave)
          && member_heartbeat (m) == 0)
        g_usleep (SETTLE_HEARTBEAT_MS * 1000);
    }
    g_ptr_array_unref (ids);
    if (g_atomic_int_get (&m->leave)) {
      member_leave (m);
      break;
    }
  }
  close (m->fd);
  g_free (m->member_id);
  return NULL;
}

/* Waits until members [0, @n) all hold a generation above @above;
 * returns it. */
static gint32
settle_wait (Settle * s, guint n, gint32 above)
{
  gint32 gen = 0;
  guint i;

  pthread_mutex_lock (&s->lock);
  for (;;) {
    gboolean all = TRUE;

    gen = s->synced[0];
    for (i = 0; i < n; i++)
      if (s->synced[i] <= above || s->synced[i] != gen)
        all = FALSE;
    if (all)
      break;
    pthread_cond_wait (&s->cond, &s->lock);
  }
  pthread_mutex_unlock (&s->lock);
  return gen;
}

static void
bench_settle (guint n, guint rounds)
{
  RgBrokerConfig config;
  RgBroker *broker;
  Settle s = { 0, };
  Member *members = g_new0 (Member, n + 1);
  GThread **threads = g_new0 (GThread *, n + 1);
  GError *error = NULL;
  gint32 gen;
  guint i, round;

  g_assert (n + 1 < G_N_ELEMENTS (s.synced));
  rg_broker_config_init (&config);
  config.group_initial_rebalance_delay_ms = 0;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  s.port = rg_broker_get_port (broker);
  pthread_mutex_init (&s.lock, NULL);
  pthread_cond_init (&s.cond, NULL);
  for (i = 0; i < n; i++) {
    members[i] = (Member) {
    &s, i, -1, NULL, 0, FALSE, FALSE};
    threads[i] = g_thread_new ("member", member_run, &members[i]);
  }
  gen = settle_wait (&s, n, 0);

  g_print ("| round | event | members after | settle (ms) | bound (ms) | "
      "load |\n|---|---|---|---|---|---|\n");
  for (round = 0; round < rounds; round++) {
    gchar *load = rg_bench_load_average ();
    gint64 t0;

    /* A member joins. */
    members[n] = (Member) {
    &s, n, -1, NULL, 0, FALSE, FALSE};
    s.synced[n] = 0;
    t0 = g_get_monotonic_time ();
    threads[n] = g_thread_new ("member", member_run, &members[n]);
    gen = settle_wait (&s, n + 1, gen);
    g_print ("| %u | join | %u | %.1f | %d | %s |\n", round, n + 1,
        (g_get_monotonic_time () - t0) / 1000.0, SETTLE_REBALANCE_MS + 100,
        load);
    /* It leaves again. */
    t0 = g_get_monotonic_time ();
    g_atomic_int_set (&members[n].leave, TRUE);
    gen = settle_wait (&s, n, gen);
    g_print ("| %u | leave | %u | %.1f | %d | %s |\n", round, n,
        (g_get_monotonic_time () - t0) / 1000.0, SETTLE_REBALANCE_MS + 100,
        load);
    g_thread_join (threads[n]);
    g_free (load);
  }
  for (i = 0; i < n; i++)
    g_atomic_int_set (&members[i].leave, TRUE);
  for (i = 0; i < n; i++)
    g_thread_join (threads[i]);
  rg_broker_release (broker);
  pthread_mutex_destroy (&s.lock);
  pthread_cond_destroy (&s.cond);
  g_free (members);
  g_free (threads);
}

int
main (int argc, char **argv)
{
  guint connections = 16, seconds = 3, records = 20000, rounds = 3;
  guint members = 8;
  gchar *dir = NULL;
  GOptionEntry entries[] = {
    {"connections", 0, 0, G_OPTION_ARG_INT, &connections,
        "commit: connections", "N"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "commit: seconds a run",
        "S"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
        "commit: where the journals go", "D"},
    {"records", 0, 0, G_OPTION_ARG_INT, &records,
        "consume: records per topic", "N"},
    {"rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "rounds", "R"},
    {"members", 0, 0, G_OPTION_ARG_INT, &members, "settle: members", "M"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("commit|consume|settle");
  GError *error = NULL;
  gchar *cpu;

  g_option_context_add_main_entries (ctx, entries, NULL);
  gst_init (&argc, &argv);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc < 2)
    g_error ("usage: rg-bench-groups commit|consume|settle [options]");
  g_option_context_free (ctx);
  cpu = rg_bench_cpu_model ();
  g_print ("%s, %u CPUs\n\n", cpu, g_get_num_processors ());
  g_free (cpu);
  if (g_str_equal (argv[1], "commit"))
    bench_commit (connections, seconds, dir ? dir : g_get_tmp_dir (),
        rounds);
  else if (g_str_equal (argv[1], "consume"))
    bench_consume (records, rounds);
  else if (g_str_equal (argv[1], "settle"))
    bench_settle (members, rounds);
  else
    g_error ("unknown benchmark %s", argv[1]);
  g_free (dir);
  return 0;
}
