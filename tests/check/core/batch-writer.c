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
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* Writes a few record batches to the file named on the command line, with
 * writev() straight from the encoder's segments, the way the journal does.
 * batch_compat.py reads the file back with kafka-python and checks every
 * offset, timestamp, key, value and header against its own copy of the
 * rules below; keep the two in step.
 *
 *  batch 0, baseOffset 0:
 *   offset 0: ts 1700000000000, key "cam-1", value bytes 0..255, envelope
 *             pts 1 s, dts 0.9 s, duration 40 ms, flags DELTA_UNIT|MARKER,
 *             caps CAPS, then header "site" = "lab\0\xff"
 *   offset 1: ts 1700000000040, null key, empty value, envelope with every
 *             time NONE and no flags, no caps
 *   offset 2: ts 1700000000020, key "cam-1", null value, header
 *             "null-header" with a null value
 *  batch 1, baseOffset 3:
 *   offset 3: ts 1700000001000, key "k", value (i * 7) & 0xff for i below
 *             100000, given to the encoder as two chunks; envelope pts 2 s,
 *             dts 2 s, duration 40 ms, flags HEADER, caps CAPS
 *  batch 2, baseOffset 4:
 *   offsets 4..53 (i = 0..49): ts 1700000002000 + i, key "sensor-<i % 3>",
 *             value "record-<i>", header "i" = "<i>"
 */

#include <gst/gst.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "record/rgbatch.h"

#define CAPS "video/x-h264, stream-format=(string)byte-stream, " \
  "alignment=(string)au"

/* Encodes the encoder's batch and writes it with one writev(). */
static gboolean
write_batch (int fd, RgBatchEncoder * encoder)
{
  const struct iovec *segs;
  guint n_segs = 0;
  gsize size = 0;
  gssize written;

  segs = rg_batch_encoder_finish (encoder, &n_segs, &size, NULL);
  written = writev (fd, segs, (int) n_segs);
  if (written != (gssize) size) {
    g_printerr ("writev wrote %" G_GSSIZE_FORMAT " of %" G_GSIZE_FORMAT
        " bytes\n", written, size);
    return FALSE;
  }
  return TRUE;
}

static GstBuffer *
make_buffer (GstClockTime pts, GstClockTime dts, GstClockTime duration,
    GstBufferFlags flags)
{
  GstBuffer *buf = gst_buffer_new ();

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_DURATION (buf) = duration;
  GST_BUFFER_FLAG_SET (buf, flags);
  return buf;
}

static gboolean
add (RgBatchEncoder * encoder, const RgRecord * record)
{
  GError *error = NULL;

  if (rg_batch_encoder_add (encoder, record, &error))
    return TRUE;
  g_printerr ("encoding failed: %s\n", error->message);
  g_error_free (error);
  return FALSE;
}

static gboolean
write_batch0 (int fd, RgBatchEncoder * encoder)
{
  guint8 binary[256];
  RgRecordHeader headers[RG_ENVELOPE_MAX_HEADERS + 1];
  RgRecordHeader null_header = { "null-header", 11, NULL, 0 };
  RgEnvelope env0, env1;
  GstBuffer *b0, *b1;
  RgRecord r = { 0, };
  gboolean ok;
  guint i;

  for (i = 0; i < 256; i++)
    binary[i] = i;
  b0 = make_buffer (GST_SECOND, 900 * GST_MSECOND, 40 * GST_MSECOND,
      GST_BUFFER_FLAG_DELTA_UNIT | GST_BUFFER_FLAG_MARKER);
  b1 = make_buffer (GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, 0);
  rg_envelope_init (&env0, b0, CAPS);
  rg_envelope_init (&env1, b1, NULL);
  memcpy (headers, env0.headers, sizeof (RgRecordHeader) * env0.n_headers);
  headers[env0.n_headers].key = "site";
  headers[env0.n_headers].key_len = 4;
  headers[env0.n_headers].value = (const guint8 *) "lab\0\xff";
  headers[env0.n_headers].value_len = 5;

  rg_batch_encoder_begin (encoder, 0);
  r.timestamp = 1700000000000;
  r.key = (const guint8 *) "cam-1";
  r.key_len = 5;
  r.value = binary;
  r.value_len = sizeof (binary);
  r.headers = headers;
  r.n_headers = env0.n_headers + 1;
  ok = add (encoder, &r);

  r.timestamp = 1700000000040;
  r.key = NULL;
  r.value = (const guint8 *) "";
  r.value_len = 0;
  r.headers = env1.headers;
  r.n_headers = env1.n_headers;
  ok = ok && add (encoder, &r);

  r.timestamp = 1700000000020;
  r.key = (const guint8 *) "cam-1";
  r.value = NULL;
  r.headers = &null_header;
  r.n_headers = 1;
  ok = ok && add (encoder, &r) && write_batch (fd, encoder);

  gst_buffer_unref (b0);
  gst_buffer_unref (b1);
  return ok;
}

static gboolean
write_batch1 (int fd, RgBatchEncoder * encoder)
{
  const gsize len = 100000;
  guint8 *value = g_malloc (len);
  struct iovec chunks[2];
  RgEnvelope env;
  GstBuffer *buf;
  RgRecord r = { 0, };
  gboolean ok;
  gsize i;

  for (i = 0; i < len; i++)
    value[i] = (guint8) (i * 7);
  chunks[0].iov_base = value;
  chunks[0].iov_len = 4096;
  chunks[1].iov_base = value + 4096;
  chunks[1].iov_len = len - 4096;
  buf = make_buffer (2 * GST_SECOND, 2 * GST_SECOND, 40 * GST_MSECOND,
      GST_BUFFER_FLAG_HEADER);
  rg_envelope_init (&env, buf, CAPS);

  rg_batch_encoder_begin (encoder, 3);
  r.timestamp = 1700000001000;
  r.key = (const guint8 *) "k";
  r.key_len = 1;
  r.value_chunks = chunks;
  r.n_value_chunks = 2;
  r.headers = env.headers;
  r.n_headers = env.n_headers;
  ok = add (encoder, &r) && write_batch (fd, encoder);

  gst_buffer_unref (buf);
  g_free (value);
  return ok;
}

static gboolean
write_batch2 (int fd, RgBatchEncoder * encoder)
{
  gchar keys[50][16], values[50][16], numbers[50][8];
  RgRecordHeader headers[50];
  RgRecord r = { 0, };
  gint i;

  rg_batch_encoder_begin (encoder, 4);
  for (i = 0; i < 50; i++) {
    g_snprintf (keys[i], sizeof (keys[i]), "sensor-%d", i % 3);
    g_snprintf (values[i], sizeof (values[i]), "record-%d", i);
    g_snprintf (numbers[i], sizeof (numbers[i]), "%d", i);
    headers[i].key = "i";
    headers[i].key_len = 1;
    headers[i].value = (const guint8 *) numbers[i];
    headers[i].value_len = strlen (numbers[i]);
    r.timestamp = 1700000002000 + i;
    r.key = (const guint8 *) keys[i];
    r.key_len = strlen (keys[i]);
    r.value = (const guint8 *) values[i];
    r.value_len = strlen (values[i]);
    r.headers = &headers[i];
    r.n_headers = 1;
    if (!add (encoder, &r))
      return FALSE;
  }
  return write_batch (fd, encoder);
}

int
main (int argc, char **argv)
{
  RgBatchEncoder *encoder;
  gboolean ok;
  int fd;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: %s OUTPUT-FILE\n", argv[0]);
    return 2;
  }
  fd = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    g_printerr ("cannot open %s: %s\n", argv[1], g_strerror (errno));
    return 1;
  }
  encoder = rg_batch_encoder_new ();
  ok = write_batch0 (fd, encoder) && write_batch1 (fd, encoder)
      && write_batch2 (fd, encoder);
  rg_batch_encoder_free (encoder);
  if (close (fd) != 0)
    ok = FALSE;
  return ok ? 0 : 1;
}
