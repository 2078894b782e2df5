// Config entries as DescribeConfigs (and CreateTopics v5+) report them, built the way Kafka's
// ConfigHelper builds them, from samsa's two config tables.
//
// A topic config's synonyms are, in order: the topic's own override (TOPIC_CONFIG), then the
// broker config that supplies its default. Kafka lists a broker config's values from each
// source in precedence order (dynamic per-broker, dynamic cluster default, static, default;
// samsa has only the last two), across the configs that set the same thing in other units
// (log.retention.ms / .minutes / .hours), and then drops entries up to the first one carrying the
// asked-for name. So retention.ms shows the log.retention.ms synonym only when log.retention.ms
// itself is set, and its source is then DEFAULT_CONFIG even if log.retention.hours is set: that
// is what Kafka 4.4 answers, measured against the reference broker. An entry's source is the
// source of its first synonym, DEFAULT_CONFIG when there is none.
//
// Broker configs are all read-only here: samsa applies no broker config change at runtime, so
// AlterConfigs on a BROKER resource is refused (see Controller.ts).

import { BROKER_CONFIGS, type BrokerConfig } from '../config/BrokerConfig.ts'
import type { ConfigEntry, ConfigValue } from '../config/ConfigDef.ts'
import { BROKER_SYNONYM, resolveTopicConfig, TOPIC_CONFIGS } from '../config/TopicConfig.ts'

/** DescribeConfigs config_source values. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const

/** DescribeConfigs config_type values (v3+), by the table's type names. */
const CONFIG_TYPE_ID: Readonly<Record<ConfigEntry['type'], number>> = {
  boolean: 1, string: 2, int: 3, long: 5, double: 6, list: 7, password: 9,
}

/** Config resource types of DescribeConfigs/AlterConfigs/IncrementalAlterConfigs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const

export interface ConfigSynonym { name: string, value: string | null, source: number }

export interface DescribedConfig {
  name: string
  value: string | null
  readOnly: boolean
  isSensitive: boolean
  configSource: number
  synonyms: ConfigSynonym[]
  configType: number
  documentation: string | null
}

export interface DescribeOptions {
  /** Config names to report; null or empty = all. Unknown names are skipped, as Kafka does. */
  readonly keys?: readonly string[] | null
  readonly includeSynonyms?: boolean
  readonly includeDocumentation?: boolean
}

/** Broker configs that set one thing in different units, in Kafka's precedence order. */
const UNIT_GROUPS: ReadonlyArray<readonly string[]> = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
]

function unitGroup (name: string): readonly string[] {
  return UNIT_GROUPS.find(g => g.includes(name)) ?? [name]
}

/** A value as Kafka prints it: lists comma-joined, doubles with a fraction, passwords hidden. */
export function formatConfigValue (entry: ConfigEntry, v: ConfigValue): string | null {
  if (v === null || entry.type === 'password') return null
  if (Array.isArray(v)) return v.join(',')
  if (entry.type === 'double' && typeof v === 'number' && Number.isInteger(v)) return v.toFixed(1)
  return String(v)
}

function brokerEntry (name: string): ConfigEntry {
  const e = BROKER_CONFIGS.entries.get(name)
  if (e === undefined) throw new Error(`no broker config ${name}`)
  return e
}

/** The broker-level synonyms of broker config `name` (see the header). */
function brokerSynonyms (config: BrokerConfig, name: string): ConfigSynonym[] {
  const group = unitGroup(name)
  const list: ConfigSynonym[] = []
  for (const s of group) {
    const v = config.get(s)
    if (config.explicit.has(s) && v !== null) list.push({ name: s, value: formatConfigValue(brokerEntry(s), v), source: ConfigSource.STATIC_BROKER_CONFIG })
  }
  for (const s of group) {
    const e = brokerEntry(s)
    if (e.default !== null) list.push({ name: s, value: formatConfigValue(e, e.default), source: ConfigSource.DEFAULT_CONFIG })
  }
  const first = list.findIndex(x => x.name === name)
  return first < 0 ? [] : list.slice(first)
}

function wanted (keys: readonly string[] | null | undefined): (name: string) => boolean {
  if (keys === null || keys === undefined || keys.length === 0) return () => true
  const set = new Set(keys)
  return name => set.has(name)
}

/** Every topic config (or those asked for) of a topic with these overrides, in table order. */
export function describeTopicConfigs (config: BrokerConfig, overrides: ReadonlyMap<string, ConfigValue>, opts: DescribeOptions = {}): DescribedConfig[] {
  const want = wanted(opts.keys)
  const out: DescribedConfig[] = []
  for (const r of resolveTopicConfig(config, overrides)) {
    if (!want(r.name)) continue
    const entry = TOPIC_CONFIGS.entries.get(r.name) as ConfigEntry
    const value = formatConfigValue(entry, r.value)
    const synonyms: ConfigSynonym[] = []
    if (overrides.has(r.name)) synonyms.push({ name: r.name, value, source: ConfigSource.TOPIC_CONFIG })
    const brokerName = BROKER_SYNONYM.get(r.name)
    if (brokerName !== undefined) synonyms.push(...brokerSynonyms(config, brokerName))
    out.push({
      name: r.name,
      value,
      readOnly: false,
      isSensitive: entry.type === 'password',
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      synonyms: opts.includeSynonyms === true ? synonyms : [],
      configType: CONFIG_TYPE_ID[entry.type],
      documentation: opts.includeDocumentation === true ? entry.doc : null,
    })
  }
  return out
}

/** Every broker config (or those asked for) of this broker, in table order; all read-only. */
export function describeBrokerConfigs (config: BrokerConfig, opts: DescribeOptions = {}): DescribedConfig[] {
  const want = wanted(opts.keys)
  const out: DescribedConfig[] = []
  for (const entry of BROKER_CONFIGS.entries.values()) {
    if (!want(entry.name)) continue
    const synonyms = brokerSynonyms(config, entry.name)
    out.push({
      name: entry.name,
      value: formatConfigValue(entry, config.get(entry.name)),
      readOnly: true,
      isSensitive: entry.type === 'password',
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      synonyms: opts.includeSynonyms === true ? synonyms : [],
      configType: CONFIG_TYPE_ID[entry.type],
      documentation: opts.includeDocumentation === true ? entry.doc : null,
    })
  }
  return out
}
