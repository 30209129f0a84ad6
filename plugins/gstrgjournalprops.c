/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgjournalprops.h"
#include "gstrgjournalsink.h"

/* Offsets from the element's first journal property id. */
enum
{
  JOURNAL_PROP_SYNC,
  JOURNAL_PROP_SYNC_INTERVAL,
  JOURNAL_PROP_MAX_SEGMENT_BYTES,
  JOURNAL_PROP_MAX_SEGMENT_TIME,
  JOURNAL_PROP_MAX_BYTES,
  JOURNAL_PROP_MAX_AGE,
};

G_STATIC_ASSERT (JOURNAL_PROP_MAX_AGE + 1 == GST_RG_JOURNAL_N_PROPS);

/* The journal says "never" with GST_CLOCK_TIME_NONE; the properties say it
 * with 0, which gst-launch users can type. */
static guint64
time_to_property (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? t : 0;
}

static GstClockTime
time_from_property (guint64 value)
{
  return value == 0 ? GST_CLOCK_TIME_NONE : value;
}

void
gst_rg_journal_props_install (GObjectClass * klass, guint first_id,
    const gchar * sync_name, const gchar * sync_blurb)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  RgJournalConfig d;

  rg_journal_config_init (&d);
  g_object_class_install_property (klass, first_id + JOURNAL_PROP_SYNC,
      g_param_spec_enum (sync_name, "Sync", sync_blurb,
          GST_TYPE_RG_JOURNAL_SINK_SYNC, (gint) d.sync, flags));
  g_object_class_install_property (klass,
      first_id + JOURNAL_PROP_SYNC_INTERVAL,
      g_param_spec_uint64 ("sync-interval", "Sync interval",
          "Period of fdatasync for the interval sync policy (nanoseconds)",
          1, G_MAXUINT64, d.sync_interval, flags));
  g_object_class_install_property (klass,
      first_id + JOURNAL_PROP_MAX_SEGMENT_BYTES,
      g_param_spec_uint64 ("max-segment-bytes", "Max segment bytes",
          "Start a new journal segment past this size, at the next keyframe "
          "(0 = never by size)", 0, G_MAXUINT64, d.max_segment_bytes, flags));
  g_object_class_install_property (klass,
      first_id + JOURNAL_PROP_MAX_SEGMENT_TIME,
      g_param_spec_uint64 ("max-segment-time", "Max segment time",
          "Start a new journal segment when the first record of the current "
          "one is older than this, at the next keyframe (nanoseconds, "
          "0 = never)", 0, G_MAXUINT64, time_to_property (d.max_segment_time),
          flags));
  g_object_class_install_property (klass, first_id + JOURNAL_PROP_MAX_BYTES,
      g_param_spec_uint64 ("max-bytes", "Max bytes",
          "Delete the oldest closed journal segments while the journal is "
          "larger (0 = keep everything)", 0, G_MAXUINT64, d.max_bytes, flags));
  g_object_class_install_property (klass, first_id + JOURNAL_PROP_MAX_AGE,
      g_param_spec_uint64 ("max-age", "Max age",
          "Delete closed journal segments whose newest record is older than "
          "this (nanoseconds, 0 = keep)", 0, G_MAXUINT64,
          time_to_property (d.max_age), flags));
}

gboolean
gst_rg_journal_props_set (RgJournalConfig * config, guint first_id,
    guint prop_id, const GValue * value)
{
  if (prop_id < first_id || prop_id >= first_id + GST_RG_JOURNAL_N_PROPS)
    return FALSE;
  switch (prop_id - first_id) {
    case JOURNAL_PROP_SYNC:
      config->sync = g_value_get_enum (value);
      break;
    case JOURNAL_PROP_SYNC_INTERVAL:
      config->sync_interval = g_value_get_uint64 (value);
      break;
    case JOURNAL_PROP_MAX_SEGMENT_BYTES:
      config->max_segment_bytes = g_value_get_uint64 (value);
      break;
    case JOURNAL_PROP_MAX_SEGMENT_TIME:
      config->max_segment_time = time_from_property (g_value_get_uint64
          (value));
      break;
    case JOURNAL_PROP_MAX_BYTES:
      config->max_bytes = g_value_get_uint64 (value);
      break;
    case JOURNAL_PROP_MAX_AGE:
      config->max_age = time_from_property (g_value_get_uint64 (value));
      break;
  }
  return TRUE;
}

gboolean
gst_rg_journal_props_get (const RgJournalConfig * config, guint first_id,
    guint prop_id, GValue * value)
{
  if (prop_id < first_id || prop_id >= first_id + GST_RG_JOURNAL_N_PROPS)
    return FALSE;
  switch (prop_id - first_id) {
    case JOURNAL_PROP_SYNC:
      g_value_set_enum (value, config->sync);
      break;
    case JOURNAL_PROP_SYNC_INTERVAL:
      g_value_set_uint64 (value, config->sync_interval);
      break;
    case JOURNAL_PROP_MAX_SEGMENT_BYTES:
      g_value_set_uint64 (value, config->max_segment_bytes);
      break;
    case JOURNAL_PROP_MAX_SEGMENT_TIME:
      g_value_set_uint64 (value, time_to_property (config->max_segment_time));
      break;
    case JOURNAL_PROP_MAX_BYTES:
      g_value_set_uint64 (value, config->max_bytes);
      break;
    case JOURNAL_PROP_MAX_AGE:
      g_value_set_uint64 (value, time_to_property (config->max_age));
      break;
  }
  return TRUE;
}
