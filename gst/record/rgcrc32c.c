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

/*
 * CRC-32C (Castagnoli): the checksum of Kafka's RecordBatch v2.
 *
 * Polynomial 0x1EDC6F41, processed bit-reflected (0x82F63B78), initial value
 * 0xFFFFFFFF, final xor 0xFFFFFFFF. rg_crc32c() takes and returns the
 * finished (xored) value, like zlib's crc32(), so that a checksum can be
 * continued across several buffers: each entry point undoes the final xor of
 * the previous call, runs the raw register over the new bytes and applies it
 * again.
 *
 * Three implementations, fastest first:
 *  - Intel ISA-L's crc32_iscsi (when built with libisal): folds with PCLMUL
 *    and three interleaved crc32 streams. Its convention differs from ours:
 *    it takes the raw register as init_crc and returns the raw register, so
 *    the standard CRC is ~crc32_iscsi (buf, len, ~crc). Its length is an int,
 *    hence the chunking below.
 *  - the SSE4.2 crc32 instruction, 8 bytes per step, selected at run time on
 *    x86-64 CPUs that have it; it also works on the raw register.
 *  - slicing-by-8: eight 256-entry tables, eight bytes per step, in plain C;
 *    the portable fallback, and the reference the others are tested against.
 *
 * rg_crc32c() uses ISA-L for inputs of 256 bytes and more and the SSE4.2
 * loop below that, where ISA-L's set-up cost dominates; without ISA-L,
 * SSE4.2 throughout; without SSE4.2, slicing-by-8.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "record/rgcrc32c.h"

#include <string.h>

#ifdef RG_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define RG_CRC32C_HAVE_SSE42_CODE 1
#include <nmmintrin.h>
#endif

/* The reflected Castagnoli polynomial. */
#define RG_CRC32C_POLY 0x82F63B78u

/* ISA-L measures lengths in an int; feed it at most this much per call. */
#define RG_CRC32C_ISAL_CHUNK (1u << 30)

/* Below this many bytes rg_crc32c() prefers the SSE4.2 loop to ISA-L. */
#define RG_CRC32C_SMALL_INPUT 256

static guint32 slicing_table[8][256];

static void
slicing_table_init_once (void)
{
  static gsize initialized = 0;
  guint i, k;

  if (!g_once_init_enter (&initialized))
    return;

  for (i = 0; i < 256; i++) {
    guint32 c = i;

    for (k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ RG_CRC32C_POLY : c >> 1;
    slicing_table[0][i] = c;
  }
  /* Table k advances a byte through k further zero bytes, which is what lets
   * one step consume eight bytes at once. */
  for (k = 1; k < 8; k++) {
    for (i = 0; i < 256; i++) {
      guint32 prev = slicing_table[k - 1][i];

      slicing_table[k][i] = (prev >> 8) ^ slicing_table[0][prev & 0xff];
    }
  }

  g_once_init_leave (&initialized, 1);
}

/* Runs the raw (un-xored) register over @len bytes. */
static guint32
crc32c_raw_portable (guint32 crc, const guint8 * p, gsize len)
{
  slicing_table_init_once ();

  while (len >= 8) {
    guint64 w;

    memcpy (&w, p, 8);
    w = GUINT64_FROM_LE (w) ^ crc;
    crc = slicing_table[7][w & 0xff] ^ slicing_table[6][(w >> 8) & 0xff] ^
        slicing_table[5][(w >> 16) & 0xff] ^
        slicing_table[4][(w >> 24) & 0xff] ^
        slicing_table[3][(w >> 32) & 0xff] ^
        slicing_table[2][(w >> 40) & 0xff] ^
        slicing_table[1][(w >> 48) & 0xff] ^ slicing_table[0][w >> 56];
    p += 8;
    len -= 8;
  }
  while (len--)
    crc = (crc >> 8) ^ slicing_table[0][(crc ^ *p++) & 0xff];

  return crc;
}

#ifdef RG_CRC32C_HAVE_SSE42_CODE
__attribute__((target ("sse4.2")))
static guint32
crc32c_raw_sse42 (guint32 crc, const guint8 * p, gsize len)
{
  guint64 c = crc;

  /* Aligned 8-byte loads are cheaper; the head is done bytewise. */
  while (len > 0 && ((guintptr) p & 7) != 0) {
    c = _mm_crc32_u8 ((guint32) c, *p++);
    len--;
  }
  while (len >= 8) {
    guint64 w;

    memcpy (&w, p, 8);
    c = _mm_crc32_u64 (c, w);
    p += 8;
    len -= 8;
  }
  while (len--)
    c = _mm_crc32_u8 ((guint32) c, *p++);

  return (guint32) c;
}

/* Asked on every short rg_crc32c() call, so the answer is cached. */
static gboolean
cpu_has_sse42 (void)
{
  static gsize answer = 0;

  if (g_once_init_enter (&answer)) {
    __builtin_cpu_init ();
    g_once_init_leave (&answer, __builtin_cpu_supports ("sse4.2") ? 2 : 1);
  }
  return answer == 2;
}
#endif

#ifdef RG_HAVE_ISAL
static guint32
crc32c_raw_isal (guint32 crc, const guint8 * p, gsize len)
{
  while (len > 0) {
    gsize n = MIN (len, RG_CRC32C_ISAL_CHUNK);

    /* crc32_iscsi only reads the buffer; its prototype lacks the const. */
    crc = crc32_iscsi ((unsigned char *) p, (int) n, crc);
    p += n;
    len -= n;
  }
  return crc;
}
#endif

/* The implementations rg_crc32c() uses for short and for long inputs,
 * decided once and packed as (short << 8) | long. */
static gsize
auto_choice (void)
{
  static gsize chosen = 0;

  if (g_once_init_enter (&chosen)) {
    RgCrc32cImplementation large = RG_CRC32C_IMPLEMENTATION_PORTABLE;
    RgCrc32cImplementation small;

    if (rg_crc32c_implementation_available (RG_CRC32C_IMPLEMENTATION_ISAL))
      large = RG_CRC32C_IMPLEMENTATION_ISAL;
    else if (rg_crc32c_implementation_available
        (RG_CRC32C_IMPLEMENTATION_SSE42))
      large = RG_CRC32C_IMPLEMENTATION_SSE42;
    small = large;
    if (rg_crc32c_implementation_available (RG_CRC32C_IMPLEMENTATION_SSE42))
      small = RG_CRC32C_IMPLEMENTATION_SSE42;
    g_once_init_leave (&chosen, ((gsize) small << 8) | large);
  }
  return chosen;
}

/* ISA-L's folding code has a fixed cost that the plain crc32 instruction
 * beats below about 256 bytes (measured with tests/bench/rg-bench-crc32c:
 * at 100 B, 2.1 GB/s for ISA-L against 6.7 GB/s), and record framing and
 * small telemetry values are that short. */
static RgCrc32cImplementation
auto_implementation (gsize len)
{
  gsize chosen = auto_choice ();

  if (len < RG_CRC32C_SMALL_INPUT)
    return (RgCrc32cImplementation) (chosen >> 8);
  return (RgCrc32cImplementation) (chosen & 0xff);
}

gboolean
rg_crc32c_implementation_available (RgCrc32cImplementation impl)
{
  switch (impl) {
    case RG_CRC32C_IMPLEMENTATION_AUTO:
    case RG_CRC32C_IMPLEMENTATION_PORTABLE:
      return TRUE;
    case RG_CRC32C_IMPLEMENTATION_ISAL:
#ifdef RG_HAVE_ISAL
      return TRUE;
#else
      return FALSE;
#endif
    case RG_CRC32C_IMPLEMENTATION_SSE42:
#ifdef RG_CRC32C_HAVE_SSE42_CODE
      return cpu_has_sse42 ();
#else
      return FALSE;
#endif
  }
  return FALSE;
}

const gchar *
rg_crc32c_implementation_name (RgCrc32cImplementation impl)
{
  if (impl == RG_CRC32C_IMPLEMENTATION_AUTO)
    impl = auto_implementation (G_MAXSIZE);

  switch (impl) {
    case RG_CRC32C_IMPLEMENTATION_ISAL:
      return "isa-l";
    case RG_CRC32C_IMPLEMENTATION_SSE42:
      return "sse4.2";
    case RG_CRC32C_IMPLEMENTATION_PORTABLE:
      return "slicing-by-8";
    case RG_CRC32C_IMPLEMENTATION_AUTO:
      break;
  }
  return "unknown";
}

guint32
rg_crc32c_with_implementation (RgCrc32cImplementation impl, guint32 crc,
    const guint8 * data, gsize len)
{
  guint32 raw = ~crc;

  g_return_val_if_fail (data != NULL || len == 0, crc);

  if (len == 0)
    return crc;
  if (impl == RG_CRC32C_IMPLEMENTATION_AUTO)
    impl = auto_implementation (len);

  switch (impl) {
#ifdef RG_HAVE_ISAL
    case RG_CRC32C_IMPLEMENTATION_ISAL:
      return ~crc32c_raw_isal (raw, data, len);
#endif
#ifdef RG_CRC32C_HAVE_SSE42_CODE
    case RG_CRC32C_IMPLEMENTATION_SSE42:
      g_return_val_if_fail (cpu_has_sse42 (), crc);
      return ~crc32c_raw_sse42 (raw, data, len);
#endif
    case RG_CRC32C_IMPLEMENTATION_PORTABLE:
      return ~crc32c_raw_portable (raw, data, len);
    default:
      g_return_val_if_reached (crc);
  }
}

guint32
rg_crc32c (guint32 crc, const guint8 * data, gsize len)
{
  return rg_crc32c_with_implementation (RG_CRC32C_IMPLEMENTATION_AUTO, crc,
      data, len);
}
