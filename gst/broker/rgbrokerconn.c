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
 * The broker's connection layer (the interface is rgbrokerconn.h).
 *
 * Connection life
 * ===============
 * Bytes are read into a per-connection buffer that grows to the size of
 * the current frame and never beyond 4 + max_request_bytes; a size prefix
 * above the limit closes the connection before the frame is read. Complete
 * frames are handed to the facade's frame function strictly one after the
 * other: a response is queued before the next frame is parsed, so
 * responses leave in request order.
 * Pipelining (a producer with several requests in flight): one read takes
 * as many requests as the buffer holds, and all the complete ones are
 * handled before the responses they queued are sent, together, in one
 * vectored send (across responses, up to SEND_IOV_MAX segments). A
 * connection whose reads fill its buffer gets a larger one, up to
 * INPUT_STREAM_SIZE, and reads again before the loop waits; the sweep
 * gives the larger buffer back once it reads nothing. Handled requests
 * only move the buffer's start on: what is left moves down once per pass,
 * when the request at the head could not end in place or is small. So a
 * producer of 10 KB requests costs one recv(), one sendmsg() and one
 * epoll_wait() per few requests, not three turns per request.
 * Input chunks (rgbrokerchunk.h): the input buffer is a reference-
 * counted chunk from the set's pool, so that a memory ingest topic can
 * keep a produced batch where it was read (zero copy). Bytes below in_len
 * of a chunk another holds are never written again: where the buffer
 * would rewind (input handled, or the head request moved down) or grow,
 * the connection takes a fresh chunk and copies over only the input not
 * handled yet; while a quarter of a held chunk is still free and the
 * head request can end in place, it reads on at the chunk's end instead
 * (conn_input_fill_on()), so chunks fill before they are left. A chunk
 * nobody else holds is rewound in place, as a plain buffer would be.
 * Four things stop a connection's reading, which is what bounds its
 * memory and its rate:
 *  - a parked request (a Fetch's long poll): it stays in the input buffer,
 *    untouched, until the retry function answers it or its wait passes;
 *    later requests wait behind it, as in Kafka;
 *  - an output queue above max_output_bytes: the broker waits until the
 *    client has read enough;
 *  - max_inflight_bytes in flight: queued responses plus acks=0 Produce
 *    requests held until their records are durable (rg_broker_conn_hold()),
 *    which are settled after each wake-up; reads ahead are capped so that
 *    these plus the requests read and not handled stay under it (but the
 *    request at the head is always read whole);
 *  - a mute (rg_broker_conn_mute()): a client over its produce quota is
 *    not read until its throttle time has passed (KIP-219); the turn
 *    reads it again then. Its queued responses are still sent.
 * Output is sent from the response segments: protocol bytes and in-memory
 * records with sendmsg(MSG_NOSIGNAL) (a writev() that cannot raise
 * SIGPIPE), journal segment ranges with sendfile() (SIGPIPE is blocked in
 * the loop thread). EPOLLOUT is watched only while a send was short.
 * Parked requests that poll (journal-backed topics whose writer gives no
 * tail, see rg_journal_writer_get_tail()) are also retried every
 * JOURNAL_POLL_MS, because such a journal grows without a notification.
 *
 * Send threads (rgbrokerio.c): a connection with SEND_PARALLEL_MIN_BYTES
 * or more to send is left in flush_pending until the end of the turn; then
 * the loop sends all of them at once together with config.send_threads
 * helpers, each connection on one thread, and waits for every one before
 * it frees what was sent, counts it and goes on with the connections.
 * The helpers only make the system calls: a large copy into a socket (and
 * on loopback the receiver's TCP work) is what one loop thread cannot
 * spread over the cores. Whether they are faster than the loop alone
 * depends on the machine and its load, so the send chooser (rgbrokerio.h)
 * measures both in turn and only defers output while the threads win.
 *
 * Admission control
 * =================
 * Three limits keep one client (or one host) from locking the others out:
 *  - max_connections_per_address: connections from one IP address; one
 *    beyond it is accepted and closed at once, like one beyond
 *    max_connections, so a host that opens thousands of idle sockets
 *    takes at most its share;
 *  - request_timeout_ms: a request must arrive whole within this long of
 *    its first byte (checked by the sweep). The idle timeout alone cannot
 *    catch a client sending one byte a second, since every byte is
 *    activity. A connection the broker has stopped reading (its output
 *    queue is full, or a request is parked) is not timed: the wait is not
 *    the client's;
 *  - max_partial_bytes: the bytes of partial requests summed over all
 *    connections. When a read takes the sum past it, the connection with
 *    the largest partial request is closed: that is the one holding the
 *    most memory, and a client that sends its requests promptly holds a
 *    partial one only briefly. The input buffer grows with what arrives
 *    (doubling, up to the frame's size) rather than to the size a prefix
 *    announces, so memory follows the bytes received, not the bytes
 *    promised.
 *
 * TLS (rgbrokertls.c): when the set has a TLS context, every connection
 * gets a session at accept and its reads and sends go through it (the
 * three calls conn_recv(), send_iov() and output_send() choose); nothing
 * else here knows. Journal ranges are then read and encrypted instead of
 * sent with sendfile(). Decrypted bytes the session holds beyond what the
 * input buffer took are invisible to epoll, so conn_process() reads them
 * when there is room, and a read that needs writability (a handshake
 * flight) watches EPOLLOUT.
 * TLS connections go over the send threads like clear-text ones, which
 * spreads the encryption, the larger part of their cost, over the cores.
 * An SSL object is not safe for concurrent use, and it needs none here:
 * a session is touched by the loop (handshake, reads, small sends) or,
 * during a send phase, by the one thread rg_broker_io_run() gave its
 * connection to; the loop waits inside rg_broker_io_run() meanwhile, and
 * the hand-over's mutex orders the session's memory between the two. A
 * send never needs a read (renegotiation is off; a TLS 1.3 key update
 * the client asks for is read by the loop and answered by the session's
 * next write, on whichever thread), and the shared SSL_CTX is guarded by
 * OpenSSL itself. The send chooser counts a TLS connection's clear-text
 * bytes, which is what its readers get; a broker's listener is all TLS
 * or all clear text, so its chooser measures TLS traffic on its own. The
 * brokerauth test sends several TLS readers in one parallel turn and
 * checks their bytes; the tsan suite runs it.
 *
 * Errors: the frame function decides (a malformed frame, an unsupported
 * api closes the connection, as Kafka does); a failed send or a reset
 * closes it too.
 */

/* accept4() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerconn.h"
#include "broker/rgbrokerchunk.h"
#include "broker/rgbrokerhooks.h"
#include "broker/rgbrokerio.h"
#include "broker/rgbrokertls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Segments handed to one sendmsg(): the kernel's limit (UIO_MAXIOV). A
 * response of small records has three segments per record, so a smaller
 * array would split a 1 MiB response into hundreds of system calls. */
#define SEND_IOV_MAX 1024
/* Initial input buffer: enough for the requests clients send. */
#define INPUT_INITIAL_SIZE RG_BROKER_CHUNK_MIN_SIZE
/* A connection whose reads fill its input buffer (a producer streaming
 * pipelined requests) gets a larger one, doubling up to this size, so that
 * one recv() takes several requests and one turn answers them all. */
#define INPUT_STREAM_SIZE RG_BROKER_CHUNK_MAX_POOLED
/* A buffer up to this size (streaming, or grown to a request: a producer's
 * default max.request.size is 1 MiB) is kept while the connection is busy
 * and given back by the sweep once it has read nothing for a sweep
 * interval; a larger one as
 * soon as its request is handled. */
#define INPUT_KEEP_SIZE (1024 * 1024)
/* How often idle connections are looked for, ms. */
#define SWEEP_INTERVAL_MS 1000
/* Parked requests that poll look at their topics this often, for journal
 * appends no one notified. */
#define JOURNAL_POLL_MS 10
/* After EMFILE, accepting pauses this long so the loop does not spin. */
#define ACCEPT_PAUSE_MS 100
/* A connection with at least this much output waiting is sent at the end
 * of the turn, with the others, spread over the send threads; below it
 * the hand-over would cost more than the copy. */
#define SEND_PARALLEL_MIN_BYTES (64 * 1024)
/* ... provided its next response is made of large pieces (bytes per
 * segment): a response of thousands of tiny records costs the kernel per
 * segment, not per byte, and measured slower when sent in parallel (100 B
 * records to 64 readers: 0.7 against 1.3 M records/s). */
#define SEND_PARALLEL_MIN_SEGMENT (8 * 1024)

/* A request that needs no answer but stays in flight (rg_broker_conn_hold). */
typedef struct
{
  gpointer state;
  GDestroyNotify free_func;
  gboolean (*done) (gpointer state);
  gsize bytes;
} RgBrokerHeld;

typedef struct
{
  RgKafkaResponse *response;
  guint segment;
  gsize segment_offset;
} RgBrokerOutput;

struct _RgBrokerConn
{
  RgBrokerConns *conns;
  RgLoopSource *source;
  int fd;
  guint64 id;
  gchar *address;
  gchar *local_host;
  RgBrokerTls *tls;             /* NULL: clear text */
  gpointer data;                /* the facade's, see rg_broker_conn_set_data */
  GDestroyNotify data_free;

  /* Input: bytes in_start .. in_len of in (in_size allocated) are
   * requests not handled yet. Handled requests only move in_start on:
   * the rest is moved down once per pass over the buffer, not once per
   * request, and never while a request is parked (its parsed form may
   * point into the buffer). in_more: the last read filled the room there
   * was, so the socket may hold more. The buffer is in_chunk's bytes (in
   * is its data): a memory ingest topic may keep a produced batch by
   * reference to them, and then the chunk is not written below in_len
   * again: conn_input_rewind() takes a fresh one (see "Input chunks"). */
  RgBrokerChunk *in_chunk;
  guint8 *in;
  gsize in_start;
  gsize in_len;
  gsize in_size;
  gboolean in_more;

  GQueue out;
  gsize out_bytes;
  gboolean send_blocked;

  /* Output left for the end of the loop's turn (conns->flush_pending),
   * and what the send phase did: sent by whichever thread sent it, read by
   * the loop after rg_broker_io_run() returns. */
  gboolean flush_queued;
  GList flush_link;
  gboolean flush_ok;
  gsize flush_sent;
  guint flush_done;             /* outputs at the head of out sent whole */

  gpointer parked;
  GDestroyNotify parked_free;
  gboolean parked_polls;
  gsize parked_frame_size;
  gint64 parked_deadline;
  GList parked_link;

  gint64 last_activity;
  GList link;

  /* A produce quota's throttle (rg_broker_conn_mute()): until this time
   * (ms, 0: not muted) nothing is read or handled; in conns->muted. */
  gint64 muted_until;
  GList muted_link;

  /* Requests held until durable (RgBrokerHeld), their bytes, and the
   * link in conns->holding while there are any. */
  GQueue held;
  gsize held_bytes;
  GList holding_link;

  /* Admission control: the peer's address without the port (a key of
   * conns->per_address), the bytes of the partial request at the head of
   * the input (counted in conns->partial_total) and when it began (0:
   * none). */
  gchar *peer_host;
  gsize partial;
  gint64 request_start;

  /* Under conns->lock: read by rg_broker_conns_get_clients(). */
  guint64 bytes_sent;
  guint64 fetches;
  RgBrokerTopic *last_topic;
  gint64 next_offset;
};

struct _RgBrokerConns
{
  RgLoop *loop;
  int listen_fd;
  RgLoopSource *listen_source;
  RgBrokerConfig config;
  RgBrokerCounters *counters;
  RgBrokerConnFuncs funcs;
  gpointer user_data;
  RgBrokerTlsContext *tls;      /* not owned; NULL: clear text */

  /* Guards conns (the list and the stats fields) and next_id. */
  pthread_mutex_t lock;
  GQueue conns;
  guint64 next_id;

  /* Loop thread only. */
  GQueue parked;
  GQueue muted;
  GQueue holding;
  GQueue flush_pending;
  GPtrArray *flush_items;
  RgBrokerIo *io;
  /* With io: whether large output goes to it now (rgbrokerio.h). */
  RgBrokerSendChooser chooser;
  gint64 accept_resume;
  gint64 next_sweep;
  gint64 next_poll;
  gint64 sweep_interval;
  /* Peer address -> GUINT_TO_POINTER (connections open). */
  GHashTable *per_address;
  gsize partial_total;
  /* The connections' input chunks (any thread returns them). */
  RgBrokerChunkPool *pool;
};

static RgBrokerSysHooks sys_hooks;

static void conn_close (RgBrokerConn * conn);
static gboolean conn_inflight_full (RgBrokerConn * conn);
static void conn_note_inflight (RgBrokerConn * conn, gboolean was_full);
static void conn_process (RgBrokerConn * conn);
static gboolean conn_read (RgBrokerConn * conn);

/* ---- System calls ---- */

ssize_t
rg_broker_sys_send_iov (int fd, const struct iovec *iov, int iovcnt)
{
  struct msghdr msg = { 0, };

  msg.msg_iov = (struct iovec *) iov;
  msg.msg_iovlen = iovcnt;
  return sendmsg (fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t
rg_broker_sys_recv (int fd, void *buf, size_t len)
{
  return recv (fd, buf, len, MSG_DONTWAIT);
}

void
rg_broker_set_sys_hooks (const RgBrokerSysHooks * hooks)
{
  if (hooks)
    sys_hooks = *hooks;
  else
    memset (&sys_hooks, 0, sizeof (sys_hooks));
}

static ssize_t
send_iov (RgBrokerConn * conn, const struct iovec *iov, int iovcnt)
{
  int fd = conn->fd;

  if (conn->tls)
    return rg_broker_tls_send_iov (conn->tls, iov, iovcnt);
  if (sys_hooks.send_iov)
    return sys_hooks.send_iov (fd, iov, iovcnt);
  return rg_broker_sys_send_iov (fd, iov, iovcnt);
}

static gchar *
sockaddr_to_string (const struct sockaddr_storage *ss, gboolean with_port)
{
  char host[INET6_ADDRSTRLEN] = "?";
  guint port = 0;

  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
    inet_ntop (AF_INET, &sin->sin_addr, host, sizeof (host));
    port = ntohs (sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
    inet_ntop (AF_INET6, &sin6->sin6_addr, host, sizeof (host));
    port = ntohs (sin6->sin6_port);
  }
  if (!with_port)
    return g_strdup (host);
  if (ss->ss_family == AF_INET6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* ---- Output ---- */

void
rg_broker_conn_queue (RgBrokerConn * conn, RgKafkaResponse * response)
{
  RgBrokerOutput *out;

  if (!response)
    return;
  out = g_new0 (RgBrokerOutput, 1);
  out->response = response;
  {
    gboolean was_full = conn_inflight_full (conn);

    g_queue_push_tail (&conn->out, out);
    conn->out_bytes += rg_kafka_response_get_size (response);
    conn_note_inflight (conn, was_full);
  }
  rg_broker_count (conn->conns->counters, requests, 1);
}

static void
output_free (RgBrokerOutput * out)
{
  rg_kafka_response_free (out->response);
  g_free (out);
}

/* Adds to @iov (@n entries used, *@bytes their sum) the output's memory
 * segments from its current position up to the next FILE segment, while
 * @iov has room and holds less than @max_bytes. Returns TRUE when it
 * reached the end of the response. */
static gboolean
output_fill_iov (RgBrokerOutput * out, struct iovec *iov, guint * n,
    gsize * bytes, gsize max_bytes)
{
  const RgKafkaSegment *segs;
  guint n_segs, i;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  for (i = out->segment; i < n_segs && *n < SEND_IOV_MAX
      && *bytes < max_bytes; i++) {
    gsize skip = (i == out->segment) ? out->segment_offset : 0;

    if (segs[i].type == RG_KAFKA_SEGMENT_FILE)
      return FALSE;
    iov[*n].iov_base = (guint8 *) segs[i].data + skip;
    iov[*n].iov_len = segs[i].length - skip;
    *bytes += iov[*n].iov_len;
    (*n)++;
  }
  return i == n_segs;
}

/* Fills @iov from the output of @link on, across the responses queued
 * after it, up to the first FILE segment or the limits: the answers to
 * the requests of one turn leave in one vectored send. Returns the count
 * (0 when the current segment is a FILE). */
static guint
outputs_fill_iov (GList * link, struct iovec *iov, gsize max_bytes)
{
  guint n = 0;
  gsize bytes = 0;

  for (; link && n < SEND_IOV_MAX && bytes < max_bytes; link = link->next)
    if (!output_fill_iov (link->data, iov, &n, &bytes, max_bytes))
      break;
  return n;
}

/* sendfile() raises SIGPIPE on a closed socket and has no MSG_NOSIGNAL:
 * the loop thread blocks the signal, and takes back the one pending for
 * it after EPIPE, so it is never delivered. */
static void
consume_sigpipe (void)
{
  struct timespec zero = { 0, 0 };
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  while (sigtimedwait (&set, NULL, &zero) > 0);
}

/* Sends from the current position of the output at @link: a FILE
 * segment with sendfile(), else memory segments, of this output and the
 * ones after it, with one vectored send. */
static ssize_t
output_send (RgBrokerConn * conn, GList * link)
{
  RgBrokerOutput *out = link->data;
  struct iovec iov[SEND_IOV_MAX];
  const RgKafkaSegment *segs, *seg;
  guint n_segs, n;
  ssize_t sent;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  seg = &segs[out->segment];
  if (seg->type != RG_KAFKA_SEGMENT_FILE) {
    /* A TLS send takes RG_BROKER_TLS_SEND_MAX at a time: filling the
     * whole array for it would walk up to a thousand small segments it
     * would not send. */
    n = outputs_fill_iov (link, iov, conn->tls ? RG_BROKER_TLS_SEND_MAX
        : G_MAXSIZE);
    return send_iov (conn, iov, n);
  }
  if (conn->tls)
    return rg_broker_tls_send_file (conn->tls, seg->fd,
        seg->offset + out->segment_offset, seg->length - out->segment_offset);
  {
    off_t position = seg->offset + out->segment_offset;

    sent = sendfile (conn->fd, seg->fd, &position,
        seg->length - out->segment_offset);
  }
  if (sent < 0 && errno == EPIPE)
    consume_sigpipe ();
  if (sent == 0) {
    /* The file is shorter than the batches it held: it was truncated. */
    errno = EIO;
    return -1;
  }
  return sent;
}

/* Moves the output's position on by *@sent bytes at most, taking them
 * off *@sent; TRUE when it is complete. */
static gboolean
output_advance (RgBrokerOutput * out, gsize * sent)
{
  const RgKafkaSegment *segs;
  guint n_segs;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  while (out->segment < n_segs) {
    gsize left = segs[out->segment].length - out->segment_offset;

    if (*sent < left) {
      out->segment_offset += *sent;
      *sent = 0;
      return FALSE;
    }
    *sent -= left;
    out->segment++;
    out->segment_offset = 0;
  }
  return TRUE;
}

static void
conn_count_sent (RgBrokerConn * conn, gsize bytes)
{
  RgBrokerConns *conns = conn->conns;

  rg_broker_count (conns->counters, bytes_served, bytes);
  if (conns->io)
    rg_broker_send_chooser_account (&conns->chooser, bytes,
        g_get_monotonic_time ());
  pthread_mutex_lock (&conns->lock);
  conn->bytes_sent += bytes;
  pthread_mutex_unlock (&conns->lock);
}

/* Sends what the socket takes, counting the outputs sent whole in
 * conn->flush_done (they stay at the head of the queue) and the bytes in
 * conn->flush_sent. It touches only the connection's own output (and,
 * over TLS, the session's own ciphertext buffer), so a send thread may run
 * it (rgbrokerio.c). Sets
 * conn->flush_ok to FALSE when the connection failed. */
static void
conn_send (gpointer data)
{
  RgBrokerConn *conn = data;
  GList *l = g_queue_peek_nth_link (&conn->out, conn->flush_done);

  conn->send_blocked = FALSE;
  conn->flush_ok = TRUE;
  while (l) {
    ssize_t sent = output_send (conn, l);
    gsize left;

    if (sent < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        conn->send_blocked = TRUE;
      else
        conn->flush_ok = FALSE;
      break;
    }
    conn->flush_sent += sent;
    /* One send may have finished several outputs and begun the next. */
    for (left = sent; l && output_advance (l->data, &left); l = l->next) {
      RgBrokerOutput *out = l->data;

      conn->out_bytes -= rg_kafka_response_get_size (out->response);
      conn->flush_done++;
      if (left == 0) {
        l = l->next;
        break;
      }
    }
  }
}

/* The loop's part after conn_send(): frees what was sent (the records'
 * references are dropped on the loop thread) and counts it. */
static gboolean
conn_send_finish (RgBrokerConn * conn)
{
  for (; conn->flush_done > 0; conn->flush_done--)
    output_free (g_queue_pop_head (&conn->out));
  if (conn->flush_sent > 0) {
    conn->last_activity = rg_loop_now_ms ();
    conn_count_sent (conn, conn->flush_sent);
    conn->flush_sent = 0;
  }
  return conn->flush_ok;
}

/* Sends what the socket takes. Returns FALSE when the connection failed. */
static gboolean
conn_flush (RgBrokerConn * conn)
{
  conn_send (conn);
  return conn_send_finish (conn);
}

/* Whether the output's response is made of large pieces. */
static gboolean
output_is_bulk (RgBrokerOutput * out)
{
  guint n_segs;

  rg_kafka_response_get_segments (out->response, &n_segs);
  return n_segs > 0 && rg_kafka_response_get_size (out->response) / n_segs
      >= SEND_PARALLEL_MIN_SEGMENT;
}

/* Leaves a large output for the end of the turn, when every such output
 * is sent at once over the send threads. TRUE when it was left. */
static gboolean
conn_defer_flush (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;

  if (conns->io == NULL || !conns->chooser.parallel || conn->send_blocked
      || conn->out_bytes < SEND_PARALLEL_MIN_BYTES
      || !output_is_bulk (g_queue_peek_head (&conn->out)))
    return FALSE;
  if (!conn->flush_queued) {
    conn->flush_queued = TRUE;
    conn->flush_link.data = conn;
    g_queue_push_tail_link (&conns->flush_pending, &conn->flush_link);
  }
  return TRUE;
}

/* ---- In flight ---- */

/* Whether @conn has max_inflight_bytes in flight: read nothing more. */
static gboolean
conn_inflight_full (RgBrokerConn * conn)
{
  gsize max = conn->conns->config.max_inflight_bytes;

  return max > 0 && conn->out_bytes + conn->held_bytes >= max;
}

/* Notes @conn's bytes in flight for the stats: the most one connection
 * held, and a pause each time the bound stops its reading. */
static void
conn_note_inflight (RgBrokerConn * conn, gboolean was_full)
{
  RgBrokerCounters *c = conn->conns->counters;
  guint64 now = conn->in_len - conn->in_start + conn->out_bytes
      + conn->held_bytes;
  guint64 max = atomic_load (&c->inflight_bytes_max);

  while (now > max && !atomic_compare_exchange_weak (&c->inflight_bytes_max,
          &max, now));
  if (!was_full && conn_inflight_full (conn))
    rg_broker_count (c, inflight_pauses, 1);
}

void
rg_broker_conn_hold (RgBrokerConn * conn, gpointer state,
    GDestroyNotify free_func, gboolean (*done) (gpointer state), gsize bytes)
{
  RgBrokerHeld *held = g_new (RgBrokerHeld, 1);
  gboolean was_full = conn_inflight_full (conn);

  held->state = state;
  held->free_func = free_func;
  held->done = done;
  held->bytes = bytes;
  if (g_queue_is_empty (&conn->held)) {
    conn->holding_link.data = conn;
    g_queue_push_tail_link (&conn->conns->holding, &conn->holding_link);
  }
  g_queue_push_tail (&conn->held, held);
  conn->held_bytes += bytes;
  conn_note_inflight (conn, was_full);
}

static void
held_free (RgBrokerHeld * held)
{
  held->free_func (held->state);
  g_free (held);
}

/* Drops @conn's held requests that are done; TRUE when any was. */
static gboolean
conn_settle_held (RgBrokerConn * conn)
{
  GList *l = conn->held.head;
  gboolean any = FALSE;

  while (l) {
    RgBrokerHeld *held = l->data;
    GList *next = l->next;

    if (held->done (held->state)) {
      conn->held_bytes -= held->bytes;
      g_queue_delete_link (&conn->held, l);
      held_free (held);
      any = TRUE;
    }
    l = next;
  }
  if (g_queue_is_empty (&conn->held))
    g_queue_unlink (&conn->conns->holding, &conn->holding_link);
  return any;
}

static void
conn_clear_held (RgBrokerConn * conn)
{
  if (!g_queue_is_empty (&conn->held))
    g_queue_unlink (&conn->conns->holding, &conn->holding_link);
  g_queue_clear_full (&conn->held, (GDestroyNotify) held_free);
  conn->held_bytes = 0;
}

/* ---- Parking ---- */

void
rg_broker_conn_park (RgBrokerConn * conn, gpointer parked,
    GDestroyNotify free_func, gint64 wait_ms, gboolean polls)
{
  conn->parked = parked;
  conn->parked_free = free_func;
  conn->parked_polls = polls;
  conn->parked_deadline = rg_loop_now_ms () + wait_ms;
  conn->parked_link.data = conn;
  g_queue_push_tail_link (&conn->conns->parked, &conn->parked_link);
  atomic_fetch_add (&conn->conns->counters->fetches_waiting, 1);
}

void
rg_broker_conn_set_polls (RgBrokerConn * conn, gboolean polls)
{
  conn->parked_polls = polls;
}

static void
conn_unpark (RgBrokerConn * conn)
{
  g_queue_unlink (&conn->conns->parked, &conn->parked_link);
  conn->parked_free (conn->parked);
  conn->parked = NULL;
  atomic_fetch_sub (&conn->conns->counters->fetches_waiting, 1);
}

void
rg_broker_conn_note_fetch (RgBrokerConn * conn, RgBrokerTopic * topic,
    gint64 next_offset)
{
  RgBrokerTopic *old;

  pthread_mutex_lock (&conn->conns->lock);
  conn->fetches++;
  old = conn->last_topic;
  conn->last_topic = topic ? rg_broker_topic_ref (topic) : old;
  if (topic) {
    conn->next_offset = next_offset;
    if (old)
      rg_broker_topic_unref (old);
  }
  pthread_mutex_unlock (&conn->conns->lock);
}

const gchar *
rg_broker_conn_get_address (RgBrokerConn * conn)
{
  return conn->address;
}

const gchar *
rg_broker_conn_get_peer_host (RgBrokerConn * conn)
{
  return conn->peer_host;
}

void
rg_broker_conn_mute (RgBrokerConn * conn, guint32 ms)
{
  gint64 until = rg_loop_now_ms () + ms;

  if (conn->muted_until == 0) {
    conn->muted_link.data = conn;
    g_queue_push_tail_link (&conn->conns->muted, &conn->muted_link);
  }
  conn->muted_until = MAX (conn->muted_until, until);
}

static void
conn_unmute (RgBrokerConn * conn)
{
  g_queue_unlink (&conn->conns->muted, &conn->muted_link);
  conn->muted_until = 0;
}

const gchar *
rg_broker_conn_get_local_host (RgBrokerConn * conn)
{
  return conn->local_host;
}

const gchar *
rg_broker_conn_get_tls_peer_name (RgBrokerConn * conn)
{
  return conn->tls ? rg_broker_tls_get_peer_name (conn->tls) : NULL;
}

void
rg_broker_conn_set_data (RgBrokerConn * conn, gpointer data,
    GDestroyNotify free_func)
{
  if (conn->data_free)
    conn->data_free (conn->data);
  conn->data = data;
  conn->data_free = free_func;
}

gpointer
rg_broker_conn_get_data (RgBrokerConn * conn)
{
  return conn->data;
}

void
rg_broker_conns_set_tls (RgBrokerConns * conns, RgBrokerTlsContext * tls)
{
  conns->tls = tls;
}

/* ---- Input ---- */

/* Bytes of input not handled yet. */
static gsize
conn_input_bytes (RgBrokerConn * conn)
{
  return conn->in_len - conn->in_start;
}

/* Makes the input a fresh chunk of at least @size bytes holding the input
 * not handled yet at its start. The old chunk is let go: a record that
 * keeps a batch read into it holds it until the record goes. */
static void
conn_input_replace (RgBrokerConn * conn, gsize size)
{
  RgBrokerChunk *fresh = rg_broker_chunk_pool_take (conn->conns->pool, size);
  gsize n = conn_input_bytes (conn);

  if (n > 0)
    memcpy (rg_broker_chunk_get_data (fresh), conn->in + conn->in_start, n);
  if (conn->in_chunk)
    rg_broker_chunk_unref (conn->in_chunk);
  conn->in_chunk = fresh;
  conn->in = rg_broker_chunk_get_data (fresh);
  conn->in_size = rg_broker_chunk_get_size (fresh);
  conn->in_start = 0;
  conn->in_len = n;
}

/* Moves the input not handled yet to the start of the buffer, in place
 * when nobody else holds the chunk, else into a fresh chunk of the same
 * size (the bytes before in_start may be a stored batch's). */
static void
conn_input_rewind (RgBrokerConn * conn)
{
  gsize n = conn_input_bytes (conn);

  if (rg_broker_chunk_is_shared (conn->in_chunk)) {
    conn_input_replace (conn, conn->in_size);
    return;
  }
  if (n > 0)
    memmove (conn->in, conn->in + conn->in_start, n);
  conn->in_start = 0;
  conn->in_len = n;
}

/* Whether the connection reads on at the end of its chunk rather than
 * rewinding: a stored batch holds the chunk (rewinding would take a fresh
 * one), the request at the head (@head bytes, as far as known) can end in
 * place, and a quarter of the chunk or more is still free. Filling a chunk
 * before leaving it keeps what stored batches pin close to their own size,
 * and a streaming producer's reads take one fresh chunk per chunk's worth
 * of requests, not one per read. */
static gboolean
conn_input_fill_on (RgBrokerConn * conn, gsize head)
{
  return rg_broker_chunk_is_shared (conn->in_chunk)
      && conn->in_start + head <= conn->in_size
      && conn->in_size - conn->in_len >= conn->in_size / 4;
}

/* Gives the input buffer back to its initial size when it is empty and
 * larger than @keep. */
static void
conn_shrink_input (RgBrokerConn * conn, gsize keep)
{
  if (conn_input_bytes (conn) > 0 || conn->in_size <= keep)
    return;
  conn_input_replace (conn, INPUT_INITIAL_SIZE);
}

/* Drops the @n bytes of the request at the head of the input. */
static void
conn_consume (RgBrokerConn * conn, gsize n)
{
  conn->in_start += n;
  if (conn->in_start == conn->in_len && !conn_input_fill_on (conn, 4))
    conn_input_rewind (conn);
  /* The next request's clock starts when it is at the head. */
  conn->request_start = 0;
  /* Give a large request's buffer back once it is handled; a streaming
   * connection's smaller one is given back by the sweep. */
  conn_shrink_input (conn, INPUT_KEEP_SIZE);
}

/* The size of the request at the head of the input, as far as known: its
 * size prefix, or 4 before that has arrived. */
static gsize
conn_head_size (RgBrokerConn * conn)
{
  guint32 len;

  if (conn_input_bytes (conn) < 4)
    return 4;
  memcpy (&len, conn->in + conn->in_start, 4);
  return 4 + (gsize) GUINT32_FROM_BE (len);
}

/* Makes room for the request at the head of the input. Its bytes move to
 * the start of the buffer only when it cannot end where it begins, or
 * when they are few (a cheap copy that leaves more room for the next
 * read): a large request is not copied again and again while requests
 * before it are handled. The buffer grows when what arrived does not fit:
 * to the size of the request at the head when that is larger (but by
 * doubling, with what arrives, not to what the prefix announces), and up
 * to INPUT_STREAM_SIZE when the last read filled it. Not while a request
 * is parked: it stays where it is. */
static void
conn_compact (RgBrokerConn * conn)
{
  gsize want = conn->in_size, head = conn_head_size (conn);

  if (conn->parked)
    return;
  if (conn->in_start > 0 && (conn->in_start + head > conn->in_size
          || conn_input_bytes (conn) <= INPUT_INITIAL_SIZE)
      && !conn_input_fill_on (conn, head))
    conn_input_rewind (conn);
  if (conn->in_len == conn->in_size && conn->in_size < head)
    want = MIN (head, conn->in_size * 2);
  if (conn->in_more && conn->in_size < INPUT_STREAM_SIZE)
    want = MAX (want, MIN (conn->in_size * 2, INPUT_STREAM_SIZE));
  if (want > conn->in_size)
    conn_input_replace (conn, want);
}

/* Handles the complete frames in the input buffer, in order. Returns FALSE
 * when the connection must be closed. */
static gboolean
conn_handle_frames (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;

  while (!conn->parked && !conn->muted_until && !conn_inflight_full (conn)
      && conn->out_bytes < conns->config.max_output_bytes
      && conn_input_bytes (conn) >= 4) {
    const guint8 *head = conn->in + conn->in_start;
    GError *error = NULL;
    gsize len;
    RgBrokerFrameResult res;

    if (!rg_kafka_frame_length (head, conns->config.max_request_bytes,
            &len, &error)) {
      GST_INFO ("client %s: closing: %s", conn->address, error->message);
      g_clear_error (&error);
      return FALSE;
    }
    if (conn_input_bytes (conn) < 4 + len)
      break;
    res = conns->funcs.frame (conns->user_data, conn, head + 4, len);
    if (res == RG_BROKER_FRAME_CLOSE)
      return FALSE;
    if (res == RG_BROKER_FRAME_PARKED)
      conn->parked_frame_size = 4 + len;
    else
      conn_consume (conn, 4 + len);
  }
  conn_compact (conn);
  return TRUE;
}

/* Bytes of the request at the head of the input that has not arrived
 * whole (0 when it has, or when a request is parked). */
static gsize
conn_head_partial (RgBrokerConn * conn)
{
  gsize have = conn_input_bytes (conn);

  if (conn->parked || have == 0)
    return 0;
  return have < conn_head_size (conn) ? have : 0;
}

static void
conn_update_partial (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;
  gsize partial = conn_head_partial (conn);

  conns->partial_total = conns->partial_total - conn->partial + partial;
  conn->partial = partial;
  if (partial == 0)
    conn->request_start = 0;
  else if (conn->request_start == 0)
    conn->request_start = rg_loop_now_ms ();
}

/* How many bytes the next read may take: the room at the end of the
 * input buffer, but with max_inflight_bytes set no more than what keeps
 * the requests read and not handled, the queued responses and the held
 * requests under it, except for the rest of the request at the head,
 * which must arrive whole to be handled at all. A large input buffer
 * must not let a client past the bound with requests read ahead. */
static gsize
conn_read_room (RgBrokerConn * conn)
{
  gsize room = conn->in_size - conn->in_len;
  gsize max = conn->conns->config.max_inflight_bytes;
  gsize input = conn_input_bytes (conn), head = conn_head_size (conn);
  gsize used = input + conn->out_bytes + conn->held_bytes, allow;

  if (max == 0)
    return room;
  allow = used < max ? max - used : 0;
  allow = MAX (allow, head > input ? head - input : 0);
  return MIN (room, allow);
}

/* Whether the broker reads @conn now: nothing stops it (see the top of
 * the file) and its input buffer has room. */
static gboolean
conn_can_read (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;

  return !conn->parked && !conn->muted_until && !conn_inflight_full (conn)
      && conn->out_bytes < conns->config.max_output_bytes
      && conn_read_room (conn) > 0;
}

static void
conn_update_events (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;
  guint32 want = 0;

  if (conn_can_read (conn))
    want |= RG_LOOP_IN;
  if (conn->send_blocked || (conn->tls && rg_broker_tls_wants_write
          (conn->tls)))
    want |= RG_LOOP_OUT;
  rg_loop_set_events (conns->loop, conn->source, want);
}

/* Whether the TLS session holds decrypted bytes that the input buffer
 * has room for: epoll will not report them. */
static gboolean
conn_tls_readable (RgBrokerConn * conn)
{
  return conn->tls && rg_broker_tls_has_pending (conn->tls)
      && conn_can_read (conn);
}

/* Whether to read again before waiting: the last read filled the buffer
 * (now handled, or grown), so more is likely waiting in the socket. One
 * more recv() is cheaper than a turn of the loop for it. */
static gboolean
conn_read_again (RgBrokerConn * conn)
{
  return conn->in_more && conn_can_read (conn);
}

/* Handles frames and sends responses until neither makes progress: the
 * complete requests of a read are all handled before their answers are
 * sent, together, in one vectored send. */
static void
conn_process (RgBrokerConn * conn)
{
  for (;;) {
    guint n_out = g_queue_get_length (&conn->out);
    gsize in_len = conn->in_len;

    if ((conn_tls_readable (conn) || conn_read_again (conn))
        && !conn_read (conn))
      return;
    if (!conn_handle_frames (conn))
      goto malformed;
    conn_update_partial (conn);
    if (conn_defer_flush (conn))
      return;
    if (!conn_flush (conn))
      goto failed;
    if (conn->in_len == in_len && g_queue_get_length (&conn->out) == n_out)
      break;
    if (conn->parked || conn->send_blocked)
      break;
  }
  conn_update_events (conn);
  return;

  /* ERRORS */
malformed:
  {
    rg_broker_count (conn->conns->counters, malformed, 1);
    conn_close (conn);
    return;
  }
failed:
  {
    conn_close (conn);
    return;
  }
}

static ssize_t
conn_recv (RgBrokerConn * conn, void *buf, gsize len)
{
  if (conn->tls)
    return rg_broker_tls_read (conn->tls, buf, len);
  if (sys_hooks.recv)
    return sys_hooks.recv (conn->fd, buf, len);
  return rg_broker_sys_recv (conn->fd, buf, len);
}

/* Returns FALSE when the connection was closed. */
static gboolean
conn_read (RgBrokerConn * conn)
{
  gsize room = conn_read_room (conn);
  ssize_t n;

  conn->in_more = FALSE;
  if (room == 0)
    return TRUE;
  do {
    n = conn_recv (conn, conn->in + conn->in_len, room);
  } while (n < 0 && errno == EINTR);

  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    conn_close (conn);
    return FALSE;
  }
  if (n > 0) {
    conn->in_len += n;
    conn->in_more = (gsize) n == room;
    conn->last_activity = rg_loop_now_ms ();
  }
  return TRUE;
}

/* Closes the connections with the largest partial requests while their
 * sum is over the bound. The caller holds no pointer to a connection. */
static void
conns_enforce_partial (RgBrokerConns * conns)
{
  while (conns->config.max_partial_bytes > 0
      && conns->partial_total > conns->config.max_partial_bytes) {
    RgBrokerConn *largest = NULL;
    GList *l;

    for (l = conns->conns.head; l; l = l->next) {
      RgBrokerConn *conn = l->data;

      if (!largest || conn->partial > largest->partial)
        largest = conn;
    }
    if (!largest || largest->partial == 0)
      break;
    GST_INFO ("client %s: closing: its partial request of %" G_GSIZE_FORMAT
        " bytes is the largest, and partial requests hold %" G_GSIZE_FORMAT
        " bytes (max-partial-bytes %" G_GSIZE_FORMAT ")", largest->address,
        largest->partial, conns->partial_total,
        conns->config.max_partial_bytes);
    rg_broker_count (conns->counters, closed_partial_bytes, 1);
    conn_close (largest);
  }
}

static void
conn_event (gpointer data, guint32 events)
{
  RgBrokerConn *conn = data;
  RgBrokerConns *conns = conn->conns;

  if ((events & (RG_LOOP_ERR | RG_LOOP_HUP)) && !(events & RG_LOOP_IN)) {
    conn_close (conn);
    return;
  }
  /* A TLS read that wanted writability goes on when it comes. */
  if (((events & RG_LOOP_IN) || ((events & RG_LOOP_OUT) && conn->tls
              && rg_broker_tls_wants_write (conn->tls)))
      && !conn_read (conn))
    return;
  if (events & RG_LOOP_OUT)
    conn->send_blocked = FALSE;
  conn_process (conn);
  /* Only reads make partial requests grow. */
  if (events & RG_LOOP_IN)
    conns_enforce_partial (conns);
}

/* ---- Connections ---- */

static void
conn_free (RgBrokerConn * conn)
{
  if (conn->data_free)
    conn->data_free (conn->data);
  g_free (conn->address);
  g_free (conn->local_host);
  g_free (conn->peer_host);
  if (conn->in_chunk)
    rg_broker_chunk_unref (conn->in_chunk);
  g_free (conn);
}

RgBrokerChunk *
rg_broker_conn_get_input_chunk (RgBrokerConn * conn)
{
  return conn->in_chunk;
}

/* Counts a connection of @host in or out. */
static void
conns_count_address (RgBrokerConns * conns, const gchar * host, gint delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (conns->per_address,
          host)) + delta;

  if (n == 0)
    g_hash_table_remove (conns->per_address, host);
  else
    g_hash_table_insert (conns->per_address, g_strdup (host),
        GUINT_TO_POINTER (n));
}

static void
conn_new (RgBrokerConns * conns, int fd, const struct sockaddr_storage *peer)
{
  RgBrokerConn *conn = g_new0 (RgBrokerConn, 1);
  struct sockaddr_storage local;
  socklen_t local_len = sizeof (local);
  int one = 1;

  conn->conns = conns;
  conn->fd = fd;
  conn->address = sockaddr_to_string (peer, TRUE);
  conn->peer_host = sockaddr_to_string (peer, FALSE);
  if (getsockname (fd, (struct sockaddr *) &local, &local_len) == 0)
    conn->local_host = sockaddr_to_string (&local, FALSE);
  else
    conn->local_host = g_strdup ("127.0.0.1");
  conn_input_replace (conn, INPUT_INITIAL_SIZE);
  conn->next_offset = -1;
  conn->last_activity = rg_loop_now_ms ();
  /* Responses are whole frames: send each as soon as it is complete. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  if (conns->tls && !(conn->tls = rg_broker_tls_new (conns->tls, fd))) {
    GST_WARNING ("no TLS session for a client: out of memory");
    close (fd);
    conn_free (conn);
    return;
  }

  conn->source = rg_loop_add (conns->loop, fd, RG_LOOP_IN, conn_event, conn);
  if (conn->source == NULL) {
    GST_WARNING ("epoll_ctl: %s", g_strerror (errno));
    rg_broker_tls_free (conn->tls);
    close (fd);
    conn_free (conn);
    return;
  }

  conns_count_address (conns, conn->peer_host, 1);
  pthread_mutex_lock (&conns->lock);
  conn->id = ++conns->next_id;
  conn->link.data = conn;
  g_queue_push_tail_link (&conns->conns, &conn->link);
  pthread_mutex_unlock (&conns->lock);
  atomic_fetch_add (&conns->counters->connections, 1);
  rg_broker_count (conns->counters, connections_total, 1);
  GST_DEBUG ("client %" G_GUINT64_FORMAT " connected from %s", conn->id,
      conn->address);
  conns->funcs.client (conns->user_data, conn->id, conn->address, TRUE);
}

static void
conn_close (RgBrokerConn * conn)
{
  RgBrokerConns *conns = conn->conns;
  RgBrokerTopic *last_topic;

  rg_loop_remove (conns->loop, conn->source);
  rg_broker_tls_free (conn->tls);
  conn->tls = NULL;
  close (conn->fd);
  if (conn->parked)
    conn_unpark (conn);
  if (conn->muted_until)
    conn_unmute (conn);
  conn_clear_held (conn);
  if (conn->flush_queued)
    g_queue_unlink (&conns->flush_pending, &conn->flush_link);
  g_queue_clear_full (&conn->out, (GDestroyNotify) output_free);
  conns->partial_total -= conn->partial;
  conns_count_address (conns, conn->peer_host, -1);

  pthread_mutex_lock (&conns->lock);
  g_queue_unlink (&conns->conns, &conn->link);
  last_topic = conn->last_topic;
  conn->last_topic = NULL;
  pthread_mutex_unlock (&conns->lock);
  if (last_topic)
    rg_broker_topic_unref (last_topic);
  atomic_fetch_sub (&conns->counters->connections, 1);

  GST_DEBUG ("client %" G_GUINT64_FORMAT " (%s) closed", conn->id,
      conn->address);
  conns->funcs.client (conns->user_data, conn->id, conn->address, FALSE);
  conn_free (conn);
}

/* ---- Accepting ---- */

static void
listener_set_enabled (RgBrokerConns * conns, gboolean enabled)
{
  rg_loop_set_events (conns->loop, conns->listen_source,
      enabled ? RG_LOOP_IN : 0);
}

void
rg_broker_conns_set_max_connections (RgBrokerConns * conns,
    guint max_connections)
{
  conns->config.max_connections = MAX (max_connections, 1);
}

void
rg_broker_conns_set_max_connections_per_address (RgBrokerConns * conns,
    guint max_connections_per_address)
{
  conns->config.max_connections_per_address = max_connections_per_address;
}

/* Whether a new connection from @peer may be served. */
static gboolean
conns_admit (RgBrokerConns * conns, const struct sockaddr_storage *peer)
{
  guint limit = conns->config.max_connections_per_address;
  gchar *host;
  guint n;

  if (atomic_load (&conns->counters->connections) >=
      conns->config.max_connections) {
    GST_INFO ("refusing a connection: %u connections open (max-connections)",
        conns->config.max_connections);
    rg_broker_count (conns->counters, connections_refused, 1);
    return FALSE;
  }
  if (limit == 0)
    return TRUE;
  host = sockaddr_to_string (peer, FALSE);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (conns->per_address, host));
  if (n >= limit) {
    GST_INFO ("refusing a connection from %s: it has %u open "
        "(max-connections-per-address)", host, n);
    rg_broker_count (conns->counters, connections_refused_per_address, 1);
  }
  g_free (host);
  return n < limit;
}

static void
conns_accept (gpointer data, guint32 events)
{
  RgBrokerConns *conns = data;

  for (;;) {
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof (peer);
    int fd = accept4 (conns->listen_fd, (struct sockaddr *) &peer,
        &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
          || errno == ENOMEM) {
        /* Out of descriptors: the pending connects stay in the backlog;
         * retry later instead of spinning on a readable listener. */
        GST_WARNING ("accept: %s; pausing for %d ms", g_strerror (errno),
            ACCEPT_PAUSE_MS);
        listener_set_enabled (conns, FALSE);
        conns->accept_resume = rg_loop_now_ms () + ACCEPT_PAUSE_MS;
      }
      return;
    }
    if (!conns_admit (conns, &peer)) {
      close (fd);
      continue;
    }
    conn_new (conns, fd, &peer);
  }
}

/* ---- The set ---- */

RgBrokerConns *
rg_broker_conns_new (RgLoop * loop, int listen_fd,
    const RgBrokerConfig * config, RgBrokerCounters * counters,
    const RgBrokerConnFuncs * funcs, gpointer user_data)
{
  RgBrokerConns *conns = g_new0 (RgBrokerConns, 1);

  conns->loop = loop;
  conns->listen_fd = listen_fd;
  conns->config = *config;
  conns->config.advertised_host = NULL;
  conns->counters = counters;
  conns->funcs = *funcs;
  conns->user_data = user_data;
  /* One largest request must always be able to arrive. */
  if (conns->config.max_partial_bytes > 0)
    conns->config.max_partial_bytes = MAX (conns->config.max_partial_bytes,
        4 + conns->config.max_request_bytes);
  pthread_mutex_init (&conns->lock, NULL);
  conns->per_address = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  conns->flush_items = g_ptr_array_new ();
  conns->pool = rg_broker_chunk_pool_new ();
  /* Often enough to close a slow request near its timeout. */
  conns->sweep_interval = SWEEP_INTERVAL_MS;
  if (config->request_timeout_ms > 0)
    conns->sweep_interval = CLAMP (config->request_timeout_ms / 4, 10,
        SWEEP_INTERVAL_MS);
  conns->next_sweep = rg_loop_now_ms () + conns->sweep_interval;
  if (config->send_threads > 0) {
    conns->io = rg_broker_io_new (config->send_threads, conn_send);
    if (conns->io == NULL)
      GST_WARNING ("could not start %u send threads: the loop sends alone",
          config->send_threads);
    rg_broker_send_chooser_init (&conns->chooser, g_get_monotonic_time ());
  }
  conns->listen_source = rg_loop_add (loop, listen_fd, RG_LOOP_IN,
      conns_accept, conns);
  if (conns->listen_source == NULL) {
    rg_broker_conns_free (conns);
    return NULL;
  }
  return conns;
}

void
rg_broker_conns_free (RgBrokerConns * conns)
{
  if (!conns)
    return;
  while (conns->conns.head)
    conn_close (conns->conns.head->data);
  if (conns->listen_source)
    rg_loop_remove (conns->loop, conns->listen_source);
  g_ptr_array_unref (conns->flush_items);
  g_hash_table_unref (conns->per_address);
  /* Chunks that stored batches still hold come back to it later: it
   * lives until the last one does. */
  rg_broker_chunk_pool_free (conns->pool);
  rg_broker_io_free (conns->io);
  pthread_mutex_destroy (&conns->lock);
  g_free (conns);
}

/* Retries the parked requests after a wake-up or at a deadline. */
static void
conns_service_parked (RgBrokerConns * conns, gint64 now)
{
  GList *l = conns->parked.head;
  guint n = g_queue_get_length (&conns->parked);

  /* Only the connections parked when this started: one that parks again
   * while being served is appended and looked at next time. */
  while (l && n-- > 0) {
    RgBrokerConn *conn = l->data;
    RgBrokerFrameResult res;

    l = l->next;
    res = conns->funcs.retry (conns->user_data, conn, conn->parked,
        now >= conn->parked_deadline);
    if (res == RG_BROKER_FRAME_PARKED)
      continue;
    conn_unpark (conn);
    conn_consume (conn, conn->parked_frame_size);
    if (res == RG_BROKER_FRAME_CLOSE) {
      conn_close (conn);
      continue;
    }
    conn_process (conn);
  }
}

static gint64
conns_next_deadline (RgBrokerConns * conns)
{
  gint64 deadline = conns->next_sweep;
  GList *l;

  if (conns->accept_resume)
    deadline = MIN (deadline, conns->accept_resume);
  for (l = conns->muted.head; l; l = l->next)
    deadline = MIN (deadline, ((RgBrokerConn *) l->data)->muted_until);
  for (l = conns->parked.head; l; l = l->next) {
    RgBrokerConn *conn = l->data;

    deadline = MIN (deadline, conn->parked_deadline);
    if (conn->parked_polls)
      deadline = MIN (deadline, conns->next_poll);
  }
  return deadline;
}

/* Whether @conn's request at the head has taken too long to arrive. Not
 * while the broker does not read it (output queue full). */
static gboolean
conn_request_late (RgBrokerConn * conn, gint64 now)
{
  RgBrokerConns *conns = conn->conns;

  return conns->config.request_timeout_ms > 0 && conn->request_start > 0
      && !conn->muted_until && !conn_inflight_full (conn)
      && conn->out_bytes < conns->config.max_output_bytes
      && now - conn->request_start >= conns->config.request_timeout_ms;
}

static gboolean
conn_idle (RgBrokerConn * conn, gint64 now)
{
  RgBrokerConns *conns = conn->conns;

  return conns->config.idle_timeout_ms > 0 && !conn->parked
      && g_queue_is_empty (&conn->out)
      && now - conn->last_activity >= conns->config.idle_timeout_ms;
}

static void
conns_sweep (RgBrokerConns * conns, gint64 now)
{
  GList *l = conns->conns.head;

  /* The loop thread is the only one that changes the list. */
  while (l) {
    RgBrokerConn *conn = l->data;

    l = l->next;
    if (conn_request_late (conn, now)) {
      GST_INFO ("client %s: closing: a request of which %" G_GSIZE_FORMAT
          " bytes arrived did not arrive whole within %u ms "
          "(request-timeout)", conn->address, conn->partial,
          conns->config.request_timeout_ms);
      rg_broker_count (conns->counters, closed_request_timeout, 1);
      conn_close (conn);
    } else if (conn_idle (conn, now)) {
      GST_INFO ("client %s idle for %u ms: closing", conn->address,
          conns->config.idle_timeout_ms);
      conn_close (conn);
    } else if (now - conn->last_activity >= SWEEP_INTERVAL_MS) {
      /* Connections which have stopped streaming (nothing read for a
       * sweep interval) hold the initial size only: one that streams
       * again grows it with its next reads. One that still streams keeps
       * its chunk size: shrinking it between two of its reads would make
       * it take chunks of every size on the way back up, which the pool
       * does not keep enough of. */
      conn_shrink_input (conn, INPUT_INITIAL_SIZE);
    }
  }
}

/* After a wake-up (a journal's durable offset moved): drops the held
 * requests now durable, and reads again the connections that frees. */
static void
conns_settle_held (RgBrokerConns * conns)
{
  GList *l = conns->holding.head;

  while (l) {
    RgBrokerConn *conn = l->data;
    gboolean was_full = conn_inflight_full (conn);

    l = l->next;
    if (conn_settle_held (conn) && was_full && !conn_inflight_full (conn))
      conn_process (conn);
  }
}

/* Reads the muted connections whose throttle time has passed again. */
static void
conns_unmute (RgBrokerConns * conns, gint64 now)
{
  GList *l = conns->muted.head;

  while (l) {
    RgBrokerConn *conn = l->data;

    l = l->next;
    if (now < conn->muted_until)
      continue;
    conn_unmute (conn);
    /* It may close the connection; l is already past it. */
    conn_process (conn);
  }
}

/* Sends the outputs left for the end of the turn: on the send threads and
 * this one together, then on with each connection here. */
static void
conns_flush_pending (RgBrokerConns * conns)
{
  GPtrArray *items = conns->flush_items;
  guint i;

  if (g_queue_is_empty (&conns->flush_pending))
    return;
  g_ptr_array_set_size (items, 0);
  while (!g_queue_is_empty (&conns->flush_pending)) {
    /* The link is the connection's own: popped, not freed. */
    RgBrokerConn *conn = g_queue_pop_head_link (&conns->flush_pending)->data;

    conn->flush_queued = FALSE;
    g_ptr_array_add (items, conn);
  }
  rg_broker_io_run (conns->io, items->pdata, items->len);
  if (items->len > 1)
    rg_broker_count (conns->counters, parallel_sends, items->len);
  for (i = 0; i < items->len; i++) {
    RgBrokerConn *conn = g_ptr_array_index (items, i);

    if (!conn_send_finish (conn))
      conn_close (conn);
    else
      conn_process (conn);
  }
}

gint64
rg_broker_conns_turn (RgBrokerConns * conns, gint64 now, gboolean woken)
{
  if (woken || conns_next_deadline (conns) <= now) {
    conns_service_parked (conns, now);
    conns_settle_held (conns);
    conns->next_poll = now + JOURNAL_POLL_MS;
  }
  if (conns->accept_resume && now >= conns->accept_resume) {
    conns->accept_resume = 0;
    listener_set_enabled (conns, TRUE);
  }
  conns_unmute (conns, now);
  if (now >= conns->next_sweep) {
    conns_sweep (conns, now);
    conns->next_sweep = now + conns->sweep_interval;
  }
  conns_flush_pending (conns);
  if (conns->io)
    rg_broker_send_chooser_account (&conns->chooser, 0,
        g_get_monotonic_time ());
  /* Output left for a parallel send is sent in the next turn at once. */
  if (!g_queue_is_empty (&conns->flush_pending))
    return now;
  return conns_next_deadline (conns);
}

void
rg_broker_client_info_free (RgBrokerClientInfo * info)
{
  if (!info)
    return;
  g_free (info->address);
  g_free (info->topic);
  g_free (info);
}

GPtrArray *
rg_broker_conns_get_clients (RgBrokerConns * conns)
{
  GPtrArray *clients = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_client_info_free);
  GList *l;

  pthread_mutex_lock (&conns->lock);
  for (l = conns->conns.head; l; l = l->next) {
    RgBrokerConn *conn = l->data;
    RgBrokerClientInfo *info = g_new0 (RgBrokerClientInfo, 1);

    info->id = conn->id;
    info->address = g_strdup (conn->address);
    info->bytes_sent = conn->bytes_sent;
    info->fetches = conn->fetches;
    info->next_offset = conn->next_offset;
    info->lag = -1;
    if (conn->last_topic) {
      guint64 hw = rg_broker_topic_get_high_watermark (conn->last_topic);

      info->topic = g_strdup (rg_broker_topic_get_name (conn->last_topic));
      info->lag = MAX ((gint64) hw - conn->next_offset, 0);
    }
    g_ptr_array_add (clients, info);
  }
  pthread_mutex_unlock (&conns->lock);
  return clients;
}
