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

/* The test-only Kafka client side described in kafkawire.h. */

#include <gst/check/gstcheck.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafkawire.h"

void
kw_put16 (GByteArray * b, gint16 v)
{
  guint8 x[2];

  GST_WRITE_UINT16_BE (x, (guint16) v);
  g_byte_array_append (b, x, 2);
}

void
kw_put32 (GByteArray * b, gint32 v)
{
  guint8 x[4];

  GST_WRITE_UINT32_BE (x, (guint32) v);
  g_byte_array_append (b, x, 4);
}

void
kw_put64 (GByteArray * b, gint64 v)
{
  guint8 x[8];

  GST_WRITE_UINT64_BE (x, (guint64) v);
  g_byte_array_append (b, x, 8);
}

void
kw_putstr (GByteArray * b, const gchar * s)
{
  kw_put16 (b, s ? (gint16) strlen (s) : -1);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

GByteArray *
kw_request_new (gint16 key, gint16 version, gint32 correlation_id)
{
  GByteArray *b = g_byte_array_new ();

  kw_put32 (b, 0);
  kw_put16 (b, key);
  kw_put16 (b, version);
  kw_put32 (b, correlation_id);
  kw_putstr (b, "gst-rg-test");
  return b;
}

GByteArray *
kw_request_finish (GByteArray * b)
{
  GST_WRITE_UINT32_BE (b->data, b->len - 4);
  return b;
}

gint64
kw_get (KwReader * r, guint n)
{
  guint64 v = 0;
  guint i;

  fail_unless (r->p + n <= r->end, "response truncated");
  for (i = 0; i < n; i++)
    v = (v << 8) | r->p[i];
  r->p += n;
  if (n == 2)
    return (gint16) v;
  if (n == 4)
    return (gint32) v;
  return (gint64) v;
}

void
kw_skip_str (KwReader * r)
{
  gint16 len = kw_get (r, 2);

  if (len > 0)
    r->p += len;
}

int
kw_connect (guint port, guint timeout_s)
{
  struct sockaddr_in sin = { 0, };
  struct timeval tv = { timeout_s, 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (fd >= 0);
  fail_unless (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0,
      "connect: %s", g_strerror (errno));
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
  return fd;
}

void
kw_send_all (int fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    ssize_t n = send (fd, data, len, MSG_NOSIGNAL);

    fail_unless (n > 0, "send: %s", g_strerror (errno));
    data += n;
    len -= n;
  }
}

void
kw_send_request (int fd, GByteArray * req)
{
  kw_send_all (fd, req->data, req->len);
  g_byte_array_unref (req);
}

gboolean
kw_recv_all (int fd, guint8 * data, gsize len)
{
  while (len > 0) {
    ssize_t n = recv (fd, data, len, 0);

    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

guint8 *
kw_recv_frame (int fd, gint32 correlation_id, gsize * size)
{
  guint8 prefix[4];
  guint8 *body;

  fail_unless (kw_recv_all (fd, prefix, 4), "no response: %s",
      g_strerror (errno));
  *size = GST_READ_UINT32_BE (prefix);
  fail_unless (*size >= 4 && *size < 64 * 1024 * 1024);
  body = g_malloc (*size);
  fail_unless (kw_recv_all (fd, body, *size), "response cut short");
  fail_unless_equals_int (GST_READ_UINT32_BE (body), correlation_id);
  return body;
}

/* A loopback port no one listens on now (bound, read, released). */
guint
kw_free_port (void)
{
  struct sockaddr_in sin = { 0, };
  socklen_t len = sizeof (sin);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint port;

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0);
  getsockname (fd, (struct sockaddr *) &sin, &len);
  port = ntohs (sin.sin_port);
  close (fd);
  return port;
}
