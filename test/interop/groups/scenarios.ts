// The consumer-group scenarios the interop matrix runs against samsa and against Apache Kafka:
//
// kip848 (one client, group.protocol=consumer): a producer writes to a 6-partition topic all
//   along; members A and B join and split the topic; C joins mid-stream and gets a share; A leaves
//   (closes cleanly); B and C take its partitions; once the producer stops, every record was
//   consumed; ownership was exclusive throughout and records were only read by their owner.
// mixed (classic protocol): kafka-python, kafkajs, confluent-kafka and the Java consumer share one
//   group and the `roundrobin` assignor on a 6-partition topic while a producer writes; the
//   kafka-python member is killed with -9; after its session timeout the others take its
//   partitions; exclusive ownership (the killed member holds nothing from its death on), records
//   read only by their owner, every record consumed at least once.
//
// Brokers run with the settings in GROUP_BROKER_CONFIG (samsa) / GROUP_REFERENCE_CONFIG (Kafka):
// short heartbeat intervals and session timeouts, so the scenarios take seconds, not minutes.

import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import {
  allConsumed, assertAllConsumed, assertExclusiveOwnership, assertRecordsWhileOwned, createTopic, GroupMember, type MemberKind,
  type MemberPeer, shareAll, startProducer, waitUntil,
} from './members.ts'

export const PARTITIONS = 6
/** KIP-848 heartbeat interval and session timeout: reassignment within a heartbeat after a change. */
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 500
export const CONSUMER_SESSION_TIMEOUT_MS = 10_000
/** The classic members' session timeout: how long a killed member's partitions stay unowned. */
export const CLASSIC_SESSION_TIMEOUT_MS = 6000
/** How long each step of a scenario may take on a loaded 2-core machine. */
export const STEP_TIMEOUT_MS = 90_000

export const GROUP_BROKER_CONFIG = {
  'group.consumer.heartbeat.interval.ms': CONSUMER_HEARTBEAT_INTERVAL_MS,
  'group.consumer.session.timeout.ms': CONSUMER_SESSION_TIMEOUT_MS,
} as const

export const GROUP_REFERENCE_CONFIG = {
  ...GROUP_BROKER_CONFIG,
  'group.consumer.min.heartbeat.interval.ms': CONSUMER_HEARTBEAT_INTERVAL_MS,
  'group.consumer.min.session.timeout.ms': CONSUMER_SESSION_TIMEOUT_MS,
} as const

export interface ScenarioOutcome {
  members: GroupMember[]
  counts: number[]
  /** diagnostics: how long it took, in ms */
  took: number
}

async function withMembers<T> (run: (members: GroupMember[]) => Promise<T>): Promise<T> {
  const members: GroupMember[] = []
  try {
    return await run(members)
  } catch (err) {
    const e = err as Error
    e.message += '\n' + members.map(m => m.describe()).join('\n')
    throw e
  } finally {
    for (const m of members) if (m.running) await m.kill9().catch(() => {})
  }
}

export async function runKip848Scenario (bootstrap: string, kind: MemberKind, peer: MemberPeer, name: string): Promise<ScenarioOutcome> {
  const started = Date.now()
  const [host, port] = bootstrap.split(':') as [string, string]
  await using c = await KafkaTestClient.connect(host, Number(port), { clientId: 'group-scenario' })
  const topic = `kip848-${name}`
  const group = `kip848-${name}`
  await createTopic(c, topic, PARTITIONS, group)
  const producer = startProducer(c, topic, PARTITIONS)
  return await withMembers(async (members) => {
    const start = async (n: string): Promise<GroupMember> => {
      const m = await GroupMember.start(kind, peer, { bootstrap, group, topic, protocol: 'consumer', clientId: `${name}-${n}` }, n)
      members.push(m)
      return m
    }
    const [a, b] = await Promise.all([start('A'), start('B')])
    const detail = (): string => members.map(m => `${m.name} owns ${JSON.stringify([...m.owned()].sort())}`).join('; ')
    await waitUntil('A and B split the 6 partitions', () => shareAll([a, b], PARTITIONS), STEP_TIMEOUT_MS, detail)
    const c3 = await start('C')
    await waitUntil('A, B and C share the 6 partitions', () => shareAll([a, b, c3], PARTITIONS), STEP_TIMEOUT_MS, detail)
    await a.stop()
    await waitUntil('B and C hold the 6 partitions once A left', () => shareAll([b, c3], PARTITIONS), STEP_TIMEOUT_MS, detail)
    const counts = await producer.stop()
    await waitUntil('every record produced is consumed', () => allConsumed(members, counts), STEP_TIMEOUT_MS)
    await Promise.all([b.stop(), c3.stop()])
    assertExclusiveOwnership(members)
    assertRecordsWhileOwned(members)
    assertAllConsumed(members, counts)
    return { members: [...members], counts, took: Date.now() - started }
  }).finally(() => producer.stop().catch(() => {}))
}

export interface MixedPeers {
  'kafka-python': string
  kafkajs: string
  'confluent-kafka': string
  java: MemberPeer
}

/** The member killed with -9 in the mixed scenario. */
export const KILLED_MEMBER: MemberKind = 'kafka-python'

export async function runMixedClassicScenario (bootstrap: string, peers: MixedPeers, name: string): Promise<ScenarioOutcome> {
  const started = Date.now()
  const [host, port] = bootstrap.split(':') as [string, string]
  await using c = await KafkaTestClient.connect(host, Number(port), { clientId: 'group-scenario' })
  const topic = `mixed-${name}`
  const group = `mixed-${name}`
  await createTopic(c, topic, PARTITIONS, group)
  const producer = startProducer(c, topic, PARTITIONS)
  return await withMembers(async (members) => {
    const kinds: MemberKind[] = ['kafka-python', 'kafkajs', 'confluent-kafka', 'java']
    const joined = await Promise.all(kinds.map(kind => GroupMember.start(kind, peers[kind], {
      bootstrap, group, topic, protocol: 'classic', assignor: 'roundrobin', sessionTimeoutMs: CLASSIC_SESSION_TIMEOUT_MS, clientId: `${name}-${kind}`,
    }, kind)))
    members.push(...joined)
    const detail = (): string => members.map(m => `${m.name} owns ${JSON.stringify([...m.owned()].sort())}`).join('; ')
    await waitUntil('the four clients share the 6 partitions', () => shareAll(members, PARTITIONS), STEP_TIMEOUT_MS, detail)
    const victim = members.find(m => m.kind === KILLED_MEMBER) as GroupMember
    const orphaned = [...victim.owned()]
    await victim.kill9()
    const survivors = members.filter(m => m !== victim)
    await waitUntil(`the survivors take partitions ${JSON.stringify(orphaned)} of the killed ${KILLED_MEMBER} member`,
      () => shareAll(survivors, PARTITIONS), STEP_TIMEOUT_MS, detail)
    const counts = await producer.stop()
    await waitUntil('every record produced is consumed', () => allConsumed(members, counts), STEP_TIMEOUT_MS)
    await Promise.all(survivors.map(m => m.stop()))
    assertExclusiveOwnership(members)
    assertRecordsWhileOwned(members)
    assertAllConsumed(members, counts)
    return { members: [...members], counts, took: Date.now() - started }
  }).finally(() => producer.stop().catch(() => {}))
}
