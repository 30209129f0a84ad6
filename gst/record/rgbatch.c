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
 * Kafka RecordBatch v2 (magic 2), as DefaultRecordBatch.java and
 * DefaultRecord.java define it. All integers are big-endian.
 *
 *   pos  field                 type    notes
 *    0   baseOffset            int64   not CRC-covered (a broker patches it)
 *    8   batchLength           int32   bytes after this field
 *   12   partitionLeaderEpoch  int32   not CRC-covered; we write 0
 *   16   magic                 int8    2
 *   17   crc                   uint32  CRC-32C of bytes [21, end)
 *   21   attributes            int16   we write 0: no compression,
 *                                      CreateTime, not transactional
 *   23   lastOffsetDelta       int32   recordsCount - 1 for our batches
 *   27   baseTimestamp         int64   timestamp of the first record (ms)
 *   35   maxTimestamp          int64   largest record timestamp (ms)
 *   43   producerId            int64   -1
 *   51   producerEpoch         int16   -1
 *   53   baseSequence          int32   -1
 *   57   recordsCount          int32
 *   61   records
 *
 * Record (varint = zig-zag varint of an int32, varlong of an int64):
 *
 *   varint  length           bytes of the record after this field
 *   int8    attributes       0
 *   varlong timestampDelta   timestamp - baseTimestamp
 *   varint  offsetDelta      offset - baseOffset
 *   varint  keyLength        -1 = null key
 *   bytes   key
 *   varint  valueLength      -1 = null value
 *   bytes   value
 *   varint  headerCount
 *   headers: varint keyLength (>= 0), UTF-8 key, varint valueLength
 *            (-1 = null), value
 *
 * The envelope (DESIGN.md): one GstBuffer is one record; its value is the
 * buffer's bytes, its timestamp the wall clock at append or the buffer's
 * GstReferenceTimestampMeta (timestamp/x-unix or timestamp/x-ntp, converted
 * to ms since 1970), and its metadata travels in headers:
 *
 *   gst.pts, gst.dts, gst.duration  8 bytes, big-endian: the GstClockTime
 *                                   as a uint64, so GST_CLOCK_TIME_NONE
 *                                   reads as the int64 -1
 *   gst.flags                       4 bytes, big-endian uint32: the
 *                                   GstBufferFlags bits of the buffer,
 *                                   masked with RG_ENVELOPE_FLAGS_MASK
 *                                   (GStreamer 1.x numeric values, which
 *                                   are ABI)
 *   gst.caps                        the caps string, UTF-8, no NUL; only on
 *                                   the first record of a segment and when
 *                                   the caps change
 *
 * The validity rule a decoder applies: the header is complete (61 bytes),
 * magic is 2, batchLength >= 49 and all of it is present, the CRC-32C of
 * bytes [21, 12 + batchLength) equals the stored one, and then, per record,
 * every length fits in what is left of the record and of the batch, the
 * record's fields end exactly at its declared length, offset deltas strictly
 * increase within [0, lastOffsetDelta], exactly recordsCount records are
 * present and no byte follows the last one.
 *
 * Encoding keeps values zero-copy: the encoder lays the batch out as a list
 * of pieces, either ranges of its own scratch buffer (header, record framing,
 * keys, headers) or caller memory (values). Scratch pieces are kept as
 * offsets because the scratch buffer may move while it grows; finish()
 * resolves them to pointers, fills in the header and runs the CRC over the
 * pieces in place.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "record/rgbatch.h"
#include "record/rgcrc32c.h"

#include <string.h>

/* The header fields after batchLength: what batchLength covers at least. */
#define BATCH_MIN_LENGTH (RG_BATCH_HEADER_SIZE - RG_BATCH_LOG_OVERHEAD)

/* The smallest record: a 1-byte length, then attributes, timestampDelta,
 * offsetDelta, keyLength, valueLength and headerCount, one byte each. */
#define RECORD_MIN_SIZE 7

/* Header field positions (see the table above). */
#define POS_BATCH_LENGTH 8
#define POS_LEADER_EPOCH 12
#define POS_MAGIC 16
#define POS_ATTRIBUTES 21
#define POS_LAST_OFFSET_DELTA 23
#define POS_BASE_TIMESTAMP 27
#define POS_MAX_TIMESTAMP 35
#define POS_PRODUCER_ID 43
#define POS_PRODUCER_EPOCH 51
#define POS_BASE_SEQUENCE 53
#define POS_RECORDS_COUNT 57

/* Attributes bits 0-2: the compression codec. */
#define ATTR_COMPRESSION_MASK 0x07

G_DEFINE_QUARK (rg-batch-error-quark, rg_batch_error);

/* ---- Big-endian helpers ---- */

static inline void
put_be16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
put_be32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, 4);
}

static inline void
put_be64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_BE (v);
  memcpy (p, &v, 8);
}

static inline guint16
get_be16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
get_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_BE (v);
}

static inline guint64
get_be64 (const guint8 * p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_BE (v);
}

/* ---- Varints ---- */

/* Zig-zag maps signed to unsigned so that small magnitudes stay short:
 * 0 → 0, -1 → 1, 1 → 2, -2 → 3... The casts keep the shifts defined. */
static inline guint32
zigzag32 (gint32 value)
{
  return ((guint32) value << 1) ^ (guint32) (value >> 31);
}

static inline guint64
zigzag64 (gint64 value)
{
  return ((guint64) value << 1) ^ (guint64) (value >> 63);
}

/* Writes @v 7 bits a byte, least significant group first, and returns the
 * byte after the last one written. The caller has made room for
 * RG_VARLONG_MAX_SIZE bytes. */
static inline guint8 *
put_uvarint (guint8 * p, guint64 v)
{
  while (v >= 0x80) {
    *p++ = (guint8) (v | 0x80);
    v >>= 7;
  }
  *p++ = (guint8) v;
  return p;
}

static inline guint8 *
put_varint (guint8 * p, gint32 value)
{
  return put_uvarint (p, zigzag32 (value));
}

static inline guint8 *
put_varlong (guint8 * p, gint64 value)
{
  return put_uvarint (p, zigzag64 (value));
}

/* Bytes put_uvarint() writes for @v: one per started group of 7 significant
 * bits, and one for 0. Computed, so that sizing a record writes nothing. */
static inline gsize
uvarint_size (guint64 v)
{
  return 1 + (63 - (gsize) __builtin_clzll (v | 1)) / 7;
}

static inline gsize
varint_size (gint32 value)
{
  return uvarint_size (zigzag32 (value));
}

static inline gsize
varlong_size (gint64 value)
{
  return uvarint_size (zigzag64 (value));
}

gsize
rg_varint_encode (gint32 value, guint8 * out)
{
  return put_varint (out, value) - out;
}

gsize
rg_varlong_encode (gint64 value, guint8 * out)
{
  return put_varlong (out, value) - out;
}

typedef enum
{
  VARINT_OK,
  VARINT_TRUNCATED,
  VARINT_TOO_LONG,
} VarintResult;

/* Reads an unsigned varint of at most @max_bytes whose value fits in
 * @bits bits. */
static VarintResult
read_uvarint (const guint8 * data, gsize len, guint max_bytes, guint bits,
    guint64 * value, gsize * consumed)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < max_bytes; i++) {
    guint8 b;

    if (i >= len)
      return VARINT_TRUNCATED;
    b = data[i];
    /* The last byte may only carry the bits that are left. */
    if (i == max_bytes - 1 && (b >> (bits - 7 * i)) != 0)
      return VARINT_TOO_LONG;
    v |= (guint64) (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *value = v;
      *consumed = i + 1;
      return VARINT_OK;
    }
  }
  return VARINT_TOO_LONG;
}

static VarintResult
read_varint (const guint8 * data, gsize len, gint32 * value, gsize * consumed)
{
  guint64 z;
  VarintResult res;

  res = read_uvarint (data, len, RG_VARINT_MAX_SIZE, 32, &z, consumed);
  if (res == VARINT_OK)
    *value = (gint32) ((guint32) (z >> 1) ^ (guint32) - (gint32) (z & 1));
  return res;
}

static VarintResult
read_varlong (const guint8 * data, gsize len, gint64 * value,
    gsize * consumed)
{
  guint64 z;
  VarintResult res;

  res = read_uvarint (data, len, RG_VARLONG_MAX_SIZE, 64, &z, consumed);
  if (res == VARINT_OK)
    *value = (gint64) ((z >> 1) ^ (guint64) - (gint64) (z & 1));
  return res;
}

gsize
rg_varint_decode (const guint8 * data, gsize len, gint32 * value)
{
  gsize consumed = 0;

  g_return_val_if_fail (data != NULL || len == 0, 0);
  g_return_val_if_fail (value != NULL, 0);

  if (read_varint (data, len, value, &consumed) != VARINT_OK)
    return 0;
  return consumed;
}

gsize
rg_varlong_decode (const guint8 * data, gsize len, gint64 * value)
{
  gsize consumed = 0;

  g_return_val_if_fail (data != NULL || len == 0, 0);
  g_return_val_if_fail (value != NULL, 0);

  if (read_varlong (data, len, value, &consumed) != VARINT_OK)
    return 0;
  return consumed;
}

/* ---- Encoder ---- */

/* A piece of the batch: caller memory when @external is set, else
 * @len bytes at @offset in the scratch buffer. */
typedef struct
{
  const guint8 *external;
  gsize offset;
  gsize len;
} Piece;

typedef enum
{
  ENCODER_IDLE,
  ENCODER_OPEN,
  ENCODER_FINISHED,
} EncoderState;

/* The scratch buffer, the piece list and the segment array only grow, so
 * an encoder that has built a batch of some shape builds the next one
 * without allocating. add() sizes a record first, makes room for all of
 * its scratch bytes at once and then writes them with plain stores. The
 * scratch bytes from @run_start to @scratch_len form the scratch piece
 * still open: a value that goes out by reference closes it, and so does
 * finish(). */
struct _RgBatchEncoder
{
  EncoderState state;
  gsize copy_threshold;

  guint8 *scratch;
  gsize scratch_len;
  gsize scratch_capacity;
  gsize run_start;

  Piece *pieces;
  guint n_pieces;
  guint pieces_capacity;

  struct iovec *segments;
  guint segments_capacity;

  gsize size;
  gint64 base_offset;
  gint64 base_timestamp;
  gint64 max_timestamp;
  gint32 n_records;
};

#define INITIAL_SCRATCH_CAPACITY 512
#define INITIAL_PIECES_CAPACITY 8

RgBatchEncoder *
rg_batch_encoder_new (void)
{
  RgBatchEncoder *encoder = g_new0 (RgBatchEncoder, 1);

  encoder->scratch = g_malloc (INITIAL_SCRATCH_CAPACITY);
  encoder->scratch_capacity = INITIAL_SCRATCH_CAPACITY;
  encoder->pieces = g_new (Piece, INITIAL_PIECES_CAPACITY);
  encoder->pieces_capacity = INITIAL_PIECES_CAPACITY;
  encoder->segments = g_new (struct iovec, INITIAL_PIECES_CAPACITY);
  encoder->segments_capacity = INITIAL_PIECES_CAPACITY;
  return encoder;
}

void
rg_batch_encoder_free (RgBatchEncoder * encoder)
{
  if (encoder == NULL)
    return;
  g_free (encoder->scratch);
  g_free (encoder->pieces);
  g_free (encoder->segments);
  g_free (encoder);
}

void
rg_batch_encoder_set_copy_threshold (RgBatchEncoder * encoder, gsize bytes)
{
  g_return_if_fail (encoder != NULL);

  encoder->copy_threshold = bytes;
}

/* Doubles @capacity until it holds @needed; doubling keeps the bytes a
 * growing batch copies proportional to its size. */
static gsize
grown_capacity (gsize capacity, gsize needed)
{
  capacity = MAX (capacity, 1);
  while (capacity < needed) {
    if (capacity > G_MAXSIZE / 2)
      return needed;
    capacity *= 2;
  }
  return capacity;
}

/* Makes room for @extra more scratch bytes. */
static inline void
scratch_reserve (RgBatchEncoder * encoder, gsize extra)
{
  gsize needed = encoder->scratch_len + extra;

  if (G_LIKELY (needed <= encoder->scratch_capacity))
    return;
  encoder->scratch_capacity =
      grown_capacity (encoder->scratch_capacity, needed);
  encoder->scratch = g_realloc (encoder->scratch, encoder->scratch_capacity);
}

/* Makes room for @extra more pieces. */
static inline void
pieces_reserve (RgBatchEncoder * encoder, guint extra)
{
  gsize needed = (gsize) encoder->n_pieces + extra;

  if (G_LIKELY (needed <= encoder->pieces_capacity))
    return;
  needed = grown_capacity (encoder->pieces_capacity, needed);
  g_assert (needed <= G_MAXUINT);
  encoder->pieces_capacity = (guint) needed;
  encoder->pieces = g_renew (Piece, encoder->pieces, needed);
}

/* Copies @len bytes to @p and returns the byte after them. Keys and header
 * values are a few bytes each, where calling memcpy() costs more than the
 * copy: up to 16 bytes move as two fixed-size loads and stores that
 * overlap in the middle, which the compiler emits inline. Neither reads nor
 * writes outside the @len bytes. */
static inline guint8 *
put_bytes (guint8 * p, const guint8 * src, gsize len)
{
  if (len > 16) {
    memcpy (p, src, len);
  } else if (len >= 8) {
    guint64 head, tail;

    memcpy (&head, src, 8);
    memcpy (&tail, src + len - 8, 8);
    memcpy (p, &head, 8);
    memcpy (p + len - 8, &tail, 8);
  } else if (len >= 4) {
    guint32 head, tail;

    memcpy (&head, src, 4);
    memcpy (&tail, src + len - 4, 4);
    memcpy (p, &head, 4);
    memcpy (p + len - 4, &tail, 4);
  } else if (len > 0) {
    p[0] = src[0];
    p[len / 2] = src[len / 2];
    p[len - 1] = src[len - 1];
  }
  return p + len;
}

/* Ends the open scratch piece at @end, if it holds any byte. The pieces
 * have been reserved by the caller. */
static void
close_scratch_run (RgBatchEncoder * encoder, const guint8 * end)
{
  gsize len = (gsize) (end - encoder->scratch);

  if (len > encoder->run_start) {
    Piece *piece = &encoder->pieces[encoder->n_pieces++];

    piece->external = NULL;
    piece->offset = encoder->run_start;
    piece->len = len - encoder->run_start;
  }
  encoder->scratch_len = encoder->run_start = len;
}

/* Puts one range of a value at @p: copied when it is below the copy
 * threshold, else as a piece of its own that points at the caller's
 * memory. Returns where the scratch bytes continue. */
static guint8 *
put_value_range (RgBatchEncoder * encoder, guint8 * p, const guint8 * data,
    gsize len)
{
  Piece *piece;

  if (len == 0)
    return p;
  if (len < encoder->copy_threshold)
    return put_bytes (p, data, len);
  close_scratch_run (encoder, p);
  piece = &encoder->pieces[encoder->n_pieces++];
  piece->external = data;
  piece->offset = 0;
  piece->len = len;
  return p;
}

void
rg_batch_encoder_begin (RgBatchEncoder * encoder, gint64 base_offset)
{
  g_return_if_fail (encoder != NULL);

  /* The header's bytes are all written by finish(), once the counts are
   * known; until then they are only reserved. */
  encoder->scratch_len = RG_BATCH_HEADER_SIZE;
  encoder->run_start = 0;
  encoder->n_pieces = 0;

  encoder->size = RG_BATCH_HEADER_SIZE;
  encoder->base_offset = base_offset;
  encoder->base_timestamp = 0;
  encoder->max_timestamp = 0;
  encoder->n_records = 0;
  encoder->state = ENCODER_OPEN;
}

guint
rg_batch_encoder_get_n_records (const RgBatchEncoder * encoder)
{
  g_return_val_if_fail (encoder != NULL, 0);

  return encoder->n_records;
}

gsize
rg_batch_encoder_get_size (const RgBatchEncoder * encoder)
{
  g_return_val_if_fail (encoder != NULL, 0);

  return encoder->size;
}

/* Total value length, or -1 for a null value; @copied gets the bytes of it
 * that a copy threshold of @threshold puts in the scratch buffer. Lengths
 * above G_MAXINT32 are returned as they are for the caller to reject. */
static gint64
record_value_length (const RgRecord * record, gsize threshold,
    guint64 * copied)
{
  guint64 total = 0;
  guint i;

  *copied = 0;
  if (record->n_value_chunks == 0) {
    if (record->value == NULL)
      return -1;
    if (record->value_len < threshold)
      *copied = record->value_len;
    return (gint64) MIN (record->value_len, (gsize) G_MAXINT64);
  }
  for (i = 0; i < record->n_value_chunks; i++) {
    gsize len = record->value_chunks[i].iov_len;

    total += len;
    if (total > G_MAXINT32)
      return (gint64) G_MAXINT32 + 1;
    if (len < threshold)
      *copied += len;
  }
  return (gint64) total;
}

/* Whether every byte of @w is in 1..0x7f: a byte of 0 borrows in the
 * subtraction and sets its own top bit, a byte >= 0x80 has it set, and
 * without either no borrow crosses a byte. */
static inline gboolean
word64_is_plain_ascii (guint64 w)
{
  return ((w | (w - G_GUINT64_CONSTANT (0x0101010101010101)))
      & G_GUINT64_CONSTANT (0x8080808080808080)) == 0;
}

static inline gboolean
word32_is_plain_ascii (guint32 w)
{
  return ((w | (w - 0x01010101u)) & 0x80808080u) == 0;
}

/* Whether @len bytes at @s are free of NUL and of bytes >= 0x80, read a
 * word at a time; the last word overlaps the one before it rather than
 * reading past the end. */
static gboolean
is_plain_ascii (const guint8 * s, gsize len)
{
  guint64 w64;
  guint32 w32, tail32;
  gsize i;

  if (len >= 8) {
    for (i = 0; i + 8 < len; i += 8) {
      memcpy (&w64, s + i, 8);
      if (!word64_is_plain_ascii (w64))
        return FALSE;
    }
    memcpy (&w64, s + len - 8, 8);
    return word64_is_plain_ascii (w64);
  }
  if (len >= 4) {
    memcpy (&w32, s, 4);
    memcpy (&tail32, s + len - 4, 4);
    return word32_is_plain_ascii (w32) && word32_is_plain_ascii (tail32);
  }
  for (i = 0; i < len; i++)
    if (s[i] == 0 || s[i] >= 0x80)
      return FALSE;
  return TRUE;
}

/* Whether @len bytes at @s are UTF-8 without NUL, as
 * g_utf8_validate_len() decides. Header keys are nearly always short ASCII
 * names, accepted here without a library call; anything else gets GLib's
 * full check. */
static inline gboolean
header_key_is_valid (const gchar * s, gsize len)
{
  return is_plain_ascii ((const guint8 *) s, len)
      || g_utf8_validate_len (s, len, NULL);
}

/* Bytes the headers take on the wire, or G_MAXUINT64 if a length is
 * out of range or a key is not UTF-8. */
static guint64
record_headers_size (const RgRecord * record, GError ** error)
{
  guint64 total = varint_size (MIN (record->n_headers, G_MAXINT32));
  guint i;

  if (record->n_headers > G_MAXINT32)
    goto too_many;
  for (i = 0; i < record->n_headers; i++) {
    const RgRecordHeader *h = &record->headers[i];

    if (h->key == NULL || h->key_len > G_MAXINT32
        || (h->value != NULL && h->value_len > G_MAXINT32))
      goto bad_header;
    if (!header_key_is_valid (h->key, h->key_len))
      goto bad_key;
    total += varint_size ((gint32) h->key_len) + h->key_len;
    total += h->value ? varint_size ((gint32) h->value_len) + h->value_len : 1;
    if (total > G_MAXINT32)
      goto too_large;
  }
  return total;

  /* ERRORS */
too_many:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "%u record headers exceed the format's limit of %d", record->n_headers,
      G_MAXINT32);
  return G_MAXUINT64;
bad_header:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "record header %u has no key or a key or value longer than %d bytes",
      i, G_MAXINT32);
  return G_MAXUINT64;
bad_key:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_ENVELOPE,
      "record header %u: the key is not valid UTF-8", i);
  return G_MAXUINT64;
too_large:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "record headers exceed %d bytes", G_MAXINT32);
  return G_MAXUINT64;
}

static guint8 *
put_value (RgBatchEncoder * encoder, guint8 * p, const RgRecord * record)
{
  guint i;

  if (record->n_value_chunks == 0)
    return record->value ? put_value_range (encoder, p, record->value,
        record->value_len) : p;
  for (i = 0; i < record->n_value_chunks; i++)
    p = put_value_range (encoder, p, record->value_chunks[i].iov_base,
        record->value_chunks[i].iov_len);
  return p;
}

static guint8 *
put_headers (guint8 * p, const RgRecord * record)
{
  guint i;

  p = put_varint (p, (gint32) record->n_headers);
  for (i = 0; i < record->n_headers; i++) {
    const RgRecordHeader *h = &record->headers[i];

    p = put_varint (p, (gint32) h->key_len);
    p = put_bytes (p, (const guint8 *) h->key, h->key_len);
    if (h->value) {
      p = put_varint (p, (gint32) h->value_len);
      p = put_bytes (p, h->value, h->value_len);
    } else {
      p = put_varint (p, -1);
    }
  }
  return p;
}

/* Writes a record whose fields add() has checked and sized: @body is its
 * length after the length varint, @scratch_bytes what of it goes to the
 * scratch buffer. */
static void
encoder_put_record (RgBatchEncoder * encoder, const RgRecord * record,
    gint32 body, gsize scratch_bytes, gint64 timestamp_delta,
    gint32 key_len, gint32 value_len)
{
  guint8 *p;

  /* A value range adds at most two pieces: the scratch piece it closes and
   * its own. */
  pieces_reserve (encoder, 2 * MAX (record->n_value_chunks, 1));
  scratch_reserve (encoder, scratch_bytes);
  p = encoder->scratch + encoder->scratch_len;
  p = put_varint (p, body);
  *p++ = 0;
  p = put_varlong (p, timestamp_delta);
  p = put_varint (p, encoder->n_records);
  p = put_varint (p, key_len);
  if (record->key)
    p = put_bytes (p, record->key, record->key_len);
  p = put_varint (p, value_len);
  p = put_value (encoder, p, record);
  p = put_headers (p, record);
  encoder->scratch_len = (gsize) (p - encoder->scratch);
  g_assert (encoder->scratch_len <= encoder->scratch_capacity);
}

gboolean
rg_batch_encoder_add (RgBatchEncoder * encoder, const RgRecord * record,
    GError ** error)
{
  gint64 timestamp_delta, value_len, key_len;
  gint32 offset_delta;
  guint64 headers_size, body, total, copied;
  gint64 base_timestamp;

  g_return_val_if_fail (encoder != NULL, FALSE);
  g_return_val_if_fail (encoder->state == ENCODER_OPEN, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (record->n_value_chunks == 0
      || record->value_chunks != NULL, FALSE);
  g_return_val_if_fail (record->n_headers == 0 || record->headers != NULL,
      FALSE);

  if (encoder->n_records == G_MAXINT32)
    goto too_many_records;
  offset_delta = encoder->n_records;
  base_timestamp = offset_delta == 0 ? record->timestamp :
      encoder->base_timestamp;
  if (__builtin_sub_overflow (record->timestamp, base_timestamp,
          &timestamp_delta))
    goto timestamp_range;

  key_len = record->key ? (gint64) MIN (record->key_len, (gsize) G_MAXINT64)
      : -1;
  value_len = record_value_length (record, encoder->copy_threshold, &copied);
  if (key_len > G_MAXINT32 || value_len > G_MAXINT32)
    goto field_too_large;
  headers_size = record_headers_size (record, error);
  if (headers_size == G_MAXUINT64)
    return FALSE;

  body = 1 + varlong_size (timestamp_delta) + varint_size (offset_delta)
      + varint_size ((gint32) key_len) + MAX (key_len, 0)
      + varint_size ((gint32) value_len) + MAX (value_len, 0) + headers_size;
  if (body > G_MAXINT32)
    goto record_too_large;
  total = varint_size ((gint32) body) + body;
  if (encoder->size - RG_BATCH_LOG_OVERHEAD + total > G_MAXINT32)
    goto batch_too_large;

  /* Everything is checked: from here on the record is committed. */
  encoder_put_record (encoder, record, (gint32) body,
      (gsize) (total - (guint64) MAX (value_len, 0) + copied),
      timestamp_delta, (gint32) key_len, (gint32) value_len);

  encoder->size += total;
  encoder->base_timestamp = base_timestamp;
  if (offset_delta == 0 || record->timestamp > encoder->max_timestamp)
    encoder->max_timestamp = record->timestamp;
  encoder->n_records++;
  return TRUE;

  /* ERRORS */
too_many_records:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "a batch holds at most %d records", G_MAXINT32);
  return FALSE;
timestamp_range:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "timestamp %" G_GINT64_FORMAT " is too far from the batch's base "
      "timestamp %" G_GINT64_FORMAT " to be stored as a delta",
      record->timestamp, base_timestamp);
  return FALSE;
field_too_large:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "record %d: key (%" G_GINT64_FORMAT " bytes) or value (%"
      G_GINT64_FORMAT " bytes) exceeds %d bytes", offset_delta, key_len,
      value_len, G_MAXINT32);
  return FALSE;
record_too_large:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "record %d would take %" G_GUINT64_FORMAT " bytes, more than %d",
      offset_delta, body, G_MAXINT32);
  return FALSE;
batch_too_large:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TOO_LARGE,
      "record %d would grow the batch to %" G_GUINT64_FORMAT " bytes, more "
      "than batchLength can describe", offset_delta,
      (guint64) encoder->size + total);
  return FALSE;
}

static void
encoder_write_header (RgBatchEncoder * encoder)
{
  guint8 *h = encoder->scratch;

  put_be64 (h, (guint64) encoder->base_offset);
  put_be32 (h + POS_BATCH_LENGTH,
      (guint32) (encoder->size - RG_BATCH_LOG_OVERHEAD));
  put_be32 (h + POS_LEADER_EPOCH, 0);
  h[POS_MAGIC] = RG_BATCH_MAGIC;
  put_be16 (h + POS_ATTRIBUTES, 0);
  put_be32 (h + POS_LAST_OFFSET_DELTA, (guint32) (encoder->n_records - 1));
  put_be64 (h + POS_BASE_TIMESTAMP, (guint64) encoder->base_timestamp);
  put_be64 (h + POS_MAX_TIMESTAMP, (guint64) encoder->max_timestamp);
  put_be64 (h + POS_PRODUCER_ID, (guint64) - 1);
  put_be16 (h + POS_PRODUCER_EPOCH, (guint16) - 1);
  put_be32 (h + POS_BASE_SEQUENCE, (guint32) - 1);
  put_be32 (h + POS_RECORDS_COUNT, (guint32) encoder->n_records);
}

/* Resolves pieces to iovecs and returns the CRC of bytes [21, end), run
 * once over the pieces in place. */
static guint32
encoder_build_segments (RgBatchEncoder * encoder)
{
  guint32 crc = 0;
  guint i;

  if (encoder->n_pieces > encoder->segments_capacity) {
    encoder->segments_capacity = encoder->pieces_capacity;
    encoder->segments = g_renew (struct iovec, encoder->segments,
        encoder->segments_capacity);
  }
  for (i = 0; i < encoder->n_pieces; i++) {
    const Piece *piece = &encoder->pieces[i];
    struct iovec *seg = &encoder->segments[i];
    const guint8 *base = piece->external ? piece->external :
        encoder->scratch + piece->offset;

    /* writev() takes non-const iovecs but never writes through them. */
    seg->iov_base = (void *) base;
    seg->iov_len = piece->len;
    /* The first piece is the scratch range that starts with the header. */
    if (i == 0)
      crc = rg_crc32c (crc, base + RG_BATCH_CRC_START,
          piece->len - RG_BATCH_CRC_START);
    else
      crc = rg_crc32c (crc, base, piece->len);
  }
  return crc;
}

static void
info_from_header (const guint8 * h, RgBatchInfo * info)
{
  info->base_offset = (gint64) get_be64 (h);
  info->batch_length = (gint32) get_be32 (h + POS_BATCH_LENGTH);
  info->partition_leader_epoch = (gint32) get_be32 (h + POS_LEADER_EPOCH);
  info->magic = (gint8) h[POS_MAGIC];
  info->crc = get_be32 (h + RG_BATCH_CRC_OFFSET);
  info->attributes = (gint16) get_be16 (h + POS_ATTRIBUTES);
  info->last_offset_delta = (gint32) get_be32 (h + POS_LAST_OFFSET_DELTA);
  info->base_timestamp = (gint64) get_be64 (h + POS_BASE_TIMESTAMP);
  info->max_timestamp = (gint64) get_be64 (h + POS_MAX_TIMESTAMP);
  info->producer_id = (gint64) get_be64 (h + POS_PRODUCER_ID);
  info->producer_epoch = (gint16) get_be16 (h + POS_PRODUCER_EPOCH);
  info->base_sequence = (gint32) get_be32 (h + POS_BASE_SEQUENCE);
  info->records_count = (gint32) get_be32 (h + POS_RECORDS_COUNT);
}

const struct iovec *
rg_batch_encoder_finish (RgBatchEncoder * encoder, guint * n_segments,
    gsize * size, RgBatchInfo * info)
{
  guint32 crc;

  g_return_val_if_fail (encoder != NULL, NULL);
  g_return_val_if_fail (encoder->state == ENCODER_OPEN, NULL);
  g_return_val_if_fail (encoder->n_records > 0, NULL);
  g_return_val_if_fail (n_segments != NULL, NULL);

  pieces_reserve (encoder, 1);
  close_scratch_run (encoder, encoder->scratch + encoder->scratch_len);
  encoder_write_header (encoder);
  crc = encoder_build_segments (encoder);
  put_be32 (encoder->scratch + RG_BATCH_CRC_OFFSET, crc);
  encoder->state = ENCODER_FINISHED;

  if (info)
    info_from_header (encoder->scratch, info);
  if (size)
    *size = encoder->size;
  *n_segments = encoder->n_pieces;
  return encoder->segments;
}

GByteArray *
rg_batch_encode (gint64 base_offset, const RgRecord * records,
    guint n_records, GError ** error)
{
  RgBatchEncoder *encoder;
  const struct iovec *segments;
  GByteArray *out;
  guint i, n_segments = 0;
  gsize size = 0;

  g_return_val_if_fail (records != NULL, NULL);
  g_return_val_if_fail (n_records > 0, NULL);

  encoder = rg_batch_encoder_new ();
  rg_batch_encoder_begin (encoder, base_offset);
  for (i = 0; i < n_records; i++) {
    if (!rg_batch_encoder_add (encoder, &records[i], error)) {
      rg_batch_encoder_free (encoder);
      return NULL;
    }
  }
  segments = rg_batch_encoder_finish (encoder, &n_segments, &size, NULL);
  out = g_byte_array_sized_new (size);
  for (i = 0; i < n_segments; i++)
    g_byte_array_append (out, segments[i].iov_base, segments[i].iov_len);
  rg_batch_encoder_free (encoder);
  return out;
}

void
rg_batch_write_base_offset (guint8 * batch, gint64 base_offset)
{
  g_return_if_fail (batch != NULL);

  put_be64 (batch, (guint64) base_offset);
}

/* ---- Decoder ---- */

gboolean
rg_batch_parse_header (const guint8 * data, gsize len, RgBatchInfo * info,
    GError ** error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (len < RG_BATCH_HEADER_SIZE)
    goto truncated;
  info_from_header (data, info);
  if (info->magic != RG_BATCH_MAGIC)
    goto bad_magic;
  if (info->batch_length < BATCH_MIN_LENGTH)
    goto bad_length;
  if (info->last_offset_delta < 0)
    goto bad_last_offset_delta;
  if (info->records_count < 0)
    goto bad_count;
  /* Offset deltas strictly increase from 0, so N records need a
   * lastOffsetDelta of at least N - 1. */
  if (info->records_count > 0
      && info->last_offset_delta < info->records_count - 1)
    goto bad_last_offset_delta;
  if ((guint64) info->records_count * RECORD_MIN_SIZE >
      (guint64) (info->batch_length - BATCH_MIN_LENGTH))
    goto count_too_large;
  return TRUE;

  /* ERRORS */
truncated:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
      "batch header truncated: it needs %d bytes, only %" G_GSIZE_FORMAT
      " are present", RG_BATCH_HEADER_SIZE, len);
  return FALSE;
bad_magic:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_BAD_MAGIC,
      "magic byte at byte %d is %d, expected %d (RecordBatch v2)",
      POS_MAGIC, info->magic, RG_BATCH_MAGIC);
  return FALSE;
bad_length:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "batchLength at byte %d is %d, less than the %d bytes of a v2 header",
      POS_BATCH_LENGTH, info->batch_length, BATCH_MIN_LENGTH);
  return FALSE;
bad_last_offset_delta:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "lastOffsetDelta at byte %d is %d, impossible for recordsCount %d",
      POS_LAST_OFFSET_DELTA, info->last_offset_delta, info->records_count);
  return FALSE;
bad_count:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "recordsCount at byte %d is negative (%d)", POS_RECORDS_COUNT,
      info->records_count);
  return FALSE;
count_too_large:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "recordsCount at byte %d is %d, more records than batchLength %d "
      "can hold", POS_RECORDS_COUNT, info->records_count,
      info->batch_length);
  return FALSE;
}

gsize
rg_batch_validate (const guint8 * data, gsize len, RgBatchInfo * info,
    GError ** error)
{
  RgBatchInfo local;
  gsize size;
  guint32 crc;

  g_return_val_if_fail (data != NULL || len == 0, 0);

  if (info == NULL)
    info = &local;
  if (!rg_batch_parse_header (data, len, info, error))
    return 0;
  size = RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
  if (len < size)
    goto truncated;
  crc = rg_crc32c (0, data + RG_BATCH_CRC_START, size - RG_BATCH_CRC_START);
  if (crc != info->crc)
    goto crc_mismatch;
  return size;

  /* ERRORS */
truncated:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
      "batch truncated: batchLength %d at byte %d makes it %" G_GSIZE_FORMAT
      " bytes, only %" G_GSIZE_FORMAT " are present", info->batch_length,
      POS_BATCH_LENGTH, size, len);
  return 0;
crc_mismatch:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CRC_MISMATCH,
      "CRC-32C mismatch: byte %d stores 0x%08x, bytes %d..%" G_GSIZE_FORMAT
      " compute to 0x%08x", RG_BATCH_CRC_OFFSET, info->crc,
      RG_BATCH_CRC_START, size - 1, crc);
  return 0;
}

gboolean
rg_batch_reader_init (RgBatchReader * reader, const guint8 * data, gsize len,
    GError ** error)
{
  gsize size;

  g_return_val_if_fail (reader != NULL, FALSE);

  memset (reader, 0, sizeof (*reader));
  size = rg_batch_validate (data, len, &reader->info, error);
  if (size == 0)
    return FALSE;
  if (reader->info.attributes & ATTR_COMPRESSION_MASK)
    goto compressed;

  reader->data = data;
  reader->size = size;
  reader->pos = RG_BATCH_HEADER_SIZE;
  reader->index = 0;
  reader->prev_offset_delta = -1;
  return TRUE;

  /* ERRORS */
compressed:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_UNSUPPORTED,
      "attributes at byte %d say compression codec %d; only uncompressed "
      "batches can be read", POS_ATTRIBUTES,
      reader->info.attributes & ATTR_COMPRESSION_MASK);
  return FALSE;
}

const RgBatchInfo *
rg_batch_reader_get_info (const RgBatchReader * reader)
{
  g_return_val_if_fail (reader != NULL, NULL);

  return &reader->info;
}

/* A bounded view of the bytes being parsed: [pos, end) of @data, with
 * byte positions counted from the batch start for messages. */
typedef struct
{
  const guint8 *data;
  gsize pos;
  gsize end;
} Cursor;

static gboolean
cursor_varint (Cursor * c, const gchar * field, gint32 * value,
    GError ** error)
{
  gsize n = 0;

  switch (read_varint (c->data + c->pos, c->end - c->pos, value, &n)) {
    case VARINT_OK:
      c->pos += n;
      return TRUE;
    case VARINT_TRUNCATED:
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
          "%s varint at byte %" G_GSIZE_FORMAT " runs past byte %"
          G_GSIZE_FORMAT, field, c->pos, c->end);
      return FALSE;
    case VARINT_TOO_LONG:
    default:
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
          "%s varint at byte %" G_GSIZE_FORMAT " is longer than %d bytes "
          "or overflows 32 bits", field, c->pos, RG_VARINT_MAX_SIZE);
      return FALSE;
  }
}

static gboolean
cursor_varlong (Cursor * c, const gchar * field, gint64 * value,
    GError ** error)
{
  gsize n = 0;

  switch (read_varlong (c->data + c->pos, c->end - c->pos, value, &n)) {
    case VARINT_OK:
      c->pos += n;
      return TRUE;
    case VARINT_TRUNCATED:
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
          "%s varlong at byte %" G_GSIZE_FORMAT " runs past byte %"
          G_GSIZE_FORMAT, field, c->pos, c->end);
      return FALSE;
    case VARINT_TOO_LONG:
    default:
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
          "%s varlong at byte %" G_GSIZE_FORMAT " is longer than %d bytes "
          "or overflows 64 bits", field, c->pos, RG_VARLONG_MAX_SIZE);
      return FALSE;
  }
}

/* Reads a length varint (>= @min) and the bytes it announces. A length of
 * -1 yields a NULL pointer. */
static gboolean
cursor_sized_bytes (Cursor * c, const gchar * field, gint32 min,
    const guint8 ** bytes, gsize * len, GError ** error)
{
  gsize field_pos = c->pos;
  gint32 n;

  if (!cursor_varint (c, field, &n, error))
    return FALSE;
  if (n < min)
    goto bad_length;
  if (n < 0) {
    *bytes = NULL;
    *len = 0;
    return TRUE;
  }
  if ((gsize) n > c->end - c->pos)
    goto truncated;
  *bytes = c->data + c->pos;
  *len = (gsize) n;
  c->pos += (gsize) n;
  return TRUE;

  /* ERRORS */
bad_length:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "%s length at byte %" G_GSIZE_FORMAT " is %d (must be >= %d)", field,
      field_pos, n, min);
  return FALSE;
truncated:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
      "%s length at byte %" G_GSIZE_FORMAT " is %d, only %" G_GSIZE_FORMAT
      " bytes are left", field, field_pos, n, c->end - c->pos);
  return FALSE;
}

static gboolean
parse_record_headers (Cursor * c, RgRecordView * record, GError ** error)
{
  gsize count_pos = c->pos;
  gint32 count, i;

  if (!cursor_varint (c, "headerCount", &count, error))
    return FALSE;
  if (count < 0)
    goto bad_count;
  record->headers = c->data + c->pos;
  for (i = 0; i < count; i++) {
    const guint8 *bytes;
    gsize len;

    if (!cursor_sized_bytes (c, "header key", 0, &bytes, &len, error)
        || !cursor_sized_bytes (c, "header value", -1, &bytes, &len, error)) {
      g_prefix_error (error, "header %d: ", i);
      return FALSE;
    }
  }
  record->headers_end = c->data + c->pos;
  record->n_headers = (guint) count;
  return TRUE;

  /* ERRORS */
bad_count:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "headerCount at byte %" G_GSIZE_FORMAT " is negative (%d)", count_pos,
      count);
  return FALSE;
}

/* Parses the record body in @c, which spans exactly the declared record
 * length. */
static gboolean
parse_record_body (RgBatchReader * reader, Cursor * c, RgRecordView * record,
    GError ** error)
{
  gsize delta_pos;
  gint64 timestamp_delta;
  gint32 offset_delta;

  if (c->pos >= c->end)
    goto truncated;
  record->attributes = (gint8) c->data[c->pos++];
  if (!cursor_varlong (c, "timestampDelta", &timestamp_delta, error))
    return FALSE;
  delta_pos = c->pos;
  if (!cursor_varint (c, "offsetDelta", &offset_delta, error))
    return FALSE;
  if (offset_delta <= reader->prev_offset_delta
      || offset_delta > reader->info.last_offset_delta)
    goto bad_offset_delta;
  if (!cursor_sized_bytes (c, "key", -1, &record->key, &record->key_len,
          error)
      || !cursor_sized_bytes (c, "value", -1, &record->value,
          &record->value_len, error)
      || !parse_record_headers (c, record, error))
    return FALSE;
  if (c->pos != c->end)
    goto size_mismatch;

  reader->prev_offset_delta = offset_delta;
  /* Wrapping arithmetic: corrupt-but-CRC-valid input must not be UB. */
  record->offset = (gint64) ((guint64) reader->info.base_offset +
      (guint64) offset_delta);
  record->timestamp = (gint64) ((guint64) reader->info.base_timestamp +
      (guint64) timestamp_delta);
  return TRUE;

  /* ERRORS */
truncated:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
      "attributes at byte %" G_GSIZE_FORMAT " lie past the record's end",
      c->pos);
  return FALSE;
bad_offset_delta:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "offsetDelta at byte %" G_GSIZE_FORMAT " is %d; it must exceed the "
      "previous one (%" G_GINT64_FORMAT ") and not exceed lastOffsetDelta %d",
      delta_pos, offset_delta, reader->prev_offset_delta,
      reader->info.last_offset_delta);
  return FALSE;
size_mismatch:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "the record's fields end at byte %" G_GSIZE_FORMAT ", but its length "
      "says byte %" G_GSIZE_FORMAT, c->pos, c->end);
  return FALSE;
}

static gboolean
reader_check_end (RgBatchReader * reader, GError ** error)
{
  if (reader->pos == reader->size)
    return TRUE;
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "%" G_GSIZE_FORMAT " bytes follow the last of %d records at byte %"
      G_GSIZE_FORMAT, reader->size - reader->pos, reader->info.records_count,
      reader->pos);
  return FALSE;
}

gboolean
rg_batch_reader_next (RgBatchReader * reader, RgRecordView * record,
    GError ** error)
{
  Cursor c;
  gint32 length;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (reader->data == NULL)
    goto failed_before;
  if (reader->index == reader->info.records_count) {
    if (!reader_check_end (reader, error))
      goto failed;
    return FALSE;
  }

  memset (record, 0, sizeof (*record));
  record->index = reader->index;
  record->position = reader->pos;
  c.data = reader->data;
  c.pos = reader->pos;
  c.end = reader->size;
  if (!cursor_varint (&c, "length", &length, error))
    goto failed_record;
  if (length < 0 || (gsize) length > c.end - c.pos)
    goto bad_length;
  c.end = c.pos + (gsize) length;
  if (!parse_record_body (reader, &c, record, error))
    goto failed_record;

  reader->pos = c.end;
  reader->index++;
  return TRUE;

  /* ERRORS */
bad_length:
  g_set_error (error, RG_BATCH_ERROR, length < 0 ? RG_BATCH_ERROR_CORRUPT :
      RG_BATCH_ERROR_TRUNCATED, "length at byte %" G_GSIZE_FORMAT " is %d, "
      "but %" G_GSIZE_FORMAT " bytes are left in the batch", record->position,
      length, c.end - c.pos);
failed_record:
  g_prefix_error (error, "record %d at byte %" G_GSIZE_FORMAT ": ",
      record->index, record->position);
failed:
  reader->data = NULL;
  return FALSE;
failed_before:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
      "the batch was found invalid before; records cannot be read");
  return FALSE;
}

void
rg_record_view_iter_headers (const RgRecordView * record,
    RgRecordHeaderIter * iter)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (iter != NULL);

  iter->pos = record->headers;
  iter->end = record->headers_end;
  iter->remaining = record->n_headers;
}

gboolean
rg_record_header_iter_next (RgRecordHeaderIter * iter,
    RgRecordHeader * header)
{
  gint32 n = 0;
  gsize used;

  g_return_val_if_fail (iter != NULL, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  if (iter->remaining == 0)
    return FALSE;
  /* rg_batch_reader_next() checked these bounds; they are re-checked so a
   * misused iterator fails instead of reading out of range. */
  used = rg_varint_decode (iter->pos, iter->end - iter->pos, &n);
  g_return_val_if_fail (used > 0 && n >= 0
      && (gsize) n <= (gsize) (iter->end - iter->pos) - used, FALSE);
  header->key = (const gchar *) iter->pos + used;
  header->key_len = (gsize) n;
  iter->pos += used + (gsize) n;
  used = rg_varint_decode (iter->pos, iter->end - iter->pos, &n);
  g_return_val_if_fail (used > 0 && n >= -1
      && (n < 0 || (gsize) n <= (gsize) (iter->end - iter->pos) - used),
      FALSE);
  header->value = n < 0 ? NULL : iter->pos + used;
  header->value_len = n < 0 ? 0 : (gsize) n;
  iter->pos += used + (gsize) MAX (n, 0);
  iter->remaining--;
  return TRUE;
}

gboolean
rg_record_view_find_header (const RgRecordView * record, const gchar * key,
    RgRecordHeader * header)
{
  RgRecordHeaderIter iter;
  RgRecordHeader h;
  gsize key_len;
  gboolean found = FALSE;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  key_len = strlen (key);
  rg_record_view_iter_headers (record, &iter);
  while (rg_record_header_iter_next (&iter, &h)) {
    if (h.key_len == key_len && memcmp (h.key, key, key_len) == 0) {
      found = TRUE;
      if (header)
        *header = h;
    }
  }
  return found;
}

/* ---- Envelope ---- */

static void
envelope_add (RgEnvelope * envelope, const gchar * key, const guint8 * value,
    gsize value_len)
{
  RgRecordHeader *h = &envelope->headers[envelope->n_headers++];

  h->key = key;
  h->key_len = strlen (key);
  h->value = value;
  h->value_len = value_len;
}

void
rg_envelope_init (RgEnvelope * envelope, GstBuffer * buffer,
    const gchar * caps_string)
{
  guint8 *s;

  g_return_if_fail (envelope != NULL);
  g_return_if_fail (GST_IS_BUFFER (buffer));

  memset (envelope, 0, sizeof (*envelope));
  s = envelope->storage;
  put_be64 (s, GST_BUFFER_PTS (buffer));
  put_be64 (s + 8, GST_BUFFER_DTS (buffer));
  put_be64 (s + 16, GST_BUFFER_DURATION (buffer));
  put_be32 (s + 24, GST_BUFFER_FLAGS (buffer) & RG_ENVELOPE_FLAGS_MASK);

  envelope_add (envelope, RG_ENVELOPE_HEADER_PTS, s, 8);
  envelope_add (envelope, RG_ENVELOPE_HEADER_DTS, s + 8, 8);
  envelope_add (envelope, RG_ENVELOPE_HEADER_DURATION, s + 16, 8);
  envelope_add (envelope, RG_ENVELOPE_HEADER_FLAGS, s + 24, 4);
  if (caps_string)
    envelope_add (envelope, RG_ENVELOPE_HEADER_CAPS,
        (const guint8 *) caps_string, strlen (caps_string));
}

/* Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
#define NTP_TO_UNIX_SECONDS G_GUINT64_CONSTANT (2208988800)

gint64
rg_envelope_timestamp (GstBuffer * buffer, gint64 now_ms)
{
  gpointer state = NULL;
  GstMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), now_ms);

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_REFERENCE_TIMESTAMP_META_API_TYPE)) != NULL) {
    GstReferenceTimestampMeta *ref = (GstReferenceTimestampMeta *) meta;
    GstStructure *s;
    GstClockTime ts = ref->timestamp;

    if (ref->reference == NULL || gst_caps_is_empty (ref->reference)
        || !GST_CLOCK_TIME_IS_VALID (ts))
      continue;
    s = gst_caps_get_structure (ref->reference, 0);
    if (gst_structure_has_name (s, "timestamp/x-unix"))
      return (gint64) (ts / GST_MSECOND);
    if (gst_structure_has_name (s, "timestamp/x-ntp")
        && ts >= NTP_TO_UNIX_SECONDS * GST_SECOND)
      return (gint64) ((ts - NTP_TO_UNIX_SECONDS * GST_SECOND) / GST_MSECOND);
  }
  return now_ms;
}

static gboolean
header_is (const RgRecordHeader * h, const gchar * name)
{
  gsize len = strlen (name);

  return h->key_len == len && memcmp (h->key, name, len) == 0;
}

/* Reads an 8-byte clock time header into @out. */
static gboolean
envelope_read_time (const RgRecordHeader * h, GstClockTime * out,
    GError ** error)
{
  if (h->value == NULL || h->value_len != 8) {
    g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_ENVELOPE,
        "header %.*s must hold 8 bytes, it holds %s%" G_GSIZE_FORMAT,
        (int) h->key_len, h->key, h->value ? "" : "null, ", h->value_len);
    return FALSE;
  }
  *out = get_be64 (h->value);
  return TRUE;
}

static gboolean
envelope_read_header (const RgRecordHeader * h, RgEnvelopeFields * fields,
    GError ** error)
{
  if (header_is (h, RG_ENVELOPE_HEADER_PTS))
    return envelope_read_time (h, &fields->pts, error);
  if (header_is (h, RG_ENVELOPE_HEADER_DTS))
    return envelope_read_time (h, &fields->dts, error);
  if (header_is (h, RG_ENVELOPE_HEADER_DURATION))
    return envelope_read_time (h, &fields->duration, error);
  if (header_is (h, RG_ENVELOPE_HEADER_FLAGS)) {
    if (h->value == NULL || h->value_len != 4)
      goto bad_flags;
    fields->flags = get_be32 (h->value) & RG_ENVELOPE_FLAGS_MASK;
    fields->has_flags = TRUE;
  } else if (header_is (h, RG_ENVELOPE_HEADER_CAPS)) {
    if (h->value == NULL || memchr (h->value, 0, h->value_len) != NULL
        || !g_utf8_validate_len ((const gchar *) h->value, h->value_len, NULL))
      goto bad_caps;
    fields->caps = (const gchar *) h->value;
    fields->caps_len = h->value_len;
  }
  return TRUE;

  /* ERRORS */
bad_flags:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_ENVELOPE,
      "header gst.flags must hold 4 bytes, it holds %s%" G_GSIZE_FORMAT,
      h->value ? "" : "null, ", h->value_len);
  return FALSE;
bad_caps:
  g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_ENVELOPE,
      "header gst.caps is null, contains a NUL byte or is not UTF-8");
  return FALSE;
}

gboolean
rg_envelope_parse (const RgRecordView * record, RgEnvelopeFields * fields,
    GError ** error)
{
  RgRecordHeaderIter iter;
  RgRecordHeader h;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (fields != NULL, FALSE);

  memset (fields, 0, sizeof (*fields));
  fields->pts = fields->dts = fields->duration = GST_CLOCK_TIME_NONE;
  rg_record_view_iter_headers (record, &iter);
  while (rg_record_header_iter_next (&iter, &h)) {
    if (!envelope_read_header (&h, fields, error)) {
      g_prefix_error (error, "record at offset %" G_GINT64_FORMAT ": ",
          record->offset);
      return FALSE;
    }
  }
  return TRUE;
}

void
rg_envelope_fields_apply (const RgEnvelopeFields * fields, GstBuffer * buffer)
{
  g_return_if_fail (fields != NULL);
  g_return_if_fail (GST_IS_BUFFER (buffer));
  g_return_if_fail (gst_buffer_is_writable (buffer));

  GST_BUFFER_PTS (buffer) = fields->pts;
  GST_BUFFER_DTS (buffer) = fields->dts;
  GST_BUFFER_DURATION (buffer) = fields->duration;
  if (fields->has_flags) {
    GST_BUFFER_FLAGS (buffer) =
        (GST_BUFFER_FLAGS (buffer) & ~RG_ENVELOPE_FLAGS_MASK) | fields->flags;
  }
}
