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
 * Produce answers that wait for durability (the interface is
 * rgbrokeracks.h). A waiting partition is a (topic, end offset) pair; the
 * journal's durable offset only rises, so a partition found durable once
 * is dropped from the list and never looked at again.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokeracks.h"

typedef struct
{
  guint index;
  RgBrokerTopic *topic;
  guint64 ack_offset;
} AckWait;

struct _RgBrokerAcks
{
  RgKafkaProduceTopicResponse *topics;
  RgKafkaProducePartitionResponse *partitions;
  /* AckWait, the partitions still waiting; NULL until one waits (a
   * memory topic's Produce never does). */
  GArray *waits;
  guint32 throttle_ms;
};

/* The answers' arrays follow the struct in the same block (one
 * allocation per Produce, not three): every member is 8-byte aligned. */
G_STATIC_ASSERT (sizeof (RgBrokerAcks) % 8 == 0);
G_STATIC_ASSERT (sizeof (RgKafkaProduceTopicResponse) % 8 == 0);

RgBrokerAcks *
rg_broker_acks_new (guint n_topics, guint n_partitions)
{
  gsize topics_size = sizeof (RgKafkaProduceTopicResponse) * MAX (n_topics,
      1);
  RgBrokerAcks *acks = g_malloc0 (sizeof (RgBrokerAcks) + topics_size +
      sizeof (RgKafkaProducePartitionResponse) * MAX (n_partitions, 1));

  acks->topics = (RgKafkaProduceTopicResponse *) (acks + 1);
  acks->partitions = (RgKafkaProducePartitionResponse *)
      ((guint8 *) acks->topics + topics_size);
  return acks;
}

void
rg_broker_acks_free (RgBrokerAcks * acks)
{
  guint i;

  if (!acks)
    return;
  for (i = 0; acks->waits && i < acks->waits->len; i++)
    rg_broker_topic_unref (g_array_index (acks->waits, AckWait, i).topic);
  if (acks->waits)
    g_array_unref (acks->waits);
  g_free (acks);
}

RgKafkaProduceTopicResponse *
rg_broker_acks_get_topics (RgBrokerAcks * acks)
{
  return acks->topics;
}

RgKafkaProducePartitionResponse *
rg_broker_acks_get_partitions (RgBrokerAcks * acks)
{
  return acks->partitions;
}

void
rg_broker_acks_set_throttle (RgBrokerAcks * acks, guint32 throttle_ms)
{
  acks->throttle_ms = throttle_ms;
}

guint32
rg_broker_acks_get_throttle (RgBrokerAcks * acks)
{
  return acks->throttle_ms;
}

void
rg_broker_acks_wait (RgBrokerAcks * acks, guint index, RgBrokerTopic * topic,
    guint64 ack_offset)
{
  AckWait w;

  /* A memory topic, or a range already synced, has nothing to wait for:
   * no reference is taken and no wait recorded on that path. */
  if (ack_offset == 0
      || rg_broker_topic_ack_state (topic, ack_offset) ==
      RG_BROKER_INGEST_DURABLE)
    return;
  w.index = index;
  w.topic = rg_broker_topic_ref (topic);
  w.ack_offset = ack_offset;
  if (!acks->waits)
    acks->waits = g_array_new (FALSE, FALSE, sizeof (AckWait));
  g_array_append_val (acks->waits, w);
}

/* A partition that will not be acknowledged as appended. */
static void
ack_fail (RgBrokerAcks * acks, guint index, gint16 error_code)
{
  RgKafkaProducePartitionResponse *rp = &acks->partitions[index];

  rp->error_code = error_code;
  rp->base_offset = -1;
}

gboolean
rg_broker_acks_settle (RgBrokerAcks * acks, gboolean expired)
{
  guint i = 0;

  if (!acks->waits)
    return TRUE;
  while (i < acks->waits->len) {
    AckWait *w = &g_array_index (acks->waits, AckWait, i);

    switch (rg_broker_topic_ack_state (w->topic, w->ack_offset)) {
      case RG_BROKER_INGEST_PENDING:
        if (!expired) {
          i++;
          continue;
        }
        ack_fail (acks, w->index, RG_KAFKA_REQUEST_TIMED_OUT);
        break;
      case RG_BROKER_INGEST_FAILED:
        ack_fail (acks, w->index, RG_KAFKA_KAFKA_STORAGE_ERROR);
        break;
      case RG_BROKER_INGEST_DURABLE:
        break;
    }
    rg_broker_topic_unref (w->topic);
    g_array_remove_index_fast (acks->waits, i);
  }
  return acks->waits->len == 0;
}
