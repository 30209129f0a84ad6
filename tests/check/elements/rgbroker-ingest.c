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

/*
 * The "second box" of rgbrokersink_produce.c: a process whose pipeline
 * runs an rgbrokersink with ingest=true on a free port. It prints the port
 * on stdout, then serves until its stdin closes (the test ends, or dies),
 * or for at most 120 s.
 */

#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  GstElement *pipeline, *sink;
  GError *error = NULL;
  guint port = 0;
  char c;

  gst_init (&argc, &argv);
  alarm (120);
  /* One buffer then EOS: the broker keeps serving until the pipeline
   * stops. */
  pipeline = gst_parse_launch ("fakesrc num-buffers=1 ! rgbrokersink "
      "name=sink topic=own port=0 ingest=true", &error);
  if (!pipeline) {
    fprintf (stderr, "rgbroker-ingest: %s\n", error->message);
    return 1;
  }
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE
      || gst_element_get_state (pipeline, NULL, NULL,
          10 * GST_SECOND) == GST_STATE_CHANGE_FAILURE) {
    fprintf (stderr, "rgbroker-ingest: the pipeline did not start\n");
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_get (sink, "bound-port", &port, NULL);
  gst_object_unref (sink);
  printf ("%u\n", port);
  fflush (stdout);

  while (read (0, &c, 1) > 0);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return 0;
}
