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

#ifndef __RG_KAFKA_WIRE_H__
#define __RG_KAFKA_WIRE_H__

#include "kafka/rgkafka.h"

G_BEGIN_DECLS

/*
 * The Kafka wire primitives (rgkafkawire.c): a bounds-checked reader over
 * one request frame and a writer that builds an #RgKafkaResponse, for
 * every codec file of gst/kafka/ (rgkafka.c for the core apis, and the
 * files of further apis). Private to libgstrg: not installed, no RG_API.
 * The encodings are described at the top of rgkafkawire.c and in
 * docs/protocol.md.
 *
 * Flexible versions are handled here once: a reader or writer carries a
 * @flexible flag, set from the request header (or by the response's
 * creator), and the "field" functions (rg_kafka_read_str(),
 * rg_kafka_read_array_count(), rg_kafka_read_tags(), rg_kafka_put_str(),
 * rg_kafka_put_array_count(), rg_kafka_put_tags(), ...) pick the classic
 * or the compact encoding from it, so an api's parser or builder is
 * written once for all its versions. The explicit functions
 * (rg_kafka_read_string(), rg_kafka_read_compact_string(), ...) are for
 * the few fields that do not follow the flag (the request header's client
 * id is a classic nullable STRING even in header v2).
 *
 * Errors are sticky, on both sides. After the first failure every read
 * returns a zero value (0, the null string, a NULL pointer) without
 * touching the frame, and every write is ignored; the parser or builder
 * checks once at the end (@failed for a reader, rg_kafka_response_finish()
 * for a writer). So a loop over an array must also stop when
 * @reader->failed is set, which the array count functions make cheap: a
 * count is 0 after a failure.
 *
 * Bounds: nothing is ever read outside the frame. A length is checked
 * against the bytes left before it is used, and an array count against
 * the smallest encoding of one element (@min_element_size), so an absurd
 * count fails before the caller allocates anything: a request never holds
 * more than a small multiple of its frame size.
 *
 * Ownership: strings, byte and record views returned by the reader point
 * into the frame, which must outlive them. The writer copies what it is
 * given (protocol bytes are small), except record sets, which it only
 * references (rg_kafka_put_records_ref()).
 *
 * Thread-safety: a reader or a response is used by one thread at a time;
 * there is no global state.
 */

/*
 * RgKafkaReader:
 * @data: the frame (after its size prefix)
 * @len: bytes in @data
 * @pos: the next byte to read, counted from the first byte of the frame
 *   (the api key), as error messages count it
 * @failed: set by the first failure, never cleared
 * @flexible: read the compact encodings and tag sections (set by
 *   rg_kafka_read_request_header() for a flexible request)
 * @error: where the first failure is reported (may be NULL)
 *
 * Fill it with rg_kafka_reader_init(); read the fields directly.
 */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  gboolean failed;
  gboolean flexible;
  GError **error;
} RgKafkaReader;

/* Longest unsigned varint of a 32-bit value (5 bytes). */
#define RG_KAFKA_UVARINT_MAX_SIZE 5

/* Starts reading @len bytes at @data, classic (non-flexible) encodings,
 * reporting the first failure to @error (nullable). */
void rg_kafka_reader_init (RgKafkaReader * r, const guint8 * data, gsize len,
    GError ** error);

/* Fails @r with @code (an #RgKafkaError) and a message, unless it failed
 * already: only the first failure is reported. For the checks a parser
 * makes itself (a value out of range). */
void rg_kafka_reader_fail (RgKafkaReader * r, RgKafkaError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

/* Bytes not read yet. */
gsize rg_kafka_reader_left (const RgKafkaReader * r);

/* The next @n bytes (a view into the frame) and advances past them; NULL
 * and %RG_KAFKA_ERROR_TRUNCATED when fewer remain. @field names the field
 * in the error message, as in every read below. */
const guint8 *rg_kafka_reader_take (RgKafkaReader * r, gsize n,
    const gchar * field);

/* Fails with %RG_KAFKA_ERROR_MALFORMED when bytes are left, naming the
 * request; returns %TRUE when @r read its whole frame without failing. */
gboolean rg_kafka_reader_finish (RgKafkaReader * r, const gchar * what);

/* Fixed-size big-endian integers. %RG_KAFKA_ERROR_TRUNCATED when the
 * frame ends first. */
gint8 rg_kafka_read_int8 (RgKafkaReader * r, const gchar * field);
gint16 rg_kafka_read_int16 (RgKafkaReader * r, const gchar * field);
gint32 rg_kafka_read_int32 (RgKafkaReader * r, const gchar * field);
gint64 rg_kafka_read_int64 (RgKafkaReader * r, const gchar * field);

/* UNSIGNED_VARINT: 7 bits a byte, least significant group first, high bit
 * set on every byte but the last. %RG_KAFKA_ERROR_MALFORMED when it does
 * not end within 5 bytes or does not fit 32 bits. */
guint32 rg_kafka_read_uvarint (RgKafkaReader * r, const gchar * field);

/* VARINT / VARLONG: zigzag-encoded signed values (as in record headers).
 * %RG_KAFKA_ERROR_MALFORMED past 5 (VARINT) or 10 (VARLONG) bytes. */
gint32 rg_kafka_read_varint (RgKafkaReader * r, const gchar * field);
gint64 rg_kafka_read_varlong (RgKafkaReader * r, const gchar * field);

/* STRING / NULLABLE_STRING: int16 length then the bytes, -1 for null.
 * Returns a view into the frame. %RG_KAFKA_ERROR_MALFORMED for null when
 * @nullable is %FALSE or a negative length other than -1. */
RgKafkaStr rg_kafka_read_string (RgKafkaReader * r, gboolean nullable,
    const gchar * field);

/* COMPACT_STRING / COMPACT_NULLABLE_STRING: uvarint length + 1, 0 for
 * null. Errors as rg_kafka_read_string(). */
RgKafkaStr rg_kafka_read_compact_string (RgKafkaReader * r,
    gboolean nullable, const gchar * field);

/* A string in the reader's encoding: compact when @r->flexible. */
RgKafkaStr rg_kafka_read_str (RgKafkaReader * r, gboolean nullable,
    const gchar * field);

/* BYTES / NULLABLE_BYTES / RECORDS: int32 length (compact when
 * @r->flexible: uvarint length + 1), then the bytes. Returns a view into
 * the frame, NULL for null (with *@len = -1) or after a failure; @position
 * (optional) receives the byte position of the data in the frame.
 * %RG_KAFKA_ERROR_MALFORMED for null when @nullable is %FALSE. */
const guint8 *rg_kafka_read_bytes (RgKafkaReader * r, gboolean nullable,
    gint32 * len, gsize * position, const gchar * field);

/* ARRAY / COMPACT_ARRAY count (int32, or uvarint N + 1 when @r->flexible).
 * Returns -1 for a null array (only when @nullable), else a count known
 * to fit: @min_element_size (at least 1) is the smallest encoding of one
 * element. Returns 0 after a failure. %RG_KAFKA_ERROR_MALFORMED for a
 * negative count, null when not @nullable, or a count the remaining bytes
 * cannot hold. */
gint32 rg_kafka_read_array_count (RgKafkaReader * r, gboolean nullable,
    gsize min_element_size, const gchar * field);

/* Called for each tagged field rg_kafka_read_tags_with() meets, with a
 * reader over exactly the field's bytes (sharing the outer @error). The
 * function reads what it knows; bytes it leaves unread are skipped, and a
 * failure of @field_reader fails the outer reader. */
typedef void (*RgKafkaTagFunc) (guint32 tag, RgKafkaReader * field_reader,
    gpointer user_data);

/* TAGGED_FIELDS: uvarint count of {uvarint tag, uvarint size, size
 * bytes}. Calls @func (nullable: skip all) for each field; tags must be
 * strictly ascending (%RG_KAFKA_ERROR_MALFORMED otherwise, as Kafka's
 * parser). Reads unconditionally, whatever @r->flexible says. */
void rg_kafka_read_tags_with (RgKafkaReader * r, RgKafkaTagFunc func,
    gpointer user_data);

/* The tag section that ends a struct in a flexible version: skips every
 * tagged field when @r->flexible, does nothing otherwise. */
void rg_kafka_read_tags (RgKafkaReader * r);

/* Request header v1 (int16 api key, int16 api version, int32 correlation
 * id, nullable STRING client id: classic even in flexible versions) into
 * @header. Then, when @first_flexible >= 0 and the version is at least
 * @first_flexible, header v2's tag section follows: it is skipped and
 * @r->flexible is set so that the body is read in compact encodings.
 * Errors: %RG_KAFKA_ERROR_TRUNCATED, %RG_KAFKA_ERROR_MALFORMED. @header's
 * fields read before a failure stay filled. */
gboolean rg_kafka_read_request_header (RgKafkaReader * r,
    gint16 first_flexible, RgKafkaRequestHeader * header);

/* Whether @api_version of an api whose first flexible version is
 * @first_flexible (-1: none) is flexible. */
#define RG_KAFKA_IS_FLEXIBLE(first_flexible, api_version) \
  ((first_flexible) >= 0 && (api_version) >= (first_flexible))

/* --- Writing -------------------------------------------------------------
 *
 * A response under construction is the #RgKafkaResponse itself. The first
 * encoding error is kept and later writes are ignored;
 * rg_kafka_response_finish() reports it. */

/*
 * RgKafkaResponseHeader:
 * @RG_KAFKA_RESPONSE_HEADER_V0: int32 correlation id
 * @RG_KAFKA_RESPONSE_HEADER_V1: int32 correlation id, then a tag section
 *   (flexible versions of every api except ApiVersions, KIP-511)
 */
typedef enum
{
  RG_KAFKA_RESPONSE_HEADER_V0,
  RG_KAFKA_RESPONSE_HEADER_V1,
} RgKafkaResponseHeader;

/* Starts a response frame: the int32 size (patched by
 * rg_kafka_response_finish()), the header, and nothing else. @flexible
 * selects the body's encodings for the "field" writes (rg_kafka_put_str()
 * and friends) and rg_kafka_put_tags(). Returns (transfer full) a
 * response to build and finish; never fails. */
RgKafkaResponse *rg_kafka_response_new (gint32 correlation_id,
    RgKafkaResponseHeader header, gboolean flexible);

/* Whether a builder can write @api_version of @api (0 to @max_version);
 * otherwise sets %RG_KAFKA_ERROR_UNSUPPORTED_VERSION naming both. Every
 * response builder starts with it. */
gboolean rg_kafka_check_build_version (const gchar * api, gint16 api_version,
    gint16 max_version, GError ** error);

/* The usual start for @api_version of an api whose first flexible version
 * is @first_flexible: header v1 and compact encodings when flexible, else
 * header v0 and classic ones. ApiVersions uses rg_kafka_response_new()
 * (its header is always v0). */
RgKafkaResponse *rg_kafka_response_new_for (gint32 correlation_id,
    gint16 first_flexible, gint16 api_version);

/* Whether @resp writes compact encodings. */
gboolean rg_kafka_response_is_flexible (const RgKafkaResponse * resp);

/* Records an encoding error (an #RgKafkaError) unless one is recorded
 * already; later writes are ignored. */
void rg_kafka_response_fail (RgKafkaResponse * resp, RgKafkaError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

/* Ends the frame: patches the size prefix and makes the segments final.
 * On success returns @resp (transfer full). On an encoding error (one
 * recorded before, or a frame over the int32 size prefix:
 * %RG_KAFKA_ERROR_TOO_LARGE) frees @resp, calls the notify of every
 * record reference it held, sets @error and returns NULL. */
RgKafkaResponse *rg_kafka_response_finish (RgKafkaResponse * resp,
    GError ** error);

/* Raw bytes and fixed-size big-endian integers. */
void rg_kafka_put_raw (RgKafkaResponse * resp, const void *data, gsize len);
void rg_kafka_put_int8 (RgKafkaResponse * resp, gint8 value);
void rg_kafka_put_int16 (RgKafkaResponse * resp, gint16 value);
void rg_kafka_put_int32 (RgKafkaResponse * resp, gint32 value);
void rg_kafka_put_int64 (RgKafkaResponse * resp, gint64 value);

/* UNSIGNED_VARINT, and zigzag VARINT / VARLONG. */
void rg_kafka_put_uvarint (RgKafkaResponse * resp, guint32 value);
void rg_kafka_put_varint (RgKafkaResponse * resp, gint32 value);
void rg_kafka_put_varlong (RgKafkaResponse * resp, gint64 value);

/* STRING (int16 length) and COMPACT_STRING (uvarint length + 1). A null
 * @str is written as null when @nullable, else the response fails with
 * %RG_KAFKA_ERROR_MALFORMED naming @field; so does a STRING longer than
 * 32767 bytes. */
void rg_kafka_put_string (RgKafkaResponse * resp, RgKafkaStr str,
    gboolean nullable, const gchar * field);
void rg_kafka_put_compact_string (RgKafkaResponse * resp, RgKafkaStr str,
    gboolean nullable, const gchar * field);

/* A string in the response's encoding (compact when flexible). */
void rg_kafka_put_str (RgKafkaResponse * resp, RgKafkaStr str,
    gboolean nullable, const gchar * field);

/* BYTES / NULLABLE_BYTES in the response's encoding; @data NULL with
 * @len -1 is null (%RG_KAFKA_ERROR_MALFORMED unless @nullable). Copies
 * @data. */
void rg_kafka_put_bytes (RgKafkaResponse * resp, const guint8 * data,
    gint32 len, gboolean nullable, const gchar * field);

/* ARRAY / COMPACT_ARRAY count in the response's encoding; -1 writes a
 * null array. %RG_KAFKA_ERROR_TOO_LARGE for a count over G_MAXINT32. */
void rg_kafka_put_array_count (RgKafkaResponse * resp, gint64 count);

/* An array of int32 (replica lists and the like). */
void rg_kafka_put_int32_array (RgKafkaResponse * resp, const gint32 * values,
    guint count);

/*
 * RgKafkaTaggedField:
 * @tag: the tag
 * @data: (array length=size): the field's encoded bytes (copied)
 * @size: bytes in @data
 */
typedef struct
{
  guint32 tag;
  const guint8 *data;
  gsize size;
} RgKafkaTaggedField;

/* A tag section holding @fields, which must be in strictly ascending tag
 * order (%RG_KAFKA_ERROR_MALFORMED otherwise). Writes unconditionally. */
void rg_kafka_put_tagged_fields (RgKafkaResponse * resp,
    const RgKafkaTaggedField * fields, guint n_fields);

/* The empty tag section that ends a struct in a flexible response; does
 * nothing when the response is not flexible. */
void rg_kafka_put_tags (RgKafkaResponse * resp);

/* Takes over the notify of each of @refs: the response calls them when it
 * is freed, also when it fails. A builder adopts every reference first,
 * before anything can fail, so that each notify runs exactly once. */
void rg_kafka_response_adopt_refs (RgKafkaResponse * resp,
    const RgKafkaRecordsRef * refs, guint n_refs);

/* Appends @ref's bytes (a record set piece, already adopted) as their own
 * segment, without copying them; only their length counts in the frame
 * size. A zero-length reference adds nothing. */
void rg_kafka_put_records_ref (RgKafkaResponse * resp,
    const RgKafkaRecordsRef * ref);

/* --- Apis parsed outside rgkafka.c ---------------------------------------
 *
 * rg_kafka_request_parse() knows the core apis only. An api whose parser
 * lives in another file (a codec file of gst/kafka/) is parsed with
 * rg_kafka_request_parse_other(): the codec reads the header (v2 when
 * flexible), hands @parse a reader positioned at the body with @flexible
 * set, checks that the body was read to its last byte, and stores the
 * result in the request's body.other, freed by rg_kafka_request_free(). */

/* Parses the body of @api_version, returning it (transfer full) or NULL
 * when it owns nothing. It reports malformed input through @r (sticky);
 * whatever it returns is freed with the free function even when @r
 * failed. */
typedef gpointer (*RgKafkaBodyParseFunc) (RgKafkaReader * r,
    gint16 api_version);

/* Parses one frame of an api the caller knows (by its own table, which
 * checked the version range) but rgkafka.c does not. @header (optional)
 * as for rg_kafka_request_parse(). Errors: %RG_KAFKA_ERROR_TRUNCATED,
 * %RG_KAFKA_ERROR_MALFORMED (from the header, @parse, or bytes left over),
 * %RG_KAFKA_ERROR_TOO_LARGE. Returns (transfer full) the request or NULL. */
RgKafkaRequest *rg_kafka_request_parse_other (const guint8 * frame, gsize len,
    gint16 first_flexible, RgKafkaBodyParseFunc parse,
    GDestroyNotify free_body, RgKafkaRequestHeader * header,
    GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_WIRE_H__ */
