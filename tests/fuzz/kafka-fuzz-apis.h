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
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* The apis whose requests are parsed by a codec file of their own, not by
 * rgkafka.c: every parser the broker's dispatch table names, with the
 * versions and first flexible version it gives that parser. The fuzz
 * target feeds them what rgkafka.c does not take. This table is the
 * fuzzer's own (the libFuzzer build compiles only gst/kafka and
 * gst/record, not the broker); kafka-request-replay, which links the
 * broker, fails when it differs from rg_broker_dispatch_apis(). */

#ifndef __RG_KAFKA_FUZZ_APIS_H__
#define __RG_KAFKA_FUZZ_APIS_H__

#include <glib.h>

#include "kafka/rgkafkawire.h"

typedef struct
{
  gint16 api_key;
  gint16 max_version;
  gint16 first_flexible;
  RgKafkaBodyParseFunc parse;
  GDestroyNotify free_body;
} RgKafkaFuzzApi;

const RgKafkaFuzzApi *rg_kafka_fuzz_apis (guint * n_apis);

#endif /* __RG_KAFKA_FUZZ_APIS_H__ */
