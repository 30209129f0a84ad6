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
 * SASL for the embedded broker (the interface is rgbrokersasl.h).
 *
 * Credentials file
 * ================
 * Text, one SCRAM credential per line, fields separated by blanks; empty
 * lines and lines starting with '#' are ignored:
 *
 *   <user> <mechanism> <iterations> <salt> <stored-key> <server-key>
 *
 * mechanism is SCRAM-SHA-256 or SCRAM-SHA-512; salt, stored-key and
 * server-key are base64 (RFC 4648); iterations is at least 4096. The
 * password itself is never stored: StoredKey = H(HMAC(SaltedPassword,
 * "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key"), with
 * SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations) (RFC 5802
 * section 3), which is what Kafka stores in ZooKeeper or KRaft too. A
 * user may have one line per mechanism. A user name holds no blank.
 *
 * Mechanisms
 * ==========
 * PLAIN (RFC 4616): the client sends "authzid NUL user NUL password" in
 * one token. The broker derives SaltedPassword from that password with
 * the salt and iterations of the user's first SCRAM line and compares the
 * StoredKey it gives with the stored one (in constant time), so PLAIN and
 * SCRAM share one file and no password is kept. An authzid must be empty
 * or the user (Kafka's rule). Success answers an empty token.
 *
 * SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677): client-first
 * "gs2-header n=user,r=cnonce" (no channel binding: "p=" is refused, as
 * Kafka does), server-first "r=cnonce snonce,s=salt,i=iterations",
 * client-final "c=base64(gs2-header),r=nonce,p=proof", server-final
 * "v=signature". The proof is checked as the RFC says: ClientKey = proof
 * XOR HMAC(StoredKey, AuthMessage), then H(ClientKey) = StoredKey.
 * Extensions other than none are refused (Kafka's "tokenauth" belongs to
 * delegation tokens, which this broker has not).
 *
 * Failures answer one message that does not say whether the user exists.
 * All digests, HMACs and PBKDF2 come from OpenSSL's libcrypto.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokersasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

/* Random bytes in the server's part of a SCRAM nonce. */
#define SERVER_NONCE_BYTES 18
/* Salt of a new credential: RFC 7677 asks for enough to be unique. */
#define SALT_BYTES 16
/* Ceiling on iterations read from a file: a typo must not make every
 * PLAIN login burn seconds of the loop thread. */
#define MAX_ITERATIONS (1 << 20)

#define FAILED_MESSAGE_FMT "Authentication failed during authentication " \
  "due to invalid credentials with SASL mechanism %s"

typedef struct
{
  gchar *user;
  RgBrokerSaslMechanism mech;
  guint iterations;
  GBytes *salt;
  guint8 stored_key[EVP_MAX_MD_SIZE];
  guint8 server_key[EVP_MAX_MD_SIZE];
} RgBrokerCredential;

struct _RgBrokerCredentials
{
  GPtrArray *entries;           /* RgBrokerCredential */
};

typedef enum
{
  SESSION_START,
  SESSION_MECHANISM,            /* after the handshake */
  SESSION_SCRAM_FIRST,          /* server-first sent */
  SESSION_DONE,
  SESSION_FAILED,
} SessionState;

struct _RgBrokerSaslSession
{
  const RgBrokerCredentials *creds;
  guint mechanisms;
  SessionState state;
  RgBrokerSaslMechanism mech;
  gboolean raw;
  gchar *user;

  /* SCRAM, between the two client messages. */
  const RgBrokerCredential *cred;
  gchar *gs2_header;
  gchar *nonce;
  gsize cnonce_len;
  gchar *client_first_bare;
  gchar *server_first;
};

/* ---- Mechanisms ---- */

static const struct
{
  RgBrokerSaslMechanism mech;
  const gchar *name;
} mechanism_names[] = {
  {RG_BROKER_SASL_PLAIN, "PLAIN"},
  {RG_BROKER_SASL_SCRAM_SHA_256, "SCRAM-SHA-256"},
  {RG_BROKER_SASL_SCRAM_SHA_512, "SCRAM-SHA-512"},
};

RgBrokerSaslMechanism
rg_broker_sasl_mechanism_from_name (const gchar * name, gsize len)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (mechanism_names); i++)
    if (strlen (mechanism_names[i].name) == len
        && memcmp (mechanism_names[i].name, name, len) == 0)
      return mechanism_names[i].mech;
  return 0;
}

const gchar *
rg_broker_sasl_mechanism_name (RgBrokerSaslMechanism mech)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (mechanism_names); i++)
    if (mechanism_names[i].mech == mech)
      return mechanism_names[i].name;
  return "?";
}

gboolean
rg_broker_sasl_parse_mechanisms (const gchar * list, guint * mechanisms,
    GError ** error)
{
  gchar **names = g_strsplit (list ? list : "", ",", -1);
  guint i, set = 0;

  for (i = 0; names[i]; i++) {
    gchar *name = g_strstrip (names[i]);
    RgBrokerSaslMechanism mech;

    if (*name == '\0')
      continue;
    mech = rg_broker_sasl_mechanism_from_name (name, strlen (name));
    if (mech == 0) {
      g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
          "unknown SASL mechanism \"%s\" (PLAIN, SCRAM-SHA-256 and "
          "SCRAM-SHA-512 are served)", name);
      g_strfreev (names);
      return FALSE;
    }
    set |= mech;
  }
  g_strfreev (names);
  *mechanisms = set;
  return TRUE;
}

static const EVP_MD *
mechanism_digest (RgBrokerSaslMechanism mech)
{
  return mech == RG_BROKER_SASL_SCRAM_SHA_512 ? EVP_sha512 () : EVP_sha256 ();
}

/* ---- Key derivation (RFC 5802 section 3) ---- */

/* StoredKey and ServerKey of @password; FALSE when libcrypto failed. */
static gboolean
derive_keys (RgBrokerSaslMechanism mech, const gchar * password,
    gsize password_len, const guint8 * salt, gsize salt_len,
    guint iterations, guint8 * stored_key, guint8 * server_key)
{
  const EVP_MD *md = mechanism_digest (mech);
  guint8 salted[EVP_MAX_MD_SIZE], client_key[EVP_MAX_MD_SIZE];
  guint md_len = EVP_MD_get_size (md), len = 0;
  gboolean ok;

  ok = PKCS5_PBKDF2_HMAC (password, password_len, salt, salt_len,
      iterations, md, md_len, salted) == 1
      && HMAC (md, salted, md_len, (const guint8 *) "Client Key", 10,
      client_key, &len) != NULL
      && EVP_Digest (client_key, md_len, stored_key, &len, md, NULL) == 1
      && HMAC (md, salted, md_len, (const guint8 *) "Server Key", 10,
      server_key, &len) != NULL;
  OPENSSL_cleanse (salted, sizeof (salted));
  OPENSSL_cleanse (client_key, sizeof (client_key));
  return ok;
}

/* ---- Credentials ---- */

static void
credential_free (RgBrokerCredential * c)
{
  g_free (c->user);
  g_bytes_unref (c->salt);
  g_free (c);
}

/* Decodes base64 field @text into exactly @want bytes (any length when
 * @want is 0). */
static GBytes *
decode_field (const gchar * text, gsize want)
{
  gsize len = 0;
  guchar *data;

  if (*text == '\0' || strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
          "abcdefghijklmnopqrstuvwxyz0123456789+/=") != strlen (text))
    return NULL;
  data = g_base64_decode (text, &len);
  if (len == 0 || (want > 0 && len != want)) {
    g_free (data);
    return NULL;
  }
  return g_bytes_new_take (data, len);
}

static RgBrokerCredential *
credential_parse (gchar ** f)
{
  RgBrokerCredential *c = g_new0 (RgBrokerCredential, 1);
  GBytes *stored = NULL, *server = NULL;
  gsize md_len;
  guint64 iter;

  c->mech = rg_broker_sasl_mechanism_from_name (f[1], strlen (f[1]));
  if (c->mech != RG_BROKER_SASL_SCRAM_SHA_256
      && c->mech != RG_BROKER_SASL_SCRAM_SHA_512)
    goto bad;
  md_len = EVP_MD_get_size (mechanism_digest (c->mech));
  if (!g_ascii_string_to_unsigned (f[2], 10, RG_BROKER_SCRAM_MIN_ITERATIONS,
          MAX_ITERATIONS, &iter, NULL))
    goto bad;
  c->iterations = iter;
  c->salt = decode_field (f[3], 0);
  stored = decode_field (f[4], md_len);
  server = decode_field (f[5], md_len);
  if (!c->salt || !stored || !server)
    goto bad;
  memcpy (c->stored_key, g_bytes_get_data (stored, NULL), md_len);
  memcpy (c->server_key, g_bytes_get_data (server, NULL), md_len);
  g_bytes_unref (stored);
  g_bytes_unref (server);
  c->user = g_strdup (f[0]);
  return c;

bad:
  g_clear_pointer (&stored, g_bytes_unref);
  g_clear_pointer (&server, g_bytes_unref);
  credential_free (c);
  return NULL;
}

RgBrokerCredentials *
rg_broker_credentials_parse (const gchar * text, const gchar * origin,
    GError ** error)
{
  RgBrokerCredentials *creds = g_new0 (RgBrokerCredentials, 1);
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i;

  creds->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      credential_free);
  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar **f;
    RgBrokerCredential *c = NULL;

    if (*line == '\0' || *line == '#')
      continue;
    f = g_regex_split_simple ("[ \t]+", line, 0, 0);
    if (g_strv_length (f) == 6)
      c = credential_parse (f);
    g_strfreev (f);
    if (!c) {
      g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
          "%s:%u: not a credential (expected \"user SCRAM-SHA-256|"
          "SCRAM-SHA-512 iterations>=%u salt stored-key server-key\", "
          "base64 keys of the digest's size)", origin, i + 1,
          RG_BROKER_SCRAM_MIN_ITERATIONS);
      g_strfreev (lines);
      rg_broker_credentials_free (creds);
      return NULL;
    }
    g_ptr_array_add (creds->entries, c);
  }
  g_strfreev (lines);
  return creds;
}

RgBrokerCredentials *
rg_broker_credentials_load (const gchar * path, GError ** error)
{
  RgBrokerCredentials *creds;
  gchar *text;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  creds = rg_broker_credentials_parse (text, path, error);
  OPENSSL_cleanse (text, strlen (text));
  g_free (text);
  return creds;
}

void
rg_broker_credentials_free (RgBrokerCredentials * creds)
{
  if (!creds)
    return;
  g_ptr_array_unref (creds->entries);
  g_free (creds);
}

guint
rg_broker_credentials_count (const RgBrokerCredentials * creds)
{
  return creds ? creds->entries->len : 0;
}

/* The credential of @user for @mech, or for any SCRAM mechanism when
 * @mech is 0. */
static const RgBrokerCredential *
credentials_find (const RgBrokerCredentials * creds, const gchar * user,
    RgBrokerSaslMechanism mech)
{
  guint i;

  if (!creds)
    return NULL;
  for (i = 0; i < creds->entries->len; i++) {
    const RgBrokerCredential *c = g_ptr_array_index (creds->entries, i);

    if ((mech == 0 || c->mech == mech) && strcmp (c->user, user) == 0)
      return c;
  }
  return NULL;
}

gchar *
rg_broker_credentials_make_entry (const gchar * user, const gchar * password,
    RgBrokerSaslMechanism mech, guint iterations, GError ** error)
{
  guint8 salt[SALT_BYTES], stored[EVP_MAX_MD_SIZE], server[EVP_MAX_MD_SIZE];
  gsize md_len;
  gchar *s, *k1, *k2, *line;

  if (iterations == 0)
    iterations = RG_BROKER_SCRAM_DEFAULT_ITERATIONS;
  if (!user || *user == '\0' || *user == '#' || strpbrk (user, " \t\r\n")
      || !g_utf8_validate (user, -1, NULL)
      || (mech != RG_BROKER_SASL_SCRAM_SHA_256
          && mech != RG_BROKER_SASL_SCRAM_SHA_512)
      || iterations < RG_BROKER_SCRAM_MIN_ITERATIONS
      || iterations > MAX_ITERATIONS) {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_INVALID,
        "a credential needs a user name without blanks, a SCRAM mechanism "
        "and %u to %u iterations", RG_BROKER_SCRAM_MIN_ITERATIONS,
        MAX_ITERATIONS);
    return NULL;
  }
  md_len = EVP_MD_get_size (mechanism_digest (mech));
  if (RAND_bytes (salt, sizeof (salt)) != 1
      || !derive_keys (mech, password, strlen (password), salt,
          sizeof (salt), iterations, stored, server)) {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
        "libcrypto could not derive the keys");
    return NULL;
  }
  s = g_base64_encode (salt, sizeof (salt));
  k1 = g_base64_encode (stored, md_len);
  k2 = g_base64_encode (server, md_len);
  line = g_strdup_printf ("%s %s %u %s %s %s", user,
      rg_broker_sasl_mechanism_name (mech), iterations, s, k1, k2);
  g_free (s);
  g_free (k1);
  g_free (k2);
  return line;
}

/* ---- Sessions ---- */

RgBrokerSaslSession *
rg_broker_sasl_session_new (const RgBrokerCredentials * creds,
    guint mechanisms)
{
  RgBrokerSaslSession *s = g_new0 (RgBrokerSaslSession, 1);

  s->creds = creds;
  s->mechanisms = mechanisms;
  return s;
}

static void
session_clear_scram (RgBrokerSaslSession * s)
{
  g_clear_pointer (&s->gs2_header, g_free);
  g_clear_pointer (&s->nonce, g_free);
  g_clear_pointer (&s->client_first_bare, g_free);
  g_clear_pointer (&s->server_first, g_free);
  s->cred = NULL;
}

void
rg_broker_sasl_session_free (RgBrokerSaslSession * session)
{
  if (!session)
    return;
  session_clear_scram (session);
  g_free (session->user);
  g_free (session);
}

guint
rg_broker_sasl_session_get_mechanisms (RgBrokerSaslSession * s)
{
  return s->mechanisms;
}

gint16
rg_broker_sasl_session_handshake (RgBrokerSaslSession * s, const gchar * name,
    gsize len, gint16 version)
{
  RgBrokerSaslMechanism mech = rg_broker_sasl_mechanism_from_name (name, len);

  if (s->state != SESSION_START)
    return 34;                  /* ILLEGAL_SASL_STATE */
  if (mech == 0 || !(s->mechanisms & mech))
    return 33;                  /* UNSUPPORTED_SASL_MECHANISM */
  s->mech = mech;
  s->raw = version == 0;
  s->state = SESSION_MECHANISM;
  return 0;
}

gboolean
rg_broker_sasl_session_expects_raw (RgBrokerSaslSession * s)
{
  return s->raw && (s->state == SESSION_MECHANISM
      || s->state == SESSION_SCRAM_FIRST);
}

gboolean
rg_broker_sasl_session_expects_authenticate (RgBrokerSaslSession * s)
{
  return !s->raw && (s->state == SESSION_MECHANISM
      || s->state == SESSION_SCRAM_FIRST);
}

gboolean
rg_broker_sasl_session_is_authenticated (RgBrokerSaslSession * s)
{
  return s->state == SESSION_DONE;
}

gboolean
rg_broker_sasl_session_has_failed (RgBrokerSaslSession * s)
{
  return s->state == SESSION_FAILED;
}

const gchar *
rg_broker_sasl_session_get_user (RgBrokerSaslSession * s)
{
  return s->state == SESSION_DONE ? s->user : NULL;
}

static RgBrokerSaslStep
session_fail (RgBrokerSaslSession * s, gchar ** message)
{
  *message = g_strdup_printf (FAILED_MESSAGE_FMT,
      rg_broker_sasl_mechanism_name (s->mech));
  session_clear_scram (s);
  s->state = SESSION_FAILED;
  return RG_BROKER_SASL_FAILED;
}

static RgBrokerSaslStep
session_succeed (RgBrokerSaslSession * s, const gchar * user, GBytes ** out,
    GBytes * token)
{
  g_free (s->user);
  s->user = g_strdup (user);
  session_clear_scram (s);
  s->state = SESSION_DONE;
  *out = token ? token : g_bytes_new (NULL, 0);
  return RG_BROKER_SASL_SUCCEEDED;
}

/* ---- PLAIN ---- */

static RgBrokerSaslStep
plain_step (RgBrokerSaslSession * s, const guint8 * in, gsize len,
    GBytes ** out, gchar ** message)
{
  const gchar *authzid = (const gchar *) in, *user, *password, *end;
  const gchar *nul1, *nul2;
  const RgBrokerCredential *c;
  guint8 stored[EVP_MAX_MD_SIZE], server[EVP_MAX_MD_SIZE];
  gboolean ok;
  gchar *u;

  end = authzid + len;
  nul1 = memchr (authzid, '\0', len);
  nul2 = nul1 ? memchr (nul1 + 1, '\0', end - nul1 - 1) : NULL;
  if (!nul2 || memchr (nul2 + 1, '\0', end - nul2 - 1))
    return session_fail (s, message);
  user = nul1 + 1;
  password = nul2 + 1;
  if (nul1 != authzid && (nul1 - authzid != nul2 - user
          || memcmp (authzid, user, nul1 - authzid) != 0))
    return session_fail (s, message);
  u = g_strndup (user, nul2 - user);
  c = credentials_find (s->creds, u, 0);
  ok = c && derive_keys (c->mech, password, end - password,
      g_bytes_get_data (c->salt, NULL), g_bytes_get_size (c->salt),
      c->iterations, stored, server)
      && CRYPTO_memcmp (stored, c->stored_key,
      EVP_MD_get_size (mechanism_digest (c->mech))) == 0;
  if (ok)
    session_succeed (s, u, out, NULL);
  g_free (u);
  OPENSSL_cleanse (stored, sizeof (stored));
  return ok ? RG_BROKER_SASL_SUCCEEDED : session_fail (s, message);
}

/* ---- SCRAM ---- */

/* Decodes a SCRAM saslname ("=2C" is ',', "=3D" is '='); NULL when
 * another '=' escape appears or the name is empty. */
static gchar *
scram_decode_name (const gchar * in, gsize len)
{
  GString *name = g_string_sized_new (len);
  gsize i;

  for (i = 0; i < len; i++) {
    if (in[i] != '=') {
      g_string_append_c (name, in[i]);
    } else if (i + 2 < len && in[i + 1] == '2' && in[i + 2] == 'C') {
      g_string_append_c (name, ',');
      i += 2;
    } else if (i + 2 < len && in[i + 1] == '3' && in[i + 2] == 'D') {
      g_string_append_c (name, '=');
      i += 2;
    } else {
      g_string_free (name, TRUE);
      return NULL;
    }
  }
  if (name->len == 0 || !g_utf8_validate (name->str, name->len, NULL)) {
    g_string_free (name, TRUE);
    return NULL;
  }
  return g_string_free (name, FALSE);
}

/* Splits "gs2-header client-first-bare" of a client-first message; the
 * header keeps its trailing comma. FALSE on a malformed or channel-bound
 * message. */
static gboolean
scram_split_first (const gchar * msg, gchar ** gs2_header,
    const gchar ** bare)
{
  const gchar *comma;

  if (!(g_str_has_prefix (msg, "n,") || g_str_has_prefix (msg, "y,")))
    return FALSE;
  comma = strchr (msg + 2, ',');
  if (!comma || (comma != msg + 2 && !g_str_has_prefix (msg + 2, "a=")))
    return FALSE;
  *gs2_header = g_strndup (msg, comma + 1 - msg);
  *bare = comma + 1;
  return TRUE;
}

/* Parses "n=user,r=nonce" with no extension; FALSE when malformed. */
static gboolean
scram_parse_bare (const gchar * bare, gchar ** user, gchar ** nonce)
{
  gchar **f = g_strsplit (bare, ",", -1);
  gboolean ok = g_strv_length (f) == 2 && g_str_has_prefix (f[0], "n=")
      && g_str_has_prefix (f[1], "r=") && f[1][2] != '\0';

  if (ok) {
    const gchar *c;

    /* RFC 5802: printable characters but ','. */
    for (c = f[1] + 2; *c && ok; c++)
      ok = *c >= 0x21 && *c <= 0x7e;
  }
  if (ok) {
    *user = scram_decode_name (f[0] + 2, strlen (f[0] + 2));
    *nonce = g_strdup (f[1] + 2);
    ok = *user != NULL;
  }
  g_strfreev (f);
  return ok;
}

/* The authzid of @gs2_header ("n,a=name," or "n,,") must be empty or
 * @user. */
static gboolean
scram_authzid_ok (const gchar * gs2_header, const gchar * user)
{
  gchar *authzid;
  gboolean ok;

  if (strcmp (gs2_header + 2, ",") == 0)
    return TRUE;
  authzid = scram_decode_name (gs2_header + 4, strlen (gs2_header + 4) - 1);
  ok = authzid && strcmp (authzid, user) == 0;
  g_free (authzid);
  return ok;
}

static RgBrokerSaslStep
scram_first (RgBrokerSaslSession * s, const gchar * msg, GBytes ** out,
    gchar ** message)
{
  guint8 rnd[SERVER_NONCE_BYTES];
  const gchar *bare;
  gchar *user = NULL, *cnonce = NULL, *snonce, *salt;

  if (!scram_split_first (msg, &s->gs2_header, &bare)
      || !scram_parse_bare (bare, &user, &cnonce)
      || !scram_authzid_ok (s->gs2_header, user)
      || !(s->cred = credentials_find (s->creds, user, s->mech))
      || RAND_bytes (rnd, sizeof (rnd)) != 1) {
    g_free (user);
    g_free (cnonce);
    return session_fail (s, message);
  }
  snonce = g_base64_encode (rnd, sizeof (rnd));
  salt = g_base64_encode (g_bytes_get_data (s->cred->salt, NULL),
      g_bytes_get_size (s->cred->salt));
  s->nonce = g_strconcat (cnonce, snonce, NULL);
  s->cnonce_len = strlen (cnonce);
  s->client_first_bare = g_strdup (bare);
  s->server_first = g_strdup_printf ("r=%s,s=%s,i=%u", s->nonce, salt,
      s->cred->iterations);
  s->user = user;
  s->state = SESSION_SCRAM_FIRST;
  *out = g_bytes_new (s->server_first, strlen (s->server_first));
  g_free (cnonce);
  g_free (snonce);
  g_free (salt);
  return RG_BROKER_SASL_CONTINUE;
}

/* The client-final nonce must be the server-first one. librdkafka (up to
 * 2.3 at least) sends its own nonce in front of it once more, and Kafka
 * accepts that (it checks that the nonce ends with its own), so this does
 * too, but only that exact form. */
static gboolean
scram_nonce_ok (RgBrokerSaslSession * s, const gchar * nonce)
{
  gsize n = strlen (nonce), own = strlen (s->nonce);

  if (n == own)
    return strcmp (nonce, s->nonce) == 0;
  return n == own + s->cnonce_len && g_str_has_suffix (nonce, s->nonce)
      && strncmp (nonce, s->nonce, s->cnonce_len) == 0;
}

/* Checks "c=...,r=...,p=..." against the session; on success fills
 * @signature with the ServerSignature. */
static gboolean
scram_check_final (RgBrokerSaslSession * s, const gchar * msg,
    guint8 * signature)
{
  const EVP_MD *md = mechanism_digest (s->mech);
  gsize md_len = EVP_MD_get_size (md), proof_len = 0, i;
  guint8 client_sig[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
  guint8 stored[EVP_MAX_MD_SIZE];
  const gchar *p = g_strrstr (msg, ",p=");
  gchar *cbind, *expect, *nonce, *auth_message = NULL;
  guchar *proof = NULL;
  guint len;
  gboolean ok = FALSE;

  if (!p)
    return FALSE;
  cbind = g_base64_encode ((const guchar *) s->gs2_header,
      strlen (s->gs2_header));
  expect = g_strdup_printf ("c=%s,r=", cbind);
  if (!g_str_has_prefix (msg, expect) || p < msg + strlen (expect))
    goto out;
  nonce = g_strndup (msg + strlen (expect), p - msg - strlen (expect));
  ok = scram_nonce_ok (s, nonce);
  g_free (nonce);
  if (!ok)
    goto out;
  ok = FALSE;
  proof = g_base64_decode (p + 3, &proof_len);
  if (proof_len != md_len)
    goto out;
  auth_message = g_strdup_printf ("%s,%s,%.*s", s->client_first_bare,
      s->server_first, (int) (p - msg), msg);
  if (!HMAC (md, s->cred->stored_key, md_len, (guint8 *) auth_message,
          strlen (auth_message), client_sig, &len))
    goto out;
  for (i = 0; i < md_len; i++)
    key[i] = proof[i] ^ client_sig[i];
  ok = EVP_Digest (key, md_len, stored, &len, md, NULL) == 1
      && CRYPTO_memcmp (stored, s->cred->stored_key, md_len) == 0
      && HMAC (md, s->cred->server_key, md_len, (guint8 *) auth_message,
      strlen (auth_message), signature, &len) != NULL;
out:
  g_free (cbind);
  g_free (expect);
  g_free (proof);
  g_free (auth_message);
  return ok;
}

static RgBrokerSaslStep
scram_final (RgBrokerSaslSession * s, const gchar * msg, GBytes ** out,
    gchar ** message)
{
  guint8 signature[EVP_MAX_MD_SIZE];
  gsize md_len = EVP_MD_get_size (mechanism_digest (s->mech));
  gchar *b64, *final, *user;
  RgBrokerSaslStep res;

  if (!scram_check_final (s, msg, signature))
    return session_fail (s, message);
  b64 = g_base64_encode (signature, md_len);
  final = g_strconcat ("v=", b64, NULL);
  g_free (b64);
  user = g_strdup (s->user);
  res = session_succeed (s, user, out, g_bytes_new_take (final,
          strlen (final)));
  g_free (user);
  return res;
}

RgBrokerSaslStep
rg_broker_sasl_session_step (RgBrokerSaslSession * s, const guint8 * in,
    gsize in_len, GBytes ** out, gchar ** message)
{
  RgBrokerSaslStep res;
  gchar *msg;

  *out = NULL;
  *message = NULL;
  if ((s->state != SESSION_MECHANISM && s->state != SESSION_SCRAM_FIRST)
      || in_len == 0)
    return session_fail (s, message);
  if (s->mech == RG_BROKER_SASL_PLAIN)
    return plain_step (s, in, in_len, out, message);
  /* SCRAM messages are text: one with a NUL in it is malformed. */
  if (memchr (in, '\0', in_len))
    return session_fail (s, message);
  msg = g_strndup ((const gchar *) in, in_len);
  if (s->state == SESSION_MECHANISM)
    res = scram_first (s, msg, out, message);
  else
    res = scram_final (s, msg, out, message);
  g_free (msg);
  return res;
}
