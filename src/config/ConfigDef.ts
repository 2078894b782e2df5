// A config table: name, type, default, validation and documentation, as Kafka's ConfigDef.
// BrokerConfig.ts and TopicConfig.ts each hold one table; docs/config.md is generated from them.

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'password'
export type ConfigValue = number | bigint | boolean | string | readonly string[] | null

export interface ConfigEntry {
  readonly name: string
  readonly type: ConfigType
  /** null = no default (unset). */
  readonly default: ConfigValue
  readonly doc: string
  readonly min?: number | bigint
  readonly max?: number | bigint
  readonly oneOf?: readonly string[]
  /** The topic-level config that overrides this broker config, if any. */
  readonly topicSynonym?: string
  /** Parsed but not acted upon by samsa (single node): accepted for compatibility with Kafka configs. */
  readonly accepted?: boolean
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly key: string
  constructor (key: string, message: string) {
    super(`${key}: ${message}`)
    this.key = key
  }
}

export class ConfigDef {
  readonly entries: ReadonlyMap<string, ConfigEntry>

  constructor (entries: readonly ConfigEntry[]) {
    this.entries = new Map(entries.map(e => [e.name, e]))
  }

  has (name: string): boolean { return this.entries.has(name) }

  /** Parses and validates one value given as text (a properties file) or as a typed value (code). */
  parse (name: string, raw: unknown): ConfigValue {
    const e = this.entries.get(name)
    if (e === undefined) throw new ConfigError(name, 'unknown config')
    if (raw === null || raw === undefined) return null
    const text = typeof raw === 'string' ? raw.trim() : raw
    let v: ConfigValue
    switch (e.type) {
      case 'int': case 'double': {
        const n = typeof text === 'number' ? text : typeof text === 'bigint' ? Number(text) : Number(text)
        if (typeof text === 'string' && text === '') throw new ConfigError(name, 'empty value')
        if (!Number.isFinite(n) || (e.type === 'int' && (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1))) {
          throw new ConfigError(name, `'${String(raw)}' is not a valid ${e.type}`)
        }
        v = n
        break
      }
      case 'long': {
        let n: bigint
        try { n = typeof text === 'bigint' ? text : BigInt(typeof text === 'number' ? Math.trunc(text) : String(text)) } catch {
          throw new ConfigError(name, `'${String(raw)}' is not a valid long`)
        }
        if (typeof text === 'number' && !Number.isInteger(text)) throw new ConfigError(name, `'${String(raw)}' is not a valid long`)
        if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) throw new ConfigError(name, `'${String(raw)}' is out of range for a long`)
        v = n
        break
      }
      case 'boolean': {
        if (typeof text === 'boolean') v = text
        else if (String(text).toLowerCase() === 'true') v = true
        else if (String(text).toLowerCase() === 'false') v = false
        else throw new ConfigError(name, `'${String(raw)}' is not true or false`)
        break
      }
      case 'list':
        v = Array.isArray(text) ? text.map(String) : String(text).split(',').map(s => s.trim()).filter(s => s !== '')
        break
      default:
        v = String(text)
    }
    if (e.min !== undefined && typeof v !== 'object' && typeof v !== 'boolean' && typeof v !== 'string' && v < e.min) {
      throw new ConfigError(name, `${String(v)} is below the minimum ${String(e.min)}`)
    }
    if (e.max !== undefined && typeof v !== 'object' && typeof v !== 'boolean' && typeof v !== 'string' && v > e.max) {
      throw new ConfigError(name, `${String(v)} is above the maximum ${String(e.max)}`)
    }
    if (e.oneOf !== undefined) {
      const values = Array.isArray(v) ? v : [v]
      for (const x of values) if (!e.oneOf.includes(String(x))) throw new ConfigError(name, `'${String(x)}' is not one of ${e.oneOf.join(', ')}`)
    }
    return v
  }

  /** Renders a value as Kafka shows it (DescribeConfigs, docs). */
  static format (v: ConfigValue): string | null {
    if (v === null) return null
    if (Array.isArray(v)) return v.join(',')
    return String(v)
  }
}

/** Parses Java properties text: key=value or key:value, # and ! comments, \ line continuations. */
export function parseProperties (text: string): Map<string, string> {
  const out = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trimStart()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + (lines[++i] as string).trimStart()
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (m === null) out.set(line.trim(), '')
    else out.set(m[1] as string, (m[2] as string).trim())
  }
  return out
}
