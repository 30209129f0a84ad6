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
 * text, record after record, into a per-connection ciphertext buffer,
 * then hands the buffer to the socket in as few send() calls as it takes
 * (one send() per 16 KiB record cost the broker a system call and a pass
 * through the TCP stack per record, and the reader a segment per record).
 *
 * Sealing (TLS 1.3): once the handshake is over, the session seals its
 * application data itself (rgbrokertlsrecord.c), from the output's own
 * memory straight into the buffer. OpenSSL 3.0 would copy each record's
 * clear text into its write buffer, encrypt it there and hand it to the
 * BIO to be copied into ours: two copies of every byte, 8% of the CPU
 * of rg-bench-tls's TLS runs (docs/performance.md). Taking over is safe only with OpenSSL's keys and record
 * number, and only if OpenSSL never writes under that key again:
 *   - the key: the server's application traffic secret comes from
 *     OpenSSL's key-log callback (SERVER_TRAFFIC_SECRET_0), the one
 *     public way OpenSSL 3.0 gives it out; it is kept only until the
 *     takeover, and wiped;
 *   - the number: the message callback reports every record OpenSSL
 *     seals (SSL3_RT_HEADER, write side); those after the secret was made
 *     (the session tickets, answers sent before the takeover) are counted,
 *     and the first record of ours takes the next number;
 *   - the takeover waits until the handshake is finished and the write
 *     BIO has taken all OpenSSL gave it (nothing sealed is left inside
 *     OpenSSL to come out after our records);
 *   - afterwards the write BIO drops whatever OpenSSL still writes (an
 *     alert before a close, a session ticket): it would reuse our record
 *     numbers under our key. A KeyUpdate the client asks for is answered by
 *     our own; one OpenSSL sent before the takeover changed its key, and
 *     the session then stays with OpenSSL's path.
 * TLS 1.2 sessions, and any session the takeover refused, keep OpenSSL's
 * path: SSL_write_ex() one record at a time, the write BIO appending each
 * to the buffer. The clear text is not copied by us there either: a large
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
 * connection to the SSL object, its handshake state and our record writer
 * (its cipher context: about 1.4 KiB). Without the mode (buffers kept
 * for the session's life) OpenSSL's path measured no faster; and once we
 * seal, OpenSSL's write buffer serves only the few records it still
 * writes itself.
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
#include "broker/rgbrokertlsrecord.h"

#include <errno.h>
#include <openssl/crypto.h>
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
  /* Sealing application data ourselves (see the top of the file): the
   * server's application traffic secret until the takeover, the records
   * OpenSSL sealed under it, whether OpenSSL holds ciphertext the write
   * BIO has not taken, and after the takeover the writer. */
  guint8 secret[EVP_MAX_MD_SIZE];
  gsize secret_len;
  gboolean counting;
  guint64 sealed_by_openssl;
  gboolean bio_short;
  gboolean no_writer;
  /* The client asked for new keys before the takeover. */
  gboolean update_asked;
  RgTlsRecordWriter *writer;
  /* The cipher failed in the middle of a record, whose number is then
   * spent: the session sends nothing more. */
  gboolean sealing_failed;
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

/* The key-log callback: keeps the server's application traffic secret,
 * "SERVER_TRAFFIC_SECRET_0 <client random> <secret>" in hexadecimal, and
 * starts counting the records OpenSSL seals under it. */
static void
keylog_cb (const SSL * ssl, const char *line)
{
  static const gchar label[] = "SERVER_TRAFFIC_SECRET_0 ";
  RgBrokerTls *tls = SSL_get_app_data (ssl);
  const gchar *hex;
  gsize n = 0;

  if (!tls || !g_str_has_prefix (line, label))
    return;
  hex = strchr (line + strlen (label), ' ');
  if (!hex)
    return;
  for (hex++; g_ascii_isxdigit (hex[0]) && g_ascii_isxdigit (hex[1])
      && n < sizeof (tls->secret); hex += 2)
    tls->secret[n++] = g_ascii_xdigit_value (hex[0]) << 4
        | g_ascii_xdigit_value (hex[1]);
  tls->secret_len = *hex == '\0' ? n : 0;
  tls->counting = TRUE;
  tls->sealed_by_openssl = 0;
}

/* The message callback: counts the records OpenSSL seals (their headers
 * on the write side), notes a KeyUpdate OpenSSL sends (its key is then
 * no longer the one we hold) and one the client asks us for. */
static void
msg_cb (int write_p, int version, int content_type, const void *buf,
    size_t len, SSL * ssl, void *arg)
{
  RgBrokerTls *tls = SSL_get_app_data (ssl);
  const guint8 *p = buf;

  if (!tls)
    return;
  if (write_p && content_type == SSL3_RT_HEADER && tls->counting)
    tls->sealed_by_openssl++;
  if (content_type != SSL3_RT_HANDSHAKE || len < 5
      || p[0] != SSL3_MT_KEY_UPDATE)
    return;
  if (write_p && !tls->writer)
    tls->no_writer = TRUE;
  else if (!write_p && p[4] == SSL_KEY_UPDATE_REQUESTED && tls->writer)
    rg_tls_record_request_key_update (tls->writer);
  else if (!write_p && p[4] == SSL_KEY_UPDATE_REQUESTED)
    tls->update_asked = TRUE;
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
  SSL_CTX_set_keylog_callback (c->ctx, keylog_cb);
  SSL_CTX_set_msg_callback (c->ctx, msg_cb);
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

/* Room for @len more bytes at the end of the buffer. */
static guint8 *
out_reserve (RgBrokerTls * tls, gsize len)
{
  if (tls->out_len + len > tls->out_cap) {
    tls->out_cap = MAX (tls->out_len + len, TLS_OUT_SIZE);
    tls->out = g_realloc (tls->out, tls->out_cap);
  }
  return tls->out + tls->out_len;
}

/* Appends @len bytes of ciphertext to the buffer. A send keeps within
 * TLS_OUT_SIZE; growing is only a guard against a record larger than
 * expected. */
static void
out_append (RgBrokerTls * tls, const void *data, gsize len)
{
  memcpy (out_reserve (tls, len), data, len);
  tls->out_len += len;
}

static int
out_bio_write (BIO * bio, const char *data, int len)
{
  RgBrokerTls *tls = BIO_get_data (bio);
  ssize_t n;

  BIO_clear_retry_flags (bio);
  /* After the takeover OpenSSL's records would reuse our numbers. */
  if (tls->writer) {
    GST_DEBUG ("TLS: %d bytes OpenSSL wrote after the takeover dropped",
        len);
    return len;
  }
  if (tls->gathering) {
    out_append (tls, data, len);
    return len;
  }
  /* Outside a send: after what a send left, straight to the socket. */
  tls->bio_short = TRUE;
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
  /* OpenSSL offers again whatever was not taken. */
  tls->bio_short = n != len;
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
  SSL_set_app_data (ssl, tls);
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
  rg_tls_record_writer_free (tls->writer);
  OPENSSL_cleanse (tls->secret, sizeof (tls->secret));
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

/* Takes the sealing of application data over from OpenSSL when it is
 * safe (see the top of the file); a session that cannot never tries
 * again. */
static void
writer_take_over (RgBrokerTls * tls)
{
  const SSL_CIPHER *cipher;

  if (tls->writer || tls->no_writer || tls->bio_short
      || !SSL_is_init_finished (tls->ssl))
    return;
  cipher = SSL_get_current_cipher (tls->ssl);
  if (SSL_version (tls->ssl) == TLS1_3_VERSION && cipher && tls->secret_len)
    tls->writer = rg_tls_record_writer_new (SSL_CIPHER_get_protocol_id
        (cipher), tls->secret, tls->secret_len, tls->sealed_by_openssl);
  /* OpenSSL has not answered (it would have changed its key): we do. */
  if (tls->writer && tls->update_asked)
    rg_tls_record_request_key_update (tls->writer);
  GST_DEBUG ("TLS: application data sealed by %s after %" G_GUINT64_FORMAT
      " records of OpenSSL's", tls->writer ? "us" : "OpenSSL",
      tls->sealed_by_openssl);
  OPENSSL_cleanse (tls->secret, sizeof (tls->secret));
  tls->secret_len = 0;
  tls->no_writer = tls->writer == NULL;
}

/* Starts a send: FALSE when this call only finishes the previous one
 * (its buffer did not drain), with what to return in @result. */
static gboolean
send_begin (RgBrokerTls * tls, ssize_t * result)
{
  if (tls->sealing_failed) {
    errno = EPROTO;
    *result = -1;
    return FALSE;
  }
  if (tls->owed == 0) {
    writer_take_over (tls);
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

/* ---- Sealing ourselves (TLS 1.3 after the takeover) ---- */

/* Seals a KeyUpdate into the buffer first when the key is due one. */
static gboolean
seal_key_update (RgBrokerTls * tls)
{
  if (!rg_tls_record_wants_key_update (tls->writer))
    return TRUE;
  if (!rg_tls_record_key_update (tls->writer, out_reserve (tls,
              RG_TLS_RECORD_KEY_UPDATE)))
    return FALSE;
  GST_DEBUG ("TLS: key updated");
  tls->out_len += RG_TLS_RECORD_KEY_UPDATE;
  return TRUE;
}

/* Seals one record of up to TLS_CHUNK bytes from @iov[*@i] at *@off
 * straight into the buffer and steps past them: the bytes taken, 0 when
 * none are left, -1 (errno EPROTO) when the cipher failed. */
static ssize_t
seal_iov_record (RgBrokerTls * tls, const struct iovec *iov, int iovcnt,
    int *i, gsize * off)
{
  gsize len = 0, n, o = *off;
  guint8 *rec, *p;
  int j;

  for (j = *i; j < iovcnt && len < TLS_CHUNK; j++, o = 0)
    len += MIN (iov[j].iov_len - o, TLS_CHUNK - len);
  if (len == 0)
    return 0;
  if (!seal_key_update (tls))
    goto failed;
  rec = out_reserve (tls, RG_TLS_RECORD_HEADER + len + RG_TLS_RECORD_TRAILER);
  if (!rg_tls_record_begin (tls->writer, len, rec))
    goto failed;
  p = rec + RG_TLS_RECORD_HEADER;
  for (n = 0; n < len;) {
    gsize k = MIN (iov[*i].iov_len - *off, len - n);

    if (k > 0 && !rg_tls_record_add (tls->writer,
            (const guint8 *) iov[*i].iov_base + *off, k, p))
      goto failed;
    p += k;
    n += k;
    *off += k;
    if (*off == iov[*i].iov_len) {
      (*i)++;
      *off = 0;
    }
  }
  if (!rg_tls_record_end (tls->writer, p))
    goto failed;
  tls->out_len += RG_TLS_RECORD_HEADER + len + RG_TLS_RECORD_TRAILER;
  return len;

failed:
  tls->sealing_failed = TRUE;
  errno = EPROTO;
  return -1;
}

static ssize_t
seal_iov (RgBrokerTls * tls, const struct iovec *iov, int iovcnt)
{
  gsize taken = 0, off = 0;
  int i = 0, err = 0;

  while (tls->out_len < RG_BROKER_TLS_SEND_MAX) {
    ssize_t r = seal_iov_record (tls, iov, iovcnt, &i, &off);

    if (r <= 0) {
      err = r < 0 ? errno : 0;
      break;
    }
    taken += r;
  }
  return send_end (tls, taken, err);
}

/* Reads a record's worth of @fd at @offset into the buffer and seals it
 * there: the bytes taken, or -1 with errno. */
static ssize_t
seal_file_record (RgBrokerTls * tls, int fd, off_t offset, gsize len)
{
  guint8 *rec, *body;
  ssize_t n;

  if (!seal_key_update (tls))
    goto failed;
  len = MIN (len, TLS_CHUNK);
  rec = out_reserve (tls, RG_TLS_RECORD_HEADER + len + RG_TLS_RECORD_TRAILER);
  body = rec + RG_TLS_RECORD_HEADER;
  do {
    n = pread (fd, body, len, offset);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    /* The file is shorter than the batches it held: it was truncated. */
    if (n == 0)
      errno = EIO;
    return -1;
  }
  if (!rg_tls_record_begin (tls->writer, n, rec)
      || !rg_tls_record_add (tls->writer, body, n, body)
      || !rg_tls_record_end (tls->writer, body + n))
    goto failed;
  tls->out_len += RG_TLS_RECORD_HEADER + n + RG_TLS_RECORD_TRAILER;
  return n;

failed:
  tls->sealing_failed = TRUE;
  errno = EPROTO;
  return -1;
}

static ssize_t
seal_file (RgBrokerTls * tls, int fd, off_t offset, gsize len)
{
  gsize taken = 0;
  int err = 0;

  while (taken < len && tls->out_len < RG_BROKER_TLS_SEND_MAX) {
    ssize_t r = seal_file_record (tls, fd, offset + taken, len - taken);

    if (r < 0) {
      err = errno;
      break;
    }
    taken += r;
  }
  return send_end (tls, taken, err);
}

/* ---- Sends ---- */

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
  if (tls->writer)
    return seal_iov (tls, iov, iovcnt);
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
  if (tls->writer)
    return seal_file (tls, fd, offset, len);
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
