// @platformatic/kafka driver, in the test's own process. Producing with autocreateTopics (off by
// default in this client); consuming in a fresh consumer group from the earliest offset, no
// commits; or in the given group from its committed offsets, committing what was consumed.

import { randomUUID } from 'node:crypto'
import type * as Platformatic from '@platformatic/kafka'
import type { ClientDriver, ConsumeJob, ConsumeOptions, ConsumeOutcome, ProduceJob, ProduceOutcome } from './ClientDriver.ts'

function withDeadline<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

function describe (error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const nested = (error as Error & { errors?: unknown[] }).errors
  const cause = error.cause !== undefined ? `; cause: ${describe(error.cause)}` : ''
  return `${error.message}${Array.isArray(nested) && nested.length > 0 ? ` [${nested.map(describe).join('; ')}]` : ''}${cause}`
}

export async function platformaticDriver (moduleUrl: string): Promise<ClientDriver> {
  const plt = await import(moduleUrl) as typeof Platformatic
  return {
    async produce (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number): Promise<ProduceOutcome> {
      const outcome: ProduceOutcome = new Map()
      await Promise.all(jobs.map(async (job) => {
        const producer = new plt.Producer({
          clientId: 'samsa-interop-platformatic', bootstrapBrokers: [bootstrap], autocreateTopics: true,
          compression: job.codec, acks: plt.ProduceAcks.ALL, timeout: timeoutMs, retries: 8,
        })
        try {
          await withDeadline(producer.send({
            messages: job.records.map(r => ({
              topic: job.topic, key: r.key ?? undefined, value: r.value, headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
            })),
          }), timeoutMs, `send to ${job.topic}`)
          outcome.set(job.topic, undefined)
        } catch (error) {
          outcome.set(job.topic, describe(error))
        } finally {
          await producer.close()
        }
      }))
      return outcome
    },
    async consume (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options: ConsumeOptions = {}): Promise<ConsumeOutcome> {
      const outcome: ConsumeOutcome = { records: [], errors: new Map() }
      const wanted = new Map(jobs.map(j => [j.topic, j.count]))
      const got = new Map(jobs.map(j => [j.topic, 0]))
      const consumer = new plt.Consumer({
        clientId: 'samsa-interop-platformatic', bootstrapBrokers: [bootstrap], groupId: options.group ?? `samsa-interop-${randomUUID()}`, maxWaitTime: 500,
      })
      try {
        await withDeadline((async () => {
          const stream = await consumer.consume({
            topics: jobs.map(j => j.topic),
            mode: options.group === undefined ? plt.MessagesStreamModes.EARLIEST : plt.MessagesStreamModes.COMMITTED,
            fallbackMode: plt.MessagesStreamFallbackModes.EARLIEST,
            autocommit: false,
          })
          const last = new Map<string, { commit: () => void | Promise<void> }>()
          try {
            for await (const message of stream) {
              last.set(`${message.topic}/${message.partition}`, message)
              outcome.records.push({
                topic: message.topic,
                partition: message.partition,
                offset: Number(message.offset),
                key: message.key ?? null,
                value: message.value ?? Buffer.alloc(0),
                headers: [...message.headers].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]),
              })
              got.set(message.topic, (got.get(message.topic) ?? 0) + 1)
              if ([...wanted].every(([t, n]) => (got.get(t) ?? 0) >= n)) break
            }
            if (options.group !== undefined) for (const message of last.values()) await message.commit() // commits offset + 1
          } finally {
            await stream.close()
          }
        })(), timeoutMs, 'consume')
      } catch (error) {
        for (const [topic, n] of wanted) {
          if ((got.get(topic) ?? 0) < n) outcome.errors.set(topic, `consumed ${got.get(topic)} of ${n}: ${describe(error)}`)
        }
      } finally {
        await consumer.close(true)
      }
      return outcome
    },
  }
}
