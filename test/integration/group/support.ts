// Shared by the group integration tests: topic creation, consumer-protocol metadata and a
// join-then-sync helper speaking the raw protocol at a chosen set of versions.
import assert from 'node:assert/strict'
import type { Broker } from '../../../src/index.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription, JoinGroup, SyncGroup } from '../../../src/protocol/messages/index.ts'
import { Writer } from '../../../src/protocol/Writer.ts'
import type { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'

export async function createTopic (broker: Broker, name: string, partitions = 1): Promise<void> {
  const [r] = await broker.controller.createTopics([{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }], false)
  assert.equal(r?.errorCode, 0, `create ${name}: ${r?.errorMessage ?? ''}`)
}

/** Consumer protocol subscription v0 (what every consumer's assignor metadata starts with). */
export function subscription (topics: readonly string[]): Buffer {
  const w = new Writer()
  w.int16(0)
  encodeMessage(ConsumerProtocolSubscription, 0, { topics, userData: null }, w)
  return w.toBuffer()
}

export function assignment (topic: string, partitions: readonly number[]): Buffer {
  const w = new Writer()
  w.int16(0)
  encodeMessage(ConsumerProtocolAssignment, 0, { assignedPartitions: [{ topic, partitions }], userData: null }, w)
  return w.toBuffer()
}

/** API versions a client generation uses for the group protocol. */
export interface GroupVersions {
  readonly name: string
  readonly join: number
  readonly sync: number
  readonly heartbeat: number
  readonly leave: number
  readonly commit: number
  readonly fetch: number
  readonly find: number
}

export const CLIENT_VERSIONS: readonly GroupVersions[] = [
  { name: 'kafka-python 2.0.2', find: 0, join: 2, sync: 1, heartbeat: 1, leave: 1, commit: 2, fetch: 1 },
  { name: 'librdkafka 2.0', find: 2, join: 5, sync: 3, heartbeat: 3, leave: 1, commit: 7, fetch: 7 },
  { name: 'kafkajs 2.2', find: 2, join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 5, fetch: 4 },
  { name: 'Java 4.1', find: 6, join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 9, fetch: 9 },
  { name: 'oldest', find: 0, join: 0, sync: 0, heartbeat: 0, leave: 0, commit: 0, fetch: 0 },
]

export interface Joined {
  memberId: string
  generationId: number
  leader: string
  protocolName: string | null
  members: Array<{ memberId: string, metadata: Buffer }>
}

/** JoinGroup, answering MEMBER_ID_REQUIRED (v4+) with the id given. */
export async function joinGroup (c: KafkaTestClient, v: number, groupId: string, opts: {
  memberId?: string
  topics?: readonly string[]
  protocols?: readonly string[]
  groupInstanceId?: string | null
  sessionTimeoutMs?: number
} = {}): Promise<Joined> {
  const body = {
    groupId,
    // Long enough that a member a test does not heartbeat for stays, however loaded the machine.
    sessionTimeoutMs: opts.sessionTimeoutMs ?? 120_000,
    rebalanceTimeoutMs: 30_000,
    memberId: opts.memberId ?? '',
    groupInstanceId: opts.groupInstanceId ?? null,
    protocolType: 'consumer',
    protocols: (opts.protocols ?? ['range']).map(name => ({ name, metadata: subscription(opts.topics ?? ['t']) })),
  }
  let r = await c.request(JoinGroup, v, body)
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    assert.ok(v >= 4, `MEMBER_ID_REQUIRED at v${v}`)
    assert.notEqual(r.memberId, '')
    r = await c.request(JoinGroup, v, { ...body, memberId: r.memberId })
  }
  assert.equal(r.errorCode, ErrorCode.NONE, `JoinGroup v${v}`)
  return { memberId: r.memberId, generationId: r.generationId, leader: r.leader, protocolName: r.protocolName, members: r.members }
}

export async function syncGroup (c: KafkaTestClient, v: number, groupId: string, j: Joined, assignments: Array<{ memberId: string, assignment: Buffer }> = [],
  groupInstanceId: string | null = null): Promise<Buffer> {
  const r = await c.request(SyncGroup, v, {
    groupId,
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId,
    protocolType: 'consumer',
    protocolName: j.protocolName,
    assignments,
  })
  assert.equal(r.errorCode, ErrorCode.NONE, `SyncGroup v${v}`)
  return r.assignment
}

/** Polls fn until it returns non-undefined, or fails saying what never happened. */
export async function eventually<T> (what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
