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
 * The deletion apis of the embedded broker (rgbrokerdelete.c): the
 * dispatch handlers of DeleteRecords (over the topics, rgbrokertopic.h),
 * DeleteGroups and OffsetDelete (over the group coordinator,
 * rgbrokergroups.h). Not installed. What each answers is described at the
 * top of rgbrokerdelete.c and in docs/protocol.md.
 *
 * Thread-safety: the handlers run on the broker's loop thread.
 */

#ifndef __RG_BROKER_DELETE_H__
#define __RG_BROKER_DELETE_H__

#include "broker/rgbrokerhandler.h"
#include "kafka/rgkafkadelete.h"

G_BEGIN_DECLS

RgBrokerHandleResult rg_broker_handle_delete_records (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_handle_delete_groups (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_handle_offset_delete (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_DELETE_H__ */
