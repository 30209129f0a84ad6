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
 * Kafka's SASL apis on the wire (the interface is rgkafkasasl.h), from
 * the message specs SaslHandshake{Request,Response}.json and
 * SaslAuthenticate{Request,Response}.json:
 *
 *   SaslHandshake v0-1 (never flexible; v1 only says that
 *   SaslAuthenticate follows)
 *     request   Mechanism STRING
 *     response  ErrorCode INT16, Mechanisms [STRING]
 *
 *   SaslAuthenticate v0-2 (v2 flexible: compact types, tag sections,
 *   request header v2, response header v1)
 *     request   AuthBytes BYTES
 *     response  ErrorCode INT16, ErrorMessage NULLABLE_STRING,
 *               AuthBytes BYTES, SessionLifetimeMs INT64 (v1+)
 *
 * After a SaslHandshake v0 the client sends its tokens as bare frames
 * (int32 size, token) and the server answers the same way, with no
 * Kafka header: the flow of Kafka before 1.0, which kafka-python still
 * uses. A failure there has no error frame: the server closes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkasasl.h"

#include <string.h>

gpointer
rg_kafka_sasl_parse_handshake (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaSaslHandshakeRequest *req = g_new0 (RgKafkaSaslHandshakeRequest, 1);

  req->mechanism = rg_kafka_read_string (r, FALSE, "mechanism");
  return req;
}

gpointer
rg_kafka_sasl_parse_authenticate (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaSaslAuthenticateRequest *req =
      g_new0 (RgKafkaSaslAuthenticateRequest, 1);
  gint32 len = 0;

  req->auth_bytes = rg_kafka_read_bytes (r, FALSE, &len, NULL, "auth_bytes");
  req->len = MAX (len, 0);
  rg_kafka_read_tags (r);
  return req;
}

RgKafkaResponse *
rg_kafka_sasl_build_handshake_response (gint32 correlation_id,
    gint16 api_version, gint16 error_code, const gchar * const *mechanisms,
    guint n_mechanisms, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new (correlation_id,
      RG_KAFKA_RESPONSE_HEADER_V0, FALSE);
  guint i;

  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_array_count (resp, n_mechanisms);
  for (i = 0; i < n_mechanisms; i++)
    rg_kafka_put_string (resp, rg_kafka_str_from_cstr (mechanisms[i]),
        FALSE, "mechanism");
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_sasl_build_authenticate_response (gint32 correlation_id,
    gint16 api_version, gint16 error_code, const gchar * error_message,
    const guint8 * auth_bytes, gsize len, gint64 session_lifetime_ms,
    GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_SASL_AUTHENTICATE_FIRST_FLEXIBLE, api_version);
  static const guint8 empty[1] = { 0 };

  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_str (resp, error_message ?
      rg_kafka_str_from_cstr (error_message) : RG_KAFKA_STR_NULL, TRUE,
      "error_message");
  rg_kafka_put_bytes (resp, auth_bytes ? auth_bytes : empty, len, FALSE,
      "auth_bytes");
  if (api_version >= 1)
    rg_kafka_put_int64 (resp, session_lifetime_ms);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* The bare frame is the response writer's frame with its header taken
 * from the token itself: the int32 a header starts with is the token's
 * first four bytes. rgkafkawire.h has no header-less frame, so a token
 * shorter than four bytes cannot be framed (the empty token of PLAIN's
 * success is one): the caller closes instead. */
RgKafkaResponse *
rg_kafka_sasl_build_token_frame (const guint8 * token, gsize len,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint32 first;

  if (len < 4 || len > G_MAXINT32) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "a bare SASL token of %" G_GSIZE_FORMAT " bytes cannot be framed",
        len);
    return NULL;
  }
  memcpy (&first, token, 4);
  resp = rg_kafka_response_new (GUINT32_FROM_BE (first),
      RG_KAFKA_RESPONSE_HEADER_V0, FALSE);
  rg_kafka_put_raw (resp, token + 4, len - 4);
  return rg_kafka_response_finish (resp, error);
}
