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

#ifndef __GST_RG_SRC_H__
#define __GST_RG_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

/**
 * GstRgSrcStart:
 * @GST_RG_SRC_START_EARLIEST: the oldest record in the journal
 * @GST_RG_SRC_START_LATEST: the end of the journal: only records appended
 *   from now on; with snap-to-keyframe, the last keyframe instead, so a
 *   live view starts decodable at once
 * @GST_RG_SRC_START_OFFSET: the record at start-offset
 * @GST_RG_SRC_START_TIME: the first record whose timestamp is >= start-time
 *
 * Where rgsrc starts reading. With snap-to-keyframe, any of these moves
 * back to the keyframe at or before it.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_RG_SRC_START_EARLIEST,
  GST_RG_SRC_START_LATEST,
  GST_RG_SRC_START_OFFSET,
  GST_RG_SRC_START_TIME,
} GstRgSrcStart;

#define GST_TYPE_RG_SRC_START (gst_rg_src_start_get_type ())
GType gst_rg_src_start_get_type (void);

#define GST_TYPE_RG_SRC (gst_rg_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRgSrc, gst_rg_src, GST, RG_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (rgsrc);

G_END_DECLS

#endif /* __GST_RG_SRC_H__ */
