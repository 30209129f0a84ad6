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
 * rg-bench-ingest: Kafka producers into the embedded broker, at scale.
 *
 *   rg-bench-ingest --mode=scale [--connections=N] [--rate=R] [--batch=B]
 *                   [--window=W] [--topics=T] [--sync-interval-ms=I]
 *                   [--seconds=S] [--dir=DIR]
 *   rg-bench-ingest --mode=single [--batch=B] [--window=W] [--rounds=K]
 *                   [--seconds=S] [--busy-poll=US]
 *
 * The load generator is this process: one thread, raw sockets and epoll,
 * and its own minimal Produce v3 encoder (request header v1, one topic,
 * partition 0, one RecordBatch v2 of B records, each a keyless 100 B value;
 * CRC-32C from the project's record helpers). A librdkafka instance per
 * connection would be too heavy for 10,000 connections on 2 cores: each
 * starts several threads and a few MiB of buffers.
 *
 * The server runs in a child process, so that the CPU time of each side
 * (/proc/<pid>/stat of the child, getrusage of this process) and the
 * broker's resident set are measured apart. On the machine these figures
 * are from, both share the same 2 cores: the generator's CPU time is
 * reported beside the rate for that reason.
 *
 * scale: N connections produce into T journal-backed ingest topics
 *   (config.ingest_location set, sync policy "interval" every I ms) with
 *   acks=-1. With R > 0 the load is open loop: the k-th request of the run
 *   is due at k x B / R seconds and goes to connection k mod N, so the
 *   aggregate offered rate is R records/s whatever the broker does; a
 *   request that finds its connection with W requests in flight waits in
 *   the generator, and its latency still counts from the time it was due
 *   (no coordinated omission). R = 0 is closed loop: every connection
 *   keeps W requests in flight, which measures the most the broker takes.
 *   The broker allows any number of connections per address (all come
 *   from 127.0.0.1 here).
 *
 * single: one connection, acks=1, closed loop with W requests in flight,
 *   into (A) a memory ingest topic of the broker and (B) a raw TCP sink:
 *   a plain socket server that reads the same request frames and answers
 *   each with a Produce v3 response of the same size, checking and
 *   storing nothing. A and B alternate over K rounds. The raw sink is the
 *   limit the loopback transport allows with the same bytes on the wire,
 *   the same batching and the same acknowledgements.
 *
 * Acknowledgement latency is from the time a request was due (open loop)
 * or written (closed loop) to the time its whole response was read. Rates
 * count the records whose responses arrived inside the measured window,
 * which starts one second after the load does.
 */

#include <gst/gst.h>
#include "rgbench.h"
#include "broker/rgbroker.h"
#include "record/rgcrc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define VALUE_BYTES 100
/* Requests a connection may have due but not yet answered. */
#define SCHED_RING 64
#define WARMUP_US G_USEC_PER_SEC
#define DRAIN_US (10 * G_USEC_PER_SEC)

static gchar *mode = NULL;
static gint n_conns = 10000;
static gdouble rate = 100000;
static gint batch = 10;
static gint window = 1;
static gint n_topics = 1;
static gint sync_ms = 10;
static gint seconds = 10;
static gint rounds = 3;
static gint busy_poll_us = 0;
static gchar *dir = NULL;

/* ---- Produce v3: one request template per topic ---- */

typedef struct
{
  guint8 *bytes;
  gsize len;
  gsize corr_at;                /* correlation id */
  gsize batch_at;               /* start of the RecordBatch */
  gsize batch_len;
} Request;

static void
put16 (GByteArray * b, gint16 v)
{
  guint16 n = GUINT16_TO_BE ((guint16) v);
  g_byte_array_append (b, (guint8 *) & n, 2);
}

static void
put32 (GByteArray * b, gint32 v)
{
  guint32 n = GUINT32_TO_BE ((guint32) v);
  g_byte_array_append (b, (guint8 *) & n, 4);
}

static void
put64 (GByteArray * b, gint64 v)
{
  guint64 n = GUINT64_TO_BE ((guint64) v);
  g_byte_array_append (b, (guint8 *) & n, 8);
}

static void
put_string (GByteArray * b, const gchar * s)
{
  put16 (b, (gint16) strlen (s));
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

/* Zigzag varint, as Kafka's record fields are encoded. */
static void
put_varint (GByteArray * b, gint64 v)
{
  guint64 z = ((guint64) v << 1) ^ (guint64) (v >> 63);

  do {
    guint8 byte = z & 0x7f;

    z >>= 7;
    if (z)
      byte |= 0x80;
    g_byte_array_append (b, &byte, 1);
  } while (z);
}

static void
set32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, 4);
}

static void
set64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_BE (v);
  memcpy (p, &v, 8);
}

/* A RecordBatch v2 of @n keyless records of VALUE_BYTES each; the CRC and
 * timestamps are set per send (request_stamp). */
static void
put_batch (GByteArray * b, gint n)
{
  guint8 value[VALUE_BYTES];
  gsize start = b->len;
  gint i;

  memset (value, 'v', sizeof (value));
  put64 (b, 0);                 /* baseOffset */
  put32 (b, 0);                 /* batchLength, below */
  put32 (b, -1);                /* partitionLeaderEpoch */
  g_byte_array_append (b, (const guint8 *) "\2", 1);    /* magic */
  put32 (b, 0);                 /* crc, per send */
  put16 (b, 0);                 /* attributes: no compression */
  put32 (b, n - 1);             /* lastOffsetDelta */
  put64 (b, 0);                 /* firstTimestamp, per send */
  put64 (b, 0);                 /* maxTimestamp, per send */
  put64 (b, -1);                /* producerId: not idempotent */
  put16 (b, -1);                /* producerEpoch */
  put32 (b, -1);                /* baseSequence */
  put32 (b, n);
  for (i = 0; i < n; i++) {
    GByteArray *r = g_byte_array_new ();
    guint8 zero = 0;

    g_byte_array_append (r, &zero, 1);  /* attributes */
    put_varint (r, 0);          /* timestampDelta */
    put_varint (r, i);          /* offsetDelta */
    put_varint (r, -1);         /* key: null */
    put_varint (r, VALUE_BYTES);
    g_byte_array_append (r, value, VALUE_BYTES);
    put_varint (r, 0);          /* headers */
    put_varint (b, r->len);
    g_byte_array_append (b, r->data, r->len);
    g_byte_array_free (r, TRUE);
  }
  set32 (b->data + start + 8, b->len - start - 12);
}

static Request *
request_new (const gchar * topic, gint16 acks, gint n_records)
{
  GByteArray *b = g_byte_array_new ();
  Request *req = g_new0 (Request, 1);
  gsize records_at;

  put32 (b, 0);                 /* size, below */
  put16 (b, 0);                 /* Produce */
  put16 (b, 3);
  req->corr_at = b->len;
  put32 (b, 0);
  put_string (b, "rg-bench-ingest");
  put16 (b, -1);                /* transactional_id: null */
  put16 (b, acks);
  put32 (b, 30000);             /* timeout_ms */
  put32 (b, 1);
  put_string (b, topic);
  put32 (b, 1);
  put32 (b, 0);                 /* partition */
  records_at = b->len;
  put32 (b, 0);                 /* records size, below */
  req->batch_at = b->len;
  put_batch (b, n_records);
  req->batch_len = b->len - req->batch_at;
  set32 (b->data + records_at, req->batch_len);
  set32 (b->data, b->len - 4);
  req->len = b->len;
  req->bytes = g_byte_array_free (b, FALSE);
  return req;
}

/* Sets the correlation id, the timestamps and the CRC of the next send. */
static void
request_stamp (Request * req, gint32 corr)
{
  guint8 *batch_p = req->bytes + req->batch_at;
  gint64 now_ms = g_get_real_time () / 1000;

  set32 (req->bytes + req->corr_at, corr);
  set64 (batch_p + 27, now_ms);
  set64 (batch_p + 35, now_ms);
  /* The CRC covers everything from the attributes to the end. */
  set32 (batch_p + 17, rg_crc32c (0, batch_p + 21, req->batch_len - 21));
}

/* ---- The servers, each in a child process ---- */

typedef enum
{
  SERVER_JOURNAL,
  SERVER_MEMORY,
  SERVER_RAW,
} ServerKind;

typedef struct
{
  pid_t pid;
  int control;                  /* closing it stops the child */
  guint16 port;
} Server;

static void
write_all (int fd, const guint8 * p, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, p, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    p += n;
    len -= n;
  }
}

static void
broker_child (ServerKind kind, int port_fd, int control_fd)
{
  RgBrokerConfig config;
  RgBroker *broker;
  GError *error = NULL;
  guint16 port;
  gchar c;

  gst_init (NULL, NULL);
  rg_broker_config_init (&config);
  config.ingest_batches = 1024;
  config.max_connections = MAX (n_conns + 16, 64);
  config.max_connections_per_address = 0;
  config.busy_poll_us = busy_poll_us;
  if (kind == SERVER_JOURNAL) {
    config.ingest_location = dir;
    config.ingest_journal.sync = RG_JOURNAL_SYNC_INTERVAL;
    config.ingest_journal.sync_interval = sync_ms * GST_MSECOND;
  }
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  if (!broker)
    g_error ("broker: %s", error->message);
  port = rg_broker_get_port (broker);
  write_all (port_fd, (guint8 *) & port, sizeof (port));
  while (read (control_fd, &c, 1) > 0);
  rg_broker_release (broker);
  _exit (0);
}

static gsize
raw_sink_answer (const guint8 * frame, gsize len, guint8 * out)
{
  /* The request: api_key, api_version, correlation_id, client_id,
   * transactional_id, acks, timeout, topics[1] { name, ... }. */
  gsize at = 8;
  guint16 client_len, name_len;
  const guint8 *name;
  gsize n = 0;

  memcpy (&client_len, frame + at, 2);
  at += 2 + GUINT16_FROM_BE (client_len) + 2 + 2 + 4 + 4;
  memcpy (&name_len, frame + at, 2);
  name_len = GUINT16_FROM_BE (name_len);
  name = frame + at + 2;
  g_assert (at + 2 + name_len <= len);
  /* The Produce v3 response the broker gives, same size: size,
   * correlation_id, [topic, [partition, error, base_offset,
   * log_append_time]], throttle_time_ms. */
  set32 (out, 4 + 4 + 2 + name_len + 4 + 4 + 2 + 8 + 8 + 4);
  memcpy (out + 4, frame + 4, 4);
  set32 (out + 8, 1);
  out[12] = name_len >> 8;
  out[13] = name_len & 0xff;
  memcpy (out + 14, name, name_len);
  n = 14 + name_len;
  set32 (out + n, 1);
  set32 (out + n + 4, 0);
  memset (out + n + 8, 0, 2);
  set64 (out + n + 10, 0);
  set64 (out + n + 18, (guint64) - 1);
  set32 (out + n + 26, 0);
  return n + 30;
}

/* The raw TCP sink: reads request frames on one connection and answers
 * each; parses only the frame boundaries and the topic name it echoes. */
static void
raw_child (int port_fd)
{
  struct sockaddr_in sa = { 0 };
  socklen_t sl = sizeof (sa);
  int lfd = socket (AF_INET, SOCK_STREAM, 0), fd, one = 1;
  gsize cap = 4 << 20, have = 0;
  guint8 *buf = g_malloc (cap), *out = g_malloc (cap);
  guint16 port;

  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (lfd, (struct sockaddr *) &sa, sizeof (sa)) != 0
      || listen (lfd, 16) != 0
      || getsockname (lfd, (struct sockaddr *) &sa, &sl) != 0)
    g_error ("raw sink: %s", g_strerror (errno));
  port = ntohs (sa.sin_port);
  write_all (port_fd, (guint8 *) & port, sizeof (port));
  fd = accept (lfd, NULL, NULL);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  for (;;) {
    ssize_t n = read (fd, buf + have, cap - have);
    gsize at = 0, out_len = 0;

    if (n <= 0)
      break;
    have += n;
    while (have - at >= 4) {
      guint32 size;

      memcpy (&size, buf + at, 4);
      size = GUINT32_FROM_BE (size);
      g_assert (size + 4 <= cap);
      if (have - at < 4 + size)
        break;
      out_len += raw_sink_answer (buf + at + 4, size, out + out_len);
      at += 4 + size;
    }
    memmove (buf, buf + at, have - at);
    have -= at;
    write_all (fd, out, out_len);
  }
  _exit (0);
}

static Server
server_start (ServerKind kind)
{
  int port_pipe[2], control[2];
  Server s = { 0 };

  if (pipe (port_pipe) != 0 || pipe (control) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  s.pid = fork ();
  if (s.pid == 0) {
    close (port_pipe[0]);
    close (control[1]);
    if (kind == SERVER_RAW)
      raw_child (port_pipe[1]);
    broker_child (kind, port_pipe[1], control[0]);
  }
  close (port_pipe[1]);
  close (control[0]);
  if (read (port_pipe[0], &s.port, sizeof (s.port)) != sizeof (s.port))
    g_error ("the server did not start");
  close (port_pipe[0]);
  s.control = control[1];
  return s;
}

static void
server_stop (Server * s)
{
  int status;

  close (s->control);
  waitpid (s->pid, &status, 0);
}

/* User + system CPU seconds of process @pid so far. */
static gdouble
proc_cpu_seconds (pid_t pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/stat", (int) pid), *text = NULL;
  unsigned long utime = 0, stime = 0;
  const gchar *p;

  if (g_file_get_contents (path, &text, NULL, NULL)
      && (p = strrchr (text, ')')))
    sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
        &utime, &stime);
  g_free (path);
  g_free (text);
  return (gdouble) (utime + stime) / sysconf (_SC_CLK_TCK);
}

static gint64
proc_rss_kib (pid_t pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/status", (int) pid), *text = NULL;
  gint64 kib = -1;
  const gchar *p;

  if (g_file_get_contents (path, &text, NULL, NULL)
      && (p = strstr (text, "VmRSS:")))
    kib = g_ascii_strtoll (p + 6, NULL, 10);
  g_free (path);
  g_free (text);
  return kib;
}

/* ---- The load generator ---- */

typedef struct
{
  int fd;
  Request *req;
  gint32 corr;
  guint in_flight;              /* written, not answered */
  guint queued;                 /* due, not yet written */
  gint64 due[SCHED_RING];       /* of in-flight then queued, oldest first */
  guint due_head;
  guint8 *out;                  /* the unwritten rest of a request */
  gsize out_len, out_off;
  guint8 in[1024];
  gsize in_len;
} Conn;

typedef struct
{
  Conn *conns;
  guint n;
  int ep;
  gboolean closed_loop;
  gint64 window_start, window_end;
  guint64 records_acked;        /* inside the window */
  guint64 requests_acked;
  guint64 errors;
  guint64 skipped;              /* due while SCHED_RING were pending */
  guint64 sent;
  guint64 outstanding;
  GArray *latency_us;           /* of requests due inside the window */
} Load;

static void
conn_arm (Load * load, Conn * c, gboolean want_out)
{
  struct epoll_event ev = { 0 };

  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
  ev.data.ptr = c;
  epoll_ctl (load->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static gboolean
conn_flush (Load * load, Conn * c)
{
  while (c->out_off < c->out_len) {
    ssize_t n = write (c->fd, c->out + c->out_off, c->out_len - c->out_off);

    if (n < 0 && errno == EAGAIN) {
      conn_arm (load, c, TRUE);
      return FALSE;
    }
    if (n <= 0)
      g_error ("write: %s", g_strerror (errno));
    c->out_off += n;
  }
  g_clear_pointer (&c->out, g_free);
  c->out_len = c->out_off = 0;
  conn_arm (load, c, FALSE);
  return TRUE;
}

/* Writes the oldest queued request if the window allows. */
static void
conn_send_queued (Load * load, Conn * c)
{
  while (c->queued > 0 && c->in_flight < (guint) window && c->out == NULL) {
    ssize_t n;
    Request *req = c->req;

    request_stamp (req, c->corr++);
    n = write (c->fd, req->bytes, req->len);
    if (n < 0 && errno != EAGAIN)
      g_error ("write: %s", g_strerror (errno));
    c->queued--;
    c->in_flight++;
    load->sent++;
    if (n < (ssize_t) req->len) {
      c->out = g_memdup2 (req->bytes, req->len);
      c->out_len = req->len;
      c->out_off = MAX (n, 0);
      conn_flush (load, c);
    }
  }
}

static void
conn_due (Load * load, Conn * c, gint64 when)
{
  if (c->in_flight + c->queued >= SCHED_RING) {
    load->skipped++;
    return;
  }
  c->due[(c->due_head + c->in_flight + c->queued) % SCHED_RING] = when;
  c->queued++;
  load->outstanding++;
  conn_send_queued (load, c);
}

static void
conn_answered (Load * load, Conn * c, const guint8 * frame, gsize len)
{
  gint64 now = g_get_monotonic_time ();
  gint64 due = c->due[c->due_head];
  guint16 name_len, error;

  /* correlation_id, [topic, [partition, error_code, ...]] */
  memcpy (&name_len, frame + 8, 2);
  name_len = GUINT16_FROM_BE (name_len);
  g_assert (len >= 10u + name_len + 10);
  memcpy (&error, frame + 10 + name_len + 8, 2);
  if (error != 0)
    load->errors++;
  c->due_head = (c->due_head + 1) % SCHED_RING;
  c->in_flight--;
  load->outstanding--;
  if (now >= load->window_start && now < load->window_end) {
    load->records_acked += batch;
    load->requests_acked++;
  }
  if (due >= load->window_start && due < load->window_end) {
    guint32 us = (guint32) MIN (now - due, G_MAXUINT32);

    g_array_append_val (load->latency_us, us);
  }
  if (load->closed_loop && now < load->window_end)
    conn_due (load, c, now);
  conn_send_queued (load, c);
}

static void
conn_read (Load * load, Conn * c)
{
  for (;;) {
    ssize_t n = read (c->fd, c->in + c->in_len, sizeof (c->in) - c->in_len);
    gsize at = 0;

    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0)
      g_error ("the server closed a connection (%s)",
          n < 0 ? g_strerror (errno) : "EOF");
    c->in_len += n;
    while (c->in_len - at >= 4) {
      guint32 size;

      memcpy (&size, c->in + at, 4);
      size = GUINT32_FROM_BE (size);
      g_assert (size + 4 <= sizeof (c->in));
      if (c->in_len - at < 4 + size)
        break;
      conn_answered (load, c, c->in + at + 4, size);
      at += 4 + size;
    }
    memmove (c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
  }
}

static void
load_poll (Load * load, int timeout_ms)
{
  struct epoll_event evs[256];
  int i, n = epoll_wait (load->ep, evs, G_N_ELEMENTS (evs), timeout_ms);

  for (i = 0; i < n; i++) {
    Conn *c = evs[i].data.ptr;

    if (evs[i].events & EPOLLOUT && conn_flush (load, c))
      conn_send_queued (load, c);
    if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
      conn_read (load, c);
  }
}

static void
load_connect (Load * load, guint16 port, Request ** reqs)
{
  struct sockaddr_in sa = { 0 };
  guint i;
  int one = 1;

  sa.sin_family = AF_INET;
  sa.sin_port = htons (port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  load->ep = epoll_create1 (0);
  for (i = 0; i < load->n; i++) {
    Conn *c = &load->conns[i];
    struct epoll_event ev = { 0 };

    c->fd = socket (AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect (c->fd, (struct sockaddr *) &sa, sizeof (sa)))
      g_error ("connection %u: %s", i, g_strerror (errno));
    setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    fcntl (c->fd, F_SETFL, fcntl (c->fd, F_GETFL) | O_NONBLOCK);
    c->req = reqs[i % n_topics];
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl (load->ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
}

/* One request per connection, answered, before anything is measured:
 * creates the topics and brings every connection up. */
static void
load_warm (Load * load)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint i;

  load->window_start = load->window_end = 0;
  for (i = 0; i < load->n; i++)
    conn_due (load, &load->conns[i], g_get_monotonic_time ());
  while (load->outstanding > 0 && g_get_monotonic_time () < deadline)
    load_poll (load, 100);
  if (load->outstanding > 0)
    g_error ("%" G_GUINT64_FORMAT " warm-up requests unanswered",
        load->outstanding);
  load->errors = 0;
}

static void
load_run (Load * load)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + WARMUP_US + seconds * G_USEC_PER_SEC;
  gdouble period_us = rate > 0 ? batch * 1e6 / rate : 0;
  guint64 k = 0;
  guint i;

  load->window_start = start + WARMUP_US;
  load->window_end = end;
  if (load->closed_loop)
    for (i = 0; i < load->n; i++)
      for (k = 0; k < (guint64) window; k++)
        conn_due (load, &load->conns[i], start);
  for (;;) {
    gint64 now = g_get_monotonic_time ();
    int timeout = 100;

    if (!load->closed_loop && now < end) {
      while (start + (gint64) (k * period_us) <= now) {
        conn_due (load, &load->conns[k % load->n],
            start + (gint64) (k * period_us));
        k++;
      }
      timeout = 1;
    }
    if (now >= end && (load->outstanding == 0 || now >= end + DRAIN_US))
      break;
    load_poll (load, timeout);
  }
}

static void
load_close (Load * load)
{
  guint i;

  for (i = 0; i < load->n; i++) {
    close (load->conns[i].fd);
    g_free (load->conns[i].out);
  }
  close (load->ep);
}

static int
cmp_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static gdouble
percentile_ms (GArray * us, gdouble p)
{
  guint i;

  if (us->len == 0)
    return -1;
  i = MIN ((guint) (p * us->len), us->len - 1);
  return g_array_index (us, guint32, i) / 1000.0;
}

typedef struct
{
  gdouble records_per_s;
  gdouble p50_ms, p99_ms, p999_ms, max_ms;
  gdouble gen_cpu, server_cpu;  /* CPU seconds per second of window */
  guint64 errors, skipped, unanswered, latencies;
  gint64 rss_before_kib, rss_after_kib;
} Result;

/* One measured run of @n connections against a server of @kind. */
static Result
measure (ServerKind kind, guint n, gint16 acks, gboolean closed_loop)
{
  Server srv = server_start (kind);
  Request **reqs = g_new0 (Request *, n_topics);
  Load load = { 0 };
  Result r = { 0 };
  gdouble gen0, srv0;
  gint i;

  for (i = 0; i < n_topics; i++) {
    gchar *name = g_strdup_printf ("ingest-%d", i);

    reqs[i] = request_new (name, acks, batch);
    g_free (name);
  }
  load.n = n;
  load.conns = g_new0 (Conn, n);
  load.closed_loop = closed_loop;
  load.latency_us = g_array_new (FALSE, FALSE, sizeof (guint32));
  r.rss_before_kib = proc_rss_kib (srv.pid);
  load_connect (&load, srv.port, reqs);
  load_warm (&load);
  gen0 = rg_bench_cpu_seconds ();
  srv0 = proc_cpu_seconds (srv.pid);
  load_run (&load);
  r.gen_cpu = (rg_bench_cpu_seconds () - gen0) / (seconds + 1.0);
  r.server_cpu = (proc_cpu_seconds (srv.pid) - srv0) / (seconds + 1.0);
  r.rss_after_kib = proc_rss_kib (srv.pid);
  r.records_per_s = load.records_acked / (gdouble) seconds;
  r.errors = load.errors;
  r.skipped = load.skipped;
  r.unanswered = load.outstanding;
  g_array_sort (load.latency_us, cmp_u32);
  r.latencies = load.latency_us->len;
  r.p50_ms = percentile_ms (load.latency_us, 0.50);
  r.p99_ms = percentile_ms (load.latency_us, 0.99);
  r.p999_ms = percentile_ms (load.latency_us, 0.999);
  r.max_ms = percentile_ms (load.latency_us, 1.0);
  load_close (&load);
  server_stop (&srv);
  for (i = 0; i < n_topics; i++) {
    g_free (reqs[i]->bytes);
    g_free (reqs[i]);
  }
  g_free (reqs);
  g_free (load.conns);
  g_array_unref (load.latency_us);
  return r;
}

static void
print_result (const gchar * what, const Result * r)
{
  g_print ("%s: %.0f records/s; ack latency p50 %.2f ms, p99 %.2f ms, "
      "p99.9 %.2f ms, max %.2f ms (%" G_GUINT64_FORMAT " requests); "
      "CPU per second: generator %.2f, server %.2f; server RSS %"
      G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " KiB; errors %"
      G_GUINT64_FORMAT ", skipped %" G_GUINT64_FORMAT ", unanswered %"
      G_GUINT64_FORMAT "\n", what, r->records_per_s, r->p50_ms, r->p99_ms,
      r->p999_ms, r->max_ms, r->latencies, r->gen_cpu, r->server_cpu,
      r->rss_before_kib, r->rss_after_kib, r->errors, r->skipped,
      r->unanswered);
}

static void
run_scale (void)
{
  gboolean own_dir = dir == NULL;
  gchar *what;
  Result r;

  if (own_dir)
    dir = g_dir_make_tmp ("rg-bench-ingest-XXXXXX", NULL);
  what = g_strdup_printf ("%d connections, %s, batch %d, window %d, "
      "%d topic(s), sync=interval %d ms, acks=all", n_conns,
      rate > 0 ? "open loop" : "closed loop", batch, window, n_topics,
      sync_ms);
  if (rate > 0)
    g_print ("offered: %.0f records/s\n", rate);
  r = measure (SERVER_JOURNAL, n_conns, -1, rate <= 0);
  print_result (what, &r);
  g_free (what);
  if (own_dir) {
    gchar *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", dir);
    g_free (cmd);
  }
}

static void
run_single (void)
{
  gint i;

  n_topics = 1;
  for (i = 0; i < rounds; i++) {
    Result b = measure (SERVER_MEMORY, 1, 1, TRUE);
    Result raw = measure (SERVER_RAW, 1, 1, TRUE);
    gchar *load = rg_bench_load_average ();

    g_print ("round %d (load %s): broker %.0f records/s, raw TCP sink %.0f "
        "records/s: %.2fx\n", i + 1, load, b.records_per_s,
        raw.records_per_s, b.records_per_s / MAX (raw.records_per_s, 1));
    print_result ("  broker (memory ingest topic, acks=1)", &b);
    print_result ("  raw TCP sink", &raw);
    g_free (load);
  }
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"mode", 0, 0, G_OPTION_ARG_STRING, &mode, "scale or single", "M"},
    {"connections", 0, 0, G_OPTION_ARG_INT, &n_conns, "producers", "N"},
    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
        "offered records/s (0: closed loop)", "R"},
    {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "records per request", "B"},
    {"window", 0, 0, G_OPTION_ARG_INT, &window,
        "requests in flight per connection", "W"},
    {"topics", 0, 0, G_OPTION_ARG_INT, &n_topics, "ingest topics", "T"},
    {"sync-interval-ms", 0, 0, G_OPTION_ARG_INT, &sync_ms,
        "journal sync interval", "I"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "measured seconds", "S"},
    {"rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "A/B rounds (single)", "K"},
    {"busy-poll", 0, 0, G_OPTION_ARG_INT, &busy_poll_us,
        "the broker's busy-poll window in µs (0: off)", "US"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "journal root", "DIR"},
    {NULL}
  };
  GOptionContext *opts = g_option_context_new ("- producers at scale");
  struct rlimit rl;
  gchar *load, *cpu;

  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse (opts, &argc, &argv, NULL))
    return 2;
  g_option_context_free (opts);
  if (batch < 1 || window < 1 || window > SCHED_RING / 2 || n_topics < 1
      || n_conns < 1 || seconds < 1 || sync_ms < 1) {
    g_printerr ("bad arguments\n");
    return 2;
  }
  /* 10,000 sockets in this process; the broker raises its own limit. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  signal (SIGPIPE, SIG_IGN);
  load = rg_bench_load_average ();
  cpu = rg_bench_cpu_model ();
  g_print ("CPU: %s (%ld online); load average before: %s\n", cpu,
      sysconf (_SC_NPROCESSORS_ONLN), load);
  if (g_strcmp0 (mode, "single") == 0)
    run_single ();
  else
    run_scale ();
  g_free (load);
  load = rg_bench_load_average ();
  g_print ("load average after: %s\n", load);
  g_free (load);
  g_free (cpu);
  return 0;
}
