/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The export macro of gst-rg's libraries, in the manner of GStreamer's
 * GST_API. The libraries are built with -fvisibility=hidden, so a function
 * is exported only when an installed header declares it with RG_API: the
 * installed headers are the whole ABI. Test seams and the code the layers
 * share among themselves live in private headers and stay hidden. */

#ifndef __RG_API_H__
#define __RG_API_H__

#if defined(__GNUC__) || defined(__clang__)
#define RG_API extern __attribute__ ((visibility ("default")))
#else
#define RG_API extern
#endif

#endif /* __RG_API_H__ */
