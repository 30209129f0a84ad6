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

/*
 * GstRgMeta (its struct is in rgmeta.h, for the public offset and
 * timestamp fields) keeps its key and headers in one of two places:
 *
 * - borrowed: a meta attached by the journal reader copies the record view
 *   (plain pointers into the mapped segment) and holds a reference on the
 *   segment's GstMemory, so the bytes stay mapped as long as the meta
 *   lives. Nothing is allocated per record but the meta itself.
 * - owned: a key set or headers added through the API are kept in a GBytes
 *   and a GPtrArray.
 *
 * Headers read back in order: the borrowed user headers first, then the
 * added ones. Borrowed gst.* headers are skipped: they describe the buffer
 * (PTS, DTS, duration, flags, caps) and are restored onto it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "record/rgmeta.h"

#define ENVELOPE_PREFIX "gst."
#define ENVELOPE_PREFIX_LEN 4

typedef struct
{
  gchar *name;
  GBytes *value;
} OwnedHeader;

static gboolean
is_envelope_header (const RgRecordHeader * header)
{
  return header->key_len >= ENVELOPE_PREFIX_LEN &&
      memcmp (header->key, ENVELOPE_PREFIX, ENVELOPE_PREFIX_LEN) == 0;
}

static void
owned_header_free (gpointer data)
{
  OwnedHeader *h = data;

  g_free (h->name);
  if (h->value)
    g_bytes_unref (h->value);
  g_free (h);
}

static OwnedHeader *
owned_header_new (const gchar * name, GBytes * value)
{
  OwnedHeader *h = g_new (OwnedHeader, 1);

  h->name = g_strdup (name);
  h->value = value ? g_bytes_ref (value) : NULL;
  return h;
}

static gboolean
gst_rg_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstRgMeta *self = (GstRgMeta *) meta;

  self->offset = 0;
  self->timestamp = -1;
  self->key = NULL;
  self->key_borrowed = FALSE;
  self->key_data = NULL;
  self->key_len = 0;
  self->backing = NULL;
  memset (&self->record, 0, sizeof (self->record));
  self->n_borrowed = 0;
  self->added = NULL;
  return TRUE;
}

static void
gst_rg_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstRgMeta *self = (GstRgMeta *) meta;

  g_clear_pointer (&self->key, g_bytes_unref);
  if (self->backing)
    gst_memory_unref (self->backing);
  self->backing = NULL;
  g_clear_pointer (&self->added, g_ptr_array_unref);
}

static void
copy_added_headers (GstRgMeta * dest, const GstRgMeta * src)
{
  guint i;

  if (!src->added)
    return;
  dest->added = g_ptr_array_new_full (src->added->len, owned_header_free);
  for (i = 0; i < src->added->len; i++) {
    OwnedHeader *h = g_ptr_array_index (src->added, i);
    g_ptr_array_add (dest->added, owned_header_new (h->name, h->value));
  }
}

/* Every transform copies the meta whole: offset, key and headers describe
 * the record, not the bytes, so they stay true for a subbuffer too. */
static gboolean
gst_rg_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstRgMeta *src = (GstRgMeta *) meta;
  GstRgMeta *copy;

  copy = (GstRgMeta *) gst_buffer_add_meta (dest, GST_RG_META_INFO, NULL);
  if (!copy)
    return FALSE;
  copy->offset = src->offset;
  copy->timestamp = src->timestamp;
  copy->key = src->key ? g_bytes_ref (src->key) : NULL;
  copy->key_borrowed = src->key_borrowed;
  copy->key_data = src->key_data;
  copy->key_len = src->key_len;
  if (src->backing) {
    copy->backing = gst_memory_ref (src->backing);
    copy->record = src->record;
    copy->n_borrowed = src->n_borrowed;
  }
  copy_added_headers (copy, src);
  return TRUE;
}

GType
gst_rg_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstRgMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

const GstMetaInfo *
gst_rg_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_RG_META_API_TYPE,
        "GstRgMeta", sizeof (GstRgMeta), gst_rg_meta_init, gst_rg_meta_free,
        gst_rg_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

GstRgMeta *
gst_rg_buffer_get_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  return (GstRgMeta *) gst_buffer_get_meta (buffer, GST_RG_META_API_TYPE);
}

GstRgMeta *
gst_buffer_get_rg_meta (GstBuffer * buffer)
{
  return gst_rg_buffer_get_meta (buffer);
}

GstRgMeta *
gst_buffer_add_rg_meta (GstBuffer * buffer, guint64 offset, gint64 timestamp,
    GBytes * key)
{
  return gst_rg_buffer_add_meta (buffer, offset, timestamp, key);
}

GstRgMeta *
gst_rg_buffer_add_meta (GstBuffer * buffer, guint64 offset, gint64 timestamp,
    GBytes * key)
{
  GstRgMeta *self;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  self = (GstRgMeta *) gst_buffer_add_meta (buffer, GST_RG_META_INFO, NULL);
  self->offset = offset;
  self->timestamp = timestamp;
  self->key = key ? g_bytes_ref (key) : NULL;
  return self;
}

static guint
count_user_headers (const RgRecordView * record)
{
  RgRecordHeaderIter iter;
  RgRecordHeader h;
  guint n = 0;

  rg_record_view_iter_headers (record, &iter);
  while (rg_record_header_iter_next (&iter, &h)) {
    if (!is_envelope_header (&h))
      n++;
  }
  return n;
}

GstRgMeta *
gst_buffer_add_rg_meta_from_record (GstBuffer * buffer,
    const RgRecordView * record, GstMemory * backing)
{
  GstRgMeta *self;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (backing != NULL, NULL);

  self = (GstRgMeta *) gst_buffer_add_meta (buffer, GST_RG_META_INFO, NULL);
  self->offset = (guint64) record->offset;
  self->timestamp = record->timestamp;
  self->key_borrowed = record->key != NULL;
  self->key_data = record->key;
  self->key_len = record->key_len;
  self->backing = gst_memory_ref (backing);
  self->record = *record;
  self->n_borrowed = record->n_headers ? count_user_headers (record) : 0;
  return self;
}

guint64
gst_rg_meta_get_offset (const GstRgMeta * meta)
{
  g_return_val_if_fail (meta != NULL, 0);

  return meta->offset;
}

gint64
gst_rg_meta_get_timestamp (const GstRgMeta * meta)
{
  g_return_val_if_fail (meta != NULL, -1);

  return meta->timestamp;
}

/* Wraps bytes of the mapped segment in a GBytes that keeps the mapping
 * alive: no copy. */
static GBytes *
borrowed_bytes (const GstRgMeta * meta, const guint8 * data, gsize len)
{
  return g_bytes_new_with_free_func (data, len,
      (GDestroyNotify) gst_memory_unref, gst_memory_ref (meta->backing));
}

GBytes *
gst_rg_meta_get_key (const GstRgMeta * meta)
{
  g_return_val_if_fail (meta != NULL, NULL);

  if (meta->key_borrowed)
    return borrowed_bytes (meta, meta->key_data, meta->key_len);
  return meta->key ? g_bytes_ref (meta->key) : NULL;
}

void
gst_rg_meta_set_key (GstRgMeta * meta, GBytes * key)
{
  g_return_if_fail (meta != NULL);

  g_clear_pointer (&meta->key, g_bytes_unref);
  meta->key_borrowed = FALSE;
  meta->key_data = NULL;
  meta->key_len = 0;
  meta->key = key ? g_bytes_ref (key) : NULL;
}

guint
gst_rg_meta_get_n_headers (const GstRgMeta * meta)
{
  g_return_val_if_fail (meta != NULL, 0);

  return meta->n_borrowed + (meta->added ? meta->added->len : 0);
}

static gboolean
peek_borrowed (const GstRgMeta * meta, guint index, RgRecordHeader * header)
{
  RgRecordHeaderIter iter;
  guint n = 0;

  rg_record_view_iter_headers (&meta->record, &iter);
  while (rg_record_header_iter_next (&iter, header)) {
    if (is_envelope_header (header))
      continue;
    if (n++ == index)
      return TRUE;
  }
  return FALSE;
}

gboolean
gst_rg_meta_peek_header (const GstRgMeta * meta, guint index,
    RgRecordHeader * header)
{
  OwnedHeader *h;

  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  if (index < meta->n_borrowed)
    return peek_borrowed (meta, index, header);
  index -= meta->n_borrowed;
  if (!meta->added || index >= meta->added->len)
    return FALSE;
  h = g_ptr_array_index (meta->added, index);
  header->key = h->name;
  header->key_len = strlen (h->name);
  header->value = h->value ? g_bytes_get_data (h->value, &header->value_len)
      : NULL;
  if (!h->value)
    header->value_len = 0;
  /* An empty GBytes may return a NULL data pointer; an empty value is
   * still a value, not a null one. */
  if (h->value && !header->value)
    header->value = (const guint8 *) "";
  return TRUE;
}

/* Returns the value of @header as a GBytes that needs no copy. */
static GBytes *
header_value_bytes (const GstRgMeta * meta, guint index,
    const RgRecordHeader * header)
{
  OwnedHeader *h;

  if (!header->value)
    return NULL;
  if (index < meta->n_borrowed)
    return borrowed_bytes (meta, header->value, header->value_len);
  h = g_ptr_array_index (meta->added, index - meta->n_borrowed);
  return g_bytes_ref (h->value);
}

gchar *
gst_rg_meta_get_header_name (const GstRgMeta * meta, guint index)
{
  RgRecordHeader header;

  if (!gst_rg_meta_peek_header (meta, index, &header))
    return NULL;
  return g_strndup (header.key, header.key_len);
}

GBytes *
gst_rg_meta_get_header_value (const GstRgMeta * meta, guint index)
{
  RgRecordHeader header;

  if (!gst_rg_meta_peek_header (meta, index, &header))
    return NULL;
  return header_value_bytes (meta, index, &header);
}

GBytes *
gst_rg_meta_get_header (const GstRgMeta * meta, const gchar * name)
{
  RgRecordHeader header;
  gsize len;
  guint i, n;

  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  len = strlen (name);
  n = gst_rg_meta_get_n_headers (meta);
  /* Walk backwards: the last header of a repeated name wins. */
  for (i = n; i > 0; i--) {
    if (!gst_rg_meta_peek_header (meta, i - 1, &header))
      continue;
    if (header.key_len == len && memcmp (header.key, name, len) == 0)
      return header_value_bytes (meta, i - 1, &header);
  }
  return NULL;
}

void
gst_rg_meta_add_header (GstRgMeta * meta, const gchar * name, GBytes * value)
{
  g_return_if_fail (meta != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (!g_str_has_prefix (name, ENVELOPE_PREFIX));

  if (!meta->added)
    meta->added = g_ptr_array_new_with_free_func (owned_header_free);
  g_ptr_array_add (meta->added, owned_header_new (name, value));
}
