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
 * Topic ACLs (the interface is rgbrokeracl.h).
 *
 * ACL file
 * ========
 * Text, one rule per line, three fields separated by blanks; empty lines
 * and lines starting with '#' are ignored:
 *
 *   <principal> <operations> <topics>
 *
 *   principal   a user name as it authenticated (SASL user, or the CN of
 *               a TLS client certificate), ANONYMOUS for a client that
 *               did not authenticate, or '*' for anyone
 *   operations  a comma-separated list of read, write, create, or all
 *   resource    a topic name (exact), a prefix ending in '*' ("cam.*"),
 *               "group:" and a consumer group id or prefix
 *               ("group:billing", "group:team-*"), or '*' for every topic
 *               and every group
 *
 * Only allow rules exist: a principal may do on a topic what the rules
 * matching both grant together, and nothing else. What each operation
 * covers:
 *  - read: Fetch and ListOffsets of the topic, and seeing it in Metadata;
 *  - write: Produce into it (an ingest topic only: the topics a pipeline
 *    serves refuse every client's Produce whatever the ACL says), and
 *    seeing it in Metadata;
 *  - create: a Metadata or Produce naming an ingest topic that does not
 *    exist creates it (with auto-creation on, ingest=true), and
 *    CreateTopics and DeleteTopics may create and delete it (the ingest
 *    topics a principal may bring into being are the ones whose life it
 *    owns; a separate delete operation would change what existing ACL
 *    files mean);
 *  - read on a group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 *    OffsetCommit, OffsetFetch and DescribeGroups of it, and seeing it in
 *    ListGroups (Kafka asks read on the group for these too). Committing
 *    or fetching a topic's offsets also needs read on that topic.
 * '*' is not a character of topic names, so it cannot clash with one.
 * The raw offsets topic, __consumer_offsets, is matched
 * only by a rule that names it exactly: a prefix or '*' rule does not
 * make committed offsets readable.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"

#include <string.h>

typedef struct
{
  gchar *principal;             /* NULL: anyone */
  guint ops;
  gchar *topic;                 /* the name or the prefix; NULL: every */
  gboolean prefix;
  gboolean group;               /* @topic names a consumer group */
} RgBrokerAclRule;

struct _RgBrokerAcl
{
  GPtrArray *rules;
};

static void
rule_free (RgBrokerAclRule * r)
{
  g_free (r->principal);
  g_free (r->topic);
  g_free (r);
}

static gboolean
parse_ops (const gchar * text, guint * ops)
{
  gchar **names = g_strsplit (text, ",", -1);
  gboolean ok = names[0] != NULL;
  guint i;

  *ops = 0;
  for (i = 0; ok && names[i]; i++) {
    if (strcmp (names[i], "read") == 0)
      *ops |= RG_BROKER_ACL_READ;
    else if (strcmp (names[i], "write") == 0)
      *ops |= RG_BROKER_ACL_WRITE;
    else if (strcmp (names[i], "create") == 0)
      *ops |= RG_BROKER_ACL_CREATE;
    else if (strcmp (names[i], "all") == 0)
      *ops |= RG_BROKER_ACL_ALL;
    else
      ok = FALSE;
  }
  g_strfreev (names);
  return ok;
}

static RgBrokerAclRule *
rule_parse (gchar ** f)
{
  RgBrokerAclRule *r = g_new0 (RgBrokerAclRule, 1);
  gsize len = strlen (f[2]);

  if (!parse_ops (f[1], &r->ops)) {
    rule_free (r);
    return NULL;
  }
  if (strcmp (f[0], "*") != 0)
    r->principal = g_strdup (f[0]);
  if (strcmp (f[2], "*") != 0) {
    const gchar *name = f[2];

    r->group = g_str_has_prefix (name, RG_BROKER_ACL_GROUP_PREFIX);
    if (r->group) {
      name += strlen (RG_BROKER_ACL_GROUP_PREFIX);
      len -= strlen (RG_BROKER_ACL_GROUP_PREFIX);
    }
    r->prefix = len > 0 && name[len - 1] == '*';
    r->topic = g_strndup (name, r->prefix ? len - 1 : len);
    /* One '*' only, and only at the end. */
    if (strchr (r->topic, '*')) {
      rule_free (r);
      return NULL;
    }
  }
  return r;
}

RgBrokerAcl *
rg_broker_acl_parse (const gchar * text, const gchar * origin,
    GError ** error)
{
  RgBrokerAcl *acl = g_new0 (RgBrokerAcl, 1);
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i;

  acl->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  for (i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);
    RgBrokerAclRule *r = NULL;
    gchar **f;

    if (*line == '\0' || *line == '#')
      continue;
    f = g_regex_split_simple ("[ \t]+", line, 0, 0);
    if (g_strv_length (f) == 3)
      r = rule_parse (f);
    g_strfreev (f);
    if (!r) {
      g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
          "%s:%u: not an ACL rule (expected \"principal|* "
          "read,write,create|all topic|prefix*|group:id|*\")", origin, i + 1);
      g_strfreev (lines);
      rg_broker_acl_free (acl);
      return NULL;
    }
    g_ptr_array_add (acl->rules, r);
  }
  g_strfreev (lines);
  return acl;
}

RgBrokerAcl *
rg_broker_acl_load (const gchar * path, GError ** error)
{
  RgBrokerAcl *acl;
  gchar *text;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  acl = rg_broker_acl_parse (text, path, error);
  g_free (text);
  return acl;
}

void
rg_broker_acl_free (RgBrokerAcl * acl)
{
  if (!acl)
    return;
  g_ptr_array_unref (acl->rules);
  g_free (acl);
}

static gboolean
rule_matches (const RgBrokerAclRule * r, gboolean group, const gchar * topic,
    gsize len)
{
  gsize n;
  gboolean offsets = !group && len == strlen (RG_BROKER_ACL_OFFSETS_TOPIC)
      && memcmp (topic, RG_BROKER_ACL_OFFSETS_TOPIC, len) == 0;

  if (!r->topic)
    return !offsets;
  if (r->group != group)
    return FALSE;
  n = strlen (r->topic);
  if (r->prefix)
    return !offsets && len >= n && memcmp (topic, r->topic, n) == 0;
  return len == n && memcmp (topic, r->topic, n) == 0;
}

static guint
acl_granted (const RgBrokerAcl * acl, const gchar * principal,
    gboolean group, const gchar * topic, gsize len)
{
  guint i, ops = 0;

  for (i = 0; i < acl->rules->len; i++) {
    const RgBrokerAclRule *r = g_ptr_array_index (acl->rules, i);

    if (r->principal && strcmp (r->principal, principal) != 0)
      continue;
    if (rule_matches (r, group, topic, len))
      ops |= r->ops;
  }
  return ops;
}

gboolean
rg_broker_acl_allows (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * topic, gsize len, guint ops)
{
  return (acl_granted (acl, principal, FALSE, topic, len) & ops) == ops;
}

gboolean
rg_broker_acl_allows_group (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * group, gsize len, guint ops)
{
  return (acl_granted (acl, principal, TRUE, group, len) & ops) == ops;
}

gboolean
rg_broker_acl_describes (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * topic, gsize len)
{
  return (acl_granted (acl, principal, FALSE, topic, len) &
      (RG_BROKER_ACL_READ | RG_BROKER_ACL_WRITE)) != 0;
}
