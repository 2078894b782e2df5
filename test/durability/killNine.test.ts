// An acknowledged write survives kill -9 of the broker. A real `samsa broker` process is killed
// with SIGKILL at random moments while produce requests are in flight, restarted on the same data
// dir and port, and after every restart the whole partition is read back and checked against
// what was acknowledged:
//
// - Node verifier (IdempotentVerifier over KafkaTestClient): one idempotent producer id for the
//   whole run, acks=-1, five requests in flight; after each restart it resends its unacknowledged
//   batches with the same producer id, epoch and sequence numbers, so batches the broker had
//   already written must be answered with their original offsets. Run twice: with
//   log.flush.interval.messages=1 (acknowledged means fsynced) and with the default flush policy
//   (the page cache survives the death of the process). Segments are small so that rolls,
//   producer-state snapshots and recovery across several segments all happen.
// - Apache Kafka's VerifiableProducer (the Java client, idempotent, acks=all), which prints one
//   JSON line per acknowledged record with its offset, against the same kind of broker child.
//
// Kill moments come from a seeded PRNG; the seed is printed (test diagnostic) and
// SAMSA_DURABILITY_SEED=<seed> replays the same kill schedule. Some restarts are themselves
// killed at a random moment of start-up (often in the middle of recovery), so recovery must be
// safe to interrupt. No sleeps: the only timers are the random delays before kills, which pick
// the moment, not waits for something to happen.

import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../helpers/brokerProcess.ts'
import { KafkaTestClient } from '../helpers/KafkaTestClient.ts'
import { KAFKA_TOOL_MAIN_CLASSES, LOG4J2_TOOLS_CONFIG, spawnJava } from '../helpers/kafkaTools.ts'
import { requirePeer } from '../helpers/peers.ts'
import { chooseSeed, createTopic, listOffset, prng, randInt, readPartition } from './durabilitySupport.ts'
import { IdempotentVerifier } from './idempotentVerifier.ts'

/** Kill/restart cycles of each Node verifier run (the issue asks for at least 20). */
const NODE_CYCLES = 20
/** Kill/restart cycles of the VerifiableProducer run (the JVM is slower to come back). */
const JAVA_CYCLES = 6
/** Segment size of the killed brokers: small, so a run crosses many segment rolls. */
const SEGMENT_BYTES = 32 * 1024
/** Each kill comes after this many more acknowledged records (drawn uniformly)... */
const KILL_AFTER_ACKED_RECORDS: readonly [number, number] = [1, 400]
/** ...and then after a further random delay, in ms: the moment is random, not awaited. */
const KILL_EXTRA_DELAY_MS: readonly [number, number] = [0, 15]
/** Share of cycles whose restart is itself killed, at a random moment of start-up (often mid-recovery). */
const KILL_DURING_START_SHARE = 0.3
/** That kill comes this long after the spawn, in ms (a start takes about half a second here). */
const KILL_DURING_START_DELAY_MS: readonly [number, number] = [0, 600]

function connect (broker: BrokerProcess): Promise<KafkaTestClient> {
  return KafkaTestClient.connect(broker.host, broker.port, { clientId: 'durability-verifier' })
}

async function nodeVerifierRun (t: TestContext, overrides: Record<string, string | number>): Promise<void> {
  const seed = chooseSeed()
  t.diagnostic(`seed ${seed} (replay with SAMSA_DURABILITY_SEED=${seed})`)
  const killRand = prng(seed)
  const batchRand = prng(seed ^ 0x5bd1e995)
  const topic = 'durable'
  const broker = await startBrokerProcess(t, { overrides: { 'log.segment.bytes': SEGMENT_BYTES, ...overrides } })
  let client = await connect(broker)
  t.after(() => client.close())
  await createTopic(client, topic)
  const v = new IdempotentVerifier(topic, 0, batchRand)
  await v.initProducerId(client)

  let killsWithRequestsInFlight = 0
  let requestsInFlightAtKills = 0
  let recordsReadBack = 0
  let killsDuringStart = 0
  let truncations = 0
  for (let cycle = 1; cycle <= NODE_CYCLES; cycle++) {
    const target = v.ackedRecords + randInt(killRand, ...KILL_AFTER_ACKED_RECORDS)
    const delayMs = randInt(killRand, ...KILL_EXTRA_DELAY_MS)
    const c = client
    let killing: Promise<void> | null = null
    const end = await v.session(c, {
      produceNew: () => true,
      onAck: acked => {
        if (killing !== null || acked < target) return
        killing = new Promise<void>(resolve => setTimeout(resolve, delayMs)).then(async () => {
          const inFlight = c.inFlight
          if (inFlight > 0) killsWithRequestsInFlight++
          requestsInFlightAtKills += inFlight
          await broker.kill9()
        })
      },
    })
    assert.equal(end, 'connection lost')
    assert.ok(killing !== null, `seed ${seed}, cycle ${cycle}: the connection was lost before the kill; broker exit ${JSON.stringify(broker.exitStatus)}\n${broker.logTail()}`)
    await killing
    assert.equal(broker.exitStatus?.signal, 'SIGKILL')
    await client.close()

    let startKill = ''
    if (killRand() < KILL_DURING_START_SHARE) {
      // kill -9 the restart itself, wherever it has got to (loading, recovering, or already serving)
      const startDelay = randInt(killRand, ...KILL_DURING_START_DELAY_MS)
      const starting = broker.restart().then(() => 'ready', () => 'killed before ready')
      await new Promise(resolve => setTimeout(resolve, startDelay))
      if (broker.running) await broker.kill9()
      startKill = `, restart killed after ${startDelay} ms (${await starting})`
      killsDuringStart++
    }
    await broker.restart()
    truncations += broker.logLines().filter(l => /recovery truncated/.test(l.msg ?? '')).length
    client = await connect(broker)
    const when = `seed ${seed}, after kill ${cycle} (kill after ${target} acknowledged records + ${delayMs} ms${startKill})`
    const logEnd = v.check(await readPartition(client, topic, 0, 0n), when)
    recordsReadBack += logEnd
    const latest = await listOffset(client, topic, 0, -1n)
    assert.equal(latest.errorCode, 0)
    assert.equal(latest.offset, BigInt(logEnd), `${when}: ListOffsets latest ${latest.offset}, log end ${logEnd}`)
    v.noteSurvivors(logEnd)
  }

  // Last restart: resend what is still unacknowledged, produce nothing new, and the log must hold
  // every record exactly once.
  assert.equal(await v.session(client, { produceNew: () => false }), 'all acknowledged')
  assert.equal(v.ackedRecords, v.nextSequence)
  assert.equal(v.check(await readPartition(client, topic, 0, 0n), `seed ${seed}, at the end`), v.nextSequence)

  // A clean stop and start changes nothing.
  await client.close()
  const exit = await broker.stop()
  assert.equal(exit.code, 0, `clean stop exited with ${JSON.stringify(exit)}\n${broker.logTail()}`)
  await broker.restart()
  client = await connect(broker)
  assert.equal(v.check(await readPartition(client, topic, 0, 0n), `seed ${seed}, after a clean restart`), v.nextSequence)

  assert.equal(killsWithRequestsInFlight, NODE_CYCLES, 'every kill should find produce requests in flight')
  t.diagnostic(`${NODE_CYCLES} kills (${requestsInFlightAtKills} requests in flight in all) and ${killsDuringStart} more during restarts; ` +
    `${truncations} restarts truncated a torn tail; ${v.nextSequence} records all acknowledged and ` +
    `verified; ${recordsReadBack} records read back over the restarts; ${v.retriedBatches} batches resent, ` +
    `${v.retriedBatchesAlreadyWritten} of them already in the log (answered as duplicates with their original offsets); ` +
    `${v.unackedRecordsSurvived} unacknowledged records survived kills`)
}

test('kill -9 while producing, flush on every message (log.flush.interval.messages=1): every acknowledged record survives, exactly once, in order', async t => {
  await nodeVerifierRun(t, { 'log.flush.interval.messages': 1 })
})

test('kill -9 while producing, default flush policy (page cache): every acknowledged record survives, exactly once, in order', async t => {
  await nodeVerifierRun(t, {})
})

// ---- Apache Kafka's VerifiableProducer --------------------------------------------------------

/** Records the VerifiableProducer sends in all (it exits once each is acknowledged or failed). */
const JAVA_MESSAGES = 20_000
/** Its send rate (messages/s): keeps it producing across every kill. */
const JAVA_THROUGHPUT = 2_500
/** Kill after this many more acknowledged records since the last restart; the sum stays below JAVA_MESSAGES. */
const JAVA_KILL_AFTER: readonly [number, number] = [200, 2_000]
/** How long the VerifiableProducer may run before it is killed (a hang guard). */
const JAVA_TIMEOUT_MS = 240_000
/** stdout/stderr kept from the JVM. */
const JAVA_MAX_OUTPUT_CHARS = 16 * 1024 * 1024

interface Acked { offset: number, value: string }

test('Apache Kafka VerifiableProducer (idempotent, acks=all) across kill -9 and restarts: every acknowledged record is in the log once, at its offset', async t => {
  const kafka = await requirePeer(t, 'kafka')
  if (kafka === undefined) return
  assert.ok(JAVA_CYCLES * JAVA_KILL_AFTER[1] < JAVA_MESSAGES)
  const seed = chooseSeed()
  t.diagnostic(`seed ${seed} (replay with SAMSA_DURABILITY_SEED=${seed})`)
  const rand = prng(seed)
  const topic = 'verifiable'
  const broker = await startBrokerProcess(t, { overrides: { 'log.segment.bytes': SEGMENT_BYTES } })
  {
    await using admin = await connect(broker)
    await createTopic(admin, topic)
  }
  const configDir = await mkdtemp(join(tmpdir(), 'samsa-verifiable-'))
  t.after(() => rm(configDir, { recursive: true, force: true }))
  const producerConfig = join(configDir, 'producer.properties')
  await writeFile(producerConfig, [
    'enable.idempotence=true',
    'retries=2147483647', // the tool's own default is 0, which idempotence refuses
    'acks=all',
    'max.in.flight.requests.per.connection=5',
    // come back quickly once the broker listens again
    'reconnect.backoff.ms=20',
    'reconnect.backoff.max.ms=200',
    'retry.backoff.ms=20',
    'retry.backoff.max.ms=200',
    'delivery.timeout.ms=120000',
    '',
  ].join('\n'))

  const child = spawnJava(kafka, ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${LOG4J2_TOOLS_CONFIG}`],
    KAFKA_TOOL_MAIN_CLASSES['kafka-verifiable-producer'],
    ['--topic', topic, '--bootstrap-server', broker.bootstrap, '--max-messages', String(JAVA_MESSAGES),
      '--throughput', String(JAVA_THROUGHPUT), '--acks', '-1', '--command-config', producerConfig],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })

  const acked: Acked[] = []
  const errors: string[] = []
  let toolData = ''
  let stderr = ''
  let kills = 0
  let ackedSinceRestart = 0
  let target = randInt(rand, ...JAVA_KILL_AFTER)
  let cycling: Promise<void> = Promise.resolve()
  let restarting = false
  let cycleError: unknown = null

  const killAndRestart = async (): Promise<void> => {
    kills++
    await broker.kill9()
    await broker.restart()
    ackedSinceRestart = 0
    target = randInt(rand, ...JAVA_KILL_AFTER)
    restarting = false
  }

  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), JAVA_TIMEOUT_MS)
  t.after(() => clearTimeout(timer))
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => { stderr = (stderr + d).slice(-JAVA_MAX_OUTPUT_CHARS) })
  readLines(child, line => {
    let event: Record<string, unknown>
    try {
      event = JSON.parse(line) as Record<string, unknown>
    } catch {
      return // not one of its JSON events
    }
    if (event.name === 'producer_send_success') {
      acked.push({ offset: Number(event.offset), value: String(event.value) })
      ackedSinceRestart++
      if (!restarting && kills < JAVA_CYCLES && ackedSinceRestart >= target) {
        restarting = true
        cycling = cycling.then(killAndRestart).catch((err: unknown) => { cycleError ??= err })
      }
    } else if (event.name === 'producer_send_error') {
      if (errors.length < 20) errors.push(line)
      else if (errors.length === 20) errors.push('…')
    } else if (event.name === 'tool_data') {
      toolData = line
    }
  })

  const exit = await exited
  await cycling
  if (cycleError !== null) throw cycleError
  assert.equal(exit.code, 0, `VerifiableProducer exited with ${JSON.stringify(exit)}\n--- stderr\n${stderr.slice(-4000)}`)
  assert.equal(kills, JAVA_CYCLES, `only ${kills} kills happened while it produced (${acked.length} acknowledged)`)
  assert.deepEqual(errors, [], `sends failed (seed ${seed}); tool_data ${toolData}`)
  assert.equal(acked.length, JAVA_MESSAGES, `tool_data ${toolData}`)

  await using client = await connect(broker)
  const contents = await readPartition(client, topic, 0, 0n)
  const byOffset = new Map<number, string>()
  const seen = new Set<string>()
  let previous = -1
  for (const r of contents.records) {
    const value = r.value ?? '<null>'
    assert.ok(!seen.has(value), `seed ${seed}: value ${value} is in the log twice (again at offset ${r.offset})`)
    seen.add(value)
    assert.ok(Number(value) > previous, `seed ${seed}: value ${value} at offset ${r.offset} after value ${previous}: out of order`)
    previous = Number(value)
    byOffset.set(Number(r.offset), value)
  }
  for (const a of acked) {
    const stored = byOffset.get(a.offset)
    assert.equal(stored, a.value, `seed ${seed}: acknowledged value ${a.value} at offset ${a.offset}, the log has ${stored ?? 'nothing'} there`)
  }
  assert.equal(contents.records.length, JAVA_MESSAGES, `seed ${seed}: ${contents.records.length} records in the log, ${JAVA_MESSAGES} acknowledged`)
  t.diagnostic(`${kills} kills; ${acked.length} acknowledged records verified at their offsets, none duplicated; ${toolData}`)
})

/** Calls `onLine` for each stdout line of `child` (bounded line length). */
function readLines (child: ChildProcess, onLine: (line: string) => void): void {
  let partial = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (d: string) => {
    const parts = (partial + d).split('\n')
    partial = (parts.pop() ?? '').slice(0, JAVA_MAX_OUTPUT_CHARS)
    for (const p of parts) onLine(p)
  })
}
