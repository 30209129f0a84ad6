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
 * ACLs (the interface and the check mapping are in rgbrokeracl.h).
 *
 * ACL file
 * ========
 * Text, one rule per line, fields separated by blanks; empty lines and
 * lines starting with '#' are ignored:
 *
 *   <principal> <operations> <resource> [allow|deny] [host=<address>]
 *   super <principal>
 *
 *   principal   a user name as it authenticated (SASL user, or the CN of
 *               a TLS client certificate), ANONYMOUS for a client that
 *               did not authenticate, or '*' for anyone (Kafka's
 *               "User:<name>" and "User:*")
 *   operations  a comma-separated list of read, write, create, delete,
 *               alter, describe, cluster_action, describe_configs,
 *               alter_configs, idempotent_write, or all
 *   resource    a topic name (exact), a prefix ending in '*' ("cam.*"),
 *               "topic:" and a name or prefix, "group:" and a consumer
 *               group id or prefix ("group:billing", "group:team-*"),
 *               "transactional-id:" and an id or prefix,
 *               "cluster:kafka-cluster", or '*' alone for every topic
 *               and every group; after a "type:", '*' alone names every
 *               resource of the type ("group:*")
 *   allow|deny  the permission, allow when absent
 *   host=       the client address the rule is for; every address when
 *               absent
 *   super       the principal passes every check (Kafka's super.users)
 *
 * A line of several operations, or with the resource '*', holds one
 * binding per operation and resource type. The first three fields are
 * what the file always had: an older file means what it meant.
 *
 * Writing back
 * ============
 * CreateAcls and DeleteAcls write the whole file again (rg_file_replace():
 * a crash leaves the old file or the new one): every line read is kept as it was, comments
 * included, unless a binding it held was deleted, in which case its
 * remaining bindings are written one a line in its place; created
 * bindings follow at the end, one a line, with the resource always typed
 * ("topic:cam") and the permission and host always written.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "util/rgfile.h"

#include <arpa/inet.h>
#include <string.h>

/* One binding, as stored. */
typedef struct
{
  gint8 type;                   /* RgKafkaResourceType */
  gint8 pattern;                /* LITERAL or PREFIXED */
  gchar *name;                  /* "*" (literal): every resource */
  gchar *principal;             /* a bare name, "*": anyone */
  gchar *host;                  /* "*" or an address */
  gint8 op;                     /* RgKafkaAclOperation */
  gint8 permission;             /* ALLOW or DENY */
  gint line;                    /* the file line it came from, -1: api */
} Rule;

struct _RgBrokerAcl
{
  gchar *path;                  /* NULL: parsed from text, never saved */
  GPtrArray *lines;             /* the lines as read (gchar *) */
  GArray *line_rules;           /* guint: bindings each line held */
  GPtrArray *rules;             /* Rule */
  GPtrArray *supers;            /* bare names */
};

#define OP_BIT(op) (1u << RG_KAFKA_ACL_OP_ ## op)

static const gchar *const op_names[] = {
  NULL, NULL, "all", "read", "write", "create", "delete", "alter",
  "describe", "cluster_action", "describe_configs", "alter_configs",
  "idempotent_write",
};

#define OP_LAST RG_KAFKA_ACL_OP_IDEMPOTENT_WRITE

static const struct
{
  gint8 type;
  const gchar *prefix;
} type_prefixes[] = {
  {RG_KAFKA_RESOURCE_TOPIC, "topic:"},
  {RG_KAFKA_RESOURCE_GROUP, "group:"},
  {RG_KAFKA_RESOURCE_TRANSACTIONAL_ID, "transactional-id:"},
  {RG_KAFKA_RESOURCE_CLUSTER, "cluster:"},
};

static void
rule_free (Rule * r)
{
  g_free (r->name);
  g_free (r->principal);
  g_free (r->host);
  g_free (r);
}

static Rule *
rule_copy (const Rule * r)
{
  Rule *c = g_memdup2 (r, sizeof (Rule));

  c->name = g_strdup (r->name);
  c->principal = g_strdup (r->principal);
  c->host = g_strdup (r->host);
  return c;
}

static gboolean
rule_equal (const Rule * a, const Rule * b)
{
  return a->type == b->type && a->pattern == b->pattern
      && a->op == b->op && a->permission == b->permission
      && strcmp (a->name, b->name) == 0
      && strcmp (a->principal, b->principal) == 0
      && strcmp (a->host, b->host) == 0;
}

/* ---- Parsing ---- */

static gint
op_from_name (const gchar * name)
{
  gint op;

  for (op = RG_KAFKA_ACL_OP_ALL; op <= OP_LAST; op++)
    if (strcmp (op_names[op], name) == 0)
      return op;
  return -1;
}

/* The operations of a comma-separated list, as OP bits; 0 when one is
 * not an operation. */
static guint
parse_ops (const gchar * text)
{
  gchar **names = g_strsplit (text, ",", -1);
  guint i, ops = 0;

  for (i = 0; names[i]; i++) {
    gint op = op_from_name (names[i]);

    if (op < 0) {
      ops = 0;
      break;
    }
    ops |= 1u << op;
  }
  g_strfreev (names);
  return ops;
}

/* A resource name after its type: '*' alone, a prefix ending in '*', or
 * a name; FALSE when empty or with a '*' elsewhere. */
static gboolean
parse_pattern (const gchar * text, gint8 * pattern, gchar ** name)
{
  gsize len = strlen (text);

  if (strcmp (text, "*") == 0) {
    *pattern = RG_KAFKA_PATTERN_LITERAL;
    *name = g_strdup ("*");
    return TRUE;
  }
  *pattern = len > 0 && text[len - 1] == '*' ? RG_KAFKA_PATTERN_PREFIXED :
      RG_KAFKA_PATTERN_LITERAL;
  if (*pattern == RG_KAFKA_PATTERN_PREFIXED)
    len--;
  if (len == 0 || memchr (text, '*', len))
    return FALSE;
  *name = g_strndup (text, len);
  return TRUE;
}

/* A resource field: fills @types (one or two: '*' alone is every topic
 * and every group) and the pattern; FALSE when it is none. */
static gboolean
parse_resource (const gchar * text, gint8 * types, guint * n_types,
    gint8 * pattern, gchar ** name)
{
  guint i;

  *n_types = 1;
  if (strcmp (text, "*") == 0) {
    types[0] = RG_KAFKA_RESOURCE_TOPIC;
    types[1] = RG_KAFKA_RESOURCE_GROUP;
    *n_types = 2;
    return parse_pattern (text, pattern, name);
  }
  types[0] = RG_KAFKA_RESOURCE_TOPIC;
  for (i = 0; i < G_N_ELEMENTS (type_prefixes); i++) {
    if (g_str_has_prefix (text, type_prefixes[i].prefix)) {
      types[0] = type_prefixes[i].type;
      text += strlen (type_prefixes[i].prefix);
      break;
    }
  }
  if (!parse_pattern (text, pattern, name))
    return FALSE;
  if (types[0] == RG_KAFKA_RESOURCE_CLUSTER
      && (*pattern != RG_KAFKA_PATTERN_LITERAL
          || strcmp (*name, RG_BROKER_ACL_CLUSTER_NAME) != 0)) {
    g_clear_pointer (name, g_free);
    return FALSE;
  }
  return TRUE;
}

/* The optional fields after the resource. */
static gboolean
parse_options (gchar ** f, gint8 * permission, gchar ** host)
{
  for (; *f; f++) {
    if (strcmp (*f, "allow") == 0)
      *permission = RG_KAFKA_ACL_PERMISSION_ALLOW;
    else if (strcmp (*f, "deny") == 0)
      *permission = RG_KAFKA_ACL_PERMISSION_DENY;
    else if (g_str_has_prefix (*f, "host=") && (*f)[5] != '\0') {
      g_free (*host);
      *host = g_strdup (*f + 5);
    } else
      return FALSE;
  }
  return TRUE;
}

/* Adds the bindings of one rule line (fields @f); FALSE when it is not
 * one. */
static gboolean
parse_rule (RgBrokerAcl * acl, gchar ** f, gint line, guint * added)
{
  gint8 types[2], pattern, permission = RG_KAFKA_ACL_PERMISSION_ALLOW;
  guint ops = parse_ops (f[1]), n_types, i;
  gchar *name = NULL, *host = g_strdup ("*");
  gint op;

  if (ops == 0 || !parse_resource (f[2], types, &n_types, &pattern, &name)
      || !parse_options (f + 3, &permission, &host)) {
    g_free (name);
    g_free (host);
    return FALSE;
  }
  for (i = 0; i < n_types; i++) {
    for (op = RG_KAFKA_ACL_OP_ALL; op <= OP_LAST; op++) {
      Rule *r;

      if (!(ops & (1u << op)))
        continue;
      r = g_new0 (Rule, 1);
      r->type = types[i];
      r->pattern = pattern;
      r->name = g_strdup (name);
      r->principal = g_strdup (f[0]);
      r->host = g_strdup (host);
      r->op = op;
      r->permission = permission;
      r->line = line;
      g_ptr_array_add (acl->rules, r);
      (*added)++;
    }
  }
  g_free (name);
  g_free (host);
  return TRUE;
}

/* One line: a comment, a super user or a rule. */
static gboolean
parse_line (RgBrokerAcl * acl, const gchar * text, gint line)
{
  gchar *copy = g_strstrip (g_strdup (text));
  gboolean ok = TRUE;
  guint added = 0, n;
  gchar **f;

  if (*copy != '\0' && *copy != '#') {
    f = g_regex_split_simple ("[ \t]+", copy, 0, 0);
    n = g_strv_length (f);
    if (n == 2 && strcmp (f[0], "super") == 0)
      g_ptr_array_add (acl->supers, g_strdup (f[1]));
    else
      ok = n >= 3 && n <= 5 && parse_rule (acl, f, line, &added);
    g_strfreev (f);
  }
  g_free (copy);
  g_ptr_array_add (acl->lines, g_strdup (text));
  g_array_append_val (acl->line_rules, added);
  return ok;
}

static RgBrokerAcl *
acl_new (void)
{
  RgBrokerAcl *acl = g_new0 (RgBrokerAcl, 1);

  acl->lines = g_ptr_array_new_with_free_func (g_free);
  acl->line_rules = g_array_new (FALSE, FALSE, sizeof (guint));
  acl->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  acl->supers = g_ptr_array_new_with_free_func (g_free);
  return acl;
}

RgBrokerAcl *
rg_broker_acl_parse (const gchar * text, const gchar * origin,
    GError ** error)
{
  RgBrokerAcl *acl = acl_new ();
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i, n = g_strv_length (lines);

  /* A final newline ends the last line; it does not start another. */
  if (n > 0 && lines[n - 1][0] == '\0')
    n--;
  for (i = 0; i < n; i++) {
    if (!parse_line (acl, lines[i], i)) {
      g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SECURITY,
          "%s:%u: not an ACL rule (expected \"principal|* operations "
          "resource [allow|deny] [host=address]\" or \"super principal\")",
          origin, i + 1);
      g_strfreev (lines);
      rg_broker_acl_free (acl);
      return NULL;
    }
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
  if (acl)
    acl->path = g_strdup (path);
  return acl;
}

void
rg_broker_acl_free (RgBrokerAcl * acl)
{
  if (!acl)
    return;
  g_free (acl->path);
  g_ptr_array_unref (acl->lines);
  g_array_unref (acl->line_rules);
  g_ptr_array_unref (acl->rules);
  g_ptr_array_unref (acl->supers);
  g_free (acl);
}

/* ---- Checks ---- */

/* The operations whose allow grants @check on a resource of @type, and
 * those whose deny refuses it. */
static void
check_ops (guint check, gint8 type, guint * allow, guint * deny)
{
  gboolean topic = type == RG_KAFKA_RESOURCE_TOPIC;

  *allow = *deny = OP_BIT (ALL);
  switch (check) {
    case RG_BROKER_ACL_READ:
      *deny |= OP_BIT (READ);
      break;
    case RG_BROKER_ACL_WRITE:
      *deny |= OP_BIT (WRITE);
      break;
    case RG_BROKER_ACL_CREATE:
      *deny |= OP_BIT (CREATE);
      break;
    case RG_BROKER_ACL_DELETE:
      *deny |= OP_BIT (DELETE);
      *allow |= topic ? OP_BIT (CREATE) : 0;
      break;
    case RG_BROKER_ACL_ALTER:
      *deny |= OP_BIT (ALTER);
      *allow |= topic ? OP_BIT (CREATE) : 0;
      break;
    case RG_BROKER_ACL_DESCRIBE_CONFIGS:
      *deny |= OP_BIT (DESCRIBE_CONFIGS);
      *allow |= OP_BIT (ALTER_CONFIGS);
      break;
    case RG_BROKER_ACL_ALTER_CONFIGS:
      *deny |= OP_BIT (ALTER_CONFIGS);
      break;
    default:
      *deny |= OP_BIT (DESCRIBE);
      *allow |= OP_BIT (READ) | OP_BIT (WRITE) | OP_BIT (DELETE)
          | OP_BIT (ALTER);
      break;
  }
  *allow |= *deny;
}

static gboolean
is_offsets_topic (gint8 type, const gchar * name, gsize len)
{
  return type == RG_KAFKA_RESOURCE_TOPIC
      && len == strlen (RG_BROKER_ACL_OFFSETS_TOPIC)
      && memcmp (name, RG_BROKER_ACL_OFFSETS_TOPIC, len) == 0;
}

/* Whether @r's pattern covers the resource @name (@len bytes). */
static gboolean
rule_covers (const Rule * r, gint8 type, const gchar * name, gsize len)
{
  gsize n = strlen (r->name);
  gboolean exact;

  if (r->type != type)
    return FALSE;
  exact = r->pattern == RG_KAFKA_PATTERN_LITERAL && len == n
      && memcmp (name, r->name, n) == 0;
  /* Only a rule naming the offsets topic allows it; any deny refuses. */
  if (!exact && r->permission == RG_KAFKA_ACL_PERMISSION_ALLOW
      && is_offsets_topic (type, name, len))
    return FALSE;
  if (r->pattern == RG_KAFKA_PATTERN_PREFIXED)
    return len >= n && memcmp (name, r->name, n) == 0;
  return exact || strcmp (r->name, "*") == 0;
}

static gboolean
rule_applies (const Rule * r, const gchar * principal, const gchar * host)
{
  if (strcmp (r->principal, "*") != 0 && strcmp (r->principal, principal))
    return FALSE;
  return strcmp (r->host, "*") == 0 || (host && strcmp (r->host, host) == 0);
}

static gboolean
is_super (const RgBrokerAcl * acl, const gchar * principal)
{
  guint i;

  for (i = 0; i < acl->supers->len; i++)
    if (strcmp (g_ptr_array_index (acl->supers, i), principal) == 0)
      return TRUE;
  return FALSE;
}

/* One check: no deny, and an allow. */
static gboolean
authorize_one (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * host, gint8 type, const gchar * name, gsize len,
    guint check)
{
  gboolean allowed = FALSE;
  guint allow, deny, i;

  check_ops (check, type, &allow, &deny);
  for (i = 0; i < acl->rules->len; i++) {
    const Rule *r = g_ptr_array_index (acl->rules, i);
    gboolean deny_rule = r->permission == RG_KAFKA_ACL_PERMISSION_DENY;

    if (!((deny_rule ? deny : allow) & (1u << r->op))
        || !rule_applies (r, principal, host)
        || !rule_covers (r, type, name, len))
      continue;
    if (deny_rule)
      return FALSE;
    allowed = TRUE;
  }
  return allowed;
}

gboolean
rg_broker_acl_authorize (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * host, gint8 resource_type, const gchar * name, gsize len,
    guint ops)
{
  guint check;

  if (is_super (acl, principal))
    return TRUE;
  for (check = 1; check <= RG_BROKER_ACL_LAST_CHECK; check <<= 1)
    if ((ops & check) && !authorize_one (acl, principal, host,
            resource_type, name, len, check))
      return FALSE;
  return TRUE;
}

gboolean
rg_broker_acl_allows (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * topic, gsize len, guint ops)
{
  return rg_broker_acl_authorize (acl, principal, NULL,
      RG_KAFKA_RESOURCE_TOPIC, topic, len, ops);
}

gboolean
rg_broker_acl_allows_group (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * group, gsize len, guint ops)
{
  return rg_broker_acl_authorize (acl, principal, NULL,
      RG_KAFKA_RESOURCE_GROUP, group, len, ops);
}

gboolean
rg_broker_acl_describes (const RgBrokerAcl * acl, const gchar * principal,
    const gchar * topic, gsize len)
{
  return rg_broker_acl_authorize (acl, principal, NULL,
      RG_KAFKA_RESOURCE_TOPIC, topic, len, RG_BROKER_ACL_DESCRIBE);
}

/* ---- Bindings as the apis see them ---- */

#define USER_TYPE "User:"

void
rg_broker_acl_binding_clear (gpointer binding)
{
  RgBrokerAclBinding *b = binding;

  g_free (b->resource_name);
  g_free (b->principal);
  g_free (b->host);
}

static gboolean
str_has_blank (RgKafkaStr s)
{
  gint32 i;

  for (i = 0; i < s.len; i++)
    if (g_ascii_isspace (s.data[i]) || s.data[i] == '\0')
      return TRUE;
  return FALSE;
}

static gboolean
str_has_prefix (RgKafkaStr s, const gchar * prefix)
{
  gsize n = strlen (prefix);

  return s.len >= 0 && (gsize) s.len >= n && memcmp (s.data, prefix, n) == 0;
}

/* The bare user name of a "User:<name>" principal, NULL for another. */
static gchar *
principal_name (RgKafkaStr principal)
{
  if (!str_has_prefix (principal, USER_TYPE))
    return NULL;
  return g_strndup (principal.data + strlen (USER_TYPE),
      principal.len - strlen (USER_TYPE));
}

/* "*" or the canonical text of an address; NULL when @host is neither. */
static gchar *
host_canonical (RgKafkaStr host)
{
  gchar *text = rg_kafka_str_dup (host), *canonical = NULL;
  gchar out[INET6_ADDRSTRLEN];
  guint8 address[16];

  if (text && strcmp (text, "*") == 0)
    return text;
  if (text && inet_pton (AF_INET, text, address) == 1
      && inet_ntop (AF_INET, address, out, sizeof (out)))
    canonical = g_strdup (out);
  else if (text && inet_pton (AF_INET6, text, address) == 1
      && inet_ntop (AF_INET6, address, out, sizeof (out)))
    canonical = g_strdup (out);
  g_free (text);
  return canonical;
}

static gboolean
name_valid (const RgKafkaAclBinding * b, gchar ** message)
{
  RgKafkaStr n = b->resource_name;
  gboolean wildcard = n.len == 1 && n.data[0] == '*';

  if (n.len <= 0 || str_has_blank (n)
      || (!wildcard && memchr (n.data, '*', n.len))
      || (wildcard && b->pattern_type != RG_KAFKA_PATTERN_LITERAL))
    *message = g_strdup ("The resource name must not be empty, hold a "
        "blank, or a '*' unless it is the literal '*'");
  else if (b->resource_type == RG_KAFKA_RESOURCE_CLUSTER
      && (b->pattern_type != RG_KAFKA_PATTERN_LITERAL
          || !rg_kafka_str_equal (n, RG_BROKER_ACL_CLUSTER_NAME)))
    *message = g_strdup ("The cluster resource is the literal "
        "'" RG_BROKER_ACL_CLUSTER_NAME "'");
  return *message == NULL;
}

gboolean
rg_broker_acl_binding_valid (const RgKafkaAclBinding * b, gchar ** message)
{
  gchar *user = principal_name (b->principal), *host = host_canonical
      (b->host);

  *message = NULL;
  if (b->resource_type < RG_KAFKA_RESOURCE_TOPIC
      || b->resource_type > RG_KAFKA_RESOURCE_TRANSACTIONAL_ID)
    *message = g_strdup_printf ("Resource type %d is not one this broker "
        "authorizes (topic, group, cluster, transactional id)",
        b->resource_type);
  else if (b->pattern_type != RG_KAFKA_PATTERN_LITERAL
      && b->pattern_type != RG_KAFKA_PATTERN_PREFIXED)
    *message = g_strdup ("The pattern type must be LITERAL or PREFIXED");
  else if (!name_valid (b, message));
  else if (!user || *user == '\0' || *user == '#'
      || str_has_blank (b->principal))
    *message = g_strdup ("The principal must be User:<name>, a name "
        "without blanks");
  else if (!host)
    *message = g_strdup ("The host must be '*' or an IP address");
  else if (b->operation < RG_KAFKA_ACL_OP_ALL || b->operation > OP_LAST)
    *message = g_strdup_printf ("Operation %d cannot be granted",
        b->operation);
  else if (b->permission != RG_KAFKA_ACL_PERMISSION_ALLOW
      && b->permission != RG_KAFKA_ACL_PERMISSION_DENY)
    *message = g_strdup ("The permission must be ALLOW or DENY");
  g_free (user);
  g_free (host);
  return *message == NULL;
}

gboolean
rg_broker_acl_filter_valid (const RgKafkaAclBinding * f, gchar ** message)
{
  *message = NULL;
  if (f->resource_type < RG_KAFKA_RESOURCE_ANY
      || f->resource_type > RG_KAFKA_RESOURCE_USER
      || f->pattern_type < RG_KAFKA_PATTERN_ANY
      || f->pattern_type > RG_KAFKA_PATTERN_PREFIXED
      || f->operation < RG_KAFKA_ACL_OP_ANY
      || f->operation > RG_KAFKA_ACL_OP_DESCRIBE_TOKENS
      || f->permission < RG_KAFKA_ACL_PERMISSION_ANY
      || f->permission > RG_KAFKA_ACL_PERMISSION_ALLOW)
    *message = g_strdup ("The filter holds an UNKNOWN or out-of-range "
        "resource type, pattern type, operation or permission");
  return *message == NULL;
}

static Rule *
rule_from_binding (const RgKafkaAclBinding * b)
{
  Rule *r = g_new0 (Rule, 1);

  r->type = b->resource_type;
  r->pattern = b->pattern_type;
  r->name = rg_kafka_str_dup (b->resource_name);
  r->principal = principal_name (b->principal);
  r->host = host_canonical (b->host);
  r->op = b->operation;
  r->permission = b->permission;
  r->line = -1;
  return r;
}

static RgBrokerAclBinding
binding_from_rule (const Rule * r)
{
  RgBrokerAclBinding b;

  b.resource_type = r->type;
  b.pattern_type = r->pattern;
  b.resource_name = g_strdup (r->name);
  b.principal = g_strconcat (USER_TYPE, r->principal, NULL);
  b.host = g_strdup (r->host);
  b.operation = r->op;
  b.permission = r->permission;
  return b;
}

/* Kafka's filter semantics: ANY matches every value, a null string every
 * name; MATCH finds the bindings that apply to the resource named (its
 * literal, the wildcard, the prefixes of its name). */
static gboolean
filter_name_matches (const RgKafkaAclBinding * f, const Rule * r)
{
  RgKafkaStr n = f->resource_name;

  if (n.len < 0)
    return TRUE;
  if (f->pattern_type != RG_KAFKA_PATTERN_MATCH)
    return rg_kafka_str_equal (n, r->name);
  if (r->pattern == RG_KAFKA_PATTERN_LITERAL)
    return rg_kafka_str_equal (n, r->name) || strcmp (r->name, "*") == 0;
  return str_has_prefix (n, r->name);
}

static gboolean
filter_matches (const RgKafkaAclBinding * f, const Rule * r)
{
  if (f->resource_type != RG_KAFKA_RESOURCE_ANY
      && f->resource_type != r->type)
    return FALSE;
  if (f->pattern_type != RG_KAFKA_PATTERN_ANY
      && f->pattern_type != RG_KAFKA_PATTERN_MATCH
      && f->pattern_type != r->pattern)
    return FALSE;
  if (!filter_name_matches (f, r))
    return FALSE;
  if (f->principal.len >= 0) {
    gchar *user = principal_name (f->principal);
    gboolean same = user && strcmp (user, r->principal) == 0;

    g_free (user);
    if (!same)
      return FALSE;
  }
  if (f->host.len >= 0 && !rg_kafka_str_equal (f->host, r->host))
    return FALSE;
  return (f->operation == RG_KAFKA_ACL_OP_ANY || f->operation == r->op)
      && (f->permission == RG_KAFKA_ACL_PERMISSION_ANY
      || f->permission == r->permission);
}

/* ---- Writing the file back ---- */

static void
render_rule (GString * out, const Rule * r)
{
  const gchar *prefix = "topic:";
  guint i;

  for (i = 0; i < G_N_ELEMENTS (type_prefixes); i++)
    if (type_prefixes[i].type == r->type)
      prefix = type_prefixes[i].prefix;
  g_string_append_printf (out, "%s %s %s%s%s %s host=%s\n", r->principal,
      op_names[r->op], prefix, r->name,
      r->pattern == RG_KAFKA_PATTERN_PREFIXED ? "*" : "",
      r->permission == RG_KAFKA_ACL_PERMISSION_DENY ? "deny" : "allow",
      r->host);
}

/* The file holding @rules: the lines read, each as it was while it holds
 * all its bindings, else what remains of it; then the new bindings. */
static gchar *
render (const RgBrokerAcl * acl, GPtrArray * rules)
{
  GString *out = g_string_new (NULL);
  guint *alive = g_new0 (guint, acl->lines->len + 1);
  guint i, j;

  for (j = 0; j < rules->len; j++) {
    const Rule *r = g_ptr_array_index (rules, j);

    if (r->line >= 0)
      alive[r->line]++;
  }
  for (i = 0; i < acl->lines->len; i++) {
    if (alive[i] == g_array_index (acl->line_rules, guint, i)) {
      g_string_append_printf (out, "%s\n",
          (const gchar *) g_ptr_array_index (acl->lines, i));
      continue;
    }
    for (j = 0; j < rules->len; j++) {
      const Rule *r = g_ptr_array_index (rules, j);

      if (r->line == (gint) i)
        render_rule (out, r);
    }
  }
  for (j = 0; j < rules->len; j++) {
    const Rule *r = g_ptr_array_index (rules, j);

    if (r->line < 0)
      render_rule (out, r);
  }
  g_free (alive);
  return g_string_free (out, FALSE);
}

static gboolean
save (const RgBrokerAcl * acl, GPtrArray * rules, GError ** error)
{
  gchar *text;
  gboolean ok;

  if (!acl->path)
    return TRUE;
  text = render (acl, rules);
  ok = rg_file_replace (acl->path, text, strlen (text), error);
  g_free (text);
  return ok;
}

/* ---- Changes ---- */

static gboolean
holds (GPtrArray * rules, const Rule * r)
{
  guint i;

  for (i = 0; i < rules->len; i++)
    if (rule_equal (g_ptr_array_index (rules, i), r))
      return TRUE;
  return FALSE;
}

gboolean
rg_broker_acl_add (RgBrokerAcl * acl, const RgKafkaAclBinding * bindings,
    guint n_bindings, GError ** error)
{
  guint before = acl->rules->len, i;

  for (i = 0; i < n_bindings; i++) {
    Rule *r = rule_from_binding (&bindings[i]);

    if (holds (acl->rules, r))
      rule_free (r);
    else
      g_ptr_array_add (acl->rules, r);
  }
  if (acl->rules->len == before || save (acl, acl->rules, error))
    return TRUE;
  g_ptr_array_set_size (acl->rules, before);
  return FALSE;
}

GArray *
rg_broker_acl_find (const RgBrokerAcl * acl, const RgKafkaAclBinding * filter)
{
  GArray *found = g_array_new (FALSE, FALSE, sizeof (RgBrokerAclBinding));
  guint i;

  g_array_set_clear_func (found, rg_broker_acl_binding_clear);
  for (i = 0; i < acl->rules->len; i++) {
    const Rule *r = g_ptr_array_index (acl->rules, i);

    if (filter_matches (filter, r)) {
      RgBrokerAclBinding b = binding_from_rule (r);

      g_array_append_val (found, b);
    }
  }
  return found;
}

GArray *
rg_broker_acl_remove (RgBrokerAcl * acl, const RgKafkaAclBinding * filter,
    GError ** error)
{
  GArray *found = rg_broker_acl_find (acl, filter);
  GPtrArray *kept;
  guint i;

  if (found->len == 0)
    return found;
  kept = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  for (i = 0; i < acl->rules->len; i++) {
    const Rule *r = g_ptr_array_index (acl->rules, i);

    if (!filter_matches (filter, r))
      g_ptr_array_add (kept, rule_copy (r));
  }
  if (!save (acl, kept, error)) {
    g_ptr_array_unref (kept);
    g_array_unref (found);
    return NULL;
  }
  g_ptr_array_unref (acl->rules);
  acl->rules = kept;
  return found;
}
