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

/* A thin consumer over librdkafka: assign-based on partition 0 (no group,
 * no commits: the embedded broker has no group coordinator and rgsrc keeps
 * its own position), records turned into GstBuffers that wrap librdkafka's
 * payload memory. librdkafka reconnects on its own with exponential
 * backoff and resumes fetching at its fetch position; this module only
 * guarantees the caller never sees a record twice and learns about gaps.
 *
 * A consumer that does not follow ends at the high watermark it found
 * when it started (see end in the struct; or at an earlier partition EOF),
 * so that an export of a live topic finishes.
 *
 * A consumer that does not follow gives up when it waited a bounded time
 * (rg_kafka_consumer_set_stall_timeout()) for a record or the end of the
 * partition: without that, a reader of a topic whose broker went away
 * would wait for it forever. A follower waits as long as it takes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "client/rgkafkaconsumer.h"
#include "record/rgbatch.h"
#include "record/rgmeta.h"

#include <librdkafka/rdkafka.h>
#include <string.h>

struct _RgKafkaConsumer
{
  gint refcount;
  rd_kafka_t *rk;
  gchar *servers;
  gchar *topic;
  /* Without follow: how long next() may wait for a record or the end
   * (ms, 0 = forever), since when it has been waiting (monotonic us, 0 =
   * not waiting) and librdkafka's latest transient error while it waited,
   * the reason given when it gives up. */
  gint stall_timeout_ms;
  gint64 waiting_since;
  gchar *stall_reason;
  /* The offset the caller gets next; lower ones are duplicates. */
  gint64 next;
  /* Where a consumer that does not follow ends: the high watermark when
   * it started. Waiting for librdkafka's partition EOF instead never ends
   * on a live topic, as the broker answers every long-poll fetch with the
   * records that arrived meanwhile. It is settled once, when the answer
   * to the first fetch arrives, to the higher of the watermark queried by
   * start() and the one that answer carried: a journal-backed broker
   * counts a record in its watermark only after the writer's group commit
   * (a few ms after the sink accepted it), and a record accepted before
   * the start belongs to the read. */
  gint64 end;
  gboolean end_settled;
  gboolean pending_discont;
  /* The caps in force at the start position (from the last gst.caps at
   * or before it), for a start on a record that carries none. */
  GstCaps *start_caps;
};

G_DEFINE_QUARK (rg-kafka-consumer-error-quark, rg_kafka_consumer_error);

static RgKafkaConsumer *
consumer_ref (RgKafkaConsumer * c)
{
  g_atomic_int_inc (&c->refcount);
  return c;
}

/* The last reference may be dropped by a buffer's destroy notify, after
 * rg_kafka_consumer_close(): librdkafka's handle must outlive every
 * message it handed out. */
static void
consumer_unref (RgKafkaConsumer * c)
{
  if (!g_atomic_int_dec_and_test (&c->refcount))
    return;
  rd_kafka_destroy (c->rk);
  g_clear_pointer (&c->start_caps, gst_caps_unref);
  g_free (c->stall_reason);
  g_free (c->servers);
  g_free (c->topic);
  g_free (c);
}

static void
log_cb (const rd_kafka_t * rk, int level, const char *fac, const char *buf)
{
  g_debug ("librdkafka %s: %s", fac, buf);
}

/* librdkafka's errors that are not about a message (a broker connection
 * that failed, all brokers down). It calls this from
 * rd_kafka_consumer_poll(), in the consumer's thread: the latest reason is
 * what a consumer that gives up reports. */
static void
error_cb (rd_kafka_t * rk, int err, const char *reason, void *opaque)
{
  RgKafkaConsumer *c = opaque;

  g_debug ("librdkafka error %s: %s", rd_kafka_err2name (err), reason);
  g_free (c->stall_reason);
  c->stall_reason = g_strdup (reason);
}

static gboolean
conf_set (rd_kafka_conf_t * conf, const gchar * name, const gchar * value,
    GError ** error)
{
  gchar reason[256];

  if (rd_kafka_conf_set (conf, name, value, reason, sizeof (reason)) ==
      RD_KAFKA_CONF_OK)
    return TRUE;
  g_set_error (error, RG_KAFKA_CONSUMER_ERROR, RG_KAFKA_CONSUMER_ERROR_FAILED,
      "librdkafka refused %s=%s: %s", name, value, reason);
  return FALSE;
}

RgKafkaConsumer *
rg_kafka_consumer_new (const gchar * bootstrap_servers, const gchar * topic,
    GError ** error)
{
  /* No group and no commits; partition EOF reported so that a consumer
   * that does not follow can end; offset resets surface as errors so that
   * a jump is decided here (DISCONT), never silently; short reconnect
   * backoff so that a restarted broker is found again quickly. */
  static const gchar *const settings[][2] = {
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "true"},
    {"auto.offset.reset", "error"},
    {"fetch.wait.max.ms", "100"},
    {"fetch.error.backoff.ms", "100"},
    {"reconnect.backoff.ms", "100"},
    {"reconnect.backoff.max.ms", "2000"},
    {"client.id", "gst-rg-rgsrc"},
    /* librdkafka's assign() wants a group name even when the group is never
     * joined nor committed to; nothing is sent to a coordinator. */
    {"group.id", "gst-rg-rgsrc"},
  };
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  RgKafkaConsumer *c;
  gchar reason[512];
  guint i;

  g_return_val_if_fail (bootstrap_servers != NULL, NULL);
  g_return_val_if_fail (topic != NULL, NULL);

  if (!conf_set (conf, "bootstrap.servers", bootstrap_servers, error))
    goto failed;
  for (i = 0; i < G_N_ELEMENTS (settings); i++)
    if (!conf_set (conf, settings[i][0], settings[i][1], error))
      goto failed;
  rd_kafka_conf_set_log_cb (conf, log_cb);
  c = g_new0 (RgKafkaConsumer, 1);
  rd_kafka_conf_set_error_cb (conf, error_cb);
  rd_kafka_conf_set_opaque (conf, c);
  c->rk = rd_kafka_new (RD_KAFKA_CONSUMER, conf, reason, sizeof (reason));
  if (!c->rk) {
    g_set_error (error, RG_KAFKA_CONSUMER_ERROR,
        RG_KAFKA_CONSUMER_ERROR_FAILED, "librdkafka: %s", reason);
    g_free (c);
    goto failed;
  }
  rd_kafka_poll_set_consumer (c->rk);
  c->refcount = 1;
  c->servers = g_strdup (bootstrap_servers);
  c->topic = g_strdup (topic);
  c->stall_timeout_ms = RG_KAFKA_CONSUMER_DEFAULT_STALL_TIMEOUT_MS;
  return c;

failed:
  rd_kafka_conf_destroy (conf);
  return NULL;
}

void
rg_kafka_consumer_set_stall_timeout (RgKafkaConsumer * consumer,
    gint timeout_ms)
{
  g_return_if_fail (consumer != NULL);
  g_return_if_fail (timeout_ms >= 0);
  consumer->stall_timeout_ms = timeout_ms;
}

void
rg_kafka_consumer_close (RgKafkaConsumer * consumer)
{
  g_return_if_fail (consumer != NULL);
  rd_kafka_assign (consumer->rk, NULL);
  consumer_unref (consumer);
}

static gboolean
set_rd_error (GError ** error, rd_kafka_resp_err_t err, const gchar * what)
{
  gint code = err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
      err == RD_KAFKA_RESP_ERR__TRANSPORT ||
      err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ?
      RG_KAFKA_CONSUMER_ERROR_UNREACHABLE : RG_KAFKA_CONSUMER_ERROR_FAILED;

  g_set_error (error, RG_KAFKA_CONSUMER_ERROR, code, "%s: %s", what,
      rd_kafka_err2str (err));
  return FALSE;
}

static gboolean
query_range (RgKafkaConsumer * c, gint timeout_ms, gint64 * low,
    gint64 * high, GError ** error)
{
  rd_kafka_resp_err_t err;

  err = rd_kafka_query_watermark_offsets (c->rk, c->topic, 0, low, high,
      timeout_ms);
  if (err)
    return set_rd_error (error, err, "cannot query the topic's offsets");
  return TRUE;
}

static gboolean
assign_at (RgKafkaConsumer * c, gint64 offset, GError ** error)
{
  rd_kafka_topic_partition_list_t *list;
  rd_kafka_resp_err_t err;

  list = rd_kafka_topic_partition_list_new (1);
  rd_kafka_topic_partition_list_add (list, c->topic, 0)->offset = offset;
  err = rd_kafka_assign (c->rk, list);
  rd_kafka_topic_partition_list_destroy (list);
  if (err)
    return set_rd_error (error, err, "cannot assign partition 0");
  c->next = offset;
  return TRUE;
}

static gboolean
offset_for_time (RgKafkaConsumer * c, gint64 ms, gint timeout_ms,
    gint64 * offset, GError ** error)
{
  rd_kafka_topic_partition_list_t *list;
  rd_kafka_resp_err_t err;

  list = rd_kafka_topic_partition_list_new (1);
  rd_kafka_topic_partition_list_add (list, c->topic, 0)->offset = ms;
  err = rd_kafka_offsets_for_times (c->rk, list, timeout_ms);
  if (!err)
    err = list->elems[0].err;
  *offset = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy (list);
  if (err)
    return set_rd_error (error, err, "cannot look the start time up");
  return TRUE;
}

/* ---- Envelope over librdkafka headers ---- */

static gboolean
read_envelope_header (const gchar * name, const guint8 * value, gsize size,
    RgEnvelopeFields * f, GError ** error)
{
  GstClockTime *t = NULL;

  if (!strcmp (name, RG_ENVELOPE_HEADER_PTS))
    t = &f->pts;
  else if (!strcmp (name, RG_ENVELOPE_HEADER_DTS))
    t = &f->dts;
  else if (!strcmp (name, RG_ENVELOPE_HEADER_DURATION))
    t = &f->duration;
  if (t) {
    if (!value || size != 8)
      goto bad;
    *t = GST_READ_UINT64_BE (value);
  } else if (!strcmp (name, RG_ENVELOPE_HEADER_FLAGS)) {
    if (!value || size != 4)
      goto bad;
    f->flags = GST_READ_UINT32_BE (value) & RG_ENVELOPE_FLAGS_MASK;
    f->has_flags = TRUE;
  } else if (!strcmp (name, RG_ENVELOPE_HEADER_CAPS)) {
    if (!value || memchr (value, 0, size) ||
        !g_utf8_validate ((const gchar *) value, size, NULL))
      goto bad;
    f->caps = (const gchar *) value;
    f->caps_len = size;
  }
  return TRUE;

bad:
  g_set_error (error, RG_KAFKA_CONSUMER_ERROR,
      RG_KAFKA_CONSUMER_ERROR_ENVELOPE, "malformed %s header (%"
      G_GSIZE_FORMAT " bytes)", name, value ? size : 0);
  return FALSE;
}

/* Decodes the gst.* headers into @f and copies the others into @meta (if
 * given). */
static gboolean
parse_headers (const rd_kafka_message_t * msg, RgEnvelopeFields * f,
    GstRgMeta * meta, GError ** error)
{
  rd_kafka_headers_t *hdrs = NULL;
  const gchar *name;
  const void *value;
  gsize size, i;
  GBytes *bytes;

  memset (f, 0, sizeof (*f));
  f->pts = f->dts = f->duration = GST_CLOCK_TIME_NONE;
  if (rd_kafka_message_headers (msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return TRUE;
  for (i = 0; rd_kafka_header_get_all (hdrs, i, &name, &value, &size) ==
      RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
    if (g_str_has_prefix (name, "gst.")) {
      if (!read_envelope_header (name, value, size, f, error)) {
        g_prefix_error (error, "record at offset %" G_GINT64_FORMAT ": ",
            (gint64) msg->offset);
        return FALSE;
      }
    } else if (meta) {
      bytes = value ? g_bytes_new (value, size) : NULL;
      gst_rg_meta_add_header (meta, name, bytes);
      if (bytes)
        g_bytes_unref (bytes);
    }
  }
  return TRUE;
}

/* Whether @msg is a keyframe; its caps, if it has any, replace *@caps. */
static gboolean
message_is_keyframe (const rd_kafka_message_t * msg, GstCaps ** caps)
{
  RgEnvelopeFields f;
  gchar *s;

  if (!parse_headers (msg, &f, NULL, NULL))
    return FALSE;
  if (f.caps) {
    s = g_strndup (f.caps, f.caps_len);
    gst_clear_caps (caps);
    *caps = gst_caps_from_string (s);
    g_free (s);
  }
  /* A record without gst.flags comes from a foreign producer: every one
   * of its records is a place to start. */
  return !f.has_flags || !(f.flags & GST_BUFFER_FLAG_DELTA_UNIT);
}

/* ---- Records ---- */

typedef struct
{
  rd_kafka_message_t *msg;
  RgKafkaConsumer *consumer;
} Payload;

/* Marks a GstMemory that wraps a message's payload, with the message. */
static G_DEFINE_QUARK (rg-kafka-message, message);

gconstpointer
rg_kafka_memory_get_message (GstMemory * memory)
{
  g_return_val_if_fail (memory != NULL, NULL);
  return gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (memory),
      message_quark ());
}

static void
payload_free (gpointer data)
{
  Payload *p = data;

  rd_kafka_message_destroy (p->msg);
  consumer_unref (p->consumer);
  g_free (p);
}

/* Takes @msg. */
static gboolean
record_from_message (RgKafkaConsumer * c, rd_kafka_message_t * msg,
    RgKafkaRecord * rec, GError ** error)
{
  RgEnvelopeFields f;
  GstRgMeta *meta;
  GBytes *key = NULL;
  GstMemory *mem;
  Payload *p;
  rd_kafka_timestamp_type_t tstype;

  memset (rec, 0, sizeof (*rec));
  rec->offset = msg->offset;
  rec->timestamp = rd_kafka_message_timestamp (msg, &tstype);
  if (msg->key)
    key = g_bytes_new (msg->key, msg->key_len);
  if (msg->len > 0) {
    p = g_new (Payload, 1);
    p->msg = msg;
    p->consumer = consumer_ref (c);
    mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, msg->payload,
        msg->len, 0, msg->len, p, payload_free);
    gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (mem), message_quark (),
        msg, NULL);
    rec->buffer = gst_buffer_new ();
    gst_buffer_append_memory (rec->buffer, mem);
  } else {
    rec->buffer = gst_buffer_new ();
  }
  meta = gst_buffer_add_rg_meta (rec->buffer, msg->offset, rec->timestamp,
      key);
  if (key)
    g_bytes_unref (key);
  if (!parse_headers (msg, &f, meta, error))
    goto failed;
  rg_envelope_fields_apply (&f, rec->buffer);
  if (f.caps) {
    gchar *s = g_strndup (f.caps, f.caps_len);

    rec->caps = gst_caps_from_string (s);
    g_free (s);
    if (!rec->caps) {
      g_set_error (error, RG_KAFKA_CONSUMER_ERROR,
          RG_KAFKA_CONSUMER_ERROR_ENVELOPE,
          "record at offset %" G_GINT64_FORMAT ": unparsable gst.caps",
          rec->offset);
      goto failed;
    }
  }
  if (msg->len == 0)
    rd_kafka_message_destroy (msg);
  return TRUE;

failed:
  if (msg->len == 0)
    rd_kafka_message_destroy (msg);
  rg_kafka_record_clear (rec);
  return FALSE;
}

void
rg_kafka_record_clear (RgKafkaRecord * record)
{
  g_clear_pointer (&record->buffer, gst_buffer_unref);
  g_clear_pointer (&record->caps, gst_caps_unref);
}

/* ---- Errors while consuming ---- */

typedef enum
{
  STEP_CONTINUE,
  STEP_END,
  STEP_ERROR,
} Step;

static gboolean
is_transient (rd_kafka_resp_err_t err)
{
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return TRUE;
    default:
      return FALSE;
  }
}

/* The fetch offset left the log. Below its start, the records were
 * deleted: go on at the oldest one, DISCONT. Past its end, the broker lost
 * records we already delivered: that cannot be repaired here. */
static Step
handle_out_of_range (RgKafkaConsumer * c, GError ** error)
{
  gint64 low, high;

  if (!query_range (c, 5000, &low, &high, error))
    return STEP_ERROR;
  if (c->next < low) {
    if (!assign_at (c, low, error))
      return STEP_ERROR;
    c->pending_discont = TRUE;
    return STEP_CONTINUE;
  }
  if (c->next > high) {
    g_set_error (error, RG_KAFKA_CONSUMER_ERROR, RG_KAFKA_CONSUMER_ERROR_LOST,
        "the topic %s now ends at offset %" G_GINT64_FORMAT
        ", before offset %" G_GINT64_FORMAT " already read: the broker lost "
        "records", c->topic, high, c->next);
    return STEP_ERROR;
  }
  return assign_at (c, c->next, error) ? STEP_CONTINUE : STEP_ERROR;
}

static Step
handle_error (RgKafkaConsumer * c, rd_kafka_message_t * msg, gboolean follow,
    GError ** error)
{
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
    return follow ? STEP_CONTINUE : STEP_END;
  if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
      msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
    return handle_out_of_range (c, error);
  if (is_transient (msg->err)) {
    g_debug ("topic %s: %s; librdkafka retries", c->topic,
        rd_kafka_message_errstr (msg));
    g_free (c->stall_reason);
    c->stall_reason = g_strdup (rd_kafka_message_errstr (msg));
    return STEP_CONTINUE;
  }
  g_set_error (error, RG_KAFKA_CONSUMER_ERROR, RG_KAFKA_CONSUMER_ERROR_FAILED,
      "topic %s: %s (%s)", c->topic, rd_kafka_message_errstr (msg),
      rd_kafka_err2name (msg->err));
  return STEP_ERROR;
}

static gint
remaining_ms (gint64 deadline)
{
  gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

  return (gint) CLAMP (left, 0, G_MAXINT);
}

/* Without follow, whether next() waited stall_timeout_ms in all (over as
 * many calls as it took) for a record or the end: then it gives up with
 * librdkafka's latest reason, since the broker may never come back. */
static gboolean
stalled (RgKafkaConsumer * c, gboolean follow, GError ** error)
{
  gint64 waited_ms;

  if (follow || c->stall_timeout_ms == 0)
    return FALSE;
  waited_ms = (g_get_monotonic_time () - c->waiting_since) / 1000;
  if (waited_ms < c->stall_timeout_ms)
    return FALSE;
  g_set_error (error, RG_KAFKA_CONSUMER_ERROR,
      RG_KAFKA_CONSUMER_ERROR_UNREACHABLE,
      "no record nor the end of topic %s from %s for %d ms: %s", c->topic,
      c->servers, c->stall_timeout_ms,
      c->stall_reason ? c->stall_reason : "no answer from the broker");
  return TRUE;
}

/* next() got a record or the end: the wait is over. */
static void
done_waiting (RgKafkaConsumer * c)
{
  c->waiting_since = 0;
  g_clear_pointer (&c->stall_reason, g_free);
}

/* Fixes the end once, at the first answer polled after the start, from
 * the watermark librdkafka cached from the fetch answers so far. */
static void
settle_end (RgKafkaConsumer * c)
{
  gint64 low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;

  if (c->end_settled)
    return;
  if (rd_kafka_get_watermark_offsets (c->rk, c->topic, 0, &low, &high) ==
      RD_KAFKA_RESP_ERR_NO_ERROR && high != RD_KAFKA_OFFSET_INVALID)
    c->end = MAX (c->end, high);
  c->end_settled = TRUE;
}

RgKafkaReadResult
rg_kafka_consumer_next (RgKafkaConsumer * c, gboolean follow,
    gint timeout_ms, RgKafkaRecord * record, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  rd_kafka_message_t *msg;
  gboolean discont;
  Step step;

  g_return_val_if_fail (c != NULL, RG_KAFKA_READ_ERROR);

  if (!follow && c->end_settled && c->next >= c->end) {
    done_waiting (c);
    return RG_KAFKA_READ_END;
  }
  if (c->waiting_since == 0)
    c->waiting_since = g_get_monotonic_time ();
  for (;;) {
    msg = rd_kafka_consumer_poll (c->rk, remaining_ms (deadline));
    if (!msg)
      return stalled (c, follow, error) ? RG_KAFKA_READ_ERROR :
          RG_KAFKA_READ_TIMEOUT;
    settle_end (c);
    if (msg->err) {
      /* An EOF for an offset below ours is stale (from before a
       * reassignment) and must not end the stream early. */
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && msg->offset < c->next)
        step = STEP_CONTINUE;
      else
        step = handle_error (c, msg, follow, error);
      rd_kafka_message_destroy (msg);
      if (step == STEP_END) {
        done_waiting (c);
        return RG_KAFKA_READ_END;
      }
      if (step == STEP_ERROR)
        return RG_KAFKA_READ_ERROR;
      if (stalled (c, follow, error))
        return RG_KAFKA_READ_ERROR;
      if (remaining_ms (deadline) == 0)
        return RG_KAFKA_READ_TIMEOUT;
      continue;
    }
    if (msg->offset < c->next) {
      /* Fetched again after a reconnect: already delivered. */
      rd_kafka_message_destroy (msg);
      continue;
    }
    if (!follow && msg->offset >= c->end) {
      /* Appended after the start (the offsets below the end that never
       * came were control records or compacted away). */
      rd_kafka_message_destroy (msg);
      done_waiting (c);
      return RG_KAFKA_READ_END;
    }
    discont = c->pending_discont || msg->offset > c->next;
    c->next = msg->offset + 1;
    c->pending_discont = FALSE;
    done_waiting (c);
    if (!record_from_message (c, msg, record, error))
      return RG_KAFKA_READ_ERROR;
    record->discont = discont;
    return RG_KAFKA_READ_RECORD;
  }
}

/* ---- Start position ---- */

/* Reads [from, target] and returns the last keyframe offset in it, or -1,
 * and the last caps in it (or NULL). Leaves the consumer assigned
 * somewhere: the caller reassigns. */
static gboolean
last_keyframe_in (RgKafkaConsumer * c, gint64 from, gint64 target,
    gint64 deadline, gint64 * keyframe, GstCaps ** caps, GError ** error)
{
  rd_kafka_message_t *msg;
  gint64 offset = -1;

  *keyframe = -1;
  if (!assign_at (c, from, error))
    return FALSE;
  while (offset < target) {
    msg = rd_kafka_consumer_poll (c->rk, remaining_ms (deadline));
    if (!msg)
      goto timeout;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rd_kafka_message_destroy (msg);
      break;
    }
    if (msg->err) {
      if (handle_error (c, msg, TRUE, error) == STEP_ERROR) {
        rd_kafka_message_destroy (msg);
        return FALSE;
      }
    } else if (msg->offset >= from && msg->offset <= target) {
      offset = msg->offset;
      if (message_is_keyframe (msg, caps))
        *keyframe = offset;
    } else if (msg->offset > target) {
      offset = msg->offset;
    }
    rd_kafka_message_destroy (msg);
  }
  return TRUE;

timeout:
  g_set_error (error, RG_KAFKA_CONSUMER_ERROR,
      RG_KAFKA_CONSUMER_ERROR_UNREACHABLE,
      "timed out looking for the keyframe before offset %" G_GINT64_FORMAT,
      target);
  return FALSE;
}

/* Finds the caps in force at @target and, with @snap, moves @target back
 * to the keyframe at or before it, reading windows of growing size
 * backwards from it (Kafka has no index by flags). The producers of the
 * envelope repeat the caps on every keyframe, so both are usually found in
 * the first window. */
static gboolean
look_back (RgKafkaConsumer * c, gint64 low, gint64 * target, gboolean snap,
    gint timeout_ms, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gint64 window = 64, from, keyframe;
  GstCaps *caps = NULL;

  for (;;) {
    from = MAX (low, *target - window + 1);
    if (!last_keyframe_in (c, from, *target, deadline, &keyframe, &caps,
            error)) {
      gst_clear_caps (&caps);
      return FALSE;
    }
    if (snap && keyframe >= 0)
      *target = keyframe;
    if ((!snap || keyframe >= 0) && caps)
      break;
    /* A keyframe without caps is a foreign producer's record (the
     * envelope's producers repeat the caps on every keyframe): there are
     * no caps to find further back, and a topic of millions of such
     * records must not be read backwards to its start. */
    if (keyframe >= 0 || from == low)
      break;
    gst_clear_caps (&caps);
    window *= 4;
  }
  c->start_caps = caps;
  return TRUE;
}

/* Finds only the caps in force at @last, leaving the start position
 * alone. */
static gboolean
look_back_caps (RgKafkaConsumer * c, gint64 low, gint64 last,
    gint timeout_ms, GError ** error)
{
  return look_back (c, low, &last, FALSE, timeout_ms, error);
}

GstCaps *
rg_kafka_consumer_get_start_caps (RgKafkaConsumer * consumer)
{
  g_return_val_if_fail (consumer != NULL, NULL);
  return consumer->start_caps ? gst_caps_ref (consumer->start_caps) : NULL;
}

gboolean
rg_kafka_consumer_start (RgKafkaConsumer * c, RgKafkaStart start,
    gint64 value, gboolean snap_to_keyframe, gint timeout_ms, GError ** error)
{
  gint64 low, high, target;

  g_return_val_if_fail (c != NULL, FALSE);

  if (!query_range (c, timeout_ms, &low, &high, error))
    return FALSE;
  switch (start) {
    case RG_KAFKA_START_EARLIEST:
      target = low;
      break;
    case RG_KAFKA_START_LATEST:
      target = snap_to_keyframe && high > low ? high - 1 : high;
      break;
    case RG_KAFKA_START_OFFSET:
      target = CLAMP (value, low, high);
      break;
    case RG_KAFKA_START_TIME:
    default:
      if (!offset_for_time (c, value, timeout_ms, &target, error))
        return FALSE;
      if (target < 0)
        target = high;
      break;
  }
  gst_clear_caps (&c->start_caps);
  if (target < high && !look_back (c, low, &target, snap_to_keyframe,
          timeout_ms, error))
    return FALSE;
  /* At the end, the next record (produced later) may carry no caps either:
   * those in force are the last ones before it. Without them the source
   * would start its segment before the caps that come with the next
   * keyframe. */
  if (target == high && high > low && !look_back_caps (c, low, high - 1,
          timeout_ms, error))
    return FALSE;
  c->pending_discont = FALSE;
  c->end = high;
  c->end_settled = FALSE;
  return assign_at (c, target, error);
}
