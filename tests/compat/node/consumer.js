// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Client matrix: a kafkajs consumer as its documentation writes it (kafkajs
// has no consumer without a group): groupId, subscribe fromBeginning,
// eachMessage, offsets committed by the library.
//
//   node consumer.js BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]
//
// Prints one "RESULT ..." line; exit 0 when COUNT records were consumed and
// the committed offset reads back through the admin client.

const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const [bootstrap, topic, group, countArg, timeoutArg] = process.argv.slice(2)
  const count = Number(countArg)
  const timeoutMs = Number(timeoutArg || 30) * 1000
  const kafka = new Kafka({
    clientId: 'rg-compat',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    retry: { retries: 3 }
  })
  const consumer = kafka.consumer({ groupId: group })
  let got = 0
  let first = null
  let last = null
  let error = null
  const done = new Promise((resolve) => {
    setTimeout(resolve, timeoutMs)
    consumer.on(consumer.events.CRASH, (e) => {
      error = e.payload.error.message
      resolve()
    })
    consumer.connect()
      .then(() => consumer.subscribe({ topics: [topic], fromBeginning: true }))
      .then(() => consumer.run({
        eachMessage: async ({ message }) => {
          const offset = Number(message.offset)
          if (first === null) first = offset
          last = offset
          if (++got >= count) resolve()
        }
      }))
      .catch((e) => { error = e.message; resolve() })
  })
  await done
  let committed = null
  try {
    await consumer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    committed = Number(offsets[0].partitions[0].offset)
    await admin.disconnect()
  } catch (e) {
    error = error || e.message
  }
  console.log(`RESULT client=kafkajs-consumer consumed=${got} first=${first} ` +
    `last=${last} committed=${committed} error=${JSON.stringify(error)}`)
  process.exit(got >= count && committed === last + 1 ? 0 : 1)
}

main()
