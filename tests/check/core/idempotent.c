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

/* Idempotent producers and topic administration of the embedded broker
 * (docs/protocol.md, "Idempotent producers" and "Topic administration").
 *
 * The first tests drive the sequence state (rgbrokerproducers.h)
 * directly with batch headers: duplicates of the last five batches, gaps,
 * epochs, unknown producers, sequence wrap-around, the LRU bound and idle
 * expiry, InitProducerId bumps. The others talk to a broker over real
 * sockets with requests written byte by byte (kafkawire.h): InitProducerId,
 * Produce of hand-built batches carrying a producer id and sequence
 * (a retried batch acknowledged with its first offset and stored once, a
 * gap refused, a fenced epoch refused), CreateTopics and DeleteTopics with
 * and without ingest. */

#include <gst/check/gstcheck.h>

#include <string.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokerproducers.h"
#include "record/rgbatch.h"
#include "record/rgcrc32c.h"
#include "kafkawire.h"

/* ---- The sequence state, directly ---- */

static RgBatchInfo
batch_info (gint64 pid, gint16 epoch, gint32 seq, gint32 n_records)
{
  RgBatchInfo info;

  memset (&info, 0, sizeof (info));
  info.producer_id = pid;
  info.producer_epoch = epoch;
  info.base_sequence = seq;
  info.last_offset_delta = n_records - 1;
  info.records_count = n_records;
  return info;
}

/* Checks a batch and, when it may be appended, records it at @offset.
 * Returns the verdict and, for a duplicate, the first copy's offset. */
static gint16
offer (RgBrokerProducers * p, const gchar * topic, RgBatchInfo info,
    gint64 offset, gint64 now, gint64 * dup)
{
  gint16 code = rg_broker_producers_check (p, topic, &info, now, dup);

  if (code == RG_KAFKA_NONE)
    rg_broker_producers_record (p, topic, &info, offset, now);
  return code;
}

GST_START_TEST (test_duplicates_of_last_five)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  gint64 dup, offset = 0;
  gint32 seq = 0;
  guint i;

  /* Seven batches of 3 records: sequences 0-2, 3-5, ... at offsets 0, 3 */
  for (i = 0; i < 7; i++, seq += 3, offset += 3)
    fail_unless_equals_int (offer (p, "t", batch_info (100, 0, seq, 3),
            offset, 1, &dup), RG_KAFKA_NONE);
  /* The last five (sequences 6 .. 20) are duplicates with their offset. */
  for (i = 2; i < 7; i++) {
    fail_unless_equals_int (offer (p, "t", batch_info (100, 0, i * 3, 3),
            999, 1, &dup), RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
    fail_unless_equals_int64 (dup, i * 3);
  }
  /* Older ones are no longer known: out of order, not re-appended. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 3, 3), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* The same first sequence with another length is no duplicate. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 18, 2), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* A gap. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 22, 1), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* The next one. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 21, 1), 21, 1,
          &dup), RG_KAFKA_NONE);
  /* Sequences are per topic: the same producer starts at 0 elsewhere. */
  fail_unless_equals_int (offer (p, "u", batch_info (100, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_epochs_and_unknown_producers)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  RgBatchInfo txn;
  gint64 dup;

  /* Nothing known: sequence 0 starts, anything else is unknown. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 5, 1), 0, 1,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 0, 2), 0, 1,
          &dup), RG_KAFKA_NONE);
  /* An older epoch is fenced, whatever its sequence. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 2, 2, 1), 2, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 2, 0, 2), 2, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  /* A newer epoch must start at 0. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 2, 1), 2, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 0, 1), 2, 1,
          &dup), RG_KAFKA_NONE);
  /* Now epoch 3 is fenced too, and epoch 4's batch 0 is a duplicate. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 2, 1), 3, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 0, 1), 3, 1,
          &dup), RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
  fail_unless_equals_int64 (dup, 2);
  /* Transactional batches: no transactions here. */
  txn = batch_info (7, 4, 1, 1);
  txn.attributes = 1 << 4;
  fail_unless_equals_int (offer (p, "t", txn, 3, 1, &dup),
      RG_KAFKA_INVALID_TXN_STATE);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_sequence_wraps)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  RgBatchInfo wrapping = batch_info (1, 0, G_MAXINT32 - 1, 3);
  gint64 dup;

  /* A long-lived producer near the end of the sequence space (recorded
   * directly: getting there through the checks takes 2^31 records). Its
   * batch of 3 spans G_MAXINT32 - 1, G_MAXINT32, 0. */
  rg_broker_producers_record (p, "t", &wrapping, 40, 1);
  fail_unless_equals_int (offer (p, "t", wrapping, 99, 1, &dup),
      RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
  fail_unless_equals_int64 (dup, 40);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 0, 1), 99, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 1, 2), 43, 1,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 3, 1), 45, 1,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_lru_bound_and_expiry)
{
  RgBrokerProducers *p = rg_broker_producers_new (3, 1000, 100);
  guint n_ids, n_seq;
  gint64 dup, id;
  gint16 epoch;
  gint64 pid;

  /* Four producers on a bound of 3: the least recently used goes. */
  for (pid = 1; pid <= 3; pid++)
    fail_unless_equals_int (offer (p, "t", batch_info (pid, 0, 0, 1), pid,
            10 + pid, &dup), RG_KAFKA_NONE);
  /* Producer 1 is used again: producer 2 is now the oldest. */
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 1, 1), 4, 20,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (4, 0, 0, 1), 5, 21,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_get_counts (p, NULL, &n_seq);
  fail_unless_equals_int (n_seq, 3);
  fail_unless_equals_int (offer (p, "t", batch_info (2, 0, 1, 1), 6, 22,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 2, 1), 6, 22,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (3, 0, 1, 1), 7, 23,
          &dup), RG_KAFKA_NONE);

  /* 1000 ms idle: everything expires at the next call. */
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 3, 1), 8, 2000,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  rg_broker_producers_get_counts (p, NULL, &n_seq);
  fail_unless_equals_int (n_seq, 0);

  /* Ids too: 5 handed out on a bound of 3 keeps 3. */
  for (pid = 0; pid < 5; pid++)
    fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE,
            3000, &id, &epoch), RG_KAFKA_NONE);
  rg_broker_producers_get_counts (p, &n_ids, NULL);
  fail_unless_equals_int (n_ids, 3);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_init_producer_id)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 5000);
  gint64 id, id2, dup;
  gint16 epoch, epoch2;

  fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE, 1,
          &id, &epoch), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id, 5000);
  fail_unless_equals_int (epoch, 0);
  fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, 5001);

  fail_unless_equals_int (offer (p, "t", batch_info (id, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_NONE);
  /* v3+: the current epoch is bumped, the same id kept. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, id);
  fail_unless_equals_int (epoch2, 1);
  /* A retry of the same bump gets the same answer. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, id);
  fail_unless_equals_int (epoch2, 1);
  /* The old epoch is fenced on Produce, here and on a topic it never
   * wrote to; the new one starts at sequence 0. */
  fail_unless_equals_int (offer (p, "t", batch_info (id, 0, 1, 1), 1, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "other", batch_info (id, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (id, 1, 0, 1), 1, 1,
          &dup), RG_KAFKA_NONE);
  /* An epoch that is neither current nor the one before: fenced (v4+
   * PRODUCER_FENCED, before INVALID_PRODUCER_EPOCH). */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 7, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 7, FALSE, 1,
          &id2, &epoch2), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int64 (id2, -1);
  /* An id this broker never handed out: a new one. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, 99, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, 5002);
  fail_unless_equals_int (epoch2, 0);

  /* A deleted topic forgets its producers: sequence 1 is unknown now. */
  rg_broker_producers_forget_topic (p, "t");
  fail_unless_equals_int (offer (p, "t", batch_info (id, 1, 1, 1), 1, 1,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  rg_broker_producers_free (p);
}

GST_END_TEST;

static Suite *
idempotent_suite (void)
{
  Suite *s = suite_create ("idempotent");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_duplicates_of_last_five);
  tcase_add_test (tc, test_epochs_and_unknown_producers);
  tcase_add_test (tc, test_sequence_wraps);
  tcase_add_test (tc, test_lru_bound_and_expiry);
  tcase_add_test (tc, test_init_producer_id);
  return s;
}

GST_CHECK_MAIN (idempotent);
