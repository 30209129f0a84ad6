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
 * The handlers of InitProducerId, CreateTopics, DeleteTopics and
 * CreatePartitions (rgbrokeradmin.c), named by rows of the api table in
 * rgbrokerdispatch.c. They follow the handler contract of
 * rgbrokerdispatch.h (they only ever answer DONE or CLOSE) and reach the
 * broker's state only through the context: the topic registry and the
 * producers' state (rgbrokerproducers.h). Not installed.
 *
 * Thread-safety: called on the broker's loop thread.
 */

#ifndef __RG_BROKER_ADMIN_H__
#define __RG_BROKER_ADMIN_H__

#include "broker/rgbrokerhandler.h"
#include "kafka/rgkafkaadmin.h"

G_BEGIN_DECLS

RgBrokerHandleResult rg_broker_handle_init_producer_id (const RgKafkaRequest
    * req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

RgBrokerHandleResult rg_broker_handle_create_topics (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

RgBrokerHandleResult rg_broker_handle_delete_topics (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

RgBrokerHandleResult rg_broker_handle_create_partitions (const
    RgKafkaRequest * req, const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_ADMIN_H__ */
