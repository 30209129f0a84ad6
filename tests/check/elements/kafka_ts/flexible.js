// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later

// kafka-ts 1.5.0, a TypeScript client that sends every request at the
// highest version both sides support: against gst-rg's table that is
// ApiVersions v3, Metadata v12, Produce v9, ListOffsets v7 and Fetch v12,
// all flexible. Its low-level API produces two records (one with a header)
// into an ingest topic, lists the latest offset, fetches them back, and
// fetches the served topic from offset 0.
//
//   node flexible.js PORT INGEST_TOPIC SERVED_TOPIC SERVED_COUNT
//
// Prints one "RESULT ..." line; exits 0 when every answer is as expected
// and was decoded by kafka-ts's flexible decoders (each has tag sections).
const { createKafkaClient, API } = require('kafka-ts');

const [port, topic, served, servedCount] = process.argv.slice(2);
const json = (v) => JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x.toString() : x);

function fetchRequest(name) {
  return {
    maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 24, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{
      topicId: '', topicName: name, partitions: [{
        partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n,
        lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 24,
      }],
    }],
  };
}

async function main() {
  const kafka = createKafkaClient({ clientId: 'kafka-ts-check',
    bootstrapServers: [{ host: '127.0.0.1', port: parseInt(port) }] });
  const cluster = kafka.createCluster();
  const problems = [];
  const expect = (ok, what) => { if (!ok) problems.push(what); };
  await cluster.connect();
  try {
    const md = await cluster.sendRequest(API.METADATA, {
      allowTopicAutoCreation: true, includeTopicAuthorizedOperations: false,
      topics: [{ id: null, name: topic }],
    });
    expect('tags' in md && md.topics[0].errorCode === 0 &&
      md.topics[0].partitions.length === 1, 'metadata ' + json(md));
    const now = BigInt(Date.now());
    const pr = await cluster.sendRequest(API.PRODUCE, {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: topic, topicId: '', partitionData: [{
        index: 0, baseOffset: 0n, partitionLeaderEpoch: -1, attributes: 0,
        lastOffsetDelta: 1, baseTimestamp: now, maxTimestamp: now,
        producerId: -1n, producerEpoch: -1, baseSequence: -1,
        records: [
          { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: 'k0',
            value: 'v0', headers: [{ key: 'h', value: 'x' }] },
          { attributes: 0, timestampDelta: 0n, offsetDelta: 1, key: 'k1',
            value: 'v1', headers: [] },
        ],
      }] }],
    });
    const p = pr.responses[0].partitionResponses[0];
    expect('tags' in pr && p.errorCode === 0 && p.baseOffset === 0n &&
      p.recordErrors.length === 0 && p.errorMessage === null,
      'produce ' + json(pr));
    const lo = await cluster.sendRequest(API.LIST_OFFSETS, {
      replicaId: -1, isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0,
        currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    expect('tags' in lo && lo.topics[0].partitions[0].offset === 2n,
      'list offsets ' + json(lo));
    const f = await cluster.sendRequest(API.FETCH, fetchRequest(topic));
    const part = f.responses[0].partitions[0];
    const recs = part.records.flatMap((b) => b.records.map((r) =>
      [b.baseOffset + BigInt(r.offsetDelta), r.key, r.value, r.headers]));
    expect('tags' in f && f.sessionId === 0 && part.highWatermark === 2n &&
      part.lastStableOffset === 2n && json(recs) ===
      json([[0n, 'k0', 'v0', [{ key: 'h', value: 'x' }]], [1n, 'k1', 'v1', []]]),
      'fetch ' + json(f).slice(0, 600));
    const s = await cluster.sendRequest(API.FETCH, fetchRequest(served));
    const sp = s.responses[0].partitions[0];
    const offsets = sp.records.flatMap((b) => b.records.map((r) =>
      Number(b.baseOffset) + r.offsetDelta));
    expect(offsets.length >= parseInt(servedCount) && offsets[0] === 0 &&
      offsets.every((o, i) => o === i), 'served fetch offsets ' + json(offsets));
    console.log('RESULT client=kafka-ts produced=2 fetched=' + recs.length +
      ' served=' + offsets.length + ' problems=' + json(problems));
  } finally {
    await cluster.disconnect();
  }
  return problems.length === 0;
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => {
  console.log('RESULT client=kafka-ts error=' + JSON.stringify(String(e)));
  process.exit(1);
});
