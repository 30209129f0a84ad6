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
 * The handlers of DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs (rgbrokerconfigsapi.c), rows of the api table
 * in rgbrokerdispatch.c, and the max.message.bytes check of Produce. They
 * follow the handler contract of rgbrokerdispatch.h (DONE or CLOSE) and
 * reach the configs through the registry (rgbrokerconfigs.h). Not
 * installed.
 *
 * Thread-safety: called on the broker's loop thread.
 */

#ifndef __RG_BROKER_CONFIGS_API_H__
#define __RG_BROKER_CONFIGS_API_H__

#include "broker/rgbrokerconfigs.h"
#include "broker/rgbrokerhandler.h"

G_BEGIN_DECLS

RgBrokerHandleResult rg_broker_configs_api_describe (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

/* AlterConfigs and IncrementalAlterConfigs (the parsed body says which). */
RgBrokerHandleResult rg_broker_configs_api_alter (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

/* The kind of @topic for the configs (in memory, journal-backed, a
 * pipeline's). */
RgBrokerConfigsTopicKind rg_broker_configs_api_kind (const
    RgBrokerRequestContext * ctx, RgBrokerTopic * topic);

/* Produce into ingest topic @topic: MESSAGE_TOO_LARGE (10) when a record
 * batch of @records (a RecordBatch set; a legacy message set counts
 * whole) is larger than the topic's max.message.bytes, else NONE. */
gint16 rg_broker_configs_api_check_produce (const RgBrokerRequestContext *
    ctx, RgBrokerTopic * topic, const guint8 * records, gsize len);

G_END_DECLS

#endif /* __RG_BROKER_CONFIGS_API_H__ */
