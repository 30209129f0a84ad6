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
 * Test seams of the broker's connection layer (rgbrokerconn.c). Not
 * installed: core tests link the internal archive and reach them there.
 */

#ifndef __RG_BROKER_HOOKS_H__
#define __RG_BROKER_HOOKS_H__

#include <glib.h>
#include <sys/types.h>
#include <sys/uio.h>

G_BEGIN_DECLS

/*
 * RgBrokerSysHooks:
 * @send_iov: replaces the broker's vectored send (sendmsg() with
 *   MSG_NOSIGNAL, i.e. writev() without SIGPIPE) on client sockets
 * @recv: replaces the broker's reads of clear-text client sockets
 *   (recv() with MSG_DONTWAIT)
 *
 * Tests install these to see exactly which memory the broker hands the
 * kernel (the zero-copy proofs: a Fetch sends a produced batch from the
 * memory its Produce was read into). %NULL keeps the system call.
 */
typedef struct
{
  ssize_t (*send_iov) (int fd, const struct iovec * iov, int iovcnt);
  ssize_t (*recv) (int fd, void *buf, size_t len);
} RgBrokerSysHooks;

/* Installs @hooks (copied; NULL: the system calls). Not thread-safe: call
 * it while no broker is running. */
void rg_broker_set_sys_hooks (const RgBrokerSysHooks * hooks);

/* The default of RgBrokerSysHooks.send_iov, for hooks that observe and
 * then forward. */
ssize_t rg_broker_sys_send_iov (int fd, const struct iovec * iov,
    int iovcnt);

/* The default of RgBrokerSysHooks.recv. */
ssize_t rg_broker_sys_recv (int fd, void *buf, size_t len);

G_END_DECLS

#endif /* __RG_BROKER_HOOKS_H__ */
