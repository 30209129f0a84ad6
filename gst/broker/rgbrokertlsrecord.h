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
 * The write half of a TLS 1.3 record layer for application data
 * (rgbrokertlsrecord.c): seals clear text taken straight from the
 * caller's memory into records in the caller's buffer, with the server's
 * application traffic secret that OpenSSL negotiated and the sequence
 * number OpenSSL stopped at. Used by rgbrokertls.c once a session's
 * handshake is over; not installed.
 *
 * Thread-safety: a writer is used by one thread at a time (its session's).
 * Ownership: the caller owns the buffers; a writer copies the secret and
 * wipes it when freed.
 */

#ifndef __RG_BROKER_TLS_RECORD_H__
#define __RG_BROKER_TLS_RECORD_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RgTlsRecordWriter RgTlsRecordWriter;

/* A record's header: type, version, length. */
#define RG_TLS_RECORD_HEADER 5

/* What a record adds after its clear text: the inner content type and
 * the AEAD tag. */
#define RG_TLS_RECORD_TRAILER 17

/* A KeyUpdate record, whole. */
#define RG_TLS_RECORD_KEY_UPDATE (RG_TLS_RECORD_HEADER + 5 \
    + RG_TLS_RECORD_TRAILER)

/* A writer for the TLS 1.3 cipher suite @suite (its two-byte code:
 * 0x1301 AES-128-GCM, 0x1302 AES-256-GCM, 0x1303 ChaCha20-Poly1305) with
 * the traffic @secret (the suite's hash length), the next record being
 * number @seq under it. NULL for another suite or a secret of the wrong
 * length. */
RgTlsRecordWriter *rg_tls_record_writer_new (guint suite,
    const guint8 * secret, gsize secret_len, guint64 seq);
void rg_tls_record_writer_free (RgTlsRecordWriter * w);

/* Starts a record of @len bytes of application data (at most 16 KiB):
 * writes its header to @header. FALSE when the cipher failed. */
gboolean rg_tls_record_begin (RgTlsRecordWriter * w, gsize len,
    guint8 * header);

/* Seals the next @len bytes of the record's clear text from @in into
 * @out (the same place or apart, never overlapping otherwise). */
gboolean rg_tls_record_add (RgTlsRecordWriter * w, const guint8 * in,
    gsize len, guint8 * out);

/* Ends the record: writes its RG_TLS_RECORD_TRAILER bytes to @out. */
gboolean rg_tls_record_end (RgTlsRecordWriter * w, guint8 * out);

/* Whether the key has sealed as many records as it should (RFC 8446
 * section 5.5) or the peer asked for new keys: the next send should
 * start with rg_tls_record_key_update(). */
gboolean rg_tls_record_wants_key_update (RgTlsRecordWriter * w);

/* Writes a KeyUpdate (update_not_requested) sealed with the current key
 * to @out, RG_TLS_RECORD_KEY_UPDATE bytes, then moves to the next
 * traffic secret (RFC 8446 section 7.2) with its sequence at 0. */
gboolean rg_tls_record_key_update (RgTlsRecordWriter * w, guint8 * out);

/* The peer sent a KeyUpdate with update_requested: the next send answers
 * with one of ours. */
void rg_tls_record_request_key_update (RgTlsRecordWriter * w);

/* Records one key may seal before the writer updates it (tests lower it
 * to see key updates in a short stream). */
void rg_tls_record_set_records_per_key (guint64 records);

G_END_DECLS

#endif /* __RG_BROKER_TLS_RECORD_H__ */
