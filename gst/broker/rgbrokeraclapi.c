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
 * The ACL apis (contract in rgbrokeraclapi.h), as Kafka's broker answers
 * them:
 *  - Without an acl-file the broker has no authorizer: every request gets
 *    SECURITY_DISABLED (54) with a message saying to set acl-file.
 *  - DescribeAcls needs describe on the cluster, CreateAcls and DeleteAcls
 *    alter on it (resource "cluster:kafka-cluster" in the file; a super
 *    user passes); else CLUSTER_AUTHORIZATION_FAILED (31) for the request,
 *    each creation or each filter, and nothing changes.
 *  - A creation or filter the model cannot hold (rgbrokeracl.h: resource
 *    types topic, group, cluster, transactional id; User: principals; '*'
 *    or an address as host) gets INVALID_REQUEST (42) with the reason;
 *    the others of the request are still applied.
 *  - Creations and deletions are written back to the acl-file before the
 *    answer; a file that cannot be written fails them with
 *    UNKNOWN_SERVER_ERROR (-1) and the error, and the ACL stays as it
 *    was. A binding created twice is stored once (no error, as Kafka).
 * The changes apply to the next request of every connection: every check
 * runs on this same loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "broker/rgbrokeraclapi.h"

#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

#define NO_AUTHORIZER_MESSAGE "No authorizer is configured on the broker: " \
  "set the acl-file property of rgbrokersink to use the ACL apis"

/* Whether the client may call an ACL api that needs @check on the
 * cluster: 0, or the error with its message. */
static gint16
gate (const RgBrokerRequestContext * ctx, guint check, const gchar ** message)
{
  *message = NULL;
  if (!ctx->acl) {
    *message = NO_AUTHORIZER_MESSAGE;
    return RG_KAFKA_ACLS_SECURITY_DISABLED;
  }
  if (!rg_broker_acl_authorize (ctx->acl, ctx->principal, ctx->peer_host,
          RG_KAFKA_RESOURCE_CLUSTER, RG_BROKER_ACL_CLUSTER_NAME,
          strlen (RG_BROKER_ACL_CLUSTER_NAME), check)) {
    *message = check == RG_BROKER_ACL_DESCRIBE ?
        "Not authorized to describe ACLs (needs describe on the cluster)" :
        "Not authorized to change ACLs (needs alter on the cluster)";
    return RG_KAFKA_ACLS_CLUSTER_AUTHORIZATION_FAILED;
  }
  return 0;
}

/* Views of the store's bindings, for the builders. */
static RgKafkaAclBinding *
binding_views (GArray * found)
{
  RgKafkaAclBinding *views = g_new0 (RgKafkaAclBinding, MAX (found->len,
          1));
  guint i;

  for (i = 0; i < found->len; i++) {
    const RgBrokerAclBinding *b = &g_array_index (found, RgBrokerAclBinding,
        i);

    views[i].resource_type = b->resource_type;
    views[i].resource_name = rg_kafka_str_from_cstr (b->resource_name);
    views[i].pattern_type = b->pattern_type;
    views[i].principal = rg_kafka_str_from_cstr (b->principal);
    views[i].host = rg_kafka_str_from_cstr (b->host);
    views[i].operation = b->operation;
    views[i].permission = b->permission;
    views[i].error_message = RG_KAFKA_STR_NULL;
  }
  return views;
}

/* ---- DescribeAcls ---- */

RgBrokerHandleResult
rg_broker_acl_api_describe (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAclBinding *filter = req->body.other.body;
  const gchar *message;
  gchar *invalid = NULL;
  GArray *found = NULL;
  RgKafkaAclBinding *views;
  RgKafkaResponse *resp;
  GError *error = NULL;
  gint16 code;

  code = gate (ctx, RG_BROKER_ACL_DESCRIBE, &message);
  if (code == 0 && !rg_broker_acl_filter_valid (filter, &invalid)) {
    code = RG_KAFKA_ACLS_INVALID_REQUEST;
    message = invalid;
  }
  if (code == 0)
    found = rg_broker_acl_find (ctx->acl, filter);
  views = found ? binding_views (found) : NULL;
  resp = rg_kafka_build_describe_acls_response (req->header.correlation_id,
      req->header.api_version, 0, code, rg_kafka_str_from_cstr (message),
      views, found ? found->len : 0, &error);
  g_free (views);
  g_free (invalid);
  if (found)
    g_array_unref (found);
  return rg_broker_answer (resp, error, "DescribeAcls", ctx, out);
}

/* ---- CreateAcls ---- */

/* Adds the valid creations (@valid, at @valid_index in the request) in
 * one change of the file; when it cannot be written, each of them fails
 * with the reason, which @messages keeps alive for the response. */
static void
add_valid (const RgBrokerRequestContext * ctx, GArray * valid,
    GArray * valid_index, RgKafkaAclResult * results, GPtrArray * messages)
{
  GError *error = NULL;
  guint i;

  if (rg_broker_acl_add (ctx->acl, (const RgKafkaAclBinding *) valid->data,
          valid->len, &error)) {
    GST_INFO ("client %s (%s): created %u ACL(s)", ctx->peer,
        ctx->principal, valid->len);
    return;
  }
  GST_WARNING ("client %s: CreateAcls: %s", ctx->peer, error->message);
  g_ptr_array_add (messages, g_strdup (error->message));
  for (i = 0; i < valid_index->len; i++) {
    RgKafkaAclResult *r = &results[g_array_index (valid_index, guint, i)];

    r->error_code = RG_KAFKA_UNKNOWN_SERVER_ERROR;
    r->error_message = rg_kafka_str_from_cstr (g_ptr_array_index (messages,
            messages->len - 1));
  }
  g_error_free (error);
}

RgBrokerHandleResult
rg_broker_acl_api_create (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAclBindings *c = req->body.other.body;
  RgKafkaAclResult *results = g_new0 (RgKafkaAclResult, MAX (c->n_bindings,
          1));
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_free);
  GArray *valid = g_array_new (FALSE, FALSE, sizeof (RgKafkaAclBinding));
  GArray *valid_index = g_array_new (FALSE, FALSE, sizeof (guint));
  const gchar *message;
  RgKafkaResponse *resp;
  GError *error = NULL;
  gint16 code;
  guint i;

  code = gate (ctx, RG_BROKER_ACL_ALTER, &message);
  for (i = 0; i < c->n_bindings; i++) {
    gchar *invalid = NULL;

    results[i].error_code = code;
    results[i].error_message = rg_kafka_str_from_cstr (message);
    if (code != 0)
      continue;
    if (!rg_broker_acl_binding_valid (&c->bindings[i], &invalid)) {
      g_ptr_array_add (messages, invalid);
      results[i].error_code = RG_KAFKA_ACLS_INVALID_REQUEST;
      results[i].error_message = rg_kafka_str_from_cstr (invalid);
      continue;
    }
    g_array_append_val (valid, c->bindings[i]);
    g_array_append_val (valid_index, i);
  }
  if (valid->len > 0)
    add_valid (ctx, valid, valid_index, results, messages);
  resp = rg_kafka_build_create_acls_response (req->header.correlation_id,
      req->header.api_version, 0, results, c->n_bindings, &error);
  g_free (results);
  g_ptr_array_unref (messages);
  g_array_unref (valid);
  g_array_unref (valid_index);
  return rg_broker_answer (resp, error, "CreateAcls", ctx, out);
}

/* ---- DeleteAcls ---- */

/* Applies one filter: its result, and what it keeps alive for the
 * response: messages in @held, the removed bindings in @arrays. */
static void
delete_one (const RgBrokerRequestContext * ctx,
    const RgKafkaAclBinding * filter, gint16 code, const gchar * message,
    GPtrArray * held, GPtrArray * arrays, RgKafkaAclFilterResult * r)
{
  gchar *invalid = NULL;
  GError *error = NULL;
  GArray *removed;

  r->error_code = code;
  r->error_message = rg_kafka_str_from_cstr (message);
  if (code != 0)
    return;
  if (!rg_broker_acl_filter_valid (filter, &invalid)) {
    g_ptr_array_add (held, invalid);
    r->error_code = RG_KAFKA_ACLS_INVALID_REQUEST;
    r->error_message = rg_kafka_str_from_cstr (invalid);
    return;
  }
  removed = rg_broker_acl_remove (ctx->acl, filter, &error);
  if (!removed) {
    GST_WARNING ("client %s: DeleteAcls: %s", ctx->peer, error->message);
    g_ptr_array_add (held, g_strdup (error->message));
    r->error_code = RG_KAFKA_UNKNOWN_SERVER_ERROR;
    r->error_message = rg_kafka_str_from_cstr (g_ptr_array_index (held,
            held->len - 1));
    g_error_free (error);
    return;
  }
  if (removed->len > 0)
    GST_INFO ("client %s (%s): deleted %u ACL(s)", ctx->peer,
        ctx->principal, removed->len);
  g_ptr_array_add (arrays, removed);
  r->matching = binding_views (removed);
  r->n_matching = removed->len;
}

RgBrokerHandleResult
rg_broker_acl_api_delete (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAclBindings *d = req->body.other.body;
  RgKafkaAclFilterResult *results = g_new0 (RgKafkaAclFilterResult,
      MAX (d->n_bindings, 1));
  GPtrArray *held = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *arrays = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_array_unref);
  const gchar *message;
  RgKafkaResponse *resp;
  GError *error = NULL;
  gint16 code;
  guint i;

  code = gate (ctx, RG_BROKER_ACL_ALTER, &message);
  for (i = 0; i < d->n_bindings; i++)
    delete_one (ctx, &d->bindings[i], code, message, held, arrays,
        &results[i]);
  resp = rg_kafka_build_delete_acls_response (req->header.correlation_id,
      req->header.api_version, 0, results, d->n_bindings, &error);
  for (i = 0; i < d->n_bindings; i++)
    g_free ((gpointer) results[i].matching);
  g_free (results);
  g_ptr_array_unref (held);
  g_ptr_array_unref (arrays);
  return rg_broker_answer (resp, error, "DeleteAcls", ctx, out);
}
