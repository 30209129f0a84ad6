/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* util: helpers shared by every layer of libgstrg-1.0, below all of them.
 * It includes nothing of gst-rg. Private to the library: not installed, and
 * nothing here is exported.
 *
 * Replacing a small file durably (a settings file the broker writes back):
 * a crash at any point leaves either the old file or the new one, never a
 * mix or nothing. Blocking I/O (two fsyncs): call it where that is
 * acceptable. */

#ifndef __RG_FILE_H__
#define __RG_FILE_H__

#include <glib.h>

G_BEGIN_DECLS

/* Replaces @path by @len bytes of @data: a temporary file beside it,
 * @path with ".tmp" appended (same directory, so the rename cannot cross
 * file systems; a fixed name, so one left by a crash is simply written
 * over the next time: one writer per @path at a time), with @path's
 * permissions (0600 when @path does not exist), written and fsynced,
 * renamed over @path, then the directory fsynced so that the rename
 * itself is durable. On failure @path is untouched, the temporary file is
 * removed, and @error (G_FILE_ERROR) names @path and the reason. */
gboolean rg_file_replace (const gchar * path, const gchar * data, gsize len,
    GError ** error);

/* Removes @path and fsyncs its directory so that the removal is durable.
 * A @path that does not exist is not an error (nothing is synced then).
 * On failure @error (G_FILE_ERROR) names @path and the reason. */
gboolean rg_file_remove (const gchar * path, GError ** error);

G_END_DECLS

#endif /* __RG_FILE_H__ */
