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

#ifndef __RG_BATCH_H__
#define __RG_BATCH_H__

#include <gst/gst.h>
#include <sys/uio.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * SECTION:rgbatch
 * @title: RgBatch
 * @short_description: Kafka RecordBatch v2 encoding and decoding
 *
 * One GstBuffer is one Kafka record; one or more records form a
 * RecordBatch v2 (magic 2), the unit the journal writes and the broker
 * serves. This module turns records into batch bytes and back. It does no
 * I/O at all. The byte layout is documented at the top of rgbatch.c and in
 * docs/format.md.
 *
 * Encoding is zero-copy for values: #RgBatchEncoder produces the batch as
 * an array of `struct iovec` in which header and record framing bytes live
 * in a small buffer the encoder owns, and every record value points at the
 * caller's memory, ready for writev(). Decoding (#RgBatchReader) is
 * zero-copy too: keys, values and headers point into the input bytes.
 *
 * Thread-safety: every function is reentrant and touches only its
 * arguments; an #RgBatchEncoder or #RgBatchReader must not be used by two
 * threads at once, and the input of a reader must not change while it is
 * read. Nothing here blocks or performs I/O.
 *
 * Ownership: encoders copy keys and headers and reference values; decoded
 * records point into the input. Nothing a function returns needs freeing
 * unless its documentation says (transfer full).
 *
 * Caveats: compressed batches (attributes bits 0-2 not zero) are validated
 * but their records cannot be read (%RG_BATCH_ERROR_UNSUPPORTED). The
 * encoder always writes uncompressed, non-transactional CreateTime batches
 * with producerId/producerEpoch/baseSequence -1 and partitionLeaderEpoch 0.
 *
 * Introspection: the varint decoders, rg_batch_parse_header(),
 * rg_batch_validate() and rg_envelope_timestamp() are in GstRg-1.0. The
 * encoder, the batch reader and the envelope are skipped: their results
 * point into memory the caller must keep alive and unchanged (the
 * encoder's iovecs into the values, a decoded record into the input),
 * which a binding's copied byte arrays cannot promise. Applications read
 * records through the journal reader (rgjournalreader.h) or rgsrc, which
 * keep the bytes alive for them.
 */

/**
 * RG_BATCH_ERROR:
 *
 * Error domain for batch encoding and decoding. Errors in this domain are
 * from the #RgBatchError enumeration. Decoding messages name the field and
 * its byte position counted from the first byte of the batch (the first
 * byte of baseOffset); callers that know where the batch lies in a file
 * should prefix that with g_prefix_error().
 */
#define RG_BATCH_ERROR (rg_batch_error_quark ())

/**
 * rg_batch_error_quark:
 *
 * Returns: the quark of %RG_BATCH_ERROR.
 */
RG_API
GQuark rg_batch_error_quark (void);

/**
 * RgBatchError:
 * @RG_BATCH_ERROR_TRUNCATED: the input ends before a length or count says
 *   it should (a torn tail looks like this).
 * @RG_BATCH_ERROR_BAD_MAGIC: the magic byte is not 2.
 * @RG_BATCH_ERROR_CORRUPT: a field holds an impossible value (negative
 *   length, record size that does not match its fields, offsets out of
 *   order, bytes left over, over-long varint...).
 * @RG_BATCH_ERROR_CRC_MISMATCH: the stored CRC-32C does not match the
 *   bytes.
 * @RG_BATCH_ERROR_UNSUPPORTED: a valid batch this code cannot read
 *   (compressed records).
 * @RG_BATCH_ERROR_TOO_LARGE: encoding: a record or the batch would exceed
 *   the format's int32 limits.
 * @RG_BATCH_ERROR_ENVELOPE: a `gst.*` record header has the wrong size or
 *   content.
 *
 * Why a batch could not be encoded or decoded.
 */
typedef enum
{
  RG_BATCH_ERROR_TRUNCATED,
  RG_BATCH_ERROR_BAD_MAGIC,
  RG_BATCH_ERROR_CORRUPT,
  RG_BATCH_ERROR_CRC_MISMATCH,
  RG_BATCH_ERROR_UNSUPPORTED,
  RG_BATCH_ERROR_TOO_LARGE,
  RG_BATCH_ERROR_ENVELOPE,
} RgBatchError;

/**
 * RG_BATCH_HEADER_SIZE:
 *
 * Bytes in a RecordBatch v2 header, from baseOffset through recordsCount:
 * the smallest possible batch.
 */
#define RG_BATCH_HEADER_SIZE 61

/**
 * RG_BATCH_LOG_OVERHEAD:
 *
 * Bytes before batchLength counts: baseOffset (8) and batchLength (4). A
 * batch occupies `RG_BATCH_LOG_OVERHEAD + batchLength` bytes.
 */
#define RG_BATCH_LOG_OVERHEAD 12

/**
 * RG_BATCH_CRC_OFFSET:
 *
 * Byte position of the CRC-32C field; the CRC covers the bytes from
 * %RG_BATCH_CRC_START to the end of the batch.
 */
#define RG_BATCH_CRC_OFFSET 17

/**
 * RG_BATCH_CRC_START:
 *
 * First byte covered by the CRC (attributes).
 */
#define RG_BATCH_CRC_START 21

/**
 * RG_BATCH_MAGIC:
 *
 * The magic byte of RecordBatch v2.
 */
#define RG_BATCH_MAGIC 2

/**
 * RG_VARINT_MAX_SIZE:
 *
 * Longest zig-zag varint encoding of a gint32.
 */
#define RG_VARINT_MAX_SIZE 5

/**
 * RG_VARLONG_MAX_SIZE:
 *
 * Longest zig-zag varint encoding of a gint64.
 */
#define RG_VARLONG_MAX_SIZE 10

/**
 * RgBatchInfo:
 * @base_offset: offset of the first record (bytes 0-7, not CRC-covered)
 * @batch_length: bytes after the batchLength field (bytes 8-11)
 * @partition_leader_epoch: bytes 12-15, not CRC-covered
 * @magic: byte 16, always 2 after a successful parse
 * @crc: the stored CRC-32C (bytes 17-20)
 * @attributes: bits 0-2 compression codec, 3 timestamp type (1 = log append
 *   time), 4 transactional, 5 control (bytes 21-22)
 * @last_offset_delta: offset of the last record minus @base_offset
 * @base_timestamp: timestamp of the first record, ms since the epoch
 * @max_timestamp: largest record timestamp, ms since the epoch
 * @producer_id: -1 unless idempotent/transactional
 * @producer_epoch: -1 unless idempotent/transactional
 * @base_sequence: -1 unless idempotent/transactional
 * @records_count: number of records
 *
 * The decoded header of a batch. Plain data, freely copied.
 */
typedef struct
{
  gint64 base_offset;
  gint32 batch_length;
  gint32 partition_leader_epoch;
  gint8 magic;
  guint32 crc;
  gint16 attributes;
  gint32 last_offset_delta;
  gint64 base_timestamp;
  gint64 max_timestamp;
  gint64 producer_id;
  gint16 producer_epoch;
  gint32 base_sequence;
  gint32 records_count;
} RgBatchInfo;

/**
 * RgRecordHeader:
 * @key: (array length=key_len): header name, UTF-8, not NUL-terminated
 *   when decoded
 * @key_len: bytes in @key
 * @value: (array length=value_len) (nullable): header value; %NULL means a
 *   null value (length -1 on the wire), a non-%NULL pointer with
 *   @value_len 0 an empty one
 * @value_len: bytes in @value
 *
 * One record header. When encoding, the bytes are copied into the batch;
 * when decoding, they point into the batch.
 */
typedef struct
{
  const gchar *key;
  gsize key_len;
  const guint8 *value;
  gsize value_len;
} RgRecordHeader;

/**
 * RgRecord:
 * @timestamp: record timestamp, ms since the epoch
 * @key: (array length=key_len) (nullable): record key; %NULL for a null
 *   key (the usual case), non-%NULL with @key_len 0 for an empty one. Copied.
 * @key_len: bytes in @key
 * @value: (array length=value_len) (nullable): the value when it is one
 *   contiguous range and @n_value_chunks is 0. %NULL (with no chunks) means
 *   a null value. Not copied: the encoder's segments point at it.
 * @value_len: bytes in @value
 * @value_chunks: (array length=n_value_chunks) (nullable): the value as the
 *   concatenation of these ranges (e.g. each mapped GstMemory of a
 *   GstBuffer), used instead of @value when @n_value_chunks > 0. Not copied.
 * @n_value_chunks: number of @value_chunks
 * @headers: (array length=n_headers) (nullable): record headers, in order.
 *   Copied.
 * @n_headers: number of @headers
 *
 * One record to encode. The record's offset is assigned by the encoder:
 * the batch's base offset plus the record's index in the batch.
 */
typedef struct
{
  gint64 timestamp;
  const guint8 *key;
  gsize key_len;
  const guint8 *value;
  gsize value_len;
  const struct iovec *value_chunks;
  guint n_value_chunks;
  const RgRecordHeader *headers;
  guint n_headers;
} RgRecord;

/**
 * RgRecordView:
 * @offset: the record's offset (baseOffset + offsetDelta)
 * @timestamp: the record's timestamp (baseTimestamp + timestampDelta),
 *   ms since the epoch
 * @index: the record's index in its batch, from 0
 * @position: byte position of the record's length varint in the batch
 * @attributes: the record attributes byte (unused by Kafka, normally 0)
 * @key: (array length=key_len) (nullable): the key, %NULL when null;
 *   points into the input
 * @key_len: bytes in @key
 * @value: (array length=value_len) (nullable): the value, %NULL when null;
 *   points into the input, never copied
 * @value_len: bytes in @value
 * @n_headers: number of record headers; read them with
 *   rg_record_view_iter_headers() or rg_record_view_find_header()
 *
 * A decoded record. Valid as long as the input bytes are.
 */
typedef struct
{
  gint64 offset;
  gint64 timestamp;
  gint32 index;
  gsize position;
  gint8 attributes;
  const guint8 *key;
  gsize key_len;
  const guint8 *value;
  gsize value_len;
  guint n_headers;

  /*< private > */
  const guint8 *headers;
  const guint8 *headers_end;
} RgRecordView;

/**
 * RgRecordHeaderIter:
 *
 * Iterates over the headers of an #RgRecordView. Stack-allocated; its
 * fields are private.
 */
typedef struct
{
  /*< private > */
  const guint8 *pos;
  const guint8 *end;
  guint remaining;
} RgRecordHeaderIter;

/**
 * RgBatchReader:
 *
 * Iterates over the records of one batch. Stack-allocated, initialised by
 * rg_batch_reader_init(); its fields are private. Needs no cleanup.
 */
typedef struct
{
  /*< private > */
  RgBatchInfo info;
  const guint8 *data;
  gsize size;
  gsize pos;
  gint32 index;
  gint64 prev_offset_delta;
} RgBatchReader;

/**
 * RgBatchEncoder:
 *
 * Builds batches. Opaque; create with rg_batch_encoder_new(). One encoder
 * can build any number of batches, one at a time, reusing its memory.
 */
typedef struct _RgBatchEncoder RgBatchEncoder;

/* ---- Varints ---- */

/**
 * rg_varint_encode: (skip)
 * @value: the value
 * @out: (out caller-allocates) (array fixed-size=5): where to write
 *
 * Writes @value as Kafka's zig-zag varint (protobuf sint32: zig-zag, then
 * 7 bits per byte, least significant group first, high bit = more).
 * Skipped by introspection, as rg_varlong_encode(): only the first
 * (returned) bytes of @out are written, and a binding would hand back all
 * of them, the rest uninitialised.
 *
 * Thread-safety: reentrant.
 *
 * Returns: number of bytes written, 1 to %RG_VARINT_MAX_SIZE.
 */
RG_API
gsize rg_varint_encode (gint32 value, guint8 * out);

/**
 * rg_varlong_encode: (skip)
 * @value: the value
 * @out: (out caller-allocates) (array fixed-size=10): where to write
 *
 * Writes @value as Kafka's zig-zag varlong (protobuf sint64).
 *
 * Thread-safety: reentrant.
 *
 * Returns: number of bytes written, 1 to %RG_VARLONG_MAX_SIZE.
 */
RG_API
gsize rg_varlong_encode (gint64 value, guint8 * out);

/**
 * rg_varint_decode:
 * @data: (array length=len): bytes to read
 * @len: bytes available at @data
 * @value: (out): the decoded value
 *
 * Reads a zig-zag varint. Non-minimal encodings are accepted, as Kafka
 * does; encodings longer than 5 bytes, or whose fifth byte carries bits
 * beyond 32, are rejected.
 *
 * Thread-safety: reentrant.
 *
 * Returns: bytes consumed, or 0 if @data is truncated or malformed
 *   (@value is then untouched).
 */
RG_API
gsize rg_varint_decode (const guint8 * data, gsize len, gint32 * value);

/**
 * rg_varlong_decode:
 * @data: (array length=len): bytes to read
 * @len: bytes available at @data
 * @value: (out): the decoded value
 *
 * Reads a zig-zag varlong; as rg_varint_decode() with a limit of 10 bytes
 * and 64 bits.
 *
 * Thread-safety: reentrant.
 *
 * Returns: bytes consumed, or 0 if @data is truncated or malformed.
 */
RG_API
gsize rg_varlong_decode (const guint8 * data, gsize len, gint64 * value);

/* ---- Encoding ---- */

/**
 * rg_batch_encoder_new: (skip)
 *
 * Thread-safety: an encoder must be used by one thread at a time; distinct
 * encoders are independent.
 *
 * Returns: (transfer full): a new encoder; free with
 *   rg_batch_encoder_free().
 */
RG_API
RgBatchEncoder *rg_batch_encoder_new (void);

/**
 * rg_batch_encoder_free: (skip)
 * @encoder: (transfer full) (nullable): an encoder
 *
 * Frees @encoder and the segments it returned.
 */
RG_API
void rg_batch_encoder_free (RgBatchEncoder * encoder);

/**
 * rg_batch_encoder_set_copy_threshold: (skip)
 * @encoder: an encoder
 * @bytes: values shorter than this are copied into the encoder's own
 *   buffer; 0 (the default) never copies a value
 *
 * Copying tiny values costs less than giving each its own iovec (writev()
 * takes at most IOV_MAX segments, and each costs a little). Values of
 * @bytes or more always stay zero-copy.
 */
RG_API
void rg_batch_encoder_set_copy_threshold (RgBatchEncoder * encoder,
    gsize bytes);

/**
 * rg_batch_encoder_begin: (skip)
 * @encoder: an encoder
 * @base_offset: offset of the batch's first record
 *
 * Starts a new batch, discarding the previous one: segments returned by an
 * earlier rg_batch_encoder_finish() become invalid.
 */
RG_API
void rg_batch_encoder_begin (RgBatchEncoder * encoder, gint64 base_offset);

/**
 * rg_batch_encoder_add: (skip)
 * @encoder: an encoder between rg_batch_encoder_begin() and
 *   rg_batch_encoder_finish()
 * @record: the record; its key and headers are copied now, its value is
 *   only referenced and must stay valid and unchanged until the segments
 *   have been consumed
 * @error: return location for a #GError, or %NULL
 *
 * Appends a record. Its offset is the base offset plus the number of
 * records added before it; the first record's timestamp becomes the batch's
 * baseTimestamp.
 *
 * Errors: %RG_BATCH_ERROR_TOO_LARGE if a length, the record or the batch
 * would exceed the format's int32 limits, or the timestamp is too far from
 * the first one to be a delta; the batch is then unchanged.
 *
 * Returns: %TRUE if the record was added.
 */
RG_API
gboolean rg_batch_encoder_add (RgBatchEncoder * encoder,
    const RgRecord * record, GError ** error);

/**
 * rg_batch_encoder_get_n_records: (skip)
 * @encoder: an encoder
 *
 * Returns: the number of records in the batch being built.
 */
RG_API
guint rg_batch_encoder_get_n_records (const RgBatchEncoder * encoder);

/**
 * rg_batch_encoder_get_size: (skip)
 * @encoder: an encoder
 *
 * Returns: the size in bytes the batch being built would have if finished
 *   now.
 */
RG_API
gsize rg_batch_encoder_get_size (const RgBatchEncoder * encoder);

/**
 * rg_batch_encoder_finish: (skip)
 * @encoder: an encoder with at least one record added since
 *   rg_batch_encoder_begin()
 * @n_segments: (out): number of segments returned
 * @size: (out) (optional): total bytes in the segments (the batch size)
 * @info: (out caller-allocates) (optional): the batch header as written
 *
 * Completes the header (counts, timestamps, length) and the CRC-32C, which
 * is computed over the segments in place. The batch is the concatenation
 * of the returned segments. The first segment starts with the header and
 * lives in the encoder; value segments point at the callers' memory.
 *
 * Returns: (transfer none) (array length=n_segments): the segments, owned
 *   by @encoder and valid until the next rg_batch_encoder_begin() or
 *   rg_batch_encoder_free().
 */
RG_API
const struct iovec *rg_batch_encoder_finish (RgBatchEncoder * encoder,
    guint * n_segments, gsize * size, RgBatchInfo * info);

/**
 * rg_batch_encode: (skip)
 * @base_offset: offset of the first record
 * @records: (array length=n_records): the records
 * @n_records: number of @records, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Convenience for tests and small records: encodes one batch into one
 * contiguous array (values are copied).
 *
 * Thread-safety: reentrant.
 *
 * Errors: as rg_batch_encoder_add().
 *
 * Returns: (transfer full) (nullable): the batch bytes, or %NULL on error.
 */
RG_API
GByteArray *rg_batch_encode (gint64 base_offset, const RgRecord * records,
    guint n_records, GError ** error);

/**
 * rg_batch_write_base_offset: (skip)
 * @batch: (array fixed-size=8): the first bytes of a batch
 * @base_offset: the offset to store
 *
 * Overwrites a batch's baseOffset. The field is outside the CRC, so a batch
 * encoded before its offset was known stays valid; this is what a Kafka
 * broker does to a producer's batch.
 *
 * Thread-safety: reentrant.
 */
RG_API
void rg_batch_write_base_offset (guint8 * batch, gint64 base_offset);

/* ---- Decoding ---- */

/**
 * rg_batch_parse_header:
 * @data: (array length=len): bytes starting at a batch's baseOffset
 * @len: bytes available; only %RG_BATCH_HEADER_SIZE are needed
 * @info: (out caller-allocates): the decoded header
 * @error: return location for a #GError, or %NULL
 *
 * Decodes and sanity-checks a batch header without touching the records
 * or the CRC, e.g. to learn a batch's size from its first 61 bytes.
 *
 * Thread-safety: reentrant.
 *
 * Errors: %RG_BATCH_ERROR_TRUNCATED if @len < 61; %RG_BATCH_ERROR_BAD_MAGIC;
 *   %RG_BATCH_ERROR_CORRUPT if batchLength, lastOffsetDelta or
 *   recordsCount are impossible.
 *
 * Returns: %TRUE if the header is plausible.
 */
RG_API
gboolean rg_batch_parse_header (const guint8 * data, gsize len,
    RgBatchInfo * info, GError ** error);

/**
 * rg_batch_validate:
 * @data: (array length=len): bytes starting at a batch's baseOffset; may
 *   extend past the batch (e.g. a whole segment)
 * @len: bytes available at @data
 * @info: (out caller-allocates) (optional): the decoded header
 * @error: return location for a #GError, or %NULL
 *
 * Checks a batch's header, that all of it is present, and its CRC-32C;
 * does not walk the records. This is what recovery runs over a segment's
 * tail. Compressed batches pass.
 *
 * Thread-safety: reentrant.
 *
 * Errors: as rg_batch_parse_header(); %RG_BATCH_ERROR_TRUNCATED if fewer
 *   than 12 + batchLength bytes are available;
 *   %RG_BATCH_ERROR_CRC_MISMATCH.
 *
 * Returns: the batch's size in bytes (12 + batchLength, at least 61), or 0
 *   on error.
 */
RG_API
gsize rg_batch_validate (const guint8 * data, gsize len,
    RgBatchInfo * info, GError ** error);

/**
 * rg_batch_reader_init: (skip)
 * @reader: (out caller-allocates): the reader to initialise
 * @data: (array length=len): bytes starting at a batch's baseOffset; may
 *   extend past the batch. Must stay valid while @reader and the records
 *   it returns are used.
 * @len: bytes available at @data
 * @error: return location for a #GError, or %NULL
 *
 * Validates a batch as rg_batch_validate() does and prepares to iterate
 * over its records.
 *
 * Thread-safety: reentrant; a reader is used by one thread at a time.
 *
 * Errors: as rg_batch_validate(); %RG_BATCH_ERROR_UNSUPPORTED for a
 *   compressed batch.
 *
 * Returns: %TRUE if the reader is ready.
 */
RG_API
gboolean rg_batch_reader_init (RgBatchReader * reader, const guint8 * data,
    gsize len, GError ** error);

/**
 * rg_batch_reader_get_info: (skip)
 * @reader: an initialised reader
 *
 * Returns: (transfer none): the batch header; rg_batch_validate()'s size is
 *   `RG_BATCH_LOG_OVERHEAD + info->batch_length`.
 */
RG_API
const RgBatchInfo *rg_batch_reader_get_info (const RgBatchReader * reader);

/**
 * rg_batch_reader_next: (skip)
 * @reader: an initialised reader
 * @record: (out caller-allocates): the next record
 * @error: return location for a #GError, or %NULL
 *
 * Decodes the next record, checking every length against the bytes left
 * in the record and the batch, that the record's size matches its fields,
 * that offset deltas increase and stay within lastOffsetDelta, and, after
 * the last record, that no bytes are left over. The returned key, value
 * and headers point into the input; nothing is copied.
 *
 * Errors: %RG_BATCH_ERROR_TRUNCATED or %RG_BATCH_ERROR_CORRUPT, with the
 *   record index and byte position in the message. A reader that returned
 *   an error keeps returning it.
 *
 * Returns: %TRUE with @record filled; %FALSE at the end of the batch
 *   (@error unset) or on error (@error set).
 */
RG_API
gboolean rg_batch_reader_next (RgBatchReader * reader, RgRecordView * record,
    GError ** error);

/**
 * rg_record_view_iter_headers: (skip)
 * @record: a record returned by rg_batch_reader_next()
 * @iter: (out caller-allocates): the iterator to initialise
 *
 * Prepares to walk @record's headers in order. The headers were checked by
 * rg_batch_reader_next(), so walking them cannot fail.
 */
RG_API
void rg_record_view_iter_headers (const RgRecordView * record,
    RgRecordHeaderIter * iter);

/**
 * rg_record_header_iter_next: (skip)
 * @iter: an iterator
 * @header: (out caller-allocates): the next header, pointing into the batch
 *
 * Returns: %TRUE with @header filled, %FALSE after the last header.
 */
RG_API
gboolean rg_record_header_iter_next (RgRecordHeaderIter * iter,
    RgRecordHeader * header);

/**
 * rg_record_view_find_header: (skip)
 * @record: a decoded record
 * @key: a header name (NUL-terminated)
 * @header: (out caller-allocates) (optional): the header found
 *
 * Looks a header up by name. When a name repeats, the last one wins, as in
 * Kafka's Headers.lastHeader().
 *
 * Returns: %TRUE if a header named @key exists.
 */
RG_API
gboolean rg_record_view_find_header (const RgRecordView * record,
    const gchar * key, RgRecordHeader * header);

/* ---- The envelope: GstBuffer metadata as record headers ---- */

/**
 * RG_ENVELOPE_HEADER_PTS:
 *
 * Record header holding GST_BUFFER_PTS: 8 bytes, big-endian, the guint64
 * GstClockTime's bits (so GST_CLOCK_TIME_NONE is -1).
 */
#define RG_ENVELOPE_HEADER_PTS "gst.pts"
/**
 * RG_ENVELOPE_HEADER_DTS:
 *
 * Record header holding GST_BUFFER_DTS, encoded as %RG_ENVELOPE_HEADER_PTS.
 */
#define RG_ENVELOPE_HEADER_DTS "gst.dts"
/**
 * RG_ENVELOPE_HEADER_DURATION:
 *
 * Record header holding GST_BUFFER_DURATION, encoded as
 * %RG_ENVELOPE_HEADER_PTS.
 */
#define RG_ENVELOPE_HEADER_DURATION "gst.duration"
/**
 * RG_ENVELOPE_HEADER_FLAGS:
 *
 * Record header holding the buffer's #GstBufferFlags masked with
 * %RG_ENVELOPE_FLAGS_MASK: 4 bytes, big-endian uint32.
 */
#define RG_ENVELOPE_HEADER_FLAGS "gst.flags"
/**
 * RG_ENVELOPE_HEADER_CAPS:
 *
 * Record header holding the caps as gst_caps_to_string() writes them:
 * UTF-8, no NUL terminator.
 */
#define RG_ENVELOPE_HEADER_CAPS "gst.caps"

/**
 * RG_ENVELOPE_FLAGS_MASK:
 *
 * The buffer flags an envelope stores: every #GstBufferFlags bit (from
 * GST_BUFFER_FLAG_LIVE, bit 4, up to bit 31, user flags included) except
 * GST_BUFFER_FLAG_TAG_MEMORY, which describes this process's memory, not
 * the data. Bits 0-3 are GstMiniObject bookkeeping and are never stored.
 */
#define RG_ENVELOPE_FLAGS_MASK \
  ((guint32) (~(guint32) (GST_MINI_OBJECT_FLAG_LAST - 1) & \
      ~(guint32) GST_BUFFER_FLAG_TAG_MEMORY))

/**
 * RG_ENVELOPE_MAX_HEADERS:
 *
 * Most headers an #RgEnvelope produces.
 */
#define RG_ENVELOPE_MAX_HEADERS 5

/**
 * RgEnvelope:
 * @headers: the envelope headers, in the order gst.pts, gst.dts,
 *   gst.duration, gst.flags[, gst.caps]
 * @n_headers: 4, or 5 with caps
 *
 * A GstBuffer's metadata as record headers, ready to put in an
 * #RgRecord's header list. The header values point into the envelope
 * itself (and at the caps string), so do not copy or move an envelope
 * while its headers are in use.
 */
typedef struct
{
  RgRecordHeader headers[RG_ENVELOPE_MAX_HEADERS];
  guint n_headers;

  /*< private > */
  guint8 storage[3 * 8 + 4];
} RgEnvelope;

/**
 * RgEnvelopeFields:
 * @pts: GST_BUFFER_PTS, GST_CLOCK_TIME_NONE when absent
 * @dts: GST_BUFFER_DTS, GST_CLOCK_TIME_NONE when absent
 * @duration: GST_BUFFER_DURATION, GST_CLOCK_TIME_NONE when absent
 * @flags: the stored #GstBufferFlags (0 when absent)
 * @has_flags: whether the record had a gst.flags header
 * @caps: (array length=caps_len) (nullable): the caps string, pointing into
 *   the record, not NUL-terminated; %NULL when the record has no gst.caps
 * @caps_len: bytes in @caps
 *
 * The envelope decoded from a record's headers.
 */
typedef struct
{
  GstClockTime pts;
  GstClockTime dts;
  GstClockTime duration;
  GstBufferFlags flags;
  gboolean has_flags;
  const gchar *caps;
  gsize caps_len;
} RgEnvelopeFields;

/**
 * rg_envelope_init: (skip)
 * @envelope: (out caller-allocates): the envelope to fill
 * @buffer: the buffer whose PTS, DTS, duration and flags to record
 * @caps_string: (nullable): caps to record in a gst.caps header (the
 *   journal passes them on the first record of a segment and when they
 *   change), or %NULL for none. Not copied: must outlive the envelope's use.
 *
 * Thread-safety: reentrant; reads @buffer's fields only.
 */
RG_API
void rg_envelope_init (RgEnvelope * envelope, GstBuffer * buffer,
    const gchar * caps_string);

/**
 * rg_envelope_timestamp:
 * @buffer: the buffer to be recorded
 * @now_ms: the wall clock now, ms since the Unix epoch
 *   (g_get_real_time () / 1000)
 *
 * The record timestamp of DESIGN.md's envelope: the time of the buffer's
 * first #GstReferenceTimestampMeta whose reference is `timestamp/x-unix`
 * (ns since 1970) or `timestamp/x-ntp` (ns since 1900, converted), when it
 * has one, else @now_ms. Metas with other references have an unknown epoch
 * and are ignored.
 *
 * Thread-safety: reentrant; reads @buffer's metas only.
 *
 * Returns: the timestamp, ms since the Unix epoch.
 */
RG_API
gint64 rg_envelope_timestamp (GstBuffer * buffer, gint64 now_ms);

/**
 * rg_envelope_parse: (skip)
 * @record: a decoded record
 * @fields: (out caller-allocates): the envelope
 * @error: return location for a #GError, or %NULL
 *
 * Reads the gst.* headers of @record (other headers are ignored; missing
 * ones leave the field at "none"). A record from a foreign producer without
 * any gst.* header parses fine.
 *
 * Thread-safety: reentrant.
 *
 * Errors: %RG_BATCH_ERROR_ENVELOPE if a gst.pts, gst.dts or gst.duration
 *   value is not 8 bytes, gst.flags not 4, or gst.caps is null, contains a
 *   NUL byte or is not UTF-8.
 *
 * Returns: %TRUE on success.
 */
RG_API
gboolean rg_envelope_parse (const RgRecordView * record,
    RgEnvelopeFields * fields, GError ** error);

/**
 * rg_envelope_fields_apply: (skip)
 * @fields: a parsed envelope
 * @buffer: a writable buffer
 *
 * Sets @buffer's PTS, DTS and duration from @fields and, when the record
 * had a gst.flags header, replaces the flags in %RG_ENVELOPE_FLAGS_MASK
 * with the stored ones. Caps are left to the caller (they belong on the
 * pad, not on the buffer).
 */
RG_API
void rg_envelope_fields_apply (const RgEnvelopeFields * fields,
    GstBuffer * buffer);

G_END_DECLS

#endif /* __RG_BATCH_H__ */
