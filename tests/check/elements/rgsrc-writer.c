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

/* The writer process of rgsrc's follow test: runs the pipeline given as
 * its only argument to EOS and exits 0, or 1 on an error. It is built with
 * the project (and its sanitizers), unlike gst-launch-1.0, so that it can
 * load the plugin of a sanitizer build. */

#include <gst/gst.h>

int
main (int argc, char **argv)
{
  GstElement *pipeline;
  GstMessage *msg;
  GError *err = NULL;
  int status;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: %s PIPELINE\n", argv[0]);
    return 2;
  }
  pipeline = gst_parse_launch (argv[1], &err);
  if (!pipeline) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    return 2;
  }
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  status = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS ? 0 : 1;
  if (status != 0) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("%s\n", err->message);
    g_error_free (err);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  gst_deinit ();
  return status;
}
