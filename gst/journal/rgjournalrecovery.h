/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Open-time recovery of a journal directory, private to the journal layer:
 * the writer calls it from rg_journal_writer_open(), rg_journal_recover()
 * (rgjournal.h) is the same without opening for writing.
 *
 * Thread safety: call with the directory's writer lock held
 * (rg_journal_take_lock()); nothing else may write the directory meanwhile.
 * Errors: RG_JOURNAL_ERROR_IO / _NO_SPACE for a failed system call,
 * _LOCKED for a directory another writer holds, _CORRUPT for damage that
 * recovery must not cut.
 */

#ifndef __RG_JOURNAL_RECOVERY_H__
#define __RG_JOURNAL_RECOVERY_H__

#include <gst/gst.h>

#include "journal/rgjournalsegment.h"

G_BEGIN_DECLS

/* A closed segment as the writer keeps it for retention. */
typedef struct
{
  guint64 base_offset;
  guint64 bytes;
  gint64 last_timestamp;
} RgClosedSegment;

/**
 * rg_journal_recover_directory:
 * @dir: the journal directory, its lock held
 * @interval: the .index interval in bytes, for rebuilt indexes
 * @closed: (out): filled with RgClosedSegment * (g_free), oldest first
 * @truncated: (out): bytes of torn tail cut from the active segment
 * @error: see above
 *
 * Returns: (transfer full) (nullable): the active segment, or NULL with
 *   @error (and @closed left empty).
 */
RgSegment *rg_journal_recover_directory (const gchar * dir, guint64 interval,
    GQueue * closed, guint64 * truncated, GError ** error);

/* flock()s <dir>/writer.lock and records the pid in it. Returns the lock's
 * descriptor (close() releases it), or -1 with RG_JOURNAL_ERROR_LOCKED
 * naming the holder's pid, or _IO. */
int rg_journal_take_lock (const gchar * dir, GError ** error);

/* mkdir -p @dir; RG_JOURNAL_ERROR_IO on failure. */
gboolean rg_journal_make_dir (const gchar * dir, GError ** error);

G_END_DECLS

#endif /* __RG_JOURNAL_RECOVERY_H__ */
