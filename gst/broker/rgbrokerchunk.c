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
 * Reference-counted input chunks and their pool (the contract is
 * rgbrokerchunk.h). A chunk is one allocation: this header, then its
 * bytes from the next cache line on. A pool keeps, per power-of-two size
 * class, a small stack of free chunks; a chunk remembers its class (or
 * none, for one larger than the largest class) and its pool, which it
 * holds alive: the pool is freed by whichever of its owner's free and the
 * last chunk's return comes last.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerchunk.h"

#include <pthread.h>
#include <stdatomic.h>

/* log2 of RG_BROKER_CHUNK_MIN_SIZE and of RG_BROKER_CHUNK_MAX_POOLED. */
#define MIN_SHIFT 12
#define MAX_SHIFT 18
#define N_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define NO_CLASS N_CLASSES
/* The bytes start this far into the allocation (a cache line). */
#define HEADER_SIZE 64

G_STATIC_ASSERT (RG_BROKER_CHUNK_MIN_SIZE == 1 << MIN_SHIFT);
G_STATIC_ASSERT (RG_BROKER_CHUNK_MAX_POOLED == 1 << MAX_SHIFT);

struct _RgBrokerChunk
{
  atomic_int ref;
  guint size_class;
  gsize size;
  RgBrokerChunkPool *pool;
  guint8 *data;
};

G_STATIC_ASSERT (sizeof (RgBrokerChunk) <= HEADER_SIZE);

struct _RgBrokerChunkPool
{
  /* Guards every field below. */
  pthread_mutex_t lock;
  RgBrokerChunk *free[N_CLASSES][RG_BROKER_CHUNK_POOL_DEPTH];
  guint n_free[N_CLASSES];
  /* Chunks taken and not back, and their bytes. */
  guint n_out;
  gsize bytes_out;
  /* rg_broker_chunk_pool_free() was called: returns free the chunk. */
  gboolean closed;
};

RgBrokerChunkPool *
rg_broker_chunk_pool_new (void)
{
  RgBrokerChunkPool *pool = g_new0 (RgBrokerChunkPool, 1);

  pthread_mutex_init (&pool->lock, NULL);
  return pool;
}

static void
chunk_free (RgBrokerChunk * chunk)
{
  g_free (chunk);
}

static void
pool_destroy (RgBrokerChunkPool * pool)
{
  pthread_mutex_destroy (&pool->lock);
  g_free (pool);
}

void
rg_broker_chunk_pool_free (RgBrokerChunkPool * pool)
{
  gboolean last;
  guint c, i;

  if (!pool)
    return;
  pthread_mutex_lock (&pool->lock);
  pool->closed = TRUE;
  for (c = 0; c < N_CLASSES; c++) {
    for (i = 0; i < pool->n_free[c]; i++)
      chunk_free (pool->free[c][i]);
    pool->n_free[c] = 0;
  }
  last = pool->n_out == 0;
  pthread_mutex_unlock (&pool->lock);
  if (last)
    pool_destroy (pool);
}

/* The class of a chunk of @size bytes and its size, rounded up; NO_CLASS
 * (and @size itself) above the largest class. */
static guint
size_class (gsize size, gsize * rounded)
{
  guint shift = MIN_SHIFT;

  if (size > RG_BROKER_CHUNK_MAX_POOLED) {
    *rounded = size;
    return NO_CLASS;
  }
  while (((gsize) 1 << shift) < size)
    shift++;
  *rounded = (gsize) 1 << shift;
  return shift - MIN_SHIFT;
}

static RgBrokerChunk *
chunk_new (RgBrokerChunkPool * pool, guint cls, gsize size)
{
  guint8 *block = g_malloc (HEADER_SIZE + size);
  RgBrokerChunk *chunk = (RgBrokerChunk *) block;

  chunk->size_class = cls;
  chunk->size = size;
  chunk->pool = pool;
  chunk->data = block + HEADER_SIZE;
  return chunk;
}

RgBrokerChunk *
rg_broker_chunk_pool_take (RgBrokerChunkPool * pool, gsize size)
{
  RgBrokerChunk *chunk = NULL;
  gsize rounded;
  guint cls = size_class (MAX (size, 1), &rounded);

  pthread_mutex_lock (&pool->lock);
  if (cls != NO_CLASS && pool->n_free[cls] > 0)
    chunk = pool->free[cls][--pool->n_free[cls]];
  pool->n_out++;
  pool->bytes_out += rounded;
  pthread_mutex_unlock (&pool->lock);
  if (!chunk)
    chunk = chunk_new (pool, cls, rounded);
  atomic_init (&chunk->ref, 1);
  return chunk;
}

RgBrokerChunk *
rg_broker_chunk_ref (RgBrokerChunk * chunk)
{
  atomic_fetch_add_explicit (&chunk->ref, 1, memory_order_relaxed);
  return chunk;
}

/* The last reference went: back to the pool, or freed. */
static void
chunk_return (RgBrokerChunk * chunk)
{
  RgBrokerChunkPool *pool = chunk->pool;
  guint cls = chunk->size_class;
  gboolean kept = FALSE, last;

  pthread_mutex_lock (&pool->lock);
  pool->n_out--;
  pool->bytes_out -= chunk->size;
  if (!pool->closed && cls != NO_CLASS
      && pool->n_free[cls] < RG_BROKER_CHUNK_POOL_DEPTH) {
    pool->free[cls][pool->n_free[cls]++] = chunk;
    kept = TRUE;
  }
  last = pool->closed && pool->n_out == 0;
  pthread_mutex_unlock (&pool->lock);
  if (!kept)
    chunk_free (chunk);
  if (last)
    pool_destroy (pool);
}

void
rg_broker_chunk_unref (RgBrokerChunk * chunk)
{
  /* acq_rel: every holder's use of the bytes happens before the decrement
   * that releases it, and the last decrement acquires them all before the
   * chunk is reused or freed (a read-modify-write, which ThreadSanitizer
   * models, rather than a separate fence). */
  if (atomic_fetch_sub_explicit (&chunk->ref, 1, memory_order_acq_rel) == 1)
    chunk_return (chunk);
}

guint8 *
rg_broker_chunk_get_data (RgBrokerChunk * chunk)
{
  return chunk->data;
}

gsize
rg_broker_chunk_get_size (RgBrokerChunk * chunk)
{
  return chunk->size;
}

gboolean
rg_broker_chunk_is_shared (RgBrokerChunk * chunk)
{
  /* Acquire: pairs with another holder's acq_rel decrement, so that when
   * this reads 1, every use of the bytes by the holders that let go
   * happened before the caller writes them. */
  return atomic_load_explicit (&chunk->ref, memory_order_acquire) > 1;
}

gboolean
rg_broker_chunk_contains (RgBrokerChunk * chunk, const guint8 * p, gsize len)
{
  return p >= chunk->data && len <= chunk->size
      && (gsize) (p - chunk->data) <= chunk->size - len;
}

void
rg_broker_chunk_pool_get_counts (RgBrokerChunkPool * pool, guint * n_free,
    guint * n_out, gsize * bytes_out)
{
  guint c, n = 0;

  pthread_mutex_lock (&pool->lock);
  for (c = 0; c < N_CLASSES; c++)
    n += pool->n_free[c];
  if (n_free)
    *n_free = n;
  if (n_out)
    *n_out = pool->n_out;
  if (bytes_out)
    *bytes_out = pool->bytes_out;
  pthread_mutex_unlock (&pool->lock);
}
