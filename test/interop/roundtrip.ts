// Registers one node:test test per matrix row of a test file, against one broker started for the
// file (samsa in-process, or Apache Kafka). Each client runs all its codec rows in one driver
// call (one process or JVM start per direction where the client allows), started as soon as the
// broker is up, several clients at a time; each row's test then checks its own topic.
//
// A row marked samsa: { fails } must fail against samsa (the test passes, printing what it saw);
// if it passes, the test fails, asking for the matrix to be updated. Against Kafka every row must pass.

import assert from 'node:assert/strict'
import { after, before, test, type TestContext } from 'node:test'
import type { ClientDriver, ConsumeOutcome, ProduceOutcome } from '../helpers/clients/ClientDriver.ts'
import { kafkaTopicsScenario } from '../helpers/clients/kafkaTopicsScenario.ts'
import { kafkaPythonHasCodec, requireKafkaPythonCodec } from '../helpers/clients/pythonCodecs.ts'
import { assertSameRecords, makeRecords, type Codec, type TestRecord } from '../helpers/clients/records.ts'
import { findPeer, requirePeer } from '../helpers/peers.ts'
import { DRIVERS, driverFor, isScenarioOnlyClient, type ScenarioOnlyClient } from './clientDrivers.ts'
import { clientInfo, type ClientId, type MatrixRow, rowName } from './matrix.ts'

/** Each produce or consume call of a driver must finish within this. */
export const DRIVER_TIMEOUT_MS = 60_000
/** Client runs at once: each is a process or two on a 2-core machine. */
const PARALLEL_CLIENTS = 2
/** Records of each kind per codec. */
const RECORDS_PER_KIND = 10

/** kafka-python compresses with optional Python modules (see pythonCodecs.ts). */
const KAFKA_PYTHON_CLIENTS: ReadonlySet<ClientId> = new Set(['kafka-python-2.0.2', 'kafka-python'])

export type TargetName = 'samsa' | 'kafka'

export interface Target { bootstrap: string, stop: () => Promise<void> }

interface ClientRun {
  produced: Map<string, TestRecord[]>
  produceOutcome: ProduceOutcome
  consumeOutcome: ConsumeOutcome
  /** the group scenario's outcome, when the client has that row: undefined when it worked */
  group?: Error | undefined
  /** wall-clock ms of the codec rows and of the group scenario, printed as diagnostics */
  took: { codecs: number, group?: number }
}

function topicFor (client: ClientId, codec: Codec, run: string): string {
  return `interop-${client}-${codec}-${run}`
}

/** Counts slots: at most `n` tasks at once. */
function limiter (n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

/**
 * Row outcome: undefined when it worked, else what went wrong. Checks against the expectation
 * happen in expectOutcome.
 */
export function expectOutcome (t: TestContext, row: MatrixRow, target: TargetName, failure: Error | undefined): void {
  if (target === 'kafka' || row.samsa === 'pass') {
    if (failure !== undefined) throw failure
    return
  }
  if (failure === undefined) {
    assert.fail(`${rowName(row)} now passes against samsa, but test/interop/matrix.ts records it as failing (${row.samsa.fails}): ` +
      'mark it samsa: \'pass\' and run npm run docs')
  }
  t.diagnostic(`known failure (${row.samsa.fails}); observed: ${failure.message.slice(0, 2000)}`)
}

export interface RoundtripOptions {
  target: TargetName
  rows: readonly MatrixRow[]
  start: () => Promise<Target>
}

export function defineRoundtripTests ({ target, rows, start }: RoundtripOptions): void {
  const run = Date.now().toString(36)
  let broker: Target | undefined
  let startError: Error | undefined
  const runs = new Map<ClientId, Promise<ClientRun | undefined>>()
  const slot = limiter(PARALLEL_CLIENTS)

  const clients = [...new Set(rows.filter(r => r.scenario.startsWith('roundtrip-') || r.scenario === 'group').map(r => r.client))]

  async function runClient (client: Exclude<ClientId, ScenarioOnlyClient>, bootstrap: string): Promise<ClientRun | undefined> {
    const driver = await driverFor(client)
    if (driver === undefined) return undefined
    const python = KAFKA_PYTHON_CLIENTS.has(client) ? await findPeer(clientInfo(client).peer) as string : undefined
    const codecs: Codec[] = []
    for (const r of rows) {
      if (r.client !== client || !r.scenario.startsWith('roundtrip-')) continue
      const codec = r.scenario.slice('roundtrip-'.length) as Codec
      if (python === undefined || await kafkaPythonHasCodec(python, codec)) codecs.push(codec) // else the row's test skips or fails
    }
    const produced = new Map(codecs.map(codec => [
      topicFor(client, codec, run),
      makeRecords({ count: RECORDS_PER_KIND, kinds: DRIVERS[client].kinds, tag: `${client}/${codec}` }),
    ]))
    const jobs = codecs.map(codec => {
      const topic = topicFor(client, codec, run)
      return { topic, codec, records: produced.get(topic) ?? [] }
    })
    const started = Date.now()
    const produceOutcome = await driver.produce(bootstrap, jobs, DRIVER_TIMEOUT_MS)
    const consumable = jobs.filter(j => produceOutcome.get(j.topic) === undefined)
    const consumeOutcome = consumable.length === 0
      ? { records: [], errors: new Map<string, string>() }
      : await driver.consume(bootstrap, consumable.map(j => ({ topic: j.topic, count: j.records.length })), DRIVER_TIMEOUT_MS)
    const result: ClientRun = { produced, produceOutcome, consumeOutcome, took: { codecs: Date.now() - started } }
    if (rows.some(r => r.client === client && r.scenario === 'group')) {
      const groupStarted = Date.now()
      try {
        await groupScenario(client, driver, bootstrap)
      } catch (error) {
        result.group = error as Error
      }
      result.took.group = Date.now() - groupStarted
    }
    return result
  }

  /**
   * Batch A is produced and consumed in group G, which commits; batch B is produced; a new
   * consumer (a new process where the client runs in one) in G must get exactly batch B.
   */
  async function groupScenario (client: Exclude<ClientId, ScenarioOnlyClient>, driver: ClientDriver, bootstrap: string): Promise<void> {
    const topic = `interop-${client}-group-${run}`
    const group = `interop-${client}-group-${run}`
    const batches = ['a', 'b'].map(b => makeRecords({ count: RECORDS_PER_KIND, kinds: DRIVERS[client].kinds, tag: `${client}/group/${b}` }))
    for (const [i, records] of batches.entries()) {
      const produced = await driver.produce(bootstrap, [{ topic, codec: 'none', records }], DRIVER_TIMEOUT_MS)
      const produceError = produced.get(topic)
      if (produceError !== undefined) assert.fail(`batch ${i + 1}: ${client} could not produce: ${produceError}`)
      const consumed = await driver.consume(bootstrap, [{ topic, count: records.length }], DRIVER_TIMEOUT_MS, { group })
      const consumeError = consumed.errors.get(topic)
      try {
        assertSameRecords(records, consumed.records.filter(r => r.topic === topic), { headers: true })
      } catch (error) {
        throw new assert.AssertionError({
          message: `batch ${i + 1} of 2 consumed in group ${group}${i === 1 ? ' after the first consumer committed batch 1' : ''}: ${(error as Error).message}` +
            (consumeError !== undefined ? `\n${client}'s consumer reported: ${consumeError}` : ''),
        })
      }
    }
  }

  before(async () => {
    try {
      broker = await start()
    } catch (error) {
      startError = error as Error
      return
    }
    for (const client of clients) {
      if (isScenarioOnlyClient(client)) continue
      const promise = slot(() => runClient(client, broker?.bootstrap ?? ''))
      promise.catch(() => {}) // awaited by the client's tests
      runs.set(client, promise)
    }
  })

  after(async () => {
    await Promise.allSettled(runs.values())
    await broker?.stop()
  })

  for (const row of rows) {
    test(`${rowName(row)} against ${target}`, async (t) => {
      if (target === 'kafka' && await requirePeer(t, 'kafka') === undefined) return
      const peer = await requirePeer(t, clientInfo(row.client).peer)
      if (peer === undefined) return
      if (KAFKA_PYTHON_CLIENTS.has(row.client) && row.scenario.startsWith('roundtrip-') &&
        !await requireKafkaPythonCodec(t, peer as string, row.scenario.slice('roundtrip-'.length) as Codec)) return
      if (startError !== undefined) throw startError
      assert.ok(broker !== undefined)
      let failure: Error | undefined
      try {
        if (row.scenario === 'topics') {
          const kafka = await findPeer('kafka')
          assert.ok(kafka !== undefined)
          await kafkaTopicsScenario(kafka, broker.bootstrap, `interop-topics-${run}`, DRIVER_TIMEOUT_MS)
        } else if (row.scenario.startsWith('roundtrip-')) {
          const codec = row.scenario.slice('roundtrip-'.length) as Codec
          const result = await runs.get(row.client)
          assert.ok(result !== undefined, `no run for ${row.client}`)
          const topic = topicFor(row.client, codec, run)
          t.diagnostic(`${row.client}: all codec rows took ${result.took.codecs} ms`)
          const produceError = result.produceOutcome.get(topic)
          if (produceError !== undefined) assert.fail(`${row.client} could not produce with ${codec}: ${produceError}`)
          const consumeError = result.consumeOutcome.errors.get(topic)
          const consumed = result.consumeOutcome.records.filter(r => r.topic === topic)
          try {
            assertSameRecords(result.produced.get(topic) ?? [], consumed, { headers: true })
          } catch (error) {
            if (consumeError === undefined) throw error
            throw new assert.AssertionError({ message: `${(error as Error).message}\n${row.client}'s consumer reported: ${consumeError}` })
          }
        } else if (row.scenario === 'group') {
          const result = await runs.get(row.client)
          assert.ok(result !== undefined, `no run for ${row.client}`)
          t.diagnostic(`${row.client}: the group scenario took ${result.took.group} ms`)
          if (result.group !== undefined) throw result.group
        } else {
          assert.fail(`scenario ${row.scenario} is not a roundtrip, group or topics scenario`)
        }
      } catch (error) {
        failure = error as Error
      }
      expectOutcome(t, row, target, failure)
    })
  }
}
