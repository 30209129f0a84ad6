/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * RgJournalTail: how far the writer's log is written, shared with readers
 * in the writer's process (the broker's journal topic). The writer sets it
 * through rgjournaltail.h; readers use the public calls of rgjournal.h.
 * docs/journal-format.md ("The tail") says what a reader may trust.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournal.h"
#include "journal/rgjournaltail.h"

#include <pthread.h>

struct _RgJournalTail
{
  gint ref;
  /* Its own lock: the writer's is held across whole log writes, and a
   * reader polling the tail must not wait for those. */
  pthread_mutex_t lock;
  RgJournalTailInfo info;
  gboolean valid;
  RgJournalTailFunc notify;
  gpointer notify_data;
};

RgJournalTail *
rg_journal_tail_new (void)
{
  RgJournalTail *tail = g_new0 (RgJournalTail, 1);

  tail->ref = 1;
  pthread_mutex_init (&tail->lock, NULL);
  return tail;
}

void
rg_journal_tail_set (RgJournalTail * tail, const RgJournalTailInfo * info,
    gboolean valid)
{
  gboolean moved;

  pthread_mutex_lock (&tail->lock);
  moved = valid != tail->valid || (info && (info->position !=
          tail->info.position || info->segment_base !=
          tail->info.segment_base || info->generation !=
          tail->info.generation));
  if (info)
    tail->info = *info;
  tail->valid = valid;
  if (moved && tail->notify)
    tail->notify (tail->notify_data);
  pthread_mutex_unlock (&tail->lock);
}

void
rg_journal_tail_set_notify (RgJournalTail * tail, RgJournalTailFunc func,
    gpointer user_data)
{
  g_return_if_fail (tail != NULL);
  pthread_mutex_lock (&tail->lock);
  tail->notify = func;
  tail->notify_data = user_data;
  pthread_mutex_unlock (&tail->lock);
}

RgJournalTail *
rg_journal_tail_ref (RgJournalTail * tail)
{
  g_return_val_if_fail (tail != NULL, NULL);
  g_atomic_int_inc (&tail->ref);
  return tail;
}

void
rg_journal_tail_unref (RgJournalTail * tail)
{
  g_return_if_fail (tail != NULL);
  if (!g_atomic_int_dec_and_test (&tail->ref))
    return;
  pthread_mutex_destroy (&tail->lock);
  g_free (tail);
}

gboolean
rg_journal_tail_read (RgJournalTail * tail, RgJournalTailInfo * info)
{
  gboolean valid;

  g_return_val_if_fail (tail != NULL && info != NULL, FALSE);
  pthread_mutex_lock (&tail->lock);
  valid = tail->valid;
  if (valid)
    *info = tail->info;
  pthread_mutex_unlock (&tail->lock);
  return valid;
}
