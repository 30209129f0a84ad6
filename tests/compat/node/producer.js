// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Client matrix: a kafkajs producer sending COUNT records into an ingest
// topic, one send() per record as the documentation's example does.
//
//   node producer.js BOOTSTRAP TOPIC COUNT
//
// Prints "RESULT client=kafkajs-producer sent=N offsets=A..B error=..."; exit
// 0 when every record was acknowledged at consecutive offsets.

const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const [bootstrap, topic, countArg] = process.argv.slice(2)
  const count = Number(countArg)
  const kafka = new Kafka({
    clientId: 'rg-compat',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    retry: { retries: 3 }
  })
  const producer = kafka.producer()
  const offsets = []
  let error = null
  try {
    await producer.connect()
    for (let i = 0; i < count; i++) {
      const meta = await producer.send({
        topic,
        messages: [{ key: 'k', value: `record-${i}` }]
      })
      offsets.push(Number(meta[0].baseOffset))
    }
    await producer.disconnect()
  } catch (e) {
    error = e.message
  }
  const consecutive = offsets.every((o, i) => o === offsets[0] + i)
  const range = offsets.length ? `${offsets[0]}..${offsets[offsets.length - 1]}` : '-'
  console.log(`RESULT client=kafkajs-producer sent=${offsets.length} ` +
    `offsets=${range} error=${JSON.stringify(error)}`)
  process.exit(offsets.length === count && consecutive && !error ? 0 : 1)
}

main()
