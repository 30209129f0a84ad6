/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
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

#ifndef __GST_RG_BROKER_SINK_H__
#define __GST_RG_BROKER_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_RG_BROKER_SINK (gst_rg_broker_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRgBrokerSink, gst_rg_broker_sink, GST,
    RG_BROKER_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rgbrokersink);

G_END_DECLS

#endif /* __GST_RG_BROKER_SINK_H__ */
