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
 *       8 librdkafka consumers reading 8 in-memory topics of N records
 *       of 1000 bytes, every record appended before the consumers start:
 *       A = one group subscribed to all 8 (the broker's coordinator
 *       assigns one topic each; its first rebalance waits 1 s so that all
 *       8 join the first generation), B = 8 assign()-style readers, one
 *       topic each, same configuration otherwise. The figure is records/s
 *       from the first record any consumer got to the last record of the
 *       slowest, and the A/B ratio; beside it the process's CPU time
 *       (broker and clients) in that window per record, which the load of
 *       other programs on the machine does not change as it changes the
 *       rate. Before reading, every client learns its topic's leader and
 *       waits 1 s, as the group's first rebalance does. Interleaved A/B
 *       rounds, alternating
 *       which side goes first, after one uncounted warm-up run; a run in
 *       which a consumer got a record twice (a rebalance) or too few is
 *       reported invalid, not counted.
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
#include <stdlib.h>
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
#define CONSUME_RECORD_BYTES 1000
/* Long enough for all 8 librdkafka consumers, started together, to join
 * the group's first generation: no rebalance happens while they read. */
#define CONSUME_GROUP_DELAY_MS 1000

/* The topics, every record already in them (the ring holds them all):
 * the run measures delivery from the broker's memory, not how fast a
 * thread appends while the consumers compete with it for the cores. */
static RgBroker *
consume_broker (guint n_records, RgBrokerTopic ** topics)
{
  RgBrokerConfig config;
  RgBroker *broker;
  GstBuffer *values[256];
  GError *error = NULL;
  guint i, j;

  rg_broker_config_init (&config);
  config.group_initial_rebalance_delay_ms = CONSUME_GROUP_DELAY_MS;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  if (!broker)
    g_error ("%s", error->message);
  /* 256 distinct values, each shared by many records (a record holds a
   * reference, never a copy): memory stays small however long the run. */
  for (j = 0; j < G_N_ELEMENTS (values); j++) {
    values[j] = gst_buffer_new_allocate (NULL, CONSUME_RECORD_BYTES, NULL);
    gst_buffer_memset (values[j], 0, j, CONSUME_RECORD_BYTES);
  }
  for (i = 0; i < N_TOPICS; i++) {
    gchar name[16];

    g_snprintf (name, sizeof (name), "topic-%u", i);
    topics[i] = rg_broker_add_topic (broker, name, n_records, &error);
    if (!topics[i])
      g_error ("%s", error->message);
    for (j = 0; j < n_records; j++)
      if (!rg_broker_topic_append (topics[i], values[j & 0xff], -1, NULL,
              NULL, &error))
        g_error ("%s", error->message);
  }
  for (j = 0; j < G_N_ELEMENTS (values); j++)
    gst_buffer_unref (values[j]);
  return broker;
}

/* The process's CPU time (the broker's and the clients' threads) from the
 * first record any reader got to the last record of the slowest: what the
 * delivery cost, whatever else runs on the machine. */
typedef struct
{
  gint done;                    /* readers that have all their records */
  gint started;
  gdouble cpu_first;
  gdouble cpu_last;
} Window;

typedef struct
{
  guint port;
  gboolean group;
  guint index;
  guint n_records;
  gchar *group_id;
  guint64 got;
  gint64 first;                 /* when its first record came */
  gint64 last;                  /* when its n_records-th record came */
  gint64 deadline;
  Window *window;
} Reader;

static rd_kafka_t *
reader_new (Reader * r)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  gchar bootstrap[32], err[256];
  rd_kafka_t *rk;

  /* The same configuration on both sides: only subscribe() against
   * assign() differs. Fetch settings are librdkafka's defaults. */
  g_snprintf (bootstrap, sizeof (bootstrap), "127.0.0.1:%u", r->port);
  rd_kafka_conf_set (conf, "bootstrap.servers", bootstrap, err, sizeof err);
  rd_kafka_conf_set (conf, "group.id", r->group_id, err, sizeof err);
  rd_kafka_conf_set (conf, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set (conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set (conf, "partition.assignment.strategy", "roundrobin",
      err, sizeof err);
  if (g_getenv ("RG_BENCH_RDKAFKA_DEBUG"))
    rd_kafka_conf_set (conf, "debug", g_getenv ("RG_BENCH_RDKAFKA_DEBUG"),
        err, sizeof err);
  rk = rd_kafka_new (RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk)
    g_error ("%s", err);
  rd_kafka_poll_set_consumer (rk);
  return rk;
}

/* Lets the client settle before it reads: it learns the leader of its
 * topic and then waits as long as the group's first rebalance does.
 * Without it an assign() reader whose partition is not yet handed to its
 * broker thread when it asks for its first offset waits out librdkafka's
 * 500 ms retry ("no current leader for partition"), which a group member
 * never does (its offsets come after JoinGroup, SyncGroup and
 * OffsetFetch): a start-up cost of the client, not delivery. Both sides
 * do it. */
static void
reader_settle (Reader * r, rd_kafka_t * rk)
{
  const struct rd_kafka_metadata *md = NULL;
  gchar name[16];
  rd_kafka_topic_t *rkt;

  g_snprintf (name, sizeof (name), "topic-%u", r->index);
  rkt = rd_kafka_topic_new (rk, name, NULL);
  if (rd_kafka_metadata (rk, 0, rkt, &md, 10000) != 0)
    g_error ("no metadata for %s", name);
  rd_kafka_metadata_destroy (md);
  rd_kafka_topic_destroy (rkt);
  g_usleep (CONSUME_GROUP_DELAY_MS * 1000);
}

static void
reader_start (Reader * r, rd_kafka_t * rk)
{
  rd_kafka_topic_partition_list_t *list =
      rd_kafka_topic_partition_list_new (N_TOPICS);
  gchar name[16];
  guint i;

  reader_settle (r, rk);

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
}

static gpointer
reader_run (gpointer data)
{
  Reader *r = data;
  rd_kafka_t *rk = reader_new (r);
  gboolean finished = FALSE;

  reader_start (r, rk);
  /* A reader that has its records keeps polling until all have theirs:
   * a group member that left early would make the coordinator rebalance
   * the others in the middle of their reading. */
  while (g_atomic_int_get (&r->window->done) < N_TOPICS
      && g_get_monotonic_time () < r->deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll (rk, 100);

    if (!m)
      continue;
    if (!m->err && !finished) {
      gint64 now = g_get_monotonic_time ();

      if (r->got++ == 0) {
        r->first = now;
        if (g_atomic_int_compare_and_exchange (&r->window->started, 0, 1))
          r->window->cpu_first = rg_bench_cpu_seconds ();
      }
      if (r->got == r->n_records) {
        r->last = now;
        finished = TRUE;
        if (g_atomic_int_add (&r->window->done, 1) == N_TOPICS - 1)
          r->window->cpu_last = rg_bench_cpu_seconds ();
      }
    } else if (!m->err) {
      r->got++;                 /* a record twice: reported below */
    }
    rd_kafka_message_destroy (m);
  }
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);
  return NULL;
}

/* Records/s of one side: every record of the 8 topics over the time from
 * the first record any consumer got to the last record of the slowest.
 * The group's forming (JoinGroup, SyncGroup, OffsetFetch) lies before the
 * first record and is not counted; @spread_ms tells how far apart the
 * consumers' first records were. Returns 0 for an invalid run. */
static gdouble
consume_run (gboolean group, guint n_records, guint round,
    gdouble * spread_ms, gdouble * cpu_us)
{
  RgBrokerTopic *topics[N_TOPICS];
  Reader readers[N_TOPICS];
  GThread *threads[N_TOPICS];
  RgBroker *broker = consume_broker (n_records, topics);
  gchar *group_id = g_strdup_printf ("bench-%s-%u", group ? "group" :
      "assign", round);
  gint64 first = G_MAXINT64, first_max = 0, last = 0, deadline;
  gboolean valid = TRUE;
  Window window = { 0, };
  guint i;

  deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  for (i = 0; i < N_TOPICS; i++) {
    readers[i] = (Reader) {
    rg_broker_get_port (broker), group, i, n_records, group_id, 0, 0, 0,
          deadline, &window};
    threads[i] = g_thread_new ("reader", reader_run, &readers[i]);
  }
  for (i = 0; i < N_TOPICS; i++) {
    g_thread_join (threads[i]);
    if (readers[i].got != n_records) {
      /* Fewer: the deadline; more: a rebalance made it read again. */
      g_printerr ("%s reader %u: %" G_GUINT64_FORMAT " records, not %u\n",
          group_id, i, readers[i].got, n_records);
      valid = FALSE;
      continue;
    }
    first = MIN (first, readers[i].first);
    first_max = MAX (first_max, readers[i].first);
    last = MAX (last, readers[i].last);
  }
  if (g_getenv ("RG_BENCH_VERBOSE"))
    for (i = 0; i < N_TOPICS && valid; i++)
      g_printerr ("%s reader %u: first at %.0f ms, last at %.0f ms\n",
          group_id, i, (readers[i].first - first) / 1e3,
          (readers[i].last - first) / 1e3);
  for (i = 0; i < N_TOPICS; i++)
    rg_broker_remove_topic (broker, topics[i]);
  rg_broker_release (broker);
  g_free (group_id);
  *spread_ms = valid ? (first_max - first) / 1e3 : 0;
  *cpu_us = (window.cpu_last - window.cpu_first) * 1e6 /
      ((gdouble) N_TOPICS * n_records);
  return valid ? (gdouble) N_TOPICS * n_records / ((last - first) / 1e6) : 0;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* Of a sorted array. */
static gdouble
median (const gdouble * v, guint n)
{
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
bench_consume (guint n_records, guint rounds)
{
  gdouble *ratios = g_new0 (gdouble, rounds);
  gdouble *cpu_ratios = g_new0 (gdouble, rounds);
  gdouble sum_a = 0, sum_b = 0, spread, cpu;
  guint round, valid = 0;

  /* A first run pays for the process's warm-up (page faults of the
   * buffers, librdkafka's first start): not counted. */
  consume_run (FALSE, n_records, 1000, &spread, &cpu);
  g_print ("| round | first | A: group of 8 (rec/s) | A: first records "
      "within (ms) | A: CPU (us/rec) | B: 8 assign (rec/s) | B: first "
      "records within (ms) | B: CPU (us/rec) | A/B rate | B/A CPU | load "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (round = 0; round < rounds; round++) {
    gchar *load = rg_bench_load_average ();
    /* Alternate which goes first, so drift in the machine's load does not
     * favour one side. */
    gboolean a_first = round % 2 == 0;
    gdouble a, b, spread_a, spread_b, cpu_a, cpu_b;

    if (a_first) {
      a = consume_run (TRUE, n_records, round, &spread_a, &cpu_a);
      b = consume_run (FALSE, n_records, round, &spread_b, &cpu_b);
    } else {
      b = consume_run (FALSE, n_records, round, &spread_b, &cpu_b);
      a = consume_run (TRUE, n_records, round, &spread_a, &cpu_a);
    }
    if (a > 0 && b > 0) {
      sum_a += a;
      sum_b += b;
      cpu_ratios[valid] = cpu_b / cpu_a;
      ratios[valid++] = a / b;
      g_print ("| %u | %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.3f "
          "| %.3f | %s |\n", round, a_first ? "A" : "B", a, spread_a, cpu_a,
          b, spread_b, cpu_b, a / b, cpu_b / cpu_a, load);
    } else {
      g_print ("| %u | %s | invalid run (see stderr) | | | | | | | | %s |\n",
          round, a_first ? "A" : "B", load);
    }
    g_free (load);
  }
  if (valid > 0) {
    qsort (ratios, valid, sizeof (gdouble), compare_doubles);
    qsort (cpu_ratios, valid, sizeof (gdouble), compare_doubles);
    g_print ("| mean of rates | | %.0f | | | %.0f | | | %.3f | | |\n"
        "| median | | | | | | | | %.3f | %.3f | |\n"
        "| lowest, highest | | | | | | | | %.3f, %.3f | %.3f, %.3f | |\n",
        sum_a / valid, sum_b / valid, sum_a / sum_b,
        median (ratios, valid), median (cpu_ratios, valid), ratios[0],
        ratios[valid - 1], cpu_ratios[0], cpu_ratios[valid - 1]);
  }
  g_free (ratios);
  g_free (cpu_ratios);
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
  guint connections = 16, seconds = 3, records = 100000, rounds = 3;
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
