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
 * The handlers of the ACL apis (rgbrokeraclapi.c): DescribeAcls (29),
 * CreateAcls (30) and DeleteAcls (31), rows of dispatch's api table. They
 * read and change the broker's ACL (rgbrokeracl.h) through the request
 * context and answer with kafka/rgkafkaacls.c's builders. Not installed.
 *
 * Thread-safety: the loop thread, like every handler.
 */

#ifndef __RG_BROKER_ACL_API_H__
#define __RG_BROKER_ACL_API_H__

#include "broker/rgbrokerhandler.h"
#include "kafka/rgkafkaacls.h"

G_BEGIN_DECLS

RgBrokerHandleResult rg_broker_acl_api_describe (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_acl_api_create (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_acl_api_delete (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_ACL_API_H__ */
