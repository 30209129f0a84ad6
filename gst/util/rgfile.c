/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Durable file replacement (contract in rgfile.h). The order matters:
 * the data is fsynced before the rename, or a crash could leave the new
 * name pointing at an empty file (ext4 delayed allocation); the directory
 * is fsynced after it, or the rename may not survive a crash (Pillai et
 * al., OSDI 2014). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "util/rgfile.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
write_all (int fd, const gchar * data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
sync_directory (const gchar * path)
{
  gchar *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok = fd >= 0 && fsync (fd) == 0;

  if (fd >= 0)
    close (fd);
  g_free (dir);
  return ok;
}

gboolean
rg_file_replace (const gchar * path, const gchar * data, gsize len,
    GError ** error)
{
  gchar *tmp = g_strconcat (path, ".tmp", NULL);
  struct stat st;
  gboolean ok;
  int fd, saved;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ok = fd >= 0;
  if (ok && stat (path, &st) == 0)
    ok = fchmod (fd, st.st_mode & 07777) == 0;
  ok = ok && write_all (fd, data, len) && fsync (fd) == 0;
  if (fd >= 0 && close (fd) != 0)
    ok = FALSE;
  ok = ok && rename (tmp, path) == 0 && sync_directory (path);
  if (!ok) {
    saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "Cannot write %s: %s", path, g_strerror (saved));
    g_unlink (tmp);
  }
  g_free (tmp);
  return ok;
}

gboolean
rg_file_remove (const gchar * path, GError ** error)
{
  int saved;

  if (unlink (path) == 0 ? sync_directory (path) : errno == ENOENT)
    return TRUE;
  saved = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
      "Cannot remove %s: %s", path, g_strerror (saved));
  return FALSE;
}
