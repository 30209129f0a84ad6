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

/* The "rg" plugin. This file only registers; every element lives in its
 * own file pair. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstrgtee.h"
#include "gstrgjournalsink.h"
#include "gstrgsrc.h"
#include "gstrgbrokersink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (rgtee, plugin);
  ret |= GST_ELEMENT_REGISTER (rgjournalsink, plugin);
  ret |= GST_ELEMENT_REGISTER (rgsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (rgbrokersink, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rg,
    "Fan-out, journal and broker elements: zero-copy, tolerant of slow "
    "consumers", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)
