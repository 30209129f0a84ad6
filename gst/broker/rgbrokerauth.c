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
 * Authentication and authorisation at dispatch (the interface is
 * rgbrokerauth.h).
 *
 * The two flows Kafka has, both served:
 *  - SaslHandshake v1, then SaslAuthenticate requests carrying the tokens
 *    (Kafka 1.0 and later; librdkafka uses it when the broker advertises
 *    SaslHandshake v1). A failed exchange is answered with
 *    SASL_AUTHENTICATION_FAILED (58) and its message, so the client can
 *    say why; the next request on that connection closes it.
 *  - SaslHandshake v0, then the tokens as bare frames (int32 size, token)
 *    both ways (kafka-python 2.0). A failure closes the connection: the
 *    flow has no way to carry an error.
 * A SaslHandshake for a mechanism the broker does not enable gets
 * UNSUPPORTED_SASL_MECHANISM (33) and the enabled ones; one on a broker
 * without SASL, or a second one, ILLEGAL_SASL_STATE (34).
 *
 * Until a client has authenticated, only ApiVersions (a client asks it
 * first, to learn that SaslHandshake exists), SaslHandshake and
 * SaslAuthenticate are served; anything else closes the connection, which
 * is what a Kafka broker does on a SASL listener.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerauth.h"

#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Kafka's error code for a group the principal may not use. */
#define GROUP_AUTHORIZATION_FAILED 30
/* Kafka's CLUSTER_AUTHORIZATION_FAILED. */
#define CLUSTER_AUTHORIZATION_FAILED 31

/* ---- SaslHandshake ---- */

/* The enabled mechanisms' names, in a fixed order; returns the count. */
static guint
enabled_mechanisms (guint mechanisms, const gchar ** names)
{
  static const RgBrokerSaslMechanism order[] = { RG_BROKER_SASL_PLAIN,
    RG_BROKER_SASL_SCRAM_SHA_256, RG_BROKER_SASL_SCRAM_SHA_512
  };
  guint i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (order); i++)
    if (mechanisms & order[i])
      names[n++] = rg_broker_sasl_mechanism_name (order[i]);
  return n;
}

RgBrokerHandleResult
rg_broker_auth_handle_handshake (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaSaslHandshakeRequest *h = req->body.other.body;
  const gchar *names[3];
  guint n = 0;
  gint16 code = RG_KAFKA_ILLEGAL_SASL_STATE;
  GError *error = NULL;

  if (ctx->sasl) {
    code = rg_broker_sasl_session_handshake (ctx->sasl, h->mechanism.data,
        h->mechanism.len, req->header.api_version);
    n = enabled_mechanisms (rg_broker_sasl_session_get_mechanisms
        (ctx->sasl), names);
  }
  if (code != 0) {
    /* A copy: the name is not NUL-terminated, and GStreamer's printf
     * reads a string argument to its end whatever the precision says. */
    gchar *name = g_strndup (h->mechanism.data, MAX (h->mechanism.len, 0));

    GST_INFO ("client %s: SaslHandshake for %s refused with error %d",
        ctx->peer, name, code);
    g_free (name);
  }
  out->response = rg_kafka_sasl_build_handshake_response
      (req->header.correlation_id, req->header.api_version, code, names, n,
      &error);
  if (!out->response) {
    GST_WARNING ("client %s: SaslHandshake: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* ---- SaslAuthenticate ---- */

RgBrokerHandleResult
rg_broker_auth_handle_authenticate (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaSaslAuthenticateRequest *a = req->body.other.body;
  gint16 code = RG_KAFKA_ILLEGAL_SASL_STATE;
  gchar *message = NULL;
  GBytes *token = NULL;
  GError *error = NULL;

  if (ctx->sasl && rg_broker_sasl_session_expects_authenticate (ctx->sasl)) {
    RgBrokerSaslStep step = rg_broker_sasl_session_step (ctx->sasl,
        a->auth_bytes, a->len, &token, &message);

    code = step == RG_BROKER_SASL_FAILED ?
        RG_KAFKA_SASL_AUTHENTICATION_FAILED : 0;
    if (step == RG_BROKER_SASL_SUCCEEDED)
      GST_INFO ("client %s authenticated as %s", ctx->peer,
          rg_broker_sasl_session_get_user (ctx->sasl));
  } else {
    message = g_strdup ("SaslAuthenticate without a SaslHandshake v1");
  }
  if (code != 0)
    GST_INFO ("client %s: SaslAuthenticate: error %d: %s", ctx->peer, code,
        message);
  out->response = rg_kafka_sasl_build_authenticate_response
      (req->header.correlation_id, req->header.api_version, code, message,
      token ? g_bytes_get_data (token, NULL) : NULL,
      token ? g_bytes_get_size (token) : 0, 0, &error);
  g_free (message);
  if (token)
    g_bytes_unref (token);
  if (!out->response) {
    GST_WARNING ("client %s: SaslAuthenticate: %s", ctx->peer,
        error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* ---- The gate ---- */

/* A bare token of the v0 flow: answered bare, or the connection closes. */
static RgBrokerHandleResult
gate_bare_token (const guint8 * frame, gsize len,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  gchar *message = NULL;
  GBytes *token = NULL;
  GError *error = NULL;
  RgBrokerSaslStep step;

  step = rg_broker_sasl_session_step (ctx->sasl, frame, len, &token,
      &message);
  if (step == RG_BROKER_SASL_FAILED) {
    GST_INFO ("client %s: closing: %s", ctx->peer, message);
    g_free (message);
    return RG_BROKER_HANDLE_CLOSE;
  }
  out->response = rg_kafka_sasl_build_token_frame (g_bytes_get_data (token,
          NULL), g_bytes_get_size (token), &error);
  g_bytes_unref (token);
  if (!out->response) {
    GST_WARNING ("client %s: closing: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  if (rg_broker_sasl_session_is_authenticated (ctx->sasl))
    GST_INFO ("client %s authenticated as %s", ctx->peer,
        rg_broker_sasl_session_get_user (ctx->sasl));
  return RG_BROKER_HANDLE_DONE;
}

static gboolean
api_before_authentication (gint16 api_key)
{
  return api_key == RG_KAFKA_API_API_VERSIONS
      || api_key == RG_KAFKA_API_SASL_HANDSHAKE
      || api_key == RG_KAFKA_API_SASL_AUTHENTICATE;
}

gboolean
rg_broker_auth_gate (const guint8 * frame, gsize len,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out,
    RgBrokerHandleResult * res)
{
  RgKafkaRequestHeader header;

  if (!ctx->sasl || rg_broker_sasl_session_is_authenticated (ctx->sasl))
    return FALSE;
  if (rg_broker_sasl_session_expects_raw (ctx->sasl)) {
    *res = gate_bare_token (frame, len, ctx, out);
    return TRUE;
  }
  /* A frame whose header cannot be read is dispatch's to refuse. */
  if (!rg_kafka_request_parse_header (frame, len, &header, NULL))
    return FALSE;
  if (!rg_broker_sasl_session_has_failed (ctx->sasl)
      && api_before_authentication (header.api_key))
    return FALSE;
  GST_INFO ("client %s: closing: %s (api key %d) before authenticating",
      ctx->peer, rg_kafka_api_name (header.api_key), header.api_key);
  *res = RG_BROKER_HANDLE_CLOSE;
  return TRUE;
}

/* ---- ACLs ---- */

gint16
rg_broker_auth_check (const RgBrokerRequestContext * ctx, RgKafkaStr topic,
    guint ops)
{
  if (!ctx->acl || topic.len < 0)
    return 0;
  return rg_broker_acl_authorize (ctx->acl, ctx->principal, ctx->peer_host,
      RG_KAFKA_RESOURCE_TOPIC, topic.data, topic.len, ops) ? 0 :
      RG_BROKER_PRODUCE_REFUSED_ERROR;
}

gint16
rg_broker_auth_check_group (const RgBrokerRequestContext * ctx,
    RgKafkaStr group, guint ops)
{
  if (!ctx->acl)
    return 0;
  /* A null group id names no group anyone was granted. */
  if (group.len < 0 || !rg_broker_acl_authorize (ctx->acl, ctx->principal,
          ctx->peer_host, RG_KAFKA_RESOURCE_GROUP, group.data, group.len,
          ops))
    return GROUP_AUTHORIZATION_FAILED;
  return 0;
}

gint16
rg_broker_auth_check_cluster (const RgBrokerRequestContext * ctx, guint ops)
{
  if (!ctx->acl)
    return 0;
  return rg_broker_acl_authorize (ctx->acl, ctx->principal, ctx->peer_host,
      RG_KAFKA_RESOURCE_CLUSTER, RG_BROKER_ACL_CLUSTER_NAME,
      strlen (RG_BROKER_ACL_CLUSTER_NAME), ops) ? 0 :
      CLUSTER_AUTHORIZATION_FAILED;
}

gboolean
rg_broker_auth_describes (const RgBrokerRequestContext * ctx,
    RgKafkaStr topic)
{
  if (!ctx->acl || topic.len < 0)
    return TRUE;
  return rg_broker_acl_authorize (ctx->acl, ctx->principal, ctx->peer_host,
      RG_KAFKA_RESOURCE_TOPIC, topic.data, topic.len, RG_BROKER_ACL_DESCRIBE);
}
