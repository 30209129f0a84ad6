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
 * Writes: one send encrypts up to RG_BROKER_TLS_SEND_MAX bytes of clear
 * text, record after record, into a per-connection ciphertext buffer (the
 * session's write BIO appends to it while a send runs), then hands the
 * buffer to the socket in as few send() calls as it takes. OpenSSL 3.0
 * hands each 16 KiB record to its BIO on its own; one send() per record
 * cost the broker a system call and a pass through the TCP stack per
 * record, and the reader a segment per record. The price is one copy of
 * the ciphertext into the buffer (OpenSSL encrypts into its own write
 * buffer and hands that on). The clear text is not copied by us: a large
 * memory segment is encrypted straight from the record's memory.
 *
 * When the socket does not take the whole buffer, the send answers EAGAIN
 * although its clear text is already encrypted, and remembers how many
 * bytes that was ("owed"). The connection layer retries from the same
 * position once the socket is writable (a retry after EAGAIN always
 * does); the retry pushes the rest of the buffer out and only then reports
 * the owed bytes as sent. So no byte is reported sent before its
 * ciphertext is in the socket, and an output is never freed while its
 * tail waits in our buffer. Outside a send (the handshake, alerts,
 * post-handshake messages) the write BIO goes straight to the socket,
 * after whatever a send left behind, so the stream keeps its order.
 *
 * A response of many small segments (three per record) is gathered into
 * one TLS record's worth of stack buffer first: a record per segment would
 * cost a MAC and 22 bytes of framing each. Journal ranges cannot go
 * through sendfile() (the kernel would send them in clear), so they are
 * read with pread() into the same stack buffer and encrypted from there.
 *
 * Memory: SSL_MODE_RELEASE_BUFFERS gives a session's 16 KiB read and
 * write buffers back while it is idle, which keeps an idle authenticated
 * connection to the SSL object and its handshake state.
 *
 * SIGPIPE: the write side sends with MSG_NOSIGNAL; should a system call
 * still leave one pending after EPIPE, it is taken back, as rgbrokerconn.c
 * does after sendfile().
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
#include <sys/socket.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* The largest TLS record's payload: what small segments are gathered
 * into before they are encrypted. */
#define TLS_CHUNK RG_BROKER_TLS_RECORD_MAX

/* A record's framing and tag above its clear text: TLS 1.3 adds 22 bytes
 * (header 5, content type 1, tag 16), TLS 1.2 with GCM 29 (header 5,
 * explicit nonce 8, tag 16); rounded up. */
#define TLS_RECORD_OVERHEAD 64

/* The ciphertext buffer: one send's clear text and its records' framing
 * (a send ends at a record boundary at most TLS_CHUNK past its budget). */
#define TLS_OUT_SIZE (RG_BROKER_TLS_SEND_MAX + TLS_CHUNK \
    + (RG_BROKER_TLS_SEND_MAX / TLS_CHUNK + 2) * TLS_RECORD_OVERHEAD)

struct _RgBrokerTlsContext
{
  SSL_CTX *ctx;
  gboolean verify_clients;
};

struct _RgBrokerTls
{
  SSL *ssl;
  int fd;
  gboolean read_wants_write;
  gboolean peer_checked;
  gchar *peer_name;
  /* Ciphertext not yet in the socket: out[out_pos, out_len). Allocated
   * when a send starts, freed once drained, so an idle connection holds
   * none. */
  guint8 *out;
  gsize out_len, out_pos, out_cap;
  /* TRUE while a send encrypts: the write side appends to out. */
  gboolean gathering;
  /* Clear-text bytes encrypted into out but not yet reported as sent. */
  gsize owed;
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

/* ---- The write BIO: gathers during a send ---- */

static void
consume_sigpipe (void)
{
  struct timespec zero = { 0, 0 };
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  while (sigtimedwait (&set, NULL, &zero) > 0);
}

/* Pushes out[out_pos, out_len) into the socket: TRUE when all of it went
 * (the buffer is then freed), else FALSE with errno (EAGAIN: the socket
 * is full, the rest stays). */
static gboolean
out_drain (RgBrokerTls * tls)
{
  while (tls->out_pos < tls->out_len) {
    ssize_t n = send (tls->fd, tls->out + tls->out_pos,
        tls->out_len - tls->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EWOULDBLOCK)
        errno = EAGAIN;
      return FALSE;
    }
    tls->out_pos += n;
  }
  g_free (tls->out);
  tls->out = NULL;
  tls->out_len = tls->out_pos = tls->out_cap = 0;
  return TRUE;
}

/* Appends @len bytes of ciphertext to the buffer. A send keeps within
 * TLS_OUT_SIZE; growing is only a guard against a record larger than
 * expected. */
static void
out_append (RgBrokerTls * tls, const void *data, gsize len)
{
  if (tls->out_len + len > tls->out_cap) {
    tls->out_cap = MAX (tls->out_len + len, TLS_OUT_SIZE);
    tls->out = g_realloc (tls->out, tls->out_cap);
  }
  memcpy (tls->out + tls->out_len, data, len);
  tls->out_len += len;
}

static int
out_bio_write (BIO * bio, const char *data, int len)
{
  RgBrokerTls *tls = BIO_get_data (bio);
  ssize_t n;

  BIO_clear_retry_flags (bio);
  if (tls->gathering) {
    out_append (tls, data, len);
    return len;
  }
  /* Outside a send: after what a send left, straight to the socket. */
  if (tls->out && !out_drain (tls)) {
    if (errno == EAGAIN)
      BIO_set_retry_write (bio);
    return -1;
  }
  do {
    n = send (tls->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    BIO_set_retry_write (bio);
  return n;
}

static long
out_bio_ctrl (BIO * bio, int cmd, long num, void *ptr)
{
  RgBrokerTls *tls = BIO_get_data (bio);

  switch (cmd) {
    case BIO_CTRL_FLUSH:
      /* A send drains its buffer itself when it ends. */
      BIO_clear_retry_flags (bio);
      if (tls->gathering || !tls->out || out_drain (tls))
        return 1;
      if (errno == EAGAIN)
        BIO_set_retry_write (bio);
      return 0;
    case BIO_CTRL_WPENDING:
      return tls->out_len - tls->out_pos;
    default:
      return 0;
  }
}

static gpointer
out_bio_method_new (gpointer unused)
{
  BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK,
      "rg-broker-tls-out");

  BIO_meth_set_write (m, out_bio_write);
  BIO_meth_set_ctrl (m, out_bio_ctrl);
  return m;
}

static BIO_METHOD *
out_bio_method (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, out_bio_method_new, NULL);
}

/* ---- Sessions ---- */

RgBrokerTls *
rg_broker_tls_new (RgBrokerTlsContext * c, int fd)
{
  RgBrokerTls *tls;
  SSL *ssl = SSL_new (c->ctx);
  BIO *rbio, *wbio;

  if (!ssl)
    return NULL;
  rbio = BIO_new_socket (fd, BIO_NOCLOSE);
  wbio = BIO_new (out_bio_method ());
  if (!rbio || !wbio) {
    BIO_free (rbio);
    BIO_free (wbio);
    SSL_free (ssl);
    return NULL;
  }
  tls = g_new0 (RgBrokerTls, 1);
  tls->ssl = ssl;
  tls->fd = fd;
  BIO_set_data (wbio, tls);
  BIO_set_init (wbio, 1);
  SSL_set_bio (ssl, rbio, wbio);
  SSL_set_accept_state (ssl);
  return tls;
}

void
rg_broker_tls_free (RgBrokerTls * tls)
{
  if (!tls)
    return;
  SSL_free (tls->ssl);
  g_free (tls->out);
  g_free (tls->peer_name);
  g_free (tls);
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

/* Encrypts at most one record of @buf into the buffer: the bytes taken,
 * or -1 with errno. */
static ssize_t
tls_encrypt (RgBrokerTls * tls, const void *buf, gsize len)
{
  size_t n = 0;
  int ret;

  ERR_clear_error ();
  errno = 0;
  ret = SSL_write_ex (tls->ssl, buf, MIN (len, TLS_CHUNK), &n);
  if (ret == 1)
    return n;
  if (tls_failed (tls, ret, FALSE) == 0)
    errno = EPIPE;
  return -1;
}

/* Starts a send: FALSE when this call only finishes the previous one
 * (its buffer did not drain), with what to return in @result. */
static gboolean
send_begin (RgBrokerTls * tls, ssize_t * result)
{
  if (tls->owed == 0) {
    tls->gathering = TRUE;
    return TRUE;
  }
  if (!out_drain (tls)) {
    *result = -1;
    return FALSE;
  }
  *result = tls->owed;
  tls->owed = 0;
  return FALSE;
}

/* Ends a send that encrypted @taken bytes (@err: why it stopped early, 0
 * if it did not fail): drains the buffer into the socket. */
static ssize_t
send_end (RgBrokerTls * tls, gsize taken, int err)
{
  tls->gathering = FALSE;
  if (taken == 0 && err != 0) {
    /* Nothing encrypted: what a previous failure left stays queued. */
    if (tls->out && !out_drain (tls) && errno != EAGAIN)
      return -1;
    errno = err;
    return -1;
  }
  if (!tls->out || out_drain (tls))
    return taken;
  if (errno == EAGAIN) {
    GST_LOG ("TLS send: %" G_GSIZE_FORMAT " bytes encrypted, %"
        G_GSIZE_FORMAT " bytes of them wait for the socket", taken,
        tls->out_len - tls->out_pos);
    tls->owed = taken;
  }
  return -1;
}

/* How many bytes from @iov[*i] at *@off, gathered up to one record and
 * stopping before a segment that makes a record alone, fit in @chunk;
 * copies them. */
static gsize
gather_small (const struct iovec *iov, int iovcnt, int i, gsize off,
    guint8 * chunk)
{
  gsize filled = 0;

  for (; i < iovcnt && filled < TLS_CHUNK; i++, off = 0) {
    gsize n = MIN (iov[i].iov_len - off, TLS_CHUNK - filled);

    if (filled > 0 && iov[i].iov_len - off >= TLS_CHUNK)
      break;
    memcpy (chunk + filled, (const guint8 *) iov[i].iov_base + off, n);
    filled += n;
  }
  return filled;
}

ssize_t
rg_broker_tls_send_iov (RgBrokerTls * tls, const struct iovec *iov,
    int iovcnt)
{
  guint8 chunk[TLS_CHUNK];
  gsize taken = 0, off = 0;
  ssize_t r;
  int i = 0, err = 0;

  if (!send_begin (tls, &r))
    return r;
  while (i < iovcnt && tls->out_len < RG_BROKER_TLS_SEND_MAX) {
    gsize left = iov[i].iov_len - off;

    if (left >= TLS_CHUNK) {
      /* A large segment goes straight from its own memory. */
      r = tls_encrypt (tls, (const guint8 *) iov[i].iov_base + off, left);
    } else {
      gsize filled = gather_small (iov, iovcnt, i, off, chunk);

      if (filled == 0) {
        i++;
        off = 0;
        continue;
      }
      r = tls_encrypt (tls, chunk, filled);
    }
    if (r < 0) {
      err = errno;
      break;
    }
    taken += r;
    /* Steps past the @r bytes taken, over the segments they spanned. */
    for (off += r; i < iovcnt && off >= iov[i].iov_len; i++)
      off -= iov[i].iov_len;
  }
  return send_end (tls, taken, err);
}

ssize_t
rg_broker_tls_send_file (RgBrokerTls * tls, int fd, off_t offset, gsize len)
{
  guint8 chunk[TLS_CHUNK];
  gsize taken = 0;
  ssize_t r;
  int err = 0;

  if (!send_begin (tls, &r))
    return r;
  while (taken < len && tls->out_len < RG_BROKER_TLS_SEND_MAX) {
    ssize_t n;

    do {
      n = pread (fd, chunk, MIN (len - taken, TLS_CHUNK), offset + taken);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      /* The file is shorter than the batches it held: it was truncated. */
      err = n == 0 ? EIO : errno;
      break;
    }
    r = tls_encrypt (tls, chunk, n);
    if (r < 0) {
      err = errno;
      break;
    }
    taken += r;
  }
  return send_end (tls, taken, err);
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
