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
 * The api handlers' interface: what a handler gets, what it returns and
 * how it ends (rgbrokerhandler.c). The dispatch table (rgbrokerdispatch.h)
 * calls the handlers; the handlers include this header, not the table's,
 * so they sit beneath it. Not installed.
 *
 * The handler contract: a handler is a function from a parsed request
 * and an RgBrokerRequestContext (the topic registry, the counters, what
 * it needs to know of the client) to an RgBrokerHandleOutcome (a response,
 * or none) and one of DONE (answered, or needs no answer), PARK (cannot
 * be answered yet: the caller keeps the request and calls
 * rg_broker_dispatch_retry() later) and CLOSE (the connection must be
 * closed). Handlers never see the broker, the connection or the loop; the
 * facade (rgbroker.c) hands their outcome to the connection layer.
 */

#ifndef __RG_BROKER_HANDLER_H__
#define __RG_BROKER_HANDLER_H__

#include "broker/rgbrokerproducers.h"
#include "broker/rgbrokerquota.h"
#include "broker/rgbrokeracl.h"
#include "broker/rgbrokerregistry.h"
#include "broker/rgbrokertxn.h"
#include "broker/rgbrokersasl.h"
#include "broker/rgbrokerstats.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

typedef enum
{
  RG_BROKER_HANDLE_DONE,
  RG_BROKER_HANDLE_PARK,
  RG_BROKER_HANDLE_CLOSE,
} RgBrokerHandleResult;

/*
 * What a handler may use.
 * @registry: the topics
 * @counters: the broker's counters
 * @node_host: the host Metadata advertises (the advertised host, or the
 *   local address the client reached)
 * @node_port: the port Metadata advertises
 * @peer: the client's "host:port", for log messages
 * @refs: an empty array of RgKafkaRecordsRef to collect records into; it
 *   is empty again when the handler returns
 * @expired: for rg_broker_dispatch_retry(): the request's wait is over,
 *   answer it with what there is
 * @refused: (nullable): the broker's set of (client, api) pairs already
 *   warned about an unsupported version (rg_broker_dispatch_refusals_new()),
 *   so that a client retrying the same request is logged once; NULL logs
 *   every refusal
 * @groups: the consumer-group coordinator and committed offsets, for the
 *   group apis' handlers (rgbrokergroups.h)
 * @producers: the idempotent producers' ids and sequence state
 * @txn: the transaction coordinator's state (rgbrokertxn.h)
 * @state: for rg_broker_dispatch_retry(): what the handler parked the
 *   request with (#RgBrokerHandleOutcome.state), else NULL
 * @sasl: (nullable): the connection's SASL state when the broker requires
 *   SASL: until it is authenticated only ApiVersions, SaslHandshake and
 *   SaslAuthenticate are served (rgbrokerauth.c)
 * @principal: who the client is, for the ACLs: its SASL user, else the
 *   name of its TLS client certificate, else "ANONYMOUS"
 * @acl: (nullable): the ACLs; NULL allows what the broker serves
 * @peer_host: the client's address without its port, for the ACLs' hosts
 * @quota: (nullable): the produce quota (rgbrokerquota.h); NULL: none
 * @quota_key: who the quota counts the request against: the principal
 *   when the client authenticated, else its IP address
 * @request_bytes: the request's size on the wire (its size prefix
 *   included), what the quota counts
 * @now_ms: the loop's time (ms), for the quota
 * @input: (nullable): the chunk the request was read into (its parsed
 *   form points there); a memory ingest topic keeps produced batches by
 *   reference to it (rg_broker_topic_produce_input()). NULL when the
 *   request is retried: its batches are copied
 */
typedef struct
{
  RgBrokerRegistry *registry;
  RgBrokerCounters *counters;
  const gchar *node_host;
  guint node_port;
  const gchar *peer;
  GArray *refs;
  gboolean expired;
  GHashTable *refused;
  struct _RgBrokerGroups *groups;
  RgBrokerProducers *producers;
  RgBrokerTxn *txn;
  gpointer state;
  RgBrokerSaslSession *sasl;
  const gchar *principal;
  RgBrokerAcl *acl;
  const gchar *peer_host;
  RgBrokerQuota *quota;
  const gchar *quota_key;
  gsize request_bytes;
  gint64 now_ms;
  RgBrokerChunk *input;
} RgBrokerRequestContext;

/*
 * What a handler did.
 * @response: (nullable) (transfer full): the response to queue; NULL when
 *   none is due (Produce with acks 0, PARK, CLOSE)
 * @wait_ms: PARK: how long the request may wait at most
 * @polls: PARK: it reads a journal-backed topic that nobody notifies, so
 *   it must be retried on a timer too
 * @fetched: a Fetch was answered (the client's fetch count goes up)
 * @position_topic: (nullable) (transfer full): with @fetched, the topic
 *   of its first partition, and @position_offset the offset after what it
 *   was sent (for the client's lag in the stats)
 * @state: (nullable) (transfer full): PARK: what the handler must know
 *   when it is retried (a Produce waiting for durability: what it already
 *   appended, so it is not appended again), handed back in
 *   #RgBrokerRequestContext.state and freed with @state_free when the
 *   request is answered or its connection closes; a handler that parks
 *   again without one keeps the earlier state
 * @hold: (nullable): DONE with @state: the request needs no answer
 *   (acks=0) but its records are not durable yet; the connection keeps
 *   @state (and counts the request's bytes in flight) until @hold
 *   returns TRUE for it
 * @throttle_ms: the client went over its produce quota: read nothing
 *   more from its connection for this long (KIP-219); 0: no throttle
 */
typedef struct
{
  RgKafkaResponse *response;
  gint64 wait_ms;
  gboolean polls;
  gboolean fetched;
  RgBrokerTopic *position_topic;
  gint64 position_offset;
  gpointer state;
  GDestroyNotify state_free;
  gboolean (*hold) (gpointer state);
  guint32 throttle_ms;
} RgBrokerHandleOutcome;

typedef RgBrokerHandleResult (*RgBrokerHandler) (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

/* Ends a handler with @resp: DONE with @resp as @out's response; or, when
 * the response could not be built (@resp NULL; @error, nullable, says
 * why and is freed), CLOSE after a warning naming the client and @api:
 * a client whose request cannot be answered is closed, as Kafka does. */
RgBrokerHandleResult rg_broker_answer (RgKafkaResponse * resp,
    GError * error, const gchar * api, const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_HANDLER_H__ */
