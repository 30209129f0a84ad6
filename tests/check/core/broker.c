/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Tests of the embedded broker (gst/broker/rgbroker.c) over real sockets on
 * 127.0.0.1. Requests are written byte by byte here (not with rgkafka, so
 * the codec does not only talk to itself); kcat and kafka-python talk to
 * the broker in tests/check/elements/broker_clients.py. Runs under
 * ThreadSanitizer too (suite 'tsan'): the broker synchronises only through
 * pthreads and C11 atomics. */

#include <gst/check/gstcheck.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokerdispatch.h"
#include "broker/rgbrokerhooks.h"
#include "broker/rgbrokerio.h"
#include "broker/rgbrokertopic.h"
#include "journal/rgjournalfiles.h"
#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "kafkawire.h"

#include <glib/gstdio.h>

/* ---- Requests (kafkawire.h writes the framing) ---- */

static GByteArray *
api_versions_request (gint32 correlation_id)
{
  return kw_request_finish (kw_request_new (18, 0, correlation_id));
}

static GByteArray *
fetch_request (gint32 cid, const gchar * topic, gint64 offset,
    gint32 max_wait_ms, gint32 min_bytes, gint32 partition_max_bytes)
{
  GByteArray *b = kw_request_new (1, 4, cid);

  kw_put32 (b, -1);                /* replica */
  kw_put32 (b, max_wait_ms);
  kw_put32 (b, min_bytes);
  kw_put32 (b, 50 * 1024 * 1024);  /* max bytes */
  g_byte_array_append (b, (const guint8 *) "\0", 1);    /* isolation */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);                 /* partition */
  kw_put64 (b, offset);
  kw_put32 (b, partition_max_bytes);
  return kw_request_finish (b);
}

static GByteArray *
list_offsets_request (gint32 cid, const gchar * topic, gint64 timestamp)
{
  GByteArray *b = kw_request_new (2, 1, cid);

  kw_put32 (b, -1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, timestamp);
  return kw_request_finish (b);
}

static GByteArray *
produce_request (gint32 cid, const gchar * topic)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  RgRecord rec = { 0, };
  GByteArray *batch;

  rec.timestamp = 1000;
  rec.value = (const guint8 *) "hello";
  rec.value_len = 5;
  batch = rg_batch_encode (0, &rec, 1, NULL);
  kw_putstr (b, NULL);             /* transactional id */
  kw_put16 (b, 1);                 /* acks */
  kw_put32 (b, 1000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  return kw_request_finish (b);
}

/* ---- Responses ---- */

/* Reads one response frame and checks its correlation id. */
static GBytes *
recv_response (int fd, gint32 correlation_id)
{
  gsize size;
  guint8 *body = kw_recv_frame (fd, correlation_id, &size);

  return g_bytes_new_take (body, size);
}

/* TRUE when the broker closed the connection (recv gives end of stream). */
static gboolean
closed_by_peer (int fd)
{
  guint8 byte;
  ssize_t n = recv (fd, &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* A non-blocking TCP socket bound to 127.0.0.@host (any port): the whole
 * of 127/8 is loopback, so one machine can be many client addresses. */
static int
loopback_socket (guint host)
{
  struct sockaddr_in sin = { 0, };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

  fail_unless (fd >= 0);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (0x7f000000 | host);
  fail_unless (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0,
      "bind 127.0.0.%u: %s", host, g_strerror (errno));
  return fd;
}

/* ---- Helpers on the broker ---- */

static RgBroker *
start_broker (const RgBrokerConfig * config)
{
  GError *error = NULL;
  RgBroker *broker = rg_broker_acquire ("127.0.0.1", 0, config, &error);

  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  fail_unless (rg_broker_get_port (broker) > 0);
  return broker;
}

static GstBuffer *
make_buffer (guint index, gsize size)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = (guint8) (index * 31 + i);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = index * GST_SECOND;
  return buf;
}

static void
append (RgBrokerTopic * topic, guint index, gsize size)
{
  GstBuffer *buf = make_buffer (index, size);
  guint64 offset;

  fail_unless (rg_broker_topic_append (topic, buf, 1000 + index, NULL,
          &offset, NULL));
  fail_unless_equals_uint64 (offset, index);
  gst_buffer_unref (buf);
}

typedef struct
{
  gint16 error;
  gint64 high_watermark;
  gint64 last_stable;
  GPtrArray *values;            /* GBytes per record, in order */
  GArray *offsets;              /* gint64 per record */
  GArray *pts;                  /* guint64 gst.pts per record */
} FetchResult;

static void
fetch_result_clear (FetchResult * f)
{
  g_ptr_array_unref (f->values);
  g_array_unref (f->offsets);
  g_array_unref (f->pts);
}

/* Parses a Fetch v4 response of one topic and partition; the records are
 * decoded with rgbatch (the batches are checked, CRC included). */
static void
parse_fetch (GBytes * resp, FetchResult * f)
{
  gsize size;
  KwReader r;
  gint32 records_len;
  const guint8 *rec, *rec_end;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  memset (f, 0, sizeof (*f));
  f->values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->offsets = g_array_new (FALSE, FALSE, sizeof (gint64));
  f->pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  kw_get (&r, 4);                  /* correlation id */
  kw_get (&r, 4);                  /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  f->error = kw_get (&r, 2);
  f->high_watermark = kw_get (&r, 8);
  f->last_stable = kw_get (&r, 8);
  fail_unless (kw_get (&r, 4) <= 0);       /* aborted transactions */
  records_len = kw_get (&r, 4);
  rec = r.p;
  rec_end = r.p + MAX (records_len, 0);
  fail_unless (rec_end == r.end, "bytes after the record set");
  while (rec < rec_end) {
    RgBatchReader br;
    RgRecordView view;
    RgEnvelopeFields env;

    fail_unless (rg_batch_reader_init (&br, rec, rec_end - rec, NULL));
    while (rg_batch_reader_next (&br, &view, NULL)) {
      g_ptr_array_add (f->values, g_bytes_new (view.value, view.value_len));
      g_array_append_val (f->offsets, view.offset);
      fail_unless (rg_envelope_parse (&view, &env, NULL));
      g_array_append_val (f->pts, env.pts);
    }
    rec += RG_BATCH_LOG_OVERHEAD + rg_batch_reader_get_info (&br)->batch_length;
  }
}

static void
fetch (int fd, gint32 cid, const gchar * topic, gint64 offset,
    gint32 max_wait, gint32 min_bytes, gint32 pmax, FetchResult * f)
{
  GBytes *resp;

  kw_send_request (fd, fetch_request (cid, topic, offset, max_wait, min_bytes,
          pmax));
  resp = recv_response (fd, cid);
  parse_fetch (resp, f);
  g_bytes_unref (resp);
}

static void
check_value (GBytes * value, guint index, gsize size)
{
  GstBuffer *expect = make_buffer (index, size);
  GstMapInfo map;
  gsize len;
  const guint8 *data = g_bytes_get_data (value, &len);

  gst_buffer_map (expect, &map, GST_MAP_READ);
  fail_unless_equals_uint64 (len, size);
  fail_unless (memcmp (data, map.data, size) == 0, "value %u differs",
      index);
  gst_buffer_unmap (expect, &map);
  gst_buffer_unref (expect);
}

/* Waits (bounded, 30 s) until @n fetches are parked; returns how many
 * are. A caller that needs them parked checks the result. */
static guint
wait_parked (RgBroker * broker, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  RgBrokerStats st;

  do {
    g_usleep (1000);
    rg_broker_get_stats (broker, &st);
  } while (st.fetches_waiting < n && g_get_monotonic_time () < deadline);
  return st.fetches_waiting;
}

/* ---- Tests ---- */

/* Large responses due in one turn go out over the send threads and the
 * loop together: eight long polls woken by one append each get every byte
 * of the record, and the broker counts them as sent in parallel. */
GST_START_TEST (test_parallel_sends)
{
  const gsize size = 512 * 1024;
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerTopic *topic;
  RgBrokerStats st;
  int fds[8];
  guint i, round;

  rg_broker_config_init (&config);
  config.send_threads = 2;
  broker = start_broker (&config);
  topic = rg_broker_add_topic (broker, "par", 16, NULL);
  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    fds[i] = kw_connect (rg_broker_get_port (broker), 10);

  for (round = 0; round < 3; round++) {
    for (i = 0; i < G_N_ELEMENTS (fds); i++)
      kw_send_request (fds[i], fetch_request (round * 10 + i, "par", round,
              30000, 1, 4 * 1024 * 1024));
    fail_unless_equals_int (wait_parked (broker, G_N_ELEMENTS (fds)),
        G_N_ELEMENTS (fds));
    append (topic, round, size);
    for (i = 0; i < G_N_ELEMENTS (fds); i++) {
      GBytes *resp = recv_response (fds[i], round * 10 + i);
      FetchResult f;

      parse_fetch (resp, &f);
      fail_unless_equals_int (f.error, 0);
      fail_unless_equals_int (f.values->len, 1);
      fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), round);
      check_value (g_ptr_array_index (f.values, 0), round, size);
      fetch_result_clear (&f);
      g_bytes_unref (resp);
    }
  }
  rg_broker_get_stats (broker, &st);
  fail_unless_equals_uint64 (st.parallel_sends, 3 * G_N_ELEMENTS (fds));

  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_api_versions)
{
  RgBroker *broker = start_broker (NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  GBytes *resp;
  KwReader r;
  gsize size;
  gint32 n, i;
  guint n_rows;
  gboolean fetch4 = FALSE;

  kw_send_request (fd, api_versions_request (42));
  resp = recv_response (fd, 42);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  n = kw_get (&r, 4);
  /* One entry per row of the api table. */
  rg_broker_dispatch_apis (&n_rows);
  fail_unless_equals_int (n, n_rows);
  for (i = 0; i < n; i++) {
    gint16 key = kw_get (&r, 2), min = kw_get (&r, 2), max = kw_get (&r, 2);
    if (key == 1 && min <= 4 && max >= 4)
      fetch4 = TRUE;
  }
  fail_unless (fetch4, "Fetch 4 not advertised");
  g_bytes_unref (resp);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* The api table is the one source of ApiVersions: every row lies within
 * what the codec parses, agrees with it on flexible versions, and the
 * broker advertises exactly the rows, in order, in v0 and flexible v3. */
GST_START_TEST (test_api_table_is_api_versions)
{
  RgBroker *broker = start_broker (NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  const RgBrokerApi *apis;
  guint n_apis, i;
  gint16 version;

  apis = rg_broker_dispatch_apis (&n_apis);
  fail_unless (n_apis > 0);
  for (i = 0; i < n_apis; i++) {
    gint16 flexible = rg_kafka_first_flexible_version (apis[i].api_key);

    fail_unless (apis[i].handler != NULL);
    fail_unless (i == 0 || apis[i - 1].api_key < apis[i].api_key);
    /* A row with a parser of its own (the group apis) is checked by its
     * codec's tests; the others lie within what rgkafka.c parses. */
    if (apis[i].parse != NULL)
      continue;
    fail_unless (rg_kafka_version_supported (apis[i].api_key,
            apis[i].min_version));
    fail_unless (rg_kafka_version_supported (apis[i].api_key,
            apis[i].max_version));
    if (apis[i].first_flexible >= 0) {
      fail_unless_equals_int (apis[i].first_flexible, flexible);
    } else {
      fail_unless (flexible < 0 || flexible > apis[i].max_version);
    }
  }

  for (version = 0; version <= 3; version += 3) {
    GByteArray *req = kw_request_new (18, version, 7 + version);
    GBytes *resp;
    KwReader r;
    gsize size;
    gint64 n;

    if (version == 3) {
      /* Header tag buffer; software name and version; body tag buffer. */
      g_byte_array_append (req, (const guint8 *) "\0\2a\2b\0", 6);
    }
    kw_send_request (fd, kw_request_finish (req));
    resp = recv_response (fd, 7 + version);
    r.p = g_bytes_get_data (resp, &size);
    r.end = r.p + size;
    kw_get (&r, 4);
    fail_unless_equals_int (kw_get (&r, 2), 0);
    /* v3: a compact array, count + 1 in one varint byte. */
    n = version == 3 ? kw_get (&r, 1) - 1 : kw_get (&r, 4);
    fail_unless_equals_int (n, n_apis);
    for (i = 0; i < n_apis; i++) {
      fail_unless_equals_int (kw_get (&r, 2), apis[i].api_key);
      fail_unless_equals_int (kw_get (&r, 2), apis[i].min_version);
      fail_unless_equals_int (kw_get (&r, 2), apis[i].max_version);
      if (version == 3) {
        fail_unless_equals_int (kw_get (&r, 1), 0);
      }
    }
    g_bytes_unref (resp);
  }
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_registry_shares_brokers)
{
  RgBroker *a = start_broker (NULL);
  RgBroker *b, *c;
  GError *error = NULL;
  RgBrokerTopic *t1, *t2;

  b = rg_broker_acquire ("127.0.0.1", rg_broker_get_port (a), NULL, NULL);
  fail_unless (a == b);
  c = start_broker (NULL);
  fail_unless (c != a);
  fail_unless (rg_broker_get_port (c) != rg_broker_get_port (a));

  t1 = rg_broker_add_topic (a, "shared", 4, NULL);
  fail_unless (t1 != NULL);
  t2 = rg_broker_add_topic (b, "shared", 4, &error);
  fail_unless (t2 == NULL);
  fail_unless (g_error_matches (error, RG_BROKER_ERROR,
          RG_BROKER_ERROR_TOPIC_EXISTS));
  g_clear_error (&error);
  fail_unless (rg_broker_add_topic (a, "", 4, &error) == NULL);
  g_clear_error (&error);

  rg_broker_remove_topic (a, t1);
  rg_broker_release (b);
  /* Still running for a's reference. */
  {
    int fd = kw_connect (rg_broker_get_port (a), 10);
    GBytes *resp;

    kw_send_request (fd, api_versions_request (1));
    resp = recv_response (fd, 1);
    g_bytes_unref (resp);
    close (fd);
  }
  rg_broker_release (a);
  rg_broker_release (c);
}

GST_END_TEST;

GST_START_TEST (test_fetch_whole_batches_in_order)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "t", 16, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  FetchResult f;
  guint i;

  for (i = 0; i < 5; i++)
    append (topic, i, 1000 + i);

  /* From the start: every record, values and PTS intact; LSO = HW. */
  fetch (fd, 7, "t", 0, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int64 (f.high_watermark, 5);
  fail_unless_equals_int64 (f.last_stable, 5);
  fail_unless_equals_int (f.values->len, 5);
  for (i = 0; i < 5; i++) {
    check_value (g_ptr_array_index (f.values, i), i, 1000 + i);
    fail_unless_equals_int64 (g_array_index (f.offsets, gint64, i), i);
    fail_unless_equals_uint64 (g_array_index (f.pts, guint64, i),
        i * GST_SECOND);
  }
  fetch_result_clear (&f);

  /* A partition limit smaller than one batch still returns that batch
   * whole (KIP-74), and only it. */
  fetch (fd, 8, "t", 2, 0, 1, 10, &f);
  fail_unless_equals_int (f.values->len, 1);
  check_value (g_ptr_array_index (f.values, 0), 2, 1002);
  fetch_result_clear (&f);

  /* At the high watermark with no wait: empty, no error. */
  fetch (fd, 9, "t", 5, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int (f.values->len, 0);
  fetch_result_clear (&f);

  /* Past it: OFFSET_OUT_OF_RANGE. Unknown topic: 3. */
  fetch (fd, 10, "t", 6, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 1);
  fetch_result_clear (&f);
  fetch (fd, 11, "nope", 0, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 3);
  fetch_result_clear (&f);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_ring_drops_oldest)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "ring", 3, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  RgBrokerTopicStats ts;
  FetchResult f;
  GBytes *resp;
  KwReader r;
  gsize size;
  guint i;

  for (i = 0; i < 5; i++)
    append (topic, i, 100);
  rg_broker_topic_get_stats (topic, &ts);
  fail_unless_equals_uint64 (ts.log_start_offset, 2);
  fail_unless_equals_uint64 (ts.high_watermark, 5);

  fetch (fd, 1, "ring", 1, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 1);
  fetch_result_clear (&f);
  fetch (fd, 2, "ring", 2, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.values->len, 3);
  check_value (g_ptr_array_index (f.values, 0), 2, 100);
  check_value (g_ptr_array_index (f.values, 2), 4, 100);
  fetch_result_clear (&f);

  /* ListOffsets: earliest is 2, latest 5, timestamp 1003 -> offset 3. */
  for (i = 0; i < 3; i++) {
    const gint64 ts_in[] = { -2, -1, 1003 }, expect[] = { 2, 5, 3 };

    kw_send_request (fd, list_offsets_request (20 + i, "ring", ts_in[i]));
    resp = recv_response (fd, 20 + i);
    r.p = g_bytes_get_data (resp, &size);
    r.end = r.p + size;
    kw_get (&r, 4);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    kw_skip_str (&r);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    fail_unless_equals_int (kw_get (&r, 4), 0);
    fail_unless_equals_int (kw_get (&r, 2), 0);
    kw_get (&r, 8);
    fail_unless_equals_int64 (kw_get (&r, 8), expect[i]);
    g_bytes_unref (resp);
  }

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* One GstMemory in 600 buffers (a still image pushed again and again): a
 * memory can be mapped at most 255 times at once, so the records must
 * share one map of it. Every record comes back byte-identical, and once
 * the topic is gone nothing keeps the memory mapped. */
GST_START_TEST (test_one_memory_in_many_buffers)
{
  const guint n = 600;
  const gsize size = 4096;
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "still", n, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  GstBuffer *pattern = make_buffer (7, size);
  GstMemory *mem = gst_buffer_get_memory (pattern, 0);
  GstMapInfo map;
  FetchResult f;
  gint64 next = 0;
  guint i;

  gst_buffer_unref (pattern);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new ();
    guint64 offset;

    gst_buffer_append_memory (buf, gst_memory_ref (mem));
    GST_BUFFER_PTS (buf) = i * GST_SECOND;
    fail_unless (rg_broker_topic_append (topic, buf, 1000 + i, NULL,
            &offset, NULL), "append %u failed", i);
    fail_unless_equals_uint64 (offset, i);
    gst_buffer_unref (buf);
  }

  while (next < n) {
    guint k;

    fetch (fd, (gint32) next, "still", next, 0, 1, 1024 * 1024, &f);
    fail_unless_equals_int (f.error, 0);
    fail_unless (f.values->len > 0);
    for (k = 0; k < f.values->len; k++) {
      fail_unless_equals_int64 (g_array_index (f.offsets, gint64, k),
          next + k);
      fail_unless_equals_uint64 (g_array_index (f.pts, guint64, k),
          (next + k) * GST_SECOND);
      check_value (g_ptr_array_index (f.values, k), 7, size);
    }
    next += f.values->len;
    fetch_result_clear (&f);
  }
  fail_unless_equals_int64 (next, n);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  /* Only the test holds the memory now, and no map is left on it. */
  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  gst_memory_unmap (mem, &map);
  gst_memory_unref (mem);
}

GST_END_TEST;

/* A response of many small records has more segments than one sendmsg()
 * takes (three per record): it goes out in several calls, every byte in
 * order. */
GST_START_TEST (test_response_of_many_segments)
{
  const guint n = 1500;
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "small", n, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  FetchResult f;
  guint i;

  for (i = 0; i < n; i++)
    append (topic, i, 1 + i % 17);

  fetch (fd, 1, "small", 0, 0, 1, 8 * 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int (f.values->len, n);
  for (i = 0; i < n; i++) {
    fail_unless_equals_int64 (g_array_index (f.offsets, gint64, i), i);
    check_value (g_ptr_array_index (f.values, i), i, 1 + i % 17);
  }
  fetch_result_clear (&f);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Produce into a pipeline-owned topic: 29; into an unknown one: 3. */
GST_START_TEST (test_produce_refused)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "owned", 4, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  const gchar *names[] = { "owned", "other" };
  const gint16 expect[] = { RG_BROKER_PRODUCE_REFUSED_ERROR, 3 };
  RgBrokerTopicStats ts;
  guint i;

  for (i = 0; i < 2; i++) {
    GBytes *resp;
    KwReader r;
    gsize size;

    kw_send_request (fd, produce_request (30 + i, names[i]));
    resp = recv_response (fd, 30 + i);
    r.p = g_bytes_get_data (resp, &size);
    r.end = r.p + size;
    kw_get (&r, 4);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    kw_skip_str (&r);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    fail_unless_equals_int (kw_get (&r, 4), 0);
    fail_unless_equals_int (kw_get (&r, 2), expect[i]);
    fail_unless_equals_int64 (kw_get (&r, 8), -1);
    g_bytes_unref (resp);
  }
  rg_broker_topic_get_stats (topic, &ts);
  fail_unless_equals_uint64 (ts.high_watermark, 0);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Admission control ---- */

#define N_HOSTILE 1100

/* Sends @req from a new socket bound to 127.0.0.@host and returns the
 * socket once it is connected (blocking again, reads time out). */
static int
connect_from (guint host, guint port)
{
  struct sockaddr_in sin = { 0, };
  struct timeval tv = { 10, 0 };
  struct pollfd pfd;
  int fd = loopback_socket (host);

  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0
      || errno == EINPROGRESS);
  pfd.fd = fd;
  pfd.events = POLLOUT;
  fail_unless (poll (&pfd, 1, 10000) == 1);
  fcntl (fd, F_SETFL, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
  return fd;
}

/* 1,100 idle sockets from one address (more than the old default
 * max-connections of 1,024) take only max_connections_per_address
 * connections; a client from another address is still served. */
GST_START_TEST (test_one_address_cannot_lock_out)
{
  struct rlimit rl;
  RgBroker *broker;
  RgBrokerStats st;
  int hostile[N_HOSTILE], fd, i;
  guint port;
  gint64 deadline;

  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < N_HOSTILE + 400) {
    rl.rlim_cur = MIN (rl.rlim_max, N_HOSTILE + 400);
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  fail_unless (rl.rlim_cur >= N_HOSTILE + 400,
      "RLIMIT_NOFILE too low for %d sockets", N_HOSTILE);

  broker = start_broker (NULL);
  port = rg_broker_get_port (broker);
  for (i = 0; i < N_HOSTILE; i++) {
    struct sockaddr_in sin = { 0, };

    hostile[i] = loopback_socket (2);
    sin.sin_family = AF_INET;
    sin.sin_port = htons (port);
    sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    fail_unless (connect (hostile[i], (struct sockaddr *) &sin,
            sizeof (sin)) == 0 || errno == EINPROGRESS);
  }
  /* Every one is accepted, and served or refused. */
  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  do {
    g_usleep (10 * 1000);
    rg_broker_get_stats (broker, &st);
  } while (st.connections_total + st.connections_refused_per_address <
      N_HOSTILE && g_get_monotonic_time () < deadline);
  fail_unless_equals_uint64 (st.connections_total,
      RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
  fail_unless_equals_uint64 (st.connections_refused_per_address,
      N_HOSTILE - RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
  fail_unless_equals_uint64 (st.connections_refused, 0);

  /* A client from 127.0.0.1 is served while they stay. */
  fd = connect_from (1, port);
  kw_send_request (fd, api_versions_request (77));
  g_bytes_unref (recv_response (fd, 77));
  rg_broker_get_stats (broker, &st);
  fail_unless_equals_int (st.connections,
      RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS + 1);

  close (fd);
  for (i = 0; i < N_HOSTILE; i++)
    close (hostile[i]);
  rg_broker_release (broker);
}

GST_END_TEST;

/* A client that sends a request one byte at a time keeps resetting the
 * idle timeout, but is closed once the request has not arrived whole
 * within request_timeout_ms of its first byte; a prompt client on the same
 * broker is not. */
GST_START_TEST (test_request_timeout)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerStats st;
  GByteArray *req;
  int slow, quick;
  guint sent = 0;
  gint64 deadline;
  gboolean closed = FALSE;

  rg_broker_config_init (&config);
  config.request_timeout_ms = 200;
  broker = start_broker (&config);
  slow = kw_connect (rg_broker_get_port (broker), 10);
  quick = kw_connect (rg_broker_get_port (broker), 10);

  /* ApiVersions with a long client id: 200 bytes at one per 20 ms would
   * take four seconds. */
  req = kw_request_new (18, 0, 5);
  g_byte_array_set_size (req, 4 + 2 + 2 + 4);
  kw_putstr (req, "a-client-id-long-enough-to-send-it-slowly-------------"
      "------------------------------------------------------------------"
      "------------------------------------------------------------");
  kw_request_finish (req);
  while (sent < req->len && !closed) {
    struct pollfd pfd = { slow, POLLIN, 0 };

    if (send (slow, req->data + sent, 1, MSG_NOSIGNAL) != 1)
      break;
    sent++;
    /* The quick client's request arrives whole: it is answered. */
    if (sent == 10) {
      kw_send_request (quick, api_versions_request (6));
      g_bytes_unref (recv_response (quick, 6));
    }
    closed = poll (&pfd, 1, 20) == 1 && closed_by_peer (slow);
  }
  fail_unless (sent < req->len, "the whole slow request was sent");
  fail_unless (closed || closed_by_peer (slow));
  /* The socket is closed before the connection is uncounted. */
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  do {
    rg_broker_get_stats (broker, &st);
  } while (st.connections > 1 && g_get_monotonic_time () < deadline);
  fail_unless_equals_uint64 (st.closed_request_timeout, 1);
  fail_unless_equals_int (st.connections, 1);

  g_byte_array_unref (req);
  close (slow);
  close (quick);
  rg_broker_release (broker);
}

GST_END_TEST;

#define N_PARTIAL 5
#define PARTIAL_RECORDS 9000
#define BIG_RECORDS 90000

/* Produce v3 of @records_len bytes of records into a topic nobody
 * serves: a valid request whose size the test chooses. */
static GByteArray *
sized_produce_request (gint32 cid, gsize records_len)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  gsize start;

  kw_putstr (b, NULL);
  kw_put16 (b, 1);
  kw_put32 (b, 1000);
  kw_put32 (b, 1);
  kw_putstr (b, "nobody");
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, records_len);
  start = b->len;
  g_byte_array_set_size (b, start + records_len);
  memset (b->data + start, 0x5a, records_len);
  return kw_request_finish (b);
}

/* Writes what the socket takes of @data, ignoring a reset. */
static void
send_some (int fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    ssize_t n = send (fd, data, len, MSG_NOSIGNAL);

    if (n <= 0)
      return;
    data += n;
    len -= n;
  }
}

/* Partial requests together may hold at most max_partial_bytes: the
 * connection with the largest one is closed when a read passes it, the
 * others complete their requests and are answered. */
GST_START_TEST (test_partial_bytes_bound)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerStats st;
  GByteArray *reqs[N_PARTIAL], *big;
  int fds[N_PARTIAL], big_fd, i;
  gint64 deadline;

  rg_broker_config_init (&config);
  config.max_request_bytes = 100000;
  config.max_partial_bytes = 120000;
  broker = start_broker (&config);
  for (i = 0; i < N_PARTIAL; i++) {
    fds[i] = kw_connect (rg_broker_get_port (broker), 10);
    reqs[i] = sized_produce_request (40 + i, PARTIAL_RECORDS);
    /* All but the last 1,000 bytes: about 8 KB each, 40 KB together. */
    kw_send_all (fds[i], reqs[i]->data, reqs[i]->len - 1000);
  }
  /* 90 KB more of one request passes the bound: it is the largest. */
  big_fd = kw_connect (rg_broker_get_port (broker), 10);
  big = sized_produce_request (50, BIG_RECORDS);
  send_some (big_fd, big->data, big->len - 1000);
  fail_unless (closed_by_peer (big_fd));
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  do {
    rg_broker_get_stats (broker, &st);
  } while (st.connections > N_PARTIAL && g_get_monotonic_time () < deadline);
  fail_unless_equals_uint64 (st.closed_partial_bytes, 1);
  fail_unless_equals_int (st.connections, N_PARTIAL);

  for (i = 0; i < N_PARTIAL; i++) {
    GBytes *resp;
    KwReader r;
    gsize size;

    kw_send_all (fds[i], reqs[i]->data + reqs[i]->len - 1000, 1000);
    resp = recv_response (fds[i], 40 + i);
    r.p = g_bytes_get_data (resp, &size);
    r.end = r.p + size;
    kw_get (&r, 4);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    kw_skip_str (&r);
    fail_unless_equals_int (kw_get (&r, 4), 1);
    kw_get (&r, 4);
    /* UNKNOWN_TOPIC_OR_PARTITION: parsed whole and answered. */
    fail_unless_equals_int (kw_get (&r, 2), 3);
    g_bytes_unref (resp);
    g_byte_array_unref (reqs[i]);
    close (fds[i]);
  }
  g_byte_array_unref (big);
  close (big_fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* The error code of a one-partition Produce response. */
static gint16
produce_error (int fd, gint32 cid, const gchar * topic)
{
  GBytes *resp;
  KwReader r;
  gsize size;
  gint16 code;

  kw_send_request (fd, produce_request (cid, topic));
  resp = recv_response (fd, cid);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_get (&r, 4);
  code = kw_get (&r, 2);
  g_bytes_unref (resp);
  return code;
}

/* A name reserved before the broker starts is not taken by a client that
 * produces into it first, so the element adds its topic afterwards; a name
 * a client took before any reservation gives a message that says so. */
GST_START_TEST (test_reserved_topic)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerTopic *topic;
  GError *error = NULL;
  guint port = kw_free_port ();
  int fd;

  fail_unless (rg_broker_reserve_topic (NULL, port, "cam", &error));
  rg_broker_config_init (&config);
  config.ingest_batches = 8;
  broker = rg_broker_acquire ("127.0.0.1", port, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (port, 10);

  /* Reserved: not created by the client's Produce. */
  fail_unless_equals_int (produce_error (fd, 1, "cam"),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  topic = rg_broker_add_topic (broker, "cam", 4, &error);
  fail_unless (topic != NULL, "%s", error ? error->message : "?");
  fail_unless_equals_int (produce_error (fd, 2, "cam"),
      RG_BROKER_PRODUCE_REFUSED_ERROR);

  /* Not reserved: the client's Produce creates an ingest topic, and the
   * element that comes later is told why it cannot have the name. */
  fail_unless_equals_int (produce_error (fd, 3, "late"), RG_KAFKA_NONE);
  fail_if (rg_broker_reserve_topic ("127.0.0.1", port, "late", &error));
  fail_unless (g_error_matches (error, RG_BROKER_ERROR,
          RG_BROKER_ERROR_TOPIC_EXISTS));
  fail_unless (strstr (error->message, "created by a Kafka client") != NULL,
      "%s", error->message);
  g_clear_error (&error);
  fail_if (rg_broker_add_topic (broker, "late", 4, &error));
  fail_unless (strstr (error->message, "created by a Kafka client") != NULL,
      "%s", error->message);
  g_clear_error (&error);

  /* Once the reservation is dropped and the topic removed, a client may
   * take the name. */
  rg_broker_remove_topic (broker, topic);
  rg_broker_unreserve_topic (NULL, port, "cam");
  fail_unless_equals_int (produce_error (fd, 4, "cam"), RG_KAFKA_NONE);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Long poll and zero copy ---- */

static _Atomic gsize seen_value_ptr;
static _Atomic gsize watched_value_ptr;

static ssize_t
observing_send_iov (int fd, const struct iovec *iov, int iovcnt)
{
  gsize watched = atomic_load (&watched_value_ptr);
  int i;

  for (i = 0; i < iovcnt; i++)
    if (watched && (gsize) iov[i].iov_base == watched)
      atomic_store (&seen_value_ptr, watched);
  return rg_broker_sys_send_iov (fd, iov, iovcnt);
}

typedef struct
{
  RgBrokerTopic *topic;
  GstBuffer *buffer;
  RgBroker *broker;
} AppendJob;

static gpointer
append_when_parked (gpointer data)
{
  AppendJob *job = data;

  /* Append only once the fetch is parked (if it is answered without
   * waiting, the main thread's checks report it). */
  wait_parked (job->broker, 1);
  fail_unless (rg_broker_topic_append (job->topic, job->buffer, -1, NULL,
          NULL, NULL));
  return NULL;
}

GST_START_TEST (test_long_poll_wakes_and_is_zero_copy)
{
  RgBrokerSysHooks hooks = { observing_send_iov };
  RgBroker *broker;
  RgBrokerTopic *topic;
  AppendJob job;
  GThread *thread;
  GstMapInfo map;
  RgBrokerStats st;
  FetchResult f;
  GBytes *resp;
  int fd;

  rg_broker_set_sys_hooks (&hooks);
  broker = start_broker (NULL);
  topic = rg_broker_add_topic (broker, "live", 8, NULL);
  fd = kw_connect (rg_broker_get_port (broker), 10);
  kw_send_request (fd, api_versions_request (1));
  resp = recv_response (fd, 1);
  g_bytes_unref (resp);

  job.topic = topic;
  job.broker = broker;
  job.buffer = make_buffer (0, 4096);
  gst_buffer_map (job.buffer, &map, GST_MAP_READ);
  atomic_store (&watched_value_ptr, (gsize) map.data);
  thread = g_thread_new ("append", append_when_parked, &job);

  /* MaxWaitMs is a minute: only the append can answer this in time. */
  fetch (fd, 2, "live", 0, 60000, 1, 1024 * 1024, &f);
  g_thread_join (thread);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int64 (f.high_watermark, 1);
  fail_unless_equals_int (f.values->len, 1);
  check_value (g_ptr_array_index (f.values, 0), 0, 4096);
  fetch_result_clear (&f);
  /* The value went to the socket from the buffer's own memory. */
  fail_unless_equals_uint64 (atomic_load (&seen_value_ptr), (gsize) map.data);

  /* Nothing new: answered empty when MaxWaitMs passes. */
  fetch (fd, 3, "live", 1, 50, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int (f.values->len, 0);
  fetch_result_clear (&f);

  rg_broker_get_stats (broker, &st);
  fail_unless_equals_uint64 (st.fetches, 2);
  fail_unless_equals_uint64 (st.records_served, 1);

  gst_buffer_unmap (job.buffer, &map);
  gst_buffer_unref (job.buffer);
  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  rg_broker_set_sys_hooks (NULL);
}

GST_END_TEST;

/* A parked fetch on a topic that goes away is answered at once. */
GST_START_TEST (test_parked_fetch_topic_removed)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "gone", 8, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  FetchResult f;
  GBytes *resp;

  /* The ApiVersions sent behind the parked fetch is answered after it. */
  kw_send_request (fd, fetch_request (5, "gone", 0, 60000, 1, 1024));
  kw_send_request (fd, api_versions_request (6));
  fail_unless_equals_int (wait_parked (broker, 1), 1);
  rg_broker_remove_topic (broker, topic);
  resp = recv_response (fd, 5);
  parse_fetch (resp, &f);
  fail_unless_equals_int (f.error, 3);
  fetch_result_clear (&f);
  g_bytes_unref (resp);
  resp = recv_response (fd, 6);
  g_bytes_unref (resp);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Limits ---- */

static gint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

#define N_CLIENTS 1000

/* 1,000 clients connect at once, each sends ApiVersions and gets its own
 * answer; then all close and the broker holds no descriptor for them. */
GST_START_TEST (test_thousand_connections)
{
  struct rlimit rl;
  RgBroker *broker;
  RgBrokerStats st;
  struct pollfd *pfd;
  guint8 (*got)[256];
  gsize *got_len;
  gint fds_before, answered = 0, i;
  struct sockaddr_in sin = { 0, };
  gint64 deadline;

  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2 * N_CLIENTS + 100) {
    rl.rlim_cur = MIN (rl.rlim_max, 2 * N_CLIENTS + 100);
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  fail_unless (rl.rlim_cur >= 2 * N_CLIENTS + 100,
      "RLIMIT_NOFILE too low for %d clients", N_CLIENTS);

  broker = start_broker (NULL);
  fds_before = count_fds ();
  pfd = g_new0 (struct pollfd, N_CLIENTS);
  got = g_malloc0 (N_CLIENTS * 256);
  got_len = g_new0 (gsize, N_CLIENTS);
  sin.sin_family = AF_INET;
  sin.sin_port = htons (rg_broker_get_port (broker));
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);

  /* All connects are in flight together: the backlog absorbs them. They
   * come from five loopback addresses, 200 each: under the default
   * max_connections_per_address. */
  for (i = 0; i < N_CLIENTS; i++) {
    pfd[i].fd = loopback_socket (1 + i / 200);
    fail_unless (connect (pfd[i].fd, (struct sockaddr *) &sin,
            sizeof (sin)) == 0 || errno == EINPROGRESS);
    pfd[i].events = POLLOUT;
  }
  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (answered < N_CLIENTS && g_get_monotonic_time () < deadline) {
    fail_unless (poll (pfd, N_CLIENTS, 1000) >= 0);
    for (i = 0; i < N_CLIENTS; i++) {
      if (pfd[i].revents & POLLOUT) {
        GByteArray *req = api_versions_request (i);
        fail_unless (send (pfd[i].fd, req->data, req->len, MSG_NOSIGNAL) ==
            (ssize_t) req->len, "client %d: %s", i, g_strerror (errno));
        g_byte_array_unref (req);
        pfd[i].events = POLLIN;
      } else if (pfd[i].revents & POLLIN) {
        ssize_t n = recv (pfd[i].fd, got[i] + got_len[i], 256 - got_len[i],
            0);
        fail_unless (n > 0, "client %d: connection closed", i);
        got_len[i] += n;
        if (got_len[i] >= 8) {
          gsize frame = 4 + GST_READ_UINT32_BE (got[i]);
          if (got_len[i] == frame) {
            fail_unless_equals_int (GST_READ_UINT32_BE (got[i] + 4), i);
            /* Error code 0. */
            fail_unless_equals_int (GST_READ_UINT16_BE (got[i] + 8), 0);
            pfd[i].events = 0;
            answered++;
          }
        }
      } else if (pfd[i].revents & (POLLERR | POLLHUP)) {
        fail ("client %d: connection failed", i);
      }
    }
  }
  fail_unless_equals_int (answered, N_CLIENTS);
  rg_broker_get_stats (broker, &st);
  fail_unless_equals_int (st.connections, N_CLIENTS);
  fail_unless_equals_uint64 (st.connections_refused, 0);

  for (i = 0; i < N_CLIENTS; i++)
    close (pfd[i].fd);
  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  do {
    g_usleep (10000);
    rg_broker_get_stats (broker, &st);
  } while (st.connections > 0 && g_get_monotonic_time () < deadline);
  fail_unless_equals_int (st.connections, 0);
  fail_unless_equals_int (count_fds (), fds_before);

  g_free (pfd);
  g_free (got);
  g_free (got_len);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_max_connections)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerStats st;
  int a, b, c;
  GBytes *resp;

  rg_broker_config_init (&config);
  config.max_connections = 2;
  broker = start_broker (&config);
  a = kw_connect (rg_broker_get_port (broker), 10);
  b = kw_connect (rg_broker_get_port (broker), 10);
  kw_send_request (a, api_versions_request (1));
  g_bytes_unref (recv_response (a, 1));
  kw_send_request (b, api_versions_request (2));
  g_bytes_unref (recv_response (b, 2));
  c = kw_connect (rg_broker_get_port (broker), 10);
  fail_unless (closed_by_peer (c));
  rg_broker_get_stats (broker, &st);
  fail_unless_equals_uint64 (st.connections_refused, 1);
  fail_unless_equals_int (st.connections, 2);
  /* The first two are still served. */
  kw_send_request (a, api_versions_request (3));
  resp = recv_response (a, 3);
  g_bytes_unref (resp);
  close (a);
  close (b);
  close (c);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_idle_timeout)
{
  RgBrokerConfig config;
  RgBroker *broker;
  int fd;

  rg_broker_config_init (&config);
  config.idle_timeout_ms = 100;
  broker = start_broker (&config);
  fd = kw_connect (rg_broker_get_port (broker), 10);
  kw_send_request (fd, api_versions_request (1));
  g_bytes_unref (recv_response (fd, 1));
  /* Nothing more: the broker closes the connection (within the 10 s
   * receive timeout of kw_connect()). */
  fail_unless (closed_by_peer (fd));
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Malformed, oversized, truncated and unsupported frames close the
 * connection; the broker keeps serving everyone else. */
GST_START_TEST (test_malformed_frames)
{
  RgBrokerConfig config;
  RgBroker *broker;
  RgBrokerStats st;
  GRand *rand = g_rand_new_with_seed (4);
  guint closed = 0, i;

  rg_broker_config_init (&config);
  config.max_request_bytes = 4096;
  broker = start_broker (&config);

  for (i = 0; i < 300; i++) {
    int fd = kw_connect (rg_broker_get_port (broker), 10);
    GByteArray *b = g_byte_array_new ();
    guint len = g_rand_int_range (rand, 10, 200), j;

    switch (i % 6) {
      case 0:                  /* negative size */
        kw_put32 (b, -5);
        break;
      case 1:                  /* over max-request-bytes */
        kw_put32 (b, 5000);
        break;
      case 2:                  /* unknown api key */
        g_byte_array_unref (b);
        b = kw_request_finish (kw_request_new (99, 0, 1));
        break;
      case 3:                  /* Fetch version 11 */
        g_byte_array_unref (b);
        b = kw_request_finish (kw_request_new (1, 11, 1));
        break;
      default:{                /* a valid header, then random bytes */
        const gint16 versions[] = { 3, 4, 1, 0 };
        gint16 key = g_rand_int_range (rand, 0, 4);

        g_byte_array_unref (b);
        b = kw_request_new (key, versions[key], 1);
        for (j = 0; j < len; j++) {
          guint8 x = g_rand_int (rand);
          g_byte_array_append (b, &x, 1);
        }
        kw_request_finish (b);
        break;
      }
    }
    kw_send_all (fd, b->data, b->len);
    g_byte_array_unref (b);
    /* A random body that parses (a Produce with acks 0) may need no
     * answer: end the stream so that the broker closes then. */
    if (i % 6 >= 4)
      shutdown (fd, SHUT_WR);
    /* Random bodies may happen to parse; then an answer comes first. */
    for (;;) {
      guint8 prefix[4], skip[4096];
      guint32 size;

      if (!kw_recv_all (fd, prefix, 4)) {
        closed++;
        break;
      }
      size = GST_READ_UINT32_BE (prefix);
      fail_unless (size <= sizeof (skip));
      fail_unless (kw_recv_all (fd, skip, size));
    }
    close (fd);
  }
  /* Every non-random case closed the connection. */
  fail_unless (closed >= 200, "only %u closed", closed);

  /* Still up and answering. */
  {
    int fd = kw_connect (rg_broker_get_port (broker), 10);
    kw_send_request (fd, api_versions_request (77));
    g_bytes_unref (recv_response (fd, 77));
    close (fd);
  }
  rg_broker_get_stats (broker, &st);
  fail_unless (st.malformed >= 200);
  g_rand_free (rand);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Client watches and per-client lag ---- */

static _Atomic gint watch_added, watch_removed;

static void
count_clients (RgBroker * broker, guint64 id, const gchar * address,
    gboolean added, gpointer user_data)
{
  fail_unless (g_str_has_prefix (address, "127.0.0.1:"));
  atomic_fetch_add (added ? &watch_added : &watch_removed, 1);
}

GST_START_TEST (test_client_watch_and_lag)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "lag", 16, NULL);
  guint watch = rg_broker_add_client_watch (broker, count_clients, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  RgBrokerClientInfo *info;
  GPtrArray *clients;
  FetchResult f;
  guint i;

  for (i = 0; i < 10; i++)
    append (topic, i, 50);
  /* At most 2 batches of 50 + framing fit in 200 bytes. */
  fetch (fd, 1, "lag", 0, 0, 1, 200, &f);
  fail_unless (f.values->len >= 1 && f.values->len < 10);
  clients = rg_broker_get_clients (broker);
  fail_unless_equals_int (clients->len, 1);
  info = g_ptr_array_index (clients, 0);
  fail_unless_equals_string (info->topic, "lag");
  fail_unless_equals_int64 (info->next_offset, f.values->len);
  fail_unless_equals_int64 (info->lag, 10 - f.values->len);
  fail_unless_equals_uint64 (info->fetches, 1);
  g_ptr_array_unref (clients);
  /* Sent bytes are counted once send() returns, which may be just after
   * the client read them. */
  for (i = 0; i < 10000; i++) {
    guint64 sent;

    clients = rg_broker_get_clients (broker);
    info = g_ptr_array_index (clients, 0);
    sent = info->bytes_sent;
    g_ptr_array_unref (clients);
    if (sent > 0)
      break;
    g_usleep (1000);
  }
  fail_unless (i < 10000, "bytes sent never counted");
  fetch_result_clear (&f);
  close (fd);

  while (atomic_load (&watch_removed) < 1)
    g_usleep (1000);
  fail_unless_equals_int (atomic_load (&watch_added), 1);
  rg_broker_remove_client_watch (broker, watch);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- The .live view ---- */

GST_START_TEST (test_live_view_resumes_at_keyframe)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "cam", 8, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  GError *error = NULL;
  FetchResult f;
  guint i;

  fail_unless (rg_broker_add_live_view (broker, topic, 3, NULL));
  /* Keyframes at 0, 5 and 10; the ring keeps 12..19 after 20 appends. */
  for (i = 0; i < 20; i++) {
    GstBuffer *buf = make_buffer (i, 64);

    if (i % 5 != 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless (rg_broker_topic_append (topic, buf, -1, NULL, NULL, NULL));
    gst_buffer_unref (buf);
  }
  /* The plain topic: offset 2 left the ring. */
  fetch (fd, 1, "cam", 2, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 1);
  fetch_result_clear (&f);
  /* The view: a stalled consumer at 2 resumes at keyframe 15. */
  fetch (fd, 2, "cam.live", 2, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int (f.values->len, 5);
  fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), 15);
  check_value (g_ptr_array_index (f.values, 0), 15, 64);
  fetch_result_clear (&f);
  /* 13 is in the ring but 7 behind (budget 3): keyframe 15 as well. */
  fetch (fd, 3, "cam.live", 13, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), 15);
  fetch_result_clear (&f);
  /* Within budget: exactly where it asked. */
  fetch (fd, 4, "cam.live", 18, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.values->len, 2);
  fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), 18);
  fetch_result_clear (&f);

  /* A second view of the same name is refused. */
  fail_if (rg_broker_add_live_view (broker, topic, 3, &error));
  fail_unless (g_error_matches (error, RG_BROKER_ERROR,
          RG_BROKER_ERROR_TOPIC_EXISTS));
  g_clear_error (&error);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Journal-backed topics ---- */

static RgJournalWriter *
journal_open (gchar ** dir, RgJournalSync sync)
{
  RgJournalConfig config;
  RgJournalWriter *writer;
  GError *error = NULL;

  *dir = g_dir_make_tmp ("rg-broker-XXXXXX", NULL);
  fail_unless (*dir != NULL);
  rg_journal_config_init (&config);
  /* Small segments: a consumer must cross several. */
  config.max_segment_bytes = 4096;
  config.sync = sync;
  writer = rg_journal_writer_open (*dir, &config, &error);
  fail_unless (writer != NULL, "%s", error ? error->message : "?");
  return writer;
}

static void
journal_append (RgJournalWriter * writer, RgBrokerTopic * topic, guint i)
{
  GstBuffer *buf = make_buffer (i, 1000);
  guint64 offset;

  fail_unless (rg_journal_writer_append (writer, buf, 1000 + i, NULL,
          &offset, NULL));
  fail_unless_equals_uint64 (offset, i);
  gst_buffer_unref (buf);
  rg_broker_topic_notify (topic);
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* Every record the journal holds is served, in order, across segments,
 * from the segment files (sendfile); the range is the journal's. Run
 * twice: the broker checking the files itself, then trusting the
 * in-process writer's tail. */
GST_START_TEST (test_journal_topic)
{
  RgBroker *broker = start_broker (NULL);
  gchar *dir;
  RgJournalWriter *writer = journal_open (&dir, RG_JOURNAL_SYNC_ALWAYS);
  RgJournalTail *tail = __i__ ? rg_journal_writer_get_tail (writer) : NULL;
  RgBrokerTopic *topic = rg_broker_add_journal_topic (broker, "j", dir, tail,
      NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  RgBrokerTopicStats ts;
  gint64 next = 0;
  guint i, fetches = 0;
  FetchResult f;

  fail_unless (topic != NULL);
  for (i = 0; i < 20; i++)
    journal_append (writer, topic, i);
  fail_unless (rg_journal_writer_sync (writer, NULL));

  while (next < 20) {
    /* One segment per response (as Kafka): 4 KiB segments of 1 KiB
     * records take several fetches. */
    fetch (fd, 100 + fetches, "j", next, 0, 1, 1024 * 1024, &f);
    fail_unless_equals_int (f.error, 0);
    fail_unless_equals_int64 (f.high_watermark, 20);
    fail_unless_equals_int64 (f.last_stable, 20);
    fail_unless (f.values->len > 0);
    for (i = 0; i < f.values->len; i++) {
      fail_unless_equals_int64 (g_array_index (f.offsets, gint64, i),
          next + i);
      check_value (g_ptr_array_index (f.values, i), next + i, 1000);
      fail_unless_equals_uint64 (g_array_index (f.pts, guint64, i),
          (next + i) * GST_SECOND);
    }
    next += f.values->len;
    fetch_result_clear (&f);
    fetches++;
  }
  fail_unless (fetches > 1);

  /* From the middle of a batch run: the first record is the one asked. */
  fetch (fd, 200, "j", 7, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), 7);
  fetch_result_clear (&f);
  fetch (fd, 201, "j", 21, 0, 1, 1024 * 1024, &f);
  fail_unless_equals_int (f.error, 1);
  fetch_result_clear (&f);

  rg_broker_topic_get_stats (topic, &ts);
  fail_unless_equals_uint64 (ts.log_start_offset, 0);
  fail_unless_equals_uint64 (ts.high_watermark, 20);
  fail_unless_equals_uint64 (ts.records_served, 21);
  /* One per rg_broker_topic_notify(); the tail's wake-ups count nothing. */
  fail_unless_equals_uint64 (ts.records_appended, 20);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  fail_unless (rg_journal_writer_close (writer, NULL));
  if (tail)
    rg_journal_tail_unref (tail);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* Fetches every record from @from to @to and checks offsets and bytes. */
static void
fetch_all_journal (int fd, const gchar * topic, gint64 from, gint64 to)
{
  gint32 corr = 300;
  FetchResult f;
  guint i;

  while (from < to) {
    fetch (fd, corr++, topic, from, 0, 1, 1024 * 1024, &f);
    fail_unless_equals_int (f.error, 0);
    fail_unless_equals_int64 (f.high_watermark, to);
    fail_unless (f.values->len > 0);
    for (i = 0; i < f.values->len; i++) {
      fail_unless_equals_int64 (g_array_index (f.offsets, gint64, i),
          from + i);
      check_value (g_ptr_array_index (f.values, i), from + i, 1000);
    }
    from += f.values->len;
    fetch_result_clear (&f);
  }
}

/* With the writer's tail, the range still follows retention (segments
 * deleted under the broker); once the writer is closed the broker reads
 * the files itself and serves the same records. */
GST_START_TEST (test_journal_tail_retention_and_close)
{
  RgBroker *broker = start_broker (NULL);
  gchar *dir = g_dir_make_tmp ("rg-broker-XXXXXX", NULL);
  RgJournalConfig config;
  RgJournalWriter *writer;
  RgJournalTail *tail;
  RgBrokerTopic *topic;
  RgBrokerTopicStats ts;
  GArray *bases;
  guint64 oldest;
  int fd;
  guint i;

  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  config.max_segment_bytes = 4096;
  config.max_bytes = 16 * 1024;
  writer = rg_journal_writer_open (dir, &config, NULL);
  fail_unless (writer != NULL);
  tail = rg_journal_writer_get_tail (writer);
  topic = rg_broker_add_journal_topic (broker, "jr", dir, tail, NULL);
  rg_journal_tail_unref (tail);
  fd = kw_connect (rg_broker_get_port (broker), 10);

  for (i = 0; i < 60; i++)
    journal_append (writer, topic, i);
  fail_unless (rg_journal_writer_sync (writer, NULL));
  bases = rg_journal_list_segments (dir, NULL);
  oldest = g_array_index (bases, guint64, 0);
  g_array_unref (bases);
  fail_unless (oldest > 0, "retention deleted nothing");

  rg_broker_topic_get_stats (topic, &ts);
  fail_unless_equals_uint64 (ts.log_start_offset, oldest);
  fail_unless_equals_uint64 (ts.high_watermark, 60);
  fetch_all_journal (fd, "jr", oldest, 60);

  fail_unless (rg_journal_writer_close (writer, NULL));
  rg_broker_topic_get_stats (topic, &ts);
  fail_unless_equals_uint64 (ts.log_start_offset, oldest);
  fail_unless_equals_uint64 (ts.high_watermark, 60);
  fetch_all_journal (fd, "jr", oldest, 60);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

typedef struct
{
  RgBroker *broker;
  RgJournalWriter *writer;
  RgBrokerTopic *topic;
} JournalJob;

static gpointer
journal_append_when_parked (gpointer data)
{
  JournalJob *job = data;

  /* If the fetch is answered without waiting, the main thread's checks
   * report it. */
  wait_parked (job->broker, 1);
  journal_append (job->writer, job->topic, 3);
  return NULL;
}

/* A parked fetch gets a record appended while it waits. The 1000-byte
 * record sits in the writer's pending buffer for 5 ms after its append
 * (and its notification) under sync=none: without a tail the broker finds it by looking
 * at the files every 10 ms; with the tail (run 1) it does not poll, and
 * the writer's own flush wakes it. */
GST_START_TEST (test_journal_long_poll)
{
  RgBroker *broker = start_broker (NULL);
  gchar *dir;
  RgJournalWriter *writer = journal_open (&dir, RG_JOURNAL_SYNC_NONE);
  RgJournalTail *tail = __i__ ? rg_journal_writer_get_tail (writer) : NULL;
  RgBrokerTopic *topic = rg_broker_add_journal_topic (broker, "jl", dir,
      tail, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  JournalJob job = { broker, writer, topic };
  GThread *thread;
  FetchResult f;
  guint i;

  for (i = 0; i < 3; i++)
    journal_append (writer, topic, i);
  /* The writer may hold small records back for a few ms: make sure the
   * three are in the files, so offset 3 is the high watermark. */
  fail_unless (rg_journal_writer_sync (writer, NULL));
  thread = g_thread_new ("append", journal_append_when_parked, &job);
  fetch (fd, 1, "jl", 3, 60000, 1, 1024 * 1024, &f);
  g_thread_join (thread);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int (f.values->len, 1);
  fail_unless_equals_int64 (g_array_index (f.offsets, gint64, 0), 3);
  check_value (g_ptr_array_index (f.values, 0), 3, 1000);
  fetch_result_clear (&f);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  fail_unless (rg_journal_writer_close (writer, NULL));
  if (tail)
    rg_journal_tail_unref (tail);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* ---- Versions: old, flexible and refused ---- */

static void
put_byte (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

/* Fetch v0 (no MaxBytes, no IsolationLevel) or v7 (with a session epoch)
 * of partition 0 of @topic from offset 0. */
static GByteArray *
old_fetch_request (gint32 cid, gint16 version, const gchar * topic,
    gint32 session_epoch)
{
  GByteArray *b = kw_request_new (1, version, cid);

  kw_put32 (b, -1);
  kw_put32 (b, 0);                 /* max wait */
  kw_put32 (b, 0);                 /* min bytes */
  if (version >= 3)
    kw_put32 (b, 1 << 20);
  if (version >= 4)
    put_byte (b, 0);
  if (version >= 7) {
    kw_put32 (b, 0);               /* session id */
    kw_put32 (b, session_epoch);
  }
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, 0);
  if (version >= 5)
    kw_put64 (b, -1);
  kw_put32 (b, 1 << 20);
  if (version >= 7)
    kw_put32 (b, 0);               /* forgotten topics */
  return kw_request_finish (b);
}

/* Fetch v12, flexible: header v2 and compact types. */
static GByteArray *
flexible_fetch_request (gint32 cid, const gchar * topic)
{
  GByteArray *b = kw_request_new (1, 12, cid);

  put_byte (b, 0);                 /* header tags */
  kw_put32 (b, -1);
  kw_put32 (b, 0);
  kw_put32 (b, 0);
  kw_put32 (b, 1 << 20);
  put_byte (b, 0);
  kw_put32 (b, 0);
  kw_put32 (b, -1);
  put_byte (b, 2);                 /* one topic */
  put_byte (b, strlen (topic) + 1);
  g_byte_array_append (b, (const guint8 *) topic, strlen (topic));
  put_byte (b, 2);                 /* one partition */
  kw_put32 (b, 0);
  kw_put32 (b, -1);                /* current leader epoch */
  kw_put64 (b, 0);
  kw_put32 (b, -1);                /* last fetched epoch */
  kw_put64 (b, -1);
  kw_put32 (b, 1 << 20);
  put_byte (b, 0);                 /* partition tags */
  put_byte (b, 0);                 /* topic tags */
  put_byte (b, 1);                 /* no forgotten topics */
  put_byte (b, 1);                 /* rack id "" */
  put_byte (b, 0);                 /* body tags */
  return kw_request_finish (b);
}

static guint32
get_uvarint (KwReader * r)
{
  guint32 v = 0;
  guint shift = 0;
  gint64 b;

  do {
    b = kw_get (r, 1) & 0xff;
    v |= (guint32) (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return v;
}

/* Skips a Fetch response to partition 0's record set (v0 layout, or v12's
 * compact one) and returns its length. */
static gint64
skip_to_records (KwReader * r, gint16 version)
{
  if (version >= 12) {
    kw_get (r, 1);                 /* header tags */
    kw_get (r, 4);                 /* throttle */
    fail_unless_equals_int (kw_get (r, 2), 0);
    fail_unless_equals_int (kw_get (r, 4), 0);  /* session declined */
    fail_unless_equals_int (kw_get (r, 1), 2);
    r->p += kw_get (r, 1) - 1;     /* topic name */
    fail_unless_equals_int (kw_get (r, 1), 2);
    fail_unless_equals_int (kw_get (r, 4), 0);
    fail_unless_equals_int (kw_get (r, 2), 0);
    fail_unless_equals_int (kw_get (r, 8), 3);  /* high watermark */
    fail_unless_equals_int (kw_get (r, 8), 3);  /* last stable = hw */
    fail_unless_equals_int (kw_get (r, 8), 0);  /* log start */
    fail_unless_equals_int (kw_get (r, 1), 1);  /* no aborted txns */
    fail_unless_equals_int (kw_get (r, 4), -1); /* preferred replica */
    return get_uvarint (r) - 1;    /* COMPACT_RECORDS length */
  }
  fail_unless_equals_int (kw_get (r, 4), 1);
  kw_skip_str (r);
  fail_unless_equals_int (kw_get (r, 4), 1);
  fail_unless_equals_int (kw_get (r, 4), 0);
  fail_unless_equals_int (kw_get (r, 2), 0);
  fail_unless_equals_int (kw_get (r, 8), 3);
  return kw_get (r, 4);
}

/* A Fetch v0 client gets MessageSet v0 (magic 0) converted from the
 * batches, a v12 client the batches themselves; both see the same
 * offsets and values. */
GST_START_TEST (test_fetch_old_and_flexible)
{
  RgBroker *broker = start_broker (NULL);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "ver", 8, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  GBytes *resp;
  KwReader r;
  gsize size;
  gint64 len;
  guint i;

  for (i = 0; i < 3; i++)
    append (topic, i, 10);

  kw_send_request (fd, old_fetch_request (70, 0, "ver", -1));
  resp = recv_response (fd, 70);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  len = skip_to_records (&r, 0);
  /* Each message: offset, size, crc, magic 0, attributes, null key, and
   * the 10-byte value. */
  fail_unless_equals_int (len, 3 * (12 + 4 + 2 + 4 + 4 + 10));
  for (i = 0; i < 3; i++) {
    guint j;

    fail_unless_equals_int (kw_get (&r, 8), i);
    fail_unless_equals_int (kw_get (&r, 4), 4 + 2 + 4 + 4 + 10);
    kw_get (&r, 4);
    fail_unless_equals_int (kw_get (&r, 1), 0);
    fail_unless_equals_int (kw_get (&r, 1), 0);
    fail_unless_equals_int (kw_get (&r, 4), -1);
    fail_unless_equals_int (kw_get (&r, 4), 10);
    for (j = 0; j < 10; j++)
      fail_unless_equals_int (kw_get (&r, 1), (guint8) (i * 31 + j));
  }
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);

  kw_send_request (fd, flexible_fetch_request (71, "ver"));
  resp = recv_response (fd, 71);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  len = skip_to_records (&r, 12);
  fail_unless (len > 61);
  fail_unless_equals_int (r.p[16], 2);      /* RecordBatch magic */
  r.p += len;
  fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);

  /* An incremental fetch (epoch 5) of a session never created. */
  kw_send_request (fd, old_fetch_request (72, 7, "ver", 5));
  resp = recv_response (fd, 72);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 2), RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  g_bytes_unref (resp);

  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Hot tail of journal-backed topics ---- */

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

/* The journal's batches, concatenated from its segment files (in offset
 * order), and the position of each batch's first byte by offset. */
static GByteArray *
journal_bytes (const gchar * dir, GArray * batch_pos, GArray * batch_base)
{
  GByteArray *all = g_byte_array_new ();
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint i;

  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".log"))
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  /* Zero-padded base offsets: the names sort as the offsets. */
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++) {
    gchar *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
    gchar *data;
    gsize len, pos = 0;

    fail_unless (g_file_get_contents (path, &data, &len, NULL));
    while (pos + 12 <= len) {
      guint64 base = GUINT64_FROM_BE (*(guint64 *) (data + pos));
      guint32 blen = GUINT32_FROM_BE (*(guint32 *) (data + pos + 8));
      guint64 at = all->len;

      /* The active segment may be preallocated: zeros end the batches. */
      if (blen == 0)
        break;
      fail_unless (pos + 12 + blen <= len);
      g_array_append_val (batch_base, base);
      g_array_append_val (batch_pos, at);
      g_byte_array_append (all, (guint8 *) data + pos, 12 + blen);
      pos += 12 + blen;
    }
    g_free (data);
    g_free (path);
  }
  g_ptr_array_unref (names);
  return all;
}

/* The bytes @refs reference, read the way the broker sends them. */
static GByteArray *
refs_bytes (GArray * refs)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  for (i = 0; i < refs->len; i++) {
    RgKafkaRecordsRef *r = &g_array_index (refs, RgKafkaRecordsRef, i);

    if (r->type == RG_KAFKA_SEGMENT_FILE) {
      gsize at = out->len;

      g_byte_array_set_size (out, at + r->length);
      fail_unless_equals_int64 (pread (r->fd, out->data + at, r->length,
              r->offset), (gint64) r->length);
    } else {
      g_byte_array_append (out, r->data, r->length);
    }
  }
  return out;
}

/* Collects from @from and checks that the refs hold exactly the journal's
 * batches [batch holding @from, next offset): same bytes. Returns the
 * next offset; @file_refs and @memory_refs count the kinds. */
static gint64
check_collect (RgBrokerTopic * topic, gint64 from, GByteArray * journal,
    GArray * pos, GArray * base, guint * file_refs, guint * memory_refs)
{
  GArray *refs = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
  RgBrokerCollect c;
  GByteArray *got;
  guint i, from_batch = 0, end;
  gsize begin, stop;

  rg_broker_topic_collect (topic, from, G_MAXINT64, 0, 1024 * 1024, TRUE,
      refs, &c);
  fail_unless_equals_int (c.error_code, 0);
  fail_unless (c.records > 0);
  for (i = 0; i < base->len; i++)
    if (g_array_index (base, guint64, i) <= (guint64) from)
      from_batch = i;
  for (end = from_batch; end < base->len; end++)
    if (g_array_index (base, guint64, end) >= (guint64) c.next_offset)
      break;
  got = refs_bytes (refs);
  fail_unless_equals_uint64 (got->len, c.bytes);
  begin = g_array_index (pos, guint64, from_batch);
  stop = end < pos->len ? g_array_index (pos, guint64, end) : journal->len;
  fail_unless_equals_uint64 (stop - begin, got->len);
  fail_unless (memcmp (got->data, journal->data + begin, got->len) == 0,
      "fetch from %" G_GINT64_FORMAT " differs from the journal", from);
  for (i = 0; i < refs->len; i++) {
    if (g_array_index (refs, RgKafkaRecordsRef, i).type ==
        RG_KAFKA_SEGMENT_FILE)
      (*file_refs)++;
    else
      (*memory_refs)++;
  }
  g_byte_array_unref (got);
  rg_broker_records_refs_clear (refs);
  g_array_unref (refs);
  return c.next_offset;
}

/* A journal-backed topic keeping its latest 4 batches in memory serves
 * offsets 0-5 from the files and 6-9 from the buffers' memory, and a
 * client cannot tell: every fetch, from any offset and across the
 * boundary, returns the journal's own bytes; a Kafka client gets every
 * offset and value in order; the values go to the socket from the
 * buffers' memory. A buffer list's batch (not kept) leaves the tail to the
 * files, which still serve the same bytes. */
GST_START_TEST (test_journal_hot_tail)
{
  RgBrokerSysHooks hooks = { observing_send_iov };
  RgBroker *broker;
  gchar *dir;
  RgJournalWriter *writer = journal_open (&dir, RG_JOURNAL_SYNC_NONE);
  RgJournalTail *tail = rg_journal_writer_get_tail (writer);
  RgBrokerTopic *topic;
  GstBuffer *bufs[10];
  GstBufferList *list;
  GstMapInfo map;
  GByteArray *journal;
  GArray *pos = g_array_new (FALSE, FALSE, sizeof (guint64));
  GArray *base = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint i, file_refs = 0, memory_refs = 0;
  gint64 next;
  int fd;

  rg_broker_set_sys_hooks (&hooks);
  broker = start_broker (NULL);
  topic = rg_broker_add_journal_topic (broker, "jh", dir, tail, NULL);
  fail_unless (topic != NULL);
  rg_broker_topic_keep_hot (topic, writer, 4);
  for (i = 0; i < 10; i++) {
    bufs[i] = make_buffer (i, 1000);
    fail_unless (rg_journal_writer_append (writer, bufs[i], 1000 + i, NULL,
            NULL, NULL));
    rg_broker_topic_notify (topic);
  }
  fail_unless (rg_journal_writer_sync (writer, NULL));
  journal = journal_bytes (dir, pos, base);
  fail_unless_equals_int (base->len, 10);

  /* From every offset: the same bytes as the journal. */
  for (i = 0; i < 10; i++)
    check_collect (topic, i, journal, pos, base, &file_refs, &memory_refs);
  /* Offsets 0-5 come from the files, 6-9 from memory (their batches'
   * protocol bytes and values). */
  file_refs = memory_refs = 0;
  next = check_collect (topic, 7, journal, pos, base, &file_refs,
      &memory_refs);
  fail_unless_equals_int64 (next, 10);
  fail_unless_equals_int (file_refs, 0);
  fail_unless (memory_refs >= 3);
  /* Across the boundary in one fetch: files then memory. */
  file_refs = memory_refs = 0;
  for (next = 0; next < 10;)
    next = check_collect (topic, next, journal, pos, base, &file_refs,
        &memory_refs);
  fail_unless (file_refs > 0 && memory_refs > 0);

  /* A Kafka client across the boundary; buffer 8's memory is what the
   * socket gets. */
  gst_buffer_map (bufs[8], &map, GST_MAP_READ);
  atomic_store (&watched_value_ptr, (gsize) map.data);
  fd = kw_connect (rg_broker_get_port (broker), 10);
  fetch_all_journal (fd, "jh", 0, 10);
  fail_unless_equals_uint64 (atomic_load (&seen_value_ptr), (gsize) map.data);
  gst_buffer_unmap (bufs[8], &map);

  /* A buffer list's batch (offsets 10-11) is served from the files, and
   * the next single buffer starts the tail again. */
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, make_buffer (10, 1000));
  gst_buffer_list_add (list, make_buffer (11, 1000));
  fail_unless (rg_journal_writer_append_list (writer, list, 1010, NULL, NULL,
          NULL));
  gst_buffer_list_unref (list);
  list = NULL;
  {
    GstBuffer *b = make_buffer (12, 1000);

    fail_unless (rg_journal_writer_append (writer, b, 1012, NULL, NULL,
            NULL));
    gst_buffer_unref (b);
  }
  fail_unless (rg_journal_writer_sync (writer, NULL));
  g_byte_array_unref (journal);
  g_array_set_size (pos, 0);
  g_array_set_size (base, 0);
  journal = journal_bytes (dir, pos, base);
  file_refs = memory_refs = 0;
  next = check_collect (topic, 10, journal, pos, base, &file_refs,
      &memory_refs);
  fail_unless_equals_int64 (next, 13);
  fail_unless (file_refs == 1 && memory_refs > 0);
  file_refs = memory_refs = 0;
  check_collect (topic, 12, journal, pos, base, &file_refs, &memory_refs);
  fail_unless (file_refs == 0 && memory_refs > 0);

  close (fd);
  g_byte_array_unref (journal);
  g_array_unref (pos);
  g_array_unref (base);
  for (i = 0; i < 10; i++)
    gst_buffer_unref (bufs[i]);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  fail_unless (rg_journal_writer_close (writer, NULL));
  rg_journal_tail_unref (tail);
  remove_dir (dir);
  g_free (dir);
  rg_broker_set_sys_hooks (NULL);
  atomic_store (&watched_value_ptr, 0);
  atomic_store (&seen_value_ptr, 0);
}

GST_END_TEST;

/* Sends @version of @api on a new connection and checks the broker closes
 * it without an answer. */
static void
refused (guint port, gint16 api, gint16 version)
{
  int fd = kw_connect (port, 10);

  kw_send_request (fd, kw_request_finish (kw_request_new (api, version, 9)));
  fail_unless (closed_by_peer (fd));
  close (fd);
}

/* Unsupported versions get Kafka's answers: ApiVersions error 35 with the
 * supported range in a v0 body; any other api a closed connection. */
GST_START_TEST (test_unsupported_versions)
{
  RgBroker *broker = start_broker (NULL);
  guint port = rg_broker_get_port (broker);
  int fd = kw_connect (port, 10);
  GBytes *resp;
  KwReader r;
  gsize size;

  kw_send_request (fd, kw_request_finish (kw_request_new (18, 4, 8)));
  resp = recv_response (fd, 8);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 2), RG_KAFKA_UNSUPPORTED_VERSION);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 2), 18);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  fail_unless_equals_int (kw_get (&r, 2), 3);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  close (fd);

  refused (port, 3, 13);
  refused (port, 1, 13);
  refused (port, 0, 10);
  refused (port, 10, 0);           /* FindCoordinator: not in the table */
  rg_broker_release (broker);
}

GST_END_TEST;

/* Only the first refusal per (client host, client id, api) is a warning:
 * a client retrying in a loop reconnects from new ports. The set stays
 * bounded. */
GST_START_TEST (test_refusal_warned_once)
{
  GHashTable *set = rg_broker_dispatch_refusals_new ();
  RgKafkaStr app = rg_kafka_str_from_cstr ("app");
  RgKafkaStr other = rg_kafka_str_from_cstr ("other");
  guint i;

  fail_unless (rg_broker_dispatch_first_refusal (set, "10.0.0.1:5000", app,
          3));
  fail_if (rg_broker_dispatch_first_refusal (set, "10.0.0.1:5001", app, 3));
  fail_unless (rg_broker_dispatch_first_refusal (set, "10.0.0.1:5002", app,
          1));
  fail_unless (rg_broker_dispatch_first_refusal (set, "10.0.0.1:5003", other,
          3));
  fail_unless (rg_broker_dispatch_first_refusal (set, "10.0.0.2:5000", app,
          3));
  fail_unless (rg_broker_dispatch_first_refusal (set, "[::1]:5000",
          RG_KAFKA_STR_NULL, 3));
  fail_if (rg_broker_dispatch_first_refusal (set, "[::1]:6000",
          RG_KAFKA_STR_NULL, 3));
  fail_unless (rg_broker_dispatch_first_refusal (NULL, "10.0.0.1:5000", app,
          3));
  for (i = 0; i < 3 * RG_BROKER_MAX_REFUSALS; i++) {
    gchar *peer = g_strdup_printf ("10.1.%u.%u:1", i / 256, i % 256);

    fail_unless (rg_broker_dispatch_first_refusal (set, peer, app, 3));
    fail_unless (g_hash_table_size (set) <= RG_BROKER_MAX_REFUSALS);
    g_free (peer);
  }
  g_hash_table_unref (set);
}

GST_END_TEST;

/* ---- The send chooser ---- */

/* Drives @c for @ms milliseconds from *@now, 1 ms a turn, as a send path
 * that moves @loop_rate bytes per ms on the loop alone and @thread_rate
 * with the send threads. */
static void
drive_chooser (RgBrokerSendChooser * c, gint64 * now, guint ms,
    guint64 loop_rate, guint64 thread_rate)
{
  guint i;

  for (i = 0; i < ms; i++) {
    *now += 1000;
    rg_broker_send_chooser_account (c, c->parallel ? thread_rate : loop_rate,
        *now);
  }
}

/* The chooser keeps the way that moves more bytes, leaves ties and
 * near-ties to the loop, learns nothing from idle time, and follows a
 * change at its next probe. */
GST_START_TEST (test_send_chooser)
{
  RgBrokerSendChooser c;
  gint64 now = 1000000;

  /* Threads twice as fast: chosen after one probe. */
  rg_broker_send_chooser_init (&c, now);
  drive_chooser (&c, &now, 1000, 500000, 1000000);
  fail_unless (!c.probing);
  fail_unless (c.parallel);
  fail_unless_equals_uint64 (c.probes, 1);
  fail_unless_equals_uint64 (c.probes_parallel, 1);

  /* The loop faster. */
  rg_broker_send_chooser_init (&c, now);
  drive_chooser (&c, &now, 1000, 1000000, 800000);
  fail_unless (!c.probing);
  fail_unless (!c.parallel);
  fail_unless_equals_uint64 (c.probes_parallel, 0);

  /* 2 % apart: a tie, the loop alone costs less CPU. */
  rg_broker_send_chooser_init (&c, now);
  drive_chooser (&c, &now, 1000, 1000000, 1020000);
  fail_unless (!c.probing);
  fail_unless (!c.parallel);

  /* Idle, or traffic below the epoch minimum: no decision, and the way
   * in use (the threads) stays. */
  rg_broker_send_chooser_init (&c, now);
  drive_chooser (&c, &now, 10000, 0, 0);
  drive_chooser (&c, &now, 2000, 100000, 100000);
  fail_unless (c.probing);
  fail_unless (c.parallel);
  fail_unless_equals_uint64 (c.probes, 0);

  /* The machine changes: the threads win, then after the exploit period
   * the loop does, and the next probe follows. */
  rg_broker_send_chooser_init (&c, now);
  drive_chooser (&c, &now, 1000, 500000, 1000000);
  fail_unless (c.parallel);
  drive_chooser (&c, &now, RG_BROKER_SEND_EXPLOIT_US / 1000 + 1000,
      1000000, 500000);
  fail_unless (!c.probing);
  fail_unless (!c.parallel);
  fail_unless_equals_uint64 (c.probes, 2);
}

GST_END_TEST;

static Suite *
broker_suite (void)
{
  Suite *s = suite_create ("broker");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_api_versions);
  tcase_add_test (tc, test_api_table_is_api_versions);
  tcase_add_test (tc, test_fetch_old_and_flexible);
  tcase_add_test (tc, test_unsupported_versions);
  tcase_add_test (tc, test_refusal_warned_once);
  tcase_add_test (tc, test_registry_shares_brokers);
  tcase_add_test (tc, test_fetch_whole_batches_in_order);
  tcase_add_test (tc, test_ring_drops_oldest);
  tcase_add_test (tc, test_one_memory_in_many_buffers);
  tcase_add_test (tc, test_parallel_sends);
  tcase_add_test (tc, test_response_of_many_segments);
  tcase_add_test (tc, test_produce_refused);
  tcase_add_test (tc, test_long_poll_wakes_and_is_zero_copy);
  tcase_add_test (tc, test_parked_fetch_topic_removed);
  tcase_add_test (tc, test_thousand_connections);
  tcase_add_test (tc, test_max_connections);
  tcase_add_test (tc, test_idle_timeout);
  tcase_add_test (tc, test_one_address_cannot_lock_out);
  tcase_add_test (tc, test_request_timeout);
  tcase_add_test (tc, test_partial_bytes_bound);
  tcase_add_test (tc, test_reserved_topic);
  tcase_add_test (tc, test_malformed_frames);
  tcase_add_test (tc, test_client_watch_and_lag);
  tcase_add_test (tc, test_live_view_resumes_at_keyframe);
  tcase_add_loop_test (tc, test_journal_topic, 0, 2);
  tcase_add_test (tc, test_journal_tail_retention_and_close);
  tcase_add_loop_test (tc, test_journal_long_poll, 0, 2);
  tcase_add_test (tc, test_journal_hot_tail);
  tcase_add_test (tc, test_send_chooser);
  return s;
}

GST_CHECK_MAIN (broker);
