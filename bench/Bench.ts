// The shape of a benchmark script (`bench/<name>.bench.ts` exports `bench`) and of its results, as
// bench/run.ts runs, prints and stores them. A result is a list of rows, one per scenario and
// metric, each with samsa's and Kafka's samples, their median, min and max, and the ratio of the
// medians (samsa / Kafka). Benchmarks report; nothing here passes or fails on a figure.

import type { BrokerKind } from './brokers.ts'

export interface BenchOptions {
  /** repetitions of every scenario on every broker; medians are over these */
  reps: number
  /** small record counts, for trying the script out (figures not worth keeping) */
  quick: boolean
  /** brokers to run, in order (default both) */
  brokers: readonly BrokerKind[]
  /** scenario ids to run (default all) */
  scenarios?: ReadonlySet<string>
  /** write V8 CPU profiles of the samsa broker into this directory and summarise them */
  cpuProfileDir?: string
}

export interface Measure {
  median: number
  min: number
  max: number
  samples: number[]
}

export interface ResultRow {
  scenario: string
  metric: string
  unit: string
  /** which direction is good, so a reader of the ratio knows which side it favours */
  better: 'higher' | 'lower'
  samsa?: Measure
  kafka?: Measure
  /** samsa median / Kafka median */
  ratio?: number
}

export interface BenchResult {
  name: string
  description: string
  /** everything needed to rerun it the same way: counts, sizes, client and broker settings */
  config: Record<string, unknown>
  rows: ResultRow[]
  notes: string[]
  /** the run's progress lines (per sample: figures, CPU by thread, others' load), kept for later reading */
  log?: string[]
}

export interface Bench {
  name: string
  description: string
  run: (options: BenchOptions) => Promise<BenchResult>
}

export function measure (samples: readonly number[]): Measure | undefined {
  if (samples.length === 0) return undefined
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, samples: [...samples] }
}

/** A row from per-broker samples; the ratio is present when both brokers have a non-zero median. */
export function row (scenario: string, metric: string, unit: string, better: ResultRow['better'], samples: Partial<Record<BrokerKind, number[]>>): ResultRow {
  const samsa = measure(samples.samsa ?? [])
  const kafka = measure(samples.kafka ?? [])
  const r: ResultRow = { scenario, metric, unit, better }
  if (samsa !== undefined) r.samsa = samsa
  if (kafka !== undefined) r.kafka = kafka
  if (samsa !== undefined && kafka !== undefined && kafka.median !== 0) r.ratio = samsa.median / kafka.median
  return r
}
