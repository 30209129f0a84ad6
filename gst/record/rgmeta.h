/* gst-rg
 * Copyright (C) 2026 gst-rg authors
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

#ifndef __GST_RG_META_H__
#define __GST_RG_META_H__

#include <gst/gst.h>
#include "util/rgapi.h"

#include "record/rgbatch.h"

G_BEGIN_DECLS

/**
 * SECTION:rgmeta
 * @title: GstRgMeta
 * @short_description: the Kafka record envelope of a buffer
 *
 * #GstRgMeta carries what a Kafka record holds beyond the buffer's bytes
 * and its PTS/DTS/duration/flags: the record offset, the record timestamp
 * (ms since the epoch), the key and the user headers (every record header
 * whose name does not start with "gst."; the gst.* envelope headers are
 * restored onto the buffer and its caps instead).
 *
 * rgsrc attaches one to every buffer it reads. An application may attach
 * one before rgjournalsink or rgbrokersink to give a record its timestamp
 * and a key (a camera or sensor id); those sinks do not write the meta's
 * user headers (records from other producers may carry some).
 *
 * The offset and the timestamp are public fields, read-only by
 * convention; the key and the headers are read through the accessor
 * functions (gst_rg_meta_get_key() and friends), whose plain types make
 * them usable from any language binding. gst_rg_buffer_get_meta() returns
 * the meta of a buffer; from Python (PyGObject, with the GstRg-1.0
 * typelib) that is `GstRg.buffer_get_meta (buf).offset` and
 * `GstRg.buffer_get_meta (buf).get_header ("camera")`.
 *
 * A meta attached by the journal reader copies nothing: its key and
 * headers point into the mapped segment, which the meta keeps alive through
 * a reference on the segment's memory. The accessors returning #GBytes wrap
 * those bytes without copying them either.
 *
 * Thread-safety: a meta belongs to its buffer; read it from any thread
 * while the buffer is alive; modify it only while the buffer is writable.
 */

typedef struct _GstRgMeta GstRgMeta;

/**
 * GstRgMeta:
 * @meta: the parent #GstMeta
 * @offset: the record offset: its position in the journal or the Kafka
 *   partition. Read-only.
 * @timestamp: the record timestamp, ms since the epoch, -1 when none.
 *   Read-only.
 *
 * The Kafka record envelope of a buffer. The fields after @timestamp are
 * private: the key and the headers may be borrowed from a mapped segment,
 * so read them through the accessors.
 */
struct _GstRgMeta
{
  GstMeta meta;

  guint64 offset;
  gint64 timestamp;

  /*< private > */
  /* The key: owned in key, or borrowed from backing when key_borrowed. */
  GBytes *key;
  gboolean key_borrowed;
  const guint8 *key_data;
  gsize key_len;

  /* Borrowed headers: valid when backing is set. */
  GstMemory *backing;
  RgRecordView record;
  guint n_borrowed;

  /* Headers added through the API (one private struct each), or NULL. */
  GPtrArray *added;
};

#define GST_RG_META_API_TYPE (gst_rg_meta_api_get_type ())
#define GST_RG_META_INFO (gst_rg_meta_get_info ())

/**
 * gst_rg_meta_api_get_type:
 *
 * Returns: the #GType of the GstRgMeta API, for gst_buffer_get_meta().
 */
RG_API
GType gst_rg_meta_api_get_type (void);

/**
 * gst_rg_meta_get_info:
 *
 * Returns: (transfer none): the registered #GstMetaInfo of #GstRgMeta.
 */
RG_API
const GstMetaInfo *gst_rg_meta_get_info (void);

/**
 * gst_rg_buffer_get_meta:
 * @buffer: a buffer
 *
 * The #GstRgMeta of @buffer, if it has one (rgsrc attaches one to every
 * buffer it reads).
 *
 * Thread-safety: as any read of @buffer's metas.
 *
 * Returns: (transfer none) (nullable): the buffer's #GstRgMeta, or %NULL.
 *   It belongs to @buffer and lives as long as the buffer does.
 */
RG_API
GstRgMeta *gst_rg_buffer_get_meta (GstBuffer * buffer);

/**
 * gst_rg_buffer_add_meta:
 * @buffer: a writable buffer
 * @offset: the record offset (ignored by writers, which assign their own)
 * @timestamp: the record timestamp, ms since the epoch, or -1 for none
 * @key: (nullable): the record key, or %NULL for a null key; the meta
 *   takes a reference
 *
 * Attaches a #GstRgMeta with no headers; add headers with
 * gst_rg_meta_add_header(). rgjournalsink and rgbrokersink take the
 * record's timestamp (when not -1) and key from it.
 *
 * Returns: (transfer none): the meta, owned by @buffer.
 */
RG_API
GstRgMeta *gst_rg_buffer_add_meta (GstBuffer * buffer, guint64 offset,
    gint64 timestamp, GBytes * key);

/**
 * gst_buffer_get_rg_meta: (skip)
 * @buffer: a buffer
 *
 * The same as gst_rg_buffer_get_meta(), under the name GStreamer's C
 * convention gives a meta getter. Skipped by introspection: the symbol
 * lies outside the GstRg namespace's prefixes, so bindings call
 * gst_rg_buffer_get_meta() instead.
 *
 * Returns: (transfer none) (nullable): the buffer's #GstRgMeta, or %NULL.
 */
RG_API
GstRgMeta *gst_buffer_get_rg_meta (GstBuffer * buffer);

/**
 * gst_buffer_add_rg_meta: (skip)
 * @buffer: a writable buffer
 * @offset: the record offset (ignored by writers, which assign their own)
 * @timestamp: the record timestamp, ms since the epoch, or -1 for none
 * @key: (nullable): the record key, or %NULL for a null key
 *
 * The same as gst_rg_buffer_add_meta(); skipped by introspection for the
 * reason gst_buffer_get_rg_meta() is.
 *
 * Returns: (transfer none): the meta.
 */
RG_API
GstRgMeta *gst_buffer_add_rg_meta (GstBuffer * buffer, guint64 offset,
    gint64 timestamp, GBytes * key);

/**
 * gst_buffer_add_rg_meta_from_record: (skip)
 * @buffer: a writable buffer
 * @record: a decoded record; its key and header pointers must point into
 *   @backing's bytes
 * @backing: the memory that keeps @record's bytes alive (the mapped
 *   segment); the meta takes a reference
 *
 * Attaches a #GstRgMeta that describes @record without copying anything:
 * the key and the user headers stay in @backing. This is what the journal
 * reader uses; it allocates nothing but the meta itself. Skipped by
 * introspection: an #RgRecordView points into memory only C code holds.
 *
 * Returns: (transfer none): the meta.
 */
RG_API
GstRgMeta *gst_buffer_add_rg_meta_from_record (GstBuffer * buffer,
    const RgRecordView * record, GstMemory * backing);

/**
 * gst_rg_meta_get_offset:
 * @meta: a #GstRgMeta
 *
 * Returns: the record offset.
 */
RG_API
guint64 gst_rg_meta_get_offset (const GstRgMeta * meta);

/**
 * gst_rg_meta_get_timestamp:
 * @meta: a #GstRgMeta
 *
 * Returns: the record timestamp in ms since the epoch, -1 when none.
 */
RG_API
gint64 gst_rg_meta_get_timestamp (const GstRgMeta * meta);

/**
 * gst_rg_meta_get_key:
 * @meta: a #GstRgMeta
 *
 * Returns: (transfer full) (nullable): the key, %NULL for a null key.
 */
RG_API
GBytes *gst_rg_meta_get_key (const GstRgMeta * meta);

/**
 * gst_rg_meta_set_key:
 * @meta: a #GstRgMeta on a writable buffer
 * @key: (nullable): the new key, %NULL for a null key
 */
RG_API
void gst_rg_meta_set_key (GstRgMeta * meta, GBytes * key);

/**
 * gst_rg_meta_get_n_headers:
 * @meta: a #GstRgMeta
 *
 * Returns: the number of user headers (gst.* headers are not counted).
 */
RG_API
guint gst_rg_meta_get_n_headers (const GstRgMeta * meta);

/**
 * gst_rg_meta_get_header_name:
 * @meta: a #GstRgMeta
 * @index: from 0 to gst_rg_meta_get_n_headers() - 1
 *
 * Returns: (transfer full) (nullable): the name of header @index, %NULL if
 *   @index is out of range.
 */
RG_API
gchar *gst_rg_meta_get_header_name (const GstRgMeta * meta, guint index);

/**
 * gst_rg_meta_get_header_value:
 * @meta: a #GstRgMeta
 * @index: from 0 to gst_rg_meta_get_n_headers() - 1
 *
 * Returns: (transfer full) (nullable): the value of header @index; %NULL if
 *   the value is null or @index is out of range.
 */
RG_API
GBytes *gst_rg_meta_get_header_value (const GstRgMeta * meta, guint index);

/**
 * gst_rg_meta_get_header:
 * @meta: a #GstRgMeta
 * @name: a header name
 *
 * Looks a user header up by name; when a name repeats the last one wins,
 * as in Kafka's Headers.lastHeader().
 *
 * Returns: (transfer full) (nullable): the value, %NULL if there is no
 *   such header or its value is null.
 */
RG_API
GBytes *gst_rg_meta_get_header (const GstRgMeta * meta, const gchar * name);

/**
 * gst_rg_meta_peek_header: (skip)
 * @meta: a #GstRgMeta
 * @index: from 0 to gst_rg_meta_get_n_headers() - 1
 * @header: (out caller-allocates): the header; its name is not
 *   NUL-terminated and both pointers stay valid while @meta is unchanged
 *
 * The C way to walk the headers without copying, e.g. to encode them into
 * a record. Skipped by introspection: @header's pointers borrow the
 * meta's memory, which a binding cannot track; bindings use
 * gst_rg_meta_get_header_name() and gst_rg_meta_get_header_value().
 *
 * Returns: %TRUE with @header filled, %FALSE if @index is out of range.
 */
RG_API
gboolean gst_rg_meta_peek_header (const GstRgMeta * meta, guint index,
    RgRecordHeader * header);

/**
 * gst_rg_meta_add_header:
 * @meta: a #GstRgMeta on a writable buffer
 * @name: the header name (UTF-8); names starting with "gst." are reserved
 *   for the envelope and refused
 * @value: (nullable): the value, %NULL for a null value
 *
 * Appends a user header.
 */
RG_API
void gst_rg_meta_add_header (GstRgMeta * meta, const gchar * name,
    GBytes * value);

G_END_DECLS

#endif /* __GST_RG_META_H__ */
