/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "rgbench.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

gdouble
rg_bench_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

gint64
rg_bench_proc_status_kib (const gchar * field)
{
  gchar *contents = NULL;
  const gchar *line;
  gsize len = strlen (field);
  gint64 kib = -1;

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;
  for (line = contents; line != NULL && *line != '\0';) {
    if (strncmp (line, field, len) == 0 && line[len] == ':') {
      kib = g_ascii_strtoll (line + len + 1, NULL, 10);
      break;
    }
    line = strchr (line, '\n');
    if (line != NULL)
      line++;
  }
  g_free (contents);
  return kib;
}

void
rg_bench_emit (const gchar * key, const gchar * format, ...)
{
  va_list args;
  gchar *value;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("@%s=%s\n", key, value);
  g_free (value);
}

gdouble
rg_bench_result_value (const gchar * output, const gchar * key)
{
  gchar *needle = g_strdup_printf ("@%s=", key);
  const gchar *at = strstr (output, needle);
  gdouble v = at ? g_ascii_strtod (at + strlen (needle), NULL) : -1;

  g_free (needle);
  return v;
}

gchar *
rg_bench_cpu_model (void)
{
  gchar *info = NULL, *model = NULL, *at;

  if (g_file_get_contents ("/proc/cpuinfo", &info, NULL, NULL) &&
      (at = strstr (info, "model name")) != NULL &&
      (at = strchr (at, ':')) != NULL)
    model = g_strstrip (g_strndup (at + 1, strcspn (at + 1, "\n")));
  g_free (info);
  return model ? model : g_strdup ("unknown CPU");
}

gchar *
rg_bench_load_average (void)
{
  gchar *s = NULL, **f, *out;

  if (!g_file_get_contents ("/proc/loadavg", &s, NULL, NULL))
    return g_strdup ("unknown");
  f = g_strsplit (s, " ", 4);
  out = g_strdup_printf ("%s %s %s", f[0], f[1] ? f[1] : "",
      f[1] && f[2] ? f[2] : "");
  g_strfreev (f);
  g_free (s);
  return out;
}

gboolean
rg_bench_write_doc_block (const gchar * doc, const gchar * begin,
    const gchar * end, const gchar * block, const gchar * heading)
{
  gchar *text = NULL, *at_begin, *at_end, *out;
  GError *error = NULL;
  gboolean ok;

  if (!g_file_get_contents (doc, &text, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  at_begin = strstr (text, begin);
  at_end = at_begin ? strstr (at_begin, end) : NULL;
  if (at_end != NULL) {
    *at_begin = '\0';
    out = g_strconcat (text, begin, "\n", block, at_end, NULL);
  } else if (heading != NULL) {
    out = g_strconcat (text, g_str_has_suffix (text, "\n") ? "" : "\n",
        "\n", heading, "\n\n", begin, "\n", block, end, "\n", NULL);
  } else {
    g_printerr ("%s has no %s ... %s pair\n", doc, begin, end);
    g_free (text);
    return FALSE;
  }
  ok = g_file_set_contents (doc, out, -1, &error);
  if (!ok) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
  }
  g_free (out);
  g_free (text);
  return ok;
}
