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
 * Topic and group ACLs of the embedded broker (rgbrokeracl.c): which
 * principal may read, write or create (and delete) which topics and use
 * which consumer groups, loaded from a small text file (the
 * format is at the top of rgbrokeracl.c and in docs/security.md). Pure
 * logic, no I/O besides loading. Not installed.
 *
 * Thread-safety: an RgBrokerAcl is immutable once loaded; any thread may
 * ask it.
 */

#ifndef __RG_BROKER_ACL_H__
#define __RG_BROKER_ACL_H__

#include <glib.h>

G_BEGIN_DECLS

/* Operations, as bits. */
typedef enum
{
  RG_BROKER_ACL_READ = 1 << 0,
  RG_BROKER_ACL_WRITE = 1 << 1,
  RG_BROKER_ACL_CREATE = 1 << 2,
} RgBrokerAclOperation;

/* What "all" grants. */
#define RG_BROKER_ACL_ALL (RG_BROKER_ACL_READ | RG_BROKER_ACL_WRITE | \
    RG_BROKER_ACL_CREATE)

/* A rule's resource names a consumer group when it starts with this
 * (':' is not a character of topic names, so it cannot clash). */
#define RG_BROKER_ACL_GROUP_PREFIX "group:"


/* The principal of a client that did not authenticate (Kafka's name). */
#define RG_BROKER_ANONYMOUS "ANONYMOUS"

/* The raw offsets topic: readable only through a rule naming it exactly. */
#define RG_BROKER_ACL_OFFSETS_TOPIC "__consumer_offsets"

typedef struct _RgBrokerAcl RgBrokerAcl;

/* Loads an ACL file. Errors: the file's own (GFileError), or
 * %RG_BROKER_ERROR_SECURITY naming the line that is wrong. */
RgBrokerAcl *rg_broker_acl_load (const gchar * path, GError ** error);
RgBrokerAcl *rg_broker_acl_parse (const gchar * text, const gchar * origin,
    GError ** error);
void rg_broker_acl_free (RgBrokerAcl * acl);

/* Whether @principal may do every operation of @ops on @topic (@len
 * bytes, not NUL-terminated). */
gboolean rg_broker_acl_allows (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * topic, gsize len, guint ops);

/* Whether @principal may do every operation of @ops on consumer group
 * @group (@len bytes): a rule naming "group:<id>", "group:<prefix>*" or
 * '*' grants it; topic rules never do. */
gboolean rg_broker_acl_allows_group (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * group, gsize len, guint ops);

/* Whether @principal may see @topic in Metadata: any of read and write. */
gboolean rg_broker_acl_describes (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * topic, gsize len);

G_END_DECLS

#endif /* __RG_BROKER_ACL_H__ */
