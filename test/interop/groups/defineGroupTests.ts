// Registers one node:test test per group matrix row (scenarios kip848, group-mixed,
// exercise-group, consumer-groups; see scenarios.ts, exercise.ts, consumerGroupsTool.ts) against
// samsa or against Apache Kafka. The kip848 and group-mixed rows share one broker for the file;
// the four group-mixed rows share one run (the four clients are in one group), each row checking
// its own client's part. exercise-group rows get their own broker each, which they kill with -9.
// The consumer-groups row against samsa also runs the tool against a reference Kafka and compares.
//
// A row marked samsa: { fails } must fail against samsa (see roundtrip.ts expectOutcome).

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test, type TestContext } from 'node:test'
import { startTestBroker } from '../../helpers/broker.ts'
import { findPeer, type KafkaJars, type PeerName, requirePeer } from '../../helpers/peers.ts'
import { type ReferenceKafka, startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { clientInfo, type ClientId, type MatrixRow, rowName } from '../matrix.ts'
import { expectOutcome, type TargetName } from '../roundtrip.ts'
import { type SamsaProcess, startSamsaProcess } from '../samsaProcess.ts'
import { runConsumerGroupsTool, type ToolTranscript } from './consumerGroupsTool.ts'
import { runGroupExercise } from './exercise.ts'
import type { MemberKind } from './members.ts'
import {
  GROUP_BROKER_CONFIG, GROUP_REFERENCE_CONFIG, KILLED_MEMBER, type MixedPeers, PARTITIONS, runKip848Scenario, runMixedClassicScenario,
  type ScenarioOutcome,
} from './scenarios.ts'

const MEMBER_KIND: Partial<Record<ClientId, MemberKind>> = {
  'confluent-kafka': 'confluent-kafka',
  'kafka-java': 'java',
  'kafka-python': 'kafka-python',
  kafkajs: 'kafkajs',
}

const MIXED_PEERS: readonly PeerName[] = ['kafka-python', 'kafkajs', 'confluent-kafka', 'kafka']

interface Broker { bootstrap: string, stop: () => Promise<void> }

async function startBrokerFor (target: TargetName): Promise<Broker> {
  if (target === 'samsa') {
    const cleanups: Array<() => Promise<void>> = []
    const { bootstrap } = await startTestBroker({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }, { ...GROUP_BROKER_CONFIG })
    return { bootstrap, stop: async () => { for (const fn of cleanups) await fn() } }
  }
  const jars = await findPeer('kafka')
  if (jars === undefined) throw new Error('Apache Kafka is missing: bash .ci/setup kafka')
  const kafka = await startReferenceKafka({ kafka: jars, config: { ...GROUP_REFERENCE_CONFIG } })
  return { bootstrap: kafka.bootstrap, stop: () => kafka.stop() }
}

/** Differences between two tool transcripts, step by step. */
export function transcriptDifferences (expected: ToolTranscript, actual: ToolTranscript): string[] {
  const json = (v: unknown): string => JSON.stringify(v)
  const out: string[] = []
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (json(actual[i]) !== json(expected[i])) out.push(`step ${i}:\n  kafka: ${json(expected[i])}\n  samsa: ${json(actual[i])}`)
  }
  return out
}

export function defineGroupTests ({ target, rows }: { target: TargetName, rows: readonly MatrixRow[] }): void {
  let shared: Promise<Broker> | undefined
  const broker = (): Promise<Broker> => (shared ??= startBrokerFor(target))
  let mixed: Promise<ScenarioOutcome> | undefined
  after(async () => {
    await mixed?.catch(() => {})
    if (shared !== undefined) await (await shared.catch(() => undefined))?.stop()
  })

  const outcome = async (t: TestContext, row: MatrixRow, run: () => Promise<void>): Promise<void> => {
    let failure: Error | undefined
    try {
      await run()
    } catch (error) {
      failure = error as Error
    }
    expectOutcome(t, row, target, failure)
  }

  describe(`group scenarios against ${target}`, () => {
    for (const row of rows) {
      const name = `${rowName(row)} against ${target}`
      switch (row.scenario) {
        case 'kip848':
          test(name, async (t) => {
            const peer = await requirePeer(t, clientInfo(row.client).peer)
            if (peer === undefined) return
            await outcome(t, row, async () => {
              const o = await runKip848Scenario((await broker()).bootstrap, MEMBER_KIND[row.client] as MemberKind, peer as string | KafkaJars, `${row.client}-${target}`)
              t.diagnostic(`took ${o.took} ms; ${o.counts.reduce((a, b) => a + b, 0)} records`)
            })
          })
          break
        case 'group-mixed':
          test(name, async (t) => {
            const peers: Partial<Record<PeerName, unknown>> = {}
            for (const p of MIXED_PEERS) {
              const value = await requirePeer(t, p)
              if (value === undefined) return
              peers[p] = value
            }
            await outcome(t, row, async () => {
              mixed ??= broker().then(b => runMixedClassicScenario(b.bootstrap, {
                'kafka-python': peers['kafka-python'] as string,
                kafkajs: peers.kafkajs as string,
                'confluent-kafka': peers['confluent-kafka'] as string,
                java: peers.kafka as KafkaJars,
              } satisfies MixedPeers, target))
              const o = await mixed
              t.diagnostic(`the mixed group took ${o.took} ms; ${o.counts.reduce((a, b) => a + b, 0)} records`)
              const kind = MEMBER_KIND[row.client] as MemberKind
              const member = o.members.find(m => m.kind === kind)
              assert.ok(member !== undefined, `a ${kind} member took part`)
              assert.ok(member.events.some(e => e.ev === 'assigned' && e.partitions.length > 0), `the ${kind} member was assigned partitions`)
              assert.ok(member.events.some(e => e.ev === 'record'), `the ${kind} member consumed records`)
              if (kind === KILLED_MEMBER) assert.ok(member.killedAt !== null, `the ${kind} member was killed with -9`)
              else assert.ok(member.events.some(e => e.ev === 'closed'), `the ${kind} member closed cleanly at the end`)
              assert.equal(new Set(o.members.flatMap(m => m.events.flatMap(e => e.ev === 'record' ? [e.p] : []))).size, PARTITIONS)
            })
          })
          break
        case 'exercise-group':
          test(name, async (t) => {
            const python = await requirePeer(t, clientInfo(row.client).peer) as string | undefined
            if (python === undefined) return
            if (target === 'kafka' && await requirePeer(t, 'kafka') === undefined) return
            await outcome(t, row, () => target === 'samsa' ? exerciseOnSamsa(t, python, row) : exerciseOnKafka(t, python, row))
          })
          break
        case 'consumer-groups':
          test(name, async (t) => {
            const kafka = await requirePeer(t, 'kafka')
            if (kafka === undefined) return
            await outcome(t, row, async () => {
              const actual = await runConsumerGroupsTool((await broker()).bootstrap, kafka)
              if (target === 'kafka') {
                assertToolTranscript(actual)
                return
              }
              const reference = await startReferenceKafka({ kafka, config: { ...GROUP_REFERENCE_CONFIG } })
              let expected: ToolTranscript
              try {
                expected = await runConsumerGroupsTool(reference.bootstrap, kafka)
              } finally {
                await reference.stop()
              }
              const differences = transcriptDifferences(expected, actual)
              assert.deepEqual(differences, [], differences.join('\n'))
            })
          })
          break
        default:
          throw new Error(`${rowName(row)}: not a group scenario`)
      }
    }
  })
}

/** What the tool must show on any broker: the offsets and lags the scenario committed. */
function assertToolTranscript (transcript: ToolTranscript): void {
  const step = (label: string): { code: number | null, stdout: string[][] } => {
    const found = transcript.find(([l]) => l === label)
    assert.ok(found !== undefined, `no step ${label}`)
    return found[1] as { code: number | null, stdout: string[][] }
  }
  const rows = step('describe').stdout.filter(f => f[0] === 'tool-classic' || f[0] === 'tool-consumer').map(f => f.slice(0, 6))
  assert.deepEqual(rows.filter(f => f[1] === 'tool-events').sort(), [
    ['tool-classic', 'tool-events', '0', '3', '8', '5'], ['tool-classic', 'tool-events', '1', '5', '8', '3'],
    ['tool-consumer', 'tool-events', '0', '2', '8', '6'], ['tool-consumer', 'tool-events', '1', '6', '8', '2'],
  ])
  assert.deepEqual(step('list with state and type').stdout, [['tool-classic', 'Classic', 'Stable'], ['tool-consumer', 'Consumer', 'Stable']])
  assert.deepEqual(step('list after').stdout, [])
}

async function exerciseOnSamsa (t: TestContext, python: string, row: MatrixRow): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-exercise-group-'))
  let broker: SamsaProcess | undefined
  t.after(async () => {
    await broker?.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })
  try {
    broker = await startSamsaProcess({ dataDir })
    const port = broker.port
    await runGroupExercise(python, {
      bootstrap: () => broker?.bootstrap ?? '',
      async kill9AndRestart () {
        await broker?.stop('SIGKILL')
        broker = undefined
        broker = await startSamsaProcess({ dataDir, port })
      },
    }, `sensors-${row.client}`, `readers-${row.client}`)
  } catch (error) {
    const e = error as Error
    if (broker !== undefined) e.message += `\n--- samsa stderr\n${broker.stderr().slice(-4000)}`
    throw e
  }
}

async function exerciseOnKafka (t: TestContext, python: string, row: MatrixRow): Promise<void> {
  const jars = await findPeer('kafka')
  const logDir = await mkdtemp(join(tmpdir(), 'samsa-exercise-group-kafka-'))
  let kafka: ReferenceKafka | undefined
  t.after(async () => {
    await kafka?.stop()
    await rm(logDir, { recursive: true, force: true })
  })
  const start = (): Promise<ReferenceKafka> => startReferenceKafka({ kafka: jars, logDir })
  kafka = await start()
  await runGroupExercise(python, {
    bootstrap: () => kafka?.bootstrap ?? '',
    async kill9AndRestart () {
      await kafka?.kill()
      kafka = undefined
      kafka = await start()
    },
  }, `sensors-${row.client}`, `readers-${row.client}`)
}
