// A real Apache Kafka to compare samsa with: one KRaft node that is both broker and controller,
// on free loopback ports, in a temp dir, started from the jars of .ci/kafka/pom.xml.
//
//   await using kafka = await startReferenceKafka()
//   // kafka.bootstrap === '127.0.0.1:<port>'
//
// Start: pick two free ports, write server.properties, format the storage (StorageTool, random
// cluster id), run `java -cp '<libs>/*' kafka.Kafka server.properties`, then wait until the
// PLAINTEXT listener answers an ApiVersions request. A KRaft broker opens its listener's acceptor
// only once it is unfenced, so an answer means it serves (measured here: about 2 s from spawn).
// Stop: SIGTERM, SIGKILL after a grace period, remove the temp dir. The JVM never outlives the
// test process (see spawnJava in kafkaTools.ts).

import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { LOG4J2_BROKER_CONFIG, requireKafkaJars, runKafkaToolOk, spawnJava } from './kafkaTools.ts'
import type { KafkaJars } from './peers.ts'

export const REFERENCE_KAFKA_HOST = '127.0.0.1'
/** How long start-up may take: about 2 s alone here, far more with the other core busy. */
export const REFERENCE_KAFKA_START_TIMEOUT_MS = 120_000
/** How long a SIGTERM'd broker may take to shut down cleanly (about 2 s here) before SIGKILL. */
export const REFERENCE_KAFKA_STOP_GRACE_MS = 15_000
/** Attempts with fresh ports when another process took a picked port before Kafka bound it. */
const PORT_ATTEMPTS = 5
const POLL_INTERVAL_MS = 100

/** Settings the helper owns: ports and roles are chosen here, so overriding them would break start(). */
const OWNED_CONFIGS = new Set([
  'process.roles', 'node.id', 'listeners', 'advertised.listeners', 'controller.listener.names',
  'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'inter.broker.listener.name',
  'listener.security.protocol.map', 'log.dirs', 'log.dir',
])

export interface ReferenceKafkaOptions {
  /** server.properties entries, over the defaults below (Kafka's dotted names) */
  config?: Record<string, string | number | boolean>
  /**
   * Kafka's data directory (log.dirs). Given, it is kept on stop and reused when already
   * formatted, so a test can stop (or kill) Kafka and start it again on the same data. Default:
   * inside the temp dir, removed on stop.
   */
  logDir?: string
  /** JVM flags replacing the default heap settings */
  jvmArgs?: readonly string[]
  startTimeoutMs?: number
  kafka?: KafkaJars
}

export interface ReferenceKafka extends AsyncDisposable {
  host: string
  port: number
  /** 'host:port' of the PLAINTEXT listener */
  bootstrap: string
  controllerPort: number
  clusterId: string
  /** Kafka's log.dirs: the partitions' segments live here */
  logDir: string
  /** the broker's own log4j output */
  serverLog: string
  /** the temp dir holding server.properties, the logs and (by default) logDir */
  dir: string
  pid: number
  /** SIGTERM, SIGKILL after REFERENCE_KAFKA_STOP_GRACE_MS, then the temp dir is removed. Idempotent. */
  stop: () => Promise<void>
  /** SIGKILL at once, as a crash would (logDir is left as the crash left it), then as stop(). */
  kill: () => Promise<void>
}

/** Defaults for one node on 2 cores; everything not set here is Kafka's default. */
export const REFERENCE_KAFKA_DEFAULT_CONFIG: Readonly<Record<string, string>> = {
  // Single node: internal topics cannot have more replicas than brokers.
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  // Tests start a group and expect it to form now, not after 3 s of waiting for more members.
  'group.initial.rebalance.delay.ms': '0',
}

// Temp dirs to remove if the process exits before stop().
const liveDirs = new Set<string>()
let exitHookInstalled = false

function removeDirsOnExit (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true })
  })
}

/** A Kafka Uuid as StorageTool takes it: 16 random bytes in unpadded base64url, not starting with '-'. */
export function randomClusterId (): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

function listen (server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, REFERENCE_KAFKA_HOST, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') reject(new Error('no port'))
      else resolve(address.port)
    })
  })
}

/** `count` distinct ports that were free a moment ago (bound to port 0, then released). */
export async function freePorts (count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer())
  try {
    return await Promise.all(servers.map(listen))
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

function serverProperties (config: Record<string, string>): string {
  return Object.entries(config).map(([key, value]) => `${key}=${value}`).join('\n') + '\n'
}

/**
 * Sends ApiVersions v0 (the one request every Kafka version answers before anything else) and
 * resolves once a well-formed answer with error code 0 comes back.
 *   request:  int32 size | int16 api_key=18 | int16 api_version=0 | int32 correlation_id | int16-length client_id
 *   response: int32 size | int32 correlation_id | int16 error_code | int32 count | count x (int16 key, int16 min, int16 max)
 */
export function apiVersionsProbe (host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('samsa-probe')
    const correlationId = 0x5a5a
    const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length)
    request.writeInt32BE(request.length - 4, 0)
    request.writeInt16BE(18, 4)
    request.writeInt16BE(0, 6)
    request.writeInt32BE(correlationId, 8)
    request.writeInt16BE(clientId.length, 12)
    clientId.copy(request, 14)

    const socket = connect({ host, port })
    const chunks: Buffer[] = []
    let received = 0
    const done = (error?: Error): void => {
      socket.destroy()
      if (error) reject(error)
      else resolve()
    }
    socket.setTimeout(timeoutMs, () => done(new Error(`no ApiVersions response within ${timeoutMs} ms`)))
    socket.once('error', done)
    socket.once('close', () => done(new Error('connection closed before an ApiVersions response')))
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received > 64 * 1024) return done(new Error('ApiVersions response larger than 64 KiB'))
      const data = Buffer.concat(chunks)
      if (data.length < 4) return
      const size = data.readInt32BE(0)
      if (data.length < 4 + size) return
      if (size < 10) return done(new Error(`ApiVersions response of ${size} bytes`))
      const gotCorrelationId = data.readInt32BE(4)
      const errorCode = data.readInt16BE(8)
      const count = data.readInt32BE(10)
      if (gotCorrelationId !== correlationId) return done(new Error(`correlation id ${gotCorrelationId}, sent ${correlationId}`))
      if (errorCode !== 0) return done(new Error(`ApiVersions error code ${errorCode}`))
      if (count <= 0) return done(new Error('ApiVersions response lists no APIs'))
      done()
    })
  })
}

async function tail (path: string, lines: number): Promise<string> {
  try {
    const text = await readFile(path, 'utf8')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch (error) {
    return `(cannot read ${path}: ${(error as Error).message})`
  }
}

async function readClusterId (logDir: string): Promise<string | undefined> {
  try {
    const meta = await readFile(join(logDir, 'meta.properties'), 'utf8')
    return /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim()
  } catch {
    return undefined
  }
}

interface Exit { code: number | null, signal: NodeJS.Signals | null }

function exitOf (child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

async function terminate (child: ChildProcess, exited: Promise<Exit>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.ref() // the child is unref'd while it runs; awaiting its exit must keep this process up
  child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL')
  if (graceMs > 0) {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  await exited
}

class PortTakenError extends Error {}

export async function startReferenceKafka (options: ReferenceKafkaOptions = {}): Promise<ReferenceKafka> {
  for (const key of Object.keys(options.config ?? {})) {
    if (OWNED_CONFIGS.has(key)) throw new Error(`startReferenceKafka sets ${key} itself`)
  }
  const kafka = options.kafka ?? await requireKafkaJars()
  const dir = await mkdtemp(join(tmpdir(), 'samsa-reference-kafka-'))
  removeDirsOnExit()
  liveDirs.add(dir)
  try {
    const logDir = options.logDir ?? join(dir, 'data')
    await mkdir(logDir, { recursive: true })
    let clusterId = await readClusterId(logDir)
    for (let attempt = 1; ; attempt++) {
      const [port, controllerPort] = await freePorts(2) as [number, number]
      const config: Record<string, string> = {
        'process.roles': 'broker,controller',
        'node.id': '1',
        'controller.quorum.voters': `1@${REFERENCE_KAFKA_HOST}:${controllerPort}`,
        listeners: `PLAINTEXT://${REFERENCE_KAFKA_HOST}:${port},CONTROLLER://${REFERENCE_KAFKA_HOST}:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://${REFERENCE_KAFKA_HOST}:${port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs': logDir,
        ...REFERENCE_KAFKA_DEFAULT_CONFIG,
        ...Object.fromEntries(Object.entries(options.config ?? {}).map(([key, value]) => [key, String(value)])),
      }
      const propertiesFile = join(dir, 'server.properties')
      await writeFile(propertiesFile, serverProperties(config))
      if (clusterId === undefined) {
        clusterId = randomClusterId()
        // The formatted directory records the cluster id and bootstrap metadata, not the ports.
        await runKafkaToolOk('kafka-storage', ['format', '--cluster-id', clusterId, '--config', propertiesFile], { kafka })
      }
      try {
        return await launch({ kafka, dir, logDir, port, controllerPort, clusterId, propertiesFile, options, attempt })
      } catch (error) {
        if (error instanceof PortTakenError && attempt < PORT_ATTEMPTS) continue
        throw error
      }
    }
  } catch (error) {
    liveDirs.delete(dir)
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

interface Launch {
  kafka: KafkaJars
  dir: string
  logDir: string
  port: number
  controllerPort: number
  clusterId: string
  propertiesFile: string
  options: ReferenceKafkaOptions
  attempt: number
}

async function launch ({ kafka, dir, logDir, port, controllerPort, clusterId, propertiesFile, options, attempt }: Launch): Promise<ReferenceKafka> {
  const serverLog = join(dir, attempt === 1 ? 'server.log' : `server-${attempt}.log`)
  const consoleLog = join(dir, attempt === 1 ? 'console.log' : `console-${attempt}.log`)
  const consoleFile = await open(consoleLog, 'w')
  let child: ChildProcess
  try {
    child = spawnJava(kafka, [
      ...(options.jvmArgs ?? ['-Xms256m', '-Xmx512m']),
      `-Dlog4j2.configurationFile=${LOG4J2_BROKER_CONFIG}`,
      `-Dsamsa.log.file=${serverLog}`,
    ], 'kafka.Kafka', [propertiesFile], {
      stdio: ['ignore', consoleFile.fd, consoleFile.fd], cwd: dir, removeOnOrphan: dir,
    })
  } finally {
    await consoleFile.close() // the child has its own copy of the descriptor
  }
  // An unref'd child does not keep the test process alive; the exit hooks kill it if a test
  // forgets stop().
  child.unref()
  const exited = exitOf(child)
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))

  const timeoutMs = options.startTimeoutMs ?? REFERENCE_KAFKA_START_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  let lastProbeError = 'not probed yet'
  for (;;) {
    const outcome = await Promise.race([
      apiVersionsProbe(REFERENCE_KAFKA_HOST, port, 5_000).then(() => 'serving' as const, (error: Error) => {
        lastProbeError = error.message
        return 'not yet' as const
      }),
      exited.then((exit) => exit),
      spawnError,
    ])
    if (outcome === 'serving') break
    if (outcome instanceof Error) throw new Error(`cannot run ${kafka.java}: ${outcome.message}`)
    if (outcome !== 'not yet') {
      const logs = `${await tail(serverLog, 40)}\n--- ${consoleLog}\n${await tail(consoleLog, 20)}`
      if (/Address already in use/.test(logs)) throw new PortTakenError(`port ${port} or ${controllerPort} was taken`)
      throw new Error(`reference Kafka exited during start-up (code ${outcome.code}, signal ${outcome.signal}); ${serverLog}:\n${logs}`)
    }
    if (Date.now() > deadline) {
      await terminate(child, exited, 0)
      throw new Error(`reference Kafka did not answer ApiVersions on ${REFERENCE_KAFKA_HOST}:${port} within ${timeoutMs} ms ` +
        `(last probe: ${lastProbeError}); ${serverLog}:\n${await tail(serverLog, 40)}\n--- ${consoleLog}\n${await tail(consoleLog, 20)}`)
    }
    await delay(POLL_INTERVAL_MS)
  }

  let stopping: Promise<void> | undefined
  const shutdown = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      await terminate(child, exited, graceMs)
      liveDirs.delete(dir)
      await rm(dir, { recursive: true, force: true })
    })()
    return stopping
  }
  const pid = child.pid
  if (pid === undefined) throw new Error('reference Kafka has no pid')
  return {
    host: REFERENCE_KAFKA_HOST,
    port,
    bootstrap: `${REFERENCE_KAFKA_HOST}:${port}`,
    controllerPort,
    clusterId,
    logDir,
    serverLog,
    dir,
    pid,
    stop: () => shutdown(REFERENCE_KAFKA_STOP_GRACE_MS),
    kill: () => shutdown(0),
    [Symbol.asyncDispose]: () => shutdown(REFERENCE_KAFKA_STOP_GRACE_MS),
  }
}
