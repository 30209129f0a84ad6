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

/* Fuzz target for the Kafka request parsers: rgkafka.c's, and every api's
 * own codec under gst/kafka/ (kafka-fuzz-apis.h).
 *
 * The input is one request frame, as the broker hands it to the parser
 * (the bytes after the int32 size prefix). A frame that parses is walked
 * completely (every string and record byte is read, so AddressSanitizer
 * sees any view that leaves the frame) and its topics are echoed back
 * through the response builders, the way the broker answers an unknown
 * topic. Built with libFuzzer by -Dfuzz=true (see docs/protocol.md), and
 * with an ordinary main() by kafka-request-replay.c for the test suite. */

#include <stdint.h>
#include <string.h>

#include "kafka/rgkafka.h"
#include "kafka/rgkafkaacls.h"
#include "kafka/rgkafkaadmin.h"
#include "kafka/rgkafkaconfigs.h"
#include "kafka/rgkafkadelete.h"
#include "kafka/rgkafkagroup.h"
#include "kafka/rgkafkasasl.h"
#include "kafka/rgkafkatxn.h"
#include "kafka-fuzz-apis.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* Reads every byte of a view; the sum is returned so the compiler cannot
 * drop the reads. */
static guint
touch (const void *data, gint32 len)
{
  const guint8 *p = data;
  guint sum = 0;
  gint32 i;

  for (i = 0; i < len; i++)
    sum += p[i];
  return sum;
}

static void
echo_metadata (const RgKafkaRequest * req)
{
  const RgKafkaMetadataRequest *m = &req->body.metadata;
  RgKafkaMetadataTopic *topics = g_new0 (RgKafkaMetadataTopic, m->n_topics);
  const RgKafkaMetadataBroker broker = { 1, {"127.0.0.1", 9}, 9092,
    RG_KAFKA_STR_NULL
  };
  RgKafkaMetadataResponse md = { 0, 1, &broker, RG_KAFKA_STR_NULL, 1,
    m->n_topics, topics
  };
  guint i;

  for (i = 0; i < m->n_topics; i++) {
    topics[i].error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    topics[i].topic = m->topics[i];
  }
  rg_kafka_response_free (rg_kafka_build_metadata_response
      (req->header.correlation_id, req->header.api_version, &md, NULL));
  g_free (topics);
}

static void
echo_fetch (const RgKafkaRequest * req)
{
  const RgKafkaFetchRequest *f = &req->body.fetch;
  RgKafkaFetchTopicResponse *topics =
      g_new0 (RgKafkaFetchTopicResponse, f->n_topics);
  const RgKafkaFetchPartitionResponse part = { 0,
    RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1, NULL, 0, NULL
  };
  guint i;

  for (i = 0; i < f->n_topics; i++) {
    topics[i].topic = f->topics[i].topic;
    topics[i].n_partitions = 1;
    topics[i].partitions = &part;
  }
  rg_kafka_response_free (rg_kafka_build_fetch_response
      (req->header.correlation_id, 4, 0, f->n_topics, topics, NULL));
  g_free (topics);
}

static guint
walk (const RgKafkaRequest * req)
{
  guint sum = touch (req->header.client_id.data, req->header.client_id.len);
  guint i, j;

  switch (req->header.api_key) {
    case RG_KAFKA_API_API_VERSIONS:
      rg_kafka_response_free (rg_kafka_build_api_versions_response
          (req->header.correlation_id, req->header.api_version, 0));
      break;
    case RG_KAFKA_API_METADATA:
      for (i = 0; i < req->body.metadata.n_topics; i++)
        sum += touch (req->body.metadata.topics[i].data,
            req->body.metadata.topics[i].len);
      echo_metadata (req);
      break;
    case RG_KAFKA_API_PRODUCE:
      for (i = 0; i < req->body.produce.n_topics; i++)
        for (j = 0; j < req->body.produce.topics[i].n_partitions; j++)
          sum += touch (req->body.produce.topics[i].partitions[j].records,
              req->body.produce.topics[i].partitions[j].records_len);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      for (i = 0; i < req->body.list_offsets.n_topics; i++)
        sum += touch (req->body.list_offsets.topics[i].topic.data,
            req->body.list_offsets.topics[i].topic.len);
      break;
    case RG_KAFKA_API_FETCH:
      echo_fetch (req);
      break;
    default:
      g_error ("parsed unsupported api key %d", req->header.api_key);
  }
  return sum;
}

#define GROUP(name, max, func) \
  {RG_KAFKA_API_ ## name, max, RG_KAFKA_ ## name ## _FIRST_FLEXIBLE, \
   rg_kafka_group_parse_ ## func, rg_kafka_group_request_free}

static const RgKafkaFuzzApi fuzz_apis[] = {
  GROUP (OFFSET_COMMIT, 8, commit),
  GROUP (OFFSET_FETCH, 7, fetch),
  GROUP (FIND_COORDINATOR, 3, find_coordinator),
  GROUP (JOIN_GROUP, 7, join),
  GROUP (HEARTBEAT, 4, heartbeat),
  GROUP (LEAVE_GROUP, 4, leave),
  GROUP (SYNC_GROUP, 5, sync),
  GROUP (DESCRIBE_GROUPS, 5, describe),
  GROUP (LIST_GROUPS, 4, list),
  {RG_KAFKA_API_SASL_HANDSHAKE, 1, -1, rg_kafka_sasl_parse_handshake,
      g_free},
  {RG_KAFKA_ADMIN_API_CREATE_TOPICS, RG_KAFKA_CREATE_TOPICS_MAX_VERSION,
        RG_KAFKA_CREATE_TOPICS_FIRST_FLEXIBLE, rg_kafka_parse_create_topics,
      rg_kafka_create_topics_request_free},
  {RG_KAFKA_ADMIN_API_DELETE_TOPICS, RG_KAFKA_DELETE_TOPICS_MAX_VERSION,
        RG_KAFKA_DELETE_TOPICS_FIRST_FLEXIBLE, rg_kafka_parse_delete_topics,
      rg_kafka_delete_topics_request_free},
  {RG_KAFKA_DELETE_API_DELETE_RECORDS, RG_KAFKA_DELETE_RECORDS_MAX_VERSION,
        RG_KAFKA_DELETE_RECORDS_FIRST_FLEXIBLE, rg_kafka_parse_delete_records,
      rg_kafka_delete_records_request_free},
  {RG_KAFKA_ADMIN_API_INIT_PRODUCER_ID, RG_KAFKA_INIT_PRODUCER_ID_MAX_VERSION,
        RG_KAFKA_INIT_PRODUCER_ID_FIRST_FLEXIBLE,
      rg_kafka_parse_init_producer_id, g_free},
  {RG_KAFKA_TXN_API_ADD_PARTITIONS, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_add_partitions_to_txn,
      rg_kafka_add_partitions_to_txn_request_free},
  {RG_KAFKA_TXN_API_ADD_OFFSETS, RG_KAFKA_TXN_MAX_VERSION,
      RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_add_offsets_to_txn, g_free},
  {RG_KAFKA_TXN_API_END, RG_KAFKA_TXN_MAX_VERSION,
      RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_end_txn, g_free},
  {RG_KAFKA_TXN_API_OFFSET_COMMIT, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_txn_offset_commit,
      rg_kafka_txn_offset_commit_request_free},
  {RG_KAFKA_ACLS_API_DESCRIBE, RG_KAFKA_ACLS_MAX_VERSION,
      RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_kafka_parse_describe_acls, g_free},
  {RG_KAFKA_ACLS_API_CREATE, RG_KAFKA_ACLS_MAX_VERSION,
        RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_kafka_parse_create_acls,
      rg_kafka_acl_bindings_free},
  {RG_KAFKA_ACLS_API_DELETE, RG_KAFKA_ACLS_MAX_VERSION,
        RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_kafka_parse_delete_acls,
      rg_kafka_acl_bindings_free},
  {RG_KAFKA_CONFIGS_API_DESCRIBE, RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION,
        RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE,
        rg_kafka_parse_describe_configs,
      rg_kafka_describe_configs_request_free},
  {RG_KAFKA_CONFIGS_API_ALTER, RG_KAFKA_ALTER_CONFIGS_MAX_VERSION,
        RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE, rg_kafka_parse_alter_configs,
      rg_kafka_alter_configs_request_free},
  {RG_KAFKA_API_SASL_AUTHENTICATE, 2,
        RG_KAFKA_SASL_AUTHENTICATE_FIRST_FLEXIBLE,
      rg_kafka_sasl_parse_authenticate, g_free},
  {RG_KAFKA_ADMIN_API_CREATE_PARTITIONS,
        RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION,
        RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE,
        rg_kafka_parse_create_partitions,
      rg_kafka_create_partitions_request_free},
  {RG_KAFKA_DELETE_API_DELETE_GROUPS, RG_KAFKA_DELETE_GROUPS_MAX_VERSION,
        RG_KAFKA_DELETE_GROUPS_FIRST_FLEXIBLE, rg_kafka_parse_delete_groups,
      rg_kafka_delete_groups_request_free},
  {RG_KAFKA_CONFIGS_API_INCREMENTAL_ALTER,
        RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION,
        RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE,
        rg_kafka_parse_incremental_alter_configs,
      rg_kafka_alter_configs_request_free},
  {RG_KAFKA_DELETE_API_OFFSET_DELETE, RG_KAFKA_OFFSET_DELETE_MAX_VERSION,
        RG_KAFKA_OFFSET_DELETE_FIRST_FLEXIBLE, rg_kafka_parse_offset_delete,
      rg_kafka_offset_delete_request_free},
};

const RgKafkaFuzzApi *
rg_kafka_fuzz_apis (guint * n_apis)
{
  *n_apis = G_N_ELEMENTS (fuzz_apis);
  return fuzz_apis;
}

/* A frame of an api with a codec of its own, in the versions the broker
 * takes: parsed by that codec (the broker's path), then freed. */
static void
parse_other (const uint8_t * data, size_t size,
    const RgKafkaRequestHeader * header)
{
  RgKafkaRequest *req;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fuzz_apis); i++) {
    const RgKafkaFuzzApi *api = &fuzz_apis[i];

    if (api->api_key != header->api_key)
      continue;
    if (header->api_version < 0 || header->api_version > api->max_version)
      return;
    req = rg_kafka_request_parse_other (data, size, api->first_flexible,
        api->parse, api->free_body, NULL, NULL);
    if (req != NULL)
      rg_kafka_request_free (req);
    return;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RgKafkaRequestHeader header;
  RgKafkaRequest *req;
  gsize length;
  volatile guint sink;

  if (size >= 4)
    rg_kafka_frame_length (data, RG_KAFKA_MAX_FRAME_SIZE, &length, NULL);
  req = rg_kafka_request_parse (data, size, &header, NULL);
  if (req == NULL) {
    if (rg_kafka_request_parse_header (data, size, &header, NULL)) {
      if (header.api_key == RG_KAFKA_API_API_VERSIONS)
        rg_kafka_response_free (rg_kafka_build_api_versions_error
            (header.correlation_id));
      else
        parse_other (data, size, &header);
    }
    return 0;
  }
  sink = walk (req);
  (void) sink;
  rg_kafka_request_free (req);
  return 0;
}
