// kcat driver (librdkafka 2.0.2 as Debian builds it). Producing: `kcat -P` in line mode with a
// message delimiter and a key delimiter that no test value contains; a message without the key
// delimiter gets a null key. `-H` headers apply to a whole run, so records go out in one run per
// distinct header set (the test records' headers depend on the value kind only). Consuming:
// `kcat -C -o beginning -e` per topic with a format that prints lengths before the key and value
// bytes, so binary values come back exactly. In a group: `kcat -G group topic` (librdkafka's
// KafkaConsumer; offsets stored as consumed and committed when kcat closes the consumer).

import type { ClientDriver, ConsumeJob, ConsumeOptions, ConsumeOutcome, ProduceJob, ProduceOutcome } from './ClientDriver.ts'
import { PROCESS_GRACE_MS } from './ClientDriver.ts'
import type { ConsumedRecord, TestRecord } from './records.ts'
import { runProcess } from './runProcess.ts'

const MESSAGE_DELIMITER = '~~samsa-kcat-message~~'
const KEY_DELIMITER = '~~samsa-kcat-key~~'
/** partition offset keyLength valueLength, then key and value bytes, then the headers as n=v CSV */
const CONSUME_FORMAT = '%p %o %K %S\\n%k%s\\n%h\\n'

/** What `kcat -P` reads for these records: key, key delimiter, value, message delimiter. */
export function kcatInput (records: readonly TestRecord[]): Buffer {
  const parts: Buffer[] = []
  for (const r of records) {
    for (const b of [r.value, r.key ?? Buffer.alloc(0)]) {
      if (b.includes(MESSAGE_DELIMITER) || b.includes(KEY_DELIMITER)) throw new Error('a test record contains a kcat delimiter')
    }
    if (r.key !== null) parts.push(r.key, Buffer.from(KEY_DELIMITER))
    parts.push(r.value, Buffer.from(MESSAGE_DELIMITER))
  }
  return Buffer.concat(parts)
}

function parseHeaders (text: string): Array<[string, string]> {
  if (text === '') return []
  return text.split(',').map((h) => {
    const eq = h.indexOf('=')
    return [h.slice(0, eq), h.slice(eq + 1)] as [string, string]
  })
}

/** Parses CONSUME_FORMAT output. */
export function parseKcatOutput (topic: string, out: Buffer): ConsumedRecord[] {
  const records: ConsumedRecord[] = []
  let at = 0
  const line = (): string => {
    const nl = out.indexOf(0x0a, at)
    if (nl < 0) throw new Error(`kcat output ends inside a record at byte ${at}`)
    const s = out.subarray(at, nl).toString('utf8')
    at = nl + 1
    return s
  }
  while (at < out.length) {
    const head = line().split(' ').map(Number)
    const [partition, offset, keyLength, valueLength] = head
    if (head.length !== 4 || head.some(n => !Number.isInteger(n)) || partition === undefined || offset === undefined ||
      keyLength === undefined || valueLength === undefined) throw new Error(`bad kcat record header at byte ${at}`)
    const key = keyLength < 0 ? null : Buffer.from(out.subarray(at, at + keyLength))
    at += Math.max(0, keyLength)
    const value = Buffer.from(out.subarray(at, at + Math.max(0, valueLength)))
    at += Math.max(0, valueLength)
    if (out[at] !== 0x0a) throw new Error(`kcat record at byte ${at} does not end where its lengths say`)
    at++
    records.push({ topic, partition, offset, key, value, headers: parseHeaders(line()) })
  }
  return records
}

function codecArgs (codec: string): string[] {
  // -z takes snappy|gzip|lz4; zstd is a librdkafka property
  return codec === 'none' ? [] : ['-X', `compression.codec=${codec}`]
}

export function kcatDriver (kcat: string): ClientDriver {
  const common = (bootstrap: string): string[] => ['-b', bootstrap, '-q', '-m', '30', '-X', 'message.max.bytes=4194304']
  return {
    async produce (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number): Promise<ProduceOutcome> {
      const outcome: ProduceOutcome = new Map()
      await Promise.all(jobs.map(async (job) => {
        // one run per header set, in the order the records come
        const runs: TestRecord[][] = []
        for (const r of job.records) {
          const last = runs.at(-1)
          if (last !== undefined && JSON.stringify(last[0]?.headers) === JSON.stringify(r.headers)) last.push(r)
          else runs.push([r])
        }
        for (const records of runs) {
          const headers = (records[0]?.headers ?? []).flatMap(([k, v]) => ['-H', `${k}=${v}`])
          const result = await runProcess(kcat, [
            '-P', ...common(bootstrap), '-t', job.topic, '-D', MESSAGE_DELIMITER, '-K', KEY_DELIMITER, ...headers,
            ...codecArgs(job.codec), '-X', `message.timeout.ms=${timeoutMs}`, '-X', 'linger.ms=5',
          ], { input: kcatInput(records), timeoutMs: timeoutMs + PROCESS_GRACE_MS })
          if (result.code !== 0) {
            outcome.set(job.topic, `kcat -P exited with ${result.code ?? result.signal}: ${result.stderr.slice(-2000)}`)
            return
          }
        }
        outcome.set(job.topic, undefined)
      }))
      return outcome
    },
    async consume (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options: ConsumeOptions = {}): Promise<ConsumeOutcome> {
      const outcome: ConsumeOutcome = { records: [], errors: new Map() }
      await Promise.all(jobs.map(async (job) => {
        const mode = options.group === undefined
          ? ['-C', '-t', job.topic, '-o', 'beginning', '-e']
          // no -e: in a group, EOF may be seen before the assignment's first fetch
          : ['-G', options.group, '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=10000']
        let result
        try {
          result = await runProcess(kcat, [
            ...mode, ...common(bootstrap), '-c', String(job.count), '-f', CONSUME_FORMAT,
            '-X', 'fetch.message.max.bytes=4194304', ...(options.group === undefined ? [] : [job.topic]),
          ], { timeoutMs: options.group === undefined ? timeoutMs + PROCESS_GRACE_MS : timeoutMs })
        } catch (error) {
          outcome.errors.set(job.topic, (error as Error).message)
          return
        }
        try {
          const records = parseKcatOutput(job.topic, result.stdout)
          outcome.records.push(...records)
          if (result.code !== 0) outcome.errors.set(job.topic, `kcat -C exited with ${result.code ?? result.signal}: ${result.stderr.slice(-2000)}`)
          else if (records.length < job.count) outcome.errors.set(job.topic, `kcat -C reached the end after ${records.length} of ${job.count} records`)
        } catch (error) {
          outcome.errors.set(job.topic, `${(error as Error).message}; stderr: ${result.stderr.slice(-2000)}`)
        }
      }))
      return outcome
    },
  }
}
