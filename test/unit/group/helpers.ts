// Shared set-up for the group coordinator unit tests: a coordinator on a manual clock and an
// in-memory __consumer_offsets, and small request builders.
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { ConsumerProtocolSubscription } from '../../../src/protocol/messages/ConsumerProtocolSubscription.ts'
import { Writer } from '../../../src/protocol/Writer.ts'
import { nullLogger } from '../../../src/Logger.ts'
import { GroupCoordinator } from '../../../src/group/GroupCoordinator.ts'
import type { GroupCoordinatorConfig } from '../../../src/group/GroupCoordinatorConfig.ts'
import type { GroupProtocol, JoinGroupResult, SyncGroupResult } from '../../../src/group/ClassicGroupMember.ts'
import type { GroupRequestContext } from '../../../src/group/GroupMetadataManager.ts'
import { ManualClock } from './ManualClock.ts'
import { MemoryCoordinatorLog } from './MemoryCoordinatorLog.ts'

export const SESSION_MS = 10_000
export const REBALANCE_MS = 30_000

export function testConfig (overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  return {
    numPartitions: 50,
    initialRebalanceDelayMs: 0,
    minSessionTimeoutMs: 6000,
    maxSessionTimeoutMs: 1_800_000,
    maxSize: 2_147_483_647,
    newMemberJoinTimeoutMs: 300_000,
    offsetMetadataMaxSize: 4096,
    offsetsRetentionMs: 7 * 24 * 3600_000,
    offsetsRetentionCheckIntervalMs: 600_000,
    ...overrides,
  }
}

export interface Harness {
  gc: GroupCoordinator
  clock: ManualClock
  log: MemoryCoordinatorLog
  config: GroupCoordinatorConfig
}

export async function startCoordinator (overrides: Partial<GroupCoordinatorConfig> = {}, log = new MemoryCoordinatorLog(), clock = new ManualClock()): Promise<Harness> {
  const config = testConfig(overrides)
  const gc = new GroupCoordinator({ config, log, clock, logger: nullLogger })
  await gc.startup()
  return { gc, clock, log, config }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export function flush (): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

/** A consumer-protocol subscription (v0) to the topics. */
export function subscription (topics: readonly string[]): Buffer {
  const w = new Writer()
  w.int16(0)
  encodeMessage(ConsumerProtocolSubscription, 0, { topics, userData: null }, w)
  return w.toBuffer()
}

export function protocols (...names: string[]): GroupProtocol[] {
  return names.map(name => ({ name, metadata: subscription(['t']) }))
}

export function ctx (apiVersion = 9, clientId = 'client'): GroupRequestContext {
  return { clientId, clientHost: '/127.0.0.1', apiVersion }
}

export interface JoinOpts {
  memberId?: string
  groupInstanceId?: string | null
  protocols?: GroupProtocol[]
  protocolType?: string
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  version?: number
}

export function join (h: Harness, groupId: string, o: JoinOpts = {}): Promise<JoinGroupResult> {
  return h.gc.joinGroup(ctx(o.version ?? 9), {
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_MS,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? REBALANCE_MS,
    memberId: o.memberId ?? '',
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? protocols('range'),
    reason: null,
  })
}

export function sync (h: Harness, groupId: string, memberId: string, generationId: number,
  assignments: Array<{ memberId: string, assignment: Buffer }> = [], groupInstanceId: string | null = null): Promise<SyncGroupResult> {
  return h.gc.syncGroup(ctx(), { groupId, generationId, memberId, groupInstanceId, protocolType: null, protocolName: null, assignments })
}

export function heartbeat (h: Harness, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): Promise<number> {
  return h.gc.heartbeat({ groupId, generationId, memberId, groupInstanceId })
}

/** Whether the promise has settled (after letting callbacks run). */
export async function isSettled (p: Promise<unknown>): Promise<boolean> {
  let settled = false
  p.then(() => { settled = true }, () => { settled = true })
  await flush()
  return settled
}

/** Joins a new member with v4+ semantics (MEMBER_ID_REQUIRED round trip) and returns the parked second JoinGroup. */
export async function joinNew (h: Harness, groupId: string, o: JoinOpts = {}): Promise<{ memberId: string, response: Promise<JoinGroupResult> }> {
  const first = await join(h, groupId, o)
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`)
  return { memberId: first.memberId, response: join(h, groupId, { ...o, memberId: first.memberId }) }
}
