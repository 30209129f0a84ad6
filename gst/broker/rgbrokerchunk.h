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
 * Input chunks of the embedded broker (rgbrokerchunk.c): the reference-
 * counted blocks a connection reads requests into, so that a memory
 * ingest topic can keep a produced batch where the socket put it instead
 * of copying it (docs/design.md, "Zero-copy ingest"). Not installed.
 *
 * A connection holds one reference on its current chunk; a record stored
 * in a topic holds another (and a pointer and length into it). The
 * connection only writes bytes of a chunk no record holds: it reads at
 * the end of what it read before, and before it would rewind or move
 * input down in a chunk somebody else still holds
 * (rg_broker_chunk_is_shared()) it takes a fresh one. When the last
 * reference goes, the chunk goes back to its pool (or is freed), from
 * whichever thread drops it.
 *
 * Pools: one per connection set (one loop). A pool keeps a few free chunks
 * of each power-of-two size from RG_BROKER_CHUNK_MIN_SIZE to
 * RG_BROKER_CHUNK_MAX_POOLED, so that a streaming connection does not
 * page-fault a new 256 KiB block on every read; larger chunks (a request
 * larger than that) are allocated and freed as they are needed.
 *
 * Thread-safety: take from one thread (the loop); ref, unref and the
 * accessors from any thread. A pool is guarded by its own mutex, taken
 * once per take and once per return; a chunk's count is a C11 atomic.
 * Memory ordering: the last unref (acq_rel) orders every holder's reads
 * of the bytes before the return, and the pool's mutex orders the return
 * before the next take, so the loop's next recv() into the chunk comes
 * after every send of its old bytes (sendmsg() from the send threads
 * included).
 *
 * Ownership: rg_broker_chunk_pool_take() returns a chunk with one
 * reference; a pool lives until rg_broker_chunk_pool_free() was called and
 * every chunk taken from it went back.
 */

#ifndef __RG_BROKER_CHUNK_H__
#define __RG_BROKER_CHUNK_H__

#include <glib.h>

G_BEGIN_DECLS

/* The smallest chunk (a new connection's input). */
#define RG_BROKER_CHUNK_MIN_SIZE 4096
/* The largest chunk a pool keeps for reuse. */
#define RG_BROKER_CHUNK_MAX_POOLED (256 * 1024)
/* Free chunks a pool keeps per size. */
#define RG_BROKER_CHUNK_POOL_DEPTH 4
/* A batch is kept by reference to its chunk only when the chunk is at most
 * this many times larger than the batch; smaller batches are copied. This
 * bounds what stored batches pin: every chunk a record holds is at most
 * RG_BROKER_CHUNK_PIN_RATIO times the size of a batch that holds it, so
 * the chunks held by a topic's records take at most this many times the
 * bytes of the batches the topic keeps, and never more than one chunk per
 * batch (a chunk is at most RG_BROKER_CHUNK_MAX_POOLED or the largest
 * request, so a ring of N batches holds at most N x max (256 KiB,
 * max_request_bytes + 4): with the default 1 MiB requests, its bound with
 * copies too). In
 * steady streaming it is about 1x: consecutive batches share their
 * chunks. 32 keeps the batches of a streaming producer of 10 KB requests
 * (100 records of 100 B) read into 256 KiB chunks. */
#define RG_BROKER_CHUNK_PIN_RATIO 32

typedef struct _RgBrokerChunk RgBrokerChunk;
typedef struct _RgBrokerChunkPool RgBrokerChunkPool;

RgBrokerChunkPool *rg_broker_chunk_pool_new (void);

/* Drops the owner's hold on @pool: free chunks are freed now, chunks still
 * held are freed when they come back, the pool with the last of them. */
void rg_broker_chunk_pool_free (RgBrokerChunkPool * pool);

/* A chunk of at least @size bytes (sizes up to RG_BROKER_CHUNK_MAX_POOLED
 * are rounded up to a power of two), with one reference. Its bytes are
 * uninitialised. */
RgBrokerChunk *rg_broker_chunk_pool_take (RgBrokerChunkPool * pool,
    gsize size);

RgBrokerChunk *rg_broker_chunk_ref (RgBrokerChunk * chunk);
void rg_broker_chunk_unref (RgBrokerChunk * chunk);

guint8 *rg_broker_chunk_get_data (RgBrokerChunk * chunk);
gsize rg_broker_chunk_get_size (RgBrokerChunk * chunk);

/* Whether anyone but the caller holds @chunk (the caller must hold one
 * reference). FALSE means the caller may write any byte of it. */
gboolean rg_broker_chunk_is_shared (RgBrokerChunk * chunk);

/* Whether @len bytes at @p lie inside @chunk. */
gboolean rg_broker_chunk_contains (RgBrokerChunk * chunk, const guint8 * p,
    gsize len);

/* Free chunks and chunks out (taken and not back yet) of @pool, for tests
 * and the broker's statistics. */
void rg_broker_chunk_pool_get_counts (RgBrokerChunkPool * pool,
    guint * n_free, guint * n_out, gsize * bytes_out);

G_END_DECLS

#endif /* __RG_BROKER_CHUNK_H__ */
