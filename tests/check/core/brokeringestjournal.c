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

/* Durable ingest topics of the embedded broker (rgbrokeringest.h), over
 * sockets: a Produce with acks -1 is answered only after an fdatasync
 * covering its records returned, and its bytes are then in the journal;
 * one fdatasync answers many producers (group commit), and under
 * sync=interval a commit answers exactly the parked producers whose
 * records it covered, none early; acks 0 never
 * waits; a restarted broker reopens its topics with their offsets and
 * records; the topic limit answers POLICY_VIOLATION and creates nothing.
 *
 * The journal's system-call seam (rgjournalfiles.h) counts fdatasync
 * calls and can hold the syncer thread's ones at a gate: while the gate is
 * closed no record can become durable, so no acks -1 answer may arrive
 * (a number of calls can be let through it, one commit at a time).
 * Only the syncer thread ("rgjournal-sync") is held, never the broker's
 * loop, which would stall the test instead. */

#define _GNU_SOURCE             /* pthread_getname_np */
#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "journal/rgjournalfiles.h"
#include "record/rgbatch.h"
#include "record/rgcrc32c.h"
#include "kafkawire.h"

/* Batches larger than the journal's coalescing threshold (4 KiB) are
 * written by the append itself, so ListOffsets sees them at once even
 * while the syncer is held. */
#define BIG_VALUE 6000

/* ---- The fdatasync seam ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static gboolean gate_closed;
static guint gate_permits;              /* calls let through a closed gate */
static atomic_uint syncs_held;          /* syncer calls waiting at the gate */
static atomic_uint syncs_done;          /* fdatasync calls that returned */

static gboolean
on_syncer_thread (void)
{
  char name[32] = "";

  pthread_getname_np (pthread_self (), name, sizeof (name));
  return strcmp (name, "rgjournal-sync") == 0;
}

static int
counting_fdatasync (int fd)
{
  int r;

  if (on_syncer_thread ()) {
    pthread_mutex_lock (&gate_lock);
    if (gate_closed && gate_permits == 0) {
      atomic_fetch_add (&syncs_held, 1);
      while (gate_closed && gate_permits == 0)
        pthread_cond_wait (&gate_cond, &gate_lock);
      atomic_fetch_sub (&syncs_held, 1);
    }
    if (gate_closed)
      gate_permits--;
    pthread_mutex_unlock (&gate_lock);
  }
  r = fdatasync (fd);
  atomic_fetch_add (&syncs_done, 1);
  return r;
}

static void
gate_set (gboolean closed)
{
  pthread_mutex_lock (&gate_lock);
  gate_closed = closed;
  pthread_cond_broadcast (&gate_cond);
  pthread_mutex_unlock (&gate_lock);
}

/* Lets @n more syncer calls through the closed gate. */
static void
gate_permit (guint n)
{
  pthread_mutex_lock (&gate_lock);
  gate_permits += n;
  pthread_cond_broadcast (&gate_cond);
  pthread_mutex_unlock (&gate_lock);
}

/* Waits (bounded by attempts, not asserted on time) until a syncer call
 * is held at the gate. */
static void
wait_for_held_sync (void)
{
  guint i;

  for (i = 0; i < 5000 && atomic_load (&syncs_held) == 0; i++)
    g_usleep (1000);
  fail_unless (atomic_load (&syncs_held) > 0, "no fdatasync reached the gate");
}

static void
hooks_install (void)
{
  RgJournalSysHooks hooks = { NULL, counting_fdatasync };

  gate_set (FALSE);
  gate_permits = 0;
  atomic_store (&syncs_done, 0);
  rg_journal_set_sys_hooks (&hooks);
}

/* ---- Broker ---- */

static gchar *
make_root (void)
{
  gchar *root = g_dir_make_tmp ("rg-ingest-XXXXXX", NULL);

  fail_unless (root != NULL);
  return root;
}

static RgBroker *
start_broker (const gchar * root, RgJournalSync sync, guint max_topics)
{
  RgBrokerConfig config;
  RgBroker *broker;
  GError *error = NULL;

  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  config.ingest_location = root;
  config.ingest_journal.sync = sync;
  config.max_topics = max_topics;
  config.send_threads = 0;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

static void
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);

      rm_rf (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

/* ---- Records ---- */

/* Record i of a request: key "k<seed>-<i>", one header "h" = i as 4
 * bytes, value @value_size bytes of (seed + i + j). */
static void
fill_value (guint8 * value, gsize size, guint seed, guint i)
{
  gsize j;

  for (j = 0; j < size; j++)
    value[j] = (guint8) (seed + i + j);
}

static GByteArray *
encode_batch (guint seed, guint n, gsize value_size)
{
  RgRecord *records = g_new0 (RgRecord, n);
  RgRecordHeader *headers = g_new0 (RgRecordHeader, n);
  gchar **keys = g_new0 (gchar *, n + 1);
  guint8 *hvals = g_new0 (guint8, 4 * n);
  guint8 **values = g_new0 (guint8 *, n);
  GByteArray *batch;
  GError *error = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    keys[i] = g_strdup_printf ("k%u-%u", seed, i);
    values[i] = g_malloc (value_size);
    fill_value (values[i], value_size, seed, i);
    GST_WRITE_UINT32_BE (hvals + 4 * i, i);
    headers[i].key = "h";
    headers[i].key_len = 1;
    headers[i].value = hvals + 4 * i;
    headers[i].value_len = 4;
    records[i].timestamp = 1700000000000 + seed * 100 + i;
    records[i].key = (const guint8 *) keys[i];
    records[i].key_len = strlen (keys[i]);
    records[i].value = values[i];
    records[i].value_len = value_size;
    records[i].headers = &headers[i];
    records[i].n_headers = 1;
  }
  batch = rg_batch_encode (0, records, n, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  for (i = 0; i < n; i++)
    g_free (values[i]);
  g_free (values);
  g_free (hvals);
  g_strfreev (keys);
  g_free (headers);
  g_free (records);
  return batch;
}

/* Checks that @view is record @i of a batch encoded with @seed. */
static void
check_record (const RgRecordView * view, guint seed, guint i,
    gsize value_size)
{
  gchar *key = g_strdup_printf ("k%u-%u", seed, i);
  guint8 *value = g_malloc (value_size);
  RgRecordHeader h;

  fill_value (value, value_size, seed, i);
  fail_unless_equals_int64 (view->timestamp, 1700000000000 + seed * 100 + i);
  fail_unless (view->key_len == strlen (key)
      && memcmp (view->key, key, view->key_len) == 0);
  fail_unless_equals_uint64 (view->value_len, value_size);
  fail_unless (memcmp (view->value, value, value_size) == 0);
  fail_unless (rg_record_view_find_header (view, "h", &h));
  fail_unless_equals_int (h.value_len, 4);
  fail_unless_equals_int (GST_READ_UINT32_BE (h.value), i);
  g_free (value);
  g_free (key);
}

/* Produce v3 of one batch into @topic. */
static GByteArray *
produce_request (gint32 cid, const gchar * topic, gint16 acks, guint seed,
    guint n, gsize value_size)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  GByteArray *batch = encode_batch (seed, n, value_size);

  kw_putstr (b, NULL);             /* transactional id */
  kw_put16 (b, acks);
  kw_put32 (b, 30000);             /* timeout */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);                 /* partition */
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  return kw_request_finish (b);
}

/* The error code and base offset of a Produce v3 response of one
 * partition. */
static gint16
recv_produce (int fd, gint32 cid, gint64 * base)
{
  gsize size;
  guint8 *body = kw_recv_frame (fd, cid, &size);
  KwReader r = { body, body + size };
  gint16 code;

  kw_get (&r, 4);                  /* correlation id */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  code = kw_get (&r, 2);
  *base = kw_get (&r, 8);
  g_free (body);
  return code;
}

/* ListOffsets v1 latest of @topic: the high watermark. */
static gint64
latest_offset (int fd, const gchar * topic)
{
  GByteArray *b = kw_request_new (2, 1, 77);
  guint8 *body;
  gsize size;
  KwReader r;
  gint64 offset;

  kw_put32 (b, -1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, -1);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 77, &size);
  r.p = body;
  r.end = body + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_get (&r, 4);                  /* partition */
  fail_unless_equals_int (kw_get (&r, 2), 0);
  kw_get (&r, 8);                  /* timestamp */
  offset = kw_get (&r, 8);
  g_free (body);
  return offset;
}

/* Whether a response is waiting on @fd within @ms (an absence check: a
 * response that cannot exist yet never arrives, whatever the wait). */
static gboolean
readable_within (int fd, int ms)
{
  struct pollfd p = { fd, POLLIN, 0 };

  return poll (&p, 1, ms) > 0;
}

/* Walks every batch of every segment of the journal in @dir, checking
 * record k (in log order) against @check; returns the record count. */
typedef void (*RecordCheck) (const RgRecordView * view, guint k);

static guint
walk_journal (const gchar * dir, RecordCheck check)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  GPtrArray *logs = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i, k = 0;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".log"))
      g_ptr_array_add (logs, g_build_filename (dir, name, NULL));
  g_dir_close (d);
  g_ptr_array_sort (logs, (GCompareFunc) g_strcmp0);
  for (i = 0; i < logs->len; i++) {
    gchar *data;
    gsize len, pos = 0;

    fail_unless (g_file_get_contents (g_ptr_array_index (logs, i), &data,
            &len, NULL));
    while (pos < len) {
      RgBatchReader reader;
      RgRecordView view;
      GError *error = NULL;
      gsize size = rg_batch_validate ((guint8 *) data + pos, len - pos, NULL,
          &error);

      fail_unless (size > 0, "%s", error ? error->message : "?");
      fail_unless (rg_batch_reader_init (&reader, (guint8 *) data + pos,
              size, NULL));
      while (rg_batch_reader_next (&reader, &view, NULL)) {
        fail_unless_equals_int64 (view.offset, k);
        if (check)
          check (&view, k);
        k++;
      }
      pos += size;
    }
    g_free (data);
  }
  g_ptr_array_unref (logs);
  return k;
}

static void
check_seed7 (const RgRecordView * view, guint k)
{
  check_record (view, 7, k, 100);
}

/* ---- Tests ---- */

GST_START_TEST (test_acks_all_durable_before_ack)
{
  gchar *root = make_root ();
  gchar *dir = g_build_filename (root, "sensors", NULL);
  GPtrArray *problems = NULL;
  RgBroker *broker;
  gint64 base;
  int fd;

  hooks_install ();
  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);

  gate_set (TRUE);
  kw_send_request (fd, produce_request (1, "sensors", -1, 7, 3, 100));
  wait_for_held_sync ();
  /* Nothing is durable while the syncer is held: no answer may come. */
  fail_if (readable_within (fd, 300), "acks=-1 answered before fdatasync");
  fail_unless_equals_int (atomic_load (&syncs_done), 0);

  gate_set (FALSE);
  fail_unless_equals_int (recv_produce (fd, 1, &base), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless (atomic_load (&syncs_done) >= 1);

  /* The journal, read from its files while the broker still runs: the
   * producer's records byte for byte, at offsets 0-2, and intact. */
  fail_unless_equals_int (walk_journal (dir, check_seed7), 3);
  fail_unless (rg_journal_verify (dir, &problems, NULL));
  fail_unless_equals_int (problems->len, 0);
  g_ptr_array_unref (problems);

  /* The next batch continues the offsets. */
  kw_send_request (fd, produce_request (2, "sensors", -1, 7, 2, 100));
  fail_unless_equals_int (recv_produce (fd, 2, &base), 0);
  fail_unless_equals_int64 (base, 3);

  close (fd);
  rg_broker_release (broker);
  rg_journal_set_sys_hooks (NULL);
  rm_rf (root);
  g_free (dir);
  g_free (root);
}

GST_END_TEST;

#define GROUP_PRODUCERS 8

GST_START_TEST (test_group_commit)
{
  gchar *root = make_root ();
  int fds[GROUP_PRODUCERS], observer;
  RgBroker *broker;
  guint i, syncs;
  gint64 base, bases[GROUP_PRODUCERS];

  hooks_install ();
  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  for (i = 0; i < GROUP_PRODUCERS; i++)
    fds[i] = kw_connect (rg_broker_get_port (broker), 30);
  observer = kw_connect (rg_broker_get_port (broker), 30);

  /* The first producer's batch sends the syncer into an fdatasync held
   * at the gate; the others are appended meanwhile and all wait. */
  gate_set (TRUE);
  kw_send_request (fds[0], produce_request (1, "fleet", -1, 1, 1, BIG_VALUE));
  wait_for_held_sync ();
  for (i = 1; i < GROUP_PRODUCERS; i++)
    kw_send_request (fds[i], produce_request (1, "fleet", -1, i + 1, 1,
            BIG_VALUE));
  for (i = 0; i < 5000 && latest_offset (observer, "fleet") <
      GROUP_PRODUCERS; i++)
    g_usleep (1000);
  fail_unless_equals_int64 (latest_offset (observer, "fleet"),
      GROUP_PRODUCERS);
  for (i = 0; i < GROUP_PRODUCERS; i++)
    fail_if (readable_within (fds[i], 0), "producer %u answered early", i);
  syncs = atomic_load (&syncs_done);
  fail_unless_equals_int (syncs, 0);

  gate_set (FALSE);
  for (i = 0; i < GROUP_PRODUCERS; i++) {
    fail_unless_equals_int (recv_produce (fds[i], 1, &base), 0);
    bases[i] = base;
  }
  /* The held fdatasync covered the first batch, at most one more covered
   * the seven appended while it was held: fewer syncs than producers. */
  syncs = atomic_load (&syncs_done);
  GST_INFO ("%u fdatasync calls answered %u producers", syncs,
      GROUP_PRODUCERS);
  fail_unless (syncs >= 1 && syncs < GROUP_PRODUCERS,
      "%u fdatasync calls for %u producers", syncs, GROUP_PRODUCERS);
  for (i = 0; i < GROUP_PRODUCERS; i++)
    fail_unless_equals_int64 (bases[i], i);

  for (i = 0; i < GROUP_PRODUCERS; i++)
    close (fds[i]);
  close (observer);
  rg_broker_release (broker);
  rg_journal_set_sys_hooks (NULL);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

#define PARKED_PRODUCERS 24

/* Under sync=interval (the policy of the issue-12 benchmark), many
 * connections' Produces wait at once, and a group commit answers exactly
 * those whose records it made durable: the first producer's batch is
 * covered by an fdatasync held at the gate, the other producers' batches
 * are appended while it is held. Letting that one fdatasync through
 * answers the first producer only; the next commit, held in turn, keeps
 * every other one waiting (none is answered early); opening the gate
 * answers them all, each at the offset its batch was appended at. */
GST_START_TEST (test_interval_answers_only_durable)
{
  gchar *root = make_root ();
  int fds[PARKED_PRODUCERS], observer;
  RgBroker *broker;
  guint i;
  gint64 base;

  hooks_install ();
  broker = start_broker (root, RG_JOURNAL_SYNC_INTERVAL, 0);
  for (i = 0; i < PARKED_PRODUCERS; i++)
    fds[i] = kw_connect (rg_broker_get_port (broker), 30);
  observer = kw_connect (rg_broker_get_port (broker), 30);

  gate_set (TRUE);
  kw_send_request (fds[0], produce_request (1, "parked", -1, 1, 1,
          BIG_VALUE));
  wait_for_held_sync ();
  for (i = 1; i < PARKED_PRODUCERS; i++)
    kw_send_request (fds[i], produce_request (1, "parked", -1, i + 1, 1,
            BIG_VALUE));
  for (i = 0; i < 5000 && latest_offset (observer, "parked") <
      PARKED_PRODUCERS; i++)
    g_usleep (1000);
  fail_unless_equals_int64 (latest_offset (observer, "parked"),
      PARKED_PRODUCERS);
  for (i = 0; i < PARKED_PRODUCERS; i++)
    fail_if (readable_within (fds[i], 0), "producer %u answered early", i);

  /* The held commit covers offset 0 only. */
  gate_permit (1);
  fail_unless_equals_int (recv_produce (fds[0], 1, &base), 0);
  fail_unless_equals_int64 (base, 0);
  /* The next commit, covering the rest, is held: nobody else may be
   * answered, on any connection. */
  wait_for_held_sync ();
  fail_if (readable_within (fds[1], 100), "producer 1 answered early");
  for (i = 1; i < PARKED_PRODUCERS; i++)
    fail_if (readable_within (fds[i], 0), "producer %u answered early", i);

  gate_set (FALSE);
  for (i = 1; i < PARKED_PRODUCERS; i++) {
    fail_unless_equals_int (recv_produce (fds[i], 1, &base), 0);
    fail_unless_equals_int64 (base, i);
  }
  /* Each producer got exactly one answer. */
  for (i = 0; i < PARKED_PRODUCERS; i++)
    fail_if (readable_within (fds[i], 0), "producer %u answered twice", i);

  for (i = 0; i < PARKED_PRODUCERS; i++)
    close (fds[i]);
  close (observer);
  rg_broker_release (broker);
  rg_journal_set_sys_hooks (NULL);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

GST_START_TEST (test_acks_zero_never_waits)
{
  gchar *root = make_root ();
  RgBroker *broker;
  gint64 base;
  int fd;

  hooks_install ();
  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);

  /* Create the topic and wait for its first sync, then hold the next. */
  kw_send_request (fd, produce_request (1, "logs", -1, 1, 1, 10));
  fail_unless_equals_int (recv_produce (fd, 1, &base), 0);
  gate_set (TRUE);
  kw_send_request (fd, produce_request (2, "logs", 0, 2, 1, BIG_VALUE));
  kw_send_request (fd, produce_request (3, "logs", 0, 3, 1, BIG_VALUE));
  wait_for_held_sync ();
  /* With the syncer held, the connection is still served: acks 0 did
   * not park it, and both batches are in the log. */
  fail_unless_equals_int64 (latest_offset (fd, "logs"), 3);
  /* An acks -1 batch behind them does wait. */
  kw_send_request (fd, produce_request (4, "logs", -1, 4, 1, 10));
  fail_if (readable_within (fd, 200), "acks=-1 answered before fdatasync");
  gate_set (FALSE);
  fail_unless_equals_int (recv_produce (fd, 4, &base), 0);
  fail_unless_equals_int64 (base, 3);

  close (fd);
  rg_broker_release (broker);
  rg_journal_set_sys_hooks (NULL);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

/* Metadata v1 of every topic: the number of topics listed. */
static guint
count_topics (int fd)
{
  GByteArray *b = kw_request_new (3, 1, 55);
  guint8 *body;
  gsize size;
  KwReader r;
  guint n;

  kw_put32 (b, -1);                /* all topics */
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 55, &size);
  r.p = body;
  r.end = body + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);   /* brokers */
  kw_get (&r, 4);
  kw_skip_str (&r);
  kw_get (&r, 4);
  kw_skip_str (&r);                /* rack */
  kw_get (&r, 4);                  /* controller */
  n = kw_get (&r, 4);
  g_free (body);
  return n;
}

static void
check_seed_restart (const RgRecordView * view, guint k)
{
  /* Offsets 0-3: seed 1; 4-5: seed 2; 6: seed 3 (after the restart). */
  if (k < 4)
    check_record (view, 1, k, 50);
  else if (k < 6)
    check_record (view, 2, k - 4, 50);
  else
    check_record (view, 3, k - 6, 50);
}

GST_START_TEST (test_restart_reopens_topics)
{
  gchar *root = make_root ();
  gchar *dir = g_build_filename (root, "alpha", NULL);
  RgBroker *broker;
  gint64 base;
  int fd;

  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  kw_send_request (fd, produce_request (1, "alpha", -1, 1, 4, 50));
  fail_unless_equals_int (recv_produce (fd, 1, &base), 0);
  kw_send_request (fd, produce_request (2, "alpha", 1, 2, 2, 50));
  fail_unless_equals_int (recv_produce (fd, 2, &base), 0);
  fail_unless_equals_int64 (base, 4);
  kw_send_request (fd, produce_request (3, "beta", -1, 9, 1, 10));
  fail_unless_equals_int (recv_produce (fd, 3, &base), 0);
  close (fd);
  rg_broker_release (broker);

  /* A new broker on the same directory serves both topics at once, with
   * their offsets, before any client names them. */
  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (count_topics (fd), 2);
  fail_unless_equals_int64 (latest_offset (fd, "alpha"), 6);
  fail_unless_equals_int64 (latest_offset (fd, "beta"), 1);
  kw_send_request (fd, produce_request (4, "alpha", -1, 3, 1, 50));
  fail_unless_equals_int (recv_produce (fd, 4, &base), 0);
  fail_unless_equals_int64 (base, 6);
  fail_unless_equals_int (walk_journal (dir, check_seed_restart), 7);
  close (fd);
  rg_broker_release (broker);

  rm_rf (root);
  g_free (dir);
  g_free (root);
}

GST_END_TEST;

#define LIMIT 8
#define ATTEMPTS 10000

/* Produces one record into each of ATTEMPTS random names: LIMIT are
 * created, every other gets POLICY_VIOLATION, and the broker holds
 * exactly LIMIT topics (and journals) afterwards. */
static void
check_topic_limit (const gchar * root)
{
  RgBroker *broker = start_broker (root, RG_JOURNAL_SYNC_NONE, LIMIT);
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  guint i, created = 0, refused = 0;
  GRand *rand = g_rand_new_with_seed (12);

  for (i = 0; i < ATTEMPTS; i++) {
    gchar *name = g_strdup_printf ("t%08x%u", g_rand_int (rand), i);
    gint64 base;
    gint16 code;

    kw_send_request (fd, produce_request (i, name, 1, i, 1, 10));
    code = recv_produce (fd, i, &base);
    if (code == 0)
      created++;
    else if (code == 44)
      refused++;
    else
      fail ("unexpected error %d for topic %s", code, name);
    g_free (name);
  }
  fail_unless_equals_int (created, LIMIT);
  fail_unless_equals_int (refused, ATTEMPTS - LIMIT);
  fail_unless_equals_int (count_topics (fd), LIMIT);
  g_rand_free (rand);
  close (fd);
  rg_broker_release (broker);
}

static guint
count_entries (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

GST_START_TEST (test_topic_limit)
{
  gchar *root = make_root ();

  check_topic_limit (root);
  fail_unless_equals_int (count_entries (root), LIMIT);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

GST_START_TEST (test_topic_limit_metadata)
{
  gchar *root = make_root ();
  RgBroker *broker = start_broker (root, RG_JOURNAL_SYNC_NONE, 1);
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  GByteArray *b;
  guint8 *body;
  gsize size;
  KwReader r;
  gint64 base;

  kw_send_request (fd, produce_request (1, "first", 1, 1, 1, 10));
  fail_unless_equals_int (recv_produce (fd, 1, &base), 0);
  /* Metadata v1 naming a new topic past the limit: error 44 for it. */
  b = kw_request_new (3, 1, 2);
  kw_put32 (b, 1);
  kw_putstr (b, "second");
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 2, &size);
  r.p = body;
  r.end = body + size;
  kw_get (&r, 4);
  kw_get (&r, 4);
  kw_get (&r, 4);
  kw_skip_str (&r);
  kw_get (&r, 4);
  kw_skip_str (&r);
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 2), 44);
  g_free (body);
  fail_unless_equals_int (count_entries (root), 1);
  close (fd);
  rg_broker_release (broker);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

/* CreateTopics v0 of one topic (one partition, one replica): the error
 * code. */
static gint16
create_topic (int fd, gint32 cid, const gchar * name)
{
  GByteArray *b = kw_request_new (19, 0, cid);
  guint8 *body;
  gsize size;
  KwReader r;
  gint16 code;

  kw_put32 (b, 1);
  kw_putstr (b, name);
  kw_put32 (b, 1);                 /* partitions */
  kw_put16 (b, 1);                 /* replication */
  kw_put32 (b, 0);                 /* assignments */
  kw_put32 (b, 0);                 /* configs */
  kw_put32 (b, 5000);              /* timeout */
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, cid, &size);
  r.p = body;
  r.end = body + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  code = kw_get (&r, 2);
  g_free (body);
  return code;
}

/* DeleteTopics v0 of one topic: the error code. */
static gint16
delete_topic (int fd, gint32 cid, const gchar * name)
{
  GByteArray *b = kw_request_new (20, 0, cid);
  guint8 *body;
  gsize size;
  KwReader r;
  gint16 code;

  kw_put32 (b, 1);
  kw_putstr (b, name);
  kw_put32 (b, 5000);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, cid, &size);
  r.p = body;
  r.end = body + size;
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  code = kw_get (&r, 2);
  g_free (body);
  return code;
}

/* CreateTopics makes a durable topic (its journal exists at once) and
 * counts against the limit; DeleteTopics removes its journal, so a
 * restarted broker does not serve it again. */
GST_START_TEST (test_create_delete_durable)
{
  gchar *root = make_root ();
  gchar *made = g_build_filename (root, "made", NULL);
  RgBroker *broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 2);
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  gint64 base;

  fail_unless_equals_int (create_topic (fd, 1, "made"), 0);
  fail_unless (g_file_test (made, G_FILE_TEST_IS_DIR));
  kw_send_request (fd, produce_request (2, "made", -1, 5, 2, 10));
  fail_unless_equals_int (recv_produce (fd, 2, &base), 0);
  kw_send_request (fd, produce_request (3, "kept", -1, 6, 1, 10));
  fail_unless_equals_int (recv_produce (fd, 3, &base), 0);
  /* Two topics: the limit. */
  fail_unless_equals_int (create_topic (fd, 4, "third"), 44);
  fail_unless_equals_int (create_topic (fd, 5, "made"), 36);

  fail_unless_equals_int (delete_topic (fd, 6, "made"), 0);
  fail_if (g_file_test (made, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (count_entries (root), 1);
  /* The slot is free again. */
  fail_unless_equals_int (create_topic (fd, 7, "third"), 0);
  close (fd);
  rg_broker_release (broker);

  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 2);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (count_topics (fd), 2);
  fail_unless_equals_int64 (latest_offset (fd, "kept"), 1);
  close (fd);
  rg_broker_release (broker);
  rm_rf (root);
  g_free (made);
  g_free (root);
}

GST_END_TEST;

/* Produce v3, acks -1, of one batch of @n records of an idempotent
 * producer (@pid, epoch 0, base sequence @seq) into @topic. */
static GByteArray *
idempotent_request (gint32 cid, const gchar * topic, gint64 pid, gint32 seq,
    guint n)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  GByteArray *batch = encode_batch (seq, n, 20);

  /* Producer id, epoch and base sequence are inside the CRC. */
  GST_WRITE_UINT64_BE (batch->data + 43, pid);
  GST_WRITE_UINT16_BE (batch->data + 51, 0);
  GST_WRITE_UINT32_BE (batch->data + 53, seq);
  GST_WRITE_UINT32_BE (batch->data + RG_BATCH_CRC_OFFSET,
      rg_crc32c (0, batch->data + RG_BATCH_CRC_START,
          batch->len - RG_BATCH_CRC_START));
  kw_putstr (b, NULL);
  kw_put16 (b, -1);
  kw_put32 (b, 30000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  return kw_request_finish (b);
}

/* An idempotent producer's retries across a restart are acknowledged at
 * their first offset and not appended again: the sequence state is
 * rebuilt from the journal (a first batch, sequence 0, would otherwise
 * look new). */
GST_START_TEST (test_idempotent_replay_after_restart)
{
  gchar *root = make_root ();
  RgBroker *broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  const gint64 pid = 4242000;
  gint64 base;

  kw_send_request (fd, idempotent_request (1, "idem", pid, 0, 2));
  fail_unless_equals_int (recv_produce (fd, 1, &base), 0);
  fail_unless_equals_int64 (base, 0);
  kw_send_request (fd, idempotent_request (2, "idem", pid, 2, 1));
  fail_unless_equals_int (recv_produce (fd, 2, &base), 0);
  fail_unless_equals_int64 (base, 2);
  close (fd);
  rg_broker_release (broker);

  broker = start_broker (root, RG_JOURNAL_SYNC_ALWAYS, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  kw_send_request (fd, idempotent_request (3, "idem", pid, 0, 2));
  fail_unless_equals_int (recv_produce (fd, 3, &base), 0);
  fail_unless_equals_int64 (base, 0);
  kw_send_request (fd, idempotent_request (4, "idem", pid, 2, 1));
  fail_unless_equals_int (recv_produce (fd, 4, &base), 0);
  fail_unless_equals_int64 (base, 2);
  fail_unless_equals_int64 (latest_offset (fd, "idem"), 3);
  /* The next batch continues the sequence. */
  kw_send_request (fd, idempotent_request (5, "idem", pid, 3, 1));
  fail_unless_equals_int (recv_produce (fd, 5, &base), 0);
  fail_unless_equals_int64 (base, 3);
  fail_unless_equals_int64 (latest_offset (fd, "idem"), 4);
  close (fd);
  rg_broker_release (broker);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

static Suite *
brokeringestjournal_suite (void)
{
  Suite *s = suite_create ("brokeringestjournal");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_acks_all_durable_before_ack);
  tcase_add_test (tc, test_group_commit);
  tcase_add_test (tc, test_interval_answers_only_durable);
  tcase_add_test (tc, test_acks_zero_never_waits);
  tcase_add_test (tc, test_restart_reopens_topics);
  tcase_add_test (tc, test_topic_limit);
  tcase_add_test (tc, test_topic_limit_metadata);
  tcase_add_test (tc, test_create_delete_durable);
  tcase_add_test (tc, test_idempotent_replay_after_restart);
  return s;
}

GST_CHECK_MAIN (brokeringestjournal);
