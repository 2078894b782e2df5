// The broker's configuration: Kafka's names, types, units and defaults. Unknown keys and invalid
// values are rejected with a ConfigError naming the key, before anything starts.

import { homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigDef, ConfigError, type ConfigEntry, type ConfigValue } from './ConfigDef.ts'

/** Where data lives by default: $XDG_DATA_HOME/samsa, else ~/.local/share/samsa. Survives restarts. */
export const DEFAULT_LOG_DIR = join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'samsa')

const LONG_MAX = 9223372036854775807n
const INT_MAX = 2147483647

const e = (name: string, type: ConfigEntry['type'], dflt: ConfigValue, doc: string, more: Partial<ConfigEntry> = {}): ConfigEntry =>
  ({ name, type, default: dflt, doc, ...more })

export const BROKER_CONFIGS = new ConfigDef([
  e('listeners', 'list', ['PLAINTEXT://localhost:9092'], 'Listener URIs, e.g. PLAINTEXT://127.0.0.1:9092; port 0 binds a free port.'),
  e('advertised.listeners', 'list', null, 'What Metadata and FindCoordinator tell clients; defaults to listeners (with the bound port).'),
  e('node.id', 'int', 1, 'This broker\'s id, reported in Metadata.', { min: 0 }),
  e('process.roles', 'list', ['broker', 'controller'], 'Accepted for Kafka compatibility: samsa is always a combined broker and controller.', { oneOf: ['broker', 'controller'], accepted: true }),
  e('log.dirs', 'list', null, 'Directories holding the partition logs; defaults to log.dir.'),
  e('log.dir', 'string', DEFAULT_LOG_DIR, 'The log directory used when log.dirs is unset ($XDG_DATA_HOME/samsa, else ~/.local/share/samsa).'),
  e('num.partitions', 'int', 1, 'Partitions of an auto-created topic, and of CreateTopics with -1.', { min: 1 }),
  e('auto.create.topics.enable', 'boolean', true, 'Create a topic when a client asks for its metadata or produces to it.'),
  e('default.replication.factor', 'int', 1, 'Replication factor of auto-created topics; samsa has one node, so only 1 is possible.', { min: 1 }),
  e('delete.topic.enable', 'boolean', true, 'Allow DeleteTopics.'),
  e('log.segment.bytes', 'int', 1073741824, 'Size at which a segment is rolled.', { min: 14, topicSynonym: 'segment.bytes' }),
  e('log.roll.ms', 'long', null, 'Age at which a segment is rolled; overrides log.roll.hours.', { topicSynonym: 'segment.ms' }),
  e('log.roll.hours', 'int', 168, 'Age at which a segment is rolled, in hours.', { min: 1 }),
  e('log.roll.jitter.ms', 'long', null, 'Maximum random jitter subtracted from the roll time.', { topicSynonym: 'segment.jitter.ms' }),
  e('log.roll.jitter.hours', 'int', 0, 'Roll jitter in hours.', { min: 0 }),
  e('log.retention.ms', 'long', null, 'How long to keep a segment; -1 keeps forever. Overrides minutes and hours.', { topicSynonym: 'retention.ms' }),
  e('log.retention.minutes', 'int', null, 'Retention in minutes; overrides hours.'),
  e('log.retention.hours', 'int', 168, 'Retention in hours.'),
  e('log.retention.bytes', 'long', -1n, 'Largest size of a partition before old segments are deleted; -1 = unlimited.', { topicSynonym: 'retention.bytes' }),
  e('log.retention.check.interval.ms', 'long', 300000n, 'How often retention runs.', { min: 1n }),
  e('log.segment.delete.delay.ms', 'long', 60000n, 'Delay before a deleted segment\'s files are removed.', { min: 0n, topicSynonym: 'file.delete.delay.ms' }),
  e('log.flush.interval.messages', 'long', LONG_MAX, 'Messages appended before the log is fsynced; 1 = every append (survives power loss).', { min: 1n, topicSynonym: 'flush.messages' }),
  e('log.flush.interval.ms', 'long', null, 'Longest time a message stays unflushed; defaults to log.flush.scheduler.interval.ms.', { topicSynonym: 'flush.ms' }),
  e('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks whether a log needs flushing.'),
  e('log.flush.offset.checkpoint.interval.ms', 'int', 60000, 'How often the recovery point checkpoint is written.', { min: 0 }),
  e('log.flush.start.offset.checkpoint.interval.ms', 'int', 60000, 'How often the log start offset checkpoint is written.', { min: 0 }),
  e('log.index.interval.bytes', 'int', 4096, 'Bytes between offset index entries.', { min: 0, topicSynonym: 'index.interval.bytes' }),
  e('log.index.size.max.bytes', 'int', 10485760, 'Largest offset index; a full index rolls the segment.', { min: 4, topicSynonym: 'segment.index.bytes' }),
  e('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps the broker time.', { oneOf: ['CreateTime', 'LogAppendTime'], topicSynonym: 'message.timestamp.type' }),
  e('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'Largest allowed distance of a record timestamp into the past.', { min: 0n, topicSynonym: 'message.timestamp.before.max.ms' }),
  e('log.message.timestamp.after.max.ms', 'long', 3600000n, 'Largest allowed distance of a record timestamp into the future.', { min: 0n, topicSynonym: 'message.timestamp.after.max.ms' }),
  e('log.cleanup.policy', 'list', ['delete'], 'delete, compact, or both.', { oneOf: ['delete', 'compact'], topicSynonym: 'cleanup.policy' }),
  e('log.cleaner.enable', 'boolean', true, 'Run the log cleaner for compacted topics.'),
  e('log.cleaner.threads', 'int', 1, 'Cleaner threads (samsa cleans on its event loop, one log at a time).', { min: 0, accepted: true }),
  e('log.cleaner.backoff.ms', 'long', 15000n, 'Sleep when there is nothing to clean.', { min: 0n }),
  e('log.cleaner.dedupe.buffer.size', 'long', 134217728n, 'Memory for the cleaner\'s key map.'),
  e('log.cleaner.io.buffer.size', 'int', 524288, 'Cleaner I/O buffer.', { min: 0 }),
  e('log.cleaner.min.cleanable.ratio', 'double', 0.5, 'Dirty ratio at which a log is cleaned.', { min: 0, max: 1, topicSynonym: 'min.cleanable.dirty.ratio' }),
  e('log.cleaner.delete.retention.ms', 'long', 86400000n, 'How long tombstones are kept.', { min: 0n, topicSynonym: 'delete.retention.ms' }),
  e('log.cleaner.min.compaction.lag.ms', 'long', 0n, 'Minimum age before a record may be compacted.', { min: 0n, topicSynonym: 'min.compaction.lag.ms' }),
  e('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Maximum age before a record must be compacted.', { min: 1n, topicSynonym: 'max.compaction.lag.ms' }),
  e('log.preallocate', 'boolean', false, 'Preallocate segment files.', { topicSynonym: 'preallocate', accepted: true }),
  e('message.max.bytes', 'int', 1048588, 'Largest record batch accepted.', { min: 0, topicSynonym: 'max.message.bytes' }),
  e('compression.type', 'string', 'producer', 'Compression of stored batches; producer keeps the producer\'s codec.', { oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], topicSynonym: 'compression.type' }),
  e('min.insync.replicas', 'int', 1, 'Replicas that must acknowledge acks=all; one node, so 1.', { min: 1, topicSynonym: 'min.insync.replicas' }),
  e('unclean.leader.election.enable', 'boolean', false, 'Accepted for compatibility (one node).', { topicSynonym: 'unclean.leader.election.enable', accepted: true }),
  e('socket.request.max.bytes', 'int', 104857600, 'Largest request frame; a larger size prefix closes the connection before anything is buffered.', { min: 1 }),
  e('socket.send.buffer.bytes', 'int', 102400, 'SO_SNDBUF hint; -1 = OS default.'),
  e('socket.receive.buffer.bytes', 'int', 102400, 'SO_RCVBUF hint; -1 = OS default.'),
  e('max.connections', 'int', INT_MAX, 'Most open client connections.', { min: 0 }),
  e('max.connections.per.ip', 'int', INT_MAX, 'Most open connections from one address.', { min: 0 }),
  e('connections.max.idle.ms', 'long', 600000n, 'Close a connection idle this long.'),
  e('queued.max.requests', 'int', 500, 'Requests decoded and waiting across all connections before sockets are paused.', { min: 1 }),
  e('num.network.threads', 'int', 3, 'Accepted for compatibility: samsa serves sockets on one event loop.', { min: 1, accepted: true }),
  e('num.io.threads', 'int', 8, 'Accepted for compatibility: disk I/O runs on libuv\'s thread pool.', { min: 1, accepted: true }),
  e('fetch.max.bytes', 'int', 57671680, 'Largest Fetch response payload.', { min: 1024 }),
  e('replica.fetch.wait.max.ms', 'int', 500, 'Accepted for compatibility (no followers).', { accepted: true }),
  e('broker.rack', 'string', null, 'Rack reported in Metadata.'),
  e('offsets.topic.num.partitions', 'int', 50, 'Partitions of __consumer_offsets.', { min: 1 }),
  e('offsets.topic.replication.factor', 'int', 3, 'Accepted for compatibility: __consumer_offsets has one replica here.', { min: 1, accepted: true }),
  e('offsets.topic.segment.bytes', 'int', 104857600, 'Segment size of __consumer_offsets.', { min: 1 }),
  e('offsets.retention.minutes', 'int', 10080, 'How long committed offsets of an empty group are kept.', { min: 1 }),
  e('offsets.retention.check.interval.ms', 'long', 600000n, 'How often expired offsets are removed.', { min: 1n }),
  e('offset.metadata.max.bytes', 'int', 4096, 'Largest metadata string of a committed offset.'),
  e('group.initial.rebalance.delay.ms', 'int', 3000, 'Wait for more members before the first rebalance of a new group.'),
  e('group.min.session.timeout.ms', 'int', 6000, 'Smallest session timeout a member may ask for.'),
  e('group.max.session.timeout.ms', 'int', 1800000, 'Largest session timeout a member may ask for.'),
  e('group.max.size', 'int', INT_MAX, 'Most members in a classic group.', { min: 1 }),
  e('group.coordinator.rebalance.protocols', 'list', ['classic', 'consumer', 'streams'], 'Group protocols served.'),
  e('group.consumer.heartbeat.interval.ms', 'int', 5000, 'Heartbeat interval of consumer-protocol (KIP-848) groups.', { min: 1 }),
  e('group.consumer.session.timeout.ms', 'int', 45000, 'Session timeout of consumer-protocol (KIP-848) groups.', { min: 1 }),
  e('group.consumer.max.size', 'int', INT_MAX, 'Most members in a consumer-protocol group.', { min: 1 }),
  e('transaction.state.log.num.partitions', 'int', 50, 'Partitions of __transaction_state.', { min: 1 }),
  e('transaction.state.log.replication.factor', 'int', 3, 'Accepted for compatibility.', { min: 1, accepted: true }),
  e('transaction.state.log.min.isr', 'int', 2, 'Accepted for compatibility.', { min: 1, accepted: true }),
  e('transaction.max.timeout.ms', 'int', 900000, 'Largest transaction timeout a producer may ask for.', { min: 1 }),
  e('transactional.id.expiration.ms', 'int', 604800000, 'How long an idle transactional id is kept.', { min: 1 }),
  e('producer.id.expiration.ms', 'int', 86400000, 'How long an idle producer id\'s state is kept.', { min: 1 }),
  e('producer.id.expiration.check.interval.ms', 'int', 600000, 'How often idle producer ids are expired.', { min: 1 }),
  e('max.incremental.fetch.session.cache.slots', 'int', 1000, 'Most fetch sessions cached (KIP-227).', { min: 0 }),
  e('cluster.id', 'string', null, 'Cluster id reported to clients; generated and stored in meta.properties when unset.'),
  e('samsa.metrics.port', 'int', -1, 'samsa: port of the HTTP /metrics endpoint (Prometheus text format) on the first listener\'s host; 0 picks a free port, -1 disables it.', { min: -1, max: 65535 }),
  e('samsa.console.port', 'int', -1, 'samsa: port of the web console (as `samsa console` serves it, pointed at this broker) on the first listener\'s host; 0 picks a free port, -1 disables it.', { min: -1, max: 65535 }),
])

/** A parsed broker configuration: every key of the table, resolved to its value or its default. */
export class BrokerConfig {
  readonly values: ReadonlyMap<string, ConfigValue>
  /** Keys set explicitly (from a file, an override or code), for DescribeConfigs sources. */
  readonly explicit: ReadonlySet<string>

  constructor (input: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown> = {}) {
    const entries = input instanceof Map ? [...input] : Object.entries(input)
    const values = new Map<string, ConfigValue>()
    const explicit = new Set<string>()
    for (const [k, raw] of entries) {
      if (!BROKER_CONFIGS.has(k)) throw new ConfigError(k, 'unknown config')
      values.set(k, BROKER_CONFIGS.parse(k, raw))
      explicit.add(k)
    }
    for (const [k, entry] of BROKER_CONFIGS.entries) if (!values.has(k)) values.set(k, entry.default)
    this.values = values
    this.explicit = explicit
    this.check()
  }

  private check (): void {
    if (this.int('default.replication.factor') !== 1) throw new ConfigError('default.replication.factor', 'samsa has one node: only 1 is possible')
    if (this.logDirs().length === 0) throw new ConfigError('log.dirs', 'no log directory')
    parseListeners(this.list('listeners'))
    const adv = this.values.get('advertised.listeners')
    if (adv !== null && adv !== undefined) parseListeners(adv as readonly string[], 'advertised.listeners')
  }

  get (name: string): ConfigValue {
    if (!this.values.has(name)) throw new ConfigError(name, 'unknown config')
    return this.values.get(name) as ConfigValue
  }

  int (name: string): number { return this.get(name) as number }
  double (name: string): number { return this.get(name) as number }
  bool (name: string): boolean { return this.get(name) as boolean }
  string (name: string): string { return this.get(name) as string }
  list (name: string): readonly string[] { return this.get(name) as readonly string[] }
  /** A long as a number; Long.MAX and other values beyond 2^53 become Infinity-safe Number.MAX_SAFE_INTEGER. */
  longNumber (name: string): number { return clampLong(this.get(name) as bigint | null) }
  isSet (name: string): boolean { return this.get(name) !== null }

  logDirs (): readonly string[] {
    const dirs = this.get('log.dirs') as readonly string[] | null
    return dirs ?? [this.string('log.dir')]
  }

  /** log.retention.ms, else minutes, else hours (Kafka's precedence); -1 = forever. */
  retentionMs (): number {
    if (this.isSet('log.retention.ms')) return this.longNumber('log.retention.ms')
    if (this.isSet('log.retention.minutes')) return this.int('log.retention.minutes') * 60_000
    return this.int('log.retention.hours') * 3_600_000
  }

  rollMs (): number {
    if (this.isSet('log.roll.ms')) return this.longNumber('log.roll.ms')
    return this.int('log.roll.hours') * 3_600_000
  }

  rollJitterMs (): number {
    if (this.isSet('log.roll.jitter.ms')) return this.longNumber('log.roll.jitter.ms')
    return this.int('log.roll.jitter.hours') * 3_600_000
  }

  flushMs (): number {
    if (this.isSet('log.flush.interval.ms')) return this.longNumber('log.flush.interval.ms')
    return this.longNumber('log.flush.scheduler.interval.ms')
  }
}

export function clampLong (v: bigint | null): number {
  if (v === null) return -1
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER
  return Number(v)
}

export interface Listener { readonly name: string, readonly host: string, readonly port: number }

/** Parses `NAME://host:port` listener URIs (an empty host binds every interface). */
export function parseListeners (list: readonly string[], key = 'listeners'): Listener[] {
  return list.map(uri => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(uri)
    if (m === null) throw new ConfigError(key, `'${uri}' is not NAME://host:port`)
    const port = Number(m[3])
    if (port > 65535) throw new ConfigError(key, `port ${port} is out of range`)
    const name = (m[1] as string).toUpperCase()
    if (name !== 'PLAINTEXT') throw new ConfigError(key, `listener ${name} is not supported yet (PLAINTEXT only)`)
    return { name, host: (m[2] as string).replace(/^\[|\]$/g, ''), port }
  })
}
