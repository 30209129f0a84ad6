/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A test-only Kafka client side, written byte by byte so that the broker's
 * codec is checked against an independent writer and not only against
 * itself: request framing (size prefix, request header v1), big-endian
 * field writers, a bounds-checked response reader and blocking loopback
 * sockets. The tests of the broker (broker.c, brokeringest.c) share it. */

#ifndef __RG_TEST_KAFKA_WIRE_H__
#define __RG_TEST_KAFKA_WIRE_H__

#include <glib.h>

G_BEGIN_DECLS

void kw_put16 (GByteArray * b, gint16 v);
void kw_put32 (GByteArray * b, gint32 v);
void kw_put64 (GByteArray * b, gint64 v);
/* A Kafka STRING; NULL writes the null string (length -1). */
void kw_putstr (GByteArray * b, const gchar * s);

/* Starts a request: the size placeholder and a v1 header. */
GByteArray *kw_request_new (gint16 key, gint16 version, gint32 correlation_id);
/* Fills in the size prefix; returns @b. */
GByteArray *kw_request_finish (GByteArray * b);

/* Reads a response body; every read past its end fails the test. */
typedef struct
{
  const guint8 *p;
  const guint8 *end;
} KwReader;

/* A big-endian signed integer of @n (2, 4 or 8) bytes. */
gint64 kw_get (KwReader * r, guint n);
void kw_skip_str (KwReader * r);

/* A blocking connection to 127.0.0.1:@port whose reads time out after
 * @timeout_s seconds (a hung broker fails the test instead of hanging it). */
int kw_connect (guint port, guint timeout_s);

/* A loopback port no one listens on now. */
guint kw_free_port (void);
void kw_send_all (int fd, const guint8 * data, gsize len);
/* Sends @req and frees it. */
void kw_send_request (int fd, GByteArray * req);
/* Reads exactly @len bytes; FALSE at end of stream or on an error. */
gboolean kw_recv_all (int fd, guint8 * data, gsize len);
/* Reads one response frame, checks its correlation id and returns its
 * body (g_free() it) and size. Uses g_malloc only, so that threads that
 * must stay out of GLib's slice allocator (under TSan) may call it. */
guint8 *kw_recv_frame (int fd, gint32 correlation_id, gsize * size);

G_END_DECLS

#endif /* __RG_TEST_KAFKA_WIRE_H__ */
