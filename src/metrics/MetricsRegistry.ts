// A small metrics registry rendered in Prometheus' text exposition format (version 0.0.4):
//
//   # HELP <name> <help>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value>",...} <number>
//
// A histogram adds `<name>_bucket{le="<bound>"}` lines (cumulative, ending with le="+Inf"),
// `<name>_sum` and `<name>_count`. Label values escape \, " and newline; help text escapes \ and
// newline. Counter names end in `_total`, as Prometheus names them.
//
// Two kinds of metric live here. Instruments (Counter, Histogram) are updated where things happen
// and cost a field increment there: the hot path holds a reference to its instrument and never
// looks it up by labels. Collectors compute gauges when /metrics is scraped (log sizes, group lag),
// so nothing is kept up to date between scrapes.

export type MetricType = 'counter' | 'gauge' | 'histogram'

export class Counter {
  value = 0
  inc (n = 1): void { this.value += n }
}

export class Histogram {
  /** Upper bounds of the buckets, ascending; +Inf is implied. */
  readonly bounds: readonly number[]
  /** Observations per bucket (not cumulative); the last one is the +Inf bucket. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new Error('histogram bounds must ascend')
    }
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (v: number): void {
    const b = this.bounds
    let i = 0
    while (i < b.length && v > (b[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += v
    this.count++
  }
}

type Instrument = Counter | Histogram

interface Series<M> { readonly labels: readonly string[], readonly metric: M }

/** One metric name with its label names and one instrument per label combination. */
export class MetricFamily<M extends Instrument> {
  readonly name: string
  readonly help: string
  readonly type: MetricType
  readonly labelNames: readonly string[]
  private readonly make: () => M
  private readonly series = new Map<string, Series<M>>()

  constructor (name: string, help: string, type: MetricType, labelNames: readonly string[], make: () => M) {
    this.name = name
    this.help = help
    this.type = type
    this.labelNames = labelNames
    this.make = make
  }

  /** The instrument for these label values (created on first use); keep it rather than calling this per event. */
  labels (...values: string[]): M {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes labels ${this.labelNames.join(',')}`)
    const key = values.join('\u0000')
    let s = this.series.get(key)
    if (s === undefined) {
      s = { labels: values, metric: this.make() }
      this.series.set(key, s)
    }
    return s.metric
  }

  /** Forgets one label combination (a deleted topic). */
  remove (...values: string[]): void {
    this.series.delete(values.join('\u0000'))
  }

  render (out: PrometheusWriter): void {
    out.family(this.name, this.type, this.help)
    for (const { labels, metric } of this.series.values()) {
      if (metric instanceof Histogram) out.histogram(this.name, this.labelNames, labels, metric)
      else out.sample(this.name, this.labelNames, labels, metric.value)
    }
  }
}

/** Writes the exposition text: families first declare themselves, then their samples. */
export class PrometheusWriter {
  private readonly parts: string[] = []
  private readonly declared = new Set<string>()

  /** Declares a family (once per scrape; a second declaration of the same name is ignored). */
  family (name: string, type: MetricType, help: string): void {
    if (this.declared.has(name)) return
    this.declared.add(name)
    this.parts.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`)
  }

  sample (name: string, labelNames: readonly string[], labelValues: readonly string[], value: number): void {
    this.parts.push(`${name}${formatLabels(labelNames, labelValues)} ${formatNumber(value)}\n`)
  }

  histogram (name: string, labelNames: readonly string[], labelValues: readonly string[], h: Histogram): void {
    let cumulative = 0
    const names = [...labelNames, 'le']
    for (let i = 0; i <= h.bounds.length; i++) {
      cumulative += h.counts[i] as number
      const le = i < h.bounds.length ? formatNumber(h.bounds[i] as number) : '+Inf'
      this.parts.push(`${name}_bucket${formatLabels(names, [...labelValues, le])} ${formatNumber(cumulative)}\n`)
    }
    const labels = formatLabels(labelNames, labelValues)
    this.parts.push(`${name}_sum${labels} ${formatNumber(h.sum)}\n${name}_count${labels} ${formatNumber(h.count)}\n`)
  }

  text (): string { return this.parts.join('') }
}

/** Computes gauges at scrape time. */
export type Collector = (out: PrometheusWriter) => void | Promise<void>

export class MetricsRegistry {
  private readonly families: Array<MetricFamily<Instrument>> = []
  private readonly collectors: Collector[] = []
  private readonly preparers: Array<() => void> = []

  counter (name: string, help: string, labelNames: readonly string[] = []): MetricFamily<Counter> {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`)
    return this.add(new MetricFamily(name, help, 'counter', labelNames, () => new Counter()))
  }

  histogram (name: string, help: string, bounds: readonly number[], labelNames: readonly string[] = []): MetricFamily<Histogram> {
    return this.add(new MetricFamily(name, help, 'histogram', labelNames, () => new Histogram(bounds)))
  }

  collect (collector: Collector): void {
    this.collectors.push(collector)
  }

  /** Runs before each render, e.g. to drop the series of something that is gone. */
  beforeRender (fn: () => void): void {
    this.preparers.push(fn)
  }

  private add<M extends Instrument> (f: MetricFamily<M>): MetricFamily<M> {
    checkName(f.name)
    for (const l of f.labelNames) checkName(l)
    if (this.families.some(g => g.name === f.name)) throw new Error(`metric ${f.name} registered twice`)
    this.families.push(f as unknown as MetricFamily<Instrument>)
    return f
  }

  /** The whole exposition text. */
  async render (): Promise<string> {
    for (const fn of this.preparers) fn()
    const out = new PrometheusWriter()
    for (const f of this.families) f.render(out)
    for (const c of this.collectors) await c(out)
    return out.text()
  }
}

function checkName (name: string): void {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`'${name}' is not a Prometheus name`)
}

function formatLabels (names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return ''
  let s = '{'
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ','
    s += `${names[i] as string}="${escapeLabel(values[i] ?? '')}"`
  }
  return s + '}'
}

function escapeLabel (v: string): string {
  return v.replace(/[\\"\n]/g, c => c === '\n' ? '\\n' : `\\${c}`)
}

function escapeHelp (v: string): string {
  return v.replace(/[\\\n]/g, c => c === '\n' ? '\\n' : '\\\\')
}

export function formatNumber (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
