// `node scripts/capture-golden.ts [client ...]`: records the frames real Kafka clients and Apache
// Kafka exchange, as golden fixtures for test/unit/protocol/golden.test.ts.
//
// One reference Kafka (test/helpers/referenceKafka.ts) runs behind the recording proxy
// (test/helpers/recordingProxy.ts, with ApiVersions clamped to the versions samsa describes, so
// each client negotiates what it would negotiate with samsa). Each client in turn creates a topic,
// produces (compressed where the client can), consumes in a group, and its frames are written to
// test/fixtures/golden/<client>/<Api>-v<version>-<request|response>-<n>.bin: the frame without
// its size prefix, as the sender wrote it. Identical frames are stored once, at most
// FRAMES_PER_KEY per (api, version, direction), none over MAX_FRAME_BYTES. A client's folder is
// replaced only when its run succeeds. manifest.json records the client and Kafka versions.
//
// Needs every peer (see `node test/helpers/peers.ts`); the unit test that reads the fixtures
// needs none.

import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeResponse } from '../src/protocol/RequestHeader.ts'
import { apiByKey } from '../src/protocol/RequestHeader.ts'
import { ApiVersions } from '../src/protocol/messages/index.ts'
import { ErrorCode } from '../src/protocol/ErrorCode.ts'
import { runKafkaToolOk } from '../test/helpers/kafkaTools.ts'
import { detectPeer, findPeer, type KafkaJars, missingPeerMessage } from '../test/helpers/peers.ts'
import { type RecordedFrame, startRecordingProxy } from '../test/helpers/recordingProxy.ts'
import { startReferenceKafka } from '../test/helpers/referenceKafka.ts'

const GOLDEN_DIR = fileURLToPath(new URL('../test/fixtures/golden/', import.meta.url))
/** Distinct frames kept per (api, version, direction) and client. */
const FRAMES_PER_KEY = 3
/** Larger frames are left out, to keep the fixtures a few hundred KB at most. */
const MAX_FRAME_BYTES = 64 * 1024
/** How long one client's run may take: JVM start-up, a group join, a consumer's idle timeout. */
const CLIENT_TIMEOUT_MS = 180_000
const MESSAGES = 5

interface Ctx { bootstrap: string, topic: string, group: string, kafka: KafkaJars }

function run (file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: CLIENT_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-3000)}`))
      else resolve(stdout)
    })
    child.stdin?.end(input ?? '')
  })
}

// ---- the clients ----

const KAFKA_PYTHON = `
import sys
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='golden-admin')
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
admin.close()
for compression in (None, 'gzip'):
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id='golden-producer', compression_type=compression, acks='all')
    for i in range(n):
        producer.send(topic, key=b'k', value=('%s %d' % (compression, i)).encode(), headers=[('h', b'v')])
    producer.flush()
    producer.close()
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, client_id='golden-consumer', group_id=group,
                         auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=20000)
seen = 0
for message in consumer:
    seen += 1
    if seen == 2 * n:
        break
consumer.commit()
consumer.close()
if seen != 2 * n:
    sys.exit('consumed %d of %d messages' % (seen, 2 * n))
`

async function kafkaPython (ctx: Ctx): Promise<void> {
  const python = await findPeer('kafka-python-debian')
  if (python === undefined) throw new Error(await missingPeerMessage('kafka-python-debian'))
  await run(python, ['-c', KAFKA_PYTHON, ctx.bootstrap, ctx.topic, ctx.group, String(MESSAGES)])
}

async function kcat (ctx: Ctx): Promise<void> {
  const bin = await findPeer('kcat')
  if (bin === undefined) throw new Error(await missingPeerMessage('kcat'))
  const b = ['-b', ctx.bootstrap, '-X', 'client.id=golden-kcat']
  await run(bin, [...b, '-L', '-t', ctx.topic]) // auto-creates the topic
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const lines = Array.from({ length: MESSAGES }, (_, i) => `k:${codec} ${i}`).join('\n') + '\n'
    await run(bin, [...b, '-P', '-t', ctx.topic, '-p', '0', '-K', ':', '-z', codec], lines)
  }
  const consumed = await run(bin, [...b, '-C', '-t', ctx.topic, '-o', 'beginning', '-e', '-q'])
  if (consumed.trim().split('\n').length !== 5 * MESSAGES) throw new Error(`kcat -C read:\n${consumed}`)
  const grouped = await run(bin, [...b, '-G', ctx.group, '-o', 'beginning', '-e', '-q', ctx.topic])
  if (grouped.trim().split('\n').length !== 5 * MESSAGES) throw new Error(`kcat -G read:\n${grouped}`)
}

async function kafkajs (ctx: Ctx): Promise<void> {
  const { Kafka, logLevel, CompressionTypes } = (await import('kafkajs')).default
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [ctx.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: ctx.topic, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    await producer.send({
      topic: ctx.topic,
      compression,
      messages: Array.from({ length: MESSAGES }, (_, i) => ({ key: 'k', value: `${compression} ${i}`, headers: { h: 'v' } })),
    })
  }
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: ctx.group })
  await consumer.connect()
  await consumer.subscribe({ topics: [ctx.topic], fromBeginning: true })
  let seen = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafkajs consumed ${seen} of ${2 * MESSAGES}`)), CLIENT_TIMEOUT_MS)
    consumer.run({
      eachMessage: async () => {
        if (++seen === 2 * MESSAGES) { clearTimeout(timer); resolve() }
      },
    }).catch(reject)
  })
  await consumer.disconnect()
}

async function platformatic (ctx: Ctx): Promise<void> {
  const { Admin, Producer, Consumer, stringSerializers, stringDeserializers } = await import('@platformatic/kafka')
  const base = { clientId: 'golden-platformatic', bootstrapBrokers: [ctx.bootstrap] }
  const admin = new Admin(base)
  await admin.createTopics({ topics: [ctx.topic], partitions: 1, replicas: 1 })
  await admin.close()
  const producer = new Producer({ ...base, serializers: stringSerializers })
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    await producer.send({
      compression,
      messages: Array.from({ length: MESSAGES }, (_, i) => ({ topic: ctx.topic, key: 'k', value: `${compression} ${i}`, headers: { h: 'v' } })),
    })
  }
  await producer.close()
  const consumer = new Consumer({ ...base, groupId: ctx.group, deserializers: stringDeserializers })
  const stream = await consumer.consume({ topics: [ctx.topic], mode: 'earliest', autocommit: true, maxWaitTime: 500 })
  let seen = 0
  for await (const message of stream) {
    void message
    if (++seen === 5 * MESSAGES) break
  }
  await stream.close()
  await consumer.close()
}

async function java (ctx: Ctx): Promise<void> {
  const opts = { kafka: ctx.kafka }
  const b = ['--bootstrap-server', ctx.bootstrap]
  await runKafkaToolOk('kafka-topics', [...b, '--create', '--topic', ctx.topic, '--partitions', '1'], opts)
  await runKafkaToolOk('kafka-topics', [...b, '--describe', '--topic', ctx.topic], opts)
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const lines = Array.from({ length: MESSAGES }, (_, i) => `k:${codec} ${i}`).join('\n') + '\n'
    await runKafkaToolOk('kafka-console-producer', [...b, '--topic', ctx.topic, '--property', 'parse.key=true', '--property', 'key.separator=:',
      '--producer-property', `compression.type=${codec}`], { ...opts, input: lines })
  }
  await runKafkaToolOk('kafka-console-consumer', [...b, '--topic', ctx.topic, '--group', ctx.group, '--from-beginning',
    '--max-messages', String(5 * MESSAGES), '--timeout-ms', '60000'], opts)
  await runKafkaToolOk('kafka-configs', [...b, '--describe', '--entity-type', 'topics', '--entity-name', ctx.topic], opts)
}

const CLIENTS: Record<string, { peer: Parameters<typeof detectPeer>[0], drive: (ctx: Ctx) => Promise<void> }> = {
  'kafka-python': { peer: 'kafka-python-debian', drive: kafkaPython },
  kcat: { peer: 'kcat', drive: kcat },
  kafkajs: { peer: 'kafkajs', drive: kafkajs },
  'platformatic-kafka': { peer: '@platformatic/kafka', drive: platformatic },
  java: { peer: 'kafka', drive: java },
}

// ---- choosing and writing fixtures ----

interface Fixture { name: string, frame: Buffer }

/** The version a response frame decodes at: its request's, or v0 for an ApiVersions refusal. */
function responseVersion (f: RecordedFrame): number | undefined {
  const api = apiByKey(f.apiKey)
  if (api === undefined) return undefined
  try {
    decodeResponse(api, f.apiVersion, f.frame)
    return f.apiVersion
  } catch {}
  if (api.key === ApiVersions.key) {
    try {
      if (decodeResponse(ApiVersions, 0, f.frame).body.errorCode === ErrorCode.UNSUPPORTED_VERSION) return 0
    } catch {}
  }
  return undefined
}

function choose (frames: RecordedFrame[]): { fixtures: Fixture[], skipped: string[] } {
  const groups = new Map<string, Buffer[]>()
  const skipped: string[] = []
  for (const f of frames) {
    const api = apiByKey(f.apiKey)
    const version = f.direction === 'request' ? f.apiVersion : responseVersion(f)
    if (api === undefined || version === undefined || !(version >= api.validVersions.min && version <= api.validVersions.max)) {
      skipped.push(`${api?.name ?? `key ${f.apiKey}`} v${f.apiVersion} ${f.direction}: not decodable by samsa's codec`)
      continue
    }
    if (f.frame.length > MAX_FRAME_BYTES) {
      skipped.push(`${api.name} v${version} ${f.direction}: ${f.frame.length} bytes`)
      continue
    }
    const key = `${api.name}-v${version}-${f.direction}`
    let list = groups.get(key)
    if (list === undefined) { list = []; groups.set(key, list) }
    if (!list.some(b => b.equals(f.frame))) list.push(f.frame)
  }
  const fixtures: Fixture[] = []
  for (const [key, list] of groups) {
    // The first, the largest and the last: the handshake, the fullest, and the steady state.
    let picked = list
    if (list.length > FRAMES_PER_KEY) {
      const largest = list.reduce((a, b) => b.length > a.length ? b : a)
      picked = [...new Set([list[0] as Buffer, largest, list.at(-1) as Buffer, ...list])].slice(0, FRAMES_PER_KEY)
    }
    picked.forEach((frame, i) => fixtures.push({ name: `${key}-${i + 1}.bin`, frame }))
  }
  return { fixtures, skipped }
}

// ---- main ----

const wanted = process.argv.slice(2)
for (const name of wanted) if (!(name in CLIENTS)) throw new Error(`unknown client ${name}; known: ${Object.keys(CLIENTS).join(', ')}`)
const selected = wanted.length > 0 ? wanted : Object.keys(CLIENTS)

const jars = await findPeer('kafka')
if (jars === undefined) throw new Error(await missingPeerMessage('kafka'))
const kafka = await startReferenceKafka({ kafka: jars })
const proxy = await startRecordingProxy({ host: kafka.host, port: kafka.port, clampVersions: true })
process.stdout.write(`reference Kafka ${jars.version} at ${kafka.bootstrap}, recording proxy at ${proxy.bootstrap}\n`)

const manifestPath = join(GOLDEN_DIR, 'manifest.json')
const manifest = JSON.parse(await readFile(manifestPath, 'utf8').catch(() => '{"clients":{}}')) as { kafka?: string, clients: Record<string, unknown> }
manifest.kafka = jars.version
let failed = 0
try {
  for (const name of selected) {
    const client = CLIENTS[name] as typeof CLIENTS[string]
    const detection = await detectPeer(client.peer)
    if ('missing' in detection) {
      process.stdout.write(`${name}: skipped, ${await missingPeerMessage(client.peer)}\n`)
      failed++
      continue
    }
    proxy.take()
    try {
      await client.drive({ bootstrap: proxy.bootstrap, topic: `golden-${name}`, group: `golden-${name}-group`, kafka: jars })
    } catch (err) {
      process.stdout.write(`${name}: FAILED ${(err as Error).message}\n`)
      failed++
      continue
    }
    const { fixtures, skipped } = choose(proxy.take())
    const dir = join(GOLDEN_DIR, name)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    for (const f of fixtures) await writeFile(join(dir, f.name), f.frame)
    const bytes = fixtures.reduce((n, f) => n + f.frame.length, 0)
    manifest.clients[name] = { version: detection.version, fixtures: fixtures.length }
    process.stdout.write(`${name} ${detection.version}: ${fixtures.length} fixtures, ${bytes} bytes` +
      (skipped.length > 0 ? `; left out: ${[...new Set(skipped)].join('; ')}` : '') + '\n')
  }
} finally {
  await proxy.close()
  await kafka.stop()
}
if (proxy.errors.length > 0) process.stdout.write(`proxy errors:\n  ${proxy.errors.join('\n  ')}\n`)
if (proxy.dropped > 0) process.stdout.write(`proxy dropped ${proxy.dropped} frames\n`)
await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n')
process.exitCode = failed > 0 ? 1 : 0
