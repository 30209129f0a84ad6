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
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* Replays files through the fuzz target without libFuzzer, so the normal
 * and sanitizer builds run every seed and every crash the fuzzer ever
 * found (tests/fuzz/crashes/) as a regression test.
 *
 *   kafka-request-replay DIR_OR_FILE...
 *
 * Each input is copied into an allocation of exactly its size, so that
 * AddressSanitizer catches a read one byte past the frame. Prints the
 * number of inputs replayed; fails if there were none, or when the fuzz
 * target's table of codec parsers is not the broker's. */

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "broker/rgbrokerdispatch.h"
#include "kafka-fuzz-apis.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* The fuzz target's own table of codec parsers must be the broker's: every
 * row of the dispatch table with a parser of its own, with the same
 * versions, first flexible version and functions. Returns the number of
 * differences, each printed. */
static guint
check_fuzz_apis (void)
{
  const RgBrokerApi *apis;
  const RgKafkaFuzzApi *fuzz;
  guint n_apis, n_fuzz, i, j, wrong = 0, with_parser = 0;

  apis = rg_broker_dispatch_apis (&n_apis);
  fuzz = rg_kafka_fuzz_apis (&n_fuzz);
  for (i = 0; i < n_apis; i++) {
    if (apis[i].parse == NULL)
      continue;
    with_parser++;
    for (j = 0; j < n_fuzz && fuzz[j].api_key != apis[i].api_key; j++);
    if (j == n_fuzz || fuzz[j].max_version != apis[i].max_version
        || fuzz[j].first_flexible != apis[i].first_flexible
        || fuzz[j].parse != apis[i].parse
        || fuzz[j].free_body != apis[i].free_body) {
      g_printerr ("api %d: the fuzz target's row (kafka-request-fuzzer.c) "
          "differs from the broker's dispatch table\n", apis[i].api_key);
      wrong++;
    }
  }
  if (with_parser != n_fuzz) {
    g_printerr ("the fuzz target lists %u codec apis, the broker %u\n",
        n_fuzz, with_parser);
    wrong++;
  }
  return wrong;
}

static guint
replay_file (const gchar * path)
{
  gchar *data;
  gsize len;
  GError *error = NULL;
  guint8 *exact;

  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s", error->message);
  exact = g_malloc (MAX (len, 1));
  memcpy (exact, data, len);
  LLVMFuzzerTestOneInput (exact, len);
  g_free (exact);
  g_free (data);
  return 1;
}

static guint
replay (const gchar * path)
{
  GDir *dir;
  const gchar *name;
  guint count = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return replay_file (path);
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    gchar *child = g_build_filename (path, name, NULL);

    /* Seeds and crash files only: skip scripts and notes. */
    if (g_str_has_suffix (name, ".bin") || g_str_has_prefix (name, "crash-")
        || g_str_has_prefix (name, "leak-") || g_str_has_prefix (name, "oom-")
        || g_str_has_prefix (name, "timeout-"))
      count += replay_file (child);
    g_free (child);
  }
  if (dir != NULL)
    g_dir_close (dir);
  return count;
}

int
main (int argc, char **argv)
{
  guint count = 0;
  int i;

  if (check_fuzz_apis () > 0)
    return 1;
  for (i = 1; i < argc; i++)
    count += replay (argv[i]);
  g_print ("replayed %u inputs\n", count);
  return count > 0 ? 0 : 1;
}
