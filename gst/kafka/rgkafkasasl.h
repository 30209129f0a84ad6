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
 * The wire format of Kafka's SASL apis (rgkafkasasl.c): SaslHandshake
 * (17) v0-1 and SaslAuthenticate (36) v0-2 requests and responses, and
 * the bare token frames of the v0 flow. Codec only, no I/O; the broker's
 * handlers (broker/rgbrokerdispatch.c) use it. Not installed.
 *
 * Ownership: parsed bodies point into the frame, which must outlive them;
 * they are freed with g_free() (rg_kafka_request_free() does it through
 * the request's body.other).
 */

#ifndef __RG_KAFKA_SASL_H__
#define __RG_KAFKA_SASL_H__

#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

#define RG_KAFKA_API_SASL_HANDSHAKE 17
#define RG_KAFKA_API_SASL_AUTHENTICATE 36
/* SaslAuthenticate v2 is flexible; SaslHandshake has no flexible
 * version. */
#define RG_KAFKA_SASL_AUTHENTICATE_FIRST_FLEXIBLE 2

/* Kafka error codes of the SASL apis. */
#define RG_KAFKA_UNSUPPORTED_SASL_MECHANISM 33
#define RG_KAFKA_ILLEGAL_SASL_STATE 34
#define RG_KAFKA_SASL_AUTHENTICATION_FAILED 58

/* SaslHandshake request: the mechanism the client chose. */
typedef struct
{
  RgKafkaStr mechanism;
} RgKafkaSaslHandshakeRequest;

/* SaslAuthenticate request: the client's token (@len bytes, may be 0). */
typedef struct
{
  const guint8 *auth_bytes;
  gsize len;
} RgKafkaSaslAuthenticateRequest;

/* RgKafkaBodyParseFunc of each request (for rg_kafka_request_parse_other):
 * a g_malloc'd body, or NULL after a failure of @r. */
gpointer rg_kafka_sasl_parse_handshake (RgKafkaReader * r,
    gint16 api_version);
gpointer rg_kafka_sasl_parse_authenticate (RgKafkaReader * r,
    gint16 api_version);

/* SaslHandshake response: @error_code and the mechanisms the broker
 * enables (@mechanisms, @n_mechanisms C strings). NULL with @error when a
 * value does not fit the format. */
RgKafkaResponse *rg_kafka_sasl_build_handshake_response (gint32
    correlation_id, gint16 api_version, gint16 error_code,
    const gchar * const *mechanisms, guint n_mechanisms, GError ** error);

/* SaslAuthenticate response: @error_code, @error_message (nullable), the
 * server's token @auth_bytes (@len bytes), and from v1 the session
 * lifetime (0: none). NULL with @error when a value does not fit. */
RgKafkaResponse *rg_kafka_sasl_build_authenticate_response (gint32
    correlation_id, gint16 api_version, gint16 error_code,
    const gchar * error_message, const guint8 * auth_bytes, gsize len,
    gint64 session_lifetime_ms, GError ** error);

/* The bare frame of the v0 flow: int32 size, then the token. */
RgKafkaResponse *rg_kafka_sasl_build_token_frame (const guint8 * token,
    gsize len, GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_SASL_H__ */
