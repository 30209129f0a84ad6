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

#ifndef __GST_RG_TEE_H__
#define __GST_RG_TEE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstRgTeeLagPolicy:
 * @GST_RG_TEE_LAG_POLICY_BLOCK: never drop; upstream waits for this branch
 *   once the ring is full (lossless, back-pressure like tee + queue)
 * @GST_RG_TEE_LAG_POLICY_DROP: when over budget, skip to the oldest buffer
 *   still within the budget
 * @GST_RG_TEE_LAG_POLICY_LATEST: when over budget, skip to the newest buffer
 * @GST_RG_TEE_LAG_POLICY_KEYFRAME: when over budget, resync on the most
 *   recent keyframe, so that the branch never gets a delta unit without its
 *   reference
 *
 * What a branch of rgtee does when it lags more than its budget. The values
 * are those of the core library's RgLagPolicy.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_RG_TEE_LAG_POLICY_BLOCK,
  GST_RG_TEE_LAG_POLICY_DROP,
  GST_RG_TEE_LAG_POLICY_LATEST,
  GST_RG_TEE_LAG_POLICY_KEYFRAME,
} GstRgTeeLagPolicy;

#define GST_TYPE_RG_TEE_LAG_POLICY (gst_rg_tee_lag_policy_get_type ())
GType gst_rg_tee_lag_policy_get_type (void);

#define GST_TYPE_RG_TEE_PAD (gst_rg_tee_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstRgTeePad, gst_rg_tee_pad, GST, RG_TEE_PAD, GstPad)

#define GST_TYPE_RG_TEE (gst_rg_tee_get_type ())
G_DECLARE_FINAL_TYPE (GstRgTee, gst_rg_tee, GST, RG_TEE, GstElement)

GST_ELEMENT_REGISTER_DECLARE (rgtee);

G_END_DECLS

#endif /* __GST_RG_TEE_H__ */
