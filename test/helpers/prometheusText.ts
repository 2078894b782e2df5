// A strict reader of Prometheus' text exposition format (0.0.4) for tests: it throws, naming the
// line, on anything a Prometheus server would reject or that the format forbids (a bad name, an
// unescaped label value, a sample before its TYPE, a family split in two, a repeated series,
// histogram buckets that are not cumulative or whose +Inf bucket differs from _count).

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface PromSample { name: string, labels: Record<string, string>, value: number }
export interface PromFamily { name: string, type: PromType, help: string | undefined }

export interface PromText {
  families: Map<string, PromFamily>
  samples: PromSample[]
  /** The value of the one sample with this name and exactly these labels, or undefined. */
  value: (name: string, labels?: Record<string, string>) => number | undefined
  /** Every sample of this name whose labels include `labels`. */
  find: (name: string, labels?: Record<string, string>) => PromSample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseValue (s: string, where: string): number {
  if (s === 'NaN') return NaN
  if (s === '+Inf' || s === 'Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: '${s}' is not a number`)
  return Number(s)
}

/** The family a sample name belongs to (histogram/summary suffixes stripped when the base is declared). */
function familyOf (name: string, families: Map<string, PromFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length)
      const f = families.get(base)
      if (f !== undefined && (f.type === 'histogram' || f.type === 'summary')) return base
    }
  }
  return name
}

function parseLabels (s: string, where: string): { labels: Record<string, string>, rest: string } {
  const labels: Record<string, string> = {}
  let i = 1 // after '{'
  for (;;) {
    while (s[i] === ' ') i++
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) }
    const eq = s.indexOf('=', i)
    if (eq < 0) throw new Error(`${where}: label without '='`)
    const name = s.slice(i, eq).trim()
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name '${name}'`)
    if (name in labels) throw new Error(`${where}: label ${name} repeated`)
    if (s[eq + 1] !== '"') throw new Error(`${where}: label ${name}'s value is not quoted`)
    let j = eq + 2
    let value = ''
    for (;;) {
      const c = s[j]
      if (c === undefined) throw new Error(`${where}: unterminated label value`)
      if (c === '"') break
      if (c === '\\') {
        const n = s[j + 1]
        if (n === '\\') value += '\\'
        else if (n === '"') value += '"'
        else if (n === 'n') value += '\n'
        else throw new Error(`${where}: bad escape \\${n ?? ''}`)
        j += 2
        continue
      }
      value += c
      j++
    }
    labels[name] = value
    i = j + 1
    while (s[i] === ' ') i++
    if (s[i] === ',') { i++; continue }
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) }
    throw new Error(`${where}: expected ',' or '}' after label ${name}`)
  }
}

export function parsePrometheusText (text: string): PromText {
  const families = new Map<string, PromFamily>()
  const samples: PromSample[] = []
  const seriesSeen = new Set<string>()
  const closed = new Set<string>()
  let current: string | null = null
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the text does not end with a newline')
  const lines = text.split('\n')
  lines.pop()
  lines.forEach((line, n) => {
    const where = `line ${n + 1} (${line.slice(0, 80)})`
    if (line.trim() === '') return
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line)
      if (m === null) return // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined]
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`)
      if (closed.has(name) && current !== name) throw new Error(`${where}: family ${name} appears twice`)
      let f = families.get(name)
      if (kind === 'TYPE') {
        const type = (rest ?? '').trim()
        if (!TYPES.has(type)) throw new Error(`${where}: unknown type '${type}'`)
        if (f?.type !== undefined && f.type !== 'untyped') throw new Error(`${where}: second TYPE for ${name}`)
        if (samples.some(s => familyOf(s.name, families) === name)) throw new Error(`${where}: TYPE after samples of ${name}`)
        f = { name, type: type as PromType, help: f?.help }
      } else {
        if (f?.help !== undefined) throw new Error(`${where}: second HELP for ${name}`)
        f = { name, type: f?.type ?? 'untyped', help: rest ?? '' }
      }
      families.set(name, f)
      if (current !== null && current !== name) closed.add(current)
      current = name
      return
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (nameMatch === null) throw new Error(`${where}: no metric name`)
    const name = nameMatch[0]
    let rest = line.slice(name.length)
    let labels: Record<string, string> = {}
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where))
    const parts = rest.trim().split(/\s+/)
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`${where}: expected a value and an optional timestamp`)
    const value = parseValue(parts[0] as string, where)
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`)
    const family = familyOf(name, families)
    if (closed.has(family)) throw new Error(`${where}: samples of ${family} are not together`)
    if (current !== null && current !== family) closed.add(current)
    current = family
    const f = families.get(family)
    if (f?.type === 'histogram' && name === `${family}_bucket` && labels.le === undefined) throw new Error(`${where}: bucket without le`)
    if (f?.type === 'counter' && !(value >= 0)) throw new Error(`${where}: negative counter`)
    const key = name + JSON.stringify(Object.entries(labels).sort())
    if (seriesSeen.has(key)) throw new Error(`${where}: series repeated`)
    seriesSeen.add(key)
    samples.push({ name, labels, value })
  })

  // Histograms: buckets cumulative per series, +Inf present and equal to _count.
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue
    const series = new Map<string, PromSample[]>()
    for (const s of samples) {
      if (s.name !== `${f.name}_bucket`) continue
      const { le, ...rest } = s.labels
      const k = JSON.stringify(Object.entries(rest).sort())
      series.set(k, [...(series.get(k) ?? []), s])
    }
    for (const [k, buckets] of series) {
      buckets.sort((a, b) => parseValue(a.labels.le as string, f.name) - parseValue(b.labels.le as string, f.name))
      for (let i = 1; i < buckets.length; i++) {
        if ((buckets[i] as PromSample).value < (buckets[i - 1] as PromSample).value) throw new Error(`${f.name}${k}: buckets are not cumulative`)
      }
      const inf = buckets[buckets.length - 1]
      if (inf?.labels.le !== '+Inf') throw new Error(`${f.name}${k}: no +Inf bucket`)
      const count = samples.find(s => s.name === `${f.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === k)
      if (count === undefined || count.value !== inf.value) throw new Error(`${f.name}${k}: _count differs from the +Inf bucket`)
    }
  }

  const includes = (s: PromSample, labels: Record<string, string>): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  return {
    families,
    samples,
    find: (name, labels = {}) => samples.filter(s => s.name === name && includes(s, labels)),
    value: (name, labels = {}) => {
      const want = Object.keys(labels).length
      return samples.find(s => s.name === name && Object.keys(s.labels).length === want && includes(s, labels))?.value
    },
  }
}
