// The `samsa <command>` tools as a user runs them: child processes of bin/samsa.js, checked by
// exit code and output. Each scenario is one row of the command x broker matrix (README.md) and
// takes only a bootstrap address, so test/integration/cli/cli.test.ts runs them against samsa and
// test/interop/cli.reference.test.ts against Apache Kafka. Every scenario uses its own topics and
// groups, so scenarios can share a broker.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { runAggregator } from '../../../src/tools/aggregator.ts'

export const SAMSA_BIN = fileURLToPath(new URL('../../../bin/samsa.js', import.meta.url))
/** A hang guard for one CLI run (a JVM-heavy machine can be slow), not a timing assertion. */
export const CLI_TIMEOUT_MS = 120_000
/** How long a poll for a broker-side outcome may take. */
export const POLL_DEADLINE_MS = 60_000
const POLL_INTERVAL_MS = 50
/** stdout/stderr kept per run. */
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024

export interface CliRun { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

export interface CliOptions {
  input?: string
  env?: Readonly<Record<string, string | undefined>>
}

/** The environment a CLI run gets: this one without colour settings, plus `extra`. */
function cliEnv (extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.NO_COLOR
  delete env.FORCE_COLOR
  delete env.SAMSA_DEBUG
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

function collect (child: ChildProcess): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (d: string) => { stdout = (stdout + d).slice(-MAX_OUTPUT_CHARS) })
  child.stderr?.on('data', (d: string) => { stderr = (stderr + d).slice(-MAX_OUTPUT_CHARS) })
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** Runs `samsa ...args` to completion. */
export function runCli (args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [SAMSA_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(options.env) })
  const done = collect(child)
  child.stdin?.on('error', () => {}) // a command that fails before reading its input
  child.stdin?.end(options.input ?? '')
  return done
}

export function describeRun (args: readonly string[], run: CliRun): string {
  return `samsa ${args.join(' ')} -> ${run.code ?? run.signal}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`
}

/** Runs `samsa ...args --bootstrap-server B` and requires exit code 0. */
export async function ok (bootstrap: string, args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const all = [...args, '--bootstrap-server', bootstrap]
  const run = await runCli(all, options)
  assert.equal(run.code, 0, describeRun(all, run))
  return run
}

/** Runs `samsa ...args --bootstrap-server B` and requires exit code 1 with one line on stderr matching `message`. */
export async function fails (bootstrap: string, args: readonly string[], message: RegExp, options: CliOptions = {}): Promise<CliRun> {
  const all = [...args, '--bootstrap-server', bootstrap]
  const run = await runCli(all, options)
  assert.equal(run.code, 1, describeRun(all, run))
  assertOneLineError(run, message, all)
  return run
}

export function assertOneLineError (run: CliRun, message: RegExp, args: readonly string[]): void {
  const lines = run.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `expected one line on stderr\n${describeRun(args, run)}`)
  assert.match(lines[0] as string, message, describeRun(args, run))
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace')
}

/** A command left running (consume --group, aggregate): its output so far, and how to stop it. */
export interface BackgroundCli {
  readonly stdout: () => string
  stop: (signal: NodeJS.Signals) => Promise<CliRun>
}

export function startCli (bootstrap: string, args: readonly string[]): BackgroundCli {
  const child = spawn(process.execPath, [SAMSA_BIN, ...args, '--bootstrap-server', bootstrap], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() })
  let stdout = ''
  child.stdout?.on('data', (d: Buffer) => { stdout = (stdout + d.toString('utf8')).slice(-MAX_OUTPUT_CHARS) })
  const done = collect(child)
  done.catch(() => {})
  return {
    stdout: () => stdout,
    stop: async (signal) => {
      child.kill(signal)
      return await done
    },
  }
}

/** Polls `check` until it returns a value (not undefined), failing after the deadline with `what`. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + POLL_DEADLINE_MS
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${POLL_DEADLINE_MS} ms${last !== undefined ? ` (last error: ${(last as Error).message})` : ''}`)
    await delay(POLL_INTERVAL_MS)
  }
}

export function unique (prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export interface JsonRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: unknown
  value: unknown
  headers?: Record<string, string>
}

export function jsonLines<T = JsonRecord> (stdout: string): T[] {
  return stdout.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as T)
}

/** Every record of a topic, from `samsa consume --from beginning --exit-at-end --format json`. */
export async function consumeAll (bootstrap: string, topic: string, extra: readonly string[] = []): Promise<JsonRecord[]> {
  const run = await ok(bootstrap, ['consume', topic, '--from', 'beginning', '--exit-at-end', '--format', 'json', ...extra])
  return jsonLines(run.stdout)
}

export interface Scenario {
  /** the matrix row: which commands it proves */
  name: string
  run: (bootstrap: string) => Promise<void>
}

// --- produce + consume -------------------------------------------------------------------------

async function produceAndConsume (bootstrap: string): Promise<void> {
  const topic = unique('cli-roundtrip')
  await ok(bootstrap, ['topics', 'create', topic, '--partitions', '2'])
  const lines = ['k1:first', 'k2:{"a":1,"b":[true,null]}', 'k1:third', 'k3:', 'k2:fifth with spaces']
  await ok(bootstrap, ['produce', topic, '--key-separator', ':', '--header', 'source=test', '--header', 'n=1'], { input: lines.join('\n') + '\n' })
  const records = await consumeAll(bootstrap, topic)
  assert.equal(records.length, lines.length)
  for (const r of records) {
    assert.equal(r.topic, topic)
    assert.deepEqual(r.headers, { source: 'test', n: '1' })
    assert.equal(typeof r.timestamp, 'number')
  }
  // Per key, the values in the order produced (one key, one partition).
  const byKey = new Map<unknown, unknown[]>()
  for (const r of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.value])
  assert.deepEqual(Object.fromEntries(byKey), { k1: ['first', 'third'], k2: [{ a: 1, b: [true, null] }, 'fifth with spaces'], k3: [''] })
  for (const k of ['k1', 'k2', 'k3']) assert.equal(new Set(records.filter(r => r.key === k).map(r => r.partition)).size, 1, `key ${k} in one partition`)

  // A fixed key and partition; --from -1 on that partition; --format value prints the line as sent.
  await ok(bootstrap, ['produce', topic, '--key', 'fixed', '--partition', '1', '--compression', 'gzip'], { input: 'x1\nx2\n' })
  const last = await ok(bootstrap, ['consume', topic, '--partition', '1', '--from', '-1', '--exit-at-end', '--format', 'value'])
  assert.equal(last.stdout, 'x2\n')
  const p1 = jsonLines((await ok(bootstrap, ['consume', topic, '--partition', '1', '--from', '-2', '-e', '--format', 'json'])).stdout)
  assert.deepEqual(p1.map(r => [r.key, r.value]), [['fixed', 'x1'], ['fixed', 'x2']])

  // -n stops early; @TIME in the future reads nothing; an offset on one partition.
  const two = await ok(bootstrap, ['consume', topic, '--from', 'beginning', '-n', '2', '--format', 'json'])
  assert.equal(jsonLines(two.stdout).length, 2)
  const future = await ok(bootstrap, ['consume', topic, '--from', `@${Date.now() + 3_600_000}`, '-e', '--format', 'json'])
  assert.equal(future.stdout, '')
  const all = await ok(bootstrap, ['consume', topic, '--from', '@0', '-e', '--format', 'json'])
  assert.equal(jsonLines(all.stdout).length, lines.length + 2)
  const fromOffset = await ok(bootstrap, ['consume', topic, '--partition', '1', '--from', '1', '-e', '--format', 'json'])
  assert.deepEqual(jsonLines(fromOffset.stdout).map(r => r.offset), jsonLines(all.stdout).filter(r => r.partition === 1).map(r => r.offset).filter(o => o >= 1))
  // `--from end` (the default) with --exit-at-end prints nothing and exits.
  assert.equal((await ok(bootstrap, ['consume', topic, '-e'])).stdout, '')

  await fails(bootstrap, ['consume', unique('no-such-topic'), '-e'], /^samsa consume: unknown topic 'no-such-topic-[0-9a-f]+'$/)
  await fails(bootstrap, ['consume', topic, '--partition', '7', '-e'], /has no partition 7/)
  await fails(bootstrap, ['produce', topic, '--partition', '9'], /has no partition 9/, { input: 'x\n' })
  await fails(bootstrap, ['produce', topic, '--key-separator', ':'], /line 2 has no key separator ':'/, { input: 'a:1\nno separator\n' })
}

// --- topics ------------------------------------------------------------------------------------

interface TopicJson { name: string, topicId: string, partitionCount: number, replicationFactor: number, configs: Record<string, string>, partitions: Array<{ partition: number, leader: number }> }

async function describeTopic (bootstrap: string, topic: string): Promise<TopicJson> {
  const [d] = JSON.parse((await ok(bootstrap, ['topics', 'describe', topic, '--json'])).stdout) as TopicJson[]
  assert.ok(d !== undefined)
  return d
}

async function topics (bootstrap: string): Promise<void> {
  const topic = unique('cli-topics')
  const created = await ok(bootstrap, ['topics', 'create', '--topic', topic, '--partitions', '3', '--config', 'retention.ms=600000', '--replication-factor', '1'])
  assert.match(created.stderr, new RegExp(`Created topic ${topic}`))
  await fails(bootstrap, ['topics', 'create', topic], /^samsa topics create: topic '.*' already exists$/)
  await ok(bootstrap, ['topics', 'create', topic, '--if-not-exists'])
  const listed = (await ok(bootstrap, ['topics', 'list'])).stdout.split('\n')
  assert.ok(listed.includes(topic), listed.join(','))
  assert.ok((JSON.parse((await ok(bootstrap, ['topics', 'list', '--json', '--exclude-internal'])).stdout) as string[]).includes(topic))
  assert.ok(!(JSON.parse((await ok(bootstrap, ['topics', 'list', '--json', '--exclude-internal'])).stdout) as string[]).some(t => t.startsWith('__')))

  let d = await describeTopic(bootstrap, topic)
  assert.equal(d.partitionCount, 3)
  assert.equal(d.replicationFactor, 1)
  assert.deepEqual(d.configs, { 'retention.ms': '600000' })
  assert.deepEqual(d.partitions.map(p => p.partition), [0, 1, 2])
  assert.match(d.topicId, /^[0-9a-zA-Z_-]{8,}/)
  const text = (await ok(bootstrap, ['topics', 'describe', topic])).stdout
  assert.match(text, new RegExp(`^Topic: ${topic}\\tTopicId: \\S+\\tPartitionCount: 3\\tReplicationFactor: 1\\tConfigs: retention.ms=600000\\n`))
  assert.match(text, new RegExp(`\\tTopic: ${topic}\\tPartition: 2\\tLeader: \\d+\\tReplicas: \\d+\\tIsr: \\d+\\n`))

  await ok(bootstrap, ['topics', 'alter', topic, '--partitions', '5', '--config', 'retention.ms=1200000', '--config', 'cleanup.policy=compact'])
  d = await waitFor('5 partitions after alter', async () => {
    const x = await describeTopic(bootstrap, topic)
    return x.partitionCount === 5 && x.configs['retention.ms'] === '1200000' ? x : undefined
  })
  assert.deepEqual(d.configs, { 'retention.ms': '1200000', 'cleanup.policy': 'compact' })
  await ok(bootstrap, ['topics', 'alter', topic, '--delete-config', 'retention.ms'])
  assert.deepEqual((await describeTopic(bootstrap, topic)).configs, { 'cleanup.policy': 'compact' })
  await fails(bootstrap, ['topics', 'alter', topic, '--partitions', '2'], /has 5 partitions; the count can only grow/)

  await ok(bootstrap, ['topics', 'delete', topic])
  await waitFor('topic gone from the list', async () => ((await ok(bootstrap, ['topics', 'list'])).stdout.split('\n').includes(topic) ? undefined : true))
  await fails(bootstrap, ['topics', 'describe', topic], /^samsa topics describe: unknown topic '.*'$/)
  await fails(bootstrap, ['topics', 'delete', topic], /^samsa topics delete: unknown topic '.*'$/)
  await ok(bootstrap, ['topics', 'delete', topic, '--if-exists'])
  await fails(bootstrap, ['topics', 'alter', topic, '--partitions', '9'], /unknown topic/)
}

// --- groups ------------------------------------------------------------------------------------

interface GroupJson {
  groupId: string
  state: string
  members: Array<{ memberId: string, clientId: string, assignments: Array<{ topic: string, partition: number }> }>
  partitions: Array<{ topic: string, partition: number, currentOffset: number | null, logEndOffset: number, lag: number | null, consumerId: string | null }>
  totalLag: number
}

async function describeGroupJson (bootstrap: string, group: string): Promise<GroupJson> {
  return JSON.parse((await ok(bootstrap, ['groups', 'describe', group, '--json'])).stdout) as GroupJson
}

async function groups (bootstrap: string): Promise<void> {
  const topic = unique('cli-groups')
  const group = unique('cli-printers')
  await ok(bootstrap, ['topics', 'create', topic, '--partitions', '2'])
  await ok(bootstrap, ['produce', topic, '--key-separator', '='], { input: 'a=1\nb=2\nc=3\nd=4\ne=5\nf=6\n' })

  // A printer in the group reads everything and commits it.
  const first = await ok(bootstrap, ['consume', topic, '--group', group, '--from', 'beginning', '-e', '--format', 'json'])
  assert.equal(jsonLines(first.stdout).length, 6)
  let d = await describeGroupJson(bootstrap, group)
  assert.equal(d.groupId, group)
  assert.deepEqual(d.partitions.map(p => [p.partition, p.currentOffset === p.logEndOffset, p.lag]), [[0, true, 0], [1, true, 0]])
  assert.equal(d.totalLag, 0)
  assert.equal(d.members.length, 0)
  assert.ok((await ok(bootstrap, ['groups', 'list'])).stdout.split('\n').includes(group))
  assert.ok((JSON.parse((await ok(bootstrap, ['groups', 'list', '--json'])).stdout) as Array<{ groupId: string }>).some(g => g.groupId === group))
  assert.match((await ok(bootstrap, ['groups', 'list', '--state'])).stdout, new RegExp(`^GROUP +STATE +PROTOCOL-TYPE\\n(.*\\n)*${group} +Empty +consumer\\n`, 'm'))

  // Three more records: the lag says so, per partition and in total.
  await ok(bootstrap, ['produce', topic, '--key-separator', '='], { input: 'g=7\nh=8\ni=9\n' })
  d = await describeGroupJson(bootstrap, group)
  assert.equal(d.totalLag, 3)
  assert.equal(d.partitions.reduce((n, p) => n + (p.lag ?? 0), 0), 3)
  for (const p of d.partitions) assert.equal(p.lag, p.logEndOffset - (p.currentOffset ?? 0))
  const table = (await ok(bootstrap, ['groups', 'describe', '--group', group])).stdout
  assert.match(table, /^Consumer group '.*' has no active members\.\n\nGROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID\n/)
  assert.match(table, new RegExp(`^${group} +${topic} +0 +\\d+ +\\d+ +\\d+ +- +- +-$`, 'm'))
  assert.match(table, /\nTOTAL-LAG: 3\n$/)

  // The next printer in the group gets exactly the three new records.
  const second = await ok(bootstrap, ['consume', topic, '--group', group, '-e', '--format', 'json'])
  assert.deepEqual(jsonLines(second.stdout).map(r => r.key).sort(), ['g', 'h', 'i'])
  assert.equal((await describeGroupJson(bootstrap, group)).totalLag, 0)

  // reset-offsets: a dry run changes nothing; --execute does.
  const dry = await ok(bootstrap, ['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest'])
  assert.match(dry.stdout, /^GROUP +TOPIC +PARTITION +NEW-OFFSET\n/)
  assert.match(dry.stdout, new RegExp(`^${group} +${topic} +0 +0$`, 'm'))
  assert.match(dry.stderr, /Dry run/)
  assert.equal((await describeGroupJson(bootstrap, group)).totalLag, 0)
  const executed = JSON.parse((await ok(bootstrap, ['groups', 'reset-offsets', group, '--all-topics', '--to-earliest', '--execute', '--json'])).stdout) as { executed: boolean, offsets: Array<{ partition: number, newOffset: number }> }
  assert.equal(executed.executed, true)
  assert.deepEqual(executed.offsets.map(o => o.newOffset), [0, 0])
  assert.equal((await describeGroupJson(bootstrap, group)).totalLag, 9)
  await ok(bootstrap, ['groups', 'reset-offsets', group, '--topic', `${topic}:0`, '--to-latest', '--execute'])
  await ok(bootstrap, ['groups', 'reset-offsets', group, '--topic', `${topic}:0`, '--shift-by', '-1', '--execute'])
  d = await describeGroupJson(bootstrap, group)
  const p0 = d.partitions.find(p => p.partition === 0)
  assert.equal(p0?.lag, 1)
  assert.equal(d.totalLag, 1 + (d.partitions.find(p => p.partition === 1)?.logEndOffset ?? 0))
  await ok(bootstrap, ['groups', 'reset-offsets', group, '--topic', topic, '--to-datetime', new Date(Date.now() + 3_600_000).toISOString(), '--execute'])
  assert.equal((await describeGroupJson(bootstrap, group)).totalLag, 0)
  await ok(bootstrap, ['groups', 'reset-offsets', group, '--topic', topic, '--by-duration', 'P1D', '--execute'])
  assert.equal((await describeGroupJson(bootstrap, group)).totalLag, 9)

  // With a live member: describe shows it; offsets cannot be reset; Ctrl-C stops it cleanly.
  const live = startCli(bootstrap, ['consume', topic, '--group', group, '--format', 'json'])
  try {
    d = await waitFor('a member in the group', async () => {
      const x = await describeGroupJson(bootstrap, group)
      return x.members.length === 1 && x.members[0]?.assignments.length === 2 && x.totalLag === 0 ? x : undefined
    })
    assert.equal(d.state, 'Stable')
    assert.ok(d.partitions.every(p => p.consumerId === d.members[0]?.memberId))
    const members = (await ok(bootstrap, ['groups', 'describe', group, '--members'])).stdout
    assert.match(members, /^GROUP +CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS\n/)
    assert.match(members, /samsa-consume +2\n$/)
    assert.match((await ok(bootstrap, ['groups', 'describe', group, '--state'])).stdout, new RegExp(`^GROUP +ASSIGNMENT-STRATEGY +STATE +#MEMBERS\\n${group} +\\S+ +Stable +1\\n$`))
    await fails(bootstrap, ['groups', 'reset-offsets', group, '--all-topics', '--to-earliest', '--execute'], /has active members/)
    await fails(bootstrap, ['groups', 'delete', group], /has active members/)
  } finally {
    const stopped = await live.stop('SIGINT')
    assert.equal(stopped.code, 0, `consume --group after SIGINT: ${stopped.code ?? stopped.signal}\n${stopped.stderr}`)
    assert.equal(jsonLines(stopped.stdout).length, 9)
  }

  // Deleting the group (once its member left).
  await waitFor('the group to be empty', async () => ((await describeGroupJson(bootstrap, group)).members.length === 0 ? true : undefined))
  await ok(bootstrap, ['groups', 'delete', group])
  await fails(bootstrap, ['groups', 'describe', group], /^samsa groups describe: consumer group '.*' does not exist$/)
  assert.ok(!(await ok(bootstrap, ['groups', 'list'])).stdout.split('\n').includes(group))
}

// --- sensor ------------------------------------------------------------------------------------

interface SensorReading { sensor_id: string, seq: number, timestamp: number, temperature: number, humidity: number }

async function sensor (bootstrap: string): Promise<void> {
  const topic = unique('cli-sensors')
  const run = await ok(bootstrap, ['sensor', '--topic', topic, '--sensors', '3', '--count', '4', '--interval', '20ms'])
  const printed = jsonLines<SensorReading>(run.stdout)
  assert.equal(printed.length, 12)
  const records = await consumeAll(bootstrap, topic)
  assert.equal(records.length, 12)
  const bySensor = new Map<string, SensorReading[]>()
  for (const r of records) {
    const v = r.value as SensorReading
    assert.equal(r.key, v.sensor_id, 'keyed by sensor id')
    assert.deepEqual(Object.keys(v), ['sensor_id', 'seq', 'timestamp', 'temperature', 'humidity'])
    assert.ok(v.temperature > 0 && v.temperature < 50 && v.humidity >= 0 && v.humidity <= 100, JSON.stringify(v))
    assert.ok(Math.abs(v.timestamp * 1000 - r.timestamp) < 1000, 'reading time ~ record time')
    bySensor.set(v.sensor_id, [...(bySensor.get(v.sensor_id) ?? []), v])
  }
  assert.deepEqual([...bySensor.keys()].sort(), ['sensor-1', 'sensor-2', 'sensor-3'])
  for (const readings of bySensor.values()) {
    readings.sort((a, b) => a.seq - b.seq)
    assert.deepEqual(readings.map(r => r.seq), [0, 1, 2, 3])
    for (let i = 1; i < readings.length; i++) {
      const [a, b] = [readings[i - 1] as SensorReading, readings[i] as SensorReading]
      assert.ok(b.timestamp > a.timestamp, 'one reading per interval, in time order')
      assert.ok(Math.abs(b.temperature - a.temperature) <= 0.6, 'values drift, they do not jump')
    }
  }
  assert.deepEqual(printed.map(p => `${p.sensor_id}#${p.seq}`).sort(), records.map(r => `${(r.value as SensorReading).sensor_id}#${(r.value as SensorReading).seq}`).sort())
}

// --- aggregate ---------------------------------------------------------------------------------

const T0 = 1_700_000_000 // seconds, a multiple of the 10 s window
const WINDOW_S = 10

/** Readings every 2 s from T0 + from to T0 + to (exclusive) for a sensor: temperature 20 + (i % 7) / 2. */
function readings (sensorId: string, from: number, to: number): string[] {
  const out: string[] = []
  for (let s = from; s < to; s += 2) {
    const i = s / 2
    out.push(`${sensorId}|${JSON.stringify({ sensor_id: sensorId, seq: i, timestamp: T0 + s, temperature: 20 + (i % 7) / 2, humidity: 40 + (i % 3) })}`)
  }
  return out
}

interface WindowJson { sensor_id: string, window_start: number, window_end: number, count: number, temperature: { min: number, max: number, mean: number }, humidity: { min: number, max: number, mean: number } }

/** The stats of [T0 + start, + 10 s) for a sensor, computed here from the same formula as readings(). */
function expectedWindow (sensorId: string, start: number): WindowJson {
  const temps: number[] = []
  const hums: number[] = []
  for (let s = start; s < start + WINDOW_S; s += 2) { temps.push(20 + ((s / 2) % 7) / 2); hums.push(40 + ((s / 2) % 3)) }
  const stat = (xs: number[]): { min: number, max: number, mean: number } => ({ min: Math.min(...xs), max: Math.max(...xs), mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 })
  return { sensor_id: sensorId, window_start: T0 + start, window_end: T0 + start + WINDOW_S, count: temps.length, temperature: stat(temps), humidity: stat(hums) }
}

function windowKey (w: WindowJson): string {
  return `${w.sensor_id}@${w.window_start}`
}

function sortWindows (ws: readonly WindowJson[]): WindowJson[] {
  return [...ws].sort((a, b) => windowKey(a).localeCompare(windowKey(b)))
}

/** Sensors a and b write to partition 0, c to partition 1: each partition's watermark is known. */
async function produceReadings (bootstrap: string, topic: string, from: number, to: number): Promise<void> {
  const p0 = [...readings('a', from, to), ...readings('b', from, to)]
  // interleave a and b in time order, as two live sensors would
  p0.sort((x, y) => (JSON.parse(x.split('|')[1] as string) as { timestamp: number }).timestamp - (JSON.parse(y.split('|')[1] as string) as { timestamp: number }).timestamp)
  await ok(bootstrap, ['produce', topic, '--key-separator', '|', '--partition', '0'], { input: p0.join('\n') + '\n' })
  await ok(bootstrap, ['produce', topic, '--key-separator', '|', '--partition', '1'], { input: readings('c', from, to).join('\n') + '\n' })
}

async function outputWindows (bootstrap: string, topic: string): Promise<WindowJson[]> {
  const records = await consumeAll(bootstrap, topic)
  for (const r of records) assert.equal(r.key, (r.value as WindowJson).sensor_id)
  return records.map(r => r.value as WindowJson)
}

async function aggregate (bootstrap: string): Promise<void> {
  const input = unique('cli-readings')
  const output = `${input}.stats`
  await ok(bootstrap, ['topics', 'create', input, '--partitions', '2'])
  const args = ['aggregate', '--input', input, '--output', output, '--window', `${WINDOW_S}s`, '--exit-at-end']

  // Part 1: 0-16 s. Windows [0, 10) close for every sensor; [10, 20) stays open.
  await produceReadings(bootstrap, input, 0, 16)
  const run1 = await ok(bootstrap, args)
  const part1 = ['a', 'b', 'c'].map(s => expectedWindow(s, 0))
  assert.deepEqual(sortWindows(jsonLines<WindowJson>(run1.stdout)), part1)
  assert.deepEqual(sortWindows(await outputWindows(bootstrap, output)), part1)
  // The group committed the first offset of each open window: lag = the open window's readings.
  const group = JSON.parse((await ok(bootstrap, ['groups', 'describe', `samsa-aggregate-${output}`, '--json'])).stdout) as GroupJson
  assert.deepEqual(group.partitions.map(p => [p.partition, p.lag]), [[0, 6], [1, 3]])

  // Part 2 after a clean restart: 16-30 s. [10, 20) closes, read again from its first reading.
  await produceReadings(bootstrap, input, 16, 30)
  const run2 = await ok(bootstrap, args)
  const part2 = ['a', 'b', 'c'].map(s => expectedWindow(s, 10))
  assert.deepEqual(sortWindows(jsonLines<WindowJson>(run2.stdout)), part2)
  assert.deepEqual(sortWindows(await outputWindows(bootstrap, output)), sortWindows([...part1, ...part2]), 'no window lost or emitted twice across a clean restart')

  // kill -9 of a running aggregator after it emitted: the restart loses nothing and never
  // changes a window; a window emitted after the last commit may appear twice, identical.
  // A short session (Kafka's minimum) so that the restarted aggregator need not wait long for the
  // killed member to be expelled from the group.
  const session = ['-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500']
  const running = startCli(bootstrap, ['aggregate', '--input', input, '--output', output, '--window', `${WINDOW_S}s`, ...session])
  try {
    await produceReadings(bootstrap, input, 30, 44) // closes [20, 30)
    await waitFor('the running aggregator to emit [20, 30)', async () => ((await outputWindows(bootstrap, output)).length >= 9 ? true : undefined))
  } finally {
    await running.stop('SIGKILL')
  }
  await produceReadings(bootstrap, input, 44, 50) // closes [30, 40); [40, 50) stays open
  await ok(bootstrap, [...args, ...session])
  const all = await outputWindows(bootstrap, output)
  const expected = sortWindows(['a', 'b', 'c'].flatMap(s => [0, 10, 20, 30].map(start => expectedWindow(s, start))))
  const deduped = new Map(all.map(w => [windowKey(w), w]))
  assert.deepEqual(sortWindows([...deduped.values()]), expected)
  for (const w of all) assert.deepEqual(w, deduped.get(windowKey(w)), 'a window emitted twice has the same stats')
  for (const w of [...part1, ...part2]) assert.equal(all.filter(x => windowKey(x) === windowKey(w)).length, 1, `committed window ${windowKey(w)} emitted once`)
}

/**
 * The aggregator stopped between the output's acknowledgement and the commit (onOutput throws):
 * nothing is committed, so the restart emits the same windows again, with the same stats, and the
 * windows committed afterwards are never emitted again.
 */
async function aggregateCrash (bootstrap: string): Promise<void> {
  const input = unique('crash-readings')
  const output = `${input}.stats`
  await ok(bootstrap, ['topics', 'create', input, '--partitions', '2'])
  const client = { bootstrapServers: [bootstrap] }
  await produceReadings(bootstrap, input, 0, 16)
  await assert.rejects(runAggregator({ ...client, input, output, windowMs: WINDOW_S * 1000, exitAtEnd: true, onOutput: () => { throw new Error('crash before commit') } }), /crash before commit/)
  const part1 = ['a', 'b', 'c'].map(s => expectedWindow(s, 0))
  assert.deepEqual(sortWindows(await outputWindows(bootstrap, output)), part1, 'acknowledged before the crash')
  const again = await runAggregator({ ...client, input, output, windowMs: WINDOW_S * 1000, exitAtEnd: true })
  assert.equal(again.emitted, 3, 'the uncommitted windows are emitted again')
  assert.deepEqual(sortWindows(await outputWindows(bootstrap, output)), sortWindows([...part1, ...part1]))
  await produceReadings(bootstrap, input, 16, 30)
  const third = await runAggregator({ ...client, input, output, windowMs: WINDOW_S * 1000, exitAtEnd: true })
  assert.equal(third.emitted, 3)
  assert.deepEqual(sortWindows(await outputWindows(bootstrap, output)), sortWindows([...part1, ...part1, ...['a', 'b', 'c'].map(s => expectedWindow(s, 10))]))
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'produce + consume', run: produceAndConsume },
  { name: 'topics list/create/describe/alter/delete', run: topics },
  { name: 'groups list/describe/reset-offsets/delete (+ consume --group)', run: groups },
  { name: 'sensor', run: sensor },
  { name: 'aggregate (clean restart, kill -9)', run: aggregate },
  { name: 'aggregate (crash between ack and commit)', run: aggregateCrash },
]
