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
 * TLS on the broker's non-blocking sockets (rgbrokertls.c), with
 * OpenSSL: the server context (certificate, key, optional client CA) and
 * one session per connection whose read and write calls behave like
 * recv() and send() on a non-blocking socket, so the connection layer
 * (rgbrokerconn.c) keeps its loop: -1 with errno EAGAIN when the socket
 * must become readable or writable first (rg_broker_tls_wants_write()
 * says which the last read needs), 0 when the peer closed. Not installed.
 *
 * Thread-safety: a context is shared by every connection of a broker and
 * used read-only after creation; a session is used by one thread at a
 * time (the loop thread, or a send thread during a send phase).
 *
 * Ownership: a session references its context; the caller owns the
 * descriptor and closes it after freeing the session.
 */

#ifndef __RG_BROKER_TLS_H__
#define __RG_BROKER_TLS_H__

#include <glib.h>
#include <sys/types.h>
#include <sys/uio.h>

G_BEGIN_DECLS

typedef struct _RgBrokerTlsContext RgBrokerTlsContext;
typedef struct _RgBrokerTls RgBrokerTls;

/* A server context from PEM files: @certificate (the chain, leaf first),
 * @key, and when @ca is set, the CA clients must present a certificate
 * of (client authentication). Errors: %RG_BROKER_ERROR_SECURITY with OpenSSL's
 * reason and the file it concerns. */
RgBrokerTlsContext *rg_broker_tls_context_new (const gchar * certificate,
    const gchar * key, const gchar * ca, GError ** error);
void rg_broker_tls_context_free (RgBrokerTlsContext * ctx);

/* Whether clients of @ctx must present a certificate. */
gboolean rg_broker_tls_context_verifies_clients (RgBrokerTlsContext * ctx);

/* A session on the accepted socket @fd; NULL when OpenSSL is out of
 * memory. */
RgBrokerTls *rg_broker_tls_new (RgBrokerTlsContext * ctx, int fd);
void rg_broker_tls_free (RgBrokerTls * tls);

/* Reads decrypted bytes (the handshake runs inside the first reads). */
ssize_t rg_broker_tls_read (RgBrokerTls * tls, void *buf, gsize len);

/* Whether the last read returned EAGAIN because the socket must become
 * writable (a handshake message did not fit). */
gboolean rg_broker_tls_wants_write (RgBrokerTls * tls);

/* Whether decrypted bytes wait inside the session: epoll cannot see them,
 * so the caller reads again when it has room. */
gboolean rg_broker_tls_has_pending (RgBrokerTls * tls);

/* The largest TLS record's payload. */
#define RG_BROKER_TLS_RECORD_MAX (16 * 1024)

/* How much clear text one send encrypts (in records of at most
 * RG_BROKER_TLS_RECORD_MAX) before the ciphertext goes to the socket
 * together: a caller need not gather more for one call. */
#define RG_BROKER_TLS_SEND_MAX (256 * 1024)

/* Encrypts and sends from @iov, like sendmsg(): about
 * RG_BROKER_TLS_SEND_MAX bytes at most. A retry after EAGAIN must pass the
 * same bytes again (the connection layer does: it resends from where it
 * stood); the bytes may already be encrypted, and the retry then only
 * finishes sending them. While a send's ciphertext waits for the socket
 * the session holds a buffer of about RG_BROKER_TLS_SEND_MAX, freed once
 * it has gone. */
ssize_t rg_broker_tls_send_iov (RgBrokerTls * tls, const struct iovec *iov,
    int iovcnt);

/* Reads @len bytes of @fd at @offset and sends them encrypted: the part of
 * sendfile() that TLS allows (kernel TLS aside). The same limit, retry
 * rule and buffer as rg_broker_tls_send_iov(). */
ssize_t rg_broker_tls_send_file (RgBrokerTls * tls, int fd, off_t offset,
    gsize len);

/* The common name of the client's verified certificate (transfer none),
 * NULL when it presented none or the handshake is not over. */
const gchar *rg_broker_tls_get_peer_name (RgBrokerTls * tls);

G_END_DECLS

#endif /* __RG_BROKER_TLS_H__ */
