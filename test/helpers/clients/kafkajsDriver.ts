// kafkajs 2.2.4 driver, in the test's own process. kafkajs builds in gzip only (snappy, lz4 and
// zstd need codecs registered by the application), so the matrix lists only none and gzip.
// Consuming needs a consumer group in kafkajs: a fresh group per call, from the beginning, no
// commits; or the given group, committing the consumed positions before disconnecting.

import { randomUUID } from 'node:crypto'
import type * as KafkaJs from 'kafkajs'
import type { ClientDriver, ConsumeJob, ConsumeOptions, ConsumeOutcome, ProduceJob, ProduceOutcome } from './ClientDriver.ts'
import type { ConsumedRecord } from './records.ts'

/** kafkajs log lines kept for an error message. */
const KEPT_LOG_LINES = 20

function collectingLog (lines: string[]): KafkaJs.logCreator {
  return () => ({ namespace, log }) => {
    lines.push(`${namespace}: ${log.message}${log.error !== undefined ? ` (${String(log.error)})` : ''}`)
    if (lines.length > KEPT_LOG_LINES) lines.shift()
  }
}

function withDeadline<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

export async function kafkajsDriver (moduleUrl: string): Promise<ClientDriver> {
  const kafkajs = await import(moduleUrl) as typeof KafkaJs
  const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs
  const codecs: Record<string, KafkaJs.CompressionTypes> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }
  const client = (bootstrap: string, log: string[]): KafkaJs.Kafka => new Kafka({
    clientId: 'samsa-interop-kafkajs', brokers: [bootstrap], logLevel: logLevel.WARN, logCreator: collectingLog(log),
    retry: { retries: 8 },
  })
  return {
    async produce (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number): Promise<ProduceOutcome> {
      const outcome: ProduceOutcome = new Map()
      const log: string[] = []
      const producer = client(bootstrap, log).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
      try {
        await withDeadline(producer.connect(), timeoutMs, 'connect')
        await Promise.all(jobs.map(async (job) => {
          try {
            const compression = codecs[job.codec]
            if (compression === undefined) throw new Error(`kafkajs has no built-in ${job.codec} codec`)
            await withDeadline(producer.send({
              topic: job.topic, acks: -1, compression, timeout: timeoutMs,
              messages: job.records.map(r => ({ key: r.key, value: r.value, headers: Object.fromEntries(r.headers) })),
            }), timeoutMs, `send to ${job.topic}`)
            outcome.set(job.topic, undefined)
          } catch (error) {
            outcome.set(job.topic, `${(error as Error).message}; log: ${log.join(' | ')}`)
          }
        }))
      } catch (error) {
        for (const job of jobs) if (!outcome.has(job.topic)) outcome.set(job.topic, `${(error as Error).message}; log: ${log.join(' | ')}`)
      } finally {
        await producer.disconnect()
      }
      return outcome
    },
    async consume (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options: ConsumeOptions = {}): Promise<ConsumeOutcome> {
      const outcome: ConsumeOutcome = { records: [], errors: new Map() }
      const log: string[] = []
      const wanted = new Map(jobs.map(j => [j.topic, j.count]))
      const got = new Map(jobs.map(j => [j.topic, 0]))
      const consumer = client(bootstrap, log).consumer({ groupId: options.group ?? `samsa-interop-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 })
      let done: () => void = () => {}
      const allConsumed = new Promise<void>((resolve) => { done = resolve })
      try {
        await withDeadline((async () => {
          await consumer.connect()
          await consumer.subscribe({ topics: jobs.map(j => j.topic), fromBeginning: true })
          await consumer.run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              const record: ConsumedRecord = {
                topic,
                partition,
                offset: Number(message.offset),
                key: message.key,
                value: message.value ?? Buffer.alloc(0),
                headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)]),
              }
              outcome.records.push(record)
              got.set(topic, (got.get(topic) ?? 0) + 1)
              if ([...wanted].every(([t, n]) => (got.get(t) ?? 0) >= n)) done()
            },
          })
          await allConsumed
          if (options.group !== undefined) {
            const next = new Map<string, { topic: string, partition: number, offset: string }>()
            for (const r of outcome.records) next.set(`${r.topic}/${r.partition}`, { topic: r.topic, partition: r.partition, offset: String(r.offset + 1) })
            await consumer.commitOffsets([...next.values()])
          }
        })(), timeoutMs, 'consume')
      } catch (error) {
        for (const [topic, n] of wanted) {
          if ((got.get(topic) ?? 0) < n) outcome.errors.set(topic, `consumed ${got.get(topic)} of ${n}: ${(error as Error).message}; log: ${log.join(' | ')}`)
        }
      } finally {
        await consumer.disconnect()
      }
      return outcome
    },
  }
}
