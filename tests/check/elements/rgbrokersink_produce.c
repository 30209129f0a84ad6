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
 * rgbrokersink with bootstrap-servers: it produces through librdkafka into
 * a "cluster" that is an embedded broker with ingest=true running in
 * another process (rgbroker-ingest), and kcat (librdkafka, an independent
 * consumer) reads back what arrived there.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>

#include "record/rgbatch.h"
#include "record/rgmeta.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER RG_TEST_BUILD_DIR "/tests/check/rgbroker-ingest"

static GPid helper_pid;
static gint helper_stdin = -1;
static guint helper_port;

/* Starts the second broker; its stdin is our end of the lifeline. */
static void
helper_start (void)
{
  gchar *argv[] = { (gchar *) HELPER, NULL };
  GError *error = NULL;
  gint out_fd;
  gchar line[32] = { 0, };
  gsize len = 0;
  gssize n;

  fail_unless (g_spawn_async_with_pipes (NULL, argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &helper_pid, &helper_stdin,
          &out_fd, NULL, &error), "%s", error ? error->message : "");
  /* The helper prints its port once its broker listens, or exits. */
  while (len < sizeof (line) - 1 && (n = read (out_fd, line + len, 1)) > 0
      && line[len] != '\n')
    len++;
  close (out_fd);
  helper_port = (guint) g_ascii_strtoull (line, NULL, 10);
  fail_unless (helper_port > 0, "the ingest broker did not start");
}

static void
helper_stop (void)
{
  int status;

  close (helper_stdin);
  helper_stdin = -1;
  fail_unless (waitpid (helper_pid, &status, 0) == helper_pid);
  g_spawn_close_pid (helper_pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "the ingest broker did not exit cleanly");
}

/* kcat's lines of @topic in @format, from the beginning to the end. */
static gchar **
kcat_read_format (const gchar * topic, const gchar * format)
{
  gchar *brokers = g_strdup_printf ("127.0.0.1:%u", helper_port);
  gchar *argv[] = { (gchar *) "timeout", (gchar *) "60", (gchar *) "kcat",
    (gchar *) "-C", (gchar *) "-q", (gchar *) "-b", brokers, (gchar *) "-t",
    (gchar *) topic, (gchar *) "-o", (gchar *) "beginning", (gchar *) "-e",
    (gchar *) "-f", (gchar *) format, NULL
  };
  gchar *out = NULL;
  GError *error = NULL;
  gint status;
  gchar **lines;

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
          &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "kcat failed");
  g_strchomp (out);
  lines = out[0] ? g_strsplit (out, "\n", -1) : g_new0 (gchar *, 1);
  g_free (out);
  g_free (brokers);
  return lines;
}

/* kcat's "offset|value|headers" lines of @topic. */
static gchar **
kcat_read (const gchar * topic)
{
  return kcat_read_format (topic, "%o|%s|%h\n");
}

/* PTS whose 8 big-endian bytes are printable ("000000" and two digits),
 * so kcat's %h prints them on one line. */
static GstClockTime
printable_pts (guint i)
{
  return G_GUINT64_CONSTANT (0x3030303030300000) |
      ((guint64) ('0' + i / 10) << 8) | (guint64) ('0' + i % 10);
}

static GstElement *
producer_pipeline (guint port, const gchar * topic, const gchar * extra,
    GstAppSrc ** src)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "rgbrokersink name=sink sync=false "
      "bootstrap-servers=127.0.0.1:%u topic=%s %s",
      port, topic, extra);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *e;

  fail_unless (pipeline != NULL);
  e = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  *src = GST_APP_SRC (e);
  g_free (desc);
  return pipeline;
}

static void
push_frame (GstAppSrc * src, guint i)
{
  gchar *value = g_strdup_printf ("frame-%03u", i);
  GstBuffer *buf = gst_buffer_new_wrapped (value, strlen (value));

  GST_BUFFER_PTS (buf) = printable_pts (i);
  fail_unless_equals_int (gst_app_src_push_buffer (src, buf), GST_FLOW_OK);
}

/* Runs @pipeline until EOS or an error (bounded); returns the error
 * message or NULL on EOS. */
static gchar *
run_to_end (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gchar *result = NULL;

  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "neither EOS nor an error within 60 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    result = g_strdup (error->message);
    g_clear_error (&error);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  return result;
}

/* A producing sink embeds no broker: its stats have every field, all 0,
 * no clients, and it listens on no port. */
static void
check_producer_stats (GstElement * pipeline)
{
  static const gchar *const counters[] = { "connections-total",
    "connections-refused", "parallel-sends", "records-appended",
    "log-start-offset", "high-watermark", "fetches", "bytes-served",
    "records-served"
  };
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstStructure *s = NULL;
  guint64 v = 1;
  guint connections = 1, port = 1, i;

  g_object_get (sink, "stats", &s, "bound-port", &port, NULL);
  fail_unless (s != NULL);
  fail_unless_equals_int (port, 0);
  fail_unless (gst_structure_get_uint (s, "connections", &connections));
  fail_unless_equals_int (connections, 0);
  for (i = 0; i < G_N_ELEMENTS (counters); i++) {
    fail_unless (gst_structure_get_uint64 (s, counters[i], &v), "%s",
        counters[i]);
    fail_unless_equals_uint64 (v, 0);
  }
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "clients")), 0);
  gst_structure_free (s);
  gst_object_unref (sink);
}

GST_START_TEST (test_produce_delivers_every_record)
{
  GstAppSrc *src;
  GstElement *pipeline;
  GstCaps *caps1 = gst_caps_from_string ("application/x-test, n=(int)1");
  GstCaps *caps2 = gst_caps_from_string ("application/x-test, n=(int)2");
  gchar **lines, *err;
  guint i, n = 100;

  helper_start ();
  pipeline = producer_pipeline (helper_port, "ingested",
      "acks=-1 message-timeout-ms=20000", &src);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  gst_app_src_set_caps (src, caps1);
  for (i = 0; i < n; i++) {
    if (i == 60)
      gst_app_src_set_caps (src, caps2);
    push_frame (src, i);
  }
  gst_app_src_end_of_stream (src);
  /* EOS is posted only once every record is acknowledged. */
  err = run_to_end (pipeline);
  fail_unless (err == NULL, "%s", err);
  check_producer_stats (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  lines = kcat_read ("ingested");
  fail_unless_equals_int (g_strv_length (lines), n);
  for (i = 0; i < n; i++) {
    gchar *head = g_strdup_printf ("%u|frame-%03u|", i, i);
    gchar pts[] = "gst.pts=000000__";

    pts[14] = '0' + i / 10;
    pts[15] = '0' + i % 10;
    fail_unless (g_str_has_prefix (lines[i], head), "record %u: %s", i,
        lines[i]);
    fail_unless (strstr (lines[i], pts) != NULL, "record %u: %s", i,
        lines[i]);
    fail_unless (strstr (lines[i], "gst.dts=") && strstr (lines[i],
            "gst.duration=") && strstr (lines[i], "gst.flags="));
    /* Caps on the first record and where they changed, nowhere else. */
    if (i == 0)
      fail_unless (strstr (lines[i], "gst.caps=application/x-test, "
              "n=(int)1") != NULL, "%s", lines[i]);
    else if (i == 60)
      fail_unless (strstr (lines[i], "gst.caps=application/x-test, "
              "n=(int)2") != NULL, "%s", lines[i]);
    else
      fail_unless (strstr (lines[i], "gst.caps=") == NULL, "record %u: %s",
          i, lines[i]);
    g_free (head);
  }
  g_strfreev (lines);

  gst_object_unref (src);
  gst_object_unref (pipeline);
  gst_caps_unref (caps1);
  gst_caps_unref (caps2);
  helper_stop ();
}

GST_END_TEST;

/* acks=0: the broker answers nothing, the records are stored all the
 * same. The producer counts them delivered once sent, so kcat may look
 * before the broker has read them: it looks again, a bounded number of
 * times. */
GST_START_TEST (test_produce_acks_0)
{
  GstAppSrc *src;
  GstElement *pipeline;
  gchar **lines = NULL, *err;
  guint i, attempt;

  helper_start ();
  pipeline = producer_pipeline (helper_port, "fire-and-forget", "acks=0",
      &src);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 10; i++)
    push_frame (src, i);
  gst_app_src_end_of_stream (src);
  err = run_to_end (pipeline);
  fail_unless (err == NULL, "%s", err);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (attempt = 0; attempt < 20; attempt++) {
    g_strfreev (lines);
    lines = kcat_read ("fire-and-forget");
    if (g_strv_length (lines) == 10)
      break;
    g_usleep (G_USEC_PER_SEC / 10);
  }
  fail_unless_equals_int (g_strv_length (lines), 10);
  for (i = 0; i < 10; i++) {
    gchar *head = g_strdup_printf ("%u|frame-%03u|", i, i);

    fail_unless (g_str_has_prefix (lines[i], head), "%s", lines[i]);
    g_free (head);
  }
  g_strfreev (lines);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  helper_stop ();
}

GST_END_TEST;

/* The other box's own topic is pipeline-owned: producing into it fails
 * with the broker's refusal, reported by librdkafka. */
GST_START_TEST (test_produce_into_owned_topic_fails)
{
  GstAppSrc *src;
  GstElement *pipeline;
  gchar *err;

  helper_start ();
  pipeline = producer_pipeline (helper_port, "own",
      "message-timeout-ms=20000", &src);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  push_frame (src, 0);
  gst_app_src_end_of_stream (src);
  err = run_to_end (pipeline);
  fail_unless (err != NULL, "producing into a pipeline-owned topic worked");
  fail_unless (strstr (err, "authorization failed") != NULL, "%s", err);
  g_free (err);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  helper_stop ();
}

GST_END_TEST;

/* A port nobody listens on: bound, read back, closed. */
static guint
closed_port (void)
{
  struct sockaddr_in addr = { 0, };
  socklen_t len = sizeof (addr);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint port;

  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
  port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

GST_START_TEST (test_unreachable_cluster_is_an_error)
{
  GstAppSrc *src;
  GstElement *pipeline;
  gchar *err;
  guint i;

  pipeline = producer_pipeline (closed_port (), "nowhere",
      "message-timeout-ms=1500", &src);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 3; i++)
    push_frame (src, i);
  gst_app_src_end_of_stream (src);
  err = run_to_end (pipeline);
  fail_unless (err != NULL, "EOS although nothing could be delivered");
  /* librdkafka's own reason reaches the application. */
  fail_unless (strstr (err, "Message timed out") != NULL, "%s", err);
  g_free (err);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- Raw Produce v3 against the ingest broker ---- */

static void
put_be (GByteArray * a, guint64 v, guint bytes)
{
  guint8 b[8];
  guint i;

  for (i = 0; i < bytes; i++)
    b[i] = (guint8) (v >> (8 * (bytes - 1 - i)));
  g_byte_array_append (a, b, bytes);
}

static gboolean
read_all (int fd, guint8 * buf, gsize len)
{
  gsize got = 0;

  while (got < len) {
    ssize_t n = read (fd, buf + got, len - got);

    if (n <= 0)
      return FALSE;
    got += n;
  }
  return TRUE;
}

/* Sends one Produce v3 (acks=1) of @batch into @topic and returns the
 * partition's error code and base offset from the response. */
static gint16
raw_produce (const gchar * topic, const GByteArray * batch,
    gint64 * base_offset)
{
  struct sockaddr_in addr = { 0, };
  struct timeval tv = { 10, 0 };
  GByteArray *req = g_byte_array_new ();
  guint8 size_buf[4], *resp;
  gsize tlen = strlen (topic), pos;
  guint32 size;
  gint16 code;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  put_be (req, 0, 4);           /* size, set below */
  put_be (req, 0, 2);           /* Produce */
  put_be (req, 3, 2);
  put_be (req, 42, 4);          /* correlation id */
  put_be (req, 4, 2);
  g_byte_array_append (req, (const guint8 *) "test", 4);
  put_be (req, 0xffff, 2);      /* null transactional id */
  put_be (req, 1, 2);           /* acks */
  put_be (req, 10000, 4);
  put_be (req, 1, 4);
  put_be (req, tlen, 2);
  g_byte_array_append (req, (const guint8 *) topic, tlen);
  put_be (req, 1, 4);
  put_be (req, 0, 4);           /* partition 0 */
  put_be (req, batch->len, 4);
  g_byte_array_append (req, batch->data, batch->len);
  size = GUINT32_TO_BE (req->len - 4);
  memcpy (req->data, &size, 4);

  addr.sin_family = AF_INET;
  addr.sin_port = htons (helper_port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
  fail_unless (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0);
  fail_unless (write (fd, req->data, req->len) == (ssize_t) req->len);
  fail_unless (read_all (fd, size_buf, 4), "no Produce response");
  size = GST_READ_UINT32_BE (size_buf);
  resp = g_malloc (size);
  fail_unless (read_all (fd, resp, size));
  close (fd);

  /* correlation id, topic count, topic name, partition count, partition */
  fail_unless_equals_int (GST_READ_UINT32_BE (resp), 42);
  pos = 4 + 4 + 2 + tlen + 4 + 4;
  fail_unless (size >= pos + 10);
  code = (gint16) GST_READ_UINT16_BE (resp + pos);
  *base_offset = (gint64) GST_READ_UINT64_BE (resp + pos + 2);
  g_free (resp);
  g_byte_array_unref (req);
  return code;
}

static GByteArray *
encode_values (const gchar * const *values, guint n)
{
  RgRecord recs[4] = { {0,}, };
  guint i;

  for (i = 0; i < n; i++) {
    recs[i].timestamp = 1700000000000 + i;
    recs[i].value = (const guint8 *) values[i];
    recs[i].value_len = strlen (values[i]);
  }
  /* A base offset no broker would give: the broker must replace it. */
  return rg_batch_encode (77, recs, n, NULL);
}

/* Every produced batch is validated and gets the next offsets. */
GST_START_TEST (test_ingest_validates_and_assigns_offsets)
{
  const gchar *abc[] = { "a", "b", "c" }, *d[] = { "d" };
  GByteArray *b1 = encode_values (abc, 3), *b2 = encode_values (d, 1);
  GByteArray *bad = encode_values (d, 1);
  gint64 base = -2;
  gchar **lines;
  guint i;

  helper_start ();
  fail_unless_equals_int (raw_produce ("raw", b1, &base), 0);
  fail_unless_equals_int (base, 0);
  /* A flipped value byte: the CRC-32C no longer matches. */
  bad->data[bad->len - 2] ^= 0x01;
  fail_unless_equals_int (raw_produce ("raw", bad, &base), 2);
  fail_unless_equals_int (base, -1);
  /* Cut short: the batch length points past the record set. */
  g_byte_array_set_size (bad, bad->len - 5);
  fail_unless_equals_int (raw_produce ("raw", bad, &base), 2);
  fail_unless_equals_int (raw_produce ("raw", b2, &base), 0);
  fail_unless_equals_int (base, 3);
  /* The pipeline's own topic is not ingest. */
  fail_unless_equals_int (raw_produce ("own", b2, &base), 29);

  lines = kcat_read ("raw");
  fail_unless_equals_int (g_strv_length (lines), 4);
  for (i = 0; i < 4; i++) {
    gchar *head = g_strdup_printf ("%u|%c|", i, 'a' + i);

    fail_unless (g_str_has_prefix (lines[i], head), "%s", lines[i]);
    g_free (head);
  }
  g_strfreev (lines);
  g_byte_array_unref (b1);
  g_byte_array_unref (b2);
  g_byte_array_unref (bad);
  helper_stop ();
}

GST_END_TEST;

/* The record timestamp is taken as in the embedded modes: the GstRgMeta's,
 * else the timestamp/x-unix reference meta's, else the wall clock. */
GST_START_TEST (test_produce_record_timestamps)
{
  GstCaps *unix_caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  GstAppSrc *src;
  GstElement *pipeline;
  GstBuffer *buf;
  gchar **lines, *err, *want;
  gint64 before, after, wall;

  helper_start ();
  pipeline = producer_pipeline (helper_port, "stamped", "", &src);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  buf = gst_buffer_new_allocate (NULL, 4, NULL);
  gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
      1767225600123 * GST_MSECOND, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (gst_app_src_push_buffer (src, buf), GST_FLOW_OK);
  buf = gst_buffer_new_allocate (NULL, 4, NULL);
  gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
      1767225600123 * GST_MSECOND, GST_CLOCK_TIME_NONE);
  gst_buffer_add_rg_meta (buf, 0, 1767225000456, NULL);
  fail_unless_equals_int (gst_app_src_push_buffer (src, buf), GST_FLOW_OK);
  before = g_get_real_time () / 1000;
  fail_unless_equals_int (gst_app_src_push_buffer (src,
          gst_buffer_new_allocate (NULL, 4, NULL)), GST_FLOW_OK);
  gst_app_src_end_of_stream (src);
  err = run_to_end (pipeline);
  after = g_get_real_time () / 1000;
  fail_unless (err == NULL, "%s", err);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  lines = kcat_read_format ("stamped", "%o|%T\n");
  fail_unless_equals_int (g_strv_length (lines), 3);
  fail_unless_equals_string (lines[0], "0|1767225600123");
  fail_unless_equals_string (lines[1], "1|1767225000456");
  fail_unless (g_str_has_prefix (lines[2], "2|"), "%s", lines[2]);
  wall = g_ascii_strtoll (lines[2] + 2, NULL, 10);
  want = g_strdup_printf ("[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
      before, after);
  fail_unless (wall >= before && wall <= after, "%s not in %s", lines[2], want);
  g_free (want);
  g_strfreev (lines);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  gst_caps_unref (unix_caps);
  helper_stop ();
}

GST_END_TEST;

static Suite *
rgbrokersink_produce_suite (void)
{
  Suite *s = suite_create ("rgbrokersink_produce");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_produce_delivers_every_record);
  tcase_add_test (tc, test_produce_acks_0);
  tcase_add_test (tc, test_produce_into_owned_topic_fails);
  tcase_add_test (tc, test_unreachable_cluster_is_an_error);
  tcase_add_test (tc, test_ingest_validates_and_assigns_offsets);
  tcase_add_test (tc, test_produce_record_timestamps);
  return s;
}

GST_CHECK_MAIN (rgbrokersink_produce);
