// Apache Kafka's kafka-console-producer and kafka-console-consumer as a driver, one JVM per topic
// and direction (each with the codec as `--command-property compression.type=`). The producer
// reads lines `headers<TAB>key<TAB>value` (headers as k:v,k:v; `<NULL>` for a null key), so it
// can only send text values without tabs or newlines: the matrix lists binary values as something
// this client lacks. The consumer runs as the tool does by default: in a fresh consumer group,
// --from-beginning, printing partition, offset, headers, key and value; or with --group, where
// it resumes from the group's committed offsets and commits as it goes (enable.auto.commit, and
// on close).

import type { KafkaJars } from '../peers.ts'
import { runKafkaTool } from '../kafkaTools.ts'
import type { ClientDriver, ConsumeJob, ConsumeOptions, ConsumeOutcome, ProduceJob, ProduceOutcome } from './ClientDriver.ts'
import { PROCESS_GRACE_MS } from './ClientDriver.ts'
import type { ConsumedRecord, TestRecord } from './records.ts'

const NULL_MARKER = '<NULL>'
const FIELD_SEPARATOR = ' ~F~ '
const LINE_SEPARATOR = ' ~L~\n'

function text (b: Buffer, what: string): string {
  const s = b.toString('utf8')
  if (!Buffer.from(s, 'utf8').equals(b) || /[\t\n\r]/.test(s) || s === NULL_MARKER) throw new Error(`${what} cannot be written as a console producer line`)
  return s
}

/** The console producer's input for these records. */
export function consoleProducerInput (records: readonly TestRecord[]): string {
  return records.map((r) => {
    const headers = r.headers.length === 0 ? NULL_MARKER : r.headers.map(([k, v]) => `${k}:${v}`).join(',')
    return `${headers}\t${r.key === null ? NULL_MARKER : text(r.key, 'key')}\t${text(r.value, 'value')}\n`
  }).join('')
}

/** Parses what the console consumer prints with the formatter properties below. */
export function parseConsoleOutput (topic: string, out: string): ConsumedRecord[] {
  const records: ConsumedRecord[] = []
  for (const line of out.split(LINE_SEPARATOR)) {
    if (line === '') continue
    const fields = line.split(FIELD_SEPARATOR)
    const [partition, offset, headers, key, value] = fields
    if (fields.length !== 5 || partition === undefined || offset === undefined || headers === undefined || key === undefined || value === undefined ||
      !partition.startsWith('Partition:') || !offset.startsWith('Offset:')) {
      throw new Error(`unexpected console consumer line: ${line.slice(0, 200)}`)
    }
    records.push({
      topic,
      partition: Number(partition.slice('Partition:'.length)),
      offset: Number(offset.slice('Offset:'.length)),
      headers: headers === 'NO_HEADERS' ? [] : headers.split(',').map((h) => {
        const colon = h.indexOf(':')
        return [h.slice(0, colon), h.slice(colon + 1)] as [string, string]
      }),
      key: key === NULL_MARKER ? null : Buffer.from(key, 'utf8'),
      value: Buffer.from(value, 'utf8'),
    })
  }
  return records
}

export function consoleDriver (kafka: KafkaJars): ClientDriver {
  return {
    async produce (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number): Promise<ProduceOutcome> {
      const outcome: ProduceOutcome = new Map()
      await Promise.all(jobs.map(async (job) => {
        try {
          const result = await runKafkaTool('kafka-console-producer', [
            '--bootstrap-server', bootstrap, '--topic', job.topic,
            '--command-property', `compression.type=${job.codec}`, '--command-property', 'acks=all',
            '--command-property', `delivery.timeout.ms=${timeoutMs}`, '--command-property', `max.block.ms=${timeoutMs}`,
            '--command-property', 'max.request.size=4194304', '--command-property', 'linger.ms=5',
            '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true', '--reader-property', `null.marker=${NULL_MARKER}`,
          ], { input: consoleProducerInput(job.records), kafka, timeoutMs: timeoutMs + PROCESS_GRACE_MS })
          // The tool logs a failed send and goes on; its exit code stays 0, so errors are read from stderr.
          const failed = /ERROR|Exception/.exec(result.stderr)
          if (result.code !== 0 || failed !== null) outcome.set(job.topic, `kafka-console-producer exited with ${result.code}: ${result.stderr.slice(-3000)}`)
          else outcome.set(job.topic, undefined)
        } catch (error) {
          outcome.set(job.topic, (error as Error).message)
        }
      }))
      return outcome
    },
    async consume (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options: ConsumeOptions = {}): Promise<ConsumeOutcome> {
      const outcome: ConsumeOutcome = { records: [], errors: new Map() }
      await Promise.all(jobs.map(async (job) => {
        try {
          const result = await runKafkaTool('kafka-console-consumer', [
            '--bootstrap-server', bootstrap, '--topic', job.topic,
            ...(options.group === undefined ? ['--from-beginning'] : ['--group', options.group, '--command-property', 'auto.offset.reset=earliest']),
            '--max-messages', String(job.count), '--timeout-ms', String(timeoutMs),
            '--command-property', 'max.partition.fetch.bytes=4194304',
            ...['print.partition=true', 'print.offset=true', 'print.headers=true', 'print.key=true',
              `key.separator=${FIELD_SEPARATOR}`, `line.separator=${LINE_SEPARATOR}`, `null.literal=${NULL_MARKER}`]
              .flatMap(p => ['--formatter-property', p]),
          ], { kafka, timeoutMs: timeoutMs + PROCESS_GRACE_MS })
          const records = parseConsoleOutput(job.topic, result.stdout)
          outcome.records.push(...records)
          if (records.length < job.count) {
            outcome.errors.set(job.topic, `kafka-console-consumer printed ${records.length} of ${job.count} records (exit ${result.code}): ${result.stderr.slice(-3000)}`)
          }
        } catch (error) {
          outcome.errors.set(job.topic, (error as Error).message)
        }
      }))
      return outcome
    },
  }
}
