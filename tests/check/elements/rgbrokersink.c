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

/* Element tests of rgbrokersink: properties, the shared broker, stats and
 * signals. The records themselves are read by real Kafka clients in
 * broker_clients.py and by raw sockets in core/broker.c. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <glib/gstdio.h>

#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "../core/kafkawire.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int
connect_to (guint port)
{
  struct sockaddr_in sin = { 0, };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0,
      "connect: %s", g_strerror (errno));
  return fd;
}

static guint
bound_port (GstElement * sink)
{
  guint port = 0;

  g_object_get (sink, "bound-port", &port, NULL);
  return port;
}

static GstStructure *
get_stats (GstElement * sink)
{
  GstStructure *s = NULL;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (s != NULL);
  return s;
}

static guint64
stat_u64 (GstElement * sink, const gchar * field)
{
  GstStructure *s = get_stats (sink);
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

static GstHarness *
harness_new (const gchar * desc)
{
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h;

  /* One element: gst_parse_launch() returns it, not a bin. */
  fail_unless (element != NULL && !GST_IS_BIN (element));
  h = gst_harness_new_with_element (element, "sink", NULL);
  gst_object_unref (element);

  gst_harness_set_src_caps_str (h, "application/x-test");
  gst_harness_play (h);
  return h;
}

static void
push (GstHarness * h, guint i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100 + i, NULL);

  gst_buffer_memset (buf, 0, (guint8) i, 100 + i);
  GST_BUFFER_PTS (buf) = i * GST_MSECOND;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

GST_START_TEST (test_defaults)
{
  GstElement *sink = gst_element_factory_make ("rgbrokersink", "cam7");
  gchar *host = NULL, *topic = NULL;
  guint port, ring;
  gint send_threads;

  fail_unless (sink != NULL);
  g_object_get (sink, "host", &host, "port", &port, "topic", &topic,
      "ring-size", &ring, "send-threads", &send_threads, NULL);
  /* -1: one fewer than the cores, decided when the broker starts. */
  fail_unless_equals_int (send_threads, -1);
  fail_unless_equals_string (host, "127.0.0.1");
  fail_unless_equals_int (port, 9092);
  /* The topic defaults to the element's name. */
  fail_unless_equals_string (topic, "cam7");
  fail_unless_equals_int (ring, 256);
  fail_unless_equals_int (bound_port (sink), 0);
  g_free (host);
  g_free (topic);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_ring_and_stats)
{
  GstHarness *h = harness_new ("rgbrokersink port=0 topic=t ring-size=4");
  guint i;

  fail_unless (bound_port (h->element) > 0);
  for (i = 0; i < 10; i++)
    push (h, i);
  fail_unless_equals_uint64 (stat_u64 (h->element, "records-appended"), 10);
  fail_unless_equals_uint64 (stat_u64 (h->element, "high-watermark"), 10);
  /* Only the last four are kept. */
  fail_unless_equals_uint64 (stat_u64 (h->element, "log-start-offset"), 6);
  fail_unless_equals_uint64 (stat_u64 (h->element, "fetches"), 0);
  fail_unless_equals_uint64 (stat_u64 (h->element, "parallel-sends"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Two sinks naming the same port share one broker, with their own topics;
 * a third with a topic already served fails to start with an error. */
GST_START_TEST (test_shared_broker)
{
  GstHarness *a = harness_new ("rgbrokersink port=0 topic=one");
  guint port = bound_port (a->element);
  gchar *desc = g_strdup_printf ("rgbrokersink port=%u topic=two", port);
  gchar *dup = g_strdup_printf ("rgbrokersink port=%u topic=one", port);
  GstHarness *b = harness_new (desc);
  GstElement *c = gst_parse_launch (dup, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  fail_unless_equals_int (bound_port (b->element), port);
  push (a, 0);
  push (b, 0);
  push (b, 1);
  fail_unless_equals_uint64 (stat_u64 (a->element, "high-watermark"), 1);
  fail_unless_equals_uint64 (stat_u64 (b->element, "high-watermark"), 2);

  gst_element_set_bus (c, bus);
  fail_unless_equals_int (gst_element_set_state (c, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_state (c, GST_STATE_NULL);
  gst_element_set_bus (c, NULL);
  gst_object_unref (bus);
  gst_object_unref (c);

  /* The broker outlives the first sink while the second uses it. */
  gst_harness_teardown (a);
  {
    int fd = connect_to (port);
    close (fd);
  }
  gst_harness_teardown (b);
  g_free (desc);
  g_free (dup);
}

GST_END_TEST;

GST_START_TEST (test_port_in_use_is_an_error)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = { 0, };
  socklen_t len = sizeof (sin);
  GstElement *sink = gst_element_factory_make ("rgbrokersink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  /* A port another socket of this process holds (not a broker). */
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0);
  fail_unless (listen (fd, 1) == 0);
  getsockname (fd, (struct sockaddr *) &sin, &len);
  g_object_set (sink, "port", (guint) ntohs (sin.sin_port), NULL);
  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "Could not start the Kafka broker"));
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  close (fd);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GCond cond;
  gint added;
  gint removed;
  guint64 last_id;
} Clients;

static void
on_added (GstElement * sink, guint64 id, const gchar * address, Clients * c)
{
  g_mutex_lock (&c->lock);
  fail_unless (g_str_has_prefix (address, "127.0.0.1:"));
  c->added++;
  c->last_id = id;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

static void
on_removed (GstElement * sink, guint64 id, const gchar * address,
    Clients * c)
{
  g_mutex_lock (&c->lock);
  fail_unless_equals_uint64 (id, c->last_id);
  c->removed++;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

GST_START_TEST (test_client_signals)
{
  GstHarness *h = harness_new ("rgbrokersink port=0 topic=sig");
  Clients c = { 0, };
  GstStructure *s;
  guint conns = 0;
  int fd;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  g_signal_connect (h->element, "client-added", G_CALLBACK (on_added), &c);
  g_signal_connect (h->element, "client-removed", G_CALLBACK (on_removed),
      &c);

  fd = connect_to (bound_port (h->element));
  g_mutex_lock (&c.lock);
  while (c.added < 1)
    g_cond_wait (&c.cond, &c.lock);
  g_mutex_unlock (&c.lock);
  s = get_stats (h->element);
  gst_structure_get_uint (s, "connections", &conns);
  fail_unless_equals_int (conns, 1);
  gst_structure_free (s);

  close (fd);
  g_mutex_lock (&c.lock);
  while (c.removed < 1)
    g_cond_wait (&c.cond, &c.lock);
  g_mutex_unlock (&c.lock);
  fail_unless_equals_int (c.added, 1);
  fail_unless_equals_int (c.removed, 1);

  gst_harness_teardown (h);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
}

GST_END_TEST;

/* With a location the buffers go to a journal (durable at EOS) and the
 * topic's range is the journal's. */
GST_START_TEST (test_journal_backed)
{
  gchar *dir = g_dir_make_tmp ("rg-brokersink-XXXXXX", NULL);
  gchar *desc = g_strdup_printf ("rgbrokersink port=0 topic=j location=%s",
      dir);
  GstHarness *h = harness_new (desc);
  RgJournalReader *reader;
  RgJournalRecord rec = { 0, };
  const gchar *name;
  GDir *d;
  guint i;

  for (i = 0; i < 5; i++)
    push (h, i);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (stat_u64 (h->element, "high-watermark"), 5);
  fail_unless_equals_uint64 (stat_u64 (h->element, "log-start-offset"), 0);

  reader = rg_journal_reader_open (dir, NULL);
  fail_unless (reader != NULL);
  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (rg_journal_reader_next (reader, &rec, FALSE, -1,
            NULL), RG_JOURNAL_READ_OK);
    fail_unless_equals_uint64 (rec.offset, i);
    fail_unless_equals_uint64 (gst_buffer_get_size (rec.buffer), 100 + i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (rec.buffer), i * GST_MSECOND);
    rg_journal_record_clear (&rec);
  }
  rg_journal_reader_free (reader);
  gst_harness_teardown (h);

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
  g_free (desc);
}

GST_END_TEST;

/* The error code Metadata v1 gives @topic on the broker at @port, and in
 * @n_partitions (nullable) how many partitions it lists; naming a topic
 * creates it as an ingest topic when the broker accepts ingest and no
 * element reserved the name. */
static gint16
metadata_answer (guint port, const gchar * topic, guint32 * n_partitions)
{
  int fd = connect_to (port);
  GByteArray *b = g_byte_array_new ();
  guint8 hdr[14] = { 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff };
  guint8 buf[4096], len2[2];
  gsize n = 0, pos;
  guint32 count, i;
  gint16 code;

  g_byte_array_append (b, hdr, sizeof (hdr));
  g_byte_array_append (b, (const guint8 *) "\0\0\0\1", 4);
  GST_WRITE_UINT16_BE (len2, strlen (topic));
  g_byte_array_append (b, len2, 2);
  g_byte_array_append (b, (const guint8 *) topic, strlen (topic));
  GST_WRITE_UINT32_BE (b->data, b->len - 4);
  fail_unless (send (fd, b->data, b->len, 0) == (ssize_t) b->len);
  g_byte_array_unref (b);
  while (n < 4 || n < 4 + GST_READ_UINT32_BE (buf)) {
    ssize_t r = recv (fd, buf + n, sizeof (buf) - n, 0);
    fail_unless (r > 0, "metadata: no answer");
    n += r;
  }
  close (fd);
  /* Size, correlation id, then the brokers: node, host, port, rack. */
  fail_unless_equals_int (GST_READ_UINT32_BE (buf + 4), 9);
  pos = 8;
  count = GST_READ_UINT32_BE (buf + pos);
  pos += 4;
  for (i = 0; i < count; i++) {
    gint16 rack_len;

    pos += 4;
    pos += 2 + GST_READ_UINT16_BE (buf + pos);
    pos += 4;
    rack_len = GST_READ_UINT16_BE (buf + pos);
    pos += 2 + MAX (rack_len, 0);
  }
  /* Controller id, one topic: its error code. */
  pos += 4;
  fail_unless_equals_int (GST_READ_UINT32_BE (buf + pos), 1);
  code = GST_READ_UINT16_BE (buf + pos + 4);
  /* Then its name, is-internal and partition count. */
  pos += 6;
  pos += 2 + GST_READ_UINT16_BE (buf + pos) + 1;
  fail_unless (pos + 4 <= n);
  if (n_partitions)
    *n_partitions = GST_READ_UINT32_BE (buf + pos);
  return code;
}

static gint16
metadata_error (guint port, const gchar * topic)
{
  return metadata_answer (port, topic, NULL);
}

/* A sink's configured topic is reserved on its broker as soon as it is
 * set, before any broker of the pipeline serves: a client naming it on a
 * broker that accepts ingest (started by another sink) does not take it,
 * and the sink starts later. A sink whose name a client took first fails
 * with a message that says so (not "served by another element"). */
GST_START_TEST (test_topic_reserved_from_configuration)
{
  guint port = kw_free_port ();
  GstElement *cam = gst_element_factory_make ("rgbrokersink", NULL);
  GstElement *late = gst_element_factory_make ("rgbrokersink", NULL);
  gchar *desc = g_strdup_printf ("rgbrokersink port=%u topic=in ingest=true",
      port);
  GstBus *bus = gst_bus_new ();
  GstHarness *ingest;
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (cam, "port", port, "topic", "cam", NULL);
  ingest = harness_new (desc);
  fail_unless_equals_int (bound_port (ingest->element), port);
  /* Reserved: the client's Metadata does not create it. */
  fail_unless_equals_int (metadata_error (port, "cam"), 3);
  fail_unless_equals_int (gst_element_set_state (cam, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64 (stat_u64 (cam, "high-watermark"), 0);
  fail_unless_equals_int (metadata_error (port, "cam"), 0);

  fail_unless_equals_int (metadata_error (port, "late"), 0);
  g_object_set (late, "port", port, "topic", "late", NULL);
  gst_element_set_bus (late, bus);
  fail_unless_equals_int (gst_element_set_state (late, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "created by a Kafka client") != NULL,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (late, GST_STATE_NULL);
  gst_element_set_bus (late, NULL);
  gst_element_set_state (cam, GST_STATE_NULL);
  gst_harness_teardown (ingest);
  gst_object_unref (late);
  gst_object_unref (cam);
  gst_object_unref (bus);
  g_free (desc);
}

GST_END_TEST;

/* ingest-partitions reaches the broker: a topic a client creates has that
 * many partitions, the sink's own topic one. */
GST_START_TEST (test_ingest_partitions)
{
  guint port = kw_free_port ();
  GstElement *plain = gst_element_factory_make ("rgbrokersink", NULL);
  gchar *desc = g_strdup_printf ("rgbrokersink port=%u topic=in ingest=true "
      "ingest-partitions=3", port);
  GstHarness *h;
  guint partitions = 0;
  guint32 listed = 0;

  g_object_get (plain, "ingest-partitions", &partitions, NULL);
  fail_unless_equals_int (partitions, 1);
  gst_object_unref (plain);

  h = harness_new (desc);
  g_object_get (h->element, "ingest-partitions", &partitions, NULL);
  fail_unless_equals_int (partitions, 3);
  fail_unless_equals_int (metadata_answer (port, "made", &listed), 0);
  fail_unless_equals_int (listed, 3);
  fail_unless_equals_int (metadata_answer (port, "in", &listed), 0);
  fail_unless_equals_int (listed, 1);
  gst_harness_teardown (h);
  g_free (desc);
}

GST_END_TEST;

/* auto-create-topics=false reaches the broker: a name a client asks for
 * is not created (UNKNOWN_TOPIC_OR_PARTITION); by default it is. */
GST_START_TEST (test_auto_create_topics)
{
  guint port = kw_free_port ();
  GstElement *plain = gst_element_factory_make ("rgbrokersink", NULL);
  gchar *desc = g_strdup_printf ("rgbrokersink port=%u topic=in ingest=true "
      "auto-create-topics=false", port);
  gboolean auto_create = FALSE;
  GstHarness *h;

  g_object_get (plain, "auto-create-topics", &auto_create, NULL);
  fail_unless (auto_create);
  gst_object_unref (plain);

  h = harness_new (desc);
  g_object_get (h->element, "auto-create-topics", &auto_create, NULL);
  fail_unless (!auto_create);
  fail_unless_equals_int (metadata_error (port, "made"), 3);
  fail_unless_equals_int (metadata_error (port, "made"), 3);
  /* The sink's own topic is served as ever. */
  fail_unless_equals_int (metadata_error (port, "in"), 0);
  gst_harness_teardown (h);
  g_free (desc);
}

GST_END_TEST;

/* busy-poll: off by default, read back as set, and a broker that polls
 * serves its topic as one that sleeps (the polling path of the loop). */
GST_START_TEST (test_busy_poll)
{
  guint port = kw_free_port ();
  GstElement *plain = gst_element_factory_make ("rgbrokersink", NULL);
  gchar *desc = g_strdup_printf ("rgbrokersink port=%u topic=in ingest=true "
      "busy-poll=200", port);
  guint busy_poll = 1;
  GstHarness *h;

  g_object_get (plain, "busy-poll", &busy_poll, NULL);
  fail_unless_equals_int (busy_poll, 0);
  gst_object_unref (plain);

  h = harness_new (desc);
  g_object_get (h->element, "busy-poll", &busy_poll, NULL);
  fail_unless_equals_int (busy_poll, 200);
  fail_unless_equals_int (metadata_error (port, "in"), 0);
  fail_unless_equals_int (metadata_error (port, "in"), 0);
  gst_harness_teardown (h);
  g_free (desc);
}

GST_END_TEST;

static Suite *
rgbrokersink_suite (void)
{
  Suite *s = suite_create ("rgbrokersink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_ring_and_stats);
  tcase_add_test (tc, test_shared_broker);
  tcase_add_test (tc, test_port_in_use_is_an_error);
  tcase_add_test (tc, test_client_signals);
  tcase_add_test (tc, test_journal_backed);
  tcase_add_test (tc, test_topic_reserved_from_configuration);
  tcase_add_test (tc, test_ingest_partitions);
  tcase_add_test (tc, test_auto_create_topics);
  tcase_add_test (tc, test_busy_poll);
  return s;
}

GST_CHECK_MAIN (rgbrokersink);
