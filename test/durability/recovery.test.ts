// Recovery, retention and framing, each against a real `samsa broker` process (the unit tests in
// test/unit/log/ cover the same repairs on a Log in-process; these check what a client of the
// restarted broker sees):
//
// - torn tail + damaged indexes: produce, kill -9, cut the active segment's .log in the middle of
//   its last batch, damage or delete .index/.timeindex files (and the producer snapshots), restart.
//   The broker starts, logs what it dropped, serves the intact prefix (found through the rebuilt
//   offset and time indexes), answers the idempotent producer's retry of the lost batch at the
//   right offset, and keeps all of it across another kill -9. Twice: once with the recovery point
//   at 0 (every segment revalidated), once with flush.messages=1 and frequent checkpoints (only the
//   active segment revalidated; the older segments' broken indexes are rebuilt on first use).
// - retention: small segments, retention by size on one topic and by time on another, a short
//   retention check interval. Old segments disappear from disk, ListOffsets earliest advances
//   (polled under a deadline), what is left reads back intact, and all of it holds across kill -9.
// - malformed frames: garbage, bad and oversize size prefixes, undecodable headers and bodies, and
//   clients that hang up mid-request, on many connections while another client keeps producing and
//   fetching; each bad connection is closed by the broker, the good client never notices, and the
//   broker logs no error.

import assert from 'node:assert/strict'
import { readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { connect as netConnect, type Socket } from 'node:net'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { ApiVersions, Fetch, Metadata, Produce } from '../../src/protocol/messages/index.ts'
import { encodeRequest } from '../../src/protocol/RequestHeader.ts'
import { encodeRecordBatchSync } from '../../src/protocol/records/RecordBatch.ts'
import { type BrokerLogLine, type BrokerProcess, startBrokerProcess } from '../helpers/brokerProcess.ts'
import { KafkaTestClient } from '../helpers/KafkaTestClient.ts'
import {
  chooseSeed, createTopic, eventually, fetchAt, FETCH_VERSION, listOffset, prng, produce, PRODUCE_VERSION, randInt, readPartition,
} from './durabilitySupport.ts'
import { IdempotentVerifier } from './idempotentVerifier.ts'

function connect (broker: BrokerProcess): Promise<KafkaTestClient> {
  return KafkaTestClient.connect(broker.host, broker.port, { clientId: 'durability-recovery' })
}

interface FileBatch { baseOffset: bigint, position: number, size: number }

/** The batches of a segment file, walked by their length fields (the file is ours, so trusted). */
async function batchesOfFile (path: string): Promise<FileBatch[]> {
  const buf = await readFile(path)
  const out: FileBatch[] = []
  for (let pos = 0; pos + 12 <= buf.length;) {
    const size = 12 + buf.readInt32BE(pos + 8)
    if (pos + size > buf.length) break
    out.push({ baseOffset: buf.readBigInt64BE(pos), position: pos, size })
    pos += size
  }
  return out
}

async function segmentBases (partitionDir: string): Promise<string[]> {
  return (await readdir(partitionDir)).filter(f => /^\d{20}\.log$/.test(f)).map(f => f.slice(0, 20)).sort()
}

function warnings (broker: BrokerProcess, msg: RegExp): BrokerLogLine[] {
  return broker.logLines().filter(l => (l.level ?? 0) >= 40 && msg.test(l.msg ?? ''))
}

function errorsLogged (broker: BrokerProcess): BrokerLogLine[] {
  return broker.logLines().filter(l => (l.level ?? 0) >= 50)
}

// ---- torn tail and damaged indexes ------------------------------------------------------------

/** Batches produced before the crash; their timestamps are one second apart, starting in the past. */
const TORN_BATCHES = 120

async function tornTailRun (t: TestContext, mode: 'full recovery' | 'active segment only'): Promise<void> {
  const seed = chooseSeed()
  t.diagnostic(`seed ${seed}`)
  const topic = 'torn'
  const overrides: Record<string, string | number> = { 'log.segment.bytes': 8 * 1024, 'log.index.interval.bytes': 256 }
  if (mode === 'active segment only') {
    // every append fsynced and the recovery point checkpointed often: after the kill only the
    // segment holding the recovery point (the active one) is revalidated
    overrides['log.flush.interval.messages'] = 1
    overrides['log.flush.offset.checkpoint.interval.ms'] = 20
  }
  const broker = await startBrokerProcess(t, { overrides })
  let client = await connect(broker)
  t.after(() => client.close())
  await createTopic(client, topic)
  const v = new IdempotentVerifier(topic, 0, prng(seed))
  await v.initProducerId(client)

  // Plain sequential produce with explicit, distinct timestamps so the time index can be checked.
  const t0 = BigInt(Date.now() - 3_600_000)
  const batches: Array<{ baseOffset: bigint, timestamp: bigint, bytes: Buffer, values: string[] }> = []
  let offset = 0n
  const rand = prng(seed)
  for (let i = 0; i < TORN_BATCHES; i++) {
    const n = randInt(rand, 1, 5)
    const values = Array.from({ length: n }, (_, j) => `${offset + BigInt(j)}:${'t'.repeat(randInt(rand, 10, 150))}`)
    const timestamp = t0 + BigInt(i) * 1000n
    const bytes = encodeRecordBatchSync({
      producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: Number(offset),
      records: values.map(value => ({ value, timestamp })),
    })
    const r = await produce(client, topic, 0, bytes)
    assert.equal(r.errorCode, 0)
    assert.equal(r.baseOffset, offset)
    batches.push({ baseOffset: offset, timestamp, bytes, values })
    offset += BigInt(n)
  }
  const partDir = join(broker.dataDir, `${topic}-0`)
  const lastBatch = batches.at(-1) as (typeof batches)[number]
  if (mode === 'active segment only') {
    // the checkpoint must cover the last segment roll, or older segments would be revalidated too
    const bases = await segmentBases(partDir)
    const activeBase = BigInt(bases.at(-1) as string)
    await eventually('the recovery-point checkpoint reaches the active segment', async () => {
      const text = await readFile(join(broker.dataDir, 'recovery-point-offset-checkpoint'), 'utf8').catch(() => '')
      const m = new RegExp(`^${topic} 0 (\\d+)$`, 'm').exec(text)
      return m !== null && BigInt(m[1] as string) >= activeBase
    })
  }

  await client.close()
  await broker.kill9()

  // Damage: cut the last batch of the active segment in half; garbage in the active .index and a
  // torn .timeindex; an older segment loses its .index and .timeindex, another gets a .index whose
  // length is no multiple of an entry; the producer-state snapshots go.
  const bases = await segmentBases(partDir)
  assert.ok(bases.length >= 4, `only ${bases.length} segments; the test needs several`)
  const activeLog = join(partDir, `${bases.at(-1) as string}.log`)
  const inFile = await batchesOfFile(activeLog)
  const last = inFile.at(-1)
  assert.ok(last !== undefined && last.baseOffset === lastBatch.baseOffset, 'the last batch produced is the last batch of the active segment')
  const fileSize = (await stat(activeLog)).size
  assert.equal(fileSize, last.position + last.size)
  const cutAt = last.position + Math.floor(last.size / 2)
  await truncate(activeLog, cutAt)
  const activeIndex = activeLog.replace(/\.log$/, '.index')
  const garbage = Buffer.alloc(8 * 7 + 5)
  for (let i = 0; i < garbage.length; i++) garbage[i] = randInt(rand, 0, 255)
  await writeFile(activeIndex, garbage)
  const activeTimeIndex = activeLog.replace(/\.log$/, '.timeindex')
  const tiSize = await stat(activeTimeIndex).then(s => s.size, () => 0)
  if (tiSize > 0) await truncate(activeTimeIndex, tiSize - 5)
  await unlink(join(partDir, `${bases[0] as string}.index`)).catch(() => {})
  await unlink(join(partDir, `${bases[0] as string}.timeindex`)).catch(() => {})
  await writeFile(join(partDir, `${bases[1] as string}.index`), Buffer.from('not an index'))
  for (const f of await readdir(partDir)) if (f.endsWith('.snapshot')) await unlink(join(partDir, f))

  await broker.restart()
  client = await connect(broker)

  // It said what it dropped: the cut half batch, in the active segment.
  const truncated = warnings(broker, /recovery truncated a torn or corrupt log tail/)
  assert.equal(truncated.length, 1, `expected one truncation warning:\n${broker.logTail()}`)
  const w = truncated[0] as BrokerLogLine
  assert.equal(w.truncatedBytes, cutAt - last.position, `truncation warning ${JSON.stringify(w)}`)
  assert.equal(w.segment, activeLog)
  assert.equal(w.droppedSegments, 0)
  if (mode === 'active segment only') assert.equal(w.recoveredSegments, 1, `only the active segment should be revalidated: ${JSON.stringify(w)}`)
  else assert.equal(w.recoveredSegments, bases.length, `every segment should be revalidated: ${JSON.stringify(w)}`)
  assert.deepEqual(errorsLogged(broker), [])

  // The intact prefix, and nothing else.
  const contents = await readPartition(client, topic, 0, 0n)
  assert.equal(contents.highWatermark, lastBatch.baseOffset)
  assert.deepEqual(contents.records.map(r => r.value), batches.slice(0, -1).flatMap(b => b.values))
  // Every batch is found where it starts (offset index), and by its timestamp (time index).
  for (const b of batches.slice(0, -1)) {
    const f = await fetchAt(client, topic, 0, b.baseOffset, 1)
    assert.equal(f.errorCode, 0)
    assert.equal(f.records?.readBigInt64BE(0), b.baseOffset, `fetch at ${b.baseOffset} starts elsewhere`)
    const byTime = await listOffset(client, topic, 0, b.timestamp)
    assert.equal(byTime.errorCode, 0)
    assert.equal(byTime.offset, b.baseOffset, `ListOffsets for timestamp ${b.timestamp}`)
  }
  assert.equal((await listOffset(client, topic, 0, lastBatch.timestamp)).offset, -1n, 'the dropped batch is not found by its timestamp')
  if (mode === 'active segment only') {
    // the older segments were not revalidated, so their broken indexes were found and rebuilt when read
    const rebuilt = new Set(warnings(broker, /rebuilding segment indexes/).map(l => l.segment))
    for (const b of [bases[0], bases[1]]) assert.ok(rebuilt.has(join(partDir, `${b as string}.log`)), `indexes of segment ${b as string} were not rebuilt:\n${broker.logTail()}`)
  }
  assert.equal((await listOffset(client, topic, 0, -2n)).offset, 0n)
  assert.equal((await listOffset(client, topic, 0, -1n)).offset, lastBatch.baseOffset)

  // The producer retries the lost batch (same id, epoch, sequence): appended where it was, once.
  const retry = await produce(client, topic, 0, lastBatch.bytes)
  assert.equal(retry.errorCode, 0, `retry of the dropped batch: error ${retry.errorCode} ${retry.errorMessage ?? ''}`)
  assert.equal(retry.baseOffset, lastBatch.baseOffset)
  const again = await produce(client, topic, 0, lastBatch.bytes)
  assert.equal(again.errorCode, 0)
  assert.equal(again.baseOffset, lastBatch.baseOffset, 'a second retry is a duplicate with the same offset')
  const next = encodeRecordBatchSync({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: Number(offset), records: [{ value: `${offset}:after` }] })
  assert.equal((await produce(client, topic, 0, next)).baseOffset, offset)
  const expected = [...batches.flatMap(b => b.values), `${offset}:after`]
  assert.deepEqual((await readPartition(client, topic, 0, 0n)).records.map(r => r.value), expected)

  // What was appended after recovery survives the next kill -9 as well.
  await client.close()
  await broker.kill9()
  await broker.restart()
  client = await connect(broker)
  assert.deepEqual(warnings(broker, /truncated/), [], 'nothing to truncate the second time')
  assert.deepEqual((await readPartition(client, topic, 0, 0n)).records.map(r => r.value), expected)
  t.diagnostic(`${bases.length} segments; cut ${fileSize - cutAt} of ${last.size} bytes of the last batch; ${expected.length} records verified`)
}

test('torn tail and damaged indexes after kill -9, recovery point at 0: the intact prefix is served and the producer resumes at the right offset', async t => {
  await tornTailRun(t, 'full recovery')
})

test('torn tail and damaged indexes after kill -9, recovery point checkpointed: only the active segment is revalidated, broken older indexes are rebuilt on use', async t => {
  await tornTailRun(t, 'active segment only')
})

// ---- retention --------------------------------------------------------------------------------

const RETENTION_SEGMENT_BYTES = 4 * 1024
const RETENTION_BYTES = 16 * 1024

test('retention with small segments: old segments are deleted, ListOffsets earliest advances, the rest survives kill -9', async t => {
  const broker = await startBrokerProcess(t, {
    overrides: {
      'log.segment.bytes': RETENTION_SEGMENT_BYTES,
      'log.retention.bytes': RETENTION_BYTES,
      'log.retention.check.interval.ms': 20,
      'log.segment.delete.delay.ms': 0,
    },
  })
  let client = await connect(broker)
  t.after(() => client.close())
  const bySize = 'by-size'
  const byTime = 'by-time'
  await createTopic(client, bySize)
  // records an hour old against a ten-minute retention: every segment but the newest data expires
  await createTopic(client, byTime, { 'retention.ms': 600_000, 'retention.bytes': -1 })

  const old = BigInt(Date.now() - 3_600_000)
  const produced = new Map<string, string[]>([[bySize, []], [byTime, []]])
  for (let i = 0; i < 150; i++) {
    for (const topic of [bySize, byTime]) {
      const values = [0, 1, 2].map(j => `${topic}:${i * 3 + j}:${'r'.repeat(100)}`)
      const r = await produce(client, topic, 0, encodeRecordBatchSync({ records: values.map(value => ({ value, timestamp: old })) }))
      assert.equal(r.errorCode, 0)
      ;(produced.get(topic) as string[]).push(...values)
    }
  }
  const total = 450n

  let earliestBySize = 0n
  await eventually('retention.bytes moves the start of by-size past 0', async () => {
    earliestBySize = (await listOffset(client, bySize, 0, -2n)).offset
    return earliestBySize > 0n
  })
  await eventually('retention.ms deletes every segment of by-time up to its end', async () =>
    (await listOffset(client, byTime, 0, -2n)).offset === total)
  // The files go too: what is left of by-size is within retention.bytes plus the active segment.
  const sizeOnDisk = async (topic: string): Promise<{ bytes: number, files: string[] }> => {
    const dir = join(broker.dataDir, `${topic}-0`)
    const files = await readdir(dir)
    let bytes = 0
    for (const f of files) if (f.endsWith('.log')) bytes += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size
    return { bytes, files }
  }
  await eventually('deleted segment files of by-size are removed from disk', async () => {
    const d = await sizeOnDisk(bySize)
    return d.bytes <= RETENTION_BYTES + RETENTION_SEGMENT_BYTES && !d.files.some(f => f.endsWith('.deleted'))
  })
  await eventually('deleted segment files of by-time are removed from disk', async () => {
    const d = await sizeOnDisk(byTime)
    return (await segmentBases(join(broker.dataDir, `${byTime}-0`))).length === 1 && !d.files.some(f => f.endsWith('.deleted'))
  })

  const check = async (when: string): Promise<bigint> => {
    const earliest = (await listOffset(client, bySize, 0, -2n)).offset
    const f = await fetchAt(client, bySize, 0, 0n)
    assert.equal(f.errorCode, 1, `${when}: fetch at 0 below the log start ${earliest} is OFFSET_OUT_OF_RANGE`)
    const rest = await readPartition(client, bySize, 0, earliest)
    assert.equal(rest.highWatermark, total)
    assert.deepEqual(rest.records.map(r => r.value), (produced.get(bySize) as string[]).slice(Number(earliest)), `${when}: what retention kept reads back whole`)
    assert.equal((await listOffset(client, byTime, 0, -2n)).offset, total, `${when}: by-time stays empty at its end`)
    assert.equal((await listOffset(client, byTime, 0, -1n)).offset, total)
    return earliest
  }
  const before = await check('before the kill')

  await client.close()
  await broker.kill9()
  await broker.restart()
  client = await connect(broker)
  const after = await check('after kill -9')
  assert.ok(after >= before, `log start offset went back from ${before} to ${after} across kill -9`)
  // appends continue at the end
  const r = await produce(client, byTime, 0, encodeRecordBatchSync({ records: [{ value: 'fresh' }] }))
  assert.equal(r.baseOffset, total)
  assert.deepEqual((await readPartition(client, byTime, 0, total)).records.map(x => x.value), ['fresh'])
  assert.deepEqual(errorsLogged(broker), [])
  t.diagnostic(`by-size start offset ${before} -> ${after} after kill -9 (of ${total}); by-time emptied to ${total}`)
})

// ---- malformed frames ---------------------------------------------------------------------------

/** Produce/fetch round trips the good client makes while the bad connections come and go. */
const GOOD_ROUND_TRIPS = 300
/** Times each kind of bad connection is opened. */
const BAD_ROUNDS = 15

interface BadConnection {
  readonly name: string
  /** The warn line the broker writes when it closes the connection (null: the client hangs up first). */
  readonly warns: RegExp | null
  /** Writes to the socket; resolves when done writing. */
  readonly act: (s: Socket) => void
  /** Whether the client hangs up itself (true) or waits for the broker to close (false). */
  readonly clientCloses: boolean
}

function frame (body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length)
  b.writeInt32BE(body.length, 0)
  body.copy(b, 4)
  return b
}

/** The bad connections; the requests among them target `topic`, never the good client's topic. */
function badConnections (rand: () => number, topic: string): BadConnection[] {
  const produceFrame = encodeRequest(Produce, PRODUCE_VERSION, 7, 'bad', {
    transactionalId: null, acks: -1, timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatchSync({ records: [{ value: 'never' }] }) }] }],
  })
  // cut inside the body, with the size prefix saying so: the header decodes, the body cannot
  const cut = produceFrame.subarray(4, 4 + Math.floor((produceFrame.length - 4) / 2))
  // Metadata v1 whose topics array claims 2^31-1 entries in a few bytes
  const metadataHead = encodeRequest(Metadata, 1, 9, 'bad', { topics: [] })
  const hugeArray = Buffer.from(metadataHead.subarray(4))
  hugeArray.writeInt32BE(0x7fffffff, hugeArray.length - 4)
  const random = (n: number): Buffer => {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = randInt(rand, 0, 255)
    return b
  }
  const unknownApi = Buffer.alloc(20)
  unknownApi.writeInt16BE(0x7ffe, 0) // api key nobody serves
  unknownApi.writeInt16BE(0, 2)
  unknownApi.writeInt32BE(5, 4)
  unknownApi.writeInt16BE(-1, 8)
  const negative = Buffer.alloc(4)
  negative.writeInt32BE(-1, 0)
  const oversize = Buffer.alloc(4)
  oversize.writeInt32BE(0x7fffffff, 0)
  const fetchParked = encodeRequest(Fetch, FETCH_VERSION, 11, 'bad', {
    replicaId: -1, maxWaitMs: 30_000, minBytes: 1_000_000, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
  })
  return [
    { name: 'negative size prefix', warns: /request size out of range/, clientCloses: false, act: s => { s.write(negative) } },
    { name: 'oversize size prefix, then bytes', warns: /request size out of range/, clientCloses: false, act: s => { s.write(oversize); s.write(Buffer.alloc(64 * 1024)) } },
    { name: 'empty frame', warns: /malformed request header/, clientCloses: false, act: s => { s.write(frame(Buffer.alloc(0))) } },
    { name: 'frame too short for a header', warns: /malformed request header/, clientCloses: false, act: s => { s.write(frame(Buffer.from([0, 1, 0]))) } },
    { name: 'unknown API key', warns: /unsupported API key/, clientCloses: false, act: s => { s.write(frame(unknownApi)) } },
    { name: 'Produce body cut in half', warns: /malformed request/, clientCloses: false, act: s => { s.write(frame(cut)) } },
    { name: 'array length beyond the frame', warns: /malformed request/, clientCloses: false, act: s => { s.write(frame(hugeArray)) } },
    {
      // ApiVersions header (key 18) with a random body after a valid size prefix: closed or answered, never fatal
      name: 'random body behind an ApiVersions header', warns: null, clientCloses: true,
      act: s => { const b = random(64); b.writeInt16BE(18, 0); b.writeInt16BE(3, 2); s.write(frame(b)); s.end() },
    },
    { name: 'half a frame, then hang up', warns: null, clientCloses: true, act: s => { s.write(produceFrame.subarray(0, 40)); s.end() } },
    { name: 'a whole Produce, then hang up before the answer', warns: null, clientCloses: true, act: s => { s.write(produceFrame); s.destroy() } },
    { name: 'a parked Fetch, then hang up', warns: null, clientCloses: true, act: s => { s.write(fetchParked); s.end() } },
  ]
}

/** Opens one bad connection and resolves once it is closed (by the broker, or by us). */
function runBad (broker: BrokerProcess, bad: BadConnection): Promise<{ closedByBroker: boolean, bytesBack: number }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: broker.host, port: broker.port })
    let bytesBack = 0
    let ended = false
    s.on('data', (d: Buffer) => { bytesBack += d.length })
    s.on('end', () => { ended = true })
    s.on('error', () => {}) // a reset is one way for the broker to close
    s.once('connect', () => bad.act(s))
    s.once('close', () => resolve({ closedByBroker: ended || !bad.clientCloses, bytesBack }))
    s.once('error', err => { if (!s.connecting) return; reject(err) })
  })
}

test('malformed and oversize frames close only their own connections while another client keeps producing and fetching', async t => {
  const seed = chooseSeed()
  t.diagnostic(`seed ${seed}`)
  const rand = prng(seed)
  const broker = await startBrokerProcess(t, { overrides: { 'socket.request.max.bytes': 1024 * 1024 } })
  const topic = 'steady'
  const scratch = 'scratch'
  await using good = await connect(broker)
  await createTopic(good, topic)
  await createTopic(good, scratch)
  const kinds = badConnections(rand, scratch)

  let goodDone = 0
  const goodLoop = (async () => {
    for (let i = 0; i < GOOD_ROUND_TRIPS; i++) {
      const r = await produce(good, topic, 0, encodeRecordBatchSync({ records: [{ value: `good-${i}` }] }))
      assert.equal(r.errorCode, 0, `good produce #${i}: error ${r.errorCode}`)
      const f = await fetchAt(good, topic, 0, r.baseOffset)
      assert.equal(f.errorCode, 0)
      assert.ok(f.records !== null && f.records.includes(Buffer.from(`good-${i}`)), `good fetch #${i} did not return its record`)
      goodDone++
    }
  })()

  const closedByBroker = new Map<string, number>()
  const badLoop = (async () => {
    for (let round = 0; round < BAD_ROUNDS; round++) {
      const results = await Promise.all(kinds.map(async k => [k, await runBad(broker, k)] as const))
      for (const [k, r] of results) {
        if (!k.clientCloses) {
          assert.ok(r.closedByBroker, `${k.name}: the broker did not close the connection`)
          assert.equal(r.bytesBack, 0, `${k.name}: the broker answered ${r.bytesBack} bytes instead of closing`)
          closedByBroker.set(k.name, (closedByBroker.get(k.name) ?? 0) + 1)
        }
      }
    }
  })()
  await Promise.all([goodLoop, badLoop])
  assert.equal(goodDone, GOOD_ROUND_TRIPS)

  broker.assertAlive()
  // Each kind the broker closes was logged as a warning (one line per connection), and nothing was logged as an error.
  for (const k of kinds) {
    if (k.warns === null) continue
    assert.ok(warnings(broker, k.warns).length >= BAD_ROUNDS, `${k.name}: fewer than ${BAD_ROUNDS} warnings matching ${String(k.warns)}\n${broker.logTail()}`)
  }
  assert.deepEqual(errorsLogged(broker), [], 'the broker logged errors')
  // The good client's records are all there, in order, and nothing a bad connection sent got in.
  const contents = await readPartition(good, topic, 0, 0n)
  assert.deepEqual(contents.records.map(r => r.value), Array.from({ length: GOOD_ROUND_TRIPS }, (_, i) => `good-${i}`))
  // A new connection is served normally.
  await using fresh = await connect(broker)
  const av = await fresh.request(ApiVersions, 3, { clientSoftwareName: 'fresh', clientSoftwareVersion: '1' })
  assert.equal(av.errorCode, 0)
  t.diagnostic(`${GOOD_ROUND_TRIPS} good round trips; ${BAD_ROUNDS * kinds.length} bad connections (${[...closedByBroker.values()].reduce((a, b) => a + b, 0)} closed by the broker)`)
})
