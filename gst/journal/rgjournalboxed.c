/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal reader's types as language bindings see them (GObject
 * introspection, docs/gi.md): boxed GTypes for RgJournalReader and
 * RgJournalRecord, and a read call that returns a record the caller owns.
 *
 * A binding frees what it holds through the boxed type's free function and
 * copies through its copy function. A reader cannot be copied, so its
 * "copy" is a new reference. The reader's struct (rgjournalreader.c) has no
 * count of its own: the references beyond the first are counted here, in
 * a table from reader to extra references. A reader never referenced has
 * no entry, so C code that only opens and frees pays nothing.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournalreader.h"

G_DEFINE_BOXED_TYPE (RgJournalReader, rg_journal_reader,
    rg_journal_reader_ref, rg_journal_reader_unref);

G_DEFINE_BOXED_TYPE (RgJournalRecord, rg_journal_record,
    rg_journal_record_copy, rg_journal_record_free);

/* Reader -> number of references beyond the first (GUINT_TO_POINTER). */
static GMutex extra_refs_lock;
static GHashTable *extra_refs;

RgJournalReader *
rg_journal_reader_ref (RgJournalReader * reader)
{
  guint extra;

  g_return_val_if_fail (reader != NULL, NULL);

  g_mutex_lock (&extra_refs_lock);
  if (!extra_refs)
    extra_refs = g_hash_table_new (NULL, NULL);
  extra = GPOINTER_TO_UINT (g_hash_table_lookup (extra_refs, reader));
  g_hash_table_insert (extra_refs, reader, GUINT_TO_POINTER (extra + 1));
  g_mutex_unlock (&extra_refs_lock);
  return reader;
}

void
rg_journal_reader_unref (RgJournalReader * reader)
{
  guint extra = 0;

  g_return_if_fail (reader != NULL);

  g_mutex_lock (&extra_refs_lock);
  if (extra_refs)
    extra = GPOINTER_TO_UINT (g_hash_table_lookup (extra_refs, reader));
  if (extra > 1)
    g_hash_table_insert (extra_refs, reader, GUINT_TO_POINTER (extra - 1));
  else if (extra == 1)
    g_hash_table_remove (extra_refs, reader);
  g_mutex_unlock (&extra_refs_lock);

  /* Free outside the lock: closing a segment unmaps and closes files. */
  if (extra == 0)
    rg_journal_reader_free (reader);
}

RgJournalRecord *
rg_journal_record_copy (const RgJournalRecord * record)
{
  RgJournalRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_new (RgJournalRecord, 1);
  *copy = *record;
  if (copy->buffer)
    gst_buffer_ref (copy->buffer);
  if (copy->caps)
    gst_caps_ref (copy->caps);
  return copy;
}

void
rg_journal_record_free (RgJournalRecord * record)
{
  if (!record)
    return;
  rg_journal_record_clear (record);
  g_free (record);
}

RgJournalReadResult
rg_journal_reader_next_record (RgJournalReader * reader, gboolean follow,
    gint64 deadline, RgJournalRecord ** record, GError ** error)
{
  RgJournalRecord next = { 0, };
  RgJournalReadResult result;

  g_return_val_if_fail (reader != NULL, RG_JOURNAL_READ_ERROR);
  g_return_val_if_fail (record != NULL, RG_JOURNAL_READ_ERROR);

  *record = NULL;
  result = rg_journal_reader_next (reader, &next, follow, deadline, error);
  if (result == RG_JOURNAL_READ_OK)
    *record = g_memdup2 (&next, sizeof (next));
  return result;
}
