// The per-partition settings the log acts on, keyed by Kafka's topic-level config names with
// Kafka's defaults. src/config/ owns parsing, validation against the tables and the broker-level
// synonyms (log.segment.bytes -> segment.bytes ...); this module only declares what the log needs.
//
// Kafka's "Long.MAX_VALUE means never" defaults (flush.messages, flush.ms) are represented by
// Number.MAX_SAFE_INTEGER: every count or duration the log compares them with stays far below it.
// Times are milliseconds, sizes bytes, as in Kafka.

export type TimestampType = 'CreateTime' | 'LogAppendTime'

export interface LogConfig {
  /** Roll a new segment when the active one would grow past this many bytes. */
  'segment.bytes': number
  /** Roll a non-empty segment whose first batch is older than this (record time). */
  'segment.ms': number
  /** Up to this much is subtracted, at random per segment, from segment.ms (avoids roll storms). */
  'segment.jitter.ms': number
  /** Maximum size of a segment's .index (and bound for its .timeindex); a full index rolls. */
  'segment.index.bytes': number
  /** Bytes of batches between two offset-index entries. */
  'index.interval.bytes': number
  /** Delete segments whose largest timestamp is older than this; -1 = keep forever. */
  'retention.ms': number
  /** Delete oldest segments while the partition stays at least this big without them; -1 = no limit. */
  'retention.bytes': number
  /** fsync once this many messages are unflushed; 1 = every acknowledged append is on disk. */
  'flush.messages': number
  /** fsync once the last flush is this old. */
  'flush.ms': number
  /** CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker clock. */
  'message.timestamp.type': TimestampType
  /** Delay between renaming a deleted segment to .deleted and unlinking it (in-flight reads finish). */
  'file.delete.delay.ms': number
  /** Idle producer ids are forgotten after this long (Kafka's broker config, applied per partition). */
  'producer.id.expiration.ms': number
  /** 'delete' or 'compact' (or both). Compaction is LogCleaner's job; the log only records the policy. */
  'cleanup.policy': string
  /** LogCleaner: clean once dirty bytes / (clean + dirty bytes) exceed this. */
  'min.cleanable.dirty.ratio': number
  /** LogCleaner: how long a tombstone (or a removable transaction marker) stays after its first cleaning. */
  'delete.retention.ms': number
  /** LogCleaner: a segment whose largest timestamp is younger than this is not cleaned yet. */
  'min.compaction.lag.ms': number
  /** LogCleaner: a dirty segment whose first batch is older than this is cleaned whatever the ratio. */
  'max.compaction.lag.ms': number
  /** Largest record batch the broker accepts for this topic (enforced by the produce path). */
  'max.message.bytes': number
}

export const NEVER = Number.MAX_SAFE_INTEGER

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  'segment.bytes': 1073741824,
  'segment.ms': 604800000,
  'segment.jitter.ms': 0,
  'segment.index.bytes': 10485760,
  'index.interval.bytes': 4096,
  'retention.ms': 604800000,
  'retention.bytes': -1,
  'flush.messages': NEVER,
  'flush.ms': NEVER,
  'message.timestamp.type': 'CreateTime',
  'file.delete.delay.ms': 60000,
  'producer.id.expiration.ms': 86400000,
  'cleanup.policy': 'delete',
  'min.cleanable.dirty.ratio': 0.5,
  'delete.retention.ms': 86400000,
  'min.compaction.lag.ms': 0,
  'max.compaction.lag.ms': NEVER,
  'max.message.bytes': 1048588,
})

/** Smallest segment.bytes Kafka accepts: one batch header's log overhead. */
export const MIN_SEGMENT_BYTES = 14

/**
 * Defaults overlaid with `overrides`. Values were validated by src/config/; this only rejects the
 * few that would break the log's own arithmetic, so a test or embedder passing a raw object gets
 * a clear error instead of a wedged partition.
 */
export function logConfig (overrides: Partial<LogConfig> = {}): LogConfig {
  const c: LogConfig = { ...DEFAULT_LOG_CONFIG }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v
  }
  if (!Number.isSafeInteger(c['segment.bytes']) || c['segment.bytes'] < MIN_SEGMENT_BYTES) {
    throw new RangeError(`segment.bytes must be an integer >= ${MIN_SEGMENT_BYTES}, got ${c['segment.bytes']}`)
  }
  if (!Number.isSafeInteger(c['segment.index.bytes']) || c['segment.index.bytes'] < 12) {
    throw new RangeError(`segment.index.bytes must be an integer >= 12, got ${c['segment.index.bytes']}`)
  }
  for (const k of ['segment.ms', 'index.interval.bytes', 'flush.messages', 'flush.ms', 'file.delete.delay.ms', 'producer.id.expiration.ms', 'segment.jitter.ms', 'delete.retention.ms', 'min.compaction.lag.ms', 'max.compaction.lag.ms'] as const) {
    if (!Number.isSafeInteger(c[k]) || c[k] < 0) throw new RangeError(`${k} must be a non-negative integer, got ${c[k]}`)
  }
  if (!(c['min.cleanable.dirty.ratio'] >= 0 && c['min.cleanable.dirty.ratio'] <= 1)) throw new RangeError(`min.cleanable.dirty.ratio must be in [0, 1], got ${c['min.cleanable.dirty.ratio']}`)
  if (c['flush.messages'] < 1) throw new RangeError('flush.messages must be >= 1')
  if (c['segment.ms'] < 1) throw new RangeError('segment.ms must be >= 1')
  if (c['message.timestamp.type'] !== 'CreateTime' && c['message.timestamp.type'] !== 'LogAppendTime') {
    throw new RangeError(`message.timestamp.type must be CreateTime or LogAppendTime, got ${String(c['message.timestamp.type'])}`)
  }
  return c
}
