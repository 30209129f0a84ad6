/* gst-rg
 * Copyright (C) 2026 gst-rg authors
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

/* Ingest topics of the embedded broker (docs/protocol.md) under
 * concurrency: two producer threads, each on its own connection, produce
 * record batches into one ingest topic while the test thread fetches them
 * with long polls and a third thread reads the broker's statistics and
 * client list. Every record must arrive exactly once, at dense offsets, in
 * each producer's order, byte for byte, and each acknowledged batch at the
 * base offset its Produce response named. Runs under ThreadSanitizer
 * (suite 'tsan'): the test threads are pthreads and share state only
 * through C11 atomics and thread creation and joining, which TSan sees.
 * The producer threads do not allocate through GLib's slice allocator
 * (GByteArray, GBytes), whose GMutex-protected caches TSan cannot see: the
 * requests are built before the threads start and the responses are read
 * into g_malloc'ed memory.
 *
 * Requests are written byte by byte here, as in broker.c, so the broker's
 * codec does not only talk to itself. Record i of producer p: key = p and
 * i (4 bytes big-endian each), value = value_size (p, i) bytes of
 * value_byte (p, i, j). */

/* memmem() */
#define _GNU_SOURCE

#include <gst/check/gstcheck.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "record/rgbatch.h"
#include "broker/rgbroker.h"
#include "broker/rgbrokerhooks.h"
#include "broker/rgbrokertopic.h"
#include "kafkawire.h"

#define TOPIC "ingest-tsan"
#define PRODUCERS 2
#define BATCHES 300
#define MAX_RECORDS_PER_BATCH 4
/* Every ACKS0_EVERY-th batch is produced with acks = 0: stored, not
 * answered. */
#define ACKS0_EVERY 10

/* ---- Records ---- */

static guint
batch_records (guint producer, guint batch)
{
  return 1 + (batch + producer) % MAX_RECORDS_PER_BATCH;
}

/* Values are this many times larger in the tests of large batches. */
static guint value_scale = 1;

static gsize
value_size (guint producer, guint seq)
{
  return 1 + (producer * 131 + seq * 37) % 700 * value_scale;
}

static guint8
value_byte (guint producer, guint seq, gsize j)
{
  return (guint8) (producer * 101 + seq * 7 + j);
}

static guint
records_per_producer (guint producer)
{
  guint b, n = 0;

  for (b = 0; b < BATCHES; b++)
    n += batch_records (producer, b);
  return n;
}

/* ---- Requests (kafkawire.h writes the framing) ---- */

/* Produce v3 of one batch: records @first .. @first + @n - 1 of
 * @producer. */
static GByteArray *
produce_request (gint32 cid, guint producer, guint first, guint n, gint16 acks)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  RgRecord records[MAX_RECORDS_PER_BATCH];
  guint8 keys[MAX_RECORDS_PER_BATCH][8];
  guint8 *values[MAX_RECORDS_PER_BATCH];
  GByteArray *batch;
  GError *error = NULL;
  guint i;
  gsize j;

  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    guint seq = first + i;

    GST_WRITE_UINT32_BE (keys[i], producer);
    GST_WRITE_UINT32_BE (keys[i] + 4, seq);
    values[i] = g_malloc (value_size (producer, seq));
    for (j = 0; j < value_size (producer, seq); j++)
      values[i][j] = value_byte (producer, seq, j);
    records[i].timestamp = 1000 + seq;
    records[i].key = keys[i];
    records[i].key_len = 8;
    records[i].value = values[i];
    records[i].value_len = value_size (producer, seq);
  }
  batch = rg_batch_encode (0, records, n, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  for (i = 0; i < n; i++)
    g_free (values[i]);
  kw_putstr (b, NULL);             /* transactional id */
  kw_put16 (b, acks);
  kw_put32 (b, 10000);             /* timeout */
  kw_put32 (b, 1);
  kw_putstr (b, TOPIC);
  kw_put32 (b, 1);
  kw_put32 (b, 0);                 /* partition */
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  return kw_request_finish (b);
}

static GByteArray *
fetch_request_wait (gint32 cid, gint64 offset, gint32 max_wait_ms)
{
  GByteArray *b = kw_request_new (1, 4, cid);

  kw_put32 (b, -1);                /* replica */
  kw_put32 (b, max_wait_ms);
  kw_put32 (b, 1);                 /* min bytes */
  kw_put32 (b, 1024 * 1024);       /* max bytes */
  g_byte_array_append (b, (const guint8 *) "\0", 1);    /* isolation */
  kw_put32 (b, 1);
  kw_putstr (b, TOPIC);
  kw_put32 (b, 1);
  kw_put32 (b, 0);                 /* partition */
  kw_put64 (b, offset);
  kw_put32 (b, 64 * 1024);         /* partition max bytes */
  return kw_request_finish (b);
}

/* A Fetch from @offset with a long poll of 200 ms. */
static GByteArray *
fetch_request (gint32 cid, gint64 offset)
{
  return fetch_request_wait (cid, offset, 200);
}

/* ---- Responses ---- */

/* One response frame, its correlation id checked: a KwReader over its body,
 * which the caller frees with g_free (reader.start). */
typedef struct
{
  guint8 *start;
  KwReader r;
} Response;

static void
recv_response (int fd, gint32 correlation_id, Response * resp)
{
  gsize size;

  resp->start = kw_recv_frame (fd, correlation_id, &size);
  resp->r.p = resp->start;
  resp->r.end = resp->start + size;
}

/* ---- Producers ---- */

typedef struct
{
  guint id;
  guint port;
  /* Built before the thread starts; freed after it ended. */
  GByteArray *requests[BATCHES];
  gint16 acks[BATCHES];
  /* Per batch: the base offset the broker answered, -1 for acks = 0. */
  gint64 base_offsets[BATCHES];
} Producer;

/* Alternates acks -1 and 1, with acks 0 every ACKS0_EVERY-th batch. */
static void
producer_init (Producer * p, guint id, guint port)
{
  guint b, seq = 0;

  p->id = id;
  p->port = port;
  for (b = 0; b < BATCHES; b++) {
    p->acks[b] = (b % ACKS0_EVERY == ACKS0_EVERY - 1) ? 0 : (b % 2 ? 1 : -1);
    p->requests[b] = produce_request (b, id, seq, batch_records (id, b),
        p->acks[b]);
    seq += batch_records (id, b);
  }
}

static void
producer_clear (Producer * p)
{
  guint b;

  for (b = 0; b < BATCHES; b++)
    g_byte_array_unref (p->requests[b]);
}

/* The base offset of a Produce v3 response of one partition, error 0. */
static gint64
produce_response_base (KwReader * r)
{
  gint64 base;

  kw_get (r, 4);                   /* correlation id */
  fail_unless_equals_int (kw_get (r, 4), 1);
  kw_skip_str (r);
  fail_unless_equals_int (kw_get (r, 4), 1);
  fail_unless_equals_int (kw_get (r, 4), 0);
  fail_unless_equals_int (kw_get (r, 2), 0);
  base = kw_get (r, 8);
  kw_get (r, 8);                   /* log append time */
  kw_get (r, 4);                   /* throttle */
  fail_unless (r->p == r->end);
  return base;
}

static void *
producer_thread (void *data)
{
  Producer *p = data;
  int fd = kw_connect (p->port, 30);
  Response resp;
  guint b;

  for (b = 0; b < BATCHES; b++) {
    kw_send_all (fd, p->requests[b]->data, p->requests[b]->len);
    p->base_offsets[b] = -1;
    if (p->acks[b] != 0) {
      recv_response (fd, b, &resp);
      p->base_offsets[b] = produce_response_base (&resp.r);
      g_free (resp.start);
    }
  }
  close (fd);
  return NULL;
}

/* ---- Observer ---- */

typedef struct
{
  RgBroker *broker;
  atomic_int stop;
  guint rounds;
} Observer;

/* Reads what the application side of the broker may read while it serves:
 * its statistics and client list. */
static void *
observer_thread (void *data)
{
  Observer *o = data;
  RgBrokerStats stats;
  GPtrArray *clients;

  while (!atomic_load_explicit (&o->stop, memory_order_acquire)) {
    rg_broker_get_stats (o->broker, &stats);
    clients = rg_broker_get_clients (o->broker);
    g_ptr_array_unref (clients);
    o->rounds++;
    g_usleep (1000);
  }
  return NULL;
}

/* ---- Consumer ---- */

typedef struct
{
  gint64 next;                  /* next offset to read */
  guint expect[PRODUCERS];      /* next sequence number per producer */
  /* The offset each record of each producer got. */
  gint64 *offsets[PRODUCERS];
} Consumer;

static void
check_record (Consumer * c, const RgRecordView * view)
{
  guint producer, seq;
  gsize j;

  fail_unless_equals_int64 (view->offset, c->next);
  fail_unless (view->key != NULL && view->key_len == 8);
  producer = GST_READ_UINT32_BE (view->key);
  seq = GST_READ_UINT32_BE (view->key + 4);
  fail_unless (producer < PRODUCERS, "unknown producer %u", producer);
  fail_unless_equals_int (seq, c->expect[producer]);
  fail_unless_equals_uint64 (view->value_len, value_size (producer, seq));
  for (j = 0; j < view->value_len; j++)
    if (view->value[j] != value_byte (producer, seq, j))
      fail ("record %u of producer %u differs at byte %" G_GSIZE_FORMAT,
          seq, producer, j);
  c->offsets[producer][seq] = view->offset;
  c->expect[producer]++;
  c->next++;
}

/* Reads the records of a Fetch v4 response of one partition; records
 * below the fetch offset (whole batches are returned) are skipped.
 * Returns how many were new. */
static guint
consume_fetch (Consumer * c, Response * resp)
{
  const guint8 *rec, *rec_end;
  KwReader r = resp->r;
  guint n = 0;
  gint32 len;

  kw_get (&r, 4);                  /* correlation id */
  kw_get (&r, 4);                  /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  kw_get (&r, 8);                  /* high watermark */
  kw_get (&r, 8);                  /* last stable offset */
  fail_unless (kw_get (&r, 4) <= 0);       /* aborted transactions */
  len = kw_get (&r, 4);
  rec = r.p;
  rec_end = r.p + MAX (len, 0);
  fail_unless (rec_end == r.end, "bytes after the record set");
  while (rec < rec_end) {
    RgBatchReader br;
    RgRecordView view;
    GError *error = NULL;

    fail_unless (rg_batch_reader_init (&br, rec, rec_end - rec, &error),
        "%s", error ? error->message : "?");
    while (rg_batch_reader_next (&br, &view, NULL)) {
      if (view.offset < c->next)
        continue;
      check_record (c, &view);
      n++;
    }
    rec += RG_BATCH_LOG_OVERHEAD + rg_batch_reader_get_info (&br)->batch_length;
  }
  return n;
}

/* Fetches until every record of every producer arrived. The time limit
 * only stops a broken broker from hanging the test; nothing is asserted
 * on time. */
static void
consume_all (Consumer * c, guint port, guint total)
{
  gint64 give_up = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  int fd = kw_connect (port, 30);
  gint32 cid = 0;
  Response resp;

  while (c->next < total) {
    fail_unless (g_get_monotonic_time () < give_up,
        "only %" G_GINT64_FORMAT " of %u records arrived", c->next, total);
    kw_send_request (fd, fetch_request (++cid, c->next));
    recv_response (fd, cid, &resp);
    consume_fetch (c, &resp);
    g_free (resp.start);
  }
  /* Nothing more than was produced. */
  kw_send_request (fd, fetch_request (++cid, c->next));
  recv_response (fd, cid, &resp);
  fail_unless_equals_int (consume_fetch (c, &resp), 0);
  g_free (resp.start);
  close (fd);
}

GST_START_TEST (test_two_producers_one_consumer)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;
  Producer producers[PRODUCERS];
  pthread_t threads[PRODUCERS], observer_tid;
  Observer observer = { 0, };
  Consumer consumer = { 0, };
  guint p, b, seq, total = 0;
  GByteArray *metadata;
  Response resp;
  int fd;

  rg_broker_config_init (&config);
  /* Room for every batch: nothing is evicted while the consumer reads. */
  config.ingest_batches = PRODUCERS * BATCHES;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");

  /* The topic exists before anyone produces (Metadata creates it), so the
   * consumer's first fetches find it. */
  fd = kw_connect (rg_broker_get_port (broker), 30);
  metadata = kw_request_new (3, 1, 1);
  kw_put32 (metadata, 1);
  kw_putstr (metadata, TOPIC);
  kw_send_request (fd, kw_request_finish (metadata));
  recv_response (fd, 1, &resp);
  g_free (resp.start);
  close (fd);

  observer.broker = broker;
  fail_unless (pthread_create (&observer_tid, NULL, observer_thread,
          &observer) == 0);
  for (p = 0; p < PRODUCERS; p++)
    producer_init (&producers[p], p, rg_broker_get_port (broker));
  for (p = 0; p < PRODUCERS; p++) {
    consumer.offsets[p] = g_new (gint64, records_per_producer (p));
    total += records_per_producer (p);
    fail_unless (pthread_create (&threads[p], NULL, producer_thread,
            &producers[p]) == 0);
  }
  consume_all (&consumer, rg_broker_get_port (broker), total);
  for (p = 0; p < PRODUCERS; p++)
    fail_unless (pthread_join (threads[p], NULL) == 0);
  atomic_store_explicit (&observer.stop, 1, memory_order_release);
  fail_unless (pthread_join (observer_tid, NULL) == 0);
  fail_unless (observer.rounds > 0);

  /* Each acknowledged batch starts at the offset its response named, and
   * its records are consecutive (a batch is stored whole). */
  for (p = 0; p < PRODUCERS; p++) {
    fail_unless_equals_int (consumer.expect[p], records_per_producer (p));
    for (b = 0, seq = 0; b < BATCHES; seq += batch_records (p, b), b++) {
      guint i;

      if (producers[p].base_offsets[b] >= 0)
        fail_unless_equals_int64 (consumer.offsets[p][seq],
            producers[p].base_offsets[b]);
      for (i = 1; i < batch_records (p, b); i++)
        fail_unless_equals_int64 (consumer.offsets[p][seq + i],
            consumer.offsets[p][seq] + i);
    }
    g_free (consumer.offsets[p]);
    producer_clear (&producers[p]);
  }
  rg_broker_release (broker);
}

GST_END_TEST;

/* Every PIPELINE_API_EVERY-th request of the pipelined test is an
 * ApiVersions request between the Produces. */
#define PIPELINE_API_EVERY 7
#define PIPELINE_API_CID 100000

/* ApiVersions v0 response: correlation id, error 0, some api versions. */
static void
check_api_versions_response (int fd, gint32 cid)
{
  Response resp;

  recv_response (fd, cid, &resp);
  kw_get (&resp.r, 4);             /* correlation id */
  fail_unless_equals_int (kw_get (&resp.r, 2), 0);
  fail_unless (kw_get (&resp.r, 4) > 0);
  g_free (resp.start);
}

/* One client writes all its requests at once, without waiting for any
 * answer: BATCHES Produces of one producer (acks -1, 1 and 0 mixed) with
 * an ApiVersions request every PIPELINE_API_EVERY-th. The broker reads
 * many requests per read and answers a turn's requests together, so this
 * checks what that must keep: the answers come in request order (the
 * correlation ids), acks = 0 Produces get none, every acknowledged batch
 * got the base offset that follows the batches sent before it on the
 * connection, and every record is stored once, in order, byte for byte.
 * The requests (about 300 KB) arrive faster than they are handled, so
 * the input buffer grows while requests straddle its reads. */
GST_START_TEST (test_pipelined_produces_in_order)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;
  Producer producer;
  Consumer consumer = { 0, };
  GByteArray *all = g_byte_array_new ();
  Response resp;
  guint b;
  gint64 base = 0;
  int fd;

  rg_broker_config_init (&config);
  config.ingest_batches = BATCHES;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");

  producer_init (&producer, 0, rg_broker_get_port (broker));
  for (b = 0; b < BATCHES; b++) {
    g_byte_array_append (all, producer.requests[b]->data,
        producer.requests[b]->len);
    if (b % PIPELINE_API_EVERY == 0) {
      GByteArray *api = kw_request_finish (kw_request_new (18, 0,
              PIPELINE_API_CID + b));

      g_byte_array_append (all, api->data, api->len);
      g_byte_array_unref (api);
    }
  }
  fd = kw_connect (rg_broker_get_port (broker), 30);
  kw_send_all (fd, all->data, all->len);

  for (b = 0; b < BATCHES; b++) {
    if (producer.acks[b] != 0) {
      recv_response (fd, b, &resp);
      fail_unless_equals_int64 (produce_response_base (&resp.r), base);
      g_free (resp.start);
    }
    if (b % PIPELINE_API_EVERY == 0)
      check_api_versions_response (fd, PIPELINE_API_CID + b);
    base += batch_records (0, b);
  }
  close (fd);

  consumer.offsets[0] = g_new (gint64, records_per_producer (0));
  consume_all (&consumer, rg_broker_get_port (broker),
      records_per_producer (0));
  fail_unless_equals_int (consumer.expect[0], records_per_producer (0));
  for (b = 0, base = 0; b < BATCHES; base += batch_records (0, b), b++)
    fail_unless_equals_int64 (consumer.offsets[0][base], base);
  g_free (consumer.offsets[0]);
  producer_clear (&producer);
  g_byte_array_unref (all);
  rg_broker_release (broker);
}

GST_END_TEST;


/* Creates TOPIC with a Metadata request, so that fetches find it. */
static void
create_topic (guint port)
{
  GByteArray *metadata = kw_request_new (3, 1, 1);
  Response resp;
  int fd = kw_connect (port, 30);

  kw_put32 (metadata, 1);
  kw_putstr (metadata, TOPIC);
  kw_send_request (fd, kw_request_finish (metadata));
  recv_response (fd, 1, &resp);
  g_free (resp.start);
  close (fd);
}

/* The record batch inside a Produce request of produce_request(): it
 * follows the topic's name, the partition count, the partition and the
 * records' length. */
static const guint8 *
request_batch (GByteArray * request, gsize * len)
{
  const guint8 *name = memmem (request->data, request->len, TOPIC,
      strlen (TOPIC));

  fail_unless (name != NULL);
  name += strlen (TOPIC) + 4 + 4;
  *len = GST_READ_UINT32_BE (name);
  return name + 4;
}

/* ---- Zero copy: a Fetch sends a batch from where its Produce was read ---- */

#define MAX_READS 256

/* What the hooks saw, under hook_lock (the loop thread writes, the test
 * thread reads). */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static struct
{
  const guint8 *buf;
  gsize len;
} reads[MAX_READS];
static guint n_reads;
/* The batch the send hook looks for (its bytes from 8 on: bytes 0-7 are
 * the offset the broker gives it), and where it was sent from. */
static const guint8 *watched_batch;
static gsize watched_len;
static const guint8 *sent_from;

static ssize_t
recording_recv (int fd, void *buf, size_t len)
{
  ssize_t n = rg_broker_sys_recv (fd, buf, len);

  pthread_mutex_lock (&hook_lock);
  if (n > 0 && n_reads < MAX_READS) {
    reads[n_reads].buf = buf;
    reads[n_reads].len = n;
    n_reads++;
  }
  pthread_mutex_unlock (&hook_lock);
  return n;
}

static ssize_t
watching_send_iov (int fd, const struct iovec *iov, int iovcnt)
{
  int i;

  pthread_mutex_lock (&hook_lock);
  for (i = 0; i < iovcnt && watched_batch; i++)
    if (iov[i].iov_len == watched_len && memcmp ((guint8 *) iov[i].iov_base
            + 8, watched_batch + 8, watched_len - 8) == 0)
      sent_from = iov[i].iov_base;
  pthread_mutex_unlock (&hook_lock);
  return rg_broker_sys_send_iov (fd, iov, iovcnt);
}

/* Whether @len bytes at @p lie inside what one recv() read. */
static gboolean
inside_a_read (const guint8 * p, gsize len)
{
  gboolean found = FALSE;
  guint i;

  pthread_mutex_lock (&hook_lock);
  for (i = 0; i < n_reads && !found; i++)
    found = p >= reads[i].buf && p + len <= reads[i].buf + reads[i].len;
  pthread_mutex_unlock (&hook_lock);
  return found;
}

/* Issue 12's "zero-copy means zero" on the ingest path: a produced batch
 * is stored where the connection read it, and a Fetch hands the socket
 * that memory. The hooks see the buffers the broker reads into and the
 * segments it sends; the batch (recognised by its bytes) must go out from
 * inside one of the reads, not from a copy. Both connections stay open
 * until the end, so no read buffer is freed and reused by a copy meanwhile
 * (a copy cannot lie inside a live buffer). */
GST_START_TEST (test_fetch_sends_batch_from_read_memory)
{
  RgBrokerSysHooks hooks = { watching_send_iov, recording_recv };
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;
  GByteArray *request;
  Consumer consumer = { 0, };
  const guint8 *batch, *from;
  Response resp;
  int producer_fd, consumer_fd;
  gsize len;

  rg_broker_set_sys_hooks (&hooks);
  rg_broker_config_init (&config);
  config.ingest_batches = 8;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  create_topic (rg_broker_get_port (broker));

  /* Four records of producer 0, about 300 bytes of batch. */
  request = produce_request (1, 0, 0, 4, 1);
  batch = request_batch (request, &len);
  pthread_mutex_lock (&hook_lock);
  watched_batch = batch;
  watched_len = len;
  pthread_mutex_unlock (&hook_lock);

  producer_fd = kw_connect (rg_broker_get_port (broker), 30);
  kw_send_all (producer_fd, request->data, request->len);
  recv_response (producer_fd, 1, &resp);
  fail_unless_equals_int64 (produce_response_base (&resp.r), 0);
  g_free (resp.start);

  consumer_fd = kw_connect (rg_broker_get_port (broker), 30);
  consumer.offsets[0] = g_new (gint64, 4);
  kw_send_request (consumer_fd, fetch_request (2, 0));
  recv_response (consumer_fd, 2, &resp);
  fail_unless_equals_int (consume_fetch (&consumer, &resp), 4);
  g_free (resp.start);

  pthread_mutex_lock (&hook_lock);
  from = sent_from;
  watched_batch = NULL;
  pthread_mutex_unlock (&hook_lock);
  fail_unless (from != NULL, "the batch was not sent as one segment");
  fail_unless (inside_a_read (from, len), "the batch was sent from a copy "
      "(%p), not from the memory its Produce was read into", from);

  close (producer_fd);
  close (consumer_fd);
  rg_broker_release (broker);
  rg_broker_set_sys_hooks (NULL);
  g_free (consumer.offsets[0]);
  g_byte_array_unref (request);
}

GST_END_TEST;

/* ---- Pipelined produce and fetch on one connection ---- */

#define RING_BATCHES 16
#define FETCH_CID 200000

typedef struct
{
  int fd;
  GByteArray *all;
} Writer;

static void *
writer_thread (void *data)
{
  Writer *w = data;

  kw_send_all (w->fd, w->all->data, w->all->len);
  return NULL;
}

/* Reads the Fetch answer to @cid, which must hold exactly batch @b of
 * producer 0 (at offset @base), byte for byte. */
static void
check_fetch_of_batch (int fd, gint32 cid, guint b, gint64 base)
{
  Consumer c = { 0, };
  Response resp;

  c.next = base;
  c.expect[0] = base;
  c.offsets[0] = g_new (gint64, base + batch_records (0, b));
  recv_response (fd, cid, &resp);
  fail_unless_equals_int (consume_fetch (&c, &resp), batch_records (0, b));
  g_free (resp.start);
  g_free (c.offsets[0]);
}

/* Produces and Fetches on one connection, written in one go by another
 * thread while this one reads the answers: after every Produce, a Fetch
 * of the batch it stored. Batches of up to 45 KB (values 16 times the
 * other tests') arrive faster than they are handled, so reads split them
 * across chunks, chunks grow, batches small against their chunk are
 * copied and the others kept in the chunk, while the fetches hold
 * references to them and the ring (RING_BATCHES) drops older ones and
 * gives their chunks back for later reads. Every fetched batch must be
 * the one produced, byte for byte, and so must the ring's last batches
 * read once all is done. Run under ASan (a chunk reused while a batch
 * lies in it) and TSan (suite 'tsan'). */
static void
pipelined_produce_fetch_interleaved (guint busy_poll_us)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;
  Producer producer;
  Writer writer;
  pthread_t writer_tid;
  Consumer consumer = { 0, };
  Response resp;
  gint64 base = 0, first_kept = 0;
  guint b, port;

  value_scale = 16;
  rg_broker_config_init (&config);
  config.ingest_batches = RING_BATCHES;
  config.busy_poll_us = busy_poll_us;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  port = rg_broker_get_port (broker);
  create_topic (port);

  producer_init (&producer, 0, port);
  writer.all = g_byte_array_new ();
  for (b = 0; b < BATCHES; b++) {
    GByteArray *fetch = fetch_request_wait (FETCH_CID + b, base, 0);

    g_byte_array_append (writer.all, producer.requests[b]->data,
        producer.requests[b]->len);
    g_byte_array_append (writer.all, fetch->data, fetch->len);
    g_byte_array_unref (fetch);
    base += batch_records (0, b);
  }
  writer.fd = kw_connect (port, 30);
  fail_unless (pthread_create (&writer_tid, NULL, writer_thread,
          &writer) == 0);

  for (b = 0, base = 0; b < BATCHES; base += batch_records (0, b), b++) {
    if (producer.acks[b] != 0) {
      recv_response (writer.fd, b, &resp);
      fail_unless_equals_int64 (produce_response_base (&resp.r), base);
      g_free (resp.start);
    }
    check_fetch_of_batch (writer.fd, FETCH_CID + b, b, base);
    if (b == BATCHES - RING_BATCHES)
      first_kept = base;
  }
  fail_unless (pthread_join (writer_tid, NULL) == 0);
  close (writer.fd);

  /* What the ring kept, read again at the end. */
  consumer.next = first_kept;
  consumer.expect[0] = first_kept;
  consumer.offsets[0] = g_new (gint64, records_per_producer (0));
  consume_all (&consumer, port, records_per_producer (0));
  fail_unless_equals_int (consumer.expect[0], records_per_producer (0));
  g_free (consumer.offsets[0]);
  producer_clear (&producer);
  g_byte_array_unref (writer.all);
  rg_broker_release (broker);
  value_scale = 1;
}

GST_START_TEST (test_pipelined_produce_fetch_interleaved)
{
  pipelined_produce_fetch_interleaved (0);
}

GST_END_TEST;

/* The same exchange with the loop busy polling (rgloop.h): the waits that
 * polling answers deliver the same requests, in order, as the ones that
 * slept. */
GST_START_TEST (test_pipelined_produce_fetch_busy_poll)
{
  pipelined_produce_fetch_interleaved (200);
}

GST_END_TEST;

/* ---- What a stored batch pins ---- */

static gint64
no_turn (gpointer user_data, gint64 now, gboolean woken)
{
  return G_MAXINT64;
}

/* A batch of one record of @value_len bytes, encoded into @chunk at @pos;
 * returns its size. */
static gsize
batch_into_chunk (RgBrokerChunk * chunk, gsize pos, gsize value_len)
{
  guint8 *value = g_malloc0 (value_len);
  RgRecord record = { 0, };
  GByteArray *batch;

  record.timestamp = 1000;
  record.value = value;
  record.value_len = value_len;
  batch = rg_batch_encode (0, &record, 1, NULL);
  fail_unless (batch != NULL);
  fail_unless (pos + batch->len <= rg_broker_chunk_get_size (chunk));
  memcpy (rg_broker_chunk_get_data (chunk) + pos, batch->data, batch->len);
  value_len = batch->len;
  g_byte_array_unref (batch);
  g_free (value);
  return value_len;
}

/* The batch a collect at @offset returns: one reference, its bytes. */
static const guint8 *
collected_batch (RgBrokerTopic * topic, gint64 offset)
{
  GArray *refs = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
  RgBrokerCollect result;
  const guint8 *data;

  rg_broker_topic_collect (topic, offset, G_MAXINT64, 0, 1, TRUE, refs,
      &result);
  fail_unless_equals_int (result.error_code, 0);
  fail_unless_equals_int (refs->len, 1);
  data = g_array_index (refs, RgKafkaRecordsRef, 0).data;
  rg_broker_records_refs_clear (refs);
  g_array_unref (refs);
  return data;
}

/* The pinning bound (rgbrokerchunk.h): a batch under
 * 1/RG_BROKER_CHUNK_PIN_RATIO of its 256 KiB chunk is copied and leaves
 * the chunk free for reuse; a larger one is kept in the chunk, its
 * baseOffset written there, and the chunk goes back to its pool only when
 * the topic drops the batch. */
GST_START_TEST (test_small_batch_copied_large_batch_kept)
{
  RgLoop *loop = rg_loop_new (no_turn, NULL);
  RgBrokerTopic *topic = rg_broker_topic_new_ingest (rg_loop_get_waker
      (loop), "pins", 1);
  RgBrokerChunkPool *pool = rg_broker_chunk_pool_new ();
  RgBrokerChunk *chunk = rg_broker_chunk_pool_take (pool, 256 * 1024);
  RgBrokerChunk *other;
  guint8 *bytes = rg_broker_chunk_get_data (chunk);
  gsize small, large, big_pos = 4096;
  guint n_free, n_out;
  gint64 base;
  guint64 ack;

  fail_unless_equals_int (rg_broker_chunk_get_size (chunk), 256 * 1024);
  small = batch_into_chunk (chunk, 0, 100);
  fail_unless_equals_int (rg_broker_topic_produce_input (topic, chunk, bytes,
          small, FALSE, &base, &ack), 0);
  fail_unless_equals_int64 (base, 0);
  /* Copied: the chunk is not held, and its bytes are untouched. */
  fail_unless (!rg_broker_chunk_is_shared (chunk));
  fail_unless (!rg_broker_chunk_contains (chunk, collected_batch (topic, 0),
          small));

  large = batch_into_chunk (chunk, big_pos, 16 * 1024);
  fail_unless (large * RG_BROKER_CHUNK_PIN_RATIO >= 256 * 1024);
  fail_unless_equals_int (rg_broker_topic_produce_input (topic, chunk,
          bytes + big_pos, large, FALSE, &base, &ack), 0);
  fail_unless_equals_int64 (base, 1);
  /* Kept where it lies, with the offset it got written there. */
  fail_unless (rg_broker_chunk_is_shared (chunk));
  fail_unless (collected_batch (topic, 1) == bytes + big_pos);
  fail_unless_equals_int64 (GST_READ_UINT64_BE (bytes + big_pos), 1);

  /* The reader lets go; the topic holds the chunk until it drops the
   * batch (its ring keeps one). */
  rg_broker_chunk_unref (chunk);
  rg_broker_chunk_pool_get_counts (pool, &n_free, &n_out, NULL);
  fail_unless_equals_int (n_out, 1);
  fail_unless_equals_int (n_free, 0);
  other = rg_broker_chunk_pool_take (pool, 4096);
  rg_broker_topic_unref (topic);
  rg_broker_chunk_pool_get_counts (pool, &n_free, &n_out, NULL);
  /* The 256 KiB chunk is back; the 4 KiB one taken above is still out. */
  fail_unless_equals_int (n_out, 1);
  fail_unless_equals_int (n_free, 1);
  /* The pool outlives its owner until its last chunk is back (ASan sees
   * the order). */
  rg_broker_chunk_pool_free (pool);
  rg_broker_chunk_unref (other);
  rg_loop_free (loop);
}

GST_END_TEST;

/* ---- Chunks let go on another thread ---- */

#define CROSS_BATCHES 3000
#define CROSS_SIZES 64

typedef struct
{
  RgBrokerTopic *topic;
  RgBrokerChunkPool *pool;
  /* Encoded before the thread starts (no GLib slices in it, see the top
   * of the file). */
  GByteArray *batches[CROSS_SIZES];
  /* Rounds in which the test thread collected batches: the producer waits
   * for one halfway, so that the two overlap however the threads are
   * scheduled. */
  atomic_int rounds;
  atomic_int done;
} CrossState;

/* The loop's part: each batch read into a chunk from the pool (as a
 * connection would), stored, and the reader's reference dropped at once,
 * so the stored batch holds the chunk alone. The ring keeps 4 batches:
 * chunks come back while the other thread may still hold them. */
static void *
cross_producer (void *data)
{
  CrossState *st = data;
  guint i;

  for (i = 0; i < CROSS_BATCHES; i++) {
    RgBrokerChunk *chunk = rg_broker_chunk_pool_take (st->pool, 8192);
    GByteArray *batch = st->batches[i % CROSS_SIZES];
    gsize len = batch->len;
    gint64 base;
    guint64 ack;

    if (i == CROSS_BATCHES / 2)
      while (atomic_load_explicit (&st->rounds, memory_order_acquire) == 0)
        g_usleep (100);
    memcpy (rg_broker_chunk_get_data (chunk), batch->data, len);
    fail_unless_equals_int (rg_broker_topic_produce_input (st->topic, chunk,
            rg_broker_chunk_get_data (chunk), len, FALSE, &base, &ack), 0);
    fail_unless_equals_int64 (base, i);
    rg_broker_chunk_unref (chunk);
  }
  atomic_store_explicit (&st->done, 1, memory_order_release);
  return NULL;
}

/* A stored batch's chunk goes back to the pool from whichever thread
 * drops the last reference: here the test thread, collecting the latest
 * batches as a Fetch does and releasing them, while another thread reuses
 * chunks from the same pool for new batches. Every batch collected must
 * be whole (its CRC-32C checks) and carry its own offset; ThreadSanitizer
 * (suite 'tsan') checks that a chunk's reuse is ordered after every read
 * of its old bytes. */
GST_START_TEST (test_chunks_released_on_another_thread)
{
  RgLoop *loop = rg_loop_new (no_turn, NULL);
  CrossState st;
  pthread_t tid;
  guint collected = 0;
  guint n_out, i;

  st.topic = rg_broker_topic_new_ingest (rg_loop_get_waker (loop), "cross",
      4);
  st.pool = rg_broker_chunk_pool_new ();
  for (i = 0; i < CROSS_SIZES; i++) {
    RgRecord record = { 0, };
    guint8 value[1000];

    memset (value, i, sizeof (value));
    record.timestamp = 1000;
    record.value = value;
    record.value_len = 300 + i * 11;
    st.batches[i] = rg_batch_encode (0, &record, 1, NULL);
  }
  atomic_init (&st.done, 0);
  atomic_init (&st.rounds, 0);
  fail_unless (pthread_create (&tid, NULL, cross_producer, &st) == 0);
  while (!atomic_load_explicit (&st.done, memory_order_acquire)) {
    GArray *refs = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
    guint64 hw = rg_broker_topic_get_high_watermark (st.topic);
    RgBrokerCollect result;

    if (hw == 0) {
      g_array_unref (refs);
      continue;
    }
    rg_broker_topic_collect (st.topic, hw - 1, G_MAXINT64, 0, 1024 * 1024,
        TRUE, refs, &result);
    for (i = 0; i < refs->len; i++) {
      RgKafkaRecordsRef *ref = &g_array_index (refs, RgKafkaRecordsRef, i);
      RgBatchInfo info;

      fail_unless_equals_int (rg_batch_validate (ref->data, ref->length,
              &info, NULL), ref->length);
      fail_unless (GST_READ_UINT64_BE (ref->data) < CROSS_BATCHES);
      collected++;
    }
    if (refs->len > 0)
      atomic_fetch_add_explicit (&st.rounds, 1, memory_order_release);
    rg_broker_records_refs_clear (refs);
    g_array_unref (refs);
  }
  fail_unless (pthread_join (tid, NULL) == 0);
  fail_unless (collected > 0);
  rg_broker_topic_unref (st.topic);
  rg_broker_chunk_pool_get_counts (st.pool, NULL, &n_out, NULL);
  fail_unless_equals_int (n_out, 0);
  rg_broker_chunk_pool_free (st.pool);
  for (i = 0; i < CROSS_SIZES; i++)
    g_byte_array_unref (st.batches[i]);
  rg_loop_free (loop);
}

GST_END_TEST;

static Suite *
brokeringest_suite (void)
{
  Suite *s = suite_create ("brokeringest");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_two_producers_one_consumer);
  tcase_add_test (tc, test_pipelined_produces_in_order);
  tcase_add_test (tc, test_fetch_sends_batch_from_read_memory);
  tcase_add_test (tc, test_pipelined_produce_fetch_interleaved);
  tcase_add_test (tc, test_pipelined_produce_fetch_busy_poll);
  tcase_add_test (tc, test_small_batch_copied_large_batch_kept);
  tcase_add_test (tc, test_chunks_released_on_another_thread);
  return s;
}

GST_CHECK_MAIN (brokeringest);
