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

/* How an api handler ends (the interface is rgbrokerhandler.h). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerhandler.h"
#include "broker/rgbrokerstats.h"

#define GST_CAT_DEFAULT rg_broker_debug

RgBrokerHandleResult
rg_broker_answer (RgKafkaResponse * resp, GError * error, const gchar * api,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  if (!resp) {
    GST_WARNING ("client %s: %s: %s", ctx->peer, api,
        error ? error->message : "cannot be encoded");
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  out->response = resp;
  return RG_BROKER_HANDLE_DONE;
}
