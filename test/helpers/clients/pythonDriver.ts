// kafka-python and confluent-kafka drivers: kafka_python_driver.py / confluent_kafka_driver.py run
// by the interpreter that has the library (Debian's /usr/bin/python3 or the venv's python), one
// process per produce or consume call, with the job as JSON on stdin and JSON lines out.

import { fileURLToPath } from 'node:url'
import type { ClientDriver, ConsumeJob, ConsumeOptions, ConsumeOutcome, ProduceJob, ProduceOutcome } from './ClientDriver.ts'
import { PROCESS_GRACE_MS } from './ClientDriver.ts'
import { fromWire, toWire, type WireConsumed } from './records.ts'
import { runProcess } from './runProcess.ts'

export const KAFKA_PYTHON_DRIVER = fileURLToPath(new URL('./kafka_python_driver.py', import.meta.url))
export const CONFLUENT_KAFKA_DRIVER = fileURLToPath(new URL('./confluent_kafka_driver.py', import.meta.url))

interface Line { topic?: string, error?: string, produced?: number }

async function run (python: string, script: string, job: object, timeoutMs: number): Promise<Array<Line & Partial<WireConsumed>>> {
  const result = await runProcess(python, [script], { input: JSON.stringify(job), timeoutMs: timeoutMs + PROCESS_GRACE_MS })
  const text = result.stdout.toString('utf8')
  if (result.code !== 0) {
    throw new Error(`${python} ${script} exited with ${result.code ?? result.signal}\n--- stdout\n${text.slice(-2000)}\n--- stderr\n${result.stderr.slice(-4000)}`)
  }
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Line & Partial<WireConsumed>)
}

export function pythonDriver (python: string, script: string): ClientDriver {
  return {
    async produce (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number): Promise<ProduceOutcome> {
      const lines = await run(python, script, {
        op: 'produce', bootstrap, timeoutMs, jobs: jobs.map(j => ({ topic: j.topic, codec: j.codec, records: j.records.map(toWire) })),
      }, timeoutMs * jobs.length)
      const outcome: ProduceOutcome = new Map()
      for (const j of jobs) {
        const line = lines.find(l => l.topic === j.topic)
        if (line === undefined) outcome.set(j.topic, 'the driver reported nothing for this topic')
        else if (line.error !== undefined) outcome.set(j.topic, line.error)
        else if (line.produced !== j.records.length) outcome.set(j.topic, `${line.produced} of ${j.records.length} acknowledged`)
        else outcome.set(j.topic, undefined)
      }
      return outcome
    },
    async consume (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options: ConsumeOptions = {}): Promise<ConsumeOutcome> {
      const lines = await run(python, script, { op: 'consume', bootstrap, timeoutMs, jobs, group: options.group ?? null }, timeoutMs)
      const outcome: ConsumeOutcome = { records: [], errors: new Map() }
      for (const line of lines) {
        if (line.error !== undefined) outcome.errors.set(line.topic ?? '?', line.error)
        else outcome.records.push(fromWire(line as WireConsumed))
      }
      return outcome
    },
  }
}
