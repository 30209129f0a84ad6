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
 * The broker's connection layer (rgbrokerconn.c): accepting clients,
 * reading request frames, queueing and sending responses (with the send
 * threads of rgbrokerio.c beneath it), parking a request that waits (long
 * poll), and the limits that keep one client from starving the others
 * (connections per address, request completion timeout, bytes of partial
 * requests). It knows frames and responses, not what a request means:
 * every complete frame goes to the RgBrokerConnFuncs the facade
 * (rgbroker.c) gives it, which dispatch it and queue or park the outcome
 * with the functions below. It runs on an RgLoop (rgloop.h). Not
 * installed.
 *
 * Thread-safety: everything runs on the loop thread, except
 * rg_broker_conns_get_clients(), which any thread may call (the fields it
 * reads are guarded by the set's pthread mutex).
 *
 * Ownership: the set owns its connections and closes them in
 * rg_broker_conns_free(); it never closes the listening socket.
 */

#ifndef __RG_BROKER_CONN_H__
#define __RG_BROKER_CONN_H__

#include "broker/rgbroker.h"
#include "broker/rgbrokerchunk.h"
#include "broker/rgbrokerstats.h"
#include "broker/rgbrokertopic.h"
#include "broker/rgbrokertls.h"
#include "broker/rgloop.h"
#include "kafka/rgkafka.h"

G_BEGIN_DECLS

typedef struct _RgBrokerConns RgBrokerConns;
typedef struct _RgBrokerConn RgBrokerConn;

/* What the frame function did with one frame. */
typedef enum
{
  RG_BROKER_FRAME_DONE,
  RG_BROKER_FRAME_PARKED,
  RG_BROKER_FRAME_CLOSE,
} RgBrokerFrameResult;

/*
 * The facade's part, called on the loop thread.
 * @frame: handles one complete request frame (after its size prefix) of
 *   @conn: queues its response (rg_broker_conn_queue()), or parks it
 *   (rg_broker_conn_park()) and returns PARKED, or returns CLOSE
 * @retry: tries a parked request again (@expired: its wait is over);
 *   DONE when it was answered (queued), PARKED when it still waits (it may
 *   call rg_broker_conn_set_polls()), CLOSE
 * @client: a client connected (@added) or went away
 */
typedef struct
{
  RgBrokerFrameResult (*frame) (gpointer user_data, RgBrokerConn * conn,
      const guint8 * frame, gsize len);
  RgBrokerFrameResult (*retry) (gpointer user_data, RgBrokerConn * conn,
      gpointer parked, gboolean expired);
  void (*client) (gpointer user_data, guint64 id, const gchar * address,
      gboolean added);
} RgBrokerConnFuncs;

/* A connection set on @loop that accepts clients from @listen_fd, with the
 * limits of @config (copied) and counting into @counters. */
RgBrokerConns *rg_broker_conns_new (RgLoop * loop, int listen_fd,
    const RgBrokerConfig * config, RgBrokerCounters * counters,
    const RgBrokerConnFuncs * funcs, gpointer user_data);

/* Serves every connection accepted from now on over TLS with @tls (not
 * owned: it must outlive the set), or in clear text when NULL. */
void rg_broker_conns_set_tls (RgBrokerConns * conns, RgBrokerTlsContext * tls);

/* Closes every connection and stops watching the listener. */
void rg_broker_conns_free (RgBrokerConns * conns);

/* The set's part of a loop turn: parked requests (on a wake-up or their
 * deadline), the accept pause, idle and request timeouts, and the sends
 * left for the end of the turn. Returns its next deadline (ms). */
gint64 rg_broker_conns_turn (RgBrokerConns * conns, gint64 now,
    gboolean woken);

/* One RgBrokerClientInfo per open connection. Any thread. */
GPtrArray *rg_broker_conns_get_clients (RgBrokerConns * conns);

/* The client's "host:port", and the local address it reached. */
const gchar *rg_broker_conn_get_address (RgBrokerConn * conn);
const gchar *rg_broker_conn_get_local_host (RgBrokerConn * conn);

/* The client's IP address, without the port. */
const gchar *rg_broker_conn_get_peer_host (RgBrokerConn * conn);

/* The chunk the frame being handled was read into (the frame function's
 * bytes lie inside it), owned by the connection: a handler that keeps
 * part of the frame past its return takes a reference
 * (rg_broker_chunk_ref()) instead of a copy. Loop thread. */
RgBrokerChunk *rg_broker_conn_get_input_chunk (RgBrokerConn * conn);

/* Keeps @state (transfer full, freed with @free_func) of a request that
 * needs no answer but whose @bytes stay in flight until @done returns
 * TRUE for it (asked after each wake-up): an acks=0 Produce waiting for
 * durability. Counted against max_inflight_bytes. */
void rg_broker_conn_hold (RgBrokerConn * conn, gpointer state,
    GDestroyNotify free_func, gboolean (*done) (gpointer state), gsize bytes);

/* Reads and handles nothing more from @conn for @ms (a produce quota's
 * throttle, KIP-219): its socket is left unread, so TCP holds the client
 * back, and responses already queued are still sent. A later call
 * extends the time, never shortens it. */
void rg_broker_conn_mute (RgBrokerConn * conn, guint32 ms);

/* The common name of the certificate @conn's client presented over TLS
 * and the CA verified (transfer none; NULL: none, or clear text). */
const gchar *rg_broker_conn_get_tls_peer_name (RgBrokerConn * conn);

/* The facade's per-connection state (its authentication): @data (transfer
 * full) is freed with @free_func when replaced or when the connection
 * closes. */
void rg_broker_conn_set_data (RgBrokerConn * conn, gpointer data,
    GDestroyNotify free_func);
gpointer rg_broker_conn_get_data (RgBrokerConn * conn);

/* Queues @response (transfer full; NULL is ignored) behind the
 * connection's earlier responses, and counts a request answered. */
void rg_broker_conn_queue (RgBrokerConn * conn, RgKafkaResponse * response);

/* Parks @parked (transfer full, freed with @free_func): the frame stays at
 * the start of the input buffer and nothing more is read until @retry
 * answers it or @wait_ms passes. @polls: retry it every few ms too. */
void rg_broker_conn_park (RgBrokerConn * conn, gpointer parked,
    GDestroyNotify free_func, gint64 wait_ms, gboolean polls);
void rg_broker_conn_set_polls (RgBrokerConn * conn, gboolean polls);

/* Counts a Fetch answered and remembers where the client is: @topic
 * (nullable, referenced) and the offset after what it was sent. */
void rg_broker_conn_note_fetch (RgBrokerConn * conn, RgBrokerTopic * topic,
    gint64 next_offset);

/* ---- Fault simulation and observation (tests): rgbrokerhooks.h ---- */

/* Change max-connections (at least 1) and max-connections-per-address
 * (0: none) for the connections accepted from now on; those open stay.
 * Loop thread (a broker config change). */
void rg_broker_conns_set_max_connections (RgBrokerConns * conns,
    guint max_connections);
void rg_broker_conns_set_max_connections_per_address (RgBrokerConns *
    conns, guint max_connections_per_address);

G_END_DECLS

#endif /* __RG_BROKER_CONN_H__ */
