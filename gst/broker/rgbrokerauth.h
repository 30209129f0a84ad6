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
 * Authentication and authorisation at dispatch (rgbrokerauth.c): the
 * handlers of SaslHandshake and SaslAuthenticate (rows of dispatch's api
 * table), the gate every frame passes first when the broker requires SASL,
 * and the ACL check the topic handlers call. It works on the request
 * context's SASL session, principal and ACL (rgbrokerdispatch.h) and
 * calls rgbrokersasl.c and rgbrokeracl.c; dispatch calls it, never the
 * other way. Not installed.
 *
 * Thread-safety: the loop thread, like every handler.
 */

#ifndef __RG_BROKER_AUTH_H__
#define __RG_BROKER_AUTH_H__

#include "broker/rgbrokerhandler.h"
#include "kafka/rgkafkasasl.h"

G_BEGIN_DECLS

/* The table rows' handlers. */
RgBrokerHandleResult rg_broker_auth_handle_handshake (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_auth_handle_authenticate (const RgKafkaRequest
    * req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

/* The gate, first thing for every frame. With SASL required: a bare
 * token after a v0 handshake is answered here; before authentication a
 * request other than ApiVersions, SaslHandshake and SaslAuthenticate, and
 * after a failed exchange any request, closes the connection (as Kafka
 * does). Returns TRUE when it decided (*@res and @out filled), FALSE to
 * let dispatch go on. */
gboolean rg_broker_auth_gate (const guint8 * frame, gsize len,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out,
    RgBrokerHandleResult * res);

/* The ACL check: 0 when the client may do every operation of @ops
 * (RgBrokerAclOperation bits) on @topic, else TOPIC_AUTHORIZATION_FAILED
 * (29). Always 0 without an ACL. */
gint16 rg_broker_auth_check (const RgBrokerRequestContext * ctx,
    RgKafkaStr topic, guint ops);

/* The ACL check of a consumer group: 0 when the client may do every
 * operation of @ops on group @group, else GROUP_AUTHORIZATION_FAILED
 * (30). Always 0 without an ACL. */
gint16 rg_broker_auth_check_group (const RgBrokerRequestContext * ctx,
    RgKafkaStr group, guint ops);

/* The ACL check of the cluster resource: 0 when the client may do every
 * operation of @ops on it, else CLUSTER_AUTHORIZATION_FAILED (31).
 * Always 0 without an ACL. */
gint16 rg_broker_auth_check_cluster (const RgBrokerRequestContext * ctx,
    guint ops);

/* Whether Metadata may show @topic to the client (it may read or write
 * it). Always TRUE without an ACL. */
gboolean rg_broker_auth_describes (const RgBrokerRequestContext * ctx,
    RgKafkaStr topic);

G_END_DECLS

#endif /* __RG_BROKER_AUTH_H__ */
