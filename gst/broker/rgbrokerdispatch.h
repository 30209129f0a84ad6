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
 * Request dispatch of the embedded broker (rgbrokerdispatch.c): one table
 * row per Kafka api key, each with the versions the broker advertises,
 * the first flexible version and the handler. ApiVersions is answered
 * from this table, so adding an api or a version is one row plus its
 * handler (and the codec's parser and builder: kafka/rgkafka.c for the
 * core apis; an api parsed elsewhere names its parser in the row, and its
 * builder writes with kafka/rgkafkawire.h). Not installed.
 *
 * The handler contract (what a handler gets, what it returns, how it
 * ends) is rgbrokerhandler.h.
 *
 * Thread-safety: the loop thread calls these; handlers touch topics only
 * through the registry's and topics' own thread-safe functions.
 *
 * Ownership: the outcome's response and position topic are the caller's
 * (transfer full); a parked request is the caller's, to free with
 * rg_kafka_request_free().
 */

#ifndef __RG_BROKER_DISPATCH_H__
#define __RG_BROKER_DISPATCH_H__

#include "broker/rgbrokerhandler.h"

G_BEGIN_DECLS


/*
 * One row of the api table.
 * @api_key: the api
 * @min_version, @max_version: the versions advertised and accepted; they
 *   must lie within what the codec parses (rg_kafka_supported_apis())
 * @first_flexible: the first flexible version (compact encodings, tagged
 *   fields, request header v2), -1 when none of the advertised ones is
 * @handler: answers the api
 * @parse: (nullable): the body parser of an api that rgkafka.c does not
 *   parse (a codec module of its own, see rgkafkawire.h); its result is
 *   the request's body.other.body. NULL: rg_kafka_request_parse()
 * @free_body: (nullable): frees what @parse returned
 */
typedef struct
{
  gint16 api_key;
  gint16 min_version;
  gint16 max_version;
  gint16 first_flexible;
  RgBrokerHandler handler;
  RgKafkaBodyParseFunc parse;
  GDestroyNotify free_body;
} RgBrokerApi;

/* Most (client, api) pairs a refusal set remembers; past it, the set starts
 * over (memory stays bounded, a long-lived broker may warn again). */
#define RG_BROKER_MAX_REFUSALS 1024

/* A new, empty refusal set for RgBrokerRequestContext.refused (transfer
 * full: free with g_hash_table_unref()). Loop thread only. */
GHashTable *rg_broker_dispatch_refusals_new (void);

/* Notes a refused version in @refused (nullable: every refusal is a first)
 * and returns %TRUE when @peer's host (its "host:port" without the port:
 * a refused client reconnects from another port) with @client_id had not
 * been refused @api_key before: the one refusal worth a warning. */
gboolean rg_broker_dispatch_first_refusal (GHashTable * refused,
    const gchar * peer, RgKafkaStr client_id, gint16 api_key);

/* The table, in ascending api key order (transfer none). */
const RgBrokerApi *rg_broker_dispatch_apis (guint * n_apis);

/* Parses one request frame (after its size prefix) and runs its handler.
 * On PARK, @parked receives the request (transfer full). A frame the codec
 * or the table refuses gives CLOSE, except an unsupported ApiVersions
 * version, which gets error 35 and the ApiVersions row's range. */
RgBrokerHandleResult rg_broker_dispatch_frame (const guint8 * frame,
    gsize len, const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out, RgKafkaRequest ** parked);

/* Runs the handler of a parked request again (@ctx->expired set when its
 * wait is over). */
RgBrokerHandleResult rg_broker_dispatch_retry (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_DISPATCH_H__ */
