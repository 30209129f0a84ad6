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
 * TLS for the broker's connections (the interface is rgbrokertls.h).
 *
 * One SSL object per connection on its non-blocking socket. SSL_read and
 * SSL_write answer SSL_ERROR_WANT_READ / WANT_WRITE when the socket is not
 * ready; both become errno EAGAIN, which the connection layer already
 * maps onto the loop's interest (a short send waits for EPOLLOUT, a read
 * for EPOLLIN). A read that wants writability (a handshake flight larger
 * than the socket buffer) is remembered so the caller watches EPOLLOUT
 * for it. Renegotiation is off (TLS 1.2's was the one way a write could
 * need a read); TLS 1.2 is the oldest version accepted.
 *
 * Writes: SSL_write with partial writes enabled returns once a record is
 * out, and a retry after WANT_WRITE must present the same bytes, which the
 * connection layer does since it resends from the position it stood at
 * (the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). A response
 * of many small segments (three per record) is gathered into one TLS
 * record's worth of stack buffer first: a record per segment would cost
 * a MAC and 22 bytes of framing each. A large memory segment is encrypted
 * straight from the record's memory. Journal ranges cannot go through
 * sendfile() (the kernel would send them in clear), so they are read with
 * pread() into the same stack buffer and encrypted from there.
 *
 * Memory: SSL_MODE_RELEASE_BUFFERS gives a session's 16 KiB read and
 * write buffers back while it is idle, which keeps an idle authenticated
 * connection to the SSL object and its handshake state.
 *
 * SIGPIPE: OpenSSL writes with write(), which raises it on a closed
 * socket; the broker's threads block it, and the one left pending is
 * taken back here after EPIPE, as rgbrokerconn.c does after sendfile().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokerstats.h"
#include "broker/rgbrokertls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* The largest TLS record's payload: what one write is gathered into. */
#define TLS_CHUNK RG_BROKER_TLS_RECORD_MAX

struct _RgBrokerTlsContext
{
  SSL_CTX *ctx;
  gboolean verify_clients;
};

struct _RgBrokerTls
{
  SSL *ssl;
  gboolean read_wants_write;
  gboolean peer_checked;
  gchar *peer_name;
};

/* ---- Context ---- */

static void
set_openssl_error (GError ** error, const gchar * what, const gchar * file)
{
  gchar reason[256] = "unknown reason";
  unsigned long e = ERR_peek_last_error ();

  if (e)
    ERR_error_string_n (e, reason, sizeof (reason));
  ERR_clear_error ();
  g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY, "TLS %s %s: %s", what,
      file, reason);
}

static gboolean
context_load_ca (SSL_CTX * ctx, const gchar * ca, GError ** error)
{
  STACK_OF (X509_NAME) * names;

  if (SSL_CTX_load_verify_locations (ctx, ca, NULL) != 1) {
    set_openssl_error (error, "CA", ca);
    return FALSE;
  }
  /* The CA names the server sends so a client picks its certificate. */
  names = SSL_load_client_CA_file (ca);
  if (names)
    SSL_CTX_set_client_CA_list (ctx, names);
  SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
      NULL);
  return TRUE;
}

RgBrokerTlsContext *
rg_broker_tls_context_new (const gchar * certificate, const gchar * key,
    const gchar * ca, GError ** error)
{
  RgBrokerTlsContext *c = g_new0 (RgBrokerTlsContext, 1);

  ERR_clear_error ();
  c->ctx = SSL_CTX_new (TLS_server_method ());
  if (!c->ctx) {
    set_openssl_error (error, "context", "");
    g_free (c);
    return NULL;
  }
  SSL_CTX_set_min_proto_version (c->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options (c->ctx, SSL_OP_NO_RENEGOTIATION
      | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* AES-128-GCM first: as safe for this use and cheaper per byte than
   * AES-256, which OpenSSL would otherwise pick; the broker's loop and send
   * threads encrypt every byte of every reader's stream. */
  SSL_CTX_set_ciphersuites (c->ctx, "TLS_AES_128_GCM_SHA256:"
      "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
  SSL_CTX_set_mode (c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
      | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file (c->ctx, certificate) != 1) {
    set_openssl_error (error, "certificate", certificate);
    goto failed;
  }
  if (SSL_CTX_use_PrivateKey_file (c->ctx, key, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key (c->ctx) != 1) {
    set_openssl_error (error, "key", key);
    goto failed;
  }
  if (ca && *ca) {
    if (!context_load_ca (c->ctx, ca, error))
      goto failed;
    c->verify_clients = TRUE;
  }
  return c;

failed:
  rg_broker_tls_context_free (c);
  return NULL;
}

void
rg_broker_tls_context_free (RgBrokerTlsContext * c)
{
  if (!c)
    return;
  SSL_CTX_free (c->ctx);
  g_free (c);
}

gboolean
rg_broker_tls_context_verifies_clients (RgBrokerTlsContext * c)
{
  return c->verify_clients;
}

/* ---- Sessions ---- */

RgBrokerTls *
rg_broker_tls_new (RgBrokerTlsContext * c, int fd)
{
  RgBrokerTls *tls;
  SSL *ssl = SSL_new (c->ctx);

  if (!ssl)
    return NULL;
  if (SSL_set_fd (ssl, fd) != 1) {
    SSL_free (ssl);
    return NULL;
  }
  SSL_set_accept_state (ssl);
  tls = g_new0 (RgBrokerTls, 1);
  tls->ssl = ssl;
  return tls;
}

void
rg_broker_tls_free (RgBrokerTls * tls)
{
  if (!tls)
    return;
  SSL_free (tls->ssl);
  g_free (tls->peer_name);
  g_free (tls);
}

static void
consume_sigpipe (void)
{
  struct timespec zero = { 0, 0 };
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  while (sigtimedwait (&set, NULL, &zero) > 0);
}

/* Maps a failed SSL_read/SSL_write onto errno: EAGAIN when the socket
 * must become ready, 0 returned for a clean close, else -1 and a system
 * errno (EPROTO for a TLS failure such as a bad client certificate). */
static ssize_t
tls_failed (RgBrokerTls * tls, int ret, gboolean reading)
{
  int err = SSL_get_error (tls->ssl, ret);

  switch (err) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      if (reading)
        tls->read_wants_write = TRUE;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (errno == EPIPE)
        consume_sigpipe ();
      /* An end of file without close_notify is a reset. */
      if (errno == 0 || errno == EAGAIN)
        errno = ECONNRESET;
      break;
    default:
      if (GST_LEVEL_INFO <= _gst_debug_min) {
        gchar reason[256];

        ERR_error_string_n (ERR_peek_last_error (), reason, sizeof (reason));
        GST_INFO ("TLS: %s", reason);
      }
      errno = EPROTO;
      break;
  }
  ERR_clear_error ();
  return -1;
}

ssize_t
rg_broker_tls_read (RgBrokerTls * tls, void *buf, gsize len)
{
  size_t n = 0;
  int ret;

  tls->read_wants_write = FALSE;
  ERR_clear_error ();
  errno = 0;
  ret = SSL_read_ex (tls->ssl, buf, len, &n);
  if (ret == 1)
    return n;
  return tls_failed (tls, ret, TRUE);
}

gboolean
rg_broker_tls_wants_write (RgBrokerTls * tls)
{
  return tls->read_wants_write;
}

gboolean
rg_broker_tls_has_pending (RgBrokerTls * tls)
{
  return SSL_pending (tls->ssl) > 0;
}

static ssize_t
tls_write (RgBrokerTls * tls, const void *buf, gsize len)
{
  size_t n = 0;
  int ret;

  ERR_clear_error ();
  errno = 0;
  ret = SSL_write_ex (tls->ssl, buf, len, &n);
  if (ret == 1)
    return n;
  return tls_failed (tls, ret, FALSE);
}

ssize_t
rg_broker_tls_send_iov (RgBrokerTls * tls, const struct iovec *iov,
    int iovcnt)
{
  guint8 chunk[TLS_CHUNK];
  gsize filled = 0;
  int i;

  /* A large segment goes straight from its own memory. */
  if (iovcnt > 0 && iov[0].iov_len >= TLS_CHUNK)
    return tls_write (tls, iov[0].iov_base, iov[0].iov_len);
  for (i = 0; i < iovcnt && filled < TLS_CHUNK; i++) {
    gsize n = MIN (iov[i].iov_len, TLS_CHUNK - filled);

    memcpy (chunk + filled, iov[i].iov_base, n);
    filled += n;
  }
  if (filled == 0)
    return 0;
  return tls_write (tls, chunk, filled);
}

ssize_t
rg_broker_tls_send_file (RgBrokerTls * tls, int fd, off_t offset, gsize len)
{
  guint8 chunk[TLS_CHUNK];
  ssize_t n;

  do {
    n = pread (fd, chunk, MIN (len, TLS_CHUNK), offset);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    /* The file is shorter than the batches it held: it was truncated. */
    if (n == 0)
      errno = EIO;
    return -1;
  }
  return tls_write (tls, chunk, n);
}

const gchar *
rg_broker_tls_get_peer_name (RgBrokerTls * tls)
{
  gchar cn[256];
  X509 *cert;

  if (tls->peer_checked || !SSL_is_init_finished (tls->ssl))
    return tls->peer_name;
  tls->peer_checked = TRUE;
  cert = SSL_get1_peer_certificate (tls->ssl);
  if (!cert)
    return NULL;
  if (SSL_get_verify_result (tls->ssl) == X509_V_OK
      && X509_NAME_get_text_by_NID (X509_get_subject_name (cert),
          NID_commonName, cn, sizeof (cn)) > 0)
    tls->peer_name = g_strdup (cn);
  X509_free (cert);
  return tls->peer_name;
}
