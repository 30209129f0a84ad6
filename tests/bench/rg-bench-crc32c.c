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

/* Throughput of CRC-32C (gst/record/rgcrc32c.c) on 100 B, 4 KiB and 1 MiB buffers,
 * for every implementation this machine can run, next to memcpy() of the
 * same bytes as a reference for "as fast as touching the memory". Then the
 * cost of encoding one record per batch (header, framing and CRC, value left
 * in place), which is what the journal pays per buffer.
 *
 * Usage: rg-bench-crc32c [SECONDS-PER-CASE]   (default 0.3)
 * Prints a Markdown table; docs/performance.md quotes it. */

#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "record/rgbatch.h"
#include "record/rgcrc32c.h"

static const gsize sizes[] = { 100, 4096, 1024 * 1024 };

static const RgCrc32cImplementation impls[] = {
  RG_CRC32C_IMPLEMENTATION_ISAL, RG_CRC32C_IMPLEMENTATION_SSE42,
  RG_CRC32C_IMPLEMENTATION_PORTABLE,
};

/* Keeps the compiler from discarding the measured work. */
static volatile guint32 sink;

typedef guint64 (*RunFunc) (gpointer data, gsize len, guint64 iterations);

/* Runs @func with growing iteration counts until one run lasts at least
 * @seconds; returns bytes per second of that run. */
static gdouble
measure (RunFunc func, gpointer data, gsize len, gdouble seconds)
{
  guint64 iterations = 16;

  for (;;) {
    gint64 start = g_get_monotonic_time ();
    gdouble elapsed;

    func (data, len, iterations);
    elapsed = (g_get_monotonic_time () - start) / 1e6;
    if (elapsed >= seconds)
      return (gdouble) len * iterations / elapsed;
    iterations *= elapsed > 0.01 ? (guint64) (seconds / elapsed) + 1 : 8;
  }
}

typedef struct
{
  RgCrc32cImplementation impl;
  guint8 *src;
  guint8 *dst;
} Ctx;

static guint64
run_crc (gpointer data, gsize len, guint64 iterations)
{
  Ctx *ctx = data;
  guint32 crc = 0;
  guint64 i;

  for (i = 0; i < iterations; i++)
    crc = rg_crc32c_with_implementation (ctx->impl, crc, ctx->src, len);
  sink = crc;
  return iterations;
}

static guint64
run_memcpy (gpointer data, gsize len, guint64 iterations)
{
  Ctx *ctx = data;
  guint64 i;

  for (i = 0; i < iterations; i++) {
    memcpy (ctx->dst, ctx->src, len);
    /* A dependency on the copy so it cannot be elided. */
    ctx->src[0] = ctx->dst[len - 1];
  }
  sink = ctx->dst[0];
  return iterations;
}

static guint64
run_encode (gpointer data, gsize len, guint64 iterations)
{
  Ctx *ctx = data;
  RgBatchEncoder *encoder = rg_batch_encoder_new ();
  RgRecord record = { 0, };
  guint64 i;

  record.value = ctx->src;
  record.value_len = len;
  for (i = 0; i < iterations; i++) {
    guint n_segments;

    rg_batch_encoder_begin (encoder, (gint64) i);
    record.timestamp = 1700000000000 + (gint64) i;
    if (!rg_batch_encoder_add (encoder, &record, NULL))
      g_error ("encoding failed");
    sink = rg_batch_encoder_finish (encoder, &n_segments, NULL, NULL) != NULL;
  }
  rg_batch_encoder_free (encoder);
  return iterations;
}

static void
print_size_header (void)
{
  guint i;

  g_print ("| | ");
  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    g_print ("%s%s", sizes[i] >= 1024 * 1024 ? "1 MiB" : sizes[i] >= 1024 ?
        "4 KiB" : "100 B", i + 1 < G_N_ELEMENTS (sizes) ? " | " : " |\n");
  g_print ("|---|");
  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    g_print ("---:|");
  g_print ("\n");
}

static void
print_row (const gchar * name, RunFunc func, Ctx * ctx, gdouble seconds,
    gboolean per_item)
{
  guint i;

  g_print ("| %s |", name);
  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    gdouble bps = measure (func, ctx, sizes[i], seconds);

    if (per_item && bps / sizes[i] >= 1e6)
      g_print (" %.2f M/s (%.2f GB/s) |", bps / sizes[i] / 1e6, bps / 1e9);
    else if (per_item)
      g_print (" %.1f k/s (%.2f GB/s) |", bps / sizes[i] / 1e3, bps / 1e9);
    else
      g_print (" %.2f GB/s |", bps / 1e9);
  }
  g_print ("\n");
}

int
main (int argc, char **argv)
{
  gdouble seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 0.3;
  gsize max = sizes[G_N_ELEMENTS (sizes) - 1];
  Ctx ctx;
  guint i;

  gst_init (&argc, &argv);
  if (seconds <= 0)
    seconds = 0.3;
  ctx.src = g_malloc (max);
  ctx.dst = g_malloc (max);
  for (i = 0; i < max; i++)
    ctx.src[i] = (guint8) g_random_int ();
  memset (ctx.dst, 0, max);

  g_print ("rg_crc32c uses %s for long inputs; %s is available for short "
      "ones\n\n", rg_crc32c_implementation_name (RG_CRC32C_IMPLEMENTATION_AUTO),
      rg_crc32c_implementation_available (RG_CRC32C_IMPLEMENTATION_SSE42) ?
      "sse4.2" : "nothing faster");
  print_size_header ();
  for (i = 0; i < G_N_ELEMENTS (impls); i++) {
    gchar *name;

    if (!rg_crc32c_implementation_available (impls[i]))
      continue;
    ctx.impl = impls[i];
    name = g_strdup_printf ("CRC-32C %s",
        rg_crc32c_implementation_name (impls[i]));
    print_row (name, run_crc, &ctx, seconds, FALSE);
    g_free (name);
  }
  ctx.impl = RG_CRC32C_IMPLEMENTATION_AUTO;
  print_row ("rg_crc32c (auto)", run_crc, &ctx, seconds, FALSE);
  print_row ("memcpy (reference)", run_memcpy, &ctx, seconds, FALSE);
  g_print ("\n");
  print_size_header ();
  print_row ("encode 1-record batch (CRC included, value not copied)",
      run_encode, &ctx, seconds, TRUE);

  g_free (ctx.src);
  g_free (ctx.dst);
  return 0;
}
