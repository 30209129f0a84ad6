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
 * RgJournalReader: the reading half of rgjournal.h.
 *
 * Mapping
 * =======
 * A reader maps one segment at a time with mmap (PROT_READ, MAP_SHARED) and
 * wraps the whole mapping in one GstMemory (gst_memory_new_wrapped) whose
 * destroy notify unmaps it. A record's value becomes gst_memory_share() of
 * that memory: a sub-memory whose data pointer lies inside the mapping and
 * which holds a reference on it. So replay copies no byte, the mapping lives
 * as long as any buffer from it does, and a record costs one GstBuffer, one
 * GstMemory and one GstRgMeta (whose key and headers point into the mapping
 * too, see rgmeta.c).
 *
 * The mapping starts at an address that is a multiple of 2 MiB
 * (MAP_ALIGNMENT), so that file offset 0, and with it every 2 MiB of the
 * file, lines up with a page-middle-directory entry, and it is advised
 * MADV_HUGEPAGE. Where the page cache holds the file in 2 MiB folios (a
 * file read cold through readahead; MADV_HUGEPAGE makes readahead allocate
 * them), the kernel then maps each 2 MiB with one entry instead of 512
 * page-table entries: on a virtual machine where every page-table entry
 * costs about a microsecond to establish, that is what decides how fast a
 * mapped segment can be read. mmap() has no alignment argument, so
 * map_aligned() reserves 2 MiB more address space than it needs, maps the
 * file over the aligned part (MAP_FIXED) and returns the rest.
 *
 * The mapping is larger than the file (MAP_HEADROOM past its end): a
 * follower sees the writer's appends through the same mapping (MAP_SHARED
 * shows the page cache) and only needs fstat() to learn the new size. Bytes
 * past the size last seen are never touched (that would be SIGBUS). When the
 * file outgrows the mapping, the reader maps it again between two batches;
 * buffers from the old mapping keep it alive.
 *
 * Validity
 * ========
 * A batch is handed out only when all of it lies below the file size and it
 * passes the rule of rgjournal.h (size, magic, CRC-32C, offset continuity).
 * A batch that runs past the end of the file is a write in progress (or a
 * torn tail the writer will truncate) only when nothing valid follows it
 * (the damage rule, rg_journal_find_resume()): then the reader stops before
 * it, and a follower waits. So a reader never returns a half-written batch,
 * and a damaged length never hides the batches behind it: any other invalid
 * batch is an error naming where intact records resume, or, with
 * skip-corrupt, exactly the damaged range is skipped (DISCONT, counted).
 *
 * Moving between segments
 * =======================
 * At the end of a segment's bytes the reader lists the directory. If a
 * later segment exists, it checks the current segment's size once more (the
 * writer finishes a segment before it creates the next, so the size seen
 * after the listing is final) and moves on. If the next segment does not
 * start at the expected offset (retention deleted segments under a slow
 * reader), or it vanishes between listing and opening, the reader skips to
 * the oldest segment that still exists and marks the next record DISCONT.
 * A segment unlinked while mapped stays readable until the reader leaves it.
 *
 * Follow mode
 * ===========
 * A follower waits on inotify events of the directory (any write, create,
 * delete or rename), and re-checks at least every FOLLOW_RECHECK_US in any
 * case, which covers events that arrive before the watch exists and file
 * systems without inotify. Without inotify it polls every
 * FOLLOW_POLL_FALLBACK_US.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "journal/rgjournalfiles.h"
#include "record/rgmeta.h"

GST_DEBUG_CATEGORY_STATIC (rg_journal_reader_debug);
#define GST_CAT_DEFAULT rg_journal_reader_debug

/* Mapping past the end of the file: a follower can read this much of the
 * writer's appends before it has to map the segment again. Address space,
 * not memory: untouched pages cost nothing. */
#define MAP_HEADROOM (64 * 1024 * 1024)

/* The size of what one page-middle-directory entry maps (x86-64, arm64
 * with 4 KiB pages): the alignment that lets the kernel map 2 MiB folios
 * of the page cache whole. */
#define MAP_ALIGNMENT (2 * 1024 * 1024)

/* How far ahead of the read position page tables are filled in one call
 * (MADV_POPULATE_READ): one fault per 4 KiB page costs more than the CRC
 * of the page, so replay maps ahead in bulk. */
#define POPULATE_AHEAD (4 * 1024 * 1024)

#define FOLLOW_RECHECK_US (100 * 1000)
#define FOLLOW_POLL_FALLBACK_US (10 * 1000)

/* How often locate() retries when a segment vanishes between the listing
 * and the open (retention running under the reader). */
#define MAX_VANISHED_RETRIES 16

typedef struct
{
  gpointer base;
  gsize len;
} SegmentMapping;

typedef struct
{
  gboolean found;
  guint64 offset;
  gsize pos;
  guint64 batch_base;
} KeyframeHit;

typedef struct
{
  guint64 offset;
  gsize pos;
  gsize len;
} CapsChange;

typedef enum
{
  STEP_OK,
  STEP_AT_END,                  /* no complete batch at the position */
  STEP_ERROR,
} StepResult;

struct _RgJournalReader
{
  gchar *dir;
  gboolean skip_corrupt;

  /* The open segment. */
  gboolean have_segment;
  guint64 seg_base;
  gchar *seg_path;
  int seg_fd;
  GstMemory *seg_mem;
  const guint8 *seg_data;
  gsize seg_map_len;
  gsize seg_size;
  /* Bytes of the mapping whose page tables are filled, and whether the
   * kernel can do that (MADV_POPULATE_READ, Linux 5.14). */
  gsize populated;
  gboolean populate_unsupported;
  /* Set when the rest of the segment is to be skipped (corrupt). */
  gboolean seg_abandoned;
  /* Damage skipped under skip_corrupt. */
  guint64 skipped_ranges;
  guint64 skipped_records;
  guint64 skipped_bytes;

  /* Position: the next batch starts at pos and must have base offset
   * next_batch_offset; records below skip_below are passed over. */
  gsize pos;
  guint64 next_batch_offset;
  guint64 skip_below;
  gboolean in_batch;
  RgBatchReader batch;
  gsize batch_pos;

  gboolean discont;
  gboolean caps_pending;
  gboolean caps_cache_valid;
  guint64 caps_cache_base;
  gsize caps_walked_pos;
  GArray *caps_changes;         /* CapsChange */

  int inotify_fd;
  gboolean inotify_tried;
};

/* ------------------------------------------------------------------ */
/* Mapping                                                              */

static void
segment_mapping_free (gpointer data)
{
  SegmentMapping *m = data;

  munmap (m->base, m->len);
  g_free (m);
}

static gsize
round_up_page (gsize n)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);

  return (n + page - 1) / page * page;
}

/* Maps the first @len bytes (a multiple of the page size) of @fd
 * read-only at an address that is a multiple of MAP_ALIGNMENT. Returns
 * MAP_FAILED with errno set on failure. */
static gpointer
map_aligned (int fd, gsize len)
{
  guint8 *area, *base;
  gsize lead;
  int errsv;

  /* Address space only: PROT_NONE and MAP_NORESERVE commit no memory. */
  area = mmap (NULL, len + MAP_ALIGNMENT, PROT_NONE,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED)
    return MAP_FAILED;
  base = (guint8 *) (((guintptr) area + MAP_ALIGNMENT - 1) &
      ~(guintptr) (MAP_ALIGNMENT - 1));
  if (mmap (base, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) ==
      MAP_FAILED) {
    errsv = errno;
    munmap (area, len + MAP_ALIGNMENT);
    errno = errsv;
    return MAP_FAILED;
  }
  /* Give back the reserved slack on both sides of the file mapping. */
  lead = base - area;
  if (lead > 0)
    munmap (area, lead);
  if (lead < MAP_ALIGNMENT)
    munmap (base + len, MAP_ALIGNMENT - lead);
  /* EINVAL where the kernel has no transparent huge pages: nothing lost
   * but the speed-up. */
  madvise (base, len, MADV_HUGEPAGE);
  return base;
}

/* Maps @fd (of @size bytes) with headroom and wraps the mapping in a
 * read-only GstMemory that unmaps it when the last reference goes. */
static GstMemory *
map_fd (int fd, gsize size, const gchar * path, const guint8 ** data,
    gsize * map_len, GError ** error)
{
  SegmentMapping *m;
  gsize len = round_up_page (size + MAP_HEADROOM);
  gpointer base;
  int errsv;

  base = map_aligned (fd, len);
  if (base == MAP_FAILED) {
    errsv = errno;
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "mmap(%s) failed: %s", path, g_strerror (errsv));
    return NULL;
  }
  m = g_new (SegmentMapping, 1);
  m->base = base;
  m->len = len;
  *data = base;
  *map_len = len;
  return gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, base, len, 0, len,
      m, segment_mapping_free);
}

static void
close_segment (RgJournalReader * r)
{
  if (r->seg_mem)
    gst_memory_unref (r->seg_mem);
  r->seg_mem = NULL;
  r->seg_data = NULL;
  if (r->seg_fd >= 0)
    close (r->seg_fd);
  r->seg_fd = -1;
  g_clear_pointer (&r->seg_path, g_free);
  r->have_segment = FALSE;
  r->in_batch = FALSE;
  r->seg_abandoned = FALSE;
  r->seg_size = 0;
  r->seg_map_len = 0;
}

static gboolean
stat_size (int fd, const gchar * path, gsize * size, GError ** error)
{
  struct stat st;
  int errsv;

  if (fstat (fd, &st) < 0) {
    errsv = errno;
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "fstat(%s) failed: %s", path, g_strerror (errsv));
    return FALSE;
  }
  *size = st.st_size;
  return TRUE;
}

/* Opens and maps segment @base. Sets *@vanished (and no error) when the
 * file no longer exists. */
static gboolean
open_segment (RgJournalReader * r, guint64 base, gboolean * vanished,
    GError ** error)
{
  gchar *path = rg_journal_file_path (r->dir, base, RG_JOURNAL_FILE_LOG);
  GstMemory *mem;
  gsize size;
  int fd, errsv;

  *vanished = FALSE;
  close_segment (r);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  if (!stat_size (fd, path, &size, error))
    goto failed;
  mem = map_fd (fd, size, path, &r->seg_data, &r->seg_map_len, error);
  if (!mem)
    goto failed;
  r->have_segment = TRUE;
  r->seg_base = base;
  r->seg_path = path;
  r->seg_fd = fd;
  r->seg_mem = mem;
  r->seg_size = MIN (size, r->seg_map_len);
  r->populated = 0;
  r->pos = 0;
  r->next_batch_offset = base;
  return TRUE;

  /* ERRORS */
open_failed:
  {
    errsv = errno;
    if (errsv == ENOENT) {
      *vanished = TRUE;
      g_free (path);
      return FALSE;
    }
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "open(%s) failed: %s", path, g_strerror (errsv));
    g_free (path);
    return FALSE;
  }
failed:
  {
    close (fd);
    g_free (path);
    return FALSE;
  }
}

/* Learns how far the writer got. Maps the segment again when it outgrew
 * the mapping; only between batches, as the batch reader points into the
 * current mapping. Returns TRUE when there are more bytes than before. */
static gboolean
refresh_size (RgJournalReader * r, GError ** error)
{
  gsize size, old = r->seg_size;
  GstMemory *mem;
  const guint8 *data;
  gsize map_len;

  if (!stat_size (r->seg_fd, r->seg_path, &size, error))
    return FALSE;
  if (size > r->seg_map_len && !r->in_batch) {
    mem = map_fd (r->seg_fd, size, r->seg_path, &data, &map_len, error);
    if (!mem)
      return FALSE;
    gst_memory_unref (r->seg_mem);
    r->seg_mem = mem;
    r->seg_data = data;
    r->seg_map_len = map_len;
    r->populated = 0;
  }
  r->seg_size = MIN (size, r->seg_map_len);
  return r->seg_size > old;
}

/* ------------------------------------------------------------------ */
/* Segment list                                                         */

static GArray *
list_segments (RgJournalReader * r, GError ** error)
{
  return rg_journal_list_segments (r->dir, error);
}

static guint64
segment_at (GArray * list, guint i)
{
  return g_array_index (list, guint64, i);
}

/* Index of the last segment whose base is <= @offset, or -1. */
static gint
find_segment_for (GArray * list, guint64 offset)
{
  gint i;

  for (i = (gint) list->len - 1; i >= 0; i--) {
    if (segment_at (list, i) <= offset)
      return i;
  }
  return -1;
}

/* Index of the first segment whose base is > @base, or -1. */
static gint
find_segment_after (GArray * list, guint64 base)
{
  guint i;

  for (i = 0; i < list->len; i++) {
    if (segment_at (list, i) > base)
      return i;
  }
  return -1;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */

static gboolean
view_is_keyframe (const RgRecordView * view)
{
  RgRecordHeader h;
  guint32 flags;

  if (!rg_record_view_find_header (view, RG_ENVELOPE_HEADER_FLAGS, &h) ||
      h.value == NULL || h.value_len != 4)
    return TRUE;
  flags = GST_READ_UINT32_BE (h.value);
  return (flags & GST_BUFFER_FLAG_DELTA_UNIT) == 0;
}

static GstCaps *
caps_from_header (const RgRecordHeader * h)
{
  gchar *str;
  GstCaps *caps;

  if (h->value == NULL)
    return NULL;
  str = g_strndup ((const gchar *) h->value, h->value_len);
  caps = gst_caps_from_string (str);
  g_free (str);
  return caps;
}

/* Remembers where the open segment's records carrying gst.caps are, as
 * positions (the mapping may be replaced), walking forward only as far as a
 * lookup needs: repeated seeks in one segment (a binary search for a PTS)
 * walk its bytes once. */
static void
caps_cache_walk (RgJournalReader * r, guint64 offset)
{
  RgRecordHeader h;
  RgBatchReader br;
  RgRecordView v;

  if (!r->caps_cache_valid || r->caps_cache_base != r->seg_base) {
    r->caps_cache_valid = TRUE;
    r->caps_cache_base = r->seg_base;
    r->caps_walked_pos = 0;
    g_array_set_size (r->caps_changes, 0);
  }
  while (r->caps_walked_pos < r->seg_size) {
    gsize pos = r->caps_walked_pos;
    const RgBatchInfo *info;

    if (!rg_batch_reader_init (&br, r->seg_data + pos, r->seg_size - pos,
            NULL))
      break;
    info = rg_batch_reader_get_info (&br);
    if ((guint64) info->base_offset > offset)
      break;
    while (rg_batch_reader_next (&br, &v, NULL)) {
      if (rg_record_view_find_header (&v, RG_ENVELOPE_HEADER_CAPS, &h) &&
          h.value) {
        CapsChange c = { v.offset, h.value - r->seg_data, h.value_len };

        g_array_append_val (r->caps_changes, c);
      }
    }
    r->caps_walked_pos += RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
  }
}

/* The gst.caps in effect for the record at @offset of the open segment:
 * the last one carried by a record at or before it. Only needed after a
 * seek or a discont. */
static GstCaps *
find_caps_in_effect (RgJournalReader * r, guint64 offset)
{
  RgRecordHeader h = { NULL, 0, NULL, 0 };
  guint i;

  caps_cache_walk (r, offset);
  for (i = r->caps_changes->len; i > 0; i--) {
    CapsChange *c = &g_array_index (r->caps_changes, CapsChange, i - 1);

    if (c->offset <= offset) {
      h.value = r->seg_data + c->pos;
      h.value_len = c->len;
      break;
    }
  }
  return caps_from_header (&h);
}

/* ------------------------------------------------------------------ */
/* Corruption                                                           */

/* Where intact data resumes after the invalid batch at @pos of the open
 * segment: the journal's damage rule (rg_journal_find_resume()). */
static gsize
find_resume (RgJournalReader * r, gsize pos, RgBatchInfo * resume)
{
  return rg_journal_find_resume (r->seg_data, r->seg_size, pos,
      r->next_batch_offset, resume);
}

/* Checks that a batch header at @pos plausibly holds @offset. */
static gboolean
batch_holds (RgJournalReader * r, gsize pos, guint64 offset,
    RgBatchInfo * info)
{
  if (pos >= r->seg_size ||
      !rg_batch_parse_header (r->seg_data + pos, r->seg_size - pos, info,
          NULL))
    return FALSE;
  return (guint64) info->base_offset <= offset &&
      offset <= (guint64) info->base_offset + info->last_offset_delta;
}

static void
set_corrupt_error (RgJournalReader * r, gsize pos, guint64 offset,
    const GError * cause, GError ** error)
{
  RgBatchInfo resume;
  gsize at = find_resume (r, pos, &resume);
  gchar *follows = at < r->seg_size ? g_strdup_printf ("; intact records "
      "follow from offset %" G_GINT64_FORMAT " at byte %" G_GSIZE_FORMAT,
      resume.base_offset, at) : g_strdup ("");

  g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
      "corrupt batch in segment %s at byte %" G_GSIZE_FORMAT " (offset %"
      G_GUINT64_FORMAT "): %s%s", r->seg_path, pos, offset,
      cause ? cause->message : "invalid", follows);
  g_free (follows);
}

/* Reports the corrupt batch at @pos, or with skip-corrupt skips exactly the
 * damaged range: resumes at the next intact batch that continues the
 * offsets, or, when nothing valid follows in this segment, at the next
 * segment. Marks DISCONT and counts what was skipped. */
static gboolean
handle_corrupt (RgJournalReader * r, gsize pos, const GError * cause,
    GError ** error)
{
  RgBatchInfo resume;
  gsize at;

  if (!r->skip_corrupt) {
    set_corrupt_error (r, pos, r->next_batch_offset, cause, error);
    return FALSE;
  }
  at = find_resume (r, pos, &resume);
  GST_WARNING ("skipping corrupt bytes %" G_GSIZE_FORMAT " to %"
      G_GSIZE_FORMAT " of %s: %s", pos, at, r->seg_path,
      cause ? cause->message : "invalid");
  r->in_batch = FALSE;
  r->discont = TRUE;
  r->caps_pending = TRUE;
  r->skipped_ranges++;
  r->skipped_bytes += at - pos;
  if (at == r->seg_size) {
    RgBatchInfo bad;

    /* The last batch of the segment, whole but damaged inside, with its
     * header intact: a follower goes on after it. */
    if (rg_batch_parse_header (r->seg_data + pos, r->seg_size - pos, &bad,
            NULL) && (guint64) bad.base_offset == r->next_batch_offset
        && pos + RG_BATCH_LOG_OVERHEAD + (gsize) bad.batch_length ==
        r->seg_size) {
      r->skipped_records += (guint64) bad.last_offset_delta + 1;
      r->pos = r->seg_size;
      r->next_batch_offset = bad.base_offset + bad.last_offset_delta + 1;
      return TRUE;
    }
    r->seg_abandoned = TRUE;
    return TRUE;
  }
  r->skipped_records += (guint64) resume.base_offset - r->next_batch_offset;
  r->pos = at;
  r->next_batch_offset = resume.base_offset;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Stepping                                                             */

/* Fills the page tables of the mapping up to @end and some way beyond, so
 * that reading the batches there takes no page fault per page. */
static void
populate_until (RgJournalReader * r, gsize end)
{
#ifdef MADV_POPULATE_READ
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize from, to;

  if (r->populate_unsupported || end <= r->populated)
    return;
  from = r->populated / page * page;
  to = MIN (round_up_page (end + POPULATE_AHEAD), round_up_page (r->seg_size));
  if (madvise ((guint8 *) r->seg_data + from, to - from,
          MADV_POPULATE_READ) < 0) {
    /* EINVAL: an older kernel. Anything else (a file cut under us) is
     * left to the reads themselves. */
    if (errno == EINVAL)
      r->populate_unsupported = TRUE;
    return;
  }
  r->populated = to;
#endif
}

/* Starts the batch at the position when all of it is there and valid. */
static StepResult
start_batch (RgJournalReader * r, GError ** error)
{
  GError *err = NULL;
  gsize size;
  RgBatchInfo info;

  if (r->seg_abandoned || r->pos >= r->seg_size)
    return STEP_AT_END;
  size = rg_journal_check_batch (r->seg_data + r->pos, r->seg_size - r->pos,
      r->next_batch_offset, FALSE, &info, &err);
  /* A batch that runs past the end is a write in progress or a torn tail
   * only when nothing valid follows it; otherwise its length is damaged
   * and would hide the intact batches behind it. */
  if (size == 0 && rg_journal_batch_is_truncated (err)
      && find_resume (r, r->pos, NULL) == r->seg_size) {
    g_error_free (err);
    return STEP_AT_END;
  }
  if (size > 0)
    populate_until (r, r->pos + size);
  if (size == 0 || !rg_batch_reader_init (&r->batch, r->seg_data + r->pos,
          size, &err))
    goto corrupt;
  r->in_batch = TRUE;
  r->batch_pos = r->pos;
  r->pos += size;
  r->next_batch_offset = info.base_offset + info.last_offset_delta + 1;
  return STEP_OK;

corrupt:
  {
    gboolean ok = handle_corrupt (r, r->pos, err, error);

    g_error_free (err);
    return ok ? STEP_OK : STEP_ERROR;
  }
}

/* Moves to segment @list[@i] and on past vanished ones; marks DISCONT when
 * offsets were skipped. */
static StepResult
switch_segment (RgJournalReader * r, GArray * list, gint i, GError ** error)
{
  guint64 expected = r->next_batch_offset;
  gboolean vanished;

  for (; i < (gint) list->len; i++) {
    guint64 base = segment_at (list, i);

    if (open_segment (r, base, &vanished, error))
      break;
    if (!vanished)
      return STEP_ERROR;
  }
  if (i >= (gint) list->len)
    return STEP_AT_END;
  if (r->seg_base > expected) {
    GST_INFO ("offsets %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
        " are gone (retention), skipping ahead", expected, r->seg_base - 1);
    r->discont = TRUE;
    r->caps_pending = TRUE;
  } else if (r->seg_base < expected) {
    /* Overlapping segments: pass over what was already returned. */
    r->skip_below = MAX (r->skip_below, expected);
  }
  return STEP_OK;
}

/* At the end of the open segment's bytes: moves to the next segment if
 * there is one and this one is finished. */
static StepResult
advance_segment (RgJournalReader * r, GError ** error)
{
  GArray *list;
  StepResult res;
  gint next;

  list = list_segments (r, error);
  if (!list)
    return STEP_ERROR;
  next = find_segment_after (list, r->seg_base);
  if (next < 0) {
    g_array_unref (list);
    return STEP_AT_END;
  }
  /* Listed after the next segment appeared: this size is final. */
  if (!r->seg_abandoned && refresh_size (r, error)) {
    g_array_unref (list);
    return STEP_OK;
  }
  if (!r->seg_abandoned && r->pos < r->seg_size) {
    GError *cause = g_error_new (RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
        "incomplete batch at the end of a closed segment");
    gboolean ok = handle_corrupt (r, r->pos, cause, error);

    g_error_free (cause);
    g_array_unref (list);
    return ok ? STEP_OK : STEP_ERROR;
  }
  res = switch_segment (r, list, next, error);
  g_array_unref (list);
  return res;
}

static gboolean locate (RgJournalReader * r, guint64 target,
    GError ** error);

/* No segment open: opens the one holding the pending position. */
static StepResult
open_pending (RgJournalReader * r, GError ** error)
{
  GArray *list = list_segments (r, error);
  gboolean empty;

  if (!list)
    return STEP_ERROR;
  empty = list->len == 0;
  g_array_unref (list);
  if (empty)
    return STEP_AT_END;
  if (!locate (r, r->skip_below, error))
    return STEP_ERROR;
  return r->have_segment ? STEP_OK : STEP_AT_END;
}

static void
ensure_inotify (RgJournalReader * r)
{
  if (r->inotify_tried)
    return;
  r->inotify_tried = TRUE;
  r->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (r->inotify_fd < 0)
    return;
  if (inotify_add_watch (r->inotify_fd, r->dir, IN_MODIFY | IN_CREATE |
          IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE) < 0) {
    close (r->inotify_fd);
    r->inotify_fd = -1;
  }
}

/* Waits for the writer. Returns FALSE once @deadline has passed. */
static gboolean
wait_for_writer (RgJournalReader * r, gint64 deadline)
{
  gint64 now = g_get_monotonic_time ();
  gint64 wait_us;
  struct pollfd pfd;
  char events[4096];

  if (deadline >= 0 && now >= deadline)
    return FALSE;
  ensure_inotify (r);
  wait_us = r->inotify_fd >= 0 ? FOLLOW_RECHECK_US : FOLLOW_POLL_FALLBACK_US;
  if (deadline >= 0)
    wait_us = MIN (wait_us, deadline - now);
  if (r->inotify_fd < 0) {
    g_usleep (wait_us);
    return TRUE;
  }
  pfd.fd = r->inotify_fd;
  pfd.events = POLLIN;
  pfd.revents = 0;
  if (poll (&pfd, 1, (int) ((wait_us + 999) / 1000)) > 0) {
    /* Drain: the events only say "look again". */
    while (read (r->inotify_fd, events, sizeof (events)) > 0);
  }
  return TRUE;
}

/* The next record's view, pointing into the open segment's mapping. */
static RgJournalReadResult
read_view (RgJournalReader * r, RgRecordView * view, gboolean follow,
    gint64 deadline, GError ** error)
{
  StepResult res;

  for (;;) {
    if (r->in_batch) {
      GError *err = NULL;

      if (rg_batch_reader_next (&r->batch, view, &err)) {
        if ((guint64) view->offset < r->skip_below)
          continue;
        return RG_JOURNAL_READ_OK;
      }
      r->in_batch = FALSE;
      if (err && !r->skip_corrupt) {
        set_corrupt_error (r, r->batch_pos,
            rg_batch_reader_get_info (&r->batch)->base_offset, err, error);
        g_error_free (err);
        return RG_JOURNAL_READ_ERROR;
      }
      if (err) {
        /* The CRC held but a record did not parse: the rest of this batch
         * is lost; the position is already past it. */
        g_error_free (err);
        r->discont = TRUE;
        r->caps_pending = TRUE;
      }
      continue;
    }
    if (!r->have_segment)
      res = open_pending (r, error);
    else
      res = start_batch (r, error);
    if (res == STEP_AT_END && r->have_segment) {
      if (!r->seg_abandoned && refresh_size (r, error))
        continue;
      res = advance_segment (r, error);
    }
    if (res == STEP_ERROR)
      return RG_JOURNAL_READ_ERROR;
    if (res == STEP_OK)
      continue;
    if (!follow)
      return RG_JOURNAL_READ_END;
    if (!wait_for_writer (r, deadline))
      return RG_JOURNAL_READ_TIMEOUT;
  }
}

/* ------------------------------------------------------------------ */
/* Positioning                                                          */

/* A position in the open segment from which to walk towards the batch
 * holding @target, from the .index: the batch after the last entry below
 * @target. Falls back to the segment start when the index is missing or
 * stale. */
static void
index_start (RgJournalReader * r, guint64 target, gsize * pos,
    guint64 * expected)
{
  gchar *path;
  GBytes *bytes;
  const guint8 *data;
  gsize len;
  gssize n;
  RgIndexEntry e;
  RgBatchInfo info;

  *pos = 0;
  *expected = r->seg_base;
  if (target <= r->seg_base || target - r->seg_base > G_MAXUINT32)
    return;
  path = rg_journal_file_path (r->dir, r->seg_base, RG_JOURNAL_FILE_INDEX);
  bytes = rg_journal_read_index (path, RG_JOURNAL_INDEX_ENTRY_SIZE, NULL);
  g_free (path);
  if (!bytes)
    return;
  data = g_bytes_get_data (bytes, &len);
  n = rg_index_lookup (data, len, (guint32) (target - r->seg_base - 1));
  if (n >= 0) {
    rg_index_entry_read (data + n * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    if (batch_holds (r, e.position, r->seg_base + e.relative_offset, &info)) {
      *pos = e.position;
      *expected = info.base_offset;
    }
  }
  g_bytes_unref (bytes);
}

/* Opens the segment for @target, retrying while retention deletes
 * segments under us. Leaves no segment open when the journal is empty. */
static gboolean
open_segment_for (RgJournalReader * r, guint64 * target, GError ** error)
{
  guint attempt;

  for (attempt = 0; attempt < MAX_VANISHED_RETRIES; attempt++) {
    GArray *list = list_segments (r, error);
    gboolean vanished = FALSE, ok;
    gint i;

    if (!list)
      return FALSE;
    if (list->len == 0) {
      g_array_unref (list);
      close_segment (r);
      return TRUE;
    }
    i = find_segment_for (list, *target);
    if (i < 0) {
      i = 0;
      *target = segment_at (list, 0);
    }
    ok = open_segment (r, segment_at (list, i), &vanished, error);
    g_array_unref (list);
    if (ok)
      return TRUE;
    if (!vanished)
      return FALSE;
  }
  g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
      "segments of %s keep vanishing while opening them", r->dir);
  return FALSE;
}

/* Positions the reader so that the next record is @target (or the first
 * one after it that exists, or the end). */
static gboolean
locate (RgJournalReader * r, guint64 target, GError ** error)
{
  gsize pos, size;
  guint64 expected;
  RgBatchInfo info;

  r->discont = FALSE;
  r->caps_pending = TRUE;
  r->skip_below = target;
  if (!open_segment_for (r, &target, error))
    return FALSE;
  r->skip_below = target;
  if (!r->have_segment)
    return TRUE;
  index_start (r, target, &pos, &expected);
  /* Walk batch headers (no CRC: read_view checks it) to the batch holding
   * @target. */
  while (pos < r->seg_size) {
    size = rg_journal_check_batch (r->seg_data + pos, r->seg_size - pos,
        expected, FALSE, &info, NULL);
    if (size == 0)
      break;
    if ((guint64) info.base_offset + info.last_offset_delta >= target)
      break;
    pos += size;
    expected = info.base_offset + info.last_offset_delta + 1;
  }
  r->pos = pos;
  r->next_batch_offset = expected;
  /* Past the end: position at the end. */
  if (pos >= r->seg_size)
    r->skip_below = MIN (target, expected);
  return TRUE;
}

/* Walks the open segment's records from @pos (a batch with base offset
 * @expected) up to @target, remembering the last keyframe. */
static void
scan_keyframes (RgJournalReader * r, gsize pos, guint64 expected,
    guint64 target, KeyframeHit * hit)
{
  RgBatchReader br;
  RgRecordView v;

  while (pos < r->seg_size) {
    const RgBatchInfo *info;

    if (!rg_batch_reader_init (&br, r->seg_data + pos, r->seg_size - pos,
            NULL))
      break;
    info = rg_batch_reader_get_info (&br);
    if ((guint64) info->base_offset != expected ||
        (guint64) info->base_offset > target)
      break;
    while (rg_batch_reader_next (&br, &v, NULL) && (guint64) v.offset <= target) {
      if (view_is_keyframe (&v)) {
        hit->found = TRUE;
        hit->offset = v.offset;
        hit->pos = pos;
        hit->batch_base = info->base_offset;
      }
    }
    pos += RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
    expected = info->base_offset + info->last_offset_delta + 1;
  }
}

/* The last keyframe at or before @target in the open segment: from the
 * .keyindex entry at or before it, then walking forward (the index of the
 * active segment may lag the log). */
static void
find_keyframe_in_segment (RgJournalReader * r, guint64 target,
    KeyframeHit * hit)
{
  gchar *path;
  GBytes *bytes;
  const guint8 *data;
  gsize len, pos = 0;
  guint64 expected = r->seg_base;
  gssize n;
  RgIndexEntry e;
  RgBatchInfo info;

  hit->found = FALSE;
  path = rg_journal_file_path (r->dir, r->seg_base, RG_JOURNAL_FILE_KEYINDEX);
  bytes = rg_journal_read_index (path, RG_JOURNAL_KEYINDEX_ENTRY_SIZE, NULL);
  g_free (path);
  if (bytes && target >= r->seg_base) {
    data = g_bytes_get_data (bytes, &len);
    n = rg_index_lookup (data, len,
        (guint32) MIN (target - r->seg_base, G_MAXUINT32));
    if (n >= 0) {
      rg_index_entry_read (data + n * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, &e);
      if (batch_holds (r, e.position, r->seg_base + e.relative_offset,
              &info)) {
        pos = e.position;
        expected = info.base_offset;
      }
    }
  }
  if (bytes)
    g_bytes_unref (bytes);
  scan_keyframes (r, pos, expected, target, hit);
}

/* Positions at the keyframe at or before @target, looking back through
 * earlier segments when @target's segment has none before it. Leaves the
 * position at @target when the journal has no such keyframe. */
static gboolean
locate_keyframe (RgJournalReader * r, guint64 target, GError ** error)
{
  KeyframeHit hit = { FALSE, 0, 0, 0 };
  GArray *list;
  gboolean vanished;
  gint i;

  if (!locate (r, target, error))
    return FALSE;
  if (!r->have_segment)
    return TRUE;
  target = r->skip_below;
  find_keyframe_in_segment (r, target, &hit);
  if (!hit.found) {
    list = list_segments (r, error);
    if (!list)
      return FALSE;
    i = find_segment_for (list, r->seg_base);
    for (i = i - 1; i >= 0 && !hit.found; i--) {
      if (!open_segment (r, segment_at (list, i), &vanished, NULL))
        continue;
      find_keyframe_in_segment (r, G_MAXUINT64, &hit);
    }
    g_array_unref (list);
    /* The loop stops on a hit, so the hit is in the segment now open. */
    if (!hit.found)
      return locate (r, target, error);
  }
  r->pos = hit.pos;
  r->next_batch_offset = hit.batch_base;
  r->skip_below = hit.offset;
  r->in_batch = FALSE;
  r->seg_abandoned = FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */

void
rg_journal_record_clear (RgJournalRecord * record)
{
  g_return_if_fail (record != NULL);

  gst_clear_buffer (&record->buffer);
  gst_clear_caps (&record->caps);
  memset (record, 0, sizeof (*record));
}

RgJournalReader *
rg_journal_reader_open (const gchar * dir, GError ** error)
{
  RgJournalReader *r;

  g_return_val_if_fail (dir != NULL, NULL);

  GST_DEBUG_CATEGORY_INIT (rg_journal_reader_debug, "rgjournalreader", 0,
      "journal reader");
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "journal directory %s does not exist", dir);
    return NULL;
  }
  r = g_new0 (RgJournalReader, 1);
  r->dir = g_strdup (dir);
  r->seg_fd = -1;
  r->inotify_fd = -1;
  r->caps_pending = TRUE;
  r->caps_changes = g_array_new (FALSE, FALSE, sizeof (CapsChange));
  return r;
}

void
rg_journal_reader_free (RgJournalReader * reader)
{
  if (!reader)
    return;
  close_segment (reader);
  if (reader->inotify_fd >= 0)
    close (reader->inotify_fd);
  g_array_unref (reader->caps_changes);
  g_free (reader->dir);
  g_free (reader);
}

void
rg_journal_reader_set_skip_corrupt (RgJournalReader * reader, gboolean skip)
{
  g_return_if_fail (reader != NULL);

  reader->skip_corrupt = skip;
}

void
rg_journal_reader_get_skipped (RgJournalReader * reader, guint64 * ranges,
    guint64 * records, guint64 * bytes)
{
  g_return_if_fail (reader != NULL);

  if (ranges)
    *ranges = reader->skipped_ranges;
  if (records)
    *records = reader->skipped_records;
  if (bytes)
    *bytes = reader->skipped_bytes;
}

/* One past the last complete, valid record of segment @base, walking from
 * its last .index entry. */
static gboolean
segment_end (RgJournalReader * r, guint64 base, guint64 * end,
    gboolean * vanished, GError ** error)
{
  RgJournalReader tmp = { 0 };
  gsize pos, size;
  guint64 expected;
  RgBatchInfo info;

  tmp.dir = r->dir;
  tmp.seg_fd = -1;
  if (!open_segment (&tmp, base, vanished, error))
    return FALSE;
  index_start (&tmp, G_MAXUINT32 + tmp.seg_base, &pos, &expected);
  while (pos < tmp.seg_size) {
    size = rg_journal_check_batch (tmp.seg_data + pos, tmp.seg_size - pos,
        expected, TRUE, &info, NULL);
    if (size == 0) {
      /* Damage hides nothing: the range ends after the intact batches
       * behind it, which a reader reaches (or reports). */
      pos = rg_journal_find_resume (tmp.seg_data, tmp.seg_size, pos,
          expected, &info);
      if (pos == tmp.seg_size)
        break;
      expected = info.base_offset;
      continue;
    }
    pos += size;
    expected = info.base_offset + info.last_offset_delta + 1;
  }
  *end = expected;
  close_segment (&tmp);
  return TRUE;
}

gboolean
rg_journal_reader_get_range (RgJournalReader * reader, guint64 * start,
    guint64 * end, GError ** error)
{
  guint attempt;

  g_return_val_if_fail (reader != NULL, FALSE);

  for (attempt = 0; attempt < MAX_VANISHED_RETRIES; attempt++) {
    GArray *list = list_segments (reader, error);
    gboolean vanished = FALSE, ok;
    guint64 s, e;

    if (!list)
      return FALSE;
    if (list->len == 0) {
      g_array_unref (list);
      s = e = reader->next_batch_offset;
      ok = TRUE;
    } else {
      s = segment_at (list, 0);
      ok = segment_end (reader, segment_at (list, list->len - 1), &e,
          &vanished, error);
      g_array_unref (list);
    }
    if (ok) {
      if (start)
        *start = s;
      if (end)
        *end = e;
      return TRUE;
    }
    if (!vanished)
      return FALSE;
  }
  g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
      "segments of %s keep vanishing while reading them", reader->dir);
  return FALSE;
}

gboolean
rg_journal_reader_seek_offset (RgJournalReader * reader, guint64 offset,
    gboolean snap_to_keyframe, GError ** error)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  if (snap_to_keyframe)
    return locate_keyframe (reader, offset, error);
  return locate (reader, offset, error);
}

/* The segment to start a timestamp search in: the first whose .timeindex
 * reaches @timestamp, or has no entries (unknown), else the last. */
static guint64
timestamp_start_offset (RgJournalReader * r, GArray * list, gint64 timestamp)
{
  guint i;

  for (i = 0; i < list->len; i++) {
    guint64 base = segment_at (list, i);
    gchar *path = rg_journal_file_path (r->dir, base,
        RG_JOURNAL_FILE_TIMEINDEX);
    GBytes *bytes = rg_journal_read_index (path,
        RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, NULL);
    const guint8 *data;
    gsize len;
    RgTimeIndexEntry last, below;
    gssize n;
    guint64 start = base;
    gboolean here;

    g_free (path);
    data = bytes ? g_bytes_get_data (bytes, &len) : NULL;
    if (!bytes || len < RG_JOURNAL_TIMEINDEX_ENTRY_SIZE) {
      here = TRUE;
    } else {
      rg_time_index_entry_read (data + len - RG_JOURNAL_TIMEINDEX_ENTRY_SIZE,
          &last);
      here = last.timestamp >= timestamp || i + 1 == list->len;
      n = rg_time_index_lookup_below (data, len, timestamp);
      if (here && n >= 0) {
        rg_time_index_entry_read (data + n * RG_JOURNAL_TIMEINDEX_ENTRY_SIZE,
            &below);
        start = base + below.relative_offset + 1;
      }
    }
    if (bytes)
      g_bytes_unref (bytes);
    if (here)
      return start;
  }
  return 0;
}

gboolean
rg_journal_reader_seek_timestamp (RgJournalReader * reader,
    gint64 timestamp, gboolean snap_to_keyframe, GError ** error)
{
  GArray *list;
  guint64 start, target;
  RgRecordView view;
  RgJournalReadResult res;

  g_return_val_if_fail (reader != NULL, FALSE);

  list = list_segments (reader, error);
  if (!list)
    return FALSE;
  start = list->len ? timestamp_start_offset (reader, list, timestamp) : 0;
  g_array_unref (list);
  if (!locate (reader, start, error))
    return FALSE;
  /* The index narrowed it down; the records decide. */
  target = start;
  do {
    res = read_view (reader, &view, FALSE, 0, error);
    if (res == RG_JOURNAL_READ_ERROR)
      return FALSE;
    if (res == RG_JOURNAL_READ_OK)
      target = view.offset + 1;
  } while (res == RG_JOURNAL_READ_OK && view.timestamp < timestamp);
  if (res == RG_JOURNAL_READ_OK)
    target = view.offset;
  else if (reader->have_segment)
    target = reader->next_batch_offset;
  return rg_journal_reader_seek_offset (reader, target, snap_to_keyframe,
      error);
}

static GstBuffer *
buffer_from_view (RgJournalReader * r, const RgRecordView * view,
    const RgEnvelopeFields * fields)
{
  GstBuffer *buffer = gst_buffer_new ();

  if (view->value && view->value_len > 0) {
    gsize at = view->value - r->seg_data;

    gst_buffer_append_memory (buffer,
        gst_memory_share (r->seg_mem, at, view->value_len));
    /* Appending tags the buffer's memory as changed, which is news to
     * nobody for a fresh buffer and would make the flags differ from the
     * recorded ones. */
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
  }
  rg_envelope_fields_apply (fields, buffer);
  gst_buffer_add_rg_meta_from_record (buffer, view, r->seg_mem);
  return buffer;
}

RgJournalReadResult
rg_journal_reader_next (RgJournalReader * reader, RgJournalRecord * record,
    gboolean follow, gint64 deadline, GError ** error)
{
  RgJournalReadResult res;
  RgRecordView view;
  RgEnvelopeFields fields;
  GError *err = NULL;

  g_return_val_if_fail (reader != NULL, RG_JOURNAL_READ_ERROR);
  g_return_val_if_fail (record != NULL, RG_JOURNAL_READ_ERROR);

  memset (record, 0, sizeof (*record));
  for (;;) {
    res = read_view (reader, &view, follow, deadline, error);
    if (res != RG_JOURNAL_READ_OK)
      return res;
    if (rg_envelope_parse (&view, &fields, &err))
      break;
    if (!reader->skip_corrupt) {
      set_corrupt_error (reader, reader->batch_pos, view.offset, err, error);
      g_error_free (err);
      return RG_JOURNAL_READ_ERROR;
    }
    g_clear_error (&err);
    reader->discont = TRUE;
  }
  record->offset = view.offset;
  record->timestamp = view.timestamp;
  record->buffer = buffer_from_view (reader, &view, &fields);
  record->keyframe = !(fields.has_flags &&
      (fields.flags & GST_BUFFER_FLAG_DELTA_UNIT));
  if (fields.caps) {
    RgRecordHeader h = { NULL, 0, (const guint8 *) fields.caps,
      fields.caps_len
    };
    record->caps = caps_from_header (&h);
  } else if (reader->caps_pending) {
    record->caps = find_caps_in_effect (reader, view.offset);
  }
  reader->caps_pending = FALSE;
  if (reader->discont) {
    record->discont = TRUE;
    GST_BUFFER_FLAG_SET (record->buffer, GST_BUFFER_FLAG_DISCONT);
    reader->discont = FALSE;
  }
  return RG_JOURNAL_READ_OK;
}
