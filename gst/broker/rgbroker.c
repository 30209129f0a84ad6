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
 * The embedded broker's facade: the process-wide registry of brokers by
 * address and port, and the wiring of the layers beneath it. Who calls
 * whom (each arrow a call, none back):
 *
 *   rgbroker.c (facade) ──► rgbrokerdispatch.c (api table, handlers)
 *        │                        │
 *        ├──(timers)──────► rgbrokergroups.c (group apis) ──►
 *        │                        │   rgbrokergroup.c, rgbrokeroffsettopic.c
 *        │                        ▼
 *        │                  rgbrokerregistry.c (names, reservations, lock)
 *        │                        │
 *        │                        ▼
 *        ├──────────────► rgbrokertopic.c ──► rgbrokerjournal.c
 *        │                        │ wakes the loop through an RgWaker
 *        ▼                        │
 *   rgbrokerconn.c (frames,       │
 *   output, parking, limits)      │
 *        ├──► rgbrokerio.c        │
 *        │    (send threads)      │
 *        ▼                        ▼
 *   rgloop.c (epoll, callbacks, turn deadline, waker)
 *
 * Beside the registry, dispatch's handlers reach the idempotent
 * producers' state (rgbrokerproducers.c, which appends to topics); the
 * InitProducerId, CreateTopics and DeleteTopics handlers are in
 * rgbrokeradmin.c, the config apis' in rgbrokerconfigsapi.c; the topics'
 * and the broker's configs (rgbrokerconfigs.c) sit beneath the registry,
 * which owns them, and the facade tells them the element's properties.
 *
 * The connection layer hands each complete frame to broker_frame() here,
 * which builds the handlers' context (registry, counters, the client's
 * addresses), runs rg_broker_dispatch_frame() and gives the outcome back
 * to the connection (queue the response, park the request, or close).
 * Topics wake the loop through the waker they were handed; nothing below
 * this file sees RgBroker.
 *
 * Threads: one loop thread per broker (rgloop.c over epoll, see
 * rgbroker.h for why not a GMainContext), plus the send threads of the
 * connection layer. Every other thread talks to it through the waker and
 * through state guarded by pthread mutexes or held in C11 atomics; no GLib
 * lock is used, so ThreadSanitizer sees every synchronisation.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "broker/rgbrokerconfigs.h"
#include "broker/rgbrokerconn.h"
#include "broker/rgbrokerdispatch.h"
#include "broker/rgbrokerquota.h"
#include "broker/rgbrokergroups.h"
#include "broker/rgbrokerregistry.h"
#include "broker/rgbrokersasl.h"
#include "broker/rgbrokerstats.h"
#include "broker/rgbrokertopic.h"
#include "broker/rgbrokertxnapi.h"
#include "broker/rgloop.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

typedef struct
{
  guint id;
  RgBrokerClientFunc func;
  gpointer user_data;
} RgBrokerWatch;

struct _RgBroker
{
  /* Under registry_lock. */
  gint refcount;
  gchar *host;

  guint port;
  RgBrokerConfig config;
  gchar *advertised_host;
  int listen_fd;
  pthread_t thread;

  RgLoop *loop;
  RgBrokerRegistry *topics;
  RgBrokerProducers *producers;
  RgBrokerTxn *txn;
  RgBrokerConns *conns;
  RgBrokerCounters counters;
  /* The consumer-group coordinator and the committed offsets. */
  RgBrokerGroups *groups;

  /* Held while watches are called, so removal waits for a running one. */
  pthread_mutex_t watch_lock;
  GArray *watches;
  guint next_watch_id;

  /* Loop thread only: scratch for the handlers' record references. */
  GArray *refs;
  GHashTable *refused;          /* (client, api) pairs warned about */

  /* Security (docs/security.md), loaded at start, read-only after. */
  RgBrokerTlsContext *tls;
  RgBrokerCredentials *credentials;
  guint sasl_mechanisms;
  RgBrokerAcl *acl;
  RgBrokerQuota *quota;         /* NULL: no produce quota */
};

/* Descriptors a process needs besides the connections: the listener,
 * epoll, eventfd, journal segments, the application's own. */
#define FD_RESERVE 256

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GList *registry;
/* "host:port" -> (name -> GUINT_TO_POINTER (count)): the names reserved
 * with rg_broker_reserve_topic(), also before their broker runs. Under
 * registry_lock. */
static GHashTable *reservations;

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
  config->max_connections_per_address =
      RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  config->request_timeout_ms = RG_BROKER_DEFAULT_REQUEST_TIMEOUT_MS;
  config->group_initial_rebalance_delay_ms =
      RG_BROKER_DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS;
  config->max_partial_bytes = RG_BROKER_DEFAULT_MAX_PARTIAL_BYTES;
  config->max_topics = RG_BROKER_DEFAULT_MAX_TOPICS;
  config->ingest_location = NULL;
  rg_journal_config_init (&config->ingest_journal);
  config->ingest_partitions = 1;
  config->auto_create_topics = TRUE;
  config->tls_certificate = NULL;
  config->tls_key = NULL;
  config->tls_ca = NULL;
  config->sasl_mechanisms = NULL;
  config->credentials_file = NULL;
  config->acl_file = NULL;
  config->produce_quota = 0;
  config->max_inflight_bytes = RG_BROKER_DEFAULT_MAX_INFLIGHT_BYTES;
  config->busy_poll_us = 0;
}

/* ---- Client watches ---- */

/* The connection layer's client function: calls the watches. */
static void
notify_watches (gpointer data, guint64 id, const gchar * address,
    gboolean added)
{
  RgBroker *broker = data;
  guint i;

  pthread_mutex_lock (&broker->watch_lock);
  for (i = 0; i < broker->watches->len; i++) {
    RgBrokerWatch *w = &g_array_index (broker->watches, RgBrokerWatch, i);
    w->func (broker, id, address, added, w->user_data);
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

RgBrokerTopic *
rg_broker_add_topic (RgBroker * broker, const gchar * name, guint ring_size,
    GError ** error)
{
  RgWaker *waker;

  g_return_val_if_fail (broker != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  waker = rg_loop_get_waker (broker->loop);
  return rg_broker_registry_add (broker->topics,
      rg_broker_topic_new (waker, name, ring_size), error);
}

RgBrokerTopic *
rg_broker_add_journal_topic (RgBroker * broker, const gchar * name,
    const gchar * dir, RgJournalTail * tail, GError ** error)
{
  RgWaker *waker;

  g_return_val_if_fail (broker != NULL, NULL);
  g_return_val_if_fail (name != NULL && dir != NULL, NULL);

  waker = rg_loop_get_waker (broker->loop);
  return rg_broker_registry_add (broker->topics,
      rg_broker_topic_new_journal (waker, name, dir, tail), error);
}

gboolean
rg_broker_add_live_view (RgBroker * broker, RgBrokerTopic * topic,
    guint max_lag, GError ** error)
{
  g_return_val_if_fail (broker != NULL && topic != NULL, FALSE);
  g_return_val_if_fail (max_lag > 0, FALSE);

  return rg_broker_registry_add_live (broker->topics, topic, max_lag, error);
}

void
rg_broker_remove_topic (RgBroker * broker, RgBrokerTopic * topic)
{
  g_return_if_fail (broker != NULL && topic != NULL);

  rg_broker_registry_remove (broker->topics, topic);
  /* Parked fetches on it are answered now, not at their deadline. */
  rg_waker_wake (rg_loop_get_waker (broker->loop));
  rg_broker_topic_unref (topic);
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
  RgBrokerCounters *c;

  g_return_if_fail (broker != NULL && stats != NULL);

  c = &broker->counters;
  stats->connections = atomic_load (&c->connections);
  stats->connections_total = atomic_load (&c->connections_total);
  stats->connections_refused = atomic_load (&c->connections_refused);
  stats->requests = atomic_load (&c->requests);
  stats->fetches = atomic_load (&c->fetches);
  stats->bytes_served = atomic_load (&c->bytes_served);
  stats->records_served = atomic_load (&c->records_served);
  stats->malformed = atomic_load (&c->malformed);
  stats->fetches_waiting = atomic_load (&c->fetches_waiting);
  stats->parallel_sends = atomic_load (&c->parallel_sends);
  stats->connections_refused_per_address =
      atomic_load (&c->connections_refused_per_address);
  stats->closed_request_timeout = atomic_load (&c->closed_request_timeout);
  stats->closed_partial_bytes = atomic_load (&c->closed_partial_bytes);
  stats->produce_throttled = atomic_load (&c->produce_throttled);
  stats->inflight_pauses = atomic_load (&c->inflight_pauses);
  stats->inflight_bytes_max = atomic_load (&c->inflight_bytes_max);
}

GPtrArray *
rg_broker_get_clients (RgBroker * broker)
{
  g_return_val_if_fail (broker != NULL, NULL);

  return rg_broker_conns_get_clients (broker->conns);
}

gboolean
rg_broker_enable_offsets_journal (RgBroker * broker, const gchar * dir,
    RgJournalSync sync, GError ** error)
{
  g_return_val_if_fail (broker != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  return rg_broker_groups_enable_journal (broker->groups, dir, sync, error);
}

/* ---- Requests: from the connection layer to dispatch and back ---- */

/* The connection's SASL state, made on its first request when the broker
 * requires SASL (NULL when it does not). */
static RgBrokerSaslSession *
broker_sasl_session (RgBroker * broker, RgBrokerConn * conn)
{
  RgBrokerSaslSession *session = rg_broker_conn_get_data (conn);

  if (session || broker->sasl_mechanisms == 0)
    return session;
  session = rg_broker_sasl_session_new (broker->credentials,
      broker->sasl_mechanisms);
  rg_broker_conn_set_data (conn, session, (GDestroyNotify)
      rg_broker_sasl_session_free);
  return session;
}

/* Who the client is: its SASL user, else the name in its verified TLS
 * certificate, else Kafka's ANONYMOUS. */
static const gchar *
broker_principal (RgBrokerConn * conn, RgBrokerSaslSession * session)
{
  const gchar *name = session ? rg_broker_sasl_session_get_user (session)
      : NULL;

  if (!name)
    name = rg_broker_conn_get_tls_peer_name (conn);
  return name ? name : RG_BROKER_ANONYMOUS;
}

static void
broker_context (RgBroker * broker, RgBrokerConn * conn,
    RgBrokerRequestContext * ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->sasl = broker_sasl_session (broker, conn);
  ctx->principal = broker_principal (conn, ctx->sasl);
  ctx->acl = broker->acl;
  ctx->peer_host = rg_broker_conn_get_peer_host (conn);
  /* An authenticated client is its principal for the quota; without
   * authentication every client is ANONYMOUS, so its address stands for
   * it (Kafka would fall back to the client id, which any client sets as
   * it likes). */
  ctx->quota = broker->quota;
  ctx->quota_key = g_strcmp0 (ctx->principal, RG_BROKER_ANONYMOUS) != 0 ?
      ctx->principal : rg_broker_conn_get_peer_host (conn);
  ctx->now_ms = rg_loop_now_ms ();
  ctx->registry = broker->topics;
  ctx->counters = &broker->counters;
  ctx->node_host = broker->advertised_host ? broker->advertised_host :
      rg_broker_conn_get_local_host (conn);
  ctx->node_port = broker->port;
  ctx->peer = rg_broker_conn_get_address (conn);
  ctx->refs = broker->refs;
  ctx->refused = broker->refused;
  ctx->groups = broker->groups;
  ctx->producers = broker->producers;
  ctx->txn = broker->txn;
}

/* Hands a handler's outcome to the connection. */
static RgBrokerFrameResult
broker_apply (RgBrokerConn * conn, RgBrokerHandleResult res,
    RgBrokerHandleOutcome * out)
{
  if (out->fetched)
    rg_broker_conn_note_fetch (conn, out->position_topic,
        out->position_offset);
  if (out->position_topic)
    rg_broker_topic_unref (out->position_topic);
  rg_broker_conn_queue (conn, out->response);
  if (out->throttle_ms > 0)
    rg_broker_conn_mute (conn, out->throttle_ms);
  if (res == RG_BROKER_HANDLE_CLOSE)
    return RG_BROKER_FRAME_CLOSE;
  return RG_BROKER_FRAME_DONE;
}

/* A parked request and the state its handler parked it with. */
typedef struct
{
  RgKafkaRequest *request;
  gpointer state;
  GDestroyNotify state_free;
} BrokerParked;

static void
broker_parked_free (gpointer data)
{
  BrokerParked *parked = data;

  if (parked->state_free)
    parked->state_free (parked->state);
  rg_kafka_request_free (parked->request);
  g_free (parked);
}

/* Keeps the state a handler parked with (a new one replaces the old). */
static void
broker_parked_set_state (BrokerParked * parked, RgBrokerHandleOutcome * out)
{
  if (!out->state)
    return;
  if (parked->state_free)
    parked->state_free (parked->state);
  parked->state = out->state;
  parked->state_free = out->state_free;
}

static RgBrokerFrameResult
broker_frame (gpointer data, RgBrokerConn * conn, const guint8 * frame,
    gsize len)
{
  RgBroker *broker = data;
  RgBrokerRequestContext ctx;
  RgBrokerHandleOutcome out;
  RgKafkaRequest *request = NULL;
  RgBrokerHandleResult res;
  BrokerParked *parked;

  broker_context (broker, conn, &ctx);
  ctx.request_bytes = 4 + len;
  ctx.input = rg_broker_conn_get_input_chunk (conn);
  res = rg_broker_dispatch_frame (frame, len, &ctx, &out, &request);
  if (res == RG_BROKER_HANDLE_DONE && out.hold) {
    rg_broker_conn_hold (conn, out.state, out.state_free, out.hold, 4 + len);
    out.state = NULL;
  }
  if (res == RG_BROKER_HANDLE_PARK) {
    if (out.throttle_ms > 0)
      rg_broker_conn_mute (conn, out.throttle_ms);
    parked = g_new0 (BrokerParked, 1);
    parked->request = request;
    broker_parked_set_state (parked, &out);
    rg_broker_conn_park (conn, parked, broker_parked_free, out.wait_ms,
        out.polls);
    return RG_BROKER_FRAME_PARKED;
  }
  return broker_apply (conn, res, &out);
}

static RgBrokerFrameResult
broker_retry (gpointer data, RgBrokerConn * conn, gpointer parked_data,
    gboolean expired)
{
  RgBroker *broker = data;
  BrokerParked *parked = parked_data;
  RgBrokerRequestContext ctx;
  RgBrokerHandleOutcome out;
  RgBrokerHandleResult res;

  broker_context (broker, conn, &ctx);
  ctx.expired = expired;
  ctx.state = parked->state;
  res = rg_broker_dispatch_retry (parked->request, &ctx, &out);
  if (res == RG_BROKER_HANDLE_PARK) {
    broker_parked_set_state (parked, &out);
    /* Whether it must poll is asked again: a journal whose writer's tail
     * stopped answering (writer closed) no longer wakes it. */
    rg_broker_conn_set_polls (conn, out.polls);
    return RG_BROKER_FRAME_PARKED;
  }
  return broker_apply (conn, res, &out);
}

static const RgBrokerConnFuncs conn_funcs = {
  broker_frame,
  broker_retry,
  notify_watches,
};

/* ---- Loop thread ---- */

static gint64
broker_turn (gpointer data, gint64 now, gboolean woken)
{
  RgBroker *broker = data;
  gint64 groups_deadline;

  /* The group timers first: a rebalance they complete wakes the parked
   * JoinGroups, which the connections' part of the next turn answers. */
  groups_deadline = rg_broker_groups_turn (broker->groups, now);
  /* Transactions past their timeout are aborted (markers written). */
  groups_deadline = MIN (groups_deadline, rg_broker_txn_api_turn (broker->txn,
          broker->topics, broker->groups, now));
  return MIN (groups_deadline, rg_broker_conns_turn (broker->conns, now,
          woken));
}

static void *
broker_thread (gpointer data)
{
  RgBroker *broker = data;
  sigset_t sigpipe;

  /* sendfile() has no MSG_NOSIGNAL: the connection layer takes back the
   * SIGPIPE of a closed socket, which must therefore be blocked here. */
  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &sigpipe, NULL);
  if (!rg_loop_run (broker->loop))
    GST_ERROR ("epoll_wait: %s", g_strerror (errno));
  return NULL;
}

/* ---- Registry and life cycle ---- */

typedef struct
{
  RgBrokerProducers *producers;
  const gchar *topic;
  gint64 now_ms;
} ProducerReplay;

static void
replay_producer_batch (const RgBatchInfo * info, gpointer data)
{
  ProducerReplay *r = data;

  rg_broker_producers_record (r->producers, r->topic, info,
      info->base_offset, r->now_ms);
}

/* The idempotent producers' sequence state of the durable ingest topics
 * reopened at start, from their journals: a batch a producer retries
 * across a restart is acknowledged at its first offset, not appended
 * again. */
static void
broker_rebuild_producers (RgBroker * broker)
{
  GPtrArray *topics = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_topic_unref);
  GPtrArray *names = g_ptr_array_new ();
  ProducerReplay r = { broker->producers, NULL, rg_loop_now_ms () };
  guint i;

  rg_broker_registry_list (broker->topics, topics, names);
  for (i = 0; i < topics->len; i++) {
    RgBrokerTopic *topic = g_ptr_array_index (topics, i);

    r.topic = g_ptr_array_index (names, i);
    if (rg_broker_topic_is_ingest (topic))
      rg_broker_topic_foreach_producer_batch (topic, replay_producer_batch,
          &r);
  }
  g_ptr_array_unref (names);
  g_ptr_array_unref (topics);
}

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

/* Raises the soft RLIMIT_NOFILE (towards the hard one) so that
 * @max_connections connections fit; warns when they cannot. The limit is
 * the process's: it is only ever raised. */
static void
broker_raise_fd_limit (guint max_connections)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) max_connections + FD_RESERVE;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
    return;
  rl.rlim_cur = MIN (want, rl.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
    GST_WARNING ("could not raise RLIMIT_NOFILE: %s", g_strerror (errno));
  if (rl.rlim_cur < want)
    GST_WARNING ("max-connections is %u but the process may open only %"
        G_GUINT64_FORMAT " descriptors (hard RLIMIT_NOFILE): connections "
        "beyond that wait in the listen backlog until others close",
        max_connections, (guint64) rl.rlim_max);
}

static gchar *
reservation_key (const gchar * host, guint port)
{
  return g_strdup_printf ("%s:%u", host, port);
}

/* Reports one element property as a static broker config. */
static void
broker_add_static_config (RgBrokerConfigs * configs, const gchar * key,
    gint8 type, const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static void
broker_add_static_config (RgBrokerConfigs * configs, const gchar * key,
    gint8 type, const gchar * format, ...)
{
  va_list args;
  gchar *value;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  rg_broker_configs_add_broker_static (configs, key, value, type);
  g_free (value);
}

/* Tells the configs store the broker's settings: the largest batch a
 * topic without max.message.bytes takes, and the element's properties
 * DescribeConfigs reports on the broker resource (read-only, as a Kafka
 * broker's static configs). */
static void
broker_describe_configs (RgBroker * broker, const gchar * host)
{
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (broker->topics);
  const RgBrokerConfig *c = &broker->config;
  const gchar *protocol = broker->tls ? "SSL" : "PLAINTEXT";
  const gchar *sasl = broker->sasl_mechanisms ? "SASL_" : "";

  rg_broker_configs_set_max_message_bytes (configs, c->max_request_bytes);
  broker_add_static_config (configs, "broker.id", RG_KAFKA_CONFIG_TYPE_INT,
      "%s", RG_BROKER_CONFIGS_NODE_ID);
  broker_add_static_config (configs, "listeners", RG_KAFKA_CONFIG_TYPE_STRING,
      "%s%s://%s:%u", sasl, protocol, host, broker->port);
  if (c->advertised_host)
    broker_add_static_config (configs, "advertised.listeners",
        RG_KAFKA_CONFIG_TYPE_STRING, "%s%s://%s:%u", sasl, protocol,
        c->advertised_host, broker->port);
  broker_add_static_config (configs, "auto.create.topics.enable",
      RG_KAFKA_CONFIG_TYPE_BOOLEAN, "%s", c->auto_create_topics
      && c->ingest_batches > 0 ? "true" : "false");
  broker_add_static_config (configs, "num.partitions",
      RG_KAFKA_CONFIG_TYPE_INT, "%u", c->ingest_partitions);
  broker_add_static_config (configs, "default.replication.factor",
      RG_KAFKA_CONFIG_TYPE_INT, "1");
  broker_add_static_config (configs, "max.connections",
      RG_KAFKA_CONFIG_TYPE_INT, "%u", c->max_connections);
  broker_add_static_config (configs, "max.connections.per.ip",
      RG_KAFKA_CONFIG_TYPE_INT, "%u", c->max_connections_per_address);
  broker_add_static_config (configs, "socket.request.max.bytes",
      RG_KAFKA_CONFIG_TYPE_INT, "%" G_GSIZE_FORMAT, c->max_request_bytes);
  broker_add_static_config (configs, "message.max.bytes",
      RG_KAFKA_CONFIG_TYPE_INT, "%" G_GSIZE_FORMAT, c->max_request_bytes);
  broker_add_static_config (configs, "connections.max.idle.ms",
      RG_KAFKA_CONFIG_TYPE_LONG, "%u", c->idle_timeout_ms);
  broker_add_static_config (configs, "request.timeout.ms",
      RG_KAFKA_CONFIG_TYPE_INT, "%u", c->request_timeout_ms);
  if (c->ingest_location && c->ingest_batches > 0) {
    broker_add_static_config (configs, "log.dirs",
        RG_KAFKA_CONFIG_TYPE_STRING, "%s", c->ingest_location);
    broker_add_static_config (configs, "log.segment.bytes",
        RG_KAFKA_CONFIG_TYPE_INT, "%" G_GUINT64_FORMAT,
        c->ingest_journal.max_segment_bytes);
  }
  if (c->produce_quota > 0)
    broker_add_static_config (configs, "producer_byte_rate",
        RG_KAFKA_CONFIG_TYPE_LONG, "%" G_GUINT64_FORMAT, c->produce_quota);
}

/* A client changed a broker config the broker applies (on the loop
 * thread, from AlterConfigs): the connection limits, back to the
 * element's property when @value is NULL. */
static void
broker_apply_config (const gchar * key, const gchar * value,
    gpointer user_data)
{
  RgBroker *broker = user_data;
  guint n;

  GST_INFO ("broker config %s: %s", key, value ? value : "(the property)");
  if (strcmp (key, "max.connections") == 0) {
    n = value ? (guint) g_ascii_strtoull (value, NULL, 10) :
        broker->config.max_connections;
    rg_broker_conns_set_max_connections (broker->conns, n);
  } else {
    n = value ? (guint) g_ascii_strtoull (value, NULL, 10) :
        broker->config.max_connections_per_address;
    rg_broker_conns_set_max_connections_per_address (broker->conns, n);
  }
}

/* Hands the names reserved for @broker's address to its registry. Called
 * with registry_lock held, before any client can connect. */
static void
broker_apply_reservations (RgBroker * broker)
{
  gchar *key = reservation_key (broker->host, broker->port);
  GHashTable *names = reservations ? g_hash_table_lookup (reservations,
      key) : NULL;
  GHashTableIter iter;
  gpointer name, count;

  g_free (key);
  if (!names)
    return;
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &name, &count)) {
    guint i;

    /* The registry is new: no ingest topic holds the name. */
    for (i = 0; i < GPOINTER_TO_UINT (count); i++)
      rg_broker_registry_reserve (broker->topics, name, NULL);
  }
}

static RgBroker *
broker_find (const gchar * host, guint port)
{
  GList *l;

  for (l = registry; l && port != 0; l = l->next) {
    RgBroker *b = l->data;

    if (b->port == port && g_strcmp0 (b->host, host) == 0)
      return b;
  }
  return NULL;
}

gboolean
rg_broker_reserve_topic (const gchar * host, guint port, const gchar * name,
    GError ** error)
{
  GHashTable *names;
  RgBroker *broker;
  gchar *key;
  guint count;

  g_return_val_if_fail (name != NULL, FALSE);

  if (port == 0)
    return TRUE;
  if (!host || !*host)
    host = "127.0.0.1";
  pthread_mutex_lock (&registry_lock);
  broker = broker_find (host, port);
  if (broker && !rg_broker_registry_reserve (broker->topics, name, error)) {
    pthread_mutex_unlock (&registry_lock);
    return FALSE;
  }
  if (!reservations)
    reservations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) g_hash_table_unref);
  key = reservation_key (host, port);
  names = g_hash_table_lookup (reservations, key);
  if (!names) {
    names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_insert (reservations, g_strdup (key), names);
  }
  g_free (key);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (names, name));
  g_hash_table_insert (names, g_strdup (name), GUINT_TO_POINTER (count + 1));
  pthread_mutex_unlock (&registry_lock);
  return TRUE;
}

void
rg_broker_unreserve_topic (const gchar * host, guint port,
    const gchar * name)
{
  GHashTable *names;
  RgBroker *broker;
  gchar *key;
  guint count;

  g_return_if_fail (name != NULL);

  if (port == 0)
    return;
  if (!host || !*host)
    host = "127.0.0.1";
  key = reservation_key (host, port);
  pthread_mutex_lock (&registry_lock);
  names = reservations ? g_hash_table_lookup (reservations, key) : NULL;
  count = names ? GPOINTER_TO_UINT (g_hash_table_lookup (names, name)) : 0;
  if (count > 0) {
    broker = broker_find (host, port);
    if (broker)
      rg_broker_registry_unreserve (broker->topics, name);
    if (count > 1)
      g_hash_table_insert (names, g_strdup (name),
          GUINT_TO_POINTER (count - 1));
    else
      g_hash_table_remove (names, name);
    if (g_hash_table_size (names) == 0)
      g_hash_table_remove (reservations, key);
  }
  pthread_mutex_unlock (&registry_lock);
  g_free (key);
}

static void
broker_free (RgBroker * broker)
{
  /* Connections first: they hold topic references for the stats, and
   * their TLS and SASL sessions use the security settings. */
  rg_broker_conns_free (broker->conns);
  /* After the connections: their parked group requests cancel
   * themselves in the coordinator. */
  rg_broker_groups_free (broker->groups);
  rg_broker_tls_context_free (broker->tls);
  rg_broker_credentials_free (broker->credentials);
  rg_broker_acl_free (broker->acl);
  rg_broker_quota_free (broker->quota);
  rg_broker_registry_free (broker->topics);
  rg_broker_txn_free (broker->txn);
  rg_broker_producers_free (broker->producers);
  rg_loop_free (broker->loop);
  if (broker->listen_fd >= 0)
    close (broker->listen_fd);
  g_array_unref (broker->watches);
  g_array_unref (broker->refs);
  g_hash_table_unref (broker->refused);
  pthread_mutex_destroy (&broker->watch_lock);
  g_free (broker->advertised_host);
  g_free (broker->host);
  g_free (broker);
}

static RgBrokerGroups *
broker_groups_new (RgBroker * broker)
{
  RgGroupConfig config;

  rg_group_config_init (&config);
  config.initial_rebalance_delay_ms =
      broker->config.group_initial_rebalance_delay_ms;
  return rg_broker_groups_new (&config, rg_loop_get_waker (broker->loop));
}

/* Loads what the security settings name; the paths are not kept. */
static gboolean
broker_load_security (RgBroker * broker, GError ** error)
{
  RgBrokerConfig *c = &broker->config;
  gboolean ok = TRUE;

  if ((c->tls_certificate && *c->tls_certificate) != (c->tls_key
          && *c->tls_key) || ((c->tls_ca && *c->tls_ca)
          && !(c->tls_certificate && *c->tls_certificate))) {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
        "TLS needs both a certificate and a key (and a CA only with them)");
    ok = FALSE;
  } else if (c->tls_certificate && *c->tls_certificate) {
    broker->tls = rg_broker_tls_context_new (c->tls_certificate, c->tls_key,
        c->tls_ca, error);
    ok = broker->tls != NULL;
  }
  if (ok)
    ok = rg_broker_sasl_parse_mechanisms (c->sasl_mechanisms,
        &broker->sasl_mechanisms, error);
  if (ok && broker->sasl_mechanisms && !(c->credentials_file
          && *c->credentials_file)) {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
        "SASL needs a credentials file");
    ok = FALSE;
  }
  if (ok && broker->sasl_mechanisms)
    ok = (broker->credentials =
        rg_broker_credentials_load (c->credentials_file, error)) != NULL;
  if (ok && c->acl_file && *c->acl_file)
    ok = (broker->acl = rg_broker_acl_load (c->acl_file, error)) != NULL;
  if (ok && c->produce_quota > 0)
    broker->quota = rg_broker_quota_new (c->produce_quota);
  c->tls_certificate = c->tls_key = c->tls_ca = NULL;
  c->sasl_mechanisms = c->credentials_file = c->acl_file = NULL;
  return ok;
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
  pthread_mutex_init (&broker->watch_lock, NULL);
  broker->watches = g_array_new (FALSE, FALSE, sizeof (RgBrokerWatch));
  broker->refs = g_array_new (FALSE, FALSE, sizeof (RgKafkaRecordsRef));
  broker->refused = rg_broker_dispatch_refusals_new ();
  if (!broker_load_security (broker, error))
    goto fail;

  broker_raise_fd_limit (broker->config.max_connections);
  broker->listen_fd = broker_listen (host, port, &broker->port, error);
  if (broker->listen_fd < 0)
    goto fail;
  broker->loop = rg_loop_new (broker_turn, broker);
  if (broker->loop == NULL)
    goto system_failed;
  rg_loop_set_busy_poll (broker->loop, broker->config.busy_poll_us);
  broker->topics = rg_broker_registry_new (broker->port,
      broker->config.ingest_batches, rg_loop_get_waker (broker->loop));
  broker->groups = broker_groups_new (broker);
  /* Ids from the wall clock: see rg_broker_producers_new(). */
  broker->producers = rg_broker_producers_new
      (RG_BROKER_PRODUCERS_DEFAULT_MAX, RG_BROKER_PRODUCERS_DEFAULT_IDLE_MS,
      g_get_real_time () / 1000 * 1000);
  broker->txn = rg_broker_txn_new (broker->producers,
      RG_BROKER_TXN_DEFAULT_MAX_IDS);
  rg_broker_registry_set_ingest_partitions (broker->topics,
      broker->config.ingest_partitions);
  rg_broker_registry_set_auto_create (broker->topics,
      broker->config.auto_create_topics);
  broker_describe_configs (broker, host);
  /* Before the loop runs: no client is served before the names are. */
  broker_apply_reservations (broker);
  rg_broker_registry_set_max_topics (broker->topics,
      broker->config.max_topics);
  if (broker->config.ingest_location && broker->config.ingest_batches > 0
      && !rg_broker_registry_set_ingest_journal (broker->topics,
          broker->config.ingest_location, &broker->config.ingest_journal,
          error))
    goto fail;
  /* Not ours to keep: the registry copied it. */
  broker->config.ingest_location = NULL;
  broker_rebuild_producers (broker);
  broker->conns = rg_broker_conns_new (broker->loop, broker->listen_fd,
      &broker->config, &broker->counters, &conn_funcs, broker);
  if (broker->conns == NULL)
    goto system_failed;
  rg_broker_conns_set_tls (broker->conns, broker->tls);
  rg_broker_configs_set_broker_apply (rg_broker_registry_get_configs
      (broker->topics), broker_apply_config, broker);
  err = pthread_create (&broker->thread, NULL, broker_thread, broker);
  if (err != 0) {
    errno = err;
    goto system_failed;
  }
  GST_INFO ("broker listening on %s port %u (%s%s)", host, broker->port,
      broker->sasl_mechanisms ? "SASL_" : "", broker->tls ? "SSL" :
      "PLAINTEXT");
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
  RgBroker *broker;

  g_return_val_if_fail (port <= 65535, NULL);

  pthread_once (&debug_once, broker_debug_init);
  if (!host || !*host)
    host = "127.0.0.1";

  pthread_mutex_lock (&registry_lock);
  broker = broker_find (host, port);
  if (broker) {
    broker->refcount++;
  } else {
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

  rg_loop_quit (broker->loop);
  pthread_join (broker->thread, NULL);
  GST_INFO ("broker on %s port %u stopped", broker->host, broker->port);
  broker_free (broker);
}
