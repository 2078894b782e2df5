// The classic exercise, run with examples/producer.py and examples/consumer.py as a user would:
// 1. the producer sends readings every --interval; once it has sent a few, a consumer starts
//    (auto_offset_reset='earliest', no group) and must print every reading, the ones sent before
//    it started included;
// 2. the broker is stopped cleanly and started again on the same data; the producer sends more;
//    a fresh consumer prints every reading, old and new;
// 3. the broker is killed with -9 and started again; the same once more.
// Readings are compared exactly: the JSON the producer printed as sent is the JSON the consumer
// printed, in order (one partition), nothing missing, nothing twice.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url))
/** How long one example run may take (interpreter start, client start-up, the readings). */
export const EXAMPLE_TIMEOUT_MS = 90_000
/** Seconds between readings: short, so the consumer can start while the producer still runs. */
const INTERVAL_S = '0.3'
const KEPT_STDERR_BYTES = 16 * 1024

export interface ExerciseBroker {
  bootstrap: () => string
  /** stops the broker (SIGTERM: clean; SIGKILL: kill -9) and starts it again on the same data */
  restart: (signal: 'SIGTERM' | 'SIGKILL') => Promise<void>
}

interface ExampleRun {
  lines: string[]
  /** resolves once `n` lines were printed; rejects if the process exits first or the deadline passes */
  waitForLines: (n: number) => Promise<void>
  /** resolves with the output once the process exited with 0; rejects otherwise */
  done: Promise<string[]>
}

function runExample (python: string, script: 'producer.py' | 'consumer.py', args: readonly string[]): ExampleRun {
  const child: ChildProcess = spawn(python, [EXAMPLES + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  const waiters: Array<{ n: number, resolve: () => void }> = []
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
    for (const w of waiters.filter(w => lines.length >= w.n)) w.resolve()
  })
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-KEPT_STDERR_BYTES) })
  const timer = setTimeout(() => child.kill('SIGKILL'), EXAMPLE_TIMEOUT_MS)
  const describe = (): string => `${script} ${args.join(' ')}`
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal }) })
  })
  const done = exited.then(({ code, signal }) => {
    if (code !== 0) throw new Error(`${describe()} exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${EXAMPLE_TIMEOUT_MS} ms)` : ''}; printed ${lines.length} lines\n--- stderr\n${stderr}`)
    return lines
  })
  done.catch(() => {}) // a caller awaiting waitForLines reports the failure
  return {
    lines,
    done,
    waitForLines: (n: number) => new Promise<void>((resolve, reject) => {
      if (lines.length >= n) return resolve()
      waiters.push({ n, resolve })
      void exited.then(() => {
        if (lines.length < n) reject(new Error(`${describe()} exited after printing ${lines.length} of ${n} lines\n--- stderr\n${stderr}`))
      })
    }),
  }
}

/** The readings a producer run printed as sent. */
function sentReadings (lines: readonly string[]): unknown[] {
  return lines.filter(l => l.startsWith('sent ')).map(l => JSON.parse(l.slice('sent '.length)) as unknown)
}

/** The readings a consumer run printed. */
function consumedReadings (lines: readonly string[]): unknown[] {
  return lines.map(l => (JSON.parse(l) as { value: unknown }).value)
}

async function produce (python: string, bootstrap: string, topic: string, sensorId: string, count: number): Promise<ExampleRun> {
  return runExample(python, 'producer.py', ['--bootstrap-server', bootstrap, '--topic', topic, '--interval', INTERVAL_S, '--count', String(count), '--sensor-id', sensorId])
}

function consume (python: string, bootstrap: string, topic: string, count: number): ExampleRun {
  return runExample(python, 'consumer.py', ['--bootstrap-server', bootstrap, '--topic', topic, '--max-messages', String(count), '--timeout-ms', String(EXAMPLE_TIMEOUT_MS)])
}

export async function runExercise (python: string, broker: ExerciseBroker, topic: string): Promise<void> {
  const all: unknown[] = []

  // 1. a consumer started late gets what was sent before it, and what is sent while it runs
  const producer = await produce(python, broker.bootstrap(), topic, 'sensor-1', 6)
  await producer.waitForLines(3)
  const late = consume(python, broker.bootstrap(), topic, 6)
  all.push(...sentReadings(await producer.done))
  assert.equal(all.length, 6, 'the producer sent 6 readings')
  assert.deepEqual(consumedReadings(await late.done), all, 'the late consumer printed every reading, in order')

  // 2. and 3. after a clean restart, then after kill -9
  for (const [signal, sensor] of [['SIGTERM', 'sensor-2'], ['SIGKILL', 'sensor-3']] as const) {
    await broker.restart(signal)
    all.push(...sentReadings(await (await produce(python, broker.bootstrap(), topic, sensor, 3)).done))
    const fresh = consume(python, broker.bootstrap(), topic, all.length)
    assert.deepEqual(consumedReadings(await fresh.done), all, `after ${signal === 'SIGKILL' ? 'kill -9' : 'a clean restart'}, a fresh consumer printed every reading, old and new, in order`)
  }
}
