/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal settings as element properties, shared by every element that
 * writes a journal (rgjournalsink, rgbrokersink with a location), so that the
 * same setting has the same name, range, default and meaning everywhere.
 *
 * An element reserves GST_RG_JOURNAL_N_PROPS consecutive property ids
 * starting at its first journal property, in this order: the sync policy
 * (named by the element), sync-interval, max-segment-bytes,
 * max-segment-time, max-bytes, max-age.
 */

#ifndef __GST_RG_JOURNAL_PROPS_H__
#define __GST_RG_JOURNAL_PROPS_H__

#include <gst/gst.h>
#include "journal/rgjournal.h"

G_BEGIN_DECLS

#define GST_RG_JOURNAL_N_PROPS 6

void gst_rg_journal_props_install (GObjectClass * klass, guint first_id,
    const gchar * sync_name, const gchar * sync_blurb);

/* Both return FALSE when @prop_id is not one of the journal properties. */
gboolean gst_rg_journal_props_set (RgJournalConfig * config, guint first_id,
    guint prop_id, const GValue * value);
gboolean gst_rg_journal_props_get (const RgJournalConfig * config,
    guint first_id, guint prop_id, GValue * value);

G_END_DECLS

#endif /* __GST_RG_JOURNAL_PROPS_H__ */
