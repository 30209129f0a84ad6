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

#ifndef __RG_BROKER_H__
#define __RG_BROKER_H__

#include <gst/gst.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "util/rgapi.h"

#include "journal/rgjournal.h"

G_BEGIN_DECLS

/**
 * SECTION:rgbroker
 * @title: RgBroker
 * @short_description: the embedded Kafka-protocol broker
 *
 * An #RgBroker listens on one address and port and serves the topics that
 * pipelines register on it to any Kafka client (kcat/librdkafka,
 * kafka-python, ...): ApiVersions 0-3, Metadata 0-4, ListOffsets 1-2,
 * Produce 3-7 (refused by pipeline-owned topics, see below; accepted into
 * ingest topics when #RgBrokerConfig.ingest_batches is set) and Fetch 4,
 * through the rgkafka codec. A pipeline's topic has one partition, 0; an
 * ingest topic has #RgBrokerConfig.ingest_partitions (or as many as the
 * client that created it asked for).
 *
 * One broker per (address, port) in a process: rg_broker_acquire() returns
 * the running broker for that pair with one more reference, or starts one.
 * Every rgbrokersink naming the same address and port shares it.
 *
 * Each broker runs one event-loop thread on epoll (and, to spread the
 * system calls that send large responses, #RgBrokerConfig.send_threads
 * helpers it hands them to once per turn). Why epoll and not a GLib
 * main context: the loop needs exact control over readiness (stop reading a
 * client while its long-poll Fetch is parked or while its output queue is
 * full, wait for writability only while a writev() or sendfile() is short,
 * one eventfd that appending threads write to wake long polls), it must
 * not depend on any GMainContext the application runs, and GLib's main
 * loop synchronises with GMutex, which ThreadSanitizer cannot see. The
 * loop and every function here synchronise only through pthread mutexes
 * and C11 atomics, so ThreadSanitizer can check them.
 *
 * A topic's records live in an in-memory ring of the last ring-size
 * records. Each record is one RecordBatch v2 built by rgbatch's encoder
 * when it is appended: the header and framing bytes are owned by the
 * record, the value is the GstBuffer's own memory (mapped and referenced
 * until the record is dropped and no response still references it), and
 * Fetch responses send it with writev() straight from that memory.
 *
 * A journal-backed topic (rg_broker_add_journal_topic()) serves the
 * batches of a journal directory instead, with sendfile() from the
 * segment files.
 *
 * Thread-safety: every function may be called from any thread, except that
 * rg_broker_topic_append() and rg_broker_topic_set_caps() of one topic must
 * not run concurrently with each other (one streaming thread appends).
 */

/**
 * RG_BROKER_ERROR:
 *
 * Error domain of the broker; codes are from #RgBrokerError.
 */
#define RG_BROKER_ERROR (rg_broker_error_quark ())
RG_API
GQuark rg_broker_error_quark (void);

/**
 * RgBrokerError:
 * @RG_BROKER_ERROR_ADDRESS: the address could not be resolved or bound
 *   (the message says which and why, e.g. "Address already in use")
 * @RG_BROKER_ERROR_SYSTEM: a system resource could not be created (epoll,
 *   eventfd, thread)
 * @RG_BROKER_ERROR_TOPIC_EXISTS: a topic of that name is already
 *   registered on this broker
 * @RG_BROKER_ERROR_INVALID: an invalid argument (empty or over-long topic
 *   name)
 * @RG_BROKER_ERROR_ENCODE: a buffer could not be encoded as a record
 * @RG_BROKER_ERROR_SECURITY: the TLS certificate, key or CA, the
 *   credentials file or the ACL file could not be loaded (the message
 *   names the file and the reason), or the security settings contradict
 *   each other
 */
typedef enum
{
  RG_BROKER_ERROR_ADDRESS,
  RG_BROKER_ERROR_SYSTEM,
  RG_BROKER_ERROR_TOPIC_EXISTS,
  RG_BROKER_ERROR_INVALID,
  RG_BROKER_ERROR_ENCODE,
  RG_BROKER_ERROR_SECURITY,
} RgBrokerError;

/**
 * RG_BROKER_PRODUCE_REFUSED_ERROR:
 *
 * The Kafka error code a Produce into a pipeline-owned topic gets: 29,
 * TOPIC_AUTHORIZATION_FAILED. It is a non-retriable error in every client,
 * so a producer fails at once with a clear "not authorized" message
 * instead of retrying until its timeout.
 */
#define RG_BROKER_PRODUCE_REFUSED_ERROR 29

/**
 * RgBrokerConfig:
 * @max_connections: connections served at once; a connection beyond it is
 *   accepted and closed at once. The broker raises the process's soft
 *   RLIMIT_NOFILE up to the hard limit when this needs more descriptors;
 *   when the hard limit is lower, it warns, and connections beyond what the
 *   descriptors allow wait in the listen backlog (accepting pauses 100 ms
 *   after each EMFILE)
 * @max_connections_per_address: connections served at once from one peer
 *   address (IP, any port); a connection beyond it is accepted and closed
 *   at once, so that one host cannot take every connection; 0 = no limit
 * @max_request_bytes: largest request frame (after the size prefix); a
 *   larger one closes the connection before it is read
 * @max_output_bytes: queued response bytes per connection past which the
 *   broker stops reading that client's requests until the queue drains (the
 *   bound on memory per connection; at least one response is always
 *   queued)
 * @idle_timeout_ms: a connection with no request and nothing to send for
 *   this long is closed (Kafka's connections.max.idle.ms); 0 = never
 * @advertised_host: (nullable): the host Metadata tells clients to dial;
 *   %NULL = the local address each client connected to
 * @send_threads: threads besides the loop that send large responses in
 *   parallel with it (0: the loop sends everything); the default is one
 *   fewer than the CPU cores, at most 3
 * @request_timeout_ms: a request must arrive whole within this long of
 *   its first byte, else the connection is closed (and counted in
 *   #RgBrokerStats.closed_request_timeout): any byte resets
 *   @idle_timeout_ms, so without this a client sending one byte a second
 *   would hold its connection forever; 0 = no limit
 * @max_partial_bytes: bytes of requests not yet arrived whole, summed over
 *   every connection; when a read takes the sum past it, the connection
 *   holding the largest partial request is closed (and counted in
 *   #RgBrokerStats.closed_partial_bytes). At least 4 + @max_request_bytes,
 *   so that one largest request can always arrive; 0 = no limit
 * @ingest_batches: 0 (the default) refuses Produce into topics no pipeline
 *   owns (UNKNOWN_TOPIC_OR_PARTITION); above 0 the broker accepts it, as a
 *   Kafka broker with auto-creation does: the topic is created in memory on
 *   the first Metadata or Produce that names it, and keeps the latest
 *   @ingest_batches produced record batches. Every batch is validated
 *   (size, CRC-32C) and stored as sent, with its baseOffset set to the
 *   offset it got. Pipeline-owned topics always refuse Produce.
 * @group_initial_rebalance_delay_ms: how long the first rebalance of an
 *   empty consumer group waits for more members to join, extended while
 *   they keep coming (Kafka's group.initial.rebalance.delay.ms, 3000 by
 *   default); 0 answers the first member at once
 * @max_topics: ingest topics clients may create (0 = no limit); past it a
 *   Produce or Metadata naming a new topic gets POLICY_VIOLATION (44) and
 *   nothing is allocated for the name
 * @ingest_location: (nullable): with @ingest_batches above 0, makes ingest
 *   topics durable: each is a journal in "<ingest_location>/<topic>"
 *   (the format rgjournalsink writes) holding the producers' batches as
 *   they sent them, and the broker reopens the journals it finds there at
 *   start, with their offsets. A Produce with acks -1 or 1 is answered
 *   once its records are durable under @ingest_journal's sync policy (one
 *   fdatasync answers every producer waiting on it); acks 0 never waits.
 *   %NULL (the default): ingest topics live in memory
 * @ingest_journal: sync policy, rotation and retention of those journals
 *   (rg_journal_config_init() defaults)
 * @ingest_partitions: the partitions of an ingest topic created by a
 *   client naming it (Kafka's num.partitions), 1 (the default, as Kafka's)
 *   to %RG_BROKER_MAX_INGEST_PARTITIONS; each keeps its own
 *   @ingest_batches batches and offsets. Journal-backed ingest topics
 *   (@ingest_location) have one partition. Pipeline-owned topics always have
 *   one partition, 0.
 * @auto_create_topics: Kafka's auto.create.topics.enable. TRUE (the
 *   default, as Kafka's): with @ingest_batches above 0, a Metadata or
 *   Produce naming an unknown topic creates it; FALSE: it gets
 *   UNKNOWN_TOPIC_OR_PARTITION (3) and only CreateTopics creates topics
 * @tls_certificate: (nullable): PEM file of the listener's certificate
 *   chain: the listener speaks TLS (Kafka's SSL or SASL_SSL); %NULL =
 *   clear text
 * @tls_key: (nullable): PEM file of its private key (needed with
 *   @tls_certificate)
 * @tls_ca: (nullable): PEM file of the CA that client certificates must
 *   be signed by: clients must then present one, and a client that does
 *   not authenticate with SASL is known by its certificate's common name
 * @sasl_mechanisms: (nullable): comma-separated SASL mechanisms clients
 *   must authenticate with before any request but ApiVersions,
 *   SaslHandshake and SaslAuthenticate (PLAIN, SCRAM-SHA-256,
 *   SCRAM-SHA-512; Kafka's SASL_PLAINTEXT or SASL_SSL); %NULL or empty =
 *   no SASL
 * @credentials_file: (nullable): the users of @sasl_mechanisms, as salted
 *   SCRAM entries (docs/security.md); needed with @sasl_mechanisms
 * @acl_file: (nullable): which principal may read, write or create which
 *   topics (docs/security.md); %NULL = every client may do what the
 *   broker serves, as without authentication
 * @produce_quota: bytes per second each client may produce (Kafka's
 *   producer_byte_rate), measured over 11 samples of 1 s as Kafka does;
 *   a client is its principal when it authenticated (SASL user or TLS
 *   certificate name), else its IP address. A Produce that takes the
 *   client over it is stored and answered with throttle_time_ms set to
 *   the delay that brings the rate back to the quota, and the broker
 *   reads nothing more from that connection for that long (KIP-219;
 *   counted in #RgBrokerStats.produce_throttled); 0 (the default) = no
 *   quota
 * @max_inflight_bytes: bytes one connection may have in flight: response
 *   bytes queued and not yet sent, plus the acks=0 Produce requests whose
 *   records a journal has not made durable yet (an acks=0 producer gets
 *   no answer to wait for, so nothing else would hold it back). Past it
 *   the broker stops reading that connection until some of it is sent or
 *   durable (#RgBrokerStats.inflight_pauses); a request is read whenever
 *   nothing is in flight, so one connection holds at most this plus one
 *   request and its input buffer; 0 = no limit
 * @busy_poll_us: busy polling of the broker's loop, in microseconds (0,
 *   the default: off): after a wait that found work within this time, the
 *   loop polls for up to this long before it sleeps (rgloop.h), which
 *   shortens round trips where waking an idle CPU is slow (virtual
 *   machines) and costs the CPU it polls with while traffic is that dense
 *
 * Broker settings; rg_broker_config_init() sets the defaults. The first
 * rg_broker_acquire() of an address and port decides them.
 */
typedef struct
{
  guint max_connections;
  gsize max_request_bytes;
  gsize max_output_bytes;
  guint idle_timeout_ms;
  const gchar *advertised_host;
  guint ingest_batches;
  guint send_threads;
  guint max_connections_per_address;
  guint request_timeout_ms;
  gsize max_partial_bytes;
  guint group_initial_rebalance_delay_ms;
  guint max_topics;
  const gchar *ingest_location;
  RgJournalConfig ingest_journal;
  guint ingest_partitions;
  gboolean auto_create_topics;
  const gchar *tls_certificate;
  const gchar *tls_key;
  const gchar *tls_ca;
  const gchar *sasl_mechanisms;
  const gchar *credentials_file;
  const gchar *acl_file;
  guint64 produce_quota;
  gsize max_inflight_bytes;
  guint busy_poll_us;
} RgBrokerConfig;

/**
 * RG_BROKER_DEFAULT_MAX_TOPICS: default @max_topics (1000): far more than
 *   a fleet's topics, few enough that a client naming random topics cannot
 *   exhaust the process (a durable ingest topic holds a journal's
 *   descriptors and its syncer thread)
 */
#define RG_BROKER_DEFAULT_MAX_TOPICS 1000

/**
 * RG_BROKER_MAX_INGEST_PARTITIONS: the most partitions an ingest topic
 * can have (1024): each is a ring of its own, so a client asking for more
 * (CreateTopics) is refused with INVALID_PARTITIONS rather than allowed
 * to make the broker allocate without bound
 */
#define RG_BROKER_MAX_INGEST_PARTITIONS 1024

/**
 * RG_BROKER_DEFAULT_MAX_CONNECTIONS: default @max_connections (10,000)
 */
#define RG_BROKER_DEFAULT_MAX_CONNECTIONS 10000
/**
 * RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: default
 * @max_connections_per_address (256): well under @max_connections, and
 * above what one host's clients need (a librdkafka client opens one
 * connection per broker, plus one for bootstrap)
 */
#define RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 256
/**
 * RG_BROKER_DEFAULT_REQUEST_TIMEOUT_MS: default @request_timeout_ms (30 s,
 * librdkafka's socket.timeout.ms default and Kafka's request.timeout.ms)
 */
#define RG_BROKER_DEFAULT_REQUEST_TIMEOUT_MS (30 * 1000)
/**
 * RG_BROKER_DEFAULT_MAX_PARTIAL_BYTES: default @max_partial_bytes (64 MiB:
 * 64 largest requests of the default @max_request_bytes at once)
 */
#define RG_BROKER_DEFAULT_MAX_PARTIAL_BYTES (64 * 1024 * 1024)
/**
 * RG_BROKER_DEFAULT_MAX_REQUEST_BYTES: default @max_request_bytes (1 MiB)
 */
#define RG_BROKER_DEFAULT_MAX_REQUEST_BYTES (1024 * 1024)
/**
 * RG_BROKER_DEFAULT_MAX_OUTPUT_BYTES: default @max_output_bytes (4 MiB)
 */
#define RG_BROKER_DEFAULT_MAX_OUTPUT_BYTES (4 * 1024 * 1024)
/**
 * RG_BROKER_DEFAULT_MAX_INFLIGHT_BYTES: default @max_inflight_bytes
 * (64 MiB: 64 requests of the default @max_request_bytes; an acks=0
 * producer may run one sync interval that far ahead of the disk, and
 * 10,000 such connections hold it in the page cache, not the heap)
 */
#define RG_BROKER_DEFAULT_MAX_INFLIGHT_BYTES (64 * 1024 * 1024)
/**
 * RG_BROKER_DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS: default
 * @group_initial_rebalance_delay_ms (3 s, as Kafka)
 */
#define RG_BROKER_DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS 3000
/**
 * RG_BROKER_DEFAULT_IDLE_TIMEOUT_MS: default @idle_timeout_ms (10 min, as
 * Kafka)
 */
#define RG_BROKER_DEFAULT_IDLE_TIMEOUT_MS (10 * 60 * 1000)

RG_API
void rg_broker_config_init (RgBrokerConfig * config);

/**
 * rg_broker_default_send_threads:
 *
 * Returns: the default @send_threads: one fewer than the CPU cores this
 *   process may use, at most 3.
 */
RG_API
guint rg_broker_default_send_threads (void);

typedef struct _RgBroker RgBroker;
typedef struct _RgBrokerTopic RgBrokerTopic;

/**
 * rg_broker_acquire:
 * @host: (nullable): address to listen on; %NULL = 127.0.0.1
 * @port: TCP port; 0 = an ephemeral port (always a new broker; read it with
 *   rg_broker_get_port())
 * @config: (nullable): settings for a new broker, %NULL for the defaults
 * @error: return location for a #GError, or %NULL
 *
 * Returns the broker of @host and @port in this process, with a new
 * reference, or binds the address and starts one (listen backlog
 * SOMAXCONN, so a burst of connects is absorbed by the kernel).
 *
 * Errors: %RG_BROKER_ERROR_ADDRESS, %RG_BROKER_ERROR_SYSTEM.
 *
 * Returns: (transfer full) (nullable): the broker; give it back with
 *   rg_broker_release().
 */
RG_API
RgBroker *rg_broker_acquire (const gchar * host, guint port,
    const RgBrokerConfig * config, GError ** error);

/**
 * rg_broker_release:
 * @broker: (transfer full): a broker from rg_broker_acquire()
 *
 * Drops a reference. The last one stops the loop thread, closes every
 * connection and the listener, and frees the broker; remove your topics
 * and client watches first.
 */
RG_API
void rg_broker_release (RgBroker * broker);

/**
 * rg_broker_get_port:
 * @broker: a broker
 *
 * Returns: the port the broker is bound to (the ephemeral one for port 0).
 */
RG_API
guint rg_broker_get_port (RgBroker * broker);

/**
 * RgBrokerClientFunc:
 * @broker: the broker
 * @client_id: the connection's id, unique in the broker's lifetime
 * @address: the client's address as "host:port"
 * @added: %TRUE when the client connected, %FALSE when it went away
 * @user_data: user data
 *
 * Called from the broker's thread, with the watch lock held: the function
 * must not add or remove client watches.
 */
typedef void (*RgBrokerClientFunc) (RgBroker * broker, guint64 client_id,
    const gchar * address, gboolean added, gpointer user_data);

/**
 * rg_broker_add_client_watch:
 * @broker: a broker
 * @func: called when a client connects or disconnects
 * @user_data: passed to @func
 *
 * Returns: an id for rg_broker_remove_client_watch(), never 0.
 */
RG_API
guint rg_broker_add_client_watch (RgBroker * broker, RgBrokerClientFunc func,
    gpointer user_data);

/**
 * rg_broker_remove_client_watch:
 * @broker: a broker
 * @watch_id: from rg_broker_add_client_watch()
 *
 * When this returns, the function is not running and will not be called
 * again.
 */
RG_API
void rg_broker_remove_client_watch (RgBroker * broker, guint watch_id);

/**
 * RgBrokerStats:
 * @connections: connections open now
 * @connections_total: connections accepted since start
 * @connections_refused: connections closed at once because of
 *   max_connections
 * @requests: requests answered
 * @fetches: Fetch requests answered
 * @bytes_served: response bytes sent
 * @records_served: records sent in Fetch responses
 * @malformed: connections closed for a malformed, oversized or
 *   unsupported request
 * @fetches_waiting: Fetch requests parked now (long polls waiting for
 *   records or for their MaxWaitMs)
 * @parallel_sends: connections whose output was sent in a turn shared with
 *   the send threads (#RgBrokerConfig.send_threads)
 * @connections_refused_per_address: connections closed at once because
 *   their address had max_connections_per_address open already
 * @closed_request_timeout: connections closed because a request did not
 *   arrive whole within request_timeout_ms of its first byte
 * @closed_partial_bytes: connections closed because they held the largest
 *   partial request when the sum of partial requests passed
 *   max_partial_bytes
 * @produce_throttled: Produce requests answered with a throttle time
 *   because their client went over produce_quota
 * @inflight_pauses: times a connection stopped being read because its
 *   in-flight bytes reached max_inflight_bytes
 * @inflight_bytes_max: the most bytes one connection has had in flight
 *   (its input buffer included) since start
 *
 * Counters of a whole broker.
 */
typedef struct
{
  guint connections;
  guint64 connections_total;
  guint64 connections_refused;
  guint64 requests;
  guint64 fetches;
  guint64 bytes_served;
  guint64 records_served;
  guint64 malformed;
  guint fetches_waiting;
  guint64 parallel_sends;
  guint64 connections_refused_per_address;
  guint64 closed_request_timeout;
  guint64 closed_partial_bytes;
  guint64 produce_throttled;
  guint64 inflight_pauses;
  guint64 inflight_bytes_max;
} RgBrokerStats;

RG_API
void rg_broker_get_stats (RgBroker * broker, RgBrokerStats * stats);

/**
 * RgBrokerClientInfo:
 * @id: the connection's id
 * @address: "host:port" of the client
 * @bytes_sent: response bytes sent to it
 * @fetches: Fetch requests it made
 * @topic: (nullable): the topic of its latest fetch
 * @next_offset: the offset its next fetch of @topic should ask for (after
 *   the last record it was sent), -1 before its first fetch
 * @lag: records of @topic it has not been sent yet (high watermark minus
 *   @next_offset), -1 when unknown
 */
typedef struct
{
  guint64 id;
  gchar *address;
  guint64 bytes_sent;
  guint64 fetches;
  gchar *topic;
  gint64 next_offset;
  gint64 lag;
} RgBrokerClientInfo;

RG_API
void rg_broker_client_info_free (RgBrokerClientInfo * info);

/**
 * rg_broker_get_clients:
 * @broker: a broker
 *
 * Returns: (transfer full) (element-type RgBrokerClientInfo): one entry
 *   per open connection, with a free function set.
 */
RG_API
GPtrArray *rg_broker_get_clients (RgBroker * broker);

/* ---- Topics ---- */

/**
 * rg_broker_add_topic:
 * @broker: a broker
 * @name: topic name (1-249 bytes, Kafka's limit)
 * @ring_size: how many of the latest records the topic keeps (>= 1)
 * @error: return location for a #GError, or %NULL
 *
 * Registers a pipeline-owned topic with one partition (0), empty, whose
 * first record will get offset 0. Clients see it in Metadata at once.
 *
 * Errors: %RG_BROKER_ERROR_TOPIC_EXISTS, %RG_BROKER_ERROR_INVALID.
 *
 * Returns: (transfer full) (nullable): the topic; remove it with
 *   rg_broker_remove_topic().
 */
RG_API
RgBrokerTopic *rg_broker_add_topic (RgBroker * broker, const gchar * name,
    guint ring_size, GError ** error);

/**
 * rg_broker_add_journal_topic:
 * @broker: a broker
 * @name: topic name (1-249 bytes)
 * @dir: a journal directory (rgjournal.h) that a writer appends to, in
 *   this process or another
 * @tail: (nullable): the tail of the writer when it is in this process
 *   (rg_journal_writer_get_tail()); the topic takes a reference
 * @error: return location for a #GError, or %NULL
 *
 * Registers a pipeline-owned topic whose records are the journal's
 * batches, from its oldest segment to the end of its last complete, valid
 * batch. Fetch responses send segment bytes with sendfile(), untouched.
 * With @tail the broker trusts the writer's account of what is written;
 * without it, it reads and checks (CRC-32C) every new batch once.
 * With @tail, long-polling fetches are woken whenever the tail moves;
 * without it, call rg_broker_topic_notify() after each append so that they
 * are answered at once (they also look at the files every 10 ms).
 *
 * Errors: as rg_broker_add_topic().
 *
 * Returns: (transfer full) (nullable): the topic; remove it with
 *   rg_broker_remove_topic().
 */
RG_API
RgBrokerTopic *rg_broker_add_journal_topic (RgBroker * broker,
    const gchar * name, const gchar * dir, RgJournalTail * tail,
    GError ** error);

/**
 * rg_broker_topic_notify:
 * @topic: a journal-backed topic
 *
 * Tells the broker the journal grew: wakes long-polling fetches. Any
 * thread.
 */
RG_API
void rg_broker_topic_notify (RgBrokerTopic * topic);

/**
 * rg_broker_topic_keep_hot:
 * @topic: a journal-backed topic
 * @writer: the writer appending to @topic's journal, in this process
 * @max_batches: how many of the latest batches to keep (0: stop keeping)
 *
 * Keeps the latest @max_batches batches @writer appends in memory, each
 * holding a reference on its buffer, and serves fetches of their offsets
 * from the buffers' memory (writev()) instead of the segment files
 * (sendfile()): readers at the live edge then read memory that is still in
 * the CPU caches. The client sees no difference: the batches are the
 * writer's own encoded bytes, served at the same offsets and only once the
 * journal has published them. Older offsets still come from the files.
 * Batches of several buffers (rg_journal_writer_append_list()) are served
 * from the files. The watch holds a reference on @topic until @writer is
 * closed or the watch is stopped. Call it from the appending thread, or
 * before the first append.
 *
 * Since: 1.0
 */
RG_API
void rg_broker_topic_keep_hot (RgBrokerTopic * topic,
    RgJournalWriter * writer, guint max_batches);

/**
 * rg_broker_add_live_view:
 * @broker: the broker @topic was added to
 * @topic: an in-memory topic (rg_broker_add_topic())
 * @max_lag: the lag budget in records, at least 1
 * @error: return location for a #GError, or %NULL
 *
 * Also serves @topic as "<name>.live": a consumer of that view whose
 * fetch offset is more than @max_lag records behind the high watermark,
 * or no longer in the ring, is answered from the latest keyframe (a
 * record whose buffer had no DELTA_UNIT flag) instead, so a stalled
 * consumer resumes where it can decode. Clients accept the offset gap as
 * they do on compacted topics. Offsets are the topic's.
 *
 * Errors: %RG_BROKER_ERROR_TOPIC_EXISTS, %RG_BROKER_ERROR_INVALID (a
 *   journal-backed topic, or a name too long for the suffix).
 *
 * Returns: %TRUE when the view is served.
 */
RG_API
gboolean rg_broker_add_live_view (RgBroker * broker, RgBrokerTopic * topic,
    guint max_lag, GError ** error);

/**
 * rg_broker_remove_topic:
 * @broker: the broker the topic was added to
 * @topic: (transfer full): the topic
 *
 * Unregisters and frees the topic (and its .live view). Fetches still
 * parked on it are answered with UNKNOWN_TOPIC_OR_PARTITION; responses
 * being sent keep the records they reference alive until sent.
 */
RG_API
void rg_broker_remove_topic (RgBroker * broker, RgBrokerTopic * topic);

/**
 * rg_broker_enable_offsets_journal:
 * @broker: a broker
 * @dir: the journal directory of the __consumer_offsets topic (created if
 *   missing)
 * @sync: the journal's sync policy: with %RG_JOURNAL_SYNC_ALWAYS an
 *   OffsetCommit is answered once an fdatasync covers it
 * @error: return location for a #GError, or %NULL
 *
 * Keeps the consumer groups' committed offsets in the journal @dir, in
 * Kafka's __consumer_offsets key/value format, and loads what it holds
 * now, so that a restarted pipeline answers OffsetFetch with what was
 * committed before. Without it committed offsets live as long as the
 * broker. One directory per broker: a second call with the same @dir
 * does nothing, with another one it fails. Groups formed before the call
 * are forgotten (their members rejoin); call it before clients connect
 * (rgbrokersink does when it starts, with the directory beside its
 * journal's).
 *
 * Errors: %RG_JOURNAL_ERROR when the journal cannot be opened or read
 *   (%RG_JOURNAL_ERROR_LOCKED: another writer holds it, or this broker
 *   keeps its offsets elsewhere).
 *
 * Returns: %TRUE when committed offsets are kept in @dir.
 */
RG_API
gboolean rg_broker_enable_offsets_journal (RgBroker * broker,
    const gchar * dir, RgJournalSync sync, GError ** error);

/**
 * rg_broker_reserve_topic:
 * @host: (nullable): the broker's address, as for rg_broker_acquire()
 * @port: the broker's port; 0 (ephemeral: a broker of its own) reserves
 *   nothing and succeeds
 * @name: a topic name an element will add
 * @error: return location for a #GError, or %NULL
 *
 * Reserves @name on the broker of @host and @port, whether it runs yet or
 * not: no Kafka client creates an ingest topic of that name by producing
 * into it (#RgBrokerConfig.ingest_batches) until the reservation is
 * dropped, so the element that adds the topic later finds the name free.
 * Call it before any broker of the pipeline starts (rgbrokersink does as
 * soon as its topic, host and port are set, before any element of its
 * pipeline changes state). Reservations are counted; two elements may
 * reserve one name (the second rg_broker_add_topic() fails as usual).
 *
 * Errors: %RG_BROKER_ERROR_TOPIC_EXISTS when a client's ingest topic holds
 *   the name already (the message says so).
 *
 * Returns: %TRUE when reserved; drop it with rg_broker_unreserve_topic().
 */
RG_API
gboolean rg_broker_reserve_topic (const gchar * host, guint port,
    const gchar * name, GError ** error);

/**
 * rg_broker_unreserve_topic:
 * @host: (nullable): as given to rg_broker_reserve_topic()
 * @port: as given to rg_broker_reserve_topic()
 * @name: as given to rg_broker_reserve_topic()
 *
 * Drops one reservation of @name.
 */
RG_API
void rg_broker_unreserve_topic (const gchar * host, guint port,
    const gchar * name);

/**
 * rg_broker_topic_set_caps:
 * @topic: a topic
 * @caps: (nullable): the stream's caps
 *
 * The next record carries these caps in a gst.caps header, and so does
 * every later keyframe record (a buffer without DELTA_UNIT), so a consumer
 * that starts anywhere in the ring at a keyframe learns them.
 */
RG_API
void rg_broker_topic_set_caps (RgBrokerTopic * topic, GstCaps * caps);

/**
 * rg_broker_topic_append:
 * @topic: a topic
 * @buffer: the record's value and envelope (PTS, DTS, duration, flags);
 *   referenced, never copied
 * @timestamp: record timestamp, ms since the epoch; -1 = the envelope's
 *   (rg_envelope_timestamp(): reference timestamp meta, else now)
 * @key: (nullable): record key, copied
 * @offset: (out) (optional): the offset the record got
 * @error: return location for a #GError, or %NULL
 *
 * Appends one record as one RecordBatch v2, drops the oldest record when
 * the ring is full, and wakes long-polling fetches of the topic.
 *
 * Errors: %RG_BROKER_ERROR_ENCODE (the buffer is too large for a record,
 *   or its memory cannot be mapped).
 *
 * Returns: %TRUE when appended.
 */
RG_API
gboolean rg_broker_topic_append (RgBrokerTopic * topic, GstBuffer * buffer,
    gint64 timestamp, GBytes * key, guint64 * offset, GError ** error);

/**
 * RgBrokerTopicStats:
 * @log_start_offset: offset of the oldest record kept
 * @high_watermark: offset the next record will get
 * @records_appended: records appended
 * @fetches: partition fetches of this topic answered
 * @bytes_served: record-set bytes of this topic sent
 * @records_served: records of this topic sent
 */
typedef struct
{
  guint64 log_start_offset;
  guint64 high_watermark;
  guint64 records_appended;
  guint64 fetches;
  guint64 bytes_served;
  guint64 records_served;
} RgBrokerTopicStats;

RG_API
void rg_broker_topic_get_stats (RgBrokerTopic * topic,
    RgBrokerTopicStats * stats);

/**
 * rg_broker_topic_get_name:
 * @topic: a topic
 *
 * Returns: (transfer none): the topic's name.
 */
RG_API
const gchar *rg_broker_topic_get_name (RgBrokerTopic * topic);

G_END_DECLS

#endif /* __RG_BROKER_H__ */
