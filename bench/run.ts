// `npm run bench [-- [name] [options]]`: runs every bench/*.bench.ts (or the one named), prints the
// machine, the config and a table per benchmark, and writes everything to
// bench/results/<date>-<commit>.json. Benchmarks report; they never fail on a figure.
//
// options:
//   --reps N              repetitions per broker (default 3); the table shows median (min-max)
//   --quick               small record counts, one repetition unless --reps says otherwise
//   --only samsa|kafka    run one broker
//   --scenarios a,b       a subset of the scenarios (perf: see SCENARIOS in perf.bench.ts)
//   --profile             run samsa under node --cpu-prof and summarise the profile (self time)
//   --out FILE            where to write the JSON (default bench/results/<date>-<commit>.json)

import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { Bench, BenchOptions, BenchResult, Measure, ResultRow } from './Bench.ts'
import type { BrokerKind } from './brokers.ts'
import { describeMachine, machineInfo } from './machine.ts'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
const RESULTS_DIR = join(BENCH_DIR, 'results')

async function git (...args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)('git', args, { cwd: BENCH_DIR })).stdout.trim()
  } catch {
    return ''
  }
}

async function commitId (): Promise<string> {
  const head = await git('rev-parse', '--short=12', 'HEAD')
  if (head === '') return 'unknown'
  const dirty = await git('status', '--porcelain', '--untracked-files=no', '--', '../src', '../bin')
  return dirty === '' ? head : `${head}-dirty`
}

function fmt (x: number): string {
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString('en-US')
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  return x.toFixed(2)
}

function cell (m: Measure | undefined): string {
  if (m === undefined) return '—'
  return m.samples.length > 1 ? `${fmt(m.median)} (${fmt(m.min)}–${fmt(m.max)})` : fmt(m.median)
}

function ratio (r: ResultRow): string {
  if (r.ratio === undefined) return '—'
  const good = r.better === 'higher' ? r.ratio >= 1 : r.ratio <= 1
  return `${r.ratio.toFixed(2)}${good ? '' : ' ✗'}`
}

/** A markdown table: readable in a terminal and pasteable into docs/benchmarks.md. */
export function table (result: BenchResult): string {
  const lines = [
    '| scenario | metric | unit | samsa median (min–max) | Kafka median (min–max) | samsa/Kafka |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ]
  for (const r of result.rows) {
    lines.push(`| ${r.scenario} | ${r.metric} | ${r.unit}${r.better === 'higher' ? ' ↑' : ' ↓'} | ${cell(r.samsa)} | ${cell(r.kafka)} | ${ratio(r)} |`)
  }
  return lines.join('\n')
}

async function main (): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
    },
  })
  const quick = values.quick === true
  const reps = values.reps === undefined ? (quick ? 1 : 3) : Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`)
  let brokers: BrokerKind[] = ['samsa', 'kafka']
  if (values.only !== undefined) {
    if (values.only !== 'samsa' && values.only !== 'kafka') throw new Error(`--only takes samsa or kafka, got ${values.only}`)
    brokers = [values.only]
  }
  const options: BenchOptions = { reps, quick, brokers }
  if (values.scenarios !== undefined) options.scenarios = new Set(values.scenarios.split(',').map(s => s.trim()).filter(s => s !== ''))
  if (values.profile === true) options.cpuProfileDir = await mkdtemp(join(tmpdir(), 'samsa-bench-profile-'))

  const files = (await readdir(BENCH_DIR)).filter(f => f.endsWith('.bench.ts')).sort()
  const selected = positionals.length === 0 ? files : files.filter(f => positionals.includes(basename(f, '.bench.ts')))
  if (selected.length === 0) throw new Error(`no benchmark named ${positionals.join(', ')}; have: ${files.map(f => basename(f, '.bench.ts')).join(', ')}`)

  const started = new Date()
  const commit = await commitId()
  const machine = await machineInfo()
  process.stdout.write(`date: ${started.toISOString()}\ncommit: ${commit}\nmachine: ${describeMachine(machine)}\n`)
  if (machine.loadAverage[0] > machine.cores / 2) {
    process.stdout.write(`note: the 1-minute load average is ${machine.loadAverage[0]} on ${machine.cores} cores; figures are taken under load\n`)
  }

  const results: BenchResult[] = []
  for (const file of selected) {
    const mod = await import(join(BENCH_DIR, file)) as { bench?: Bench }
    if (mod.bench === undefined) throw new Error(`${file} exports no bench`)
    process.stdout.write(`\n## ${mod.bench.name}: ${mod.bench.description}\n`)
    const result = await mod.bench.run(options)
    results.push(result)
    process.stdout.write(`\nconfig: ${JSON.stringify(result.config, null, 2)}\n\n${table(result)}\n`)
    for (const note of result.notes) process.stdout.write(`\n${note}\n`)
  }

  const finished = new Date()
  const record = {
    date: started.toISOString(),
    durationS: Math.round((finished.getTime() - started.getTime()) / 1000),
    commit,
    machine,
    loadAverageAtEnd: (await machineInfo()).loadAverage,
    options: { ...options, scenarios: options.scenarios === undefined ? undefined : [...options.scenarios] },
    results,
  }
  const out = values.out ?? join(RESULTS_DIR, `${started.toISOString().slice(0, 10)}-${commit}${quick ? '-quick' : ''}.json`)
  await mkdir(join(out, '..'), { recursive: true })
  await writeFile(out, JSON.stringify(record, null, 2) + '\n')
  process.stdout.write(`\nload average at end: ${record.loadAverageAtEnd.join(' / ')}\nresults: ${out}\n`)
}

await main()
