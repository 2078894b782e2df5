// Consumer-group members as separate processes (one real client each), a producer that keeps
// writing while members come and go, and the checks the group scenarios make:
//
// - exclusive ownership: from the assignment callbacks every member prints (with the wall-clock
//   time of a machine all processes share), each partition is held by at most one member at any
//   moment. A revocation is printed before the member acknowledges it (the callback runs first),
//   and a new owner gets the partition only after that acknowledgement, so the printed intervals
//   of two members may touch but never overlap. A member killed with -9 holds nothing from the
//   moment it died;
// - a member prints a record only while it holds the record's partition (its own event order);
// - every record produced is consumed at least once.
//
// Member drivers (same argument, same JSON-lines output): confluent_member.py (confluent-kafka,
// librdkafka), kafka_python_member.py, kafkajs_member.ts, GroupMember.java (Kafka's consumer).
// "stop" on stdin closes a member cleanly (it leaves the group); kill9() is a crash.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { CreateTopics, FindCoordinator, Metadata, Produce } from '../../../src/protocol/messages/index.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { LOG4J2_TOOLS_CONFIG, spawnJava } from '../../helpers/kafkaTools.ts'
import type { KafkaJars } from '../../helpers/peers.ts'

const HERE = fileURLToPath(new URL('./', import.meta.url))

export type MemberKind = 'confluent-kafka' | 'kafka-python' | 'kafkajs' | 'java'

export interface MemberConfig {
  bootstrap: string
  group: string
  topic: string
  protocol: 'classic' | 'consumer'
  /** classic: the client-side assignor (range, roundrobin); consumer: the server assignor (uniform, range) */
  assignor?: string
  /** classic groups: the member's session timeout */
  sessionTimeoutMs?: number
  clientId: string
}

/** What runs a member: the interpreter of the Python clients, the kafkajs module URL, or the Kafka jars. */
export type MemberPeer = string | KafkaJars

export type MemberEvent =
  | { ev: 'ready', t: number }
  | { ev: 'assigned' | 'revoked', partitions: number[], lost?: boolean, t: number }
  | { ev: 'record', p: number, o: number, v: string, t: number }
  | { ev: 'error', msg: string, t: number }
  | { ev: 'closed', t: number }

/** Events kept per member: a member printing more fails the test rather than grow it. */
export const MAX_MEMBER_EVENTS = 200_000
/** How long a member may take to start (a JVM compiling GroupMember.java on a busy machine). */
export const MEMBER_START_TIMEOUT_MS = 90_000
/** How long a clean stop may take (leave the group, commit, close). */
export const MEMBER_STOP_TIMEOUT_MS = 60_000
const KEPT_STDERR_BYTES = 16 * 1024

const live = new Set<ChildProcess>()
let exitHook = false

export class GroupMember {
  readonly name: string
  readonly kind: MemberKind
  readonly events: MemberEvent[] = []
  /** set when the test killed it with -9: the time it was dead by */
  killedAt: number | null = null
  private readonly child: ChildProcess
  private stderr = ''
  private readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  private constructor (name: string, kind: MemberKind, child: ChildProcess) {
    this.name = name
    this.kind = kind
    this.child = child
    let partial = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.startsWith('{')) continue
        if (this.events.length >= MAX_MEMBER_EVENTS) {
          child.kill('SIGKILL')
          return
        }
        try {
          this.events.push(JSON.parse(line) as MemberEvent)
        } catch {
          // a line of the client's own logging that happens to start with '{'
        }
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-KEPT_STDERR_BYTES) })
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child)
        resolve({ code, signal })
      })
    })
  }

  static async start (kind: MemberKind, peer: MemberPeer, config: MemberConfig, name: string): Promise<GroupMember> {
    if (!exitHook) {
      exitHook = true
      process.on('exit', () => { for (const c of live) c.kill('SIGKILL') })
    }
    const json = JSON.stringify(config)
    let child: ChildProcess
    switch (kind) {
      case 'confluent-kafka':
        child = spawn(peer as string, [HERE + 'confluent_member.py', json], { stdio: ['pipe', 'pipe', 'pipe'] })
        break
      case 'kafka-python':
        child = spawn(peer as string, [HERE + 'kafka_python_member.py', json], { stdio: ['pipe', 'pipe', 'pipe'] })
        break
      case 'kafkajs':
        child = spawn(process.execPath, [HERE + 'kafkajs_member.ts', JSON.stringify({ ...config, kafkajs: peer })], { stdio: ['pipe', 'pipe', 'pipe'] })
        break
      case 'java':
        child = spawnJava(peer as KafkaJars, ['-Xmx160m', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${LOG4J2_TOOLS_CONFIG}`],
          HERE + 'GroupMember.java', [json], { stdio: ['pipe', 'pipe', 'pipe'] })
        break
    }
    live.add(child)
    child.stdin?.on('error', () => {})
    const member = new GroupMember(name, kind, child)
    await member.waitFor('to start', () => member.events.some(e => e.ev === 'ready'), MEMBER_START_TIMEOUT_MS)
    return member
  }

  /** The partitions the member holds now, by its own callbacks. */
  owned (): Set<number> {
    const owned = new Set<number>()
    for (const e of this.events) {
      if (e.ev === 'assigned') for (const p of e.partitions) owned.add(p)
      else if (e.ev === 'revoked') for (const p of e.partitions) owned.delete(p)
    }
    return this.killedAt === null ? owned : new Set()
  }

  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** Polls until `ok()`, failing if the member exits first or the deadline passes. */
  async waitFor (what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!ok()) {
      if (!this.running) throw new Error(`${this.name} exited before ${what}: ${this.describe()}`)
      if (Date.now() > deadline) throw new Error(`${this.name}: never happened within ${timeoutMs} ms: ${what}\n${this.describe()}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  /** Closes the member cleanly (it leaves the group) and waits for it to exit with 0. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.child.stdin?.write('stop\n')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), MEMBER_STOP_TIMEOUT_MS)
    const { code, signal } = await this.exited
    clearTimeout(timer)
    assert.equal(code, 0, `${this.name} stopped with ${code ?? signal}: ${this.describe()}`)
  }

  async kill9 (): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
    this.killedAt = Date.now()
  }

  describe (): string {
    const errors = this.events.filter(e => e.ev === 'error').slice(-5).map(e => e.ev === 'error' ? e.msg : '')
    const callbacks = this.events.filter(e => e.ev === 'assigned' || e.ev === 'revoked').slice(-12)
    return `${this.kind} ${this.name}: ${this.events.length} events; last callbacks ${JSON.stringify(callbacks)}; errors ${JSON.stringify(errors)}\n--- stderr\n${this.stderr.slice(-3000)}`
  }
}

/** Polls until `ok()` under a deadline whose failure says what never happened. */
export async function waitUntil (what: string, ok: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}\n${detail()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Whether the members together hold all `partitions` partitions, each holding at least one. */
export function shareAll (members: readonly GroupMember[], partitions: number): boolean {
  const all = new Set<number>()
  for (const m of members) {
    const owned = m.owned()
    if (owned.size === 0) return false
    for (const p of owned) all.add(p)
  }
  return all.size === partitions
}

interface Interval { member: string, start: number, end: number }

/** What the checks read of a member (a GroupMember, or a made-up one in the checks' own tests). */
export interface MemberLog { readonly name: string, readonly events: readonly MemberEvent[], readonly killedAt: number | null }

/** Checks that no partition was held by two members at once; returns the intervals per partition. */
export function assertExclusiveOwnership (members: readonly MemberLog[]): Map<number, Interval[]> {
  const byPartition = new Map<number, Interval[]>()
  for (const m of members) {
    const open = new Map<number, number>()
    const close = (p: number, at: number): void => {
      const start = open.get(p)
      if (start === undefined) return
      open.delete(p)
      let list = byPartition.get(p)
      if (list === undefined) byPartition.set(p, list = [])
      list.push({ member: m.name, start, end: at })
    }
    for (const e of m.events) {
      // Whole milliseconds: Java prints them, Python and Node fractions; a hand-over within one
      // millisecond must not look like an overlap.
      const at = Math.floor(e.t)
      if (e.ev === 'assigned') { for (const p of e.partitions) if (!open.has(p)) open.set(p, at) }
      else if (e.ev === 'revoked') for (const p of e.partitions) close(p, at)
    }
    for (const p of [...open.keys()]) close(p, m.killedAt ?? Number.POSITIVE_INFINITY)
  }
  for (const [p, intervals] of byPartition) {
    intervals.sort((a, b) => a.start - b.start)
    for (let i = 1; i < intervals.length; i++) {
      const prev = intervals[i - 1] as Interval
      const cur = intervals[i] as Interval
      assert.ok(prev.end <= cur.start,
        `partition ${p} held by ${prev.member} [${prev.start}, ${prev.end}] and ${cur.member} [${cur.start}, ${cur.end}] at once`)
    }
  }
  return byPartition
}

/** Checks that each member printed records only of partitions it held at the time. */
export function assertRecordsWhileOwned (members: readonly MemberLog[]): void {
  for (const m of members) {
    const owned = new Set<number>()
    for (const e of m.events) {
      if (e.ev === 'assigned') for (const p of e.partitions) owned.add(p)
      else if (e.ev === 'revoked') for (const p of e.partitions) owned.delete(p)
      else if (e.ev === 'record') assert.ok(owned.has(e.p), `${m.name} printed offset ${e.o} of partition ${e.p}, which it did not hold`)
    }
  }
}

/** The (partition, offset) pairs the members printed, with their values. */
export function consumed (members: readonly MemberLog[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of members) for (const e of m.events) if (e.ev === 'record') out.set(`${e.p}:${e.o}`, e.v)
  return out
}

/** A topic with `partitions` partitions, and a coordinator that answers (Kafka creates __consumer_offsets on demand). */
export async function createTopic (c: KafkaTestClient, name: string, partitions: number, group: string): Promise<void> {
  const r = await c.request(CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1 }], timeoutMs: 30_000 })
  assert.equal(r.topics[0]?.errorCode, ErrorCode.NONE, `create ${name}`)
  let ready = false
  const deadline = Date.now() + 60_000
  while (!ready && Date.now() < deadline) {
    const m = await c.request(Metadata, 9, { topics: [{ name }], allowAutoTopicCreation: false })
    const f = await c.request(FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] })
    ready = m.topics[0]?.errorCode === 0 && (m.topics[0]?.partitions.length ?? 0) === partitions &&
      m.topics[0]?.partitions.every(p => p.leaderId >= 0) === true && f.coordinators[0]?.errorCode === 0
    if (!ready) await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.ok(ready, `${name} has leaders and the coordinator of ${group} answers`)
}

/**
 * Writes one record to every partition each `intervalMs` until stopped (values `p<partition>-<n>`,
 * so on a fresh topic record n of a partition has offset n). stop() resolves with the number of
 * records each partition got.
 */
export function startProducer (c: KafkaTestClient, topic: string, partitions: number, intervalMs = 50): { stop: () => Promise<number[]>, produced: () => number } {
  const counts = new Array<number>(partitions).fill(0)
  let running = true
  let failure: Error | undefined
  const loop = (async () => {
    while (running) {
      const topicData = [{
        name: topic,
        partitionData: counts.map((n, index) => ({ index, records: encodeRecordBatchSync({ records: [{ value: `p${index}-${n}` }] }) })),
      }]
      const r = await c.request(Produce, 7, { acks: -1, timeoutMs: 30_000, topicData })
      for (const p of r.responses[0]?.partitionResponses ?? []) {
        // A fresh topic's leaders may not be known everywhere yet: that partition is tried again.
        if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue
        if (p.errorCode !== ErrorCode.NONE) throw new Error(`produce to ${topic}-${p.index}: error ${p.errorCode}`)
        if (p.baseOffset !== BigInt(counts[p.index] ?? -1)) throw new Error(`${topic}-${p.index}: offset ${p.baseOffset}, expected ${counts[p.index] ?? -1}`)
        counts[p.index] = (counts[p.index] ?? 0) + 1
      }
      await new Promise(resolve => setTimeout(resolve, intervalMs))
    }
  })().catch((err: unknown) => { failure = err as Error })
  return {
    stop: async () => {
      running = false
      await loop
      if (failure !== undefined) throw failure
      return counts
    },
    produced: () => counts.reduce((a, b) => a + b, 0),
  }
}

/** Checks that every produced record was printed by some member, with its value. */
export function assertAllConsumed (members: readonly MemberLog[], counts: readonly number[]): void {
  const got = consumed(members)
  const missing: string[] = []
  counts.forEach((n, p) => {
    for (let o = 0; o < n; o++) {
      const v = got.get(`${p}:${o}`)
      if (v === undefined) missing.push(`${p}:${o}`)
      else assert.equal(v, `p${p}-${o}`, `record ${p}:${o}`)
    }
  })
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} records never consumed`)
}

/** Whether every produced record was printed by some member. */
export function allConsumed (members: readonly GroupMember[], counts: readonly number[]): boolean {
  const got = consumed(members)
  return counts.every((n, p) => { for (let o = 0; o < n; o++) if (!got.has(`${p}:${o}`)) return false; return true })
}
