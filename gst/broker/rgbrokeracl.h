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
 * The broker's ACLs (rgbrokeracl.c): Kafka's authorizer model, loaded from
 * and written back to a small text file (the format is at the top of
 * rgbrokeracl.c and in docs/security.md), asked by every handler that
 * checks a client, and changed by CreateAcls and DeleteAcls.
 *
 * The model is Kafka's: a binding allows or denies one principal
 * ("User:<name>", or "User:*" for anyone) from one host ("*" or an
 * address) one operation (#RgKafkaAclOperation) on the resources of one
 * pattern (a topic, group, transactional id or the cluster; a literal
 * name, '*' for every resource of the type, or a prefix). The file's bare
 * user names (alice, ANONYMOUS) are the principals' names. Deny wins over
 * allow; super users (a "super <name>" line, Kafka's super.users) pass
 * every check.
 *
 * Which bindings grant the broker's checks (RgBrokerAclOperation), as
 * Kafka's authorizer implies one operation from another:
 *  - READ (Fetch, ListOffsets, group apis, offsets of a topic): read, all
 *  - WRITE (Produce, AddPartitionsToTxn): write, all
 *  - CREATE (CreateTopics, auto-creation): create, all
 *  - DELETE (DeleteTopics): delete, all, and on topics create (the file's
 *    "create" always owned a topic's whole life)
 *  - ALTER (CreatePartitions; CreateAcls and DeleteAcls on the cluster):
 *    alter, all, and on topics create (as above)
 *  - DESCRIBE (Metadata showing a topic; DescribeAcls on the cluster):
 *    describe, read, write, delete, alter, all
 *  - DESCRIBE_CONFIGS: describe_configs, alter_configs, all
 *  - ALTER_CONFIGS: alter_configs, all
 *    (for the config apis; no handler of this branch asks them yet)
 * and a deny binding of the checked operation itself or of all refuses
 * it, whatever allows it. The raw offsets topic, __consumer_offsets, is
 * allowed only by a binding naming it literally (never by '*' or a
 * prefix); any deny matches it.
 *
 * Thread-safety: the loop thread only. Every check and every change runs
 * in a request handler on the broker's loop thread (no send thread or
 * other thread holds the ACL), so a check always sees a whole rule set:
 * a change is applied between two requests. Tests may use an ACL from
 * one thread.
 */

#ifndef __RG_BROKER_ACL_H__
#define __RG_BROKER_ACL_H__

#include <glib.h>

#include "kafka/rgkafkaacls.h"

G_BEGIN_DECLS

/* The broker's checks, as bits (see the mapping above). */
typedef enum
{
  RG_BROKER_ACL_READ = 1 << 0,
  RG_BROKER_ACL_WRITE = 1 << 1,
  RG_BROKER_ACL_CREATE = 1 << 2,
  RG_BROKER_ACL_DELETE = 1 << 3,
  RG_BROKER_ACL_ALTER = 1 << 4,
  RG_BROKER_ACL_DESCRIBE = 1 << 5,
  RG_BROKER_ACL_DESCRIBE_CONFIGS = 1 << 6,
  RG_BROKER_ACL_ALTER_CONFIGS = 1 << 7,
} RgBrokerAclOperation;

/* The last check bit. */
#define RG_BROKER_ACL_LAST_CHECK RG_BROKER_ACL_ALTER_CONFIGS

/* The principal of a client that did not authenticate (Kafka's name). */
#define RG_BROKER_ANONYMOUS "ANONYMOUS"

/* The raw offsets topic: readable only through a rule naming it exactly. */
#define RG_BROKER_ACL_OFFSETS_TOPIC "__consumer_offsets"

/* The cluster resource's one name (Kafka's). */
#define RG_BROKER_ACL_CLUSTER_NAME "kafka-cluster"

typedef struct _RgBrokerAcl RgBrokerAcl;

/*
 * RgBrokerAclBinding:
 * One binding as the apis show it (owned strings; the principal with its
 * "User:" type). Clear with rg_broker_acl_binding_clear().
 */
typedef struct
{
  gint8 resource_type;
  gint8 pattern_type;
  gchar *resource_name;
  gchar *principal;
  gchar *host;
  gint8 operation;
  gint8 permission;
} RgBrokerAclBinding;

void rg_broker_acl_binding_clear (gpointer binding);

/* Loads an ACL file; the ACL remembers @path and writes its changes back
 * to it. Errors: the file's own (GFileError), or %RG_BROKER_ERROR_SECURITY
 * naming the line that is wrong. */
RgBrokerAcl *rg_broker_acl_load (const gchar * path, GError ** error);
/* Parses rules from @text (@origin names it in errors); such an ACL has
 * no file, its changes are not saved. */
RgBrokerAcl *rg_broker_acl_parse (const gchar * text, const gchar * origin,
    GError ** error);
void rg_broker_acl_free (RgBrokerAcl * acl);

/* Whether @principal (a bare name) connected from @host (nullable: then
 * only bindings for any host apply) may do every check of @ops on the
 * resource @name (@len bytes, not NUL-terminated) of @resource_type. */
gboolean rg_broker_acl_authorize (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * host, gint8 resource_type,
    const gchar * name, gsize len, guint ops);

/* rg_broker_acl_authorize() on topics, groups and Metadata's DESCRIBE,
 * for any host. */
gboolean rg_broker_acl_allows (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * topic, gsize len, guint ops);
gboolean rg_broker_acl_allows_group (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * group, gsize len, guint ops);
gboolean rg_broker_acl_describes (const RgBrokerAcl * acl,
    const gchar * principal, const gchar * topic, gsize len);

/* Whether @binding may be created: %FALSE with a message (transfer full)
 * saying what is wrong (Kafka answers INVALID_REQUEST). */
gboolean rg_broker_acl_binding_valid (const RgKafkaAclBinding * binding,
    gchar ** message);
/* Whether @filter is one (no UNKNOWN value, nothing out of range). */
gboolean rg_broker_acl_filter_valid (const RgKafkaAclBinding * filter,
    gchar ** message);

/* Adds the valid @bindings (one already present is not added twice) and
 * writes the file. All or nothing: when the file cannot be written the ACL
 * is left as it was and @error says why. */
gboolean rg_broker_acl_add (RgBrokerAcl * acl,
    const RgKafkaAclBinding * bindings, guint n_bindings, GError ** error);

/* The bindings @filter matches (Kafka's filter semantics: ANY, MATCH,
 * null names), in file order: (transfer full) an array of
 * RgBrokerAclBinding. */
GArray *rg_broker_acl_find (const RgBrokerAcl * acl,
    const RgKafkaAclBinding * filter);

/* Removes the bindings @filter matches and writes the file; returns them
 * as rg_broker_acl_find() does, or NULL with @error (the ACL unchanged)
 * when the file cannot be written. */
GArray *rg_broker_acl_remove (RgBrokerAcl * acl,
    const RgKafkaAclBinding * filter, GError ** error);

G_END_DECLS

#endif /* __RG_BROKER_ACL_H__ */
