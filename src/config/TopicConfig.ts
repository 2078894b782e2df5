// Topic-level configs: Kafka's names and their broker-level synonyms. A topic's effective value
// is its own override if set, else the broker's synonym (explicit or default), as Kafka resolves
// them; DescribeConfigs reports which source won.

import { BROKER_CONFIGS, type BrokerConfig, clampLong } from './BrokerConfig.ts'
import { ConfigDef, ConfigError, type ConfigEntry, type ConfigValue } from './ConfigDef.ts'
import { type LogConfig, logConfig, NEVER } from '../log/LogConfig.ts'

const LONG_MAX = 9223372036854775807n

const t = (name: string, type: ConfigEntry['type'], dflt: ConfigValue, doc: string, more: Partial<ConfigEntry> = {}): ConfigEntry =>
  ({ name, type, default: dflt, doc, ...more })

export const TOPIC_CONFIGS = new ConfigDef([
  t('cleanup.policy', 'list', ['delete'], 'delete, compact, or both.', { oneOf: ['delete', 'compact'] }),
  t('compression.type', 'string', 'producer', 'Codec of stored batches; producer keeps the producer\'s.', { oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  t('delete.retention.ms', 'long', 86400000n, 'How long tombstones are kept on a compacted topic.', { min: 0n }),
  t('file.delete.delay.ms', 'long', 60000n, 'Delay before a deleted segment\'s files are removed.', { min: 0n }),
  t('flush.messages', 'long', LONG_MAX, 'Messages appended before an fsync; 1 = every append.', { min: 1n }),
  t('flush.ms', 'long', LONG_MAX, 'Longest time data stays unflushed.', { min: 0n }),
  t('index.interval.bytes', 'int', 4096, 'Bytes between offset index entries.', { min: 0 }),
  t('max.compaction.lag.ms', 'long', LONG_MAX, 'Maximum age before a record must be compacted.', { min: 1n }),
  t('max.message.bytes', 'int', 1048588, 'Largest record batch accepted.', { min: 0 }),
  t('message.timestamp.type', 'string', 'CreateTime', 'CreateTime or LogAppendTime.', { oneOf: ['CreateTime', 'LogAppendTime'] }),
  t('message.timestamp.before.max.ms', 'long', LONG_MAX, 'Largest allowed distance of a timestamp into the past.', { min: 0n }),
  t('message.timestamp.after.max.ms', 'long', 3600000n, 'Largest allowed distance of a timestamp into the future.', { min: 0n }),
  t('min.cleanable.dirty.ratio', 'double', 0.5, 'Dirty ratio at which the log is cleaned.', { min: 0, max: 1 }),
  t('min.compaction.lag.ms', 'long', 0n, 'Minimum age before a record may be compacted.', { min: 0n }),
  t('min.insync.replicas', 'int', 1, 'Replicas that must acknowledge acks=all.', { min: 1 }),
  t('preallocate', 'boolean', false, 'Preallocate segment files.'),
  t('retention.bytes', 'long', -1n, 'Largest partition size before old segments are deleted; -1 = unlimited.'),
  t('retention.ms', 'long', 604800000n, 'How long to keep a segment; -1 = forever.', { min: -1n }),
  t('segment.bytes', 'int', 1073741824, 'Segment size at which the log rolls.', { min: 14 }),
  t('segment.index.bytes', 'int', 10485760, 'Largest offset index.', { min: 4 }),
  t('segment.jitter.ms', 'long', 0n, 'Random jitter subtracted from segment.ms.', { min: 0n }),
  t('segment.ms', 'long', 604800000n, 'Age at which the log rolls.', { min: 1n }),
  t('unclean.leader.election.enable', 'boolean', false, 'Accepted for compatibility (one node).'),
])

/** Topic config -> the broker config that supplies its default. */
export const BROKER_SYNONYM: ReadonlyMap<string, string> = new Map(
  [...BROKER_CONFIGS.entries.values()].filter(e => e.topicSynonym !== undefined).map(e => [e.topicSynonym as string, e.name]))

export type ConfigSource = 'TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG'

export interface ResolvedConfig { readonly name: string, readonly value: ConfigValue, readonly source: ConfigSource }

/** Validates a topic's overrides (CreateTopics, AlterConfigs); throws ConfigError naming the key. */
export function parseTopicOverrides (overrides: Iterable<readonly [string, string | null]>): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>()
  for (const [k, v] of overrides) {
    if (!TOPIC_CONFIGS.has(k)) throw new ConfigError(k, 'unknown topic config')
    if (v === null) throw new ConfigError(k, 'null value')
    out.set(k, TOPIC_CONFIGS.parse(k, v))
  }
  return out
}

/** The broker-level value of a topic config (its synonym, with Kafka's unit precedence). */
function brokerValue (broker: BrokerConfig, name: string): { value: ConfigValue, explicit: boolean } {
  switch (name) {
    case 'retention.ms': return { value: BigInt(broker.retentionMs()), explicit: broker.explicit.has('log.retention.ms') || broker.explicit.has('log.retention.minutes') || broker.explicit.has('log.retention.hours') }
    case 'segment.ms': return { value: BigInt(broker.rollMs()), explicit: broker.explicit.has('log.roll.ms') || broker.explicit.has('log.roll.hours') }
    case 'segment.jitter.ms': return { value: BigInt(broker.rollJitterMs()), explicit: broker.explicit.has('log.roll.jitter.ms') || broker.explicit.has('log.roll.jitter.hours') }
    case 'flush.ms': return { value: broker.isSet('log.flush.interval.ms') ? broker.get('log.flush.interval.ms') : broker.get('log.flush.scheduler.interval.ms'), explicit: broker.explicit.has('log.flush.interval.ms') }
  }
  const syn = BROKER_SYNONYM.get(name)
  if (syn === undefined) return { value: (TOPIC_CONFIGS.entries.get(name) as ConfigEntry).default, explicit: false }
  return { value: broker.get(syn), explicit: broker.explicit.has(syn) }
}

/** Every topic config with its effective value and source. */
export function resolveTopicConfig (broker: BrokerConfig, overrides: ReadonlyMap<string, ConfigValue>): ResolvedConfig[] {
  return [...TOPIC_CONFIGS.entries.keys()].map(name => {
    if (overrides.has(name)) return { name, value: overrides.get(name) as ConfigValue, source: 'TOPIC_CONFIG' }
    const b = brokerValue(broker, name)
    return { name, value: b.value, source: b.explicit ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG' }
  })
}

function longMs (v: ConfigValue): number {
  const n = clampLong(v as bigint)
  return n >= Number.MAX_SAFE_INTEGER ? NEVER : n
}

/** What the log of a topic's partitions acts on. */
export function toLogConfig (broker: BrokerConfig, overrides: ReadonlyMap<string, ConfigValue>): LogConfig {
  const v = new Map(resolveTopicConfig(broker, overrides).map(r => [r.name, r.value]))
  return logConfig({
    'segment.bytes': v.get('segment.bytes') as number,
    'segment.ms': longMs(v.get('segment.ms') as ConfigValue),
    'segment.jitter.ms': longMs(v.get('segment.jitter.ms') as ConfigValue),
    'segment.index.bytes': v.get('segment.index.bytes') as number,
    'index.interval.bytes': v.get('index.interval.bytes') as number,
    'retention.ms': longMs(v.get('retention.ms') as ConfigValue),
    'retention.bytes': longMs(v.get('retention.bytes') as ConfigValue),
    'flush.messages': longMs(v.get('flush.messages') as ConfigValue),
    'flush.ms': longMs(v.get('flush.ms') as ConfigValue),
    'message.timestamp.type': v.get('message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    'file.delete.delay.ms': longMs(v.get('file.delete.delay.ms') as ConfigValue),
    'producer.id.expiration.ms': broker.int('producer.id.expiration.ms'),
    'cleanup.policy': (v.get('cleanup.policy') as readonly string[]).join(','),
    'min.cleanable.dirty.ratio': v.get('min.cleanable.dirty.ratio') as number,
    'delete.retention.ms': longMs(v.get('delete.retention.ms') as ConfigValue),
    'min.compaction.lag.ms': longMs(v.get('min.compaction.lag.ms') as ConfigValue),
    'max.compaction.lag.ms': longMs(v.get('max.compaction.lag.ms') as ConfigValue),
    'max.message.bytes': v.get('max.message.bytes') as number,
  })
}
