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

/* Fuzz target for the Kafka request parser (gst/kafka/rgkafka.c).
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
    if (rg_kafka_request_parse_header (data, size, &header, NULL)
        && header.api_key == RG_KAFKA_API_API_VERSIONS)
      rg_kafka_response_free (rg_kafka_build_api_versions_error
          (header.correlation_id));
    return 0;
  }
  sink = walk (req);
  (void) sink;
  rg_kafka_request_free (req);
  return 0;
}
