/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal's error domain, in a header of its own: every file of the
 * journal layer reports in it, from the file helpers (rgjournalfiles.c, the
 * lowest) to the writer, so it cannot live in the writer's header without
 * making the helpers depend on the writer. rgjournal.h includes it.
 */

#ifndef __RG_JOURNAL_ERROR_H__
#define __RG_JOURNAL_ERROR_H__

#include <glib.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * RG_JOURNAL_ERROR:
 *
 * Error domain of the journal writer and reader; the codes are
 * #RgJournalError.
 */
#define RG_JOURNAL_ERROR (rg_journal_error_quark ())

/**
 * rg_journal_error_quark:
 *
 * Returns: the quark of %RG_JOURNAL_ERROR.
 */
RG_API
GQuark rg_journal_error_quark (void);

/**
 * RgJournalError:
 * @RG_JOURNAL_ERROR_LOCKED: another writer holds the directory
 * @RG_JOURNAL_ERROR_IO: a system call failed (the message names it, the
 *   path and strerror)
 * @RG_JOURNAL_ERROR_NO_SPACE: the disk or a file-size limit is full (ENOSPC,
 *   EFBIG, EDQUOT); the journal is valid up to the durable offset
 * @RG_JOURNAL_ERROR_FATAL: an earlier write or sync failed; the writer does
 *   nothing more
 * @RG_JOURNAL_ERROR_CORRUPT: a batch failed validation (the message names the
 *   segment, the byte position and the offset)
 * @RG_JOURNAL_ERROR_OUT_OF_RANGE: the offset or time asked for is not in
 *   the journal
 * @RG_JOURNAL_ERROR_INVALID: bad argument or directory content (a file that
 *   is not a journal file, an unreadable name)
 */
typedef enum
{
  RG_JOURNAL_ERROR_LOCKED,
  RG_JOURNAL_ERROR_IO,
  RG_JOURNAL_ERROR_NO_SPACE,
  RG_JOURNAL_ERROR_FATAL,
  RG_JOURNAL_ERROR_CORRUPT,
  RG_JOURNAL_ERROR_OUT_OF_RANGE,
  RG_JOURNAL_ERROR_INVALID,
} RgJournalError;

G_END_DECLS

#endif /* __RG_JOURNAL_ERROR_H__ */
