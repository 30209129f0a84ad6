/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The writer's side of RgJournalTail, private to the journal layer; the
 * readers' side (ref, unref, read, set_notify) is public in rgjournal.h.
 *
 * Thread safety: rg_journal_tail_set() may be called from any thread; it
 * takes the tail's own lock and calls the notify function under it.
 */

#ifndef __RG_JOURNAL_TAIL_H__
#define __RG_JOURNAL_TAIL_H__

#include "journal/rgjournal.h"

G_BEGIN_DECLS

/* A tail with one reference, not valid until the first set. */
RgJournalTail *rg_journal_tail_new (void);

/* Publishes @info (NULL keeps the last one) and whether the tail may be
 * trusted; calls the notify function when anything moved. */
void rg_journal_tail_set (RgJournalTail * tail,
    const RgJournalTailInfo * info, gboolean valid);

G_END_DECLS

#endif /* __RG_JOURNAL_TAIL_H__ */
