// samsa's codec against Apache Kafka: requests encoded by samsa go to one reference Kafka, which
// must accept each (no error where success is expected, the connection stays open); each
// response is decoded by samsa and re-encoded, and must equal byte for byte the frame Kafka sent.
//
// The reference broker is Kafka 4.4, which no longer serves some old versions (KIP-896: here
// Fetch starts at 4, CreateTopics and OffsetCommit at 2, ListOffsets, OffsetFetch, DescribeConfigs
// and DeleteTopics at 1; Produce 0-2 are refused though still advertised; Metadata still starts
// at 0), and serves newer versions than the definitions samsa is generated from. Each API is
// tested at every version both sides know, taken from Kafka's own ApiVersions answer; the ranges
// and every confirmed (api, version) pair are printed.

import { after, before, describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import {
  ApiVersions, CreateTopics, DeleteTopics, DescribeCluster, DescribeConfigs, DescribeGroups, Fetch, FindCoordinator,
  InitProducerId, ListGroups, ListOffsets, Metadata, OffsetCommit, OffsetFetch, Produce,
  RequestHeader as RequestHeaderMessage, ALL_APIS,
} from '../../../src/protocol/messages/index.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/RequestHeader.ts'
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records/RecordBatch.ts'
import { CompressionType, compressionName } from '../../../src/protocol/records/compression/CompressionType.ts'
import type { Api, Fields, Msg, MsgInput } from '../../../src/protocol/schema.ts'
import { Writer } from '../../../src/protocol/Writer.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { findPeer, requirePeer } from '../../helpers/peers.ts'
import { type ReferenceKafka, startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { startRecordingProxy } from '../../helpers/recordingProxy.ts'

/** How long Kafka may take to settle something asynchronous (a topic's leader, the offsets topic). */
const SETTLE_TIMEOUT_MS = 60_000
const POLL_MS = 100

let kafka: ReferenceKafka | undefined
let client: KafkaTestClient
/** Kafka's advertised [min, max] per API key. */
const kafkaRanges = new Map<number, readonly [number, number]>()
const confirmed = new Map<string, Set<number>>()
let nextCorrelationId = 1_000_000

before(async () => {
  const jars = await findPeer('kafka')
  if (jars === undefined) return // each test reports the skip (or, under CI, the failure)
  kafka = await startReferenceKafka({ kafka: jars })
  client = await KafkaTestClient.connect(kafka.host, kafka.port, { clientId: 'samsa-differential' })
  const res = await client.request(ApiVersions, 3, { clientSoftwareName: 'samsa-differential', clientSoftwareVersion: '0' })
  assert.equal(res.errorCode, ErrorCode.NONE)
  for (const k of res.apiKeys) kafkaRanges.set(k.apiKey, [k.minVersion, k.maxVersion])
})

after(async () => {
  await client?.close()
  await kafka?.stop()
})

async function needKafka (t: TestContext): Promise<boolean> {
  if (await requirePeer(t, 'kafka') === undefined) return false
  assert.ok(kafka !== undefined, 'reference Kafka started')
  return true
}

/**
 * Versions Kafka 4 still advertises but refuses (closing the connection): KIP-896 removed
 * Produce v0-2, but ApiVersions keeps advertising v0 because older librdkafka releases refuse to
 * compress when the broker's minimum Produce version is not 0 (KAFKA-18659).
 */
const ADVERTISED_BUT_REMOVED: ReadonlyMap<number, readonly number[]> = new Map([[Produce.key, [0, 1, 2]]])

/** Versions both samsa's description and Kafka serve, ascending. */
function commonVersions (api: Api): number[] {
  const k = kafkaRanges.get(api.key)
  assert.ok(k !== undefined, `Kafka does not advertise ${api.name}`)
  const removed = ADVERTISED_BUT_REMOVED.get(api.key) ?? []
  const out: number[] = []
  for (let v = Math.max(k[0], api.validVersions.min); v <= Math.min(k[1], api.validVersions.max); v++) if (!removed.includes(v)) out.push(v)
  assert.ok(out.length > 0, `no version of ${api.name} in common: Kafka ${k[0]}-${k[1]}, samsa ${api.validVersions.min}-${api.validVersions.max}`)
  return out
}

function withSize (frame: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(frame.length, 0)
  return Buffer.concat([size, frame])
}

/** Equal bytes, or a failure naming the first differing offset with some context. */
function assertSameBytes (actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return
  let i = 0
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++
  const around = (b: Buffer): string => b.subarray(Math.max(0, i - 16), i + 16).toString('hex')
  assert.fail(`${what}: re-encoded ${actual.length} bytes vs Kafka's ${expected.length}, first difference at byte ${i}\n` +
    `  samsa: …${around(actual)}…\n  kafka: …${around(expected)}…`)
}

/** The broker's last warnings and errors, for a failure message. */
async function brokerLogTail (): Promise<string> {
  if (kafka === undefined) return ''
  const text = await readFile(kafka.serverLog, 'utf8').catch((err: Error) => err.message)
  return text.split('\n').filter(line => /WARN|ERROR|Exception|^\s+at /.test(line)).slice(-20).join('\n')
}

function markConfirmed (api: Api, version: number): void {
  let set = confirmed.get(api.name)
  if (set === undefined) { set = new Set(); confirmed.set(api.name, set) }
  set.add(version)
}

/**
 * Sends a request encoded by samsa, decodes Kafka's response, re-encodes it and compares bytes.
 * Returns the decoded body for the caller's own checks.
 */
async function exchange<Req extends Fields, Res extends Fields> (api: Api<Req, Res>, version: number, body: MsgInput<Req>): Promise<Msg<Res>> {
  const correlationId = nextCorrelationId++
  const frame = encodeRequest(api, version, correlationId, 'samsa-differential', body)
  let raw: Buffer
  try {
    raw = await client.requestRaw(frame)
  } catch (err) {
    throw new Error(`${api.name} v${version}: ${(err as Error).message}; Kafka's log ends with:\n${await brokerLogTail()}`, { cause: err })
  }
  const decoded = decodeResponse(api, version, raw)
  assert.equal(decoded.correlationId, correlationId)
  // A decoded body is a valid input (generic Res hides that from the type checker).
  const again = encodeResponse(api, version, decoded.correlationId, decoded.body as MsgInput<Res>)
  assertSameBytes(Buffer.concat(again), withSize(raw), `${api.name} v${version} response`)
  assert.equal(client.closed, false, `Kafka closed the connection after ${api.name} v${version}`)
  markConfirmed(api as unknown as Api, version)
  return decoded.body
}

/** Repeats `attempt` until it returns a value, or fails naming what never happened. */
async function eventually<T> (what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  for (;;) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${SETTLE_TIMEOUT_MS} ms`)
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}

// Topics the tests share: created by the CreateTopics test, written by Produce, read by the rest.
const PRODUCE_TOPIC = 'differential-produce'
let produceTopicId = ''
let produced = 0n

describe('Apache Kafka and samsa agree on the bytes', () => {
  test('ApiVersions v0-4, and v99 answered with UNSUPPORTED_VERSION in a v0 body', async (t) => {
    if (!await needKafka(t)) return
    for (const v of commonVersions(ApiVersions)) {
      const res = await exchange(ApiVersions, v, v >= 3 ? { clientSoftwareName: 'samsa-differential', clientSoftwareVersion: '0.1.0' } : {})
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.ok(res.apiKeys.some(k => k.apiKey === ApiVersions.key))
    }
    // v99: a v2 request header (ApiVersions is flexible from v3), then a body Kafka ignores.
    const w = new Writer()
    w.int32(0)
    encodeMessage(RequestHeaderMessage, 2, { requestApiKey: ApiVersions.key, requestApiVersion: 99, correlationId: 99, clientId: 'samsa-differential' }, w)
    w.uvarint(1).uvarint(1).uvarint(0) // empty compact strings, no tags
    const frame = w.toBuffer()
    frame.writeInt32BE(frame.length - 4, 0)
    const raw = await client.requestRaw(frame)
    const decoded = decodeResponse(ApiVersions, 0, raw)
    assert.equal(decoded.body.errorCode, ErrorCode.UNSUPPORTED_VERSION)
    const range = decoded.body.apiKeys.find(k => k.apiKey === ApiVersions.key)
    assert.deepEqual(range && [range.minVersion, range.maxVersion], kafkaRanges.get(ApiVersions.key))
    assertSameBytes(Buffer.concat(encodeResponse(ApiVersions, 0, 99, decoded.body)), withSize(raw), 'ApiVersions v99 response')
    assert.equal(client.closed, false)
  })

  test('CreateTopics: create, validateOnly, and an existing topic', async (t) => {
    if (!await needKafka(t)) return
    const versions = commonVersions(CreateTopics)
    for (const v of versions) {
      const name = `differential-create-v${v}`
      const created = await exchange(CreateTopics, v, {
        topics: [{ name, numPartitions: 2, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '3600000' }] }],
        timeoutMs: 30_000,
      })
      assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE, `v${v}: ${created.topics[0]?.errorMessage}`)
      if (v >= 5) assert.equal(created.topics[0]?.numPartitions, 2)
      const validated = await exchange(CreateTopics, v, {
        topics: [{ name: `differential-validate-v${v}`, numPartitions: 1, replicationFactor: 1 }],
        timeoutMs: 30_000,
        validateOnly: true,
      })
      assert.equal(validated.topics[0]?.errorCode, ErrorCode.NONE, `v${v} validateOnly: ${validated.topics[0]?.errorMessage}`)
      const again = await exchange(CreateTopics, v, { topics: [{ name, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 30_000 })
      assert.equal(again.topics[0]?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
    }
    const newest = versions.at(-1) as number
    const res = await exchange(CreateTopics, newest, { topics: [{ name: PRODUCE_TOPIC, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 })
    assert.equal(res.topics[0]?.errorCode, ErrorCode.NONE)
    if (newest >= 7) produceTopicId = res.topics[0]?.topicId ?? ''
    // KRaft publishes a new topic to the broker's metadata cache asynchronously: wait until it is
    // served with a leader before the other tests use it (a loaded CI machine showed the gap).
    await eventually(`${PRODUCE_TOPIC} served with a leader`, async () => {
      const md = await exchange(Metadata, 12, { topics: [{ name: PRODUCE_TOPIC }], allowAutoTopicCreation: false })
      return md.topics[0]?.errorCode === ErrorCode.NONE && md.topics[0]?.partitions[0]?.leaderId === 1 ? true : undefined
    })
    // The validateOnly topics were not created.
    const md = await exchange(Metadata, 12, { topics: versions.map(v => ({ name: `differential-validate-v${v}` })), allowAutoTopicCreation: false })
    for (const topic of md.topics) assert.equal(topic.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  test('Metadata: all topics, a named topic, auto-creation, and (v12) a topic id', async (t) => {
    if (!await needKafka(t)) return
    for (const v of commonVersions(Metadata)) {
      // v0 has no null topics: an empty list asks for all of them.
      const noAuto = v >= 4 ? { allowAutoTopicCreation: false } : {} // below v4 auto-creation is implied
      const all = await exchange(Metadata, v, { topics: v === 0 ? [] : null, ...noAuto })
      assert.deepEqual(all.brokers.map(b => [b.host, b.port]), [[kafka?.host, kafka?.port]])
      assert.ok(all.topics.some(topic => topic.name === PRODUCE_TOPIC))

      const named = await exchange(Metadata, v, { topics: [{ name: PRODUCE_TOPIC }], ...noAuto })
      assert.equal(named.topics[0]?.errorCode, ErrorCode.NONE)
      assert.equal(named.topics[0]?.partitions.length, 1)

      // Auto-creation: Kafka creates the topic and answers LEADER_NOT_AVAILABLE (or NONE) until it has a leader.
      const auto = `differential-auto-v${v}`
      await eventually(`auto-created topic ${auto} with a leader (Metadata v${v})`, async () => {
        const res = await exchange(Metadata, v, { topics: [{ name: auto }], ...(v >= 4 ? { allowAutoTopicCreation: true } : {}) })
        const topic = res.topics[0]
        const transient: number[] = [ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
        assert.ok(topic !== undefined && transient.includes(topic.errorCode), `error ${topic?.errorCode}`)
        return topic?.errorCode === ErrorCode.NONE && topic.partitions[0]?.leaderId === 1 ? true : undefined
      })

      if (v >= 12 && produceTopicId !== '') {
        const byId = await exchange(Metadata, v, { topics: [{ topicId: produceTopicId, name: null }], allowAutoTopicCreation: false })
        assert.equal(byId.topics[0]?.errorCode, ErrorCode.NONE)
        assert.equal(byId.topics[0]?.name, PRODUCE_TOPIC)
      }
    }
  })

  test('Produce: v2 batches compressed with none, gzip, snappy, lz4 and zstd', async (t) => {
    if (!await needKafka(t)) return
    const compressions = [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]
    for (const v of commonVersions(Produce)) {
      for (const compression of compressions) {
        const value = `produce v${v} ${compressionName(compression)} `.repeat(8)
        const batch = await encodeRecordBatch({
          compression,
          records: [
            { key: 'k', value, headers: [{ key: 'h', value: 'x' }] },
            { key: null, value: 'second' },
          ],
        })
        const res = await exchange(Produce, v, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 30_000,
          topicData: [{ name: PRODUCE_TOPIC, partitionData: [{ index: 0, records: batch }] }],
        })
        const p = res.responses[0]?.partitionResponses[0]
        if (compression === CompressionType.ZSTD && v < 7) {
          // zstd needs Produce v7+ (KIP-110).
          assert.equal(p?.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
          continue
        }
        assert.equal(p?.errorCode, ErrorCode.NONE, `Produce v${v} ${compressionName(compression)}: error ${p?.errorCode} ${p?.errorMessage ?? ''}`)
        assert.equal(p?.baseOffset, produced)
        produced += 2n
      }
    }
    // The advertised-but-removed versions really are refused: Kafka closes the connection.
    for (const v of ADVERTISED_BUT_REMOVED.get(Produce.key) ?? []) {
      assert.ok(kafka !== undefined)
      await using probe = await KafkaTestClient.connect(kafka.host, kafka.port)
      const batch = await encodeRecordBatch({ records: [{ value: 'refused' }] })
      await assert.rejects(probe.request(Produce, v, {
        acks: -1, timeoutMs: 30_000, topicData: [{ name: PRODUCE_TOPIC, partitionData: [{ index: 0, records: batch }] }],
      }), /closed by the peer/, `Produce v${v} refused`)
    }
    // acks=0: no response; the connection still answers the next request.
    const batch = await encodeRecordBatch({ records: [{ value: 'acks=0' }] })
    await client.sendNoResponse(Produce, 9, {
      transactionalId: null, acks: 0, timeoutMs: 30_000, topicData: [{ name: PRODUCE_TOPIC, partitionData: [{ index: 0, records: batch }] }],
    })
    produced += 1n
    const after = await exchange(ListOffsets, 7, { replicaId: -1, topics: [{ name: PRODUCE_TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })
    assert.equal(after.topics[0]?.partitions[0]?.offset, produced)
  })

  test('Fetch: by name, and (v13+) by topic id; the batches decode', async (t) => {
    if (!await needKafka(t)) return
    assert.ok(produced > 0n, 'the Produce test wrote records')
    for (const v of commonVersions(Fetch)) {
      const res = await exchange(Fetch, v, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{
          topic: v <= 12 ? PRODUCE_TOPIC : '',
          topicId: v >= 13 ? produceTopicId : undefined,
          partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 * 1024 }],
        }],
        forgottenTopicsData: [],
        rackId: '',
      })
      if (v >= 7) assert.equal(res.errorCode, ErrorCode.NONE)
      const p = res.responses[0]?.partitions[0]
      assert.equal(p?.errorCode, ErrorCode.NONE, `Fetch v${v}: error ${p?.errorCode}`)
      assert.equal(p?.highWatermark, produced)
      assert.ok(p?.records !== null && p?.records !== undefined && p.records.length > 0)
      const batches = await decodeRecordBatches(p.records)
      assert.equal(batches[0]?.records[1]?.value?.toString(), 'second')
    }
  })

  test('ListOffsets: latest, earliest, and the newer special timestamps', async (t) => {
    if (!await needKafka(t)) return
    for (const v of commonVersions(ListOffsets)) {
      const partitions = [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: -2n }]
      const res = await exchange(ListOffsets, v, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: PRODUCE_TOPIC, partitions: partitions.slice(0, 1) },
          { name: 'differential-create-v7', partitions: [{ partitionIndex: 1, timestamp: -2n }] },
        ],
        timeoutMs: 30_000,
      })
      // Kafka does not keep the request's topic order.
      const latest = res.topics.find(topic => topic.name === PRODUCE_TOPIC)?.partitions[0]
      assert.equal(latest?.errorCode, ErrorCode.NONE)
      assert.equal(latest?.offset, produced)
      assert.equal(res.topics.find(topic => topic.name === 'differential-create-v7')?.partitions[0]?.offset, 0n)
      if (v >= 7) {
        // -3: the offset of the record with the largest timestamp (KIP-734).
        const max = await exchange(ListOffsets, v, { replicaId: -1, topics: [{ name: PRODUCE_TOPIC, partitions: [{ partitionIndex: 0, timestamp: -3n }] }] })
        assert.equal(max.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE)
      }
    }
  })

  test('FindCoordinator: one group key (v1-3) and batched keys (v4+)', async (t) => {
    if (!await needKafka(t)) return
    for (const v of commonVersions(FindCoordinator)) {
      // The first lookup creates __consumer_offsets; until it has a leader the answer is COORDINATOR_NOT_AVAILABLE.
      await eventually(`FindCoordinator v${v} answering`, async () => {
        if (v <= 3) {
          const res = await exchange(FindCoordinator, v, { key: `differential-group-v${v}`, keyType: 0 })
          if (res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) return undefined
          assert.equal(res.errorCode, ErrorCode.NONE)
          assert.deepEqual([res.nodeId, res.host, res.port], [1, kafka?.host, kafka?.port])
          return true
        }
        const keys = [`differential-group-a-v${v}`, `differential-group-b-v${v}`]
        const res = await exchange(FindCoordinator, v, { keyType: 0, coordinatorKeys: keys })
        if (res.coordinators.some(c => c.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)) return undefined
        assert.deepEqual(res.coordinators.map(c => [c.key, c.errorCode, c.nodeId, c.port]), keys.map(k => [k, ErrorCode.NONE, 1, kafka?.port]))
        return true
      })
    }
  })

  test('DescribeConfigs: a topic (all keys, synonyms, documentation) and the broker (named keys)', async (t) => {
    if (!await needKafka(t)) return
    for (const v of commonVersions(DescribeConfigs)) {
      const res = await exchange(DescribeConfigs, v, {
        resources: [
          { resourceType: 2, resourceName: 'differential-create-v7', configurationKeys: null },
          { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.hours', 'auto.create.topics.enable'] },
        ],
        includeSynonyms: true,
        includeDocumentation: v >= 3,
      })
      assert.deepEqual(res.results.map(r => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE])
      const retention = res.results[0]?.configs.find(c => c.name === 'retention.ms')
      assert.equal(retention?.value, '3600000')
      assert.equal(res.results[1]?.configs.length, 3)
    }
  })

  test('Group offsets, groups, cluster, producer ids and topic deletion', async (t) => {
    if (!await needKafka(t)) return
    const group = 'differential-offsets'
    // Standalone commits (no member, generation -1) to an empty group, at every version.
    let committed = -1n
    for (const v of commonVersions(OffsetCommit)) {
      committed = BigInt(100 + v)
      const body = {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [{ name: PRODUCE_TOPIC, partitions: [{ partitionIndex: 0, committedOffset: committed, committedMetadata: `v${v}` }] }],
      }
      await eventually(`OffsetCommit v${v} accepted`, async () => {
        const res = await exchange(OffsetCommit, v, body)
        const code = res.topics[0]?.partitions[0]?.errorCode
        // Until the group's __consumer_offsets partition is loaded Kafka answers with a retriable code.
        const retriable: Array<number | undefined> = [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]
        if (retriable.includes(code)) return undefined
        assert.equal(code, ErrorCode.NONE, `OffsetCommit v${v}: error ${code}`)
        return true
      })
    }
    for (const v of commonVersions(OffsetFetch)) {
      const topics = [{ name: PRODUCE_TOPIC, partitionIndexes: [0] }]
      const res = await exchange(OffsetFetch, v, v < 8 ? { groupId: group, topics } : { groups: [{ groupId: group, topics }], requireStable: true })
      const p = v < 8 ? res.topics[0]?.partitions[0] : res.groups[0]?.topics[0]?.partitions[0]
      assert.equal(p?.errorCode, ErrorCode.NONE)
      assert.equal(p?.committedOffset, committed)
    }
    for (const v of commonVersions(ListGroups)) {
      const res = await exchange(ListGroups, v, {})
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.ok(res.groups.some(g => g.groupId === group), `ListGroups v${v} lists ${group}`)
    }
    for (const v of commonVersions(DescribeGroups)) {
      const res = await exchange(DescribeGroups, v, { groups: [group], includeAuthorizedOperations: v >= 3 })
      assert.equal(res.groups[0]?.errorCode, ErrorCode.NONE)
      assert.equal(res.groups[0]?.groupState, 'Empty')
    }
    for (const v of commonVersions(DescribeCluster)) {
      const res = await exchange(DescribeCluster, v, { includeClusterAuthorizedOperations: true })
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.deepEqual(res.brokers.map(b => [b.brokerId, b.host, b.port]), [[1, kafka?.host, kafka?.port]])
    }
    for (const v of commonVersions(InitProducerId)) {
      // COORDINATOR_LOAD_IN_PROGRESS while the broker fetches its next block of producer ids.
      await eventually(`InitProducerId v${v} answering`, async () => {
        const res = await exchange(InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 })
        if (res.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return undefined
        assert.equal(res.errorCode, ErrorCode.NONE)
        assert.ok(res.producerId >= 0n)
        return true
      })
    }
    const newestCreate = commonVersions(CreateTopics).at(-1) as number
    for (const v of commonVersions(DeleteTopics)) {
      const name = `differential-delete-v${v}`
      const created = await exchange(CreateTopics, newestCreate, { topics: [{ name, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 })
      const topicId = created.topics[0]?.topicId ?? ''
      const res = await exchange(DeleteTopics, v, v >= 6 ? { topics: [{ name: null, topicId }], timeoutMs: 30_000 } : { topicNames: [name], timeoutMs: 30_000 })
      assert.equal(res.responses[0]?.errorCode, ErrorCode.NONE, `DeleteTopics v${v}: ${res.responses[0]?.errorMessage}`)
      if (v >= 6) assert.equal(res.responses[0]?.name, name)
    }
  })

  test('the recording proxy forwards, records, and points clients at itself', async (t) => {
    if (!await needKafka(t)) return
    assert.ok(kafka !== undefined)
    await using proxy = await startRecordingProxy({ host: kafka.host, port: kafka.port })
    await using through = await KafkaTestClient.connect(proxy.host, proxy.port)
    const md = await through.request(Metadata, 12, { topics: null })
    assert.deepEqual(md.brokers.map(b => [b.host, b.port]), [[proxy.host, proxy.port]])
    const fc = await eventually('FindCoordinator v6 through the proxy answering', async () => {
      const res = await through.request(FindCoordinator, 6, { keyType: 0, coordinatorKeys: ['differential-group-proxy'] })
      return res.coordinators[0]?.errorCode === ErrorCode.NONE ? res : undefined
    })
    assert.deepEqual(fc.coordinators.map(c => [c.host, c.port]), [[proxy.host, proxy.port]])
    const frames = proxy.take()
    assert.deepEqual(frames.slice(0, 2).map(f => `${f.direction} ${f.apiKey} v${f.apiVersion}`), ['request 3 v12', 'response 3 v12'])
    assert.deepEqual(frames.slice(-2).map(f => `${f.direction} ${f.apiKey} v${f.apiVersion}`), ['request 10 v6', 'response 10 v6'])
    // What was recorded is Kafka's own answer, before the rewrite.
    const recorded = decodeResponse(Metadata, 12, frames[1]?.frame as Buffer).body
    assert.deepEqual(recorded.brokers.map(b => [b.host, b.port]), [[kafka.host, kafka.port]])
    assert.ok(proxy.rewritten >= 2, `${proxy.rewritten} responses rewritten`)
    assert.deepEqual(proxy.errors, [])
  })

  test('every exchange was confirmed byte for byte', async (t) => {
    if (!await needKafka(t)) return
    const lines: string[] = []
    let pairs = 0
    for (const [name, versions] of confirmed) {
      const api = ALL_APIS.find(a => a.name === name) as unknown as Api
      const k = kafkaRanges.get(api.key)
      const list = [...versions].sort((a, b) => a - b)
      pairs += list.length
      lines.push(`${name}: v${list.join(', v')} (Kafka serves ${k?.[0]}-${k?.[1]}, samsa describes ${api.validVersions.min}-${api.validVersions.max})`)
    }
    t.diagnostic(`${pairs} (api, version) pairs confirmed against Apache Kafka`)
    for (const line of lines) t.diagnostic(line)
    assert.ok(pairs >= 100, `only ${pairs} pairs confirmed`)
  })
})
