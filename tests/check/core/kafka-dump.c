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

/* Helper of kafka_compat.py, which checks gst/kafka/rgkafka.c against
 * kafka-python's independent protocol classes.
 *
 *   kafka-dump responses DIR   builds every response type and version from
 *                              the fixed content below and writes each
 *                              frame (size prefix included) to DIR/<name>.bin
 *   kafka-dump parse FILE...   parses request frames (no size prefix) and
 *                              prints one line of fields per file
 *
 * The content written here must match the expectations in kafka_compat.py.
 * The Fetch response references its record batches: one from memory and
 * one from a file, so the dump also proves that the size prefix and the
 * RECORDS length count bytes the response does not hold. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#include "record/rgbatch.h"
#include "kafka/rgkafka.h"

#define S(x) rg_kafka_str_from_cstr (x)

static void
write_frame (const gchar * dir, const gchar * name, RgKafkaResponse * resp)
{
  guint n, i;
  const RgKafkaSegment *segs = rg_kafka_response_get_segments (resp, &n);
  GByteArray *out = g_byte_array_new ();
  gchar *path = g_strdup_printf ("%s/%s.bin", dir, name);
  GError *error = NULL;

  for (i = 0; i < n; i++) {
    if (segs[i].type == RG_KAFKA_SEGMENT_FILE) {
      guint8 *tmp = g_malloc (segs[i].length);

      if (pread (segs[i].fd, tmp, segs[i].length, segs[i].offset)
          != (gssize) segs[i].length)
        g_error ("pread: %s", g_strerror (errno));
      g_byte_array_append (out, tmp, segs[i].length);
      g_free (tmp);
    } else {
      g_byte_array_append (out, segs[i].data, segs[i].length);
    }
  }
  g_assert_cmpuint (out->len, ==, rg_kafka_response_get_size (resp));
  if (!g_file_set_contents (path, (gchar *) out->data, out->len, &error))
    g_error ("%s", error->message);
  g_byte_array_unref (out);
  g_free (path);
  rg_kafka_response_free (resp);
}

static void
dump_metadata (const gchar * dir)
{
  static const gint32 replicas[] = { 1 };
  const RgKafkaMetadataBroker broker = { 1, S ("127.0.0.1"), 9092,
    RG_KAFKA_STR_NULL
  };
  const RgKafkaMetadataPartition partition = { 0, 0, 1, 1, replicas, 1,
    replicas
  };
  const RgKafkaMetadataTopic topics[] = {
    {RG_KAFKA_NONE, S ("cam"), FALSE, 1, &partition},
    {RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION, S ("missing"), FALSE, 0, NULL},
  };
  RgKafkaMetadataResponse md = { 5, 1, &broker, S ("gst-rg"), 1, 2, topics };
  gint16 v;

  for (v = 0; v <= 12; v++) {
    gchar *name = g_strdup_printf ("metadata-v%d", v);

    write_frame (dir, name, rg_kafka_build_metadata_response (200 + v, v,
            &md, NULL));
    g_free (name);
  }
}

static void
dump_produce_and_list_offsets (const gchar * dir)
{
  const RgKafkaProducePartitionResponse cam = { 0, 0, 42, -1, 10 };
  const RgKafkaProducePartitionResponse other = { 1,
    RG_KAFKA_TOPIC_AUTHORIZATION_FAILED, -1, -1, -1
  };
  const RgKafkaProduceTopicResponse produce[] = {
    {S ("cam"), 1, &cam}, {S ("other"), 1, &other},
  };
  const RgKafkaListOffsetsPartitionResponse lo = { 0, 0, -1, 42 };
  const RgKafkaListOffsetsTopicResponse list[] = { {S ("cam"), 1, &lo} };
  gint16 v;

  for (v = 0; v <= 9; v++) {
    gchar *name = g_strdup_printf ("produce-v%d", v);

    write_frame (dir, name, rg_kafka_build_produce_response (300 + v, v, 7,
            2, produce, NULL));
    g_free (name);
  }
  for (v = 0; v <= 7; v++) {
    gchar *name = g_strdup_printf ("list-offsets-v%d", v);

    write_frame (dir, name, rg_kafka_build_list_offsets_response (400 + v,
            v, 9, 1, list, NULL));
    g_free (name);
  }
}

static GByteArray *
encode_batch (gint64 base_offset, guint n)
{
  RgRecord records[2];
  gchar *values[2];
  GByteArray *batch;
  guint i;

  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    values[i] = g_strdup_printf ("value-%" G_GINT64_FORMAT, base_offset + i);
    records[i].timestamp = 1700000000000 + base_offset + i;
    records[i].value = (const guint8 *) values[i];
    records[i].value_len = strlen (values[i]);
  }
  batch = rg_batch_encode (base_offset, records, n, NULL);
  g_assert_nonnull (batch);
  for (i = 0; i < n; i++)
    g_free (values[i]);
  return batch;
}

static void
dump_fetch (const gchar * dir)
{
  GByteArray *mem_batch = encode_batch (0, 2);
  GByteArray *file_batch = encode_batch (2, 1);
  gchar *path = g_build_filename (dir, "segment.tmp", NULL);
  gint fd = open (path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  RgKafkaRecordsRef refs[2] = {
    {RG_KAFKA_SEGMENT_MEMORY, mem_batch->data, -1, 0, mem_batch->len,
        (GDestroyNotify) g_byte_array_unref, mem_batch},
    {RG_KAFKA_SEGMENT_FILE, NULL, fd, 5, file_batch->len, NULL, NULL},
  };
  const RgKafkaFetchPartitionResponse partitions[] = {
    {0, 0, 3, 3, -1, NULL, 2, refs, 1},
    {1, RG_KAFKA_OFFSET_OUT_OF_RANGE, 0, 0, 0, NULL, 0, NULL, 0},
  };
  const RgKafkaFetchTopicResponse topic = { S ("cam"), 2, partitions };
  gint16 v;

  /* Five junk bytes before the batch: the file reference must honour its
   * offset. */
  if (fd < 0 || write (fd, "JUNK!", 5) != 5
      || write (fd, file_batch->data, file_batch->len)
      != (gssize) file_batch->len)
    g_error ("cannot write %s: %s", path, g_strerror (errno));
  /* Every version carries the same batches as given (a broker converts
   * them for v0-3 before it builds: rgkafkalegacy.h); each build takes
   * over the notify of the memory reference, so each gets a reference. */
  for (v = 0; v <= 12; v++) {
    gchar *name = g_strdup_printf ("fetch-v%d", v);

    g_byte_array_ref (mem_batch);
    write_frame (dir, name, rg_kafka_build_fetch_response (500 + v, v, 11, 1,
            &topic, NULL));
    g_free (name);
  }
  close (fd);
  unlink (path);
  g_free (path);
  g_byte_array_unref (mem_batch);
  g_byte_array_unref (file_batch);
}

static void
dump_responses (const gchar * dir)
{
  gint16 v;

  for (v = 0; v <= 3; v++) {
    gchar *name = g_strdup_printf ("api-versions-v%d", v);

    write_frame (dir, name, rg_kafka_build_api_versions_response (100 + v, v,
            3));
    g_free (name);
  }
  write_frame (dir, "api-versions-error",
      rg_kafka_build_api_versions_error (199));
  dump_metadata (dir);
  dump_produce_and_list_offsets (dir);
  dump_fetch (dir);
}

static void
print_str (GString * line, const gchar * key, RgKafkaStr str)
{
  if (str.len < 0)
    g_string_append_printf (line, " %s=<null>", key);
  else
    g_string_append_printf (line, " %s=%.*s", key, str.len, str.data);
}

static void
print_produce (GString * line, const RgKafkaProduceRequest * b)
{
  guint i, j;

  print_str (line, "txn", b->transactional_id);
  g_string_append_printf (line, " acks=%d timeout=%d", b->acks, b->timeout_ms);
  for (i = 0; i < b->n_topics; i++) {
    print_str (line, "topic", b->topics[i].topic);
    for (j = 0; j < b->topics[i].n_partitions; j++) {
      const RgKafkaProducePartition *p = &b->topics[i].partitions[j];
      gchar *sha = p->records ? g_compute_checksum_for_data (G_CHECKSUM_SHA1,
          p->records, p->records_len) : g_strdup ("-");

      g_string_append_printf (line, " p=%d:%d:%s", p->partition,
          p->records_len, sha);
      g_free (sha);
    }
  }
}

static void
print_body (GString * line, const RgKafkaRequest * req)
{
  guint i, j;

  switch (req->header.api_key) {
    case RG_KAFKA_API_API_VERSIONS:
      print_str (line, "name", req->body.api_versions.client_software_name);
      print_str (line, "version",
          req->body.api_versions.client_software_version);
      break;
    case RG_KAFKA_API_METADATA:
      g_string_append_printf (line, " all=%d auto=%d",
          req->body.metadata.all_topics,
          req->body.metadata.allow_auto_topic_creation);
      for (i = 0; i < req->body.metadata.n_topics; i++)
        print_str (line, "topic", req->body.metadata.topics[i]);
      break;
    case RG_KAFKA_API_PRODUCE:
      print_produce (line, &req->body.produce);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:{
      const RgKafkaListOffsetsRequest *b = &req->body.list_offsets;

      g_string_append_printf (line, " replica=%d iso=%d", b->replica_id,
          b->isolation_level);
      for (i = 0; i < b->n_topics; i++) {
        print_str (line, "topic", b->topics[i].topic);
        for (j = 0; j < b->topics[i].n_partitions; j++) {
          const RgKafkaListOffsetsPartition *p = &b->topics[i].partitions[j];

          g_string_append_printf (line, " p=%d:%" G_GINT64_FORMAT,
              p->partition, p->timestamp);
          if (req->header.api_version == 0)
            g_string_append_printf (line, ":max=%d", p->max_num_offsets);
          if (req->header.api_version >= 4)
            g_string_append_printf (line, ":epoch=%d",
                p->current_leader_epoch);
        }
      }
      break;
    }
    case RG_KAFKA_API_FETCH:{
      const RgKafkaFetchRequest *b = &req->body.fetch;

      g_string_append_printf (line, " replica=%d wait=%d min=%d max=%d "
          "iso=%d", b->replica_id, b->max_wait_ms, b->min_bytes, b->max_bytes,
          b->isolation_level);
      if (req->header.api_version >= 7)
        g_string_append_printf (line, " session=%d:%d forgotten=%u",
            b->session_id, b->session_epoch, b->n_forgotten);
      for (i = 0; i < b->n_topics; i++) {
        print_str (line, "topic", b->topics[i].topic);
        for (j = 0; j < b->topics[i].n_partitions; j++) {
          const RgKafkaFetchPartition *p = &b->topics[i].partitions[j];

          g_string_append_printf (line, " p=%d:%" G_GINT64_FORMAT ":%d",
              p->partition, p->fetch_offset, p->partition_max_bytes);
          if (req->header.api_version >= 5)
            g_string_append_printf (line, ":lso=%" G_GINT64_FORMAT ":epoch=%d",
                p->log_start_offset, p->current_leader_epoch);
        }
      }
      if (req->header.api_version >= 11)
        print_str (line, "rack", b->rack_id);
      break;
    }
    default:
      break;
  }
}

static int
parse_files (gchar ** files)
{
  int status = 0;

  for (; *files != NULL; files++) {
    gchar *data;
    gsize len;
    GError *error = NULL;
    RgKafkaRequest *req;
    GString *line;

    if (!g_file_get_contents (*files, &data, &len, &error))
      g_error ("%s", error->message);
    req = rg_kafka_request_parse ((const guint8 *) data, len, NULL, &error);
    if (req == NULL) {
      g_print ("%s: error: %s\n", *files, error->message);
      g_clear_error (&error);
      g_free (data);
      status = 1;
      continue;
    }
    line = g_string_new (NULL);
    g_string_append_printf (line, "%s: api=%d v=%d cid=%d", *files,
        req->header.api_key, req->header.api_version,
        req->header.correlation_id);
    print_str (line, "client", req->header.client_id);
    print_body (line, req);
    g_print ("%s\n", line->str);
    g_string_free (line, TRUE);
    rg_kafka_request_free (req);
    g_free (data);
  }
  return status;
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "responses") == 0) {
    dump_responses (argv[2]);
    return 0;
  }
  if (argc >= 3 && strcmp (argv[1], "parse") == 0)
    return parse_files (argv + 2);
  g_printerr ("usage: %s responses DIR | parse FILE...\n", argv[0]);
  return 2;
}
