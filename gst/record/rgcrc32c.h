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

#ifndef __RG_CRC32C_H__
#define __RG_CRC32C_H__

#include <glib.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * RgCrc32cImplementation:
 * @RG_CRC32C_IMPLEMENTATION_AUTO: the fastest one available on this machine
 *   for the input's length (what rg_crc32c() uses): ISA-L from 256 bytes
 *   on, SSE4.2 below that.
 * @RG_CRC32C_IMPLEMENTATION_ISAL: Intel ISA-L's crc32_iscsi (only when the
 *   library was built against libisal).
 * @RG_CRC32C_IMPLEMENTATION_SSE42: the x86-64 SSE4.2 `crc32` instruction,
 *   8 bytes per step (only on x86-64 CPUs that have it).
 * @RG_CRC32C_IMPLEMENTATION_PORTABLE: table-driven slicing-by-8 in plain C,
 *   available everywhere.
 *
 * The CRC-32C implementations compiled into libgstrg. They all compute the
 * same function; the enum exists so that tests can cross-check them and
 * benchmarks can measure each one.
 */
typedef enum
{
  RG_CRC32C_IMPLEMENTATION_AUTO = 0,
  RG_CRC32C_IMPLEMENTATION_ISAL,
  RG_CRC32C_IMPLEMENTATION_SSE42,
  RG_CRC32C_IMPLEMENTATION_PORTABLE,
} RgCrc32cImplementation;

/**
 * rg_crc32c:
 * @crc: the CRC of the bytes before @data, or 0 to start
 * @data: (array length=len) (nullable): bytes to checksum; may be %NULL
 *   only when @len is 0
 * @len: number of bytes at @data
 *
 * Computes CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected, initial
 * value and final xor 0xFFFFFFFF) as Kafka's RecordBatch v2, iSCSI and
 * SCTP use it. The convention is zlib's: pass 0 to start, and pass the
 * previous result to continue, so that
 * `rg_crc32c (rg_crc32c (0, a, n), b, m)` equals the CRC of the n + m bytes
 * a‖b. That lets a batch scattered over several iovecs be checksummed
 * without copying it together. The check value is
 * `rg_crc32c (0, "123456789", 9) == 0xE3069283`.
 *
 * Thread-safety: reentrant; may be called from any thread at any time.
 *
 * Returns: the CRC-32C of the bytes so far.
 */
RG_API
guint32 rg_crc32c (guint32 crc, const guint8 * data, gsize len);

/**
 * rg_crc32c_with_implementation:
 * @impl: which implementation to use
 * @crc: as for rg_crc32c()
 * @data: (array length=len) (nullable): as for rg_crc32c()
 * @len: as for rg_crc32c()
 *
 * rg_crc32c() through a chosen implementation. Meant for tests and
 * benchmarks; @impl must be one for which
 * rg_crc32c_implementation_available() returns %TRUE.
 *
 * Thread-safety: reentrant.
 *
 * Returns: the CRC-32C of the bytes so far (identical for every
 *   implementation).
 */
RG_API
guint32 rg_crc32c_with_implementation (RgCrc32cImplementation impl,
    guint32 crc, const guint8 * data, gsize len);

/**
 * rg_crc32c_implementation_available:
 * @impl: an implementation
 *
 * Thread-safety: reentrant.
 *
 * Returns: %TRUE if @impl was compiled in and this CPU can run it.
 */
RG_API
gboolean rg_crc32c_implementation_available (RgCrc32cImplementation impl);

/**
 * rg_crc32c_implementation_name:
 * @impl: an implementation; %RG_CRC32C_IMPLEMENTATION_AUTO names the one
 *   rg_crc32c() uses for long inputs
 *
 * Thread-safety: reentrant.
 *
 * Returns: (transfer none): a short static name such as "isa-l", "sse4.2"
 *   or "slicing-by-8".
 */
RG_API
const gchar *rg_crc32c_implementation_name (RgCrc32cImplementation impl);

G_END_DECLS

#endif /* __RG_CRC32C_H__ */
