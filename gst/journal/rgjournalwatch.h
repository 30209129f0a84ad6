/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * A watch on the batches a writer appends, private to the library: the
 * broker keeps the latest ones in memory (its hot tail) so that readers at
 * the live edge are served the buffers' own memory instead of the page
 * cache, and must see exactly the bytes the journal holds. The watch
 * hands over the encoded batch itself, so nothing is encoded twice and
 * the two copies cannot differ.
 *
 * Thread safety: the function runs on the appending thread, after the
 * batch was committed (its offsets are in the published tail) and with no
 * writer lock held, so it may take locks of its own.
 */

#ifndef __RG_JOURNAL_WATCH_H__
#define __RG_JOURNAL_WATCH_H__

#include "journal/rgjournal.h"

#include <sys/uio.h>

G_BEGIN_DECLS

/*
 * One committed batch, valid only during the call.
 * @base_offset, @n_records: the offsets it holds
 * @segs, @n_segs: its bytes in order (@size in all): protocol bytes in the
 *   writer's scratch memory, values in the buffers' mapped memory
 * @buffers, @n_buffers: the buffers whose memories are the values
 * @values, @n_values: the writer's map of every memory of every buffer, in
 *   order (gst_buffer_peek_memory() order; empty memories included), so a
 *   value segment can be matched to its memory
 */
typedef struct
{
  guint64 base_offset;
  guint n_records;
  const struct iovec *segs;
  guint n_segs;
  gsize size;
  GstBuffer *const *buffers;
  guint n_buffers;
  const struct iovec *values;
  guint n_values;
} RgJournalBatch;

typedef void (*RgJournalBatchFunc) (const RgJournalBatch * batch,
    gpointer user_data);

/* Calls @func after each appended batch (NULL: stops). @notify frees
 * @user_data when the watch is replaced or the writer freed. Appending
 * thread only (or before the first append). */
void rg_journal_writer_watch_batches (RgJournalWriter * writer,
    RgJournalBatchFunc func, gpointer user_data, GDestroyNotify notify);

G_END_DECLS

#endif /* __RG_JOURNAL_WATCH_H__ */
