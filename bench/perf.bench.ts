// samsa against Apache Kafka, measured by Kafka's own perf tools in one run.
//
// For each repetition and each broker (the order alternates between repetitions, so neither
// broker always runs first on a warming or cooling machine):
//   1. spawn the broker; cold start = spawn -> first produce acknowledged (acks=1), via a small
//      raw-protocol client that retries every 5 ms (ApiVersions, CreateTopics, Produce);
//   2. idle a few seconds, read the broker's RSS (VmRSS of its pid; for Kafka, the JVM);
//   3. warm-up (unreported): 1 KiB records produced and consumed, so both runtimes have compiled
//      their hot paths before the measured runs (cold start is measured separately, in step 1);
//      then kafka-producer-perf-test, unthrottled: 1 KiB records acks=1 into 1 partition and into 6,
//      100 B records acks=1, 1 KiB records acks=all;
//   4. kafka-consumer-perf-test reads the 1 KiB and the 100 B topics back from the start;
//   5. kafka-producer-perf-test throttled to a moderate rate, for latency percentiles after a
//      warm-up;
//   6. idle again, read the RSS, stop the broker.
// The broker's CPU time (utime + stime from /proc) around each tool run gives CPU per record.
//
// Both brokers run with their defaults: no fsync per message (log.flush.interval.messages is
// Long.MAX_VALUE in both), Kafka with the JVM flags of kafka-server-start.sh (-Xmx1G -Xms1G, G1).
// The only override is group.initial.rebalance.delay.ms=0 on both, so the consumer tool's group
// forms at once (its fetch figures exclude the group join either way).

import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { Bench, BenchOptions, BenchResult, ResultRow } from './Bench.ts'
import { row } from './Bench.ts'
import {
  type BenchBroker, type BrokerKind, createTopics, KAFKA_DEFAULT_JVM_ARGS, measureColdStart, readCpuMs, readRss, readThreadCpuMs, spawnKafka, spawnSamsa,
} from './brokers.ts'
import { formatProfile, summarizeProfileFile } from './cpuProfile.ts'
import { startForeignCpu } from './machine.ts'
import { consumerPerf, producerPerf, type ProducerPerf } from './perfTools.ts'
import { requireKafkaJars } from '../test/helpers/kafkaTools.ts'
import type { KafkaJars } from '../test/helpers/peers.ts'

interface Sizes {
  records1k: number
  records100b: number
  recordsAcksAll: number
  records1kP6: number
  latencyRecords: number
  latencyWarmup: number
  latencyRate: number
  /** 1 KiB records produced and consumed, unreported, before the measured runs (JIT warm-up for both) */
  warmupRecords: number
  idleMs: number
}

const FULL: Sizes = {
  records1k: 500_000,
  records100b: 2_000_000,
  recordsAcksAll: 500_000,
  records1kP6: 500_000,
  latencyRecords: 300_000,
  latencyWarmup: 40_000,
  latencyRate: 20_000,
  warmupRecords: 300_000,
  idleMs: 5_000,
}

const QUICK: Sizes = {
  records1k: 50_000,
  records100b: 200_000,
  recordsAcksAll: 50_000,
  records1kP6: 50_000,
  latencyRecords: 40_000,
  latencyWarmup: 5_000,
  latencyRate: 20_000,
  warmupRecords: 10_000,
  idleMs: 1_000,
}

/** Broker configs given to both brokers (everything else is each one's default). */
const COMMON_BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': '0' } as const

export const SCENARIOS = ['produce-1k', 'produce-1k-p6', 'produce-100b', 'produce-1k-acks-all', 'consume-1k', 'consume-100b', 'latency-1k'] as const
type Scenario = typeof SCENARIOS[number]

/** One broker run's figures, keyed `<scenario>/<metric>`. */
type Sample = Map<string, number>

function wanted (options: BenchOptions): Set<Scenario> {
  const chosen = new Set<Scenario>()
  for (const s of SCENARIOS) if (options.scenarios === undefined || options.scenarios.has(s)) chosen.add(s)
  // A consume run reads what a produce run wrote.
  if (chosen.has('consume-1k')) chosen.add('produce-1k')
  if (chosen.has('consume-100b')) chosen.add('produce-100b')
  return chosen
}

/**
 * Runs one tool; measures the broker's CPU time, split by thread (for the log), and the CPU
 * others used meanwhile (in cores).
 */
async function withCpu<T> (broker: BenchBroker, fn: () => Promise<T>): Promise<{ value: T, cpuMs: number, foreignCores: number, threads: string }> {
  const before = await readCpuMs(broker.pid)
  const threadsBefore = await readThreadCpuMs(broker.pid)
  const foreign = await startForeignCpu(() => readCpuMs(broker.pid))
  const value = await fn()
  const foreignCores = await foreign()
  const threadsAfter = await readThreadCpuMs(broker.pid)
  const threads = [...threadsAfter].map(([name, ms]) => [name, ms - (threadsBefore.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${ms}`).join(', ')
  return { value, cpuMs: await readCpuMs(broker.pid) - before, foreignCores, threads }
}

function putProducer (sample: Sample, scenario: string, p: ProducerPerf, cpuMs: number): void {
  sample.set(`${scenario}/records/s`, p.recordsPerSec)
  sample.set(`${scenario}/MB/s`, p.mbPerSec)
  sample.set(`${scenario}/p50`, p.p50Ms)
  sample.set(`${scenario}/p99`, p.p99Ms)
  sample.set(`${scenario}/p99.9`, p.p999Ms)
  sample.set(`${scenario}/cpu`, cpuMs * 1000 / p.records)
}

/**
 * samsa's cold start again with Node's compile cache (NODE_COMPILE_CACHE) primed by a first start:
 * what `module.enableCompileCache()` in bin/samsa.js would give from the second start on (the
 * TypeScript sources are then neither type-stripped nor compiled again).
 */
async function coldStartWithCompileCache (cacheDir: string): Promise<number> {
  let last = 0
  for (let i = 0; i < 2; i++) { // the first start fills the cache; the second is the one measured
    const broker = await spawnSamsa({ overrides: COMMON_BROKER_CONFIG, env: { NODE_COMPILE_CACHE: cacheDir } })
    try {
      last = (await measureColdStart(broker)).firstProduceMs
    } finally {
      await broker.stop()
    }
  }
  return last
}

async function runBroker (kind: BrokerKind, rep: number, sizes: Sizes, chosen: Set<Scenario>, kafka: KafkaJars, options: BenchOptions, log: (s: string) => void): Promise<Sample> {
  const sample: Sample = new Map()
  const broker = kind === 'samsa'
    ? await spawnSamsa({ overrides: COMMON_BROKER_CONFIG, ...(options.cpuProfileDir === undefined ? {} : { cpuProfileDir: options.cpuProfileDir }) })
    : await spawnKafka({ kafka, config: COMMON_BROKER_CONFIG })
  let failed = true
  try {
    const cold = await measureColdStart(broker)
    sample.set('cold start/ready', cold.readyMs)
    sample.set('cold start/first produce', cold.firstProduceMs)
    log(`  ${kind} rep ${rep}: cold start ${cold.firstProduceMs.toFixed(0)} ms (ready ${cold.readyMs.toFixed(0)} ms)`)
    await delay(sizes.idleMs)
    const idle = await readRss(broker.pid)
    sample.set('RSS/idle after start', idle.rssKiB / 1024)

    const tag = `r${rep}`
    await createTopics(broker, [
      { name: `bench-1k-${tag}`, partitions: 1 },
      { name: `bench-1k-p6-${tag}`, partitions: 6 },
      { name: `bench-100b-${tag}`, partitions: 1 },
      { name: `bench-1k-all-${tag}`, partitions: 1 },
      { name: `bench-latency-${tag}`, partitions: 1 },
      { name: `bench-warmup-${tag}`, partitions: 1 },
    ])
    // Warm-up, unreported: both runtimes compile their hot paths (JIT) before the clock matters.
    await producerPerf({ bootstrap: broker.bootstrap, topic: `bench-warmup-${tag}`, records: sizes.warmupRecords, recordSize: 1024, throughput: -1, acks: '1', kafka })
    await consumerPerf({ bootstrap: broker.bootstrap, topic: `bench-warmup-${tag}`, records: sizes.warmupRecords, group: `bench-warmup-${tag}`, kafka })
    const produce = async (scenario: Scenario, topic: string, records: number, recordSize: number, acks: '1' | 'all'): Promise<void> => {
      if (!chosen.has(scenario)) return
      const { value, cpuMs, foreignCores, threads } = await withCpu(broker, () => producerPerf({ bootstrap: broker.bootstrap, topic, records, recordSize, throughput: -1, acks, kafka }))
      putProducer(sample, scenario, value.all, cpuMs)
      sample.set(`${scenario}/other load`, foreignCores)
      log(`  ${kind} rep ${rep}: ${scenario} ${value.all.recordsPerSec.toFixed(0)} rec/s ${value.all.mbPerSec} MB/s p99 ${value.all.p99Ms} ms (others used ${foreignCores.toFixed(2)} cores; broker CPU ms by thread: ${threads})`)
    }
    await produce('produce-1k', `bench-1k-${tag}`, sizes.records1k, 1024, '1')
    await produce('produce-1k-p6', `bench-1k-p6-${tag}`, sizes.records1kP6, 1024, '1')
    await produce('produce-100b', `bench-100b-${tag}`, sizes.records100b, 100, '1')
    await produce('produce-1k-acks-all', `bench-1k-all-${tag}`, sizes.recordsAcksAll, 1024, 'all')

    const consume = async (scenario: Scenario, topic: string, records: number): Promise<void> => {
      if (!chosen.has(scenario)) return
      const { value, cpuMs, foreignCores, threads } = await withCpu(broker, () => consumerPerf({ bootstrap: broker.bootstrap, topic, records, group: `bench-${scenario}-${tag}`, kafka }))
      sample.set(`${scenario}/other load`, foreignCores)
      sample.set(`${scenario}/records/s`, value.fetchRecordsPerSec)
      sample.set(`${scenario}/MB/s`, value.fetchMbPerSec)
      sample.set(`${scenario}/group join`, value.rebalanceMs)
      sample.set(`${scenario}/cpu`, cpuMs * 1000 / value.records)
      log(`  ${kind} rep ${rep}: ${scenario} ${value.fetchRecordsPerSec.toFixed(0)} rec/s ${value.fetchMbPerSec.toFixed(2)} MB/s (others used ${foreignCores.toFixed(2)} cores; broker CPU ms by thread: ${threads})`)
    }
    await consume('consume-1k', `bench-1k-${tag}`, sizes.records1k)
    await consume('consume-100b', `bench-100b-${tag}`, sizes.records100b)

    if (chosen.has('latency-1k')) {
      const { value, cpuMs, foreignCores, threads } = await withCpu(broker, () => producerPerf({
        bootstrap: broker.bootstrap, topic: `bench-latency-${tag}`, records: sizes.latencyRecords, recordSize: 1024,
        throughput: sizes.latencyRate, acks: '1', warmupRecords: sizes.latencyWarmup, reportingIntervalMs: 1000, kafka,
      }))
      for (const line of value.progress) log(`    ${line}`)
      putProducer(sample, 'latency-1k', value.steady, cpuMs * value.steady.records / value.all.records)
      sample.set('latency-1k/other load', foreignCores)
      log(`  ${kind} rep ${rep}: latency-1k p50 ${value.steady.p50Ms} ms p99 ${value.steady.p99Ms} ms p99.9 ${value.steady.p999Ms} ms (others used ${foreignCores.toFixed(2)} cores; broker CPU ms by thread: ${threads})`)
    }

    await delay(sizes.idleMs)
    const after = await readRss(broker.pid)
    sample.set('RSS/idle after load', after.rssKiB / 1024)
    sample.set('RSS/peak', after.peakKiB / 1024)
    failed = false
  } finally {
    if (failed) log(`  ${kind} rep ${rep} failed; broker log: ${broker.logFile} (kept)`)
    await broker.stop({ keepDir: failed })
  }
  if (kind === 'samsa') {
    const cacheDir = await mkdtemp(join(tmpdir(), 'samsa-bench-compile-cache-'))
    try {
      const ms = await coldStartWithCompileCache(cacheDir)
      sample.set('cold start/first produce, compile cache', ms)
      log(`  samsa rep ${rep}: cold start with a primed compile cache ${ms.toFixed(0)} ms`)
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  }
  return sample
}

/** Rows to print, in order: [scenario/metric key, unit, better]. */
const METRICS: ReadonlyArray<[string, string, ResultRow['better']]> = [
  ...(['produce-1k', 'produce-1k-p6', 'produce-100b', 'produce-1k-acks-all'] as const).flatMap(s => [
    [`${s}/records/s`, 'rec/s', 'higher'], [`${s}/MB/s`, 'MB/s', 'higher'],
    [`${s}/p50`, 'ms', 'lower'], [`${s}/p99`, 'ms', 'lower'], [`${s}/cpu`, 'µs CPU/rec', 'lower'], [`${s}/other load`, 'cores', 'lower'],
  ] as Array<[string, string, ResultRow['better']]>),
  ...(['consume-1k', 'consume-100b'] as const).flatMap(s => [
    [`${s}/records/s`, 'rec/s', 'higher'], [`${s}/MB/s`, 'MB/s', 'higher'], [`${s}/group join`, 'ms', 'lower'], [`${s}/cpu`, 'µs CPU/rec', 'lower'], [`${s}/other load`, 'cores', 'lower'],
  ] as Array<[string, string, ResultRow['better']]>),
  ['latency-1k/p50', 'ms', 'lower'], ['latency-1k/p99', 'ms', 'lower'], ['latency-1k/p99.9', 'ms', 'lower'], ['latency-1k/cpu', 'µs CPU/rec', 'lower'], ['latency-1k/other load', 'cores', 'lower'],
  ['cold start/ready', 'ms', 'lower'], ['cold start/first produce', 'ms', 'lower'], ['cold start/first produce, compile cache', 'ms', 'lower'],
  ['RSS/idle after start', 'MiB', 'lower'], ['RSS/idle after load', 'MiB', 'lower'], ['RSS/peak', 'MiB', 'lower'],
]

async function run (options: BenchOptions): Promise<BenchResult> {
  const sizes = options.quick ? QUICK : FULL
  const chosen = wanted(options)
  const kafka = await requireKafkaJars()
  const logLines: string[] = []
  const log = (s: string): void => {
    logLines.push(s)
    process.stderr.write(s + '\n')
  }
  const samples: Record<BrokerKind, Sample[]> = { samsa: [], kafka: [] }
  for (let rep = 1; rep <= options.reps; rep++) {
    const order = rep % 2 === 1 ? options.brokers : [...options.brokers].reverse()
    for (const kind of order) samples[kind].push(await runBroker(kind, rep, sizes, chosen, kafka, options, log))
  }
  const rows: ResultRow[] = []
  for (const [key, unit, better] of METRICS) {
    const per = (kind: BrokerKind): number[] => samples[kind].flatMap(s => s.has(key) ? [s.get(key) as number] : [])
    if (per('samsa').length === 0 && per('kafka').length === 0) continue
    const slash = key.indexOf('/')
    const r = row(key.slice(0, slash), key.slice(slash + 1), unit, better, { samsa: per('samsa'), kafka: per('kafka') })
    if (unit === 'cores') delete r.ratio // a condition of the run, not a figure of the broker
    rows.push(r)
  }
  const notes: string[] = []
  if (options.cpuProfileDir !== undefined) {
    const profiles = (await readdir(options.cpuProfileDir)).filter(f => f.endsWith('.cpuprofile')).sort()
    for (const f of profiles) {
      const path = join(options.cpuProfileDir, f)
      notes.push(`CPU profile of the samsa broker (${path}):\n${formatProfile(await summarizeProfileFile(path), 30)}`)
    }
    notes.push('samsa ran under --cpu-prof: its figures include the sampler overhead.')
  }
  return {
    name: 'perf',
    description: 'samsa vs Apache Kafka with kafka-producer-perf-test and kafka-consumer-perf-test',
    config: {
      sizes,
      scenarios: [...chosen],
      reps: options.reps,
      brokers: options.brokers,
      kafkaVersion: kafka.version,
      kafkaJvmArgs: KAFKA_DEFAULT_JVM_ARGS,
      brokerConfig: COMMON_BROKER_CONFIG,
      durability: 'no fsync per message on either broker (log.flush.interval.messages = Long.MAX_VALUE, the default of both)',
      producer: 'kafka-producer-perf-test, client defaults (batch.size 16384, linger.ms 5, compression none, idempotence on for acks=all), only acks set; --throughput -1 except latency-1k',
      consumer: 'kafka-consumer-perf-test, client defaults (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB), classic group; records/s and MB/s are its fetch.* figures (group join excluded)',
      warmup: 'per broker start, before the measured runs: warmupRecords x 1 KiB produced (acks=1) and consumed in a group, unreported',
      topics: 'created over the protocol before the runs: 1 partition each, 6 for produce-1k-p6; replication factor 1',
      perfToolJvm: '-Xmx512m (test/helpers/kafkaTools.ts), same JVM for both brokers',
      coldStart: 'spawn -> ApiVersions answered (ready) and -> first Produce acks=1 acknowledged (first produce), CreateTopics included; raw client retrying every 5 ms. samsa also: a second start with NODE_COMPILE_CACHE primed by a first one (what module.enableCompileCache() would give); Kafka has no such row',
      otherLoad: 'CPU used during the run by everything but the broker, the perf tool and this script (from /proc/stat), in cores: the machine is shared, so a disturbed run says so',
      rss: 'VmRSS of the broker pid after idleMs idle; peak = VmHWM',
    },
    rows,
    notes,
    log: logLines,
  }
}

export const bench: Bench = {
  name: 'perf',
  description: 'samsa vs Apache Kafka: Kafka\'s perf tools, cold start, RSS',
  run,
}
