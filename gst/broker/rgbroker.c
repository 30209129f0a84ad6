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
 * The embedded broker: registry, listener, event loop and connections.
 * Requests are answered by rgbrokerdispatch.c, topic storage is
 * rgbrokertopic.c (in memory) and rgbrokerjournal.c (journal files), the
 * wire codec is rgkafka.c.
 *
 * Event loop
 * ==========
 * One thread per broker runs epoll_wait() over the listening socket, an
 * eventfd and every client socket (level-triggered). Other threads talk to
 * it only through the eventfd (appends and shutdown write to it) and
 * through state guarded by pthread mutexes or held in C11 atomics; no GLib
 * lock is used, so ThreadSanitizer sees every synchronisation.
 *
 * Send threads (rgbrokerio.c): a connection with SEND_PARALLEL_MIN_BYTES
 * or more to send is left in flush_pending until the end of the turn; then
 * the loop sends all of them at once together with config.send_threads
 * helpers, each connection on one thread, and waits for every one before
 * it frees what was sent, counts it and goes on with the connections.
 * The helpers only make the system calls: a large copy into a socket (and
 * on loopback the receiver's TCP work) is what one loop thread cannot
 * spread over the cores.
 *
 * Connection life
 * ===============
 * Bytes are read into a per-connection buffer that grows to the size of
 * the current frame and never beyond 4 + max_request_bytes; a size prefix
 * above the limit closes the connection before the frame is read. Complete
 * frames are handled strictly one after the other: a response is queued
 * before the next frame is parsed, so responses leave in request order.
 * Two things stop a connection's reading, which is what bounds its memory:
 *  - a parked Fetch (long poll): it stays in the input buffer, untouched,
 *    until new records make MinBytes reachable, its MaxWaitMs passes, or
 *    its topic goes away; later requests wait behind it, as in Kafka;
 *  - an output queue above max_output_bytes: the broker waits until the
 *    client has read enough.
 * Output is sent from the response segments: protocol bytes and in-memory
 * records with sendmsg(MSG_NOSIGNAL) (a writev() that cannot raise
 * SIGPIPE), journal segment ranges with sendfile() (SIGPIPE is blocked in
 * the loop thread). EPOLLOUT is watched only while a send was short.
 * Parked fetches on journal-backed topics whose writer gives no tail (see
 * rg_journal_writer_get_tail()) are also re-checked every JOURNAL_POLL_MS,
 * because such a journal grows without a notification; a writer's tail
 * wakes the loop itself, also when its own thread flushes small records.
 *
 * Errors: a malformed frame, an unsupported API or version (except
 * ApiVersions, which gets error 35 so the client can retry lower) closes
 * the connection, as Kafka does.
 */

/* accept4() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerprivate.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

GST_DEBUG_CATEGORY (rg_broker_debug);
#define GST_CAT_DEFAULT rg_broker_debug

/* Segments handed to one sendmsg(): the kernel's limit (UIO_MAXIOV). A
 * response of small records has three segments per record, so a smaller
 * array would split a 1 MiB response into hundreds of system calls. */
#define SEND_IOV_MAX 1024
/* Initial input buffer: enough for the requests clients send. */
#define INPUT_INITIAL_SIZE 4096
/* Events handled per epoll_wait(). */
#define MAX_EVENTS 256
/* How often idle connections are looked for, ms. */
#define SWEEP_INTERVAL_MS 1000
/* Parked fetches on journal-backed topics without a writer's tail look at
 * the files this often, for appends no one notified. */
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

G_DEFINE_QUARK (rg-broker-error-quark, rg_broker_error);

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GList *registry;
static RgBrokerSysHooks sys_hooks;

static void conn_close (RgBrokerConn * conn);
static void conn_update_events (RgBrokerConn * conn);
static void conn_process (RgBrokerConn * conn);

/* ---- Small helpers ---- */

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

ssize_t
rg_broker_sys_send_iov (int fd, const struct iovec *iov, int iovcnt)
{
  struct msghdr msg = { 0, };

  msg.msg_iov = (struct iovec *) iov;
  msg.msg_iovlen = iovcnt;
  return sendmsg (fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
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
send_iov (int fd, const struct iovec *iov, int iovcnt)
{
  if (sys_hooks.send_iov)
    return sys_hooks.send_iov (fd, iov, iovcnt);
  return rg_broker_sys_send_iov (fd, iov, iovcnt);
}

guint
rg_broker_default_send_threads (void)
{
  return MIN (MAX (g_get_num_processors (), 1) - 1, 3);
}

void
rg_broker_config_init (RgBrokerConfig * config)
{
  g_return_if_fail (config != NULL);

  config->max_connections = RG_BROKER_DEFAULT_MAX_CONNECTIONS;
  config->max_request_bytes = RG_BROKER_DEFAULT_MAX_REQUEST_BYTES;
  config->max_output_bytes = RG_BROKER_DEFAULT_MAX_OUTPUT_BYTES;
  config->idle_timeout_ms = RG_BROKER_DEFAULT_IDLE_TIMEOUT_MS;
  config->advertised_host = NULL;
  config->ingest_batches = 0;
  config->send_threads = rg_broker_default_send_threads ();
}

void
rg_broker_wake (RgBroker * broker)
{
  guint64 one = 1;

  /* Appends come much faster than the loop turns (one per buffer): while
   * a wake-up is pending, the loop has yet to look at the topics and will
   * see this append too, so one eventfd write serves them all. The flag
   * is cleared by the loop before it looks (broker_drain_eventfd()). */
  if (atomic_exchange (&broker->wake_pending, TRUE))
    return;
  /* An eventfd write only fails when the counter would overflow, which
   * means the loop has not yet read earlier wake-ups: nothing is lost. */
  if (write (broker->event_fd, &one, sizeof (one)) < 0)
    GST_LOG ("eventfd write: %s", g_strerror (errno));
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

/* ---- Client watches ---- */

static void
notify_watches (RgBroker * broker, RgBrokerConn * conn, gboolean added)
{
  guint i;

  pthread_mutex_lock (&broker->watch_lock);
  for (i = 0; i < broker->watches->len; i++) {
    RgBrokerWatch *w = &g_array_index (broker->watches, RgBrokerWatch, i);
    w->func (broker, conn->id, conn->address, added, w->user_data);
  }
  pthread_mutex_unlock (&broker->watch_lock);
}

guint
rg_broker_add_client_watch (RgBroker * broker, RgBrokerClientFunc func,
    gpointer user_data)
{
  RgBrokerWatch w;

  g_return_val_if_fail (broker != NULL && func != NULL, 0);

  pthread_mutex_lock (&broker->watch_lock);
  w.id = ++broker->next_watch_id;
  w.func = func;
  w.user_data = user_data;
  g_array_append_val (broker->watches, w);
  pthread_mutex_unlock (&broker->watch_lock);
  return w.id;
}

void
rg_broker_remove_client_watch (RgBroker * broker, guint watch_id)
{
  guint i;

  g_return_if_fail (broker != NULL);

  pthread_mutex_lock (&broker->watch_lock);
  for (i = 0; i < broker->watches->len; i++) {
    if (g_array_index (broker->watches, RgBrokerWatch, i).id == watch_id) {
      g_array_remove_index (broker->watches, i);
      break;
    }
  }
  pthread_mutex_unlock (&broker->watch_lock);
}

/* ---- Topics ---- */

/* Registers @topic (transfer full) under its name. */
static RgBrokerTopic *
broker_register_topic (RgBroker * broker, RgBrokerTopic * topic,
    GError ** error)
{
  const gchar *name = rg_broker_topic_get_name (topic);
  gsize len = strlen (name);

  if (len == 0 || len > RG_BROKER_MAX_TOPIC_NAME)
    goto invalid_name;
  pthread_mutex_lock (&broker->lock);
  if (g_hash_table_contains (broker->topics, name)) {
    pthread_mutex_unlock (&broker->lock);
    goto exists;
  }
  g_hash_table_insert (broker->topics, (gpointer) name,
      rg_broker_topic_ref (topic));
  pthread_mutex_unlock (&broker->lock);
  return topic;

  /* ERRORS */
invalid_name:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_INVALID,
        "Invalid topic name \"%s\": it must have 1 to %d bytes", name,
        RG_BROKER_MAX_TOPIC_NAME);
    rg_broker_topic_unref (topic);
    return NULL;
  }
exists:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_TOPIC_EXISTS,
        "Topic \"%s\" is already served on port %u by another element", name,
        broker->port);
    rg_broker_topic_unref (topic);
    return NULL;
  }
}

RgBrokerTopic *
rg_broker_add_topic (RgBroker * broker, const gchar * name, guint ring_size,
    GError ** error)
{
  g_return_val_if_fail (broker != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return broker_register_topic (broker, rg_broker_topic_new (broker, name,
          ring_size), error);
}

RgBrokerTopic *
rg_broker_add_journal_topic (RgBroker * broker, const gchar * name,
    const gchar * dir, RgJournalTail * tail, GError ** error)
{
  g_return_val_if_fail (broker != NULL, NULL);
  g_return_val_if_fail (name != NULL && dir != NULL, NULL);

  return broker_register_topic (broker, rg_broker_topic_new_journal (broker,
          name, dir, tail), error);
}

gboolean
rg_broker_add_live_view (RgBroker * broker, RgBrokerTopic * topic,
    guint max_lag, GError ** error)
{
  const gchar *live;

  g_return_val_if_fail (broker != NULL && topic != NULL, FALSE);
  g_return_val_if_fail (max_lag > 0, FALSE);

  if (rg_broker_topic_is_journal (topic)
      || strlen (rg_broker_topic_get_name (topic)) + 5 >
      RG_BROKER_MAX_TOPIC_NAME)
    goto invalid;
  pthread_mutex_lock (&broker->lock);
  live = rg_broker_topic_set_live (topic, max_lag);
  if (g_hash_table_contains (broker->topics, live)) {
    pthread_mutex_unlock (&broker->lock);
    goto exists;
  }
  g_hash_table_insert (broker->topics, (gpointer) live,
      rg_broker_topic_ref (topic));
  pthread_mutex_unlock (&broker->lock);
  return TRUE;

  /* ERRORS */
invalid:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_INVALID,
        "Topic \"%s\" cannot have a .live view: only in-memory topics with "
        "names of at most %d bytes can", rg_broker_topic_get_name (topic),
        RG_BROKER_MAX_TOPIC_NAME - 5);
    return FALSE;
  }
exists:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_TOPIC_EXISTS,
        "Topic \"%s\" is already served on port %u by another element",
        live, broker->port);
    return FALSE;
  }
}

void
rg_broker_remove_topic (RgBroker * broker, RgBrokerTopic * topic)
{
  const gchar *live;

  g_return_if_fail (broker != NULL && topic != NULL);

  rg_broker_topic_detach (topic);
  pthread_mutex_lock (&broker->lock);
  live = rg_broker_topic_get_live_name (topic);
  if (live && g_hash_table_lookup (broker->topics, live) == topic)
    g_hash_table_remove (broker->topics, live);
  if (g_hash_table_lookup (broker->topics,
          rg_broker_topic_get_name (topic)) == topic)
    g_hash_table_remove (broker->topics, rg_broker_topic_get_name (topic));
  pthread_mutex_unlock (&broker->lock);
  /* Parked fetches on it are answered now, not at their deadline. */
  rg_broker_wake (broker);
  rg_broker_topic_unref (topic);
}

/* Returns a new reference to the topic named @name, or NULL. */
RgBrokerTopic *
rg_broker_lookup_topic (RgBroker * broker, RgKafkaStr name)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;

  if (name.len <= 0 || name.len > RG_BROKER_MAX_TOPIC_NAME)
    return NULL;
  memcpy (buf, name.data, name.len);
  buf[name.len] = '\0';

  pthread_mutex_lock (&broker->lock);
  topic = g_hash_table_lookup (broker->topics, buf);
  if (topic)
    rg_broker_topic_ref (topic);
  pthread_mutex_unlock (&broker->lock);
  return topic;
}

/* Kafka's legal topic characters: an ingest topic is created from a name a
 * client sent, so it must be one a Kafka cluster would accept too. */
static gboolean
ingest_name_valid (RgKafkaStr name)
{
  gint32 i;

  if (name.len <= 0 || name.len > RG_BROKER_MAX_TOPIC_NAME)
    return FALSE;
  for (i = 0; i < name.len; i++) {
    gchar c = name.data[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return !(name.len <= 2 && name.data[0] == '.' &&
      (name.len == 1 || name.data[1] == '.'));
}

/* Returns a new reference to the topic named @name, creating an ingest
 * topic when the broker accepts ingest and no topic has that name; NULL
 * when ingest is off or the name is not a legal Kafka topic name. */
RgBrokerTopic *
rg_broker_ensure_ingest_topic (RgBroker * broker, RgKafkaStr name)
{
  RgBrokerTopic *topic = rg_broker_lookup_topic (broker, name);
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];

  if (topic || broker->config.ingest_batches == 0
      || !ingest_name_valid (name))
    return topic;
  memcpy (buf, name.data, name.len);
  buf[name.len] = '\0';

  pthread_mutex_lock (&broker->lock);
  /* A pipeline may have registered the name since the lookup. */
  topic = g_hash_table_lookup (broker->topics, buf);
  if (topic) {
    rg_broker_topic_ref (topic);
  } else {
    topic = rg_broker_topic_new_ingest (broker, buf,
        broker->config.ingest_batches);
    g_hash_table_insert (broker->topics,
        (gpointer) rg_broker_topic_get_name (topic),
        rg_broker_topic_ref (topic));
    GST_INFO ("created ingest topic \"%s\"", buf);
  }
  pthread_mutex_unlock (&broker->lock);
  return topic;
}

/* ---- Stats ---- */

guint
rg_broker_get_port (RgBroker * broker)
{
  g_return_val_if_fail (broker != NULL, 0);
  return broker->port;
}

void
rg_broker_get_stats (RgBroker * broker, RgBrokerStats * stats)
{
  g_return_if_fail (broker != NULL && stats != NULL);

  stats->connections = atomic_load (&broker->n_conns);
  stats->connections_total = atomic_load (&broker->connections_total);
  stats->connections_refused = atomic_load (&broker->connections_refused);
  stats->requests = atomic_load (&broker->requests);
  stats->fetches = atomic_load (&broker->fetches);
  stats->bytes_served = atomic_load (&broker->bytes_served);
  stats->records_served = atomic_load (&broker->records_served);
  stats->malformed = atomic_load (&broker->malformed);
  stats->fetches_waiting = atomic_load (&broker->fetches_waiting);
  stats->parallel_sends = atomic_load (&broker->parallel_sends);
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
rg_broker_get_clients (RgBroker * broker)
{
  GPtrArray *clients;
  GList *l;

  g_return_val_if_fail (broker != NULL, NULL);

  clients = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_client_info_free);
  pthread_mutex_lock (&broker->lock);
  for (l = broker->conns.head; l; l = l->next) {
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
  pthread_mutex_unlock (&broker->lock);
  return clients;
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
  g_queue_push_tail (&conn->out, out);
  conn->out_bytes += rg_kafka_response_get_size (response);
  atomic_fetch_add_explicit (&conn->broker->requests, 1,
      memory_order_relaxed);
}

static void
output_free (RgBrokerOutput * out)
{
  rg_kafka_response_free (out->response);
  g_free (out);
}

/* Fills @iov from the output's current position up to the next FILE
 * segment; returns the count (0 when the current segment is a FILE). */
static guint
output_fill_iov (RgBrokerOutput * out, struct iovec *iov)
{
  const RgKafkaSegment *segs;
  guint n_segs, i, n = 0;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  for (i = out->segment; i < n_segs && n < SEND_IOV_MAX; i++) {
    gsize skip = (i == out->segment) ? out->segment_offset : 0;

    if (segs[i].type == RG_KAFKA_SEGMENT_FILE)
      break;
    iov[n].iov_base = (guint8 *) segs[i].data + skip;
    iov[n].iov_len = segs[i].length - skip;
    n++;
  }
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

/* Sends from the output's current position: a FILE segment with
 * sendfile(), else memory segments with one vectored send. */
static ssize_t
output_send (RgBrokerConn * conn, RgBrokerOutput * out)
{
  struct iovec iov[SEND_IOV_MAX];
  const RgKafkaSegment *segs, *seg;
  guint n_segs, n;
  ssize_t sent;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  seg = &segs[out->segment];
  if (seg->type != RG_KAFKA_SEGMENT_FILE) {
    n = output_fill_iov (out, iov);
    return send_iov (conn->fd, iov, n);
  }
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

/* Moves the output's position @sent bytes on; TRUE when it is complete. */
static gboolean
output_advance (RgBrokerOutput * out, gsize sent)
{
  const RgKafkaSegment *segs;
  guint n_segs;

  segs = rg_kafka_response_get_segments (out->response, &n_segs);
  while (out->segment < n_segs) {
    gsize left = segs[out->segment].length - out->segment_offset;

    if (sent < left) {
      out->segment_offset += sent;
      return FALSE;
    }
    sent -= left;
    out->segment++;
    out->segment_offset = 0;
  }
  return TRUE;
}

static void
conn_count_sent (RgBrokerConn * conn, gsize bytes)
{
  RgBroker *broker = conn->broker;

  atomic_fetch_add_explicit (&broker->bytes_served, bytes,
      memory_order_relaxed);
  pthread_mutex_lock (&broker->lock);
  conn->bytes_sent += bytes;
  pthread_mutex_unlock (&broker->lock);
}

/* Sends what the socket takes, counting the outputs sent whole in
 * conn->flush_done (they stay at the head of the queue) and the bytes in
 * conn->flush_sent. It touches only the connection's own output and
 * allocates nothing, so a send thread may run it (rgbrokerio.c). Sets
 * conn->flush_ok to FALSE when the connection failed. */
static void
conn_send (gpointer data)
{
  RgBrokerConn *conn = data;
  GList *l = g_queue_peek_nth_link (&conn->out, conn->flush_done);

  conn->send_blocked = FALSE;
  conn->flush_ok = TRUE;
  while (l) {
    RgBrokerOutput *out = l->data;
    ssize_t sent = output_send (conn, out);

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
    if (output_advance (out, sent)) {
      conn->out_bytes -= rg_kafka_response_get_size (out->response);
      conn->flush_done++;
      l = l->next;
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
    conn->last_activity = now_ms ();
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
  RgBroker *broker = conn->broker;

  if (broker->io == NULL || conn->send_blocked
      || conn->out_bytes < SEND_PARALLEL_MIN_BYTES
      || !output_is_bulk (g_queue_peek_head (&conn->out)))
    return FALSE;
  if (!conn->flush_queued) {
    conn->flush_queued = TRUE;
    conn->flush_link.data = conn;
    g_queue_push_tail_link (&broker->flush_pending, &conn->flush_link);
  }
  return TRUE;
}

void
rg_broker_conn_park (RgBrokerConn * conn, RgKafkaRequest * req,
    gsize frame_size, gboolean polls)
{
  conn->parked = req;
  conn->parked_polls = polls;
  conn->parked_frame_size = frame_size;
  conn->parked_deadline = now_ms () + req->body.fetch.max_wait_ms;
  conn->parked_link.data = conn;
  g_queue_push_tail_link (&conn->broker->parked, &conn->parked_link);
  atomic_fetch_add (&conn->broker->fetches_waiting, 1);
}

void
rg_broker_conn_unpark (RgBrokerConn * conn)
{
  g_queue_unlink (&conn->broker->parked, &conn->parked_link);
  rg_kafka_request_free (conn->parked);
  conn->parked = NULL;
  atomic_fetch_sub (&conn->broker->fetches_waiting, 1);
}

static void
conn_consume (RgBrokerConn * conn, gsize n)
{
  memmove (conn->in, conn->in + n, conn->in_len - n);
  conn->in_len -= n;
  /* Give a large request's buffer back once it is handled. */
  if (conn->in_len == 0 && conn->in_size > INPUT_INITIAL_SIZE) {
    conn->in = g_realloc (conn->in, INPUT_INITIAL_SIZE);
    conn->in_size = INPUT_INITIAL_SIZE;
  }
}

/* Handles the complete frames in the input buffer, in order. Returns FALSE
 * when the connection must be closed. */
static gboolean
conn_handle_frames (RgBrokerConn * conn)
{
  RgBroker *broker = conn->broker;

  while (!conn->parked && conn->out_bytes < broker->config.max_output_bytes
      && conn->in_len >= 4) {
    GError *error = NULL;
    gsize len;
    RgBrokerHandleResult res;

    if (!rg_kafka_frame_length (conn->in, broker->config.max_request_bytes,
            &len, &error)) {
      GST_INFO ("client %s: closing: %s", conn->address, error->message);
      g_clear_error (&error);
      return FALSE;
    }
    if (conn->in_len < 4 + len) {
      if (conn->in_size < 4 + len) {
        conn->in = g_realloc (conn->in, 4 + len);
        conn->in_size = 4 + len;
      }
      break;
    }
    res = rg_broker_handle_frame (conn, conn->in + 4, len);
    if (res == RG_BROKER_HANDLE_CLOSE)
      return FALSE;
    if (res == RG_BROKER_HANDLE_DONE)
      conn_consume (conn, 4 + len);
  }
  return TRUE;
}

static void
conn_update_events (RgBrokerConn * conn)
{
  RgBroker *broker = conn->broker;
  guint32 want = 0;

  if (!conn->parked && conn->out_bytes < broker->config.max_output_bytes
      && conn->in_len < conn->in_size)
    want |= EPOLLIN;
  if (conn->send_blocked)
    want |= EPOLLOUT;
  if (want != conn->events) {
    struct epoll_event ev = { 0, };

    ev.events = want;
    ev.data.ptr = conn;
    if (epoll_ctl (broker->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev) == 0)
      conn->events = want;
  }
}

/* Handles frames and sends responses until neither makes progress. */
static void
conn_process (RgBrokerConn * conn)
{
  for (;;) {
    guint n_out = g_queue_get_length (&conn->out);
    gsize in_len = conn->in_len;

    if (!conn_handle_frames (conn))
      goto malformed;
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
    atomic_fetch_add_explicit (&conn->broker->malformed, 1,
        memory_order_relaxed);
    conn_close (conn);
    return;
  }
failed:
  {
    conn_close (conn);
    return;
  }
}

/* Returns FALSE when the connection was closed. */
static gboolean
conn_read (RgBrokerConn * conn)
{
  ssize_t n;

  if (conn->in_len == conn->in_size)
    return TRUE;
  do {
    n = recv (conn->fd, conn->in + conn->in_len,
        conn->in_size - conn->in_len, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);

  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    conn_close (conn);
    return FALSE;
  }
  if (n > 0) {
    conn->in_len += n;
    conn->last_activity = now_ms ();
  }
  return TRUE;
}

static void
conn_event (RgBrokerConn * conn, guint32 events)
{
  if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
    conn_close (conn);
    return;
  }
  if ((events & EPOLLIN) && !conn_read (conn))
    return;
  if (events & EPOLLOUT)
    conn->send_blocked = FALSE;
  conn_process (conn);
}

/* ---- Connections ---- */

static void
conn_new (RgBroker * broker, int fd, const struct sockaddr_storage *peer)
{
  RgBrokerConn *conn = g_new0 (RgBrokerConn, 1);
  struct sockaddr_storage local;
  socklen_t local_len = sizeof (local);
  struct epoll_event ev = { 0, };
  int one = 1;

  conn->broker = broker;
  conn->fd = fd;
  conn->address = sockaddr_to_string (peer, TRUE);
  if (getsockname (fd, (struct sockaddr *) &local, &local_len) == 0)
    conn->local_host = sockaddr_to_string (&local, FALSE);
  else
    conn->local_host = g_strdup ("127.0.0.1");
  conn->in_size = INPUT_INITIAL_SIZE;
  conn->in = g_malloc (conn->in_size);
  conn->next_offset = -1;
  conn->last_activity = now_ms ();
  /* Responses are whole frames: send each as soon as it is complete. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));

  ev.events = conn->events = EPOLLIN;
  ev.data.ptr = conn;
  if (epoll_ctl (broker->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    GST_WARNING ("epoll_ctl: %s", g_strerror (errno));
    close (fd);
    g_free (conn->address);
    g_free (conn->local_host);
    g_free (conn->in);
    g_free (conn);
    return;
  }

  pthread_mutex_lock (&broker->lock);
  conn->id = ++broker->next_client_id;
  conn->link.data = conn;
  g_queue_push_tail_link (&broker->conns, &conn->link);
  pthread_mutex_unlock (&broker->lock);
  atomic_fetch_add (&broker->n_conns, 1);
  atomic_fetch_add (&broker->connections_total, 1);
  GST_DEBUG ("client %" G_GUINT64_FORMAT " connected from %s", conn->id,
      conn->address);
  notify_watches (broker, conn, TRUE);
}

static void
conn_close (RgBrokerConn * conn)
{
  RgBroker *broker = conn->broker;
  RgBrokerTopic *last_topic;

  epoll_ctl (broker->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  close (conn->fd);
  if (conn->parked)
    rg_broker_conn_unpark (conn);
  if (conn->flush_queued)
    g_queue_unlink (&broker->flush_pending, &conn->flush_link);
  g_queue_clear_full (&conn->out, (GDestroyNotify) output_free);

  pthread_mutex_lock (&broker->lock);
  g_queue_unlink (&broker->conns, &conn->link);
  last_topic = conn->last_topic;
  conn->last_topic = NULL;
  pthread_mutex_unlock (&broker->lock);
  if (last_topic)
    rg_broker_topic_unref (last_topic);
  atomic_fetch_sub (&broker->n_conns, 1);

  GST_DEBUG ("client %" G_GUINT64_FORMAT " (%s) closed", conn->id,
      conn->address);
  notify_watches (broker, conn, FALSE);
  g_free (conn->address);
  g_free (conn->local_host);
  g_free (conn->in);
  g_free (conn);
}

static void
listener_set_enabled (RgBroker * broker, gboolean enabled)
{
  struct epoll_event ev = { 0, };

  ev.events = enabled ? EPOLLIN : 0;
  ev.data.ptr = &broker->listen_fd;
  epoll_ctl (broker->epoll_fd, EPOLL_CTL_MOD, broker->listen_fd, &ev);
}

static void
broker_accept (RgBroker * broker)
{
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof (peer);
    int fd = accept4 (broker->listen_fd, (struct sockaddr *) &peer,
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
        listener_set_enabled (broker, FALSE);
        broker->accept_resume = now_ms () + ACCEPT_PAUSE_MS;
      }
      return;
    }
    if (atomic_load (&broker->n_conns) >= broker->config.max_connections) {
      GST_INFO ("refusing a connection: %u connections open (max-connections)",
          broker->config.max_connections);
      atomic_fetch_add (&broker->connections_refused, 1);
      close (fd);
      continue;
    }
    conn_new (broker, fd, &peer);
  }
}

/* ---- Loop ---- */

static void
broker_service_parked (RgBroker * broker, gint64 now)
{
  GList *l = broker->parked.head;
  guint n = g_queue_get_length (&broker->parked);

  /* Only the connections parked when this started: one that parks again
   * while being served is appended and looked at next time. */
  while (l && n-- > 0) {
    RgBrokerConn *conn = l->data;
    gboolean close;

    l = l->next;
    /* Whether it must poll is asked again: a journal whose writer's tail
     * stopped answering (writer closed) no longer wakes it. */
    if (!rg_broker_fetch_try (conn, conn->parked,
            now >= conn->parked_deadline, &close, &conn->parked_polls))
      continue;
    rg_broker_conn_unpark (conn);
    conn_consume (conn, conn->parked_frame_size);
    if (close) {
      conn_close (conn);
      continue;
    }
    conn_process (conn);
  }
}

static gint64
broker_next_deadline (RgBroker * broker)
{
  gint64 deadline = broker->next_sweep;
  GList *l;

  if (broker->accept_resume)
    deadline = MIN (deadline, broker->accept_resume);
  for (l = broker->parked.head; l; l = l->next) {
    RgBrokerConn *conn = l->data;

    deadline = MIN (deadline, conn->parked_deadline);
    if (conn->parked_polls)
      deadline = MIN (deadline, broker->next_poll);
  }
  return deadline;
}

static void
broker_sweep_idle (RgBroker * broker, gint64 now)
{
  GList *l = broker->conns.head;

  if (broker->config.idle_timeout_ms == 0)
    return;
  /* The loop thread is the only one that changes the list. */
  while (l) {
    RgBrokerConn *conn = l->data;

    l = l->next;
    if (!conn->parked && g_queue_is_empty (&conn->out)
        && now - conn->last_activity >= broker->config.idle_timeout_ms) {
      GST_INFO ("client %s idle for %u ms: closing", conn->address,
          broker->config.idle_timeout_ms);
      conn_close (conn);
    }
  }
}

static void
broker_drain_eventfd (RgBroker * broker)
{
  guint64 value;

  if (read (broker->event_fd, &value, sizeof (value)) < 0)
    GST_LOG ("eventfd read: %s", g_strerror (errno));
  /* After the read (a write between a clear and the read would be eaten,
   * leaving the flag set with nothing pending) and before the parked
   * fetches are looked at (so an append after this writes again). */
  atomic_store (&broker->wake_pending, FALSE);
}

/* Sends the outputs left for the end of the turn: on the send threads and
 * this one together, then on with each connection here. */
static void
broker_flush_pending (RgBroker * broker)
{
  GPtrArray *items = broker->flush_items;
  guint i;

  if (g_queue_is_empty (&broker->flush_pending))
    return;
  g_ptr_array_set_size (items, 0);
  while (!g_queue_is_empty (&broker->flush_pending)) {
    /* The link is the connection's own: popped, not freed. */
    RgBrokerConn *conn = g_queue_pop_head_link (&broker->flush_pending)->data;

    conn->flush_queued = FALSE;
    g_ptr_array_add (items, conn);
  }
  rg_broker_io_run (broker->io, items->pdata, items->len);
  if (items->len > 1)
    atomic_fetch_add_explicit (&broker->parallel_sends, items->len,
        memory_order_relaxed);
  for (i = 0; i < items->len; i++) {
    RgBrokerConn *conn = g_ptr_array_index (items, i);

    if (!conn_send_finish (conn))
      conn_close (conn);
    else
      conn_process (conn);
  }
}

static void *
broker_loop (gpointer data)
{
  RgBroker *broker = data;
  struct epoll_event events[MAX_EVENTS];
  sigset_t sigpipe;

  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &sigpipe, NULL);
  broker->next_sweep = now_ms () + SWEEP_INTERVAL_MS;
  while (!atomic_load (&broker->quit)) {
    gint64 now = now_ms ();
    /* Output left for a parallel send is sent in the next turn at once. */
    gint64 wait = g_queue_is_empty (&broker->flush_pending) ?
        MAX (broker_next_deadline (broker) - now, 0) : 0;
    gboolean woken = FALSE;
    int i, n;

    n = epoll_wait (broker->epoll_fd, events, MAX_EVENTS, (int) MIN (wait,
            SWEEP_INTERVAL_MS));
    if (n < 0 && errno != EINTR) {
      GST_ERROR ("epoll_wait: %s", g_strerror (errno));
      break;
    }
    for (i = 0; i < n; i++) {
      gpointer ptr = events[i].data.ptr;

      if (ptr == &broker->listen_fd) {
        broker_accept (broker);
      } else if (ptr == &broker->event_fd) {
        broker_drain_eventfd (broker);
        woken = TRUE;
      } else {
        conn_event (ptr, events[i].events);
      }
    }
    now = now_ms ();
    if (woken || broker_next_deadline (broker) <= now) {
      broker_service_parked (broker, now);
      broker->next_poll = now + JOURNAL_POLL_MS;
    }
    if (broker->accept_resume && now >= broker->accept_resume) {
      broker->accept_resume = 0;
      listener_set_enabled (broker, TRUE);
    }
    if (now >= broker->next_sweep) {
      broker_sweep_idle (broker, now);
      broker->next_sweep = now + SWEEP_INTERVAL_MS;
    }
    broker_flush_pending (broker);
  }
  return NULL;
}

/* ---- Registry and life cycle ---- */

static int
broker_listen (const gchar * host, guint port, guint * bound_port,
    GError ** error)
{
  struct addrinfo hints = { 0, }, *res = NULL, *ai;
  struct sockaddr_storage ss;
  socklen_t ss_len = sizeof (ss);
  gchar port_str[16];
  int fd = -1, err, errsv = 0;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  g_snprintf (port_str, sizeof (port_str), "%u", port);
  err = getaddrinfo (host, port_str, &hints, &res);
  if (err != 0)
    goto resolve_failed;

  for (ai = res; ai; ai = ai->ai_next) {
    int one = 1;

    fd = socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
        SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      errsv = errno;
      continue;
    }
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
    /* SOMAXCONN: a burst of connects waits in the kernel's queue instead
     * of being dropped and retried by clients seconds later. */
    if (bind (fd, ai->ai_addr, ai->ai_addrlen) == 0
        && listen (fd, SOMAXCONN) == 0)
      break;
    errsv = errno;
    close (fd);
    fd = -1;
  }
  freeaddrinfo (res);
  if (fd < 0)
    goto bind_failed;

  getsockname (fd, (struct sockaddr *) &ss, &ss_len);
  *bound_port = ntohs (ss.ss_family == AF_INET6 ?
      ((struct sockaddr_in6 *) &ss)->sin6_port :
      ((struct sockaddr_in *) &ss)->sin_port);
  return fd;

  /* ERRORS */
resolve_failed:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_ADDRESS,
        "Could not resolve the address \"%s\": %s", host, gai_strerror (err));
    return -1;
  }
bind_failed:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_ADDRESS,
        "Could not listen on %s port %u: %s", host, port,
        g_strerror (errsv));
    return -1;
  }
}

/* Stops the wake-ups of journal writers' tails before the eventfd they
 * write to is closed (a topic still registered at the last release). */
static void
detach_topic (gpointer key, gpointer value, gpointer user_data)
{
  rg_broker_topic_detach (value);
}

static void
broker_free (RgBroker * broker)
{
  g_hash_table_foreach (broker->topics, detach_topic, NULL);
  while (broker->conns.head)
    conn_close (broker->conns.head->data);
  if (broker->epoll_fd >= 0)
    close (broker->epoll_fd);
  if (broker->event_fd >= 0)
    close (broker->event_fd);
  if (broker->listen_fd >= 0)
    close (broker->listen_fd);
  g_hash_table_unref (broker->topics);
  g_array_unref (broker->watches);
  g_array_unref (broker->refs);
  g_ptr_array_unref (broker->flush_items);
  rg_broker_io_free (broker->io);
  pthread_mutex_destroy (&broker->lock);
  pthread_mutex_destroy (&broker->watch_lock);
  g_free (broker->advertised_host);
  g_free (broker->host);
  g_free (broker);
}

static gboolean
broker_add_fd (RgBroker * broker, int fd, gpointer ptr)
{
  struct epoll_event ev = { 0, };

  ev.events = EPOLLIN;
  ev.data.ptr = ptr;
  return epoll_ctl (broker->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

static RgBroker *
broker_start (const gchar * host, guint port, const RgBrokerConfig * config,
    GError ** error)
{
  RgBroker *broker = g_new0 (RgBroker, 1);
  int err;

  broker->refcount = 1;
  broker->host = g_strdup (host);
  if (config)
    broker->config = *config;
  else
    rg_broker_config_init (&broker->config);
  broker->config.max_request_bytes = CLAMP (broker->config.max_request_bytes,
      RG_KAFKA_MIN_FRAME_SIZE, RG_KAFKA_MAX_FRAME_SIZE);
  broker->advertised_host = g_strdup (broker->config.advertised_host);
  broker->config.advertised_host = NULL;
  broker->epoll_fd = broker->event_fd = -1;
  pthread_mutex_init (&broker->lock, NULL);
  pthread_mutex_init (&broker->watch_lock, NULL);
  broker->topics = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) rg_broker_topic_unref);
  broker->watches = g_array_new (FALSE, FALSE, sizeof (RgBrokerWatch));
  broker->refs = g_array_new (FALSE, FALSE, sizeof (RgKafkaRecordsRef));
  broker->flush_items = g_ptr_array_new ();
  if (broker->config.send_threads > 0) {
    broker->io = rg_broker_io_new (broker->config.send_threads, conn_send);
    if (broker->io == NULL)
      GST_WARNING ("could not start %u send threads: the loop sends alone",
          broker->config.send_threads);
  }

  broker->listen_fd = broker_listen (host, port, &broker->port, error);
  if (broker->listen_fd < 0)
    goto fail;
  broker->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  broker->event_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (broker->epoll_fd < 0 || broker->event_fd < 0
      || !broker_add_fd (broker, broker->listen_fd, &broker->listen_fd)
      || !broker_add_fd (broker, broker->event_fd, &broker->event_fd))
    goto system_failed;
  err = pthread_create (&broker->thread, NULL, broker_loop, broker);
  if (err != 0) {
    errno = err;
    goto system_failed;
  }
  GST_INFO ("broker listening on %s port %u", host, broker->port);
  return broker;

  /* ERRORS */
system_failed:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SYSTEM,
        "Could not start the broker's event loop: %s", g_strerror (errno));
    goto fail;
  }
fail:
  {
    broker_free (broker);
    return NULL;
  }
}

static void
broker_debug_init (void)
{
  GST_DEBUG_CATEGORY_INIT (rg_broker_debug, "rgbroker", 0,
      "gst-rg embedded Kafka broker");
}

RgBroker *
rg_broker_acquire (const gchar * host, guint port,
    const RgBrokerConfig * config, GError ** error)
{
  static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
  RgBroker *broker = NULL;
  GList *l;

  g_return_val_if_fail (port <= 65535, NULL);

  pthread_once (&debug_once, broker_debug_init);
  if (!host || !*host)
    host = "127.0.0.1";

  pthread_mutex_lock (&registry_lock);
  for (l = registry; l && port != 0; l = l->next) {
    RgBroker *b = l->data;

    if (b->port == port && g_strcmp0 (b->host, host) == 0) {
      broker = b;
      broker->refcount++;
      break;
    }
  }
  if (!broker) {
    broker = broker_start (host, port, config, error);
    if (broker)
      registry = g_list_prepend (registry, broker);
  }
  pthread_mutex_unlock (&registry_lock);
  return broker;
}

void
rg_broker_release (RgBroker * broker)
{
  gboolean last;

  g_return_if_fail (broker != NULL);

  pthread_mutex_lock (&registry_lock);
  last = --broker->refcount == 0;
  if (last)
    registry = g_list_remove (registry, broker);
  pthread_mutex_unlock (&registry_lock);
  if (!last)
    return;

  atomic_store (&broker->quit, TRUE);
  rg_broker_wake (broker);
  pthread_join (broker->thread, NULL);
  GST_INFO ("broker on %s port %u stopped", broker->host, broker->port);
  broker_free (broker);
}
