// Apache Kafka's perf tools, run against a bootstrap address and read back from their summary
// lines. Their figures are the benchmark's figures: samsa and Kafka are measured by the same
// unmodified client. Both tools count a MB as 1024 * 1024 bytes of record values.
//
// kafka-producer-perf-test prints, at the end (and, with --warmup-records, a second line for the
// records after the warm-up):
//   500000 records sent, 61728.4 records/sec (60.28 MB/sec), 480.21 ms avg latency, 812.00 ms max latency, 495 ms 50th, 700 ms 95th, 790 ms 99th, 810 ms 99.9th.
//   450000 steady state records sent, ...same fields...
// kafka-consumer-perf-test prints a header and one line:
//   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec

import { runKafkaTool } from '../test/helpers/kafkaTools.ts'
import type { KafkaJars } from '../test/helpers/peers.ts'

/** How long one perf-tool run may take before it is killed (a hang guard: the slowest run here is well under it). */
export const PERF_TOOL_TIMEOUT_MS = 600_000

export interface ProducerPerf {
  records: number
  recordsPerSec: number
  mbPerSec: number
  avgLatencyMs: number
  maxLatencyMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  p999Ms: number
}

export interface ProducerRun {
  /** every record */
  all: ProducerPerf
  /** the records after --warmup-records (equal to `all` without a warm-up) */
  steady: ProducerPerf
  /** the tool's progress lines (one per --reporting-interval): where a latency spike happened */
  progress: string[]
  args: string[]
}

const PRODUCER_LINE = /^(\d+) (steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/gm

export function parseProducerPerf (stdout: string): { all: ProducerPerf, steady?: ProducerPerf } {
  let all: ProducerPerf | undefined
  let steady: ProducerPerf | undefined
  for (const m of stdout.matchAll(PRODUCER_LINE)) {
    const perf: ProducerPerf = {
      records: Number(m[1]),
      recordsPerSec: Number(m[3]),
      mbPerSec: Number(m[4]),
      avgLatencyMs: Number(m[5]),
      maxLatencyMs: Number(m[6]),
      p50Ms: Number(m[7]),
      p95Ms: Number(m[8]),
      p99Ms: Number(m[9]),
      p999Ms: Number(m[10]),
    }
    if (m[2] === undefined) all = perf
    else steady = perf
  }
  if (all === undefined) throw new Error(`no summary line in kafka-producer-perf-test output:\n${stdout.slice(-2000)}`)
  return steady === undefined ? { all } : { all, steady }
}

export interface ProducerPerfOptions {
  bootstrap: string
  topic: string
  records: number
  recordSize: number
  /** records/s, -1 for as fast as possible */
  throughput: number
  acks: '0' | '1' | 'all'
  warmupRecords?: number
  /** ms between progress lines (the tool's default is 5000) */
  reportingIntervalMs?: number
  /** more producer configs (Kafka's names) */
  props?: Readonly<Record<string, string>>
  kafka?: KafkaJars
}

export async function producerPerf (o: ProducerPerfOptions): Promise<ProducerRun> {
  const props = { acks: o.acks, ...o.props }
  const args = [
    '--bootstrap-server', o.bootstrap, '--topic', o.topic,
    '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', String(o.throughput),
    ...(o.warmupRecords === undefined ? [] : ['--warmup-records', String(o.warmupRecords)]),
    ...(o.reportingIntervalMs === undefined ? [] : ['--reporting-interval', String(o.reportingIntervalMs)]),
    '--command-property', ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
  ]
  const r = await runKafkaTool('kafka-producer-perf-test', args, { timeoutMs: PERF_TOOL_TIMEOUT_MS, ...(o.kafka === undefined ? {} : { kafka: o.kafka }) })
  if (r.code !== 0) throw new Error(`kafka-producer-perf-test exited with ${r.code ?? r.signal}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`)
  const parsed = parseProducerPerf(r.stdout)
  if (parsed.all.records !== o.records) throw new Error(`kafka-producer-perf-test sent ${parsed.all.records} of ${o.records} records`)
  const progress = r.stdout.split('\n').filter(l => / records sent, .* max latency\.$/.test(l) && !/ 50th,/.test(l))
  return { all: parsed.all, steady: parsed.steady ?? parsed.all, progress, args }
}

export interface ConsumerPerf {
  records: number
  mb: number
  /** over the whole run, group join included */
  mbPerSec: number
  recordsPerSec: number
  rebalanceMs: number
  fetchMs: number
  /** over the fetching time only (rebalance excluded) */
  fetchMbPerSec: number
  fetchRecordsPerSec: number
  args: string[]
}

export function parseConsumerPerf (stdout: string): Omit<ConsumerPerf, 'args'> {
  const lines = stdout.split('\n').map(l => l.trim()).filter(l => l !== '')
  const header = lines.findIndex(l => l.startsWith('start.time,'))
  const data = header >= 0 ? lines[header + 1] : undefined
  if (data === undefined) throw new Error(`no result line in kafka-consumer-perf-test output:\n${stdout.slice(-2000)}`)
  const f = data.split(',').map(s => s.trim())
  if (f.length < 10) throw new Error(`unexpected kafka-consumer-perf-test line: ${data}`)
  return {
    mb: Number(f[2]),
    mbPerSec: Number(f[3]),
    records: Number(f[4]),
    recordsPerSec: Number(f[5]),
    rebalanceMs: Number(f[6]),
    fetchMs: Number(f[7]),
    fetchMbPerSec: Number(f[8]),
    fetchRecordsPerSec: Number(f[9]),
  }
}

export interface ConsumerPerfOptions {
  bootstrap: string
  topic: string
  records: number
  group: string
  kafka?: KafkaJars
}

export async function consumerPerf (o: ConsumerPerfOptions): Promise<ConsumerPerf> {
  const args = ['--bootstrap-server', o.bootstrap, '--topic', o.topic, '--num-records', String(o.records), '--group', o.group, '--timeout', '30000']
  const r = await runKafkaTool('kafka-consumer-perf-test', args, { timeoutMs: PERF_TOOL_TIMEOUT_MS, ...(o.kafka === undefined ? {} : { kafka: o.kafka }) })
  if (r.code !== 0) throw new Error(`kafka-consumer-perf-test exited with ${r.code ?? r.signal}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`)
  const parsed = parseConsumerPerf(r.stdout)
  if (parsed.records < o.records) throw new Error(`kafka-consumer-perf-test consumed ${parsed.records} of ${o.records} records\n${r.stderr.slice(-2000)}`)
  return { ...parsed, args }
}
