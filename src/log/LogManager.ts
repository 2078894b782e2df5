// All partition logs of the broker, spread over the directories in `log.dirs`, and the periodic
// work on them (retention, flush, checkpoints, producer-id expiry).
//
// Each log dir holds, as Kafka's do:
//   meta.properties                      version=1, cluster.id, node.id, directory.id (key=value)
//   recovery-point-offset-checkpoint     per partition: offset below which data is fsynced
//   log-start-offset-checkpoint          per partition: first offset still served
//   cleaner-offset-checkpoint            per compacted partition: first offset not yet cleaned (LogCleaner)
//   .kafka_cleanshutdown                 present only between a clean close and the next start
//   <topic>-<partition>/                 one Log each
//   <topic>-<partition>.<id>-delete/     a deleted partition, removed in the background
//
// Start-up: meta.properties is read (or written) and checked against node.id and the cluster id;
// every partition directory is loaded with the checkpointed recovery point and log start offset
// (`num.recovery.threads.per.data.dir` at a time per dir). A dir with the clean-shutdown marker
// skips recovery; the marker is deleted once the dir is loaded, so a crash from then on recovers.
// With log.cleaner.enable, the LogCleaner compacts the logs whose cleanup.policy includes compact,
// in the background, from the end of start-up to close().
// close(): stops the cleaner, closes every Log (each flushes), writes both checkpoints, then the marker.
//
// Invariants: at most one Log per topic-partition; a partition lives in exactly one log dir; the
// timers are unref'd (they never keep the process alive) and stopped by close().

import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile, open } from 'node:fs/promises'
import { join } from 'node:path'
import { nullLogger, type Logger } from '../Logger.ts'
import { CheckpointFile, CheckpointFormatError, fsyncDir, LOG_START_OFFSET_CHECKPOINT_FILE, RECOVERY_POINT_CHECKPOINT_FILE, type TopicPartitionOffset } from './CheckpointFile.ts'
import { FileHandleCache, MAX_OPEN_SEGMENT_FILES } from './FileHandleCache.ts'
import { Log } from './Log.ts'
import { DEFAULT_CLEANER_CONFIG, LogCleaner } from './LogCleaner.ts'
import { logConfig, NEVER, type LogConfig } from './LogConfig.ts'
import type { RecordsDecompressor } from './LogSegment.ts'

export const META_PROPERTIES_FILE = 'meta.properties'
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'
export const DELETE_DIR_SUFFIX = '-delete'
export const FUTURE_DIR_SUFFIX = '-future'
export const STRAY_DIR_SUFFIX = '-stray'

/** Logs closed (flushed) at once by close(): overlaps fsyncs without opening every file at once. */
export const CLOSE_CONCURRENCY = 8

/** Longest delay setTimeout honours; larger intervals mean "never" (Kafka's Long.MAX_VALUE defaults). */
const MAX_TIMER_MS = 0x7fffffff

export interface LogManagerConfig {
  /** Comma-separated list (as in server.properties) or an array. */
  'log.dirs': string | readonly string[]
  'node.id': number
  'log.retention.check.interval.ms': number
  'log.flush.scheduler.interval.ms': number
  'log.flush.offset.checkpoint.interval.ms': number
  'log.flush.start.offset.checkpoint.interval.ms': number
  'producer.id.expiration.check.interval.ms': number
  'num.recovery.threads.per.data.dir': number
  'log.cleaner.enable': boolean
  'log.cleaner.backoff.ms': number
  'log.cleaner.dedupe.buffer.size': number
  'log.cleaner.io.buffer.size': number
}

export const DEFAULT_LOG_MANAGER_CONFIG: Readonly<Omit<LogManagerConfig, 'log.dirs'>> = Object.freeze({
  'node.id': 1,
  'log.retention.check.interval.ms': 300000,
  'log.flush.scheduler.interval.ms': NEVER,
  'log.flush.offset.checkpoint.interval.ms': 60000,
  'log.flush.start.offset.checkpoint.interval.ms': 60000,
  'producer.id.expiration.check.interval.ms': 600000,
  'num.recovery.threads.per.data.dir': 2,
  ...DEFAULT_CLEANER_CONFIG,
})

export interface LogManagerOptions {
  config: Partial<LogManagerConfig> & Pick<LogManagerConfig, 'log.dirs'>
  /** Cluster id to write into a new meta.properties, and to check an existing one against. */
  clusterId?: string
  /** Topic-level defaults (already resolved from the broker's log.* settings). */
  defaultLogConfig?: Partial<LogConfig>
  /** Per-topic overrides for logs found at start-up (the topic configs the broker stores). */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined
  logger?: Logger
  now?: () => number
  maxOpenSegmentFiles?: number
  decompress?: RecordsDecompressor
  onHighWatermarkUpdated?: (log: Log) => void
}

export class MetaPropertiesError extends Error {
  override readonly name = 'MetaPropertiesError'
}

export interface MetaProperties {
  version: number
  clusterId: string
  nodeId: number
  directoryId: string
}

/** `<topic>-<partition>` -> [topic, partition], or null when the name is not a partition dir. */
export function parseTopicPartitionName (name: string): [string, number] | null {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return null
  const p = name.slice(dash + 1)
  if (!/^(0|[1-9]\d{0,9})$/.test(p) || Number(p) > 0x7fffffff) return null
  const topic = name.slice(0, dash)
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') return null
  return [topic, Number(p)]
}

function key (topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** A random id in Kafka's text form: 16 bytes, URL-safe base64, no padding, never starting with '-'. */
export function randomUuidString (): string {
  for (;;) {
    const s = randomBytes(16).toString('base64url')
    if (!s.startsWith('-')) return s
  }
}

export class LogManager {
  readonly logDirs: readonly string[]
  readonly nodeId: number
  readonly clusterId: string
  private readonly config: LogManagerConfig
  private readonly defaultLogConfig: Partial<LogConfig>
  private readonly topicOverrides = new Map<string, Partial<LogConfig>>()
  private readonly topicConfig: ((topic: string) => Partial<LogConfig> | undefined) | undefined
  private readonly logger: Logger
  private readonly now: () => number
  private readonly cache: FileHandleCache
  private readonly decompress: RecordsDecompressor | undefined
  private readonly onHighWatermarkUpdated: ((log: Log) => void) | undefined
  private readonly logs = new Map<string, Log>()
  private readonly logDirOf = new Map<Log, string>()
  private readonly creating = new Map<string, Promise<Log>>()
  /** Log dir chosen for each log being created (counted as placed there). */
  private readonly creatingIn = new Map<string, string>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly backgroundDeletes = new Set<Promise<void>>()
  /** Compacts the logs with cleanup.policy=compact; null when log.cleaner.enable is false. */
  readonly cleaner: LogCleaner | null
  private closed = false

  private constructor (o: LogManagerOptions, config: LogManagerConfig, dirs: string[], meta: MetaProperties, logger: Logger) {
    this.logDirs = dirs
    this.config = config
    this.nodeId = meta.nodeId
    this.clusterId = meta.clusterId
    this.defaultLogConfig = o.defaultLogConfig ?? {}
    this.topicConfig = o.topicConfig
    this.logger = logger
    this.now = o.now ?? Date.now
    this.cache = new FileHandleCache(o.maxOpenSegmentFiles ?? MAX_OPEN_SEGMENT_FILES)
    this.decompress = o.decompress
    this.onHighWatermarkUpdated = o.onHighWatermarkUpdated
    this.cleaner = config['log.cleaner.enable']
      ? new LogCleaner({
        config,
        logDirs: dirs,
        logs: () => [...this.logDirOf].map(([log, logDir]) => ({ log, logDir })),
        logger,
        now: this.now,
      })
      : null
  }

  /** Prepares every log dir, loads every partition found, starts the periodic tasks. */
  static async open (options: LogManagerOptions): Promise<LogManager> {
    const config: LogManagerConfig = { ...DEFAULT_LOG_MANAGER_CONFIG, ...options.config }
    const raw = config['log.dirs']
    const dirs = (typeof raw === 'string' ? raw.split(',') : [...raw]).map(d => d.trim()).filter(d => d !== '')
    if (dirs.length === 0) throw new RangeError('log.dirs is empty')
    const logger = (options.logger ?? nullLogger).child({ component: 'LogManager' })
    let clusterId = options.clusterId ?? null
    const metas: MetaProperties[] = []
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true })
      const meta = await readOrWriteMetaProperties(dir, config['node.id'], clusterId)
      clusterId = meta.clusterId
      metas.push(meta)
    }
    const mgr = new LogManager(options, config, dirs, metas[0] as MetaProperties, logger)
    const started = mgr.now()
    for (const dir of dirs) await mgr.loadLogDir(dir)
    logger.info({ logDirs: dirs, partitions: mgr.logs.size, ms: mgr.now() - started }, 'logs loaded')
    mgr.startTasks()
    await mgr.cleaner?.startup()
    return mgr
  }

  private async loadLogDir (dir: string): Promise<void> {
    const marker = join(dir, CLEAN_SHUTDOWN_FILE)
    const hadCleanShutdown = await readFile(marker).then(() => true, () => false)
    const recoveryPoints = await this.readCheckpoint(join(dir, RECOVERY_POINT_CHECKPOINT_FILE))
    const startOffsets = await this.readCheckpoint(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE))
    const names = await readdir(dir, { withFileTypes: true })
    const toLoad: Array<[string, number, string]> = []
    for (const d of names) {
      if (!d.isDirectory()) continue
      if (d.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.removeInBackground(join(dir, d.name))
        continue
      }
      if (d.name.endsWith(FUTURE_DIR_SUFFIX) || d.name.endsWith(STRAY_DIR_SUFFIX)) continue
      const tp = parseTopicPartitionName(d.name)
      if (tp === null || tp[0] === '__cluster_metadata') continue
      if (this.logs.has(key(tp[0], tp[1]))) {
        throw new Error(`partition ${d.name} exists in more than one log dir (${dir} and ${this.logDirOf.get(this.logs.get(key(tp[0], tp[1])) as Log) ?? '?'})`)
      }
      toLoad.push([tp[0], tp[1], join(dir, d.name)])
    }
    if (!hadCleanShutdown && toLoad.length > 0) this.logger.info({ logDir: dir, partitions: toLoad.length }, 'no clean shutdown marker: recovering unflushed segments')
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < toLoad.length) {
        const [topic, partition, path] = toLoad[next++] as [string, number, string]
        const k = key(topic, partition)
        const log = await Log.open({
          dir: path,
          topic,
          partition,
          config: this.configFor(topic),
          logger: this.logger,
          now: this.now,
          cache: this.cache,
          recoveryPoint: recoveryPoints.get(k) ?? 0,
          logStartOffset: startOffsets.get(k) ?? 0,
          hadCleanShutdown,
          decompress: this.decompress,
          onHighWatermarkUpdated: this.onHighWatermarkUpdated,
        })
        this.logs.set(k, log)
        this.logDirOf.set(log, dir)
      }
    }
    const threads = Math.max(1, this.config['num.recovery.threads.per.data.dir'])
    await Promise.all(Array.from({ length: Math.min(threads, toLoad.length) }, worker))
    if (hadCleanShutdown) await unlink(marker).catch(() => {})
  }

  private async readCheckpoint (path: string): Promise<Map<string, number>> {
    const m = new Map<string, number>()
    try {
      for (const e of await new CheckpointFile(path).read()) m.set(key(e.topic, e.partition), e.offset)
    } catch (err) {
      if (!(err instanceof CheckpointFormatError)) throw err
      this.logger.warn({ file: path, reason: err.message }, 'ignoring malformed checkpoint file')
    }
    return m
  }

  private configFor (topic: string, explicit?: Partial<LogConfig>): LogConfig {
    return logConfig({ ...this.defaultLogConfig, ...this.topicConfig?.(topic), ...this.topicOverrides.get(topic), ...explicit })
  }

  // ---- logs -----------------------------------------------------------------------------------

  getLog (topic: string, partition: number): Log | undefined {
    return this.logs.get(key(topic, partition))
  }

  allLogs (): IterableIterator<Log> {
    return this.logs.values()
  }

  /** The log dir holding `log`. */
  logDirFor (log: Log): string | undefined {
    return this.logDirOf.get(log)
  }

  /**
   * The partition's log, created (directory and first segment) in the least loaded log dir if it
   * does not exist. `topicConfig` overrides the defaults for this topic from now on.
   */
  getOrCreateLog (topic: string, partition: number, topicConfig?: Partial<LogConfig>): Promise<Log> {
    if (this.closed) return Promise.reject(new Error('LogManager is closed'))
    if (parseTopicPartitionName(key(topic, partition)) === null || parseTopicPartitionName(key(topic, partition))?.[0] !== topic) {
      return Promise.reject(new RangeError(`invalid topic-partition ${topic}-${partition}`))
    }
    if (topicConfig !== undefined) this.topicOverrides.set(topic, { ...this.topicOverrides.get(topic), ...topicConfig })
    const k = key(topic, partition)
    const existing = this.logs.get(k)
    if (existing !== undefined) return Promise.resolve(existing)
    const pending = this.creating.get(k)
    if (pending !== undefined) return pending
    const dir = this.leastLoadedDir()
    this.creatingIn.set(k, dir)
    const p = (async () => {
      const path = join(dir, k)
      await mkdir(path, { recursive: true })
      const log = await Log.open({
        dir: path,
        topic,
        partition,
        config: this.configFor(topic),
        logger: this.logger,
        now: this.now,
        cache: this.cache,
        hadCleanShutdown: true,
        decompress: this.decompress,
        onHighWatermarkUpdated: this.onHighWatermarkUpdated,
      })
      this.logs.set(k, log)
      this.logDirOf.set(log, dir)
      this.logger.info({ topic, partition, logDir: dir }, 'created log')
      return log
    })().finally(() => {
      this.creating.delete(k)
      this.creatingIn.delete(k)
    })
    this.creating.set(k, p)
    return p
  }

  private leastLoadedDir (): string {
    const counts = new Map<string, number>(this.logDirs.map(d => [d, 0]))
    for (const d of this.logDirOf.values()) counts.set(d, (counts.get(d) ?? 0) + 1)
    for (const d of this.creatingIn.values()) counts.set(d, (counts.get(d) ?? 0) + 1)
    let best = this.logDirs[0] as string
    for (const d of this.logDirs) if ((counts.get(d) as number) < (counts.get(best) as number)) best = d
    return best
  }

  /** Applies new overrides to the topic's logs (IncrementalAlterConfigs) and to its future logs. */
  updateTopicConfig (topic: string, overrides: Partial<LogConfig>): void {
    this.topicOverrides.set(topic, { ...overrides })
    for (const log of this.logs.values()) if (log.topic === topic) log.updateConfig(this.configFor(topic))
  }

  /**
   * Removes the partition: its Log is closed, its directory renamed to `<topic>-<partition>.<id>-delete`
   * at once (so a restart never loads it again) and removed in the background.
   */
  async deleteLog (topic: string, partition: number): Promise<boolean> {
    const k = key(topic, partition)
    const log = this.logs.get(k)
    if (log === undefined) return false
    this.logs.delete(k)
    const dir = this.logDirOf.get(log) as string
    this.logDirOf.delete(log)
    this.topicOverrides.delete(topic)
    await log.closeHandles()
    await this.cleaner?.removeLog(dir, topic, partition).catch((err: unknown) => this.logger.warn({ err, topic, partition }, 'could not update the cleaner checkpoint'))
    const target = join(dir, `${k}.${randomBytes(16).toString('hex')}${DELETE_DIR_SUFFIX}`)
    await rename(log.dir, target)
    await fsyncDir(dir)
    this.removeInBackground(target)
    this.logger.info({ topic, partition }, 'deleted log')
    return true
  }

  private removeInBackground (path: string): void {
    const p = rm(path, { recursive: true, force: true })
      .catch((err: unknown) => this.logger.warn({ err, path }, 'could not remove deleted partition directory'))
      .finally(() => this.backgroundDeletes.delete(p))
    this.backgroundDeletes.add(p)
  }

  // ---- periodic work --------------------------------------------------------------------------

  /** Runs retention on every log; returns the number of segments deleted. */
  async cleanupLogs (): Promise<number> {
    let n = 0
    for (const log of [...this.logs.values()]) {
      try {
        n += await log.deleteOldSegments()
      } catch (err) {
        this.logger.error({ err, topic: log.topic, partition: log.partition }, 'retention failed')
      }
    }
    return n
  }

  /** Flushes every log whose last flush is older than its flush.ms. */
  async flushDirtyLogs (): Promise<void> {
    const now = this.now()
    for (const log of [...this.logs.values()]) {
      if (log.timeSinceLastFlush(now) < log.config['flush.ms']) continue
      try {
        await log.flush()
      } catch (err) {
        this.logger.error({ err, topic: log.topic, partition: log.partition }, 'flush failed')
      }
    }
  }

  /** Writes recovery-point-offset-checkpoint in every log dir. */
  async checkpointRecoveryPoints (): Promise<void> {
    await this.writeCheckpoints(RECOVERY_POINT_CHECKPOINT_FILE, log => log.recoveryPoint)
  }

  /** Writes log-start-offset-checkpoint in every log dir. */
  async checkpointLogStartOffsets (): Promise<void> {
    await this.writeCheckpoints(LOG_START_OFFSET_CHECKPOINT_FILE, log => log.logStartOffset)
  }

  private async writeCheckpoints (file: string, offsetOf: (log: Log) => number): Promise<void> {
    for (const dir of this.logDirs) {
      const entries: TopicPartitionOffset[] = []
      for (const [log, d] of this.logDirOf) if (d === dir) entries.push({ topic: log.topic, partition: log.partition, offset: offsetOf(log) })
      await new CheckpointFile(join(dir, file)).write(entries)
    }
  }

  removeExpiredProducers (): void {
    const now = this.now()
    for (const log of this.logs.values()) log.removeExpiredProducers(now)
  }

  private startTasks (): void {
    this.schedule('retention', this.config['log.retention.check.interval.ms'], () => this.cleanupLogs())
    this.schedule('flush', this.config['log.flush.scheduler.interval.ms'], () => this.flushDirtyLogs())
    this.schedule('recovery-point-checkpoint', this.config['log.flush.offset.checkpoint.interval.ms'], () => this.checkpointRecoveryPoints())
    this.schedule('log-start-offset-checkpoint', this.config['log.flush.start.offset.checkpoint.interval.ms'], () => this.checkpointLogStartOffsets())
    this.schedule('producer-expiration', this.config['producer.id.expiration.check.interval.ms'], async () => this.removeExpiredProducers())
  }

  /** Runs `task` every `intervalMs` after the previous run finished; unref'd; none past MAX_TIMER_MS. */
  private schedule (name: string, intervalMs: number, task: () => Promise<unknown>): void {
    if (!(intervalMs > 0) || intervalMs > MAX_TIMER_MS) return
    const arm = (): void => {
      const t = setTimeout(() => {
        this.timers.delete(t)
        task().catch((err: unknown) => this.logger.error({ err, task: name }, 'log manager task failed')).finally(() => {
          if (!this.closed) arm()
        })
      }, intervalMs)
      t.unref()
      this.timers.add(t)
    }
    arm()
  }

  /** Stops the tasks, closes every log (flushing it), writes both checkpoints and the clean-shutdown marker. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.cleaner?.shutdown()
    await Promise.all([...this.creating.values()].map(p => p.catch(() => {})))
    let failed = false
    const logs = [...this.logs.values()]
    let next = 0
    const closer = async (): Promise<void> => {
      while (next < logs.length) {
        const log = logs[next++] as Log
        try {
          await log.close()
          if (log.offlineReason !== null) failed = true
        } catch (err) {
          failed = true
          this.logger.error({ err, topic: log.topic, partition: log.partition }, 'closing log failed')
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(CLOSE_CONCURRENCY, logs.length) }, closer))
    await this.checkpointRecoveryPoints()
    await this.checkpointLogStartOffsets()
    await Promise.all(this.backgroundDeletes)
    if (!failed) {
      for (const dir of this.logDirs) {
        await writeFile(join(dir, CLEAN_SHUTDOWN_FILE), '')
        await fsyncDir(dir)
      }
    }
    this.logger.info({ partitions: this.logs.size, clean: !failed }, 'log manager closed')
  }
}

/**
 * Reads `<dir>/meta.properties`, checking node.id and cluster.id, or writes a new one (version 1,
 * the KRaft layout) when there is none. `clusterId` null = take whatever is stored, or make one.
 */
export async function readOrWriteMetaProperties (dir: string, nodeId: number, clusterId: string | null): Promise<MetaProperties> {
  const path = join(dir, META_PROPERTIES_FILE)
  let text: string | null = null
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text === null) {
    const meta: MetaProperties = { version: 1, clusterId: clusterId ?? randomUuidString(), nodeId, directoryId: randomUuidString() }
    const body = `#\n#written by samsa\ncluster.id=${meta.clusterId}\ndirectory.id=${meta.directoryId}\nnode.id=${nodeId}\nversion=1\n`
    const tmp = path + '.tmp'
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(body)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
    await fsyncDir(dir)
    return meta
  }
  const props = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim()
    if (l === '' || l.startsWith('#') || l.startsWith('!')) continue
    const eq = l.indexOf('=')
    if (eq > 0) props.set(l.slice(0, eq).trim(), l.slice(eq + 1).trim())
  }
  const version = Number(props.get('version') ?? NaN)
  const storedNode = Number(props.get('node.id') ?? props.get('broker.id') ?? NaN)
  const storedCluster = props.get('cluster.id')
  if (version !== 0 && version !== 1) throw new MetaPropertiesError(`${path}: unsupported version ${props.get('version') ?? '(missing)'}`)
  if (storedCluster === undefined || storedCluster === '') throw new MetaPropertiesError(`${path}: no cluster.id`)
  if (!Number.isInteger(storedNode)) throw new MetaPropertiesError(`${path}: no node.id`)
  if (storedNode !== nodeId) throw new MetaPropertiesError(`${path}: stored node.id ${storedNode} does not match configured node.id ${nodeId}`)
  if (clusterId !== null && storedCluster !== clusterId) {
    throw new MetaPropertiesError(`${path}: cluster.id ${storedCluster} does not match ${clusterId} (another log dir, or the configured cluster)`)
  }
  return { version, clusterId: storedCluster, nodeId: storedNode, directoryId: props.get('directory.id') ?? '' }
}

