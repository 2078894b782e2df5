// The two brokers under test, each a child process the benchmark spawns itself so that it knows
// the moment of the spawn (cold start is measured from there) and the pid (RSS is read from
// /proc/<pid>/status):
//
//   samsa: `node bin/samsa.js broker --port P --data-dir D`, on samsa's defaults (no fsync per
//          message: log.flush.interval.messages is Long.MAX_VALUE, as in Kafka).
//   Kafka: `java <Kafka's default JVM flags> kafka.Kafka server.properties`, one KRaft node that is
//          broker and controller, from the jars test/helpers/peers.ts finds, on Kafka's defaults
//          (plus the single-node settings of test/helpers/referenceKafka.ts). Its storage is
//          formatted before the clock starts: formatting is a one-off install step, not start-up.
//
// Both get a port picked beforehand, so the cold-start client can knock from the first
// millisecond. Every child is killed when this process exits, however it exits (a watchdog `sh`
// blocked on a pipe from us kills it when the pipe closes), and its temp dir is removed on stop().

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { ApiVersions, CreateTopics, Produce } from '../src/protocol/messages/index.ts'
import { encodeRecordBatchSync } from '../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../test/helpers/KafkaTestClient.ts'
import { LOG4J2_BROKER_CONFIG, requireKafkaJars, runKafkaToolOk, spawnJava } from '../test/helpers/kafkaTools.ts'
import type { KafkaJars } from '../test/helpers/peers.ts'
import { freePorts, randomClusterId, REFERENCE_KAFKA_DEFAULT_CONFIG } from '../test/helpers/referenceKafka.ts'

const SAMSA_BIN = fileURLToPath(new URL('../bin/samsa.js', import.meta.url))
const HOST = '127.0.0.1'

/**
 * The JVM flags bin/kafka-server-start.sh and bin/kafka-run-class.sh give the broker when
 * KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS are unset: a 1 GiB heap and G1.
 */
export const KAFKA_DEFAULT_JVM_ARGS = [
  '-Xmx1G', '-Xms1G',
  '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15',
] as const

/** How long a broker may take to acknowledge its first produce before the run is abandoned. */
export const COLD_START_DEADLINE_MS = 120_000
/** Pause between two attempts of the cold-start client (connect, create, produce). */
const COLD_START_RETRY_MS = 5
/** How long a SIGTERM'd broker may take to stop before it is killed. */
const STOP_GRACE_MS = 30_000

export type BrokerKind = 'samsa' | 'kafka'

export interface Rss {
  /** resident set size now (VmRSS), KiB */
  rssKiB: number
  /** peak resident set size so far (VmHWM), KiB */
  peakKiB: number
}

export interface BenchBroker {
  kind: BrokerKind
  host: string
  port: number
  bootstrap: string
  pid: number
  /** performance.now() just before the spawn */
  spawnedAt: number
  /** the temp dir: data, config and the broker's log */
  dir: string
  /** where the broker's own log goes */
  logFile: string
  /** resolves when the process exits (on its own or by stop()) */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** SIGTERM, SIGKILL after a grace period, then the temp dir is removed (unless keepDir). */
  stop: (options?: { keepDir?: boolean }) => Promise<void>
}

const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false

function track (child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', () => { for (const c of liveChildren) c.kill('SIGKILL') })
  }
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
}

/** Kills `pid` when this process dies: `sh` blocks reading a pipe whose write end only we hold. */
function watchdog (pid: number): ChildProcess {
  const w = spawn('sh', ['-c', 'read -r _; kill -9 "$1" 2>/dev/null', 'samsa-bench-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'], detached: true,
  })
  w.unref()
  ;(w.stdin as Socket | null)?.unref()
  return w
}

function exitOf (child: ChildProcess): BenchBroker['exited'] {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

function stopper (child: ChildProcess, exited: BenchBroker['exited'], dir: string): BenchBroker['stop'] {
  let stopping: Promise<void> | undefined
  return (options = {}) => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
        await exited
        clearTimeout(timer)
      }
      if (options.keepDir !== true) await rm(dir, { recursive: true, force: true })
    })()
    return stopping
  }
}

export interface SamsaOptions {
  /** Write a V8 CPU profile of the broker into this directory (node --cpu-prof). */
  cpuProfileDir?: string
  /** Broker configs by Kafka's names (--override). */
  overrides?: Readonly<Record<string, string>>
  /** More node flags for the broker process (say --trace-gc). */
  nodeFlags?: readonly string[]
  /** An existing data dir (kept on stop), to measure a broker restarted on data already written. */
  dataDir?: string
  /** Environment variables over this process's (say NODE_COMPILE_CACHE). */
  env?: Readonly<Record<string, string>>
}

/** Spawns `samsa broker` and returns at once: readiness is for the caller to find out. */
export async function spawnSamsa (options: SamsaOptions = {}): Promise<BenchBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-'))
  const [port] = await freePorts(1) as [number]
  const logFile = join(dir, 'broker.log')
  const log = await open(logFile, 'w')
  const nodeFlags = [...options.nodeFlags ?? [], ...options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]]
  const args = [...nodeFlags, SAMSA_BIN, 'broker', '--port', String(port), '--data-dir', options.dataDir ?? join(dir, 'data')]
  for (const [k, v] of Object.entries(options.overrides ?? {})) args.push('--override', `${k}=${v}`)
  let child: ChildProcess
  let spawnedAt: number
  try {
    spawnedAt = performance.now()
    child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', log.fd], cwd: dir, env: { ...process.env, ...options.env } })
  } finally {
    await log.close()
  }
  return launched('samsa', child, spawnedAt, port, dir, logFile)
}

function launched (kind: BrokerKind, child: ChildProcess, spawnedAt: number, port: number, dir: string, logFile: string): BenchBroker {
  const pid = child.pid
  if (pid === undefined) throw new Error(`cannot spawn the ${kind} broker`)
  track(child)
  const w = watchdog(pid)
  child.once('exit', () => w.kill('SIGKILL'))
  const exited = exitOf(child)
  return { kind, host: HOST, port, bootstrap: `${HOST}:${port}`, pid, spawnedAt, dir, logFile, exited, stop: stopper(child, exited, dir) }
}

export interface KafkaOptions {
  kafka?: KafkaJars
  jvmArgs?: readonly string[]
  /** server.properties entries over Kafka's defaults */
  config?: Readonly<Record<string, string>>
}

/** Formats a fresh KRaft data dir, then spawns `kafka.Kafka` and returns at once. */
export async function spawnKafka (options: KafkaOptions = {}): Promise<BenchBroker> {
  const kafka = options.kafka ?? await requireKafkaJars()
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-kafka-'))
  const [port, controllerPort] = await freePorts(2) as [number, number]
  const config: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    ...REFERENCE_KAFKA_DEFAULT_CONFIG,
    ...options.config,
  }
  const properties = join(dir, 'server.properties')
  await writeFile(properties, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n')
  await runKafkaToolOk('kafka-storage', ['format', '--cluster-id', randomClusterId(), '--config', properties], { kafka })
  const logFile = join(dir, 'server.log')
  const consoleLog = await open(join(dir, 'console.log'), 'w')
  let child: ChildProcess
  let spawnedAt: number
  try {
    spawnedAt = performance.now()
    child = spawnJava(kafka, [
      ...(options.jvmArgs ?? KAFKA_DEFAULT_JVM_ARGS),
      `-Dlog4j2.configurationFile=${LOG4J2_BROKER_CONFIG}`,
      `-Dsamsa.log.file=${logFile}`,
    ], 'kafka.Kafka', [properties], { stdio: ['ignore', consoleLog.fd, consoleLog.fd], cwd: dir, removeOnOrphan: dir })
  } finally {
    await consoleLog.close()
  }
  return launched('kafka', child, spawnedAt, port, dir, logFile)
}

/** VmRSS and VmHWM of a live process, from /proc/<pid>/status. */
export async function readRss (pid: number): Promise<Rss> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
    if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`)
    return Number(m[1])
  }
  return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') }
}

/** CPU time (user + system) a live process has used, in ms, from /proc/<pid>/stat. */
export async function readCpuMs (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 overall.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(rest[11]) + Number(rest[12])
  return ticks * 10 // USER_HZ is 100 on Linux
}

/**
 * CPU time (ms) of a live process by thread name, from /proc/<pid>/task/<tid>/stat, with trailing
 * digits dropped so a pool is one entry: for samsa `MainThread` (JavaScript), `libuv-worker` (the
 * thread pool doing file I/O), `V8Worker` (concurrent GC and compilation).
 */
export async function readThreadCpuMs (pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>()
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[-_ ]?\d+$/, '')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    byName.set(name, (byName.get(name) ?? 0) + (Number(rest[11]) + Number(rest[12])) * 10)
  }
  return byName
}

export interface ColdStart {
  /** spawn → first ApiVersions answer */
  readyMs: number
  /** spawn → first produce acknowledged (acks=1), topic creation included */
  firstProduceMs: number
}

/** Retried while the broker comes up: a topic not created or led yet. */
const RETRIABLE_PRODUCE_ERRORS = new Set([3, 5, 6, 7, 19, 20])

/**
 * From the spawn: connect (retrying while refused), ApiVersions, CreateTopics `topic` (1
 * partition), then Produce one record with acks=1 until it is acknowledged. Both brokers get the
 * same client and the same 5 ms retry pause.
 */
export async function measureColdStart (broker: BenchBroker, topic = 'cold-start'): Promise<ColdStart> {
  const deadline = broker.spawnedAt + COLD_START_DEADLINE_MS
  let died = false
  void broker.exited.then(() => { died = true })
  let readyMs: number | undefined
  let created = false
  let lastError = 'nothing tried'
  const records = encodeRecordBatchSync({ records: [{ value: 'first' }] })
  while (performance.now() < deadline) {
    if (died) throw new Error(`the ${broker.kind} broker exited during start-up; see ${broker.logFile}`)
    let client: KafkaTestClient | undefined
    try {
      client = await KafkaTestClient.connect(broker.host, broker.port, { clientId: 'samsa-bench', requestTimeoutMs: 30_000, connectTimeoutMs: 1_000 })
      await client.request(ApiVersions, 3, { clientSoftwareName: 'samsa-bench', clientSoftwareVersion: '0' })
      readyMs ??= performance.now() - broker.spawnedAt
      while (!created) {
        const res = await client.request(CreateTopics, 5, {
          topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 30_000, validateOnly: false,
        })
        const code = res.topics[0]?.errorCode
        if (code === 0 || code === 36) created = true
        else {
          lastError = `CreateTopics error ${String(code)}`
          await delay(COLD_START_RETRY_MS)
        }
      }
      for (;;) {
        const res = await client.request(Produce, 9, {
          transactionalId: null, acks: 1, timeoutMs: 30_000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
        })
        const code = res.responses[0]?.partitionResponses[0]?.errorCode
        if (code === 0) return { readyMs, firstProduceMs: performance.now() - broker.spawnedAt }
        if (code === undefined || !RETRIABLE_PRODUCE_ERRORS.has(code)) throw new Error(`first produce failed with error ${String(code)}`)
        lastError = `Produce error ${code}`
        if (performance.now() > deadline) break
        await delay(COLD_START_RETRY_MS)
      }
    } catch (error) {
      if (/first produce failed/.test((error as Error).message)) throw error
      lastError = (error as Error).message
      await delay(COLD_START_RETRY_MS)
    } finally {
      await client?.close()
    }
  }
  throw new Error(`the ${broker.kind} broker acknowledged no produce within ${COLD_START_DEADLINE_MS} ms (last: ${lastError})`)
}

/** Creates topics over the protocol (no JVM start per topic), failing on any error but "exists". */
export async function createTopics (broker: BenchBroker, topics: ReadonlyArray<{ name: string, partitions: number }>): Promise<void> {
  await using client = await KafkaTestClient.connect(broker.host, broker.port, { clientId: 'samsa-bench' })
  const res = await client.request(CreateTopics, 5, {
    topics: topics.map(t => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 30_000, validateOnly: false,
  })
  for (const t of res.topics) {
    if (t.errorCode !== 0 && t.errorCode !== 36) throw new Error(`cannot create ${t.name} on ${broker.kind}: error ${t.errorCode} ${t.errorMessage ?? ''}`)
  }
}
