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
 * SASL for the embedded broker (rgbrokersasl.c): the credentials file, the
 * server side of the PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512
 * (RFC 5802, RFC 7677) exchanges, and the per-connection state that the
 * SaslHandshake and SaslAuthenticate handlers and the dispatch gate read.
 * No I/O and no wire format: the handlers in rgbrokerdispatch.c parse the
 * requests (kafka/rgkafkasasl.h) and hand the tokens here. Not installed.
 *
 * Thread-safety: an RgBrokerCredentials is immutable once loaded and may
 * be read from any thread; an RgBrokerSaslSession belongs to one
 * connection and is used on the loop thread only.
 *
 * Ownership: a session borrows the credentials it was made with; they
 * must outlive it (the broker frees them after its connections).
 */

#ifndef __RG_BROKER_SASL_H__
#define __RG_BROKER_SASL_H__

#include <glib.h>

G_BEGIN_DECLS

/* The mechanisms, as bits so a broker can enable a set of them. */
typedef enum
{
  RG_BROKER_SASL_PLAIN = 1 << 0,
  RG_BROKER_SASL_SCRAM_SHA_256 = 1 << 1,
  RG_BROKER_SASL_SCRAM_SHA_512 = 1 << 2,
} RgBrokerSaslMechanism;

#define RG_BROKER_SASL_ALL (RG_BROKER_SASL_PLAIN | \
    RG_BROKER_SASL_SCRAM_SHA_256 | RG_BROKER_SASL_SCRAM_SHA_512)

/* Iterations rg_broker_credentials_make_entry() uses by default: Kafka's
 * own default for SCRAM credentials. */
#define RG_BROKER_SCRAM_DEFAULT_ITERATIONS 4096
/* Fewer iterations are refused in a credentials file: RFC 7677 asks for
 * at least 4096, and a low count makes a stolen file cheap to crack. */
#define RG_BROKER_SCRAM_MIN_ITERATIONS 4096

/* The mechanism called @name (Kafka's spelling: "PLAIN", "SCRAM-SHA-256",
 * "SCRAM-SHA-512"), or 0. */
RgBrokerSaslMechanism rg_broker_sasl_mechanism_from_name (const gchar * name,
    gsize len);
const gchar *rg_broker_sasl_mechanism_name (RgBrokerSaslMechanism mech);

/* Parses a comma-separated list of mechanism names into a set of bits.
 * An empty list is the empty set. Fails (%RG_BROKER_ERROR_SECURITY) on an
 * unknown name. */
gboolean rg_broker_sasl_parse_mechanisms (const gchar * list,
    guint * mechanisms, GError ** error);

typedef struct _RgBrokerCredentials RgBrokerCredentials;

/* Loads a credentials file (format at the top of rgbrokersasl.c and in
 * docs/security.md). Errors: the file's own (GFileError), or
 * %RG_BROKER_ERROR_SECURITY naming the line that is wrong. */
RgBrokerCredentials *rg_broker_credentials_load (const gchar * path,
    GError ** error);
RgBrokerCredentials *rg_broker_credentials_parse (const gchar * text,
    const gchar * origin, GError ** error);
void rg_broker_credentials_free (RgBrokerCredentials * creds);
guint rg_broker_credentials_count (const RgBrokerCredentials * creds);

/* One line of a credentials file for @user with @password, salted with a
 * fresh random salt (newly allocated, without a newline). @mech is one of
 * the SCRAM mechanisms; @iterations 0 = the default. NULL with
 * %RG_BROKER_ERROR_INVALID for a user name the format cannot hold. */
gchar *rg_broker_credentials_make_entry (const gchar * user,
    const gchar * password, RgBrokerSaslMechanism mech, guint iterations,
    GError ** error);

/* Where an exchange stands after a step. */
typedef enum
{
  RG_BROKER_SASL_CONTINUE,      /* send the token, expect another */
  RG_BROKER_SASL_SUCCEEDED,     /* send the token: the client is in */
  RG_BROKER_SASL_FAILED,        /* refuse with the error message */
} RgBrokerSaslStep;

typedef struct _RgBrokerSaslSession RgBrokerSaslSession;

/* A connection's SASL state. @mechanisms: the enabled set (0: SASL is not
 * configured and every handshake is refused). */
RgBrokerSaslSession *rg_broker_sasl_session_new (const RgBrokerCredentials *
    creds, guint mechanisms);
void rg_broker_sasl_session_free (RgBrokerSaslSession * session);

/* The mechanisms the session accepts (RgBrokerSaslMechanism bits). */
guint rg_broker_sasl_session_get_mechanisms (RgBrokerSaslSession * session);

/* SaslHandshake: selects @name. Returns the Kafka error code: 0,
 * UNSUPPORTED_SASL_MECHANISM (33) for a mechanism not enabled, or
 * ILLEGAL_SASL_STATE (34) when a handshake already happened. @version 0
 * means the tokens that follow come as raw frames (no Kafka header). */
gint16 rg_broker_sasl_session_handshake (RgBrokerSaslSession * session,
    const gchar * name, gsize len, gint16 version);

/* Whether the next frame is a raw SASL token (after a v0 handshake). */
gboolean rg_broker_sasl_session_expects_raw (RgBrokerSaslSession * session);

/* Whether a SaslAuthenticate may come now (after a v1 handshake). */
gboolean rg_broker_sasl_session_expects_authenticate (RgBrokerSaslSession *
    session);

/* Runs one step of the exchange with the client's token @in. @out
 * receives the token to send back (transfer full, maybe empty) on
 * CONTINUE and SUCCEEDED, @message (transfer full) the reason on FAILED.
 * After FAILED the session refuses every further step. */
RgBrokerSaslStep rg_broker_sasl_session_step (RgBrokerSaslSession * session,
    const guint8 * in, gsize in_len, GBytes ** out, gchar ** message);

gboolean rg_broker_sasl_session_is_authenticated (RgBrokerSaslSession *
    session);

/* Whether an exchange failed: the connection is to be closed. */
gboolean rg_broker_sasl_session_has_failed (RgBrokerSaslSession * session);

/* The authenticated user (transfer none), NULL before success. */
const gchar *rg_broker_sasl_session_get_user (RgBrokerSaslSession * session);

G_END_DECLS

#endif /* __RG_BROKER_SASL_H__ */
