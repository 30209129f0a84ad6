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
 * The broker's security over real sockets: SASL PLAIN and SCRAM (the
 * client side of SCRAM computed here with OpenSSL, as RFC 5802 says), the
 * gate before authentication, the bare-token flow of SaslHandshake v0,
 * topic ACLs, and TLS with a CA made for the test by the openssl command
 * (server certificate, client certificate, and a second CA that must not
 * be trusted). The file formats (credentials, ACL) are tested directly.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "broker/rgbrokerdispatch.h"
#include "broker/rgbrokersasl.h"
#include "broker/rgbrokertlsrecord.h"
#include "journal/rgjournal.h"
#include "kafkawire.h"

#define SASL_HANDSHAKE 17
#define SASL_AUTHENTICATE 36
#define ERR_TOPIC_AUTHORIZATION_FAILED 29
#define ERR_UNSUPPORTED_SASL_MECHANISM 33
#define ERR_SASL_AUTHENTICATION_FAILED 58

static gchar *tmp_dir;

/* ---- Fixtures ---- */

static gchar *
write_file (const gchar * name, const gchar * text)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);

  fail_unless (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* A credentials file of alice (password "alice-secret") for both SCRAM
 * mechanisms, and bob ("bob-secret") for SCRAM-SHA-512 only. */
static gchar *
write_credentials (void)
{
  GString *text = g_string_new ("# test users\n\n");
  GError *error = NULL;
  gchar *line, *path;

  line = rg_broker_credentials_make_entry ("alice", "alice-secret",
      RG_BROKER_SASL_SCRAM_SHA_256, 0, &error);
  fail_unless (line != NULL, "%s", error ? error->message : "?");
  g_string_append_printf (text, "%s\n", line);
  g_free (line);
  line = rg_broker_credentials_make_entry ("alice", "alice-secret",
      RG_BROKER_SASL_SCRAM_SHA_512, 4096, &error);
  g_string_append_printf (text, "%s\n", line);
  g_free (line);
  line = rg_broker_credentials_make_entry ("bob", "bob-secret",
      RG_BROKER_SASL_SCRAM_SHA_512, 5000, &error);
  g_string_append_printf (text, "  %s  \n", line);
  g_free (line);
  path = write_file ("users", text->str);
  g_string_free (text, TRUE);
  return path;
}

static RgBroker *
start_broker (const RgBrokerConfig * config)
{
  GError *error = NULL;
  RgBroker *broker = rg_broker_acquire ("127.0.0.1", 0, config, &error);

  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

static RgBroker *
start_sasl_broker (const gchar * mechanisms, RgBrokerConfig * config)
{
  gchar *users = write_credentials ();
  RgBroker *broker;

  rg_broker_config_init (config);
  config->sasl_mechanisms = mechanisms;
  config->credentials_file = users;
  broker = start_broker (config);
  g_free (users);
  return broker;
}

/* ---- A client over plain TCP or TLS ---- */

typedef struct
{
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
} Client;

/* FALSE when the TLS connection failed (the broker refused it). */
static gboolean
client_try_send (Client * c, const guint8 * data, gsize len)
{
  if (!c->ssl) {
    kw_send_all (c->fd, data, len);
    return TRUE;
  }
  while (len > 0) {
    int n = SSL_write (c->ssl, data, len);

    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static void
client_send (Client * c, const guint8 * data, gsize len)
{
  fail_unless (client_try_send (c, data, len), "SSL_write failed");
}

/* FALSE when the connection ended first. */
static gboolean
client_recv_all (Client * c, guint8 * data, gsize len)
{
  if (!c->ssl)
    return kw_recv_all (c->fd, data, len);
  while (len > 0) {
    int n = SSL_read (c->ssl, data, len);

    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static GBytes *client_recv_response (Client * c, gint32 cid,
    gboolean flexible);

/* Sends @req (transfer full) and returns the response frame after its
 * correlation id (and after header v1's tag section when @flexible). */
static GBytes *
client_call (Client * c, GByteArray * req, gint32 cid, gboolean flexible)
{
  kw_request_finish (req);
  client_send (c, req->data, req->len);
  g_byte_array_unref (req);
  return client_recv_response (c, cid, flexible);
}

/* Reads one response frame: its body after the correlation id (and the
 * tagged fields' byte when @flexible). */
static GBytes *
client_recv_response (Client * c, gint32 cid, gboolean flexible)
{
  guint8 prefix[4];
  guint8 *body;
  gsize size;
  GBytes *all, *rest;

  fail_unless (client_recv_all (c, prefix, 4), "no response");
  size = GST_READ_UINT32_BE (prefix);
  fail_unless (size >= 4 && size < 64 * 1024 * 1024);
  body = g_malloc (size);
  fail_unless (client_recv_all (c, body, size), "response cut short");
  fail_unless_equals_int (GST_READ_UINT32_BE (body), cid);
  all = g_bytes_new_take (body, size);
  rest = g_bytes_new_from_bytes (all, 4 + (flexible ? 1 : 0),
      size - 4 - (flexible ? 1 : 0));
  g_bytes_unref (all);
  return rest;
}

static void
client_close (Client * c)
{
  if (c->ssl)
    SSL_free (c->ssl);
  if (c->ctx)
    SSL_CTX_free (c->ctx);
  close (c->fd);
}

static Client
client_connect (RgBroker * broker)
{
  Client c = { 0, };

  c.fd = kw_connect (rg_broker_get_port (broker), 10);
  return c;
}

/* ---- Requests ---- */

static GByteArray *
handshake_request (gint16 version, gint32 cid, const gchar * mechanism)
{
  GByteArray *b = kw_request_new (SASL_HANDSHAKE, version, cid);

  kw_putstr (b, mechanism);
  return b;
}

static GByteArray *
authenticate_request (gint16 version, gint32 cid, const void *token,
    gsize len)
{
  GByteArray *b = kw_request_new (SASL_AUTHENTICATE, version, cid);

  if (version >= 2) {
    guint8 zero = 0;
    gsize n = len + 1;

    /* Header v2's tag section, then COMPACT_BYTES (uvarint N + 1). */
    g_byte_array_append (b, &zero, 1);
    while (n >= 0x80) {
      guint8 byte = (n & 0x7f) | 0x80;
      g_byte_array_append (b, &byte, 1);
      n >>= 7;
    }
    {
      guint8 byte = n;
      g_byte_array_append (b, &byte, 1);
    }
    g_byte_array_append (b, token, len);
    g_byte_array_append (b, &zero, 1);
  } else {
    kw_put32 (b, len);
    g_byte_array_append (b, token, len);
  }
  return b;
}

/* SaslHandshake: returns the error code, and the mechanisms listed,
 * comma-separated, in @mechanisms (transfer full). */
static gint
do_handshake (Client * c, gint16 version, const gchar * mechanism,
    gchar ** mechanisms)
{
  GBytes *resp = client_call (c, handshake_request (version, 5, mechanism),
      5, FALSE);
  GString *list = g_string_new (NULL);
  KwReader r;
  gsize size;
  gint error, n, i;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  error = kw_get (&r, 2);
  n = kw_get (&r, 4);
  for (i = 0; i < n; i++) {
    gint len = kw_get (&r, 2);

    g_string_append_printf (list, "%s%.*s", i ? "," : "", len, r.p);
    r.p += len;
  }
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  if (mechanisms)
    *mechanisms = g_string_free (list, FALSE);
  else
    g_string_free (list, TRUE);
  return error;
}

typedef struct
{
  gint error;
  gchar *message;
  GBytes *token;
} AuthResult;

static void
auth_result_clear (AuthResult * a)
{
  g_free (a->message);
  if (a->token)
    g_bytes_unref (a->token);
}

static guint
get_uvarint (KwReader * r)
{
  guint v = 0, shift = 0;
  guint8 byte;

  do {
    byte = kw_get (r, 1);
    v |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return v;
}

/* SaslAuthenticate v0-2 with @token. */
static AuthResult
do_authenticate (Client * c, gint16 version, const void *token, gsize len)
{
  GBytes *resp = client_call (c, authenticate_request (version, 6, token,
          len), 6, version >= 2);
  AuthResult a = { 0, };
  KwReader r;
  gsize size;
  gint n;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  a.error = kw_get (&r, 2);
  n = version >= 2 ? (gint) get_uvarint (&r) - 1 : (gint16) kw_get (&r, 2);
  if (n >= 0) {
    a.message = g_strndup ((const gchar *) r.p, n);
    r.p += n;
  }
  n = version >= 2 ? (gint) get_uvarint (&r) - 1 : (gint32) kw_get (&r, 4);
  fail_unless (n >= 0);
  a.token = g_bytes_new (r.p, n);
  r.p += n;
  if (version >= 1)
    fail_unless_equals_int64 (kw_get (&r, 8), 0);
  if (version >= 2)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  return a;
}

static GBytes *
plain_token (const gchar * user, const gchar * password)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) "\0", 1);
  g_byte_array_append (b, (const guint8 *) user, strlen (user));
  g_byte_array_append (b, (const guint8 *) "\0", 1);
  g_byte_array_append (b, (const guint8 *) password, strlen (password));
  return g_byte_array_free_to_bytes (b);
}

/* Metadata v1 for every topic: TRUE when it was answered. Returns the
 * topic names listed, comma-separated, in @topics when not NULL. */
static gboolean
metadata_answered (Client * c, gchar ** topics)
{
  GByteArray *req = kw_request_new (3, 1, 9);
  guint8 prefix[4];
  gsize size;
  guint8 *body;
  KwReader r;
  gint n, i;
  GString *list = g_string_new (NULL);

  kw_put32 (req, -1);
  kw_request_finish (req);
  if (!client_try_send (c, req->data, req->len)
      || !client_recv_all (c, prefix, 4)) {
    g_byte_array_unref (req);
    g_string_free (list, TRUE);
    return FALSE;
  }
  g_byte_array_unref (req);
  size = GST_READ_UINT32_BE (prefix);
  body = g_malloc (size);
  fail_unless (client_recv_all (c, body, size));
  r.p = body + 4;
  r.end = body + size;
  n = kw_get (&r, 4);           /* brokers */
  for (i = 0; i < n; i++) {
    kw_get (&r, 4);
    kw_skip_str (&r);
    kw_get (&r, 4);
    kw_skip_str (&r);
  }
  kw_get (&r, 4);               /* controller */
  n = kw_get (&r, 4);
  for (i = 0; i < n; i++) {
    gint len, np, j;

    kw_get (&r, 2);
    len = kw_get (&r, 2);
    g_string_append_printf (list, "%s%.*s", i ? "," : "", len, r.p);
    r.p += len;
    kw_get (&r, 1);
    np = kw_get (&r, 4);
    for (j = 0; j < np; j++) {
      kw_get (&r, 2 + 4 + 4);
      r.p += 4 * kw_get (&r, 4);
      r.p += 4 * kw_get (&r, 4);
    }
  }
  g_free (body);
  if (topics)
    *topics = g_string_free (list, FALSE);
  else
    g_string_free (list, TRUE);
  return TRUE;
}

/* ---- SCRAM, the client's side (RFC 5802) ---- */

typedef struct
{
  const EVP_MD *md;
  const gchar *user;
  const gchar *password;
  gchar *client_first_bare;
  gchar *expected_server_signature;
  /* What goes before the server's nonce in client-final: "" as RFC 5802
   * says, or the client nonce again as librdkafka sends it. */
  const gchar *nonce_prefix;
} Scram;

static gchar *
scram_first (Scram * s)
{
  s->client_first_bare = g_strdup_printf ("n=%s,r=fyko+d2lbbFgONRv9qkxdawL",
      s->user);
  return g_strconcat ("n,,", s->client_first_bare, NULL);
}

/* The client-final message for @server_first; with @corrupt, a proof
 * with one bit flipped. */
static gchar *
scram_final (Scram * s, const gchar * server_first, gboolean corrupt)
{
  gchar **f = g_strsplit (server_first, ",", 3);
  guint md_len = EVP_MD_get_size (s->md), len;
  guint8 salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
  guint8 stored[EVP_MAX_MD_SIZE], csig[EVP_MAX_MD_SIZE];
  guint8 skey[EVP_MAX_MD_SIZE], ssig[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE];
  guchar *salt;
  gsize salt_len;
  gchar *without_proof, *auth, *p64, *final;
  guint i;

  fail_unless (g_str_has_prefix (f[0], "r=fyko+d2lbbFgONRv9qkxdawL"));
  fail_unless (strlen (f[0]) > strlen ("r=fyko+d2lbbFgONRv9qkxdawL"));
  fail_unless (g_str_has_prefix (f[1], "s=") && g_str_has_prefix (f[2],
          "i="));
  salt = g_base64_decode (f[1] + 2, &salt_len);
  fail_unless (PKCS5_PBKDF2_HMAC (s->password, strlen (s->password), salt,
          salt_len, atoi (f[2] + 2), s->md, md_len, salted) == 1);
  HMAC (s->md, salted, md_len, (const guint8 *) "Client Key", 10, ckey,
      &len);
  EVP_Digest (ckey, md_len, stored, &len, s->md, NULL);
  without_proof = g_strdup_printf ("c=biws,r=%s%s", s->nonce_prefix ?
      s->nonce_prefix : "", f[0] + 2);
  auth = g_strdup_printf ("%s,%s,%s", s->client_first_bare, server_first,
      without_proof);
  HMAC (s->md, stored, md_len, (guint8 *) auth, strlen (auth), csig, &len);
  for (i = 0; i < md_len; i++)
    proof[i] = ckey[i] ^ csig[i];
  if (corrupt)
    proof[0] ^= 1;
  HMAC (s->md, salted, md_len, (const guint8 *) "Server Key", 10, skey,
      &len);
  HMAC (s->md, skey, md_len, (guint8 *) auth, strlen (auth), ssig, &len);
  s->expected_server_signature = g_base64_encode (ssig, md_len);
  p64 = g_base64_encode (proof, md_len);
  final = g_strdup_printf ("%s,p=%s", without_proof, p64);
  g_free (p64);
  g_free (auth);
  g_free (without_proof);
  g_free (salt);
  g_strfreev (f);
  return final;
}

static void
scram_clear (Scram * s)
{
  g_free (s->client_first_bare);
  g_free (s->expected_server_signature);
}

/* A whole SCRAM exchange over SaslAuthenticate @version; TRUE when the
 * broker accepted it (and its signature was checked). */
static gboolean
scram_exchange_full (Client * c, const gchar * mechanism, const EVP_MD * md,
    const gchar * user, const gchar * password, gboolean corrupt,
    gint16 version, const gchar * nonce_prefix)
{
  Scram s = { md, user, password, NULL, NULL, nonce_prefix };
  gchar *client_first = scram_first (&s), *final, *server_first, *expect;
  AuthResult a;
  gboolean ok;

  fail_unless_equals_int (do_handshake (c, 1, mechanism, NULL), 0);
  a = do_authenticate (c, version, client_first, strlen (client_first));
  fail_unless_equals_int (a.error, 0);
  server_first = g_strndup (g_bytes_get_data (a.token, NULL),
      g_bytes_get_size (a.token));
  auth_result_clear (&a);
  final = scram_final (&s, server_first, corrupt);
  a = do_authenticate (c, version, final, strlen (final));
  ok = a.error == 0;
  if (ok) {
    expect = g_strconcat ("v=", s.expected_server_signature, NULL);
    fail_unless_equals_int (g_bytes_get_size (a.token), strlen (expect));
    fail_unless (memcmp (g_bytes_get_data (a.token, NULL), expect,
            strlen (expect)) == 0);
    g_free (expect);
  } else {
    fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
    fail_unless (strstr (a.message, mechanism) != NULL, "%s", a.message);
    fail_unless (g_bytes_get_size (a.token) == 0);
  }
  auth_result_clear (&a);
  g_free (client_first);
  g_free (final);
  g_free (server_first);
  scram_clear (&s);
  return ok;
}

static gboolean
scram_exchange (Client * c, const gchar * mechanism, const EVP_MD * md,
    const gchar * user, const gchar * password, gboolean corrupt,
    gint16 version)
{
  return scram_exchange_full (c, mechanism, md, user, password, corrupt,
      version, NULL);
}

/* ---- File formats ---- */

GST_START_TEST (test_credentials_file)
{
  gchar *path = write_credentials (), *text;
  RgBrokerCredentials *creds;
  GError *error = NULL;
  gchar *line;

  creds = rg_broker_credentials_load (path, &error);
  fail_unless (creds != NULL, "%s", error ? error->message : "?");
  fail_unless_equals_int (rg_broker_credentials_count (creds), 3);
  rg_broker_credentials_free (creds);

  /* The password itself is in no line. */
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless (strstr (text, "secret") == NULL);
  g_free (text);

  /* Each malformed line is refused with its line number. */
  line = rg_broker_credentials_make_entry ("carol", "x",
      RG_BROKER_SASL_SCRAM_SHA_256, 0, NULL);
  text = g_strdup_printf ("\n%s 1000 extra\n", line);
  creds = rg_broker_credentials_parse (text, "f", &error);
  fail_unless (creds == NULL);
  fail_unless (g_error_matches (error, RG_BROKER_ERROR,
          RG_BROKER_ERROR_SECURITY));
  fail_unless (g_str_has_prefix (error->message, "f:2:"), "%s",
      error->message);
  g_clear_error (&error);
  g_free (text);
  /* Too few iterations, a key of the wrong digest size, PLAIN. */
  creds = rg_broker_credentials_parse ("u SCRAM-SHA-256 1000 c2FsdA== "
      "AAAA AAAA\n", "f", &error);
  fail_unless (creds == NULL);
  g_clear_error (&error);
  creds = rg_broker_credentials_parse ("u SCRAM-SHA-512 4096 c2FsdA== "
      "AAAA AAAA\n", "f", &error);
  fail_unless (creds == NULL);
  g_clear_error (&error);
  creds = rg_broker_credentials_parse ("u PLAIN 4096 a b c\n", "f", &error);
  fail_unless (creds == NULL);
  g_clear_error (&error);
  /* A user name with a blank cannot be written. */
  fail_unless (rg_broker_credentials_make_entry ("a b", "x",
          RG_BROKER_SASL_SCRAM_SHA_256, 0, NULL) == NULL);
  g_free (line);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_acl_file)
{
  const gchar *text = "# rules\n"
      "alice read,write sensors\n"
      "alice read cam.*\n"
      "bob all ingest.*\n"
      "* read public\n"
      "ops read __consumer_offsets\n" "root all *\n";
  GError *error = NULL;
  RgBrokerAcl *acl = rg_broker_acl_parse (text, "acl", &error);

  fail_unless (acl != NULL, "%s", error ? error->message : "?");
#define ALLOWS(p, t, ops) rg_broker_acl_allows (acl, p, t, strlen (t), ops)
  fail_unless (ALLOWS ("alice", "sensors", RG_BROKER_ACL_WRITE));
  fail_unless (ALLOWS ("alice", "cam.front", RG_BROKER_ACL_READ));
  fail_if (ALLOWS ("alice", "cam.front", RG_BROKER_ACL_WRITE));
  fail_if (ALLOWS ("alice", "sensors2", RG_BROKER_ACL_READ));
  fail_if (ALLOWS ("alice", "sensors", RG_BROKER_ACL_CREATE));
  fail_unless (ALLOWS ("bob", "ingest.x", RG_BROKER_ACL_CREATE |
          RG_BROKER_ACL_WRITE | RG_BROKER_ACL_READ));
  fail_if (ALLOWS ("bob", "cam.front", RG_BROKER_ACL_READ));
  fail_unless (ALLOWS ("bob", "public", RG_BROKER_ACL_READ));
  fail_unless (ALLOWS (RG_BROKER_ANONYMOUS, "public", RG_BROKER_ACL_READ));
  fail_if (ALLOWS (RG_BROKER_ANONYMOUS, "public", RG_BROKER_ACL_WRITE));
  /* Committed offsets: only a rule naming the topic, not '*'. */
  fail_unless (ALLOWS ("root", "anything", RG_BROKER_ACL_WRITE));
  fail_if (ALLOWS ("root", "__consumer_offsets", RG_BROKER_ACL_READ));
  fail_unless (ALLOWS ("ops", "__consumer_offsets", RG_BROKER_ACL_READ));
  fail_unless (rg_broker_acl_describes (acl, "alice", "cam.x", 5));
  fail_if (rg_broker_acl_describes (acl, "alice", "cam", 3));
#undef ALLOWS
  rg_broker_acl_free (acl);

  fail_unless (rg_broker_acl_parse ("alice read\n", "acl", &error) == NULL);
  fail_unless (g_str_has_prefix (error->message, "acl:1:"));
  g_clear_error (&error);
  fail_unless (rg_broker_acl_parse ("a frobnicate t\n", "acl", &error) == NULL);
  g_clear_error (&error);
  fail_unless (rg_broker_acl_parse ("a read t*x*\n", "acl", &error) == NULL);
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_bad_settings_refused)
{
  RgBrokerConfig config;
  GError *error = NULL;
  gchar *bad;

  rg_broker_config_init (&config);
  config.sasl_mechanisms = "PLAIN";
  fail_unless (rg_broker_acquire ("127.0.0.1", 0, &config, &error) == NULL);
  fail_unless (g_error_matches (error, RG_BROKER_ERROR,
          RG_BROKER_ERROR_SECURITY));
  g_clear_error (&error);
  config.sasl_mechanisms = "PLAIN,GSSAPI";
  config.credentials_file = "/nonexistent";
  fail_unless (rg_broker_acquire ("127.0.0.1", 0, &config, &error) == NULL);
  fail_unless (strstr (error->message, "GSSAPI") != NULL);
  g_clear_error (&error);
  rg_broker_config_init (&config);
  bad = write_file ("bad-acl", "x y\n");
  config.acl_file = bad;
  fail_unless (rg_broker_acquire ("127.0.0.1", 0, &config, &error) == NULL);
  fail_unless (strstr (error->message, "bad-acl:1:") != NULL);
  g_clear_error (&error);
  rg_broker_config_init (&config);
  config.tls_certificate = bad;
  fail_unless (rg_broker_acquire ("127.0.0.1", 0, &config, &error) == NULL);
  g_clear_error (&error);
  g_free (bad);
}

GST_END_TEST;

/* ---- SASL over sockets ---- */

GST_START_TEST (test_plain)
{
  RgBrokerConfig config;
  RgBroker *broker = start_sasl_broker ("PLAIN,SCRAM-SHA-256", &config);
  Client c = client_connect (broker);
  GBytes *token;
  AuthResult a;
  gchar *mechs;

  /* ApiVersions is served before authentication. */
  {
    GBytes *resp = client_call (&c, kw_request_new (18, 0, 3), 3, FALSE);
    g_bytes_unref (resp);
  }
  fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", &mechs), 0);
  fail_unless_equals_string (mechs, "PLAIN,SCRAM-SHA-256");
  g_free (mechs);
  token = plain_token ("alice", "alice-secret");
  a = do_authenticate (&c, 1, g_bytes_get_data (token, NULL),
      g_bytes_get_size (token));
  fail_unless_equals_int (a.error, 0);
  fail_unless (a.message == NULL);
  fail_unless_equals_int (g_bytes_get_size (a.token), 0);
  auth_result_clear (&a);
  g_bytes_unref (token);
  fail_unless (metadata_answered (&c, NULL));
  client_close (&c);

  /* A wrong password: error 58 with the reason, then closed. */
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", NULL), 0);
  token = plain_token ("alice", "wrong");
  a = do_authenticate (&c, 2, g_bytes_get_data (token, NULL),
      g_bytes_get_size (token));
  fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
  fail_unless (strstr (a.message, "invalid credentials") != NULL, "%s",
      a.message);
  auth_result_clear (&a);
  g_bytes_unref (token);
  fail_if (metadata_answered (&c, NULL));
  client_close (&c);

  /* An unknown user fails the same way. */
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", NULL), 0);
  token = plain_token ("mallory", "alice-secret");
  a = do_authenticate (&c, 0, g_bytes_get_data (token, NULL),
      g_bytes_get_size (token));
  fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
  auth_result_clear (&a);
  g_bytes_unref (token);
  client_close (&c);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_gate)
{
  RgBrokerConfig config;
  RgBroker *broker = start_sasl_broker ("SCRAM-SHA-512", &config);
  Client c = client_connect (broker);
  gchar *mechs;
  RgBrokerStats st;

  /* Metadata before authenticating closes the connection. */
  fail_if (metadata_answered (&c, NULL));
  client_close (&c);

  /* So does one after a handshake, before the exchange ends. */
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "SCRAM-SHA-512", NULL), 0);
  fail_if (metadata_answered (&c, NULL));
  client_close (&c);

  /* A mechanism not enabled: 33 and the enabled ones; PLAIN is off. */
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", &mechs),
      ERR_UNSUPPORTED_SASL_MECHANISM);
  fail_unless_equals_string (mechs, "SCRAM-SHA-512");
  g_free (mechs);
  /* SaslAuthenticate without a handshake: ILLEGAL_SASL_STATE (34). */
  {
    AuthResult a = do_authenticate (&c, 1, "n,,n=bob,r=x", 12);
    fail_unless_equals_int (a.error, 34);
    auth_result_clear (&a);
  }
  fail_unless (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (), "bob",
          "bob-secret", FALSE, 1));
  fail_unless (metadata_answered (&c, NULL));
  client_close (&c);

  rg_broker_get_stats (broker, &st);
  fail_unless_equals_int (st.connections_total, 3);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_scram)
{
  RgBrokerConfig config;
  RgBroker *broker = start_sasl_broker ("SCRAM-SHA-256,SCRAM-SHA-512",
      &config);
  Client c;
  gint16 version;

  for (version = 0; version <= 2; version++) {
    c = client_connect (broker);
    fail_unless (scram_exchange (&c, "SCRAM-SHA-256", EVP_sha256 (),
            "alice", "alice-secret", FALSE, version));
    fail_unless (metadata_answered (&c, NULL));
    client_close (&c);
  }
  c = client_connect (broker);
  fail_unless (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (), "alice",
          "alice-secret", FALSE, 2));
  client_close (&c);

  /* librdkafka's client-final repeats its nonce before the server's, which
   * Kafka accepts; any other prefix is refused. */
  c = client_connect (broker);
  fail_unless (scram_exchange_full (&c, "SCRAM-SHA-256", EVP_sha256 (),
          "alice", "alice-secret", FALSE, 1, "fyko+d2lbbFgONRv9qkxdawL"));
  client_close (&c);
  c = client_connect (broker);
  fail_if (scram_exchange_full (&c, "SCRAM-SHA-256", EVP_sha256 (),
          "alice", "alice-secret", FALSE, 1, "fyko+d2lbbFgONRv9qkxdawX"));
  client_close (&c);

  /* A bad proof, a wrong password, a user without that mechanism. */
  c = client_connect (broker);
  fail_if (scram_exchange (&c, "SCRAM-SHA-256", EVP_sha256 (), "alice",
          "alice-secret", TRUE, 1));
  fail_if (metadata_answered (&c, NULL));
  client_close (&c);
  c = client_connect (broker);
  fail_if (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (), "alice",
          "alice-secreT", FALSE, 1));
  client_close (&c);
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "SCRAM-SHA-256", NULL), 0);
  {
    AuthResult a = do_authenticate (&c, 1, "n,,n=bob,r=abc", 14);
    fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
    auth_result_clear (&a);
  }
  client_close (&c);
  /* Channel binding is refused. */
  c = client_connect (broker);
  fail_unless_equals_int (do_handshake (&c, 1, "SCRAM-SHA-256", NULL), 0);
  {
    AuthResult a = do_authenticate (&c, 1, "p=tls-unique,,n=alice,r=abc",
        27);
    fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
    auth_result_clear (&a);
  }
  client_close (&c);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Bare token frames: int32 size then the token, both ways. */
static gchar *
bare_call (Client * c, const gchar * token)
{
  guint8 prefix[4];
  gsize size;
  gchar *reply;

  GST_WRITE_UINT32_BE (prefix, strlen (token));
  client_send (c, prefix, 4);
  client_send (c, (const guint8 *) token, strlen (token));
  if (!client_recv_all (c, prefix, 4))
    return NULL;
  size = GST_READ_UINT32_BE (prefix);
  reply = g_malloc0 (size + 1);
  fail_unless (client_recv_all (c, (guint8 *) reply, size));
  return reply;
}

GST_START_TEST (test_scram_bare_tokens)
{
  RgBrokerConfig config;
  RgBroker *broker = start_sasl_broker ("SCRAM-SHA-256", &config);
  Client c = client_connect (broker);
  Scram s = { EVP_sha256 (), "alice", "alice-secret", NULL, NULL, NULL };
  gchar *client_first = scram_first (&s), *server_first, *final;
  gchar *server_final;
  gchar *expect;

  fail_unless_equals_int (do_handshake (&c, 0, "SCRAM-SHA-256", NULL), 0);
  server_first = bare_call (&c, client_first);
  fail_unless (server_first != NULL);
  final = scram_final (&s, server_first, FALSE);
  server_final = bare_call (&c, final);
  expect = g_strconcat ("v=", s.expected_server_signature, NULL);
  fail_unless_equals_string (server_final, expect);
  fail_unless (metadata_answered (&c, NULL));
  client_close (&c);
  g_free (client_first);
  g_free (server_first);
  g_free (final);
  g_free (server_final);
  g_free (expect);
  scram_clear (&s);

  /* A bad proof closes the connection: the flow has no error frame. */
  c = client_connect (broker);
  s.client_first_bare = NULL;
  s.expected_server_signature = NULL;
  client_first = scram_first (&s);
  fail_unless_equals_int (do_handshake (&c, 0, "SCRAM-SHA-256", NULL), 0);
  server_first = bare_call (&c, client_first);
  final = scram_final (&s, server_first, TRUE);
  fail_unless (bare_call (&c, final) == NULL);
  client_close (&c);
  g_free (client_first);
  g_free (server_first);
  g_free (final);
  scram_clear (&s);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Garbage tokens at every step of every mechanism get error 58 (never a
 * crash, never a login), and a truncated SaslHandshake closes the
 * connection. */
GST_START_TEST (test_sasl_garbage)
{
  RgBrokerConfig config;
  RgBroker *broker = start_sasl_broker ("PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      &config);
  const gchar *mechs[] = { "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512" };
  const gchar *prefixes[] = { "", "n,,", "n,,n=alice,r=", "y,a=bob,n=alice,r=x",
    "n,,n=al=2Cice,r=", "c=biws,r=", "\0alice\0", "n,,n=alice,r=abc,e=1"
  };
  GRand *rand = g_rand_new_with_seed (42);
  RgBrokerStats st;
  Client c;
  guint round;

  for (round = 0; round < 60; round++) {
    GByteArray *token = g_byte_array_new ();
    const gchar *prefix = prefixes[round % G_N_ELEMENTS (prefixes)];
    guint n = g_rand_int_range (rand, 0, 300), i;
    AuthResult a;

    g_byte_array_append (token, (const guint8 *) prefix, strlen (prefix));
    for (i = 0; i < n; i++) {
      guint8 byte = g_rand_int_range (rand, 0, 256);
      g_byte_array_append (token, &byte, 1);
    }
    c = client_connect (broker);
    fail_unless_equals_int (do_handshake (&c, 1, mechs[round % 3], NULL), 0);
    a = do_authenticate (&c, round % 3, token->data, token->len);
    if (a.error == 0 && round % 3 != 0) {
      /* A SCRAM first message may pass; its final one cannot. */
      auth_result_clear (&a);
      a = do_authenticate (&c, 1, token->data, token->len);
    }
    fail_unless_equals_int (a.error, ERR_SASL_AUTHENTICATION_FAILED);
    auth_result_clear (&a);
    fail_if (metadata_answered (&c, NULL));
    client_close (&c);
    g_byte_array_unref (token);
  }

  /* A SaslHandshake whose string runs past the frame. */
  c = client_connect (broker);
  {
    GByteArray *b = kw_request_new (SASL_HANDSHAKE, 1, 3);
    guint8 byte;

    kw_put16 (b, 40);
    g_byte_array_append (b, (const guint8 *) "PLAIN", 5);
    kw_request_finish (b);
    client_send (&c, b->data, b->len);
    g_byte_array_unref (b);
    fail_unless (recv (c.fd, &byte, 1, 0) <= 0);
  }
  client_close (&c);
  rg_broker_get_stats (broker, &st);
  fail_unless_equals_int (st.connections_total, 61);
  g_rand_free (rand);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- ACLs over sockets ---- */

/* Produce v3 of one small batch into @topic: the partition's error. */
static gint
produce_error (Client * c, const gchar * topic)
{
  GByteArray *req = kw_request_new (0, 3, 11);
  GBytes *resp;
  KwReader r;
  gsize size;
  gint error;

  kw_put16 (req, -1);           /* transactional id */
  kw_put16 (req, -1);           /* acks */
  kw_put32 (req, 5000);
  kw_put32 (req, 1);
  kw_putstr (req, topic);
  kw_put32 (req, 1);
  kw_put32 (req, 0);
  kw_put32 (req, 0);            /* no records: refused before storing */
  resp = client_call (c, req, 11, FALSE);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  error = kw_get (&r, 2);
  g_bytes_unref (resp);
  return error;
}

/* Fetch v4 of @topic at offset 0: the partition's error and high
 * watermark. */
static gint
fetch_error (Client * c, const gchar * topic, gint64 * high_watermark)
{
  GByteArray *b = kw_request_new (1, 4, 12);
  GBytes *resp;
  KwReader r;
  gsize size;
  gint error;

  kw_put32 (b, -1);
  kw_put32 (b, 0);
  kw_put32 (b, 0);
  kw_put32 (b, 1024 * 1024);
  g_byte_array_append (b, (const guint8 *) "\0", 1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, 0);
  kw_put32 (b, 1024 * 1024);
  resp = client_call (c, b, 12, FALSE);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);               /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  error = kw_get (&r, 2);
  *high_watermark = kw_get (&r, 8);
  g_bytes_unref (resp);
  return error;
}

/* CreatePartitions v0 of @topic to @count: its error. */
static gint
create_partitions_error (Client * c, const gchar * topic, gint32 count)
{
  GByteArray *b = kw_request_new (37, 0, 13);
  GBytes *resp;
  KwReader r;
  gsize size;
  gint error;

  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, count);
  kw_put32 (b, -1);             /* no assignments */
  kw_put32 (b, 5000);
  g_byte_array_append (b, (const guint8 *) "\0", 1);
  resp = client_call (c, b, 13, FALSE);
  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);               /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  error = kw_get (&r, 2);
  g_bytes_unref (resp);
  return error;
}

static void
append_records (RgBrokerTopic * topic, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

    gst_buffer_memset (buf, 0, 'a' + i, 100);
    fail_unless (rg_broker_topic_append (topic, buf, -1, NULL, NULL, NULL));
    gst_buffer_unref (buf);
  }
}

GST_START_TEST (test_acl_enforced)
{
  RgBrokerConfig config;
  gchar *acl = write_file ("acl", "alice read camera\n"
      "alice write,create ingest.*\n" "alice read,write,create mixed\n"
      "bob read *\n");
  RgBroker *broker;
  RgBrokerTopic *camera, *secret;
  Client c;
  gchar *topics;
  gint64 hw;

  broker = start_sasl_broker ("PLAIN", &config);
  rg_broker_release (broker);
  config.acl_file = acl;
  config.ingest_batches = 16;
  config.credentials_file = write_credentials ();
  broker = start_broker (&config);
  camera = rg_broker_add_topic (broker, "camera", 8, NULL);
  secret = rg_broker_add_topic (broker, "secret", 8, NULL);
  append_records (camera, 3);
  append_records (secret, 2);

  c = client_connect (broker);
  {
    GBytes *t = plain_token ("alice", "alice-secret");
    AuthResult a;

    fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", NULL), 0);
    a = do_authenticate (&c, 1, g_bytes_get_data (t, NULL),
        g_bytes_get_size (t));
    fail_unless_equals_int (a.error, 0);
    auth_result_clear (&a);
    g_bytes_unref (t);
  }
  /* Metadata lists only what alice may read or write. */
  fail_unless (metadata_answered (&c, &topics));
  fail_unless_equals_string (topics, "camera");
  g_free (topics);
  /* Reads of camera work; secret is not hers. */
  fail_unless_equals_int (fetch_error (&c, "camera", &hw), 0);
  fail_unless_equals_int64 (hw, 3);
  fail_unless_equals_int (fetch_error (&c, "secret", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int64 (hw, -1);
  /* Writes: camera is a pipeline's (never writable), secret not hers;
   * ingest.* she may create and write (an empty record set is then
   * CORRUPT_MESSAGE, 2: it got past the ACL). */
  fail_unless_equals_int (produce_error (&c, "camera"),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (produce_error (&c, "secret"),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (produce_error (&c, "ingest.a"), 2);
  fail_unless_equals_int (produce_error (&c, "other"),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  /* CreatePartitions needs create: granted on ingest.a; secret is refused
   * for the grant before the broker's own rule (a pipeline's topic keeps
   * one partition) is looked at. */
  fail_unless_equals_int (create_partitions_error (&c, "ingest.a", 2), 0);
  fail_unless_equals_int (create_partitions_error (&c, "secret", 2),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  client_close (&c);

  rg_broker_remove_topic (broker, camera);
  rg_broker_remove_topic (broker, secret);
  rg_broker_release (broker);
  g_free ((gchar *) config.credentials_file);
  g_free (acl);
}

GST_END_TEST;

/* Without SASL the ACL applies to ANONYMOUS; without an ACL everything
 * the broker serves is allowed, as before. */
GST_START_TEST (test_acl_anonymous)
{
  RgBrokerConfig config;
  gchar *acl = write_file ("acl-anon", "ANONYMOUS read public\n");
  RgBroker *broker;
  RgBrokerTopic *pub, *priv;
  Client c;
  gchar *topics;
  gint64 hw;

  rg_broker_config_init (&config);
  config.acl_file = acl;
  broker = start_broker (&config);
  pub = rg_broker_add_topic (broker, "public", 8, NULL);
  priv = rg_broker_add_topic (broker, "private", 8, NULL);
  c = client_connect (broker);
  fail_unless (metadata_answered (&c, &topics));
  fail_unless_equals_string (topics, "public");
  g_free (topics);
  fail_unless_equals_int (fetch_error (&c, "public", &hw), 0);
  fail_unless_equals_int (fetch_error (&c, "private", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  client_close (&c);
  rg_broker_remove_topic (broker, pub);
  rg_broker_remove_topic (broker, priv);
  rg_broker_release (broker);

  rg_broker_config_init (&config);
  broker = start_broker (&config);
  priv = rg_broker_add_topic (broker, "private", 8, NULL);
  c = client_connect (broker);
  fail_unless_equals_int (fetch_error (&c, "private", &hw), 0);
  client_close (&c);
  rg_broker_remove_topic (broker, priv);
  rg_broker_release (broker);
  g_free (acl);
}

GST_END_TEST;

/* ---- The ACL apis over sockets ---- */

#define ERR_CLUSTER_AUTHORIZATION_FAILED 31
#define ERR_INVALID_REQUEST 42
#define ERR_SECURITY_DISABLED 54
#define RES_TOPIC 2
#define PAT_ANY 1
#define PAT_LITERAL 3
#define PAT_PREFIXED 4
#define OP_ANY 1
#define OP_READ 3
#define OP_WRITE 4
#define OP_CREATE 5
#define PERM_ANY 1
#define PERM_DENY 2
#define PERM_ALLOW 3

static void
acl_put8 (GByteArray * b, gint8 v)
{
  g_byte_array_append (b, (const guint8 *) &v, 1);
}

/* A (nullable) string; COMPACT_STRING (uvarint length + 1) when
 * @flexible (the test's strings are shorter than 127 bytes). */
static void
acl_put_s (GByteArray * b, const gchar * s, gboolean flexible)
{
  if (!flexible) {
    kw_putstr (b, s);
    return;
  }
  acl_put8 (b, s ? strlen (s) + 1 : 0);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

/* A request of an ACL api with one binding or filter (an array of one
 * unless DescribeAcls). */
static GByteArray *
acl_request (gint16 key, gint16 v, gint8 type, const gchar * name,
    gint8 pattern, const gchar * principal, const gchar * host, gint8 op,
    gint8 permission)
{
  GByteArray *b = kw_request_new (key, v, 30 + key);
  gboolean flexible = v >= 2;

  if (flexible)
    acl_put8 (b, 0);
  if (key != 29) {
    if (flexible)
      acl_put8 (b, 2);
    else
      kw_put32 (b, 1);
  }
  acl_put8 (b, type);
  acl_put_s (b, name, flexible);
  if (v >= 1)
    acl_put8 (b, pattern);
  acl_put_s (b, principal, flexible);
  acl_put_s (b, host, flexible);
  acl_put8 (b, op);
  acl_put8 (b, permission);
  if (flexible)
    acl_put8 (b, 0);
  if (flexible && key != 29)
    acl_put8 (b, 0);
  return b;
}

static gint
acl_get_count (KwReader * r, gboolean flexible)
{
  return flexible ? (gint) get_uvarint (r) - 1 : kw_get (r, 4);
}

/* A string (transfer full), NULL for null. */
static gchar *
acl_get_s (KwReader * r, gboolean flexible)
{
  gint len = flexible ? (gint) get_uvarint (r) - 1 : kw_get (r, 2);
  gchar *s;

  if (len < 0)
    return NULL;
  fail_unless (r->p + len <= r->end);
  s = g_strndup ((const gchar *) r->p, len);
  r->p += len;
  return s;
}

static void
acl_skip_tags (KwReader * r, gboolean flexible)
{
  if (flexible)
    fail_unless_equals_int (get_uvarint (r), 0);
}

/* CreateAcls v@v of one binding: its result's error. */
static gint
create_acl (Client * c, gint16 v, const gchar * name, gint8 pattern,
    const gchar * principal, gint8 op, gint8 permission)
{
  gboolean flexible = v >= 2;
  GBytes *resp = client_call (c, acl_request (30, v, RES_TOPIC, name,
          pattern, principal, "*", op, permission), 60, flexible);
  KwReader r;
  gsize size;
  gint error;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);               /* throttle */
  fail_unless_equals_int (acl_get_count (&r, flexible), 1);
  error = kw_get (&r, 2);
  g_free (acl_get_s (&r, flexible));
  acl_skip_tags (&r, flexible);
  acl_skip_tags (&r, flexible);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  return error;
}

/* DescribeAcls v@v of topic bindings of @principal (a null name, pattern
 * ANY): the error (its message in @message) and how many bindings. */
static gint
describe_acls (Client * c, gint16 v, const gchar * principal, gint * n,
    gchar ** message)
{
  gboolean flexible = v >= 2;
  GBytes *resp = client_call (c, acl_request (29, v, RES_TOPIC, NULL,
          PAT_ANY, principal, NULL, OP_ANY, PERM_ANY), 59, flexible);
  KwReader r;
  gsize size;
  gint error, resources, i, j, acls;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  error = kw_get (&r, 2);
  *message = acl_get_s (&r, flexible);
  resources = acl_get_count (&r, flexible);
  for (*n = 0, i = 0; i < resources; i++) {
    fail_unless_equals_int (kw_get (&r, 1), RES_TOPIC);
    g_free (acl_get_s (&r, flexible));
    if (v >= 1)
      kw_get (&r, 1);
    acls = acl_get_count (&r, flexible);
    for (j = 0; j < acls; j++, (*n)++) {
      gchar *p = acl_get_s (&r, flexible);

      fail_unless_equals_string (p, principal);
      g_free (p);
      g_free (acl_get_s (&r, flexible));
      kw_get (&r, 2);           /* operation, permission */
      acl_skip_tags (&r, flexible);
    }
    acl_skip_tags (&r, flexible);
  }
  acl_skip_tags (&r, flexible);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  return error;
}

/* DeleteAcls v@v of the topic bindings of @principal with @permission:
 * the filter's error and how many it deleted. */
static gint
delete_acls (Client * c, gint16 v, const gchar * principal, gint8 permission,
    gint * n)
{
  gboolean flexible = v >= 2;
  GBytes *resp = client_call (c, acl_request (31, v, RES_TOPIC, NULL,
          PAT_ANY, principal, NULL, OP_ANY, permission), 61, flexible);
  KwReader r;
  gsize size;
  gint error, i, got;

  r.p = g_bytes_get_data (resp, &size);
  r.end = r.p + size;
  kw_get (&r, 4);
  fail_unless_equals_int (acl_get_count (&r, flexible), 1);
  error = kw_get (&r, 2);
  g_free (acl_get_s (&r, flexible));
  *n = acl_get_count (&r, flexible);
  for (i = 0; i < *n; i++) {
    gchar *p;

    fail_unless_equals_int (kw_get (&r, 2), 0);
    g_free (acl_get_s (&r, flexible));
    fail_unless_equals_int (kw_get (&r, 1), RES_TOPIC);
    g_free (acl_get_s (&r, flexible));
    if (v >= 1)
      kw_get (&r, 1);
    p = acl_get_s (&r, flexible);
    fail_unless_equals_string (p, principal);
    g_free (p);
    g_free (acl_get_s (&r, flexible));
    kw_get (&r, 1);
    got = kw_get (&r, 1);
    fail_unless (permission == PERM_ANY || got == permission);
    acl_skip_tags (&r, flexible);
  }
  acl_skip_tags (&r, flexible);
  acl_skip_tags (&r, flexible);
  fail_unless (r.p == r.end);
  g_bytes_unref (resp);
  return error;
}

static Client
client_login (RgBroker * broker, const gchar * user, const gchar * password)
{
  Client c = client_connect (broker);
  GBytes *t = plain_token (user, password);
  AuthResult a;

  fail_unless_equals_int (do_handshake (&c, 1, "PLAIN", NULL), 0);
  a = do_authenticate (&c, 1, g_bytes_get_data (t, NULL),
      g_bytes_get_size (t));
  fail_unless_equals_int (a.error, 0);
  auth_result_clear (&a);
  g_bytes_unref (t);
  return c;
}

static gboolean
file_has (const gchar * path, const gchar * text)
{
  gchar *contents;
  gboolean has;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  has = strstr (contents, text) != NULL;
  g_free (contents);
  return has;
}

/* ACLs created, described and deleted through the apis change what a
 * SASL user may do at once, on a connection already open, and after a
 * restart from the file they were written to. */
GST_START_TEST (test_acl_apis)
{
  RgBrokerConfig config;
  gchar *acl = write_file ("acl-api", "# admins\n"
      "alice alter,describe cluster:kafka-cluster\n");
  RgBroker *broker;
  RgBrokerTopic *camera;
  Client admin, bob;
  gchar *message;
  gint64 hw;
  gint n;

  broker = start_sasl_broker ("PLAIN", &config);
  rg_broker_release (broker);
  config.acl_file = acl;
  config.ingest_batches = 16;
  config.credentials_file = write_credentials ();
  broker = start_broker (&config);
  camera = rg_broker_add_topic (broker, "camera", 8, NULL);
  append_records (camera, 3);
  admin = client_login (broker, "alice", "alice-secret");
  bob = client_login (broker, "bob", "bob-secret");

  /* bob may do nothing, not even look at the ACLs. */
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (produce_error (&bob, "ingest.b"),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (create_acl (&bob, 1, "camera", PAT_LITERAL,
          "User:bob", OP_READ, PERM_ALLOW), ERR_CLUSTER_AUTHORIZATION_FAILED);
  fail_unless_equals_int (describe_acls (&bob, 1, "User:bob", &n, &message),
      ERR_CLUSTER_AUTHORIZATION_FAILED);
  g_free (message);
  fail_unless_equals_int (delete_acls (&bob, 1, "User:bob", PERM_ANY, &n),
      ERR_CLUSTER_AUTHORIZATION_FAILED);

  /* alice grants: bob's open connection may read and produce at once
   * (an empty record set is CORRUPT_MESSAGE, 2: past the ACL). */
  fail_unless_equals_int (create_acl (&admin, 1, "camera", PAT_LITERAL,
          "User:bob", OP_READ, PERM_ALLOW), 0);
  fail_unless_equals_int (create_acl (&admin, 3, "ingest.", PAT_PREFIXED,
          "User:bob", OP_WRITE, PERM_ALLOW), 0);
  fail_unless_equals_int (create_acl (&admin, 2, "ingest.", PAT_PREFIXED,
          "User:bob", OP_CREATE, PERM_ALLOW), 0);
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw), 0);
  fail_unless_equals_int64 (hw, 3);
  fail_unless_equals_int (produce_error (&bob, "ingest.b"), 2);

  /* A deny wins over the allows. */
  fail_unless_equals_int (create_acl (&admin, 0, "camera", PAT_LITERAL,
          "User:bob", OP_READ, PERM_DENY), 0);
  fail_unless_equals_int (create_acl (&admin, 1, "ingest.", PAT_PREFIXED,
          "User:bob", OP_WRITE, PERM_DENY), 0);
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (produce_error (&bob, "ingest.b"),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  /* What the model cannot hold is refused with the reason. */
  fail_unless_equals_int (create_acl (&admin, 1, "camera", PAT_LITERAL,
          "Group:ops", OP_READ, PERM_ALLOW), ERR_INVALID_REQUEST);

  /* Describe: five bindings; v0 sees the literal ones only. */
  fail_unless_equals_int (describe_acls (&admin, 1, "User:bob", &n,
          &message), 0);
  fail_unless (message == NULL);
  fail_unless_equals_int (n, 5);
  fail_unless_equals_int (describe_acls (&admin, 0, "User:bob", &n,
          &message), 0);
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (describe_acls (&admin, 3, "User:bob", &n,
          &message), 0);
  fail_unless_equals_int (n, 5);
  fail_unless (file_has (acl, "# admins\n"
          "alice alter,describe cluster:kafka-cluster\n"));
  fail_unless (file_has (acl, "bob read topic:camera deny host=*\n"));
  client_close (&bob);
  client_close (&admin);
  rg_broker_remove_topic (broker, camera);
  rg_broker_release (broker);

  /* A restart reads them back from the file. */
  broker = start_broker (&config);
  camera = rg_broker_add_topic (broker, "camera", 8, NULL);
  admin = client_login (broker, "alice", "alice-secret");
  bob = client_login (broker, "bob", "bob-secret");
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (describe_acls (&admin, 2, "User:bob", &n,
          &message), 0);
  fail_unless_equals_int (n, 5);
  /* Deleting the denies gives the grants back. */
  fail_unless_equals_int (delete_acls (&admin, 2, "User:bob", PERM_DENY,
          &n), 0);
  fail_unless_equals_int (n, 2);
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw), 0);
  fail_unless_equals_int (produce_error (&bob, "ingest.b"), 2);
  fail_if (file_has (acl, "deny"));
  fail_unless_equals_int (delete_acls (&admin, 1, "User:bob", PERM_ANY,
          &n), 0);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (fetch_error (&bob, "camera", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  client_close (&bob);
  client_close (&admin);
  rg_broker_remove_topic (broker, camera);
  rg_broker_release (broker);
  g_free ((gchar *) config.credentials_file);
  g_free (acl);
}

GST_END_TEST;

/* Without an acl-file there is no authorizer: SECURITY_DISABLED, as
 * Kafka answers, with what to set. */
GST_START_TEST (test_acl_apis_without_authorizer)
{
  RgBrokerConfig config;
  RgBroker *broker;
  Client c;
  gchar *message;
  gint n;

  rg_broker_config_init (&config);
  broker = start_broker (&config);
  c = client_connect (broker);
  fail_unless_equals_int (describe_acls (&c, 1, "User:bob", &n, &message),
      ERR_SECURITY_DISABLED);
  fail_unless (message && strstr (message, "acl-file"), "%s", message);
  g_free (message);
  fail_unless_equals_int (create_acl (&c, 2, "t", PAT_LITERAL, "User:bob",
          OP_READ, PERM_ALLOW), ERR_SECURITY_DISABLED);
  fail_unless_equals_int (delete_acls (&c, 0, "User:bob", PERM_ANY, &n),
      ERR_SECURITY_DISABLED);
  fail_unless_equals_int (n, 0);
  client_close (&c);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- TLS ---- */

/* Runs a shell command in tmp_dir; fails the test when it fails. */
static void
run_in_tmp (const gchar * command)
{
  gchar *cmd = g_strdup_printf ("cd '%s' && (%s) >/dev/null 2>&1", tmp_dir,
      command);

  fail_unless (system (cmd) == 0, "failed: %s", command);
  g_free (cmd);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate
 * (CN sensor-7) it signs, and a second CA that signs nothing. */
static void
make_pki (void)
{
  run_in_tmp ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
      "-keyout ca.key -out ca.pem -subj '/CN=rg test CA'");
  run_in_tmp ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
      "-keyout other.key -out other.pem -subj '/CN=rg test CA'");
  run_in_tmp ("openssl req -newkey rsa:2048 -nodes -keyout server.key "
      "-out server.csr -subj '/CN=localhost' && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 1 -extfile san -out server.pem");
  run_in_tmp ("openssl req -newkey rsa:2048 -nodes -keyout client.key "
      "-out client.csr -subj '/O=rg/CN=sensor-7' && "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 1 -out client.pem");
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* What a TLS client offers: its only TLS 1.3 suite (NULL: OpenSSL's
 * default list) and its highest version (0: the highest it knows). */
static const gchar *client_suites;
static int client_max_version;
/* A session the next TLS client resumes (NULL: a full handshake). */
static SSL_SESSION *client_session;

/* Connects with TLS, trusting @ca, presenting @cert (nullable). FALSE
 * when the handshake failed; *@verify receives the client's verdict on
 * the server's certificate. */
static gboolean
client_connect_tls (RgBroker * broker, Client * c, const gchar * ca,
    const gchar * cert, long *verify)
{
  gchar *ca_path = tmp_path (ca);
  gboolean ok;

  c->fd = kw_connect (rg_broker_get_port (broker), 10);
  c->ctx = SSL_CTX_new (TLS_client_method ());
  if (client_suites)
    fail_unless (SSL_CTX_set_ciphersuites (c->ctx, client_suites) == 1);
  if (client_max_version)
    fail_unless (SSL_CTX_set_max_proto_version (c->ctx,
            client_max_version) == 1);
  fail_unless (SSL_CTX_load_verify_locations (c->ctx, ca_path, NULL) == 1);
  SSL_CTX_set_verify (c->ctx, SSL_VERIFY_PEER, NULL);
  if (cert) {
    gchar *pem = g_strdup_printf ("%s/%s.pem", tmp_dir, cert);
    gchar *key = g_strdup_printf ("%s/%s.key", tmp_dir, cert);

    fail_unless (SSL_CTX_use_certificate_file (c->ctx, pem,
            SSL_FILETYPE_PEM) == 1);
    fail_unless (SSL_CTX_use_PrivateKey_file (c->ctx, key,
            SSL_FILETYPE_PEM) == 1);
    g_free (pem);
    g_free (key);
  }
  c->ssl = SSL_new (c->ctx);
  SSL_set_fd (c->ssl, c->fd);
  SSL_set1_host (c->ssl, "127.0.0.1");
  if (client_session)
    fail_unless (SSL_set_session (c->ssl, client_session) == 1);
  ok = SSL_connect (c->ssl) == 1;
  if (verify)
    *verify = SSL_get_verify_result (c->ssl);
  ERR_clear_error ();
  g_free (ca_path);
  return ok;
}

/* A Fetch v4 request of @topic from offset 0, correlation id 21. */
static GByteArray *
fetch_all_request (const gchar * topic)
{
  GByteArray *b = kw_request_new (1, 4, 21);

  kw_put32 (b, -1);
  kw_put32 (b, 0);
  kw_put32 (b, 0);
  kw_put32 (b, 64 * 1024 * 1024);
  g_byte_array_append (b, (const guint8 *) "\0", 1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, 0);
  kw_put32 (b, 64 * 1024 * 1024);
  return b;
}

/* Fetch v4 of @topic from offset 0: the whole response frame. */
static GBytes *
fetch_all (Client * c, const gchar * topic)
{
  return client_call (c, fetch_all_request (topic), 21, FALSE);
}

/* Records of varied sizes with fixed timestamps, so two brokers serving
 * them give the same bytes: large ones (encrypted straight from their
 * memory) and small ones (gathered). */
static void
append_mixed (RgBrokerTopic * topic)
{
  guint i;

  for (i = 0; i < 24; i++) {
    gsize size = (i % 3 == 0) ? 300 * 1000 + i : 10 + i * 7;
    GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
    GstMapInfo map;
    gsize j;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (j = 0; j < size; j++)
      map.data[j] = (guint8) (j * 13 + i);
    gst_buffer_unmap (buf, &map);
    fail_unless (rg_broker_topic_append (topic, buf, 1000 + i, NULL, NULL,
            NULL));
    gst_buffer_unref (buf);
  }
}

/* A journal of the same records, for the topic served from files. */
static gchar *
write_journal (void)
{
  gchar *dir = tmp_path ("journal");
  RgJournalConfig config;
  RgJournalWriter *writer;
  guint i;

  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  writer = rg_journal_writer_open (dir, &config, NULL);
  fail_unless (writer != NULL);
  for (i = 0; i < 12; i++) {
    gsize size = (i % 2 == 0) ? 100 * 1000 + i : 50 + i;
    GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

    gst_buffer_memset (buf, 0, 'j' + i, size);
    fail_unless (rg_journal_writer_append (writer, buf, 2000 + i, NULL,
            NULL, NULL));
    gst_buffer_unref (buf);
  }
  fail_unless (rg_journal_writer_close (writer, NULL));
  return dir;
}

static RgBroker *
start_tls_broker (RgBrokerConfig * config, gboolean client_ca,
    const gchar * mechanisms, const gchar * acl)
{
  static gchar *cert, *key, *ca, *users;

  g_free (cert);
  g_free (key);
  g_free (ca);
  g_free (users);
  cert = tmp_path ("server.pem");
  key = tmp_path ("server.key");
  ca = tmp_path ("ca.pem");
  users = mechanisms ? write_credentials () : NULL;
  rg_broker_config_init (config);
  config->tls_certificate = cert;
  config->tls_key = key;
  config->tls_ca = client_ca ? ca : NULL;
  config->sasl_mechanisms = mechanisms;
  config->credentials_file = users;
  config->acl_file = acl;
  /* One send thread, so that the TLS sends run on it too. */
  config->send_threads = 1;
  return start_broker (config);
}

/* Over TLS with SCRAM, a client gets exactly the bytes a clear-text
 * client of the same records gets: from memory (large and small records)
 * and from journal files. */
GST_START_TEST (test_tls_same_bytes)
{
  RgBrokerConfig config, plain_config;
  RgBroker *tls_broker, *plain;
  RgBrokerTopic *t1, *t2, *j1, *j2;
  gchar *journal;
  Client c, p;
  const gchar *names[] = { "mixed", "journal" };
  guint i;

  make_pki ();
  journal = write_journal ();
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  rg_broker_config_init (&plain_config);
  plain = start_broker (&plain_config);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  t2 = rg_broker_add_topic (plain, "mixed", 64, NULL);
  append_mixed (t1);
  append_mixed (t2);
  j1 = rg_broker_add_journal_topic (tls_broker, "journal", journal, NULL,
      NULL);
  j2 = rg_broker_add_journal_topic (plain, "journal", journal, NULL, NULL);
  fail_unless (j1 != NULL && j2 != NULL);

  memset (&c, 0, sizeof (c));
  fail_unless (client_connect_tls (tls_broker, &c, "ca.pem", NULL, NULL));
  fail_unless (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (), "alice",
          "alice-secret", FALSE, 2));
  p = client_connect (plain);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GBytes *a = fetch_all (&c, names[i]), *b = fetch_all (&p, names[i]);

    fail_unless (g_bytes_get_size (a) > 1000 * 1000 || i == 1);
    fail_unless (g_bytes_get_size (a) > 600 * 1000);
    fail_unless (g_bytes_equal (a, b), "%s: TLS and clear text differ",
        names[i]);
    g_bytes_unref (a);
    g_bytes_unref (b);
  }
  client_close (&c);
  client_close (&p);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_remove_topic (plain, t2);
  rg_broker_remove_topic (tls_broker, j1);
  rg_broker_remove_topic (plain, j2);
  rg_broker_release (tls_broker);
  rg_broker_release (plain);
  g_free (journal);
}

GST_END_TEST;

/* Several TLS readers fetching large responses at once: the broker sends
 * them on its send thread and the loop together (the chooser starts with
 * the thread on), one connection per thread at a time, and
 * every reader gets the bytes a clear-text reader gets. Requests are
 * written to all readers before any response is read, so their
 * responses are pending in the same loop turns; rounds repeat until one
 * turn has sent several connections in parallel (or fail after 30). */
#define PARALLEL_READERS 4

GST_START_TEST (test_tls_parallel_sends)
{
  RgBrokerConfig config, plain_config;
  RgBroker *tls_broker, *plain;
  RgBrokerTopic *t1, *t2;
  RgBrokerStats st;
  Client c[PARALLEL_READERS], p;
  GBytes *expected;
  guint i, round;

  make_pki ();
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  fail_unless (tls_broker != NULL);
  rg_broker_config_init (&plain_config);
  plain = start_broker (&plain_config);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  t2 = rg_broker_add_topic (plain, "mixed", 64, NULL);
  append_mixed (t1);
  append_mixed (t2);
  p = client_connect (plain);
  expected = fetch_all (&p, "mixed");
  fail_unless (g_bytes_get_size (expected) > 1000 * 1000);
  for (i = 0; i < PARALLEL_READERS; i++) {
    memset (&c[i], 0, sizeof (c[i]));
    fail_unless (client_connect_tls (tls_broker, &c[i], "ca.pem", NULL,
            NULL));
    fail_unless (scram_exchange (&c[i], "SCRAM-SHA-512", EVP_sha512 (),
            "alice", "alice-secret", FALSE, 2));
  }
  for (round = 0; round < 30; round++) {
    for (i = 0; i < PARALLEL_READERS; i++) {
      GByteArray *req = fetch_all_request ("mixed");

      kw_request_finish (req);
      client_send (&c[i], req->data, req->len);
      g_byte_array_unref (req);
    }
    for (i = 0; i < PARALLEL_READERS; i++) {
      GBytes *got = client_recv_response (&c[i], 21, FALSE);

      fail_unless (g_bytes_equal (got, expected),
          "round %u reader %u: TLS and clear text differ", round, i);
      g_bytes_unref (got);
    }
    rg_broker_get_stats (tls_broker, &st);
    if (st.parallel_sends > 0)
      break;
  }
  fail_unless (st.parallel_sends > 0, "no turn sent TLS readers in parallel");
  for (i = 0; i < PARALLEL_READERS; i++)
    client_close (&c[i]);
  client_close (&p);
  g_bytes_unref (expected);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_remove_topic (plain, t2);
  rg_broker_release (tls_broker);
  rg_broker_release (plain);
}

GST_END_TEST;

/* A TLS reader that lets many large responses pile up before it reads:
 * more is queued than the two sockets' buffers can hold, so the broker's
 * sends of many records at a time stop in the middle of their ciphertext
 * and go on when the reader drains, and every response still arrives
 * whole, in order and byte-identical to what a clear-text reader gets,
 * from memory and from journal files. */
#define PILED_UP_REQUESTS 10

GST_START_TEST (test_tls_piled_up_responses)
{
  RgBrokerConfig config, plain_config;
  RgBroker *tls_broker, *plain;
  RgBrokerTopic *t1, *t2, *j1, *j2;
  const gchar *names[] = { "mixed", "journal" };
  GBytes *expected[2];
  gchar *journal;
  Client c, p;
  gsize queued = 0;
  guint i;

  make_pki ();
  journal = write_journal ();
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  rg_broker_config_init (&plain_config);
  plain = start_broker (&plain_config);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  t2 = rg_broker_add_topic (plain, "mixed", 64, NULL);
  append_mixed (t1);
  append_mixed (t2);
  j1 = rg_broker_add_journal_topic (tls_broker, "journal", journal, NULL,
      NULL);
  j2 = rg_broker_add_journal_topic (plain, "journal", journal, NULL, NULL);
  fail_unless (j1 != NULL && j2 != NULL);
  p = client_connect (plain);
  for (i = 0; i < 2; i++)
    expected[i] = fetch_all (&p, names[i]);

  memset (&c, 0, sizeof (c));
  fail_unless (client_connect_tls (tls_broker, &c, "ca.pem", NULL, NULL));
  fail_unless (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (), "alice",
          "alice-secret", FALSE, 2));
  for (i = 0; i < PILED_UP_REQUESTS; i++) {
    GByteArray *req = fetch_all_request (names[i % 2]);

    kw_request_finish (req);
    client_send (&c, req->data, req->len);
    g_byte_array_unref (req);
    queued += g_bytes_get_size (expected[i % 2]);
  }
  /* More than a loopback socket's largest send and receive buffers. */
  fail_unless (queued > 8 * 1024 * 1024);
  /* Lets the broker fill both buffers before anything is read. */
  g_usleep (200 * 1000);
  for (i = 0; i < PILED_UP_REQUESTS; i++) {
    GBytes *got = client_recv_response (&c, 21, FALSE);

    fail_unless (g_bytes_equal (got, expected[i % 2]),
        "response %u (%s): TLS and clear text differ", i, names[i % 2]);
    g_bytes_unref (got);
  }
  /* The connection is still in step: one more exchange after the pile. */
  {
    GBytes *got = fetch_all (&c, "mixed");

    fail_unless (g_bytes_equal (got, expected[0]));
    g_bytes_unref (got);
  }
  client_close (&c);
  client_close (&p);
  for (i = 0; i < 2; i++)
    g_bytes_unref (expected[i]);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_remove_topic (plain, t2);
  rg_broker_remove_topic (tls_broker, j1);
  rg_broker_remove_topic (plain, j2);
  rg_broker_release (tls_broker);
  rg_broker_release (plain);
  g_free (journal);
}

GST_END_TEST;

/* The same bytes as clear text with every TLS 1.3 suite the broker seals
 * itself (AES-128-GCM, AES-256-GCM with SHA-384's key schedule,
 * ChaCha20-Poly1305), over a session resumed from a ticket, and with
 * TLS 1.2, which OpenSSL seals: from memory and from journal files, and
 * one more exchange after each fetch. */
GST_START_TEST (test_tls_suites_same_bytes)
{
  static const struct
  {
    const gchar *suites;
    int max_version;
    const gchar *cipher;
  } clients[] = {
    {"TLS_AES_128_GCM_SHA256", 0, "TLS_AES_128_GCM_SHA256"},
    {"TLS_AES_256_GCM_SHA384", 0, "TLS_AES_256_GCM_SHA384"},
    {"TLS_CHACHA20_POLY1305_SHA256", 0, "TLS_CHACHA20_POLY1305_SHA256"},
    /* Resumes the session of the client before. */
    {"TLS_CHACHA20_POLY1305_SHA256", 0, "TLS_CHACHA20_POLY1305_SHA256"},
    {NULL, TLS1_2_VERSION, NULL},
  };
  const gchar *names[] = { "mixed", "journal" };
  RgBrokerConfig config, plain_config;
  RgBroker *tls_broker, *plain;
  RgBrokerTopic *t1, *t2, *j1, *j2;
  GBytes *expected[2];
  gchar *journal;
  Client p;
  guint k, i;

  make_pki ();
  journal = write_journal ();
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  rg_broker_config_init (&plain_config);
  plain = start_broker (&plain_config);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  t2 = rg_broker_add_topic (plain, "mixed", 64, NULL);
  append_mixed (t1);
  append_mixed (t2);
  j1 = rg_broker_add_journal_topic (tls_broker, "journal", journal, NULL,
      NULL);
  j2 = rg_broker_add_journal_topic (plain, "journal", journal, NULL, NULL);
  fail_unless (j1 != NULL && j2 != NULL);
  p = client_connect (plain);
  for (i = 0; i < 2; i++)
    expected[i] = fetch_all (&p, names[i]);

  for (k = 0; k < G_N_ELEMENTS (clients); k++) {
    Client c = { 0, };

    client_suites = clients[k].suites;
    client_max_version = clients[k].max_version;
    fail_unless (client_connect_tls (tls_broker, &c, "ca.pem", NULL, NULL));
    fail_unless_equals_int (SSL_session_reused (c.ssl), client_session != NULL);
    if (clients[k].cipher) {
      fail_unless_equals_string (SSL_get_cipher_name (c.ssl),
          clients[k].cipher);
    } else {
      fail_unless_equals_int (SSL_version (c.ssl), TLS1_2_VERSION);
    }
    fail_unless (scram_exchange (&c, "SCRAM-SHA-512", EVP_sha512 (),
            "alice", "alice-secret", FALSE, 2));
    for (i = 0; i < 4; i++) {
      GBytes *got = fetch_all (&c, names[i % 2]);

      fail_unless (g_bytes_equal (got, expected[i % 2]),
          "client %u, %s: TLS and clear text differ", k, names[i % 2]);
      g_bytes_unref (got);
    }
    /* The tickets came with the first responses: the next client resumes
     * this session (then the one after makes a full handshake again). */
    if (client_session) {
      SSL_SESSION_free (client_session);
      client_session = NULL;
    } else if (k == 2) {
      client_session = SSL_get1_session (c.ssl);
      fail_unless (client_session != NULL
          && SSL_SESSION_is_resumable (client_session));
      /* A connection closed without close_notify spoils its session. */
      SSL_shutdown (c.ssl);
    }
    client_close (&c);
  }
  client_suites = NULL;
  client_max_version = 0;
  client_close (&p);
  for (i = 0; i < 2; i++)
    g_bytes_unref (expected[i]);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_remove_topic (plain, t2);
  rg_broker_remove_topic (tls_broker, j1);
  rg_broker_remove_topic (plain, j2);
  rg_broker_release (tls_broker);
  rg_broker_release (plain);
  g_free (journal);
}

GST_END_TEST;

/* Counts the KeyUpdate messages a client receives (the message callback's
 * argument is the counter). */
static void
count_key_updates (int write_p, int version, int content_type,
    const void *buf, size_t len, SSL * ssl, void *arg)
{
  const guint8 *p = buf;

  if (!write_p && content_type == SSL3_RT_HANDSHAKE && len >= 1
      && p[0] == SSL3_MT_KEY_UPDATE)
    (*(guint *) arg)++;
}

/* A TLS + SCRAM client of @broker that counts the KeyUpdates it gets in
 * *@updates; when @ask_first, it asks for new keys right after the
 * handshake, before its first request. */
static void
key_update_client (RgBroker * broker, Client * c, guint * updates,
    gboolean ask_first)
{
  memset (c, 0, sizeof (*c));
  fail_unless (client_connect_tls (broker, c, "ca.pem", NULL, NULL));
  SSL_set_msg_callback (c->ssl, count_key_updates);
  SSL_set_msg_callback_arg (c->ssl, updates);
  if (ask_first)
    fail_unless (SSL_key_update (c->ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
  fail_unless (scram_exchange (c, "SCRAM-SHA-512", EVP_sha512 (), "alice",
          "alice-secret", FALSE, 2));
}

/* The broker moves to new keys on its own after a number of records (set
 * low here, so a few MiB cross many key updates) and when a client asks,
 * before or after the broker has sent it anything: every response still
 * reads back byte-identical to clear text. */
GST_START_TEST (test_tls_key_updates)
{
  RgBrokerConfig config, plain_config;
  RgBroker *tls_broker, *plain;
  RgBrokerTopic *t1, *t2;
  GBytes *expected, *got;
  Client c, p;
  guint updates = 0, before, i;

  make_pki ();
  rg_tls_record_set_records_per_key (5);
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  rg_broker_config_init (&plain_config);
  plain = start_broker (&plain_config);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  t2 = rg_broker_add_topic (plain, "mixed", 64, NULL);
  append_mixed (t1);
  append_mixed (t2);
  p = client_connect (plain);
  expected = fetch_all (&p, "mixed");
  fail_unless (g_bytes_get_size (expected) > 2 * 1000 * 1000);

  /* About 160 records of 16 KiB in three responses: a key update every
   * five. */
  key_update_client (tls_broker, &c, &updates, FALSE);
  for (i = 0; i < 3; i++) {
    got = fetch_all (&c, "mixed");
    fail_unless (g_bytes_equal (got, expected), "fetch %u differs", i);
    g_bytes_unref (got);
  }
  fail_unless (updates >= 3 * 2 * 1000 * 1000 / (5 * 16384),
      "only %u key updates", updates);
  client_close (&c);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_release (tls_broker);

  /* The usual limit: only the client's requests update the keys. */
  rg_tls_record_set_records_per_key (G_GUINT64_CONSTANT (1) << 24);
  tls_broker = start_tls_broker (&config, FALSE, "SCRAM-SHA-512", NULL);
  t1 = rg_broker_add_topic (tls_broker, "mixed", 64, NULL);
  append_mixed (t1);
  for (i = 0; i < 2; i++) {
    updates = 0;
    key_update_client (tls_broker, &c, &updates, i == 0);
    got = fetch_all (&c, "mixed");
    fail_unless (g_bytes_equal (got, expected));
    g_bytes_unref (got);
    fail_unless_equals_int (updates, i == 0 ? 1 : 0);
    before = updates;
    fail_unless (SSL_key_update (c.ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
    got = fetch_all (&c, "mixed");
    fail_unless (g_bytes_equal (got, expected));
    g_bytes_unref (got);
    fail_unless_equals_int (updates, before + 1);
    client_close (&c);
  }
  client_close (&p);
  g_bytes_unref (expected);
  rg_broker_remove_topic (tls_broker, t1);
  rg_broker_remove_topic (plain, t2);
  rg_broker_release (tls_broker);
  rg_broker_release (plain);
}

GST_END_TEST;

/* A client that trusts another CA refuses the broker; a clear-text
 * client gets no answer and is closed. */
GST_START_TEST (test_tls_refusals)
{
  RgBrokerConfig config;
  RgBroker *broker;
  Client c = { 0, };
  long verify = X509_V_OK;

  make_pki ();
  broker = start_tls_broker (&config, FALSE, NULL, NULL);
  fail_if (client_connect_tls (broker, &c, "other.pem", NULL, &verify));
  fail_unless (verify != X509_V_OK);
  client_close (&c);

  c = client_connect (broker);
  fail_if (metadata_answered (&c, NULL));
  client_close (&c);

  /* The right CA: served, without SASL. */
  memset (&c, 0, sizeof (c));
  fail_unless (client_connect_tls (broker, &c, "ca.pem", NULL, &verify));
  fail_unless_equals_int (verify, X509_V_OK);
  fail_unless (metadata_answered (&c, NULL));
  client_close (&c);
  rg_broker_release (broker);
}

GST_END_TEST;

/* With tls-ca, a client must present a certificate; its common name is
 * its principal for the ACLs. */
GST_START_TEST (test_tls_client_certificate)
{
  RgBrokerConfig config;
  gchar *acl = write_file ("acl-cert", "sensor-7 read camera\n");
  RgBroker *broker;
  RgBrokerTopic *camera, *other;
  Client c = { 0, };
  gchar *topics;
  gint64 hw;

  make_pki ();
  broker = start_tls_broker (&config, TRUE, NULL, acl);
  camera = rg_broker_add_topic (broker, "camera", 8, NULL);
  other = rg_broker_add_topic (broker, "other", 8, NULL);
  append_records (camera, 2);

  fail_unless (client_connect_tls (broker, &c, "ca.pem", "client", NULL));
  fail_unless (metadata_answered (&c, &topics));
  fail_unless_equals_string (topics, "camera");
  g_free (topics);
  fail_unless_equals_int (fetch_error (&c, "camera", &hw), 0);
  fail_unless_equals_int64 (hw, 2);
  fail_unless_equals_int (fetch_error (&c, "other", &hw),
      ERR_TOPIC_AUTHORIZATION_FAILED);
  client_close (&c);

  /* No certificate: the handshake fails (TLS 1.3 tells the client on
   * its first read). */
  memset (&c, 0, sizeof (c));
  if (client_connect_tls (broker, &c, "ca.pem", NULL, NULL))
    fail_if (metadata_answered (&c, NULL));
  client_close (&c);

  rg_broker_remove_topic (broker, camera);
  rg_broker_remove_topic (broker, other);
  rg_broker_release (broker);
  g_free (acl);
}

GST_END_TEST;

/* ---- Suite ---- */

static void
setup (void)
{
  tmp_dir = g_dir_make_tmp ("rg-brokerauth-XXXXXX", NULL);
  fail_unless (tmp_dir != NULL);
}

static void
teardown (void)
{
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

  fail_unless (system (cmd) == 0);
  g_free (cmd);
  g_free (tmp_dir);
}

static Suite *
brokerauth_suite (void)
{
  Suite *s = suite_create ("brokerauth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_credentials_file);
  tcase_add_test (tc, test_acl_file);
  tcase_add_test (tc, test_bad_settings_refused);
  tcase_add_test (tc, test_plain);
  tcase_add_test (tc, test_gate);
  tcase_add_test (tc, test_scram);
  tcase_add_test (tc, test_scram_bare_tokens);
  tcase_add_test (tc, test_sasl_garbage);
  tcase_add_test (tc, test_acl_enforced);
  tcase_add_test (tc, test_acl_anonymous);
  tcase_add_test (tc, test_acl_apis);
  tcase_add_test (tc, test_acl_apis_without_authorizer);
  tcase_add_test (tc, test_tls_same_bytes);
  tcase_add_test (tc, test_tls_parallel_sends);
  tcase_add_test (tc, test_tls_piled_up_responses);
  tcase_add_test (tc, test_tls_suites_same_bytes);
  tcase_add_test (tc, test_tls_key_updates);
  tcase_add_test (tc, test_tls_refusals);
  tcase_add_test (tc, test_tls_client_certificate);
  return s;
}

GST_CHECK_MAIN (brokerauth);
