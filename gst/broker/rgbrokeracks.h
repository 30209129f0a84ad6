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
 * A Produce response being made (rgbrokeracks.c): its partition answers,
 * and the partitions whose records must become durable before it is sent
 * (durable ingest topics, rgbrokeringest.h). The Produce handler
 * (rgbrokerdispatch.c) fills it, parks the request with it when a
 * partition waits, and settles it again each time the loop is woken (a
 * group commit finished) until every partition is durable, failed, or the
 * request's timeout passed. Not installed.
 *
 * Thread-safety: the loop thread only.
 *
 * Ownership: the acks hold a reference on each topic they wait for.
 */

#ifndef __RG_BROKER_ACKS_H__
#define __RG_BROKER_ACKS_H__

#include "broker/rgbrokertopic.h"
#include "kafka/rgkafka.h"

G_BEGIN_DECLS

typedef struct _RgBrokerAcks RgBrokerAcks;

/* Room for the answers of @n_topics topics and @n_partitions partitions,
 * zeroed. */
RgBrokerAcks *rg_broker_acks_new (guint n_topics, guint n_partitions);
void rg_broker_acks_free (RgBrokerAcks * acks);

/* (transfer none): the answers, filled by the handler. */
RgKafkaProduceTopicResponse *rg_broker_acks_get_topics (RgBrokerAcks * acks);
RgKafkaProducePartitionResponse *rg_broker_acks_get_partitions (RgBrokerAcks
    * acks);

/* The throttle time (ms) the answer carries (a produce quota, see
 * rgbrokerquota.h); 0 until set. */
void rg_broker_acks_set_throttle (RgBrokerAcks * acks, guint32 throttle_ms);
guint32 rg_broker_acks_get_throttle (RgBrokerAcks * acks);

/* Partition @index's answer waits until @topic's records below
 * @ack_offset are durable (rg_broker_topic_ack_state()); 0 waits for
 * nothing. */
void rg_broker_acks_wait (RgBrokerAcks * acks, guint index,
    RgBrokerTopic * topic, guint64 ack_offset);

/* Settles what it can: a durable partition keeps its answer, a failed
 * journal's gets KAFKA_STORAGE_ERROR (56), and with @expired a partition
 * still waiting gets REQUEST_TIMED_OUT (7), as a Kafka broker answers
 * acks it could not gather within the request's timeout (the records
 * stay in the journal; the producer's retry appends them again unless it
 * is idempotent). Returns TRUE when no partition waits any more. */
gboolean rg_broker_acks_settle (RgBrokerAcks * acks, gboolean expired);

G_END_DECLS

#endif /* __RG_BROKER_ACKS_H__ */
