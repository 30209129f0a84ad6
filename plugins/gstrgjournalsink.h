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

#ifndef __GST_RG_JOURNAL_SINK_H__
#define __GST_RG_JOURNAL_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstRgJournalSinkSync:
 * @GST_RG_JOURNAL_SINK_SYNC_NONE: data reaches the page cache; it is made
 *   durable when a segment is closed, at EOS and when the element stops
 * @GST_RG_JOURNAL_SINK_SYNC_INTERVAL: a syncer thread calls fdatasync every
 *   #GstRgJournalSink:sync-interval
 * @GST_RG_JOURNAL_SINK_SYNC_ALWAYS: group commit: fdatasync runs back to
 *   back, and a record counts as written (#GstRgJournalSink:durable-offset)
 *   once an fdatasync that started after its write has returned
 *
 * When the journal makes appended records durable. The values are those of
 * the core library's RgJournalSync.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_RG_JOURNAL_SINK_SYNC_NONE,
  GST_RG_JOURNAL_SINK_SYNC_INTERVAL,
  GST_RG_JOURNAL_SINK_SYNC_ALWAYS,
} GstRgJournalSinkSync;

#define GST_TYPE_RG_JOURNAL_SINK_SYNC (gst_rg_journal_sink_sync_get_type ())
GType gst_rg_journal_sink_sync_get_type (void);

#define GST_TYPE_RG_JOURNAL_SINK (gst_rg_journal_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRgJournalSink, gst_rg_journal_sink, GST,
    RG_JOURNAL_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rgjournalsink);

G_END_DECLS

#endif /* __GST_RG_JOURNAL_SINK_H__ */
