// The exercise's consumer in a group (examples/consumer.py --group G), as a user runs it:
// 1. examples/producer.py sends 6 readings;
// 2. consumer.py --group G --max-messages 3 prints readings 1-3 and exits (closing commits);
// 3. started again, it prints readings 4-6: it resumed after its own restart, nothing re-read;
// 4. the broker is killed with -9 and started again on the same data; the producer sends 3 more;
// 5. consumer.py --group G --max-messages 3 prints exactly readings 7-9: the committed position
//    survived the crash, nothing re-read.
// Readings are compared exactly (the JSON the producer printed as sent).

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url))
/** How long one example run may take (interpreter start, group join, the readings). */
export const EXAMPLE_TIMEOUT_MS = 90_000
const KEPT_STDERR_BYTES = 16 * 1024

export interface GroupExerciseBroker {
  bootstrap: () => string
  /** kills the broker with -9 and starts it again on the same data */
  kill9AndRestart: () => Promise<void>
}

/** Runs an example to completion; resolves with its stdout lines when it exits with 0. */
function runExample (python: string, script: 'producer.py' | 'consumer.py', args: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [EXAMPLES + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-KEPT_STDERR_BYTES) })
    const timer = setTimeout(() => child.kill('SIGKILL'), EXAMPLE_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const lines = stdout.split('\n').filter(l => l !== '')
      if (code === 0) resolve(lines)
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${EXAMPLE_TIMEOUT_MS} ms)` : ''}; printed ${lines.length} lines\n--- stderr\n${stderr}`))
    })
  })
}

const sent = (lines: readonly string[]): unknown[] => lines.filter(l => l.startsWith('sent ')).map(l => JSON.parse(l.slice('sent '.length)) as unknown)
const read = (lines: readonly string[]): unknown[] => lines.map(l => (JSON.parse(l) as { value: unknown }).value)

export async function runGroupExercise (python: string, broker: GroupExerciseBroker, topic: string, group: string): Promise<void> {
  const produce = async (sensor: string, count: number): Promise<unknown[]> =>
    sent(await runExample(python, 'producer.py', ['--bootstrap-server', broker.bootstrap(), '--topic', topic, '--interval', '0.05', '--count', String(count), '--sensor-id', sensor]))
  const consume = async (count: number): Promise<unknown[]> =>
    read(await runExample(python, 'consumer.py', ['--bootstrap-server', broker.bootstrap(), '--topic', topic, '--group', group, '--max-messages', String(count), '--timeout-ms', String(EXAMPLE_TIMEOUT_MS)]))

  const first = await produce('sensor-1', 6)
  assert.equal(first.length, 6, 'the producer sent 6 readings')
  assert.deepEqual(await consume(3), first.slice(0, 3), 'the first consumer run printed readings 1-3')
  assert.deepEqual(await consume(3), first.slice(3, 6), 'run again, the consumer resumed at reading 4: nothing re-read')
  await broker.kill9AndRestart()
  const more = await produce('sensor-2', 3)
  assert.equal(more.length, 3, 'the producer sent 3 more readings')
  assert.deepEqual(await consume(3), more, 'after the broker was killed with -9, the consumer resumed at reading 7: nothing re-read')
}
