/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * What every benchmark under tests/bench/ needs around its own cases: process
 * CPU time and memory, the "@key=value" lines a child case prints for its
 * parent, the machine description for the report, and writing a generated
 * block into docs/performance.md between its markers.
 */

#ifndef __RG_BENCH_H__
#define __RG_BENCH_H__

#include <glib.h>

G_BEGIN_DECLS

/* User + system CPU seconds of the whole process (all threads). */
gdouble rg_bench_cpu_seconds (void);

/* A "VmRSS"/"VmHWM"-style field of /proc/self/status in KiB, or -1. */
gint64 rg_bench_proc_status_kib (const gchar * field);

/* Prints one result line "@key=value" for the parent process. */
void rg_bench_emit (const gchar * key, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);

/* The number after "@key=" in a child's output, or -1 when absent. */
gdouble rg_bench_result_value (const gchar * output, const gchar * key);

/* The CPU model from /proc/cpuinfo, or "unknown CPU". Free with g_free. */
gchar *rg_bench_cpu_model (void);

/* The 1, 5 and 15 minute load averages, or "unknown". Free with g_free. */
gchar *rg_bench_load_average (void);

/* Replaces what lies between @begin and @end in @doc with @block. When the
 * markers are missing: appends "@heading, @begin, @block, @end" if @heading
 * is not NULL, else fails. Errors are printed. */
gboolean rg_bench_write_doc_block (const gchar * doc, const gchar * begin,
    const gchar * end, const gchar * block, const gchar * heading);

G_END_DECLS

#endif /* __RG_BENCH_H__ */
