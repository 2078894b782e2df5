// Produces one record per input line, as Kafka's console producer does: the line is the value
// (UTF-8, without its line ending; an empty line is an empty value), with an optional fixed key,
// or a key split off each line at the first key separator. Records go out in batches, and a batch
// is sent only after the previous one was acknowledged, so at most one batch (MAX_BATCH_RECORDS
// records or MAX_BATCH_BYTES bytes, whichever comes first) is held in memory and records keep the
// order of the lines. When input pauses (a person typing, a slow pipe), what was read is sent
// after LINGER_MS.

import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { Producer } from '@platformatic/kafka'
import { type ClientConfig, producerOptions } from './clientOptions.ts'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

/** Records per produce request: large enough for throughput, small enough for prompt progress. */
export const MAX_BATCH_RECORDS = 1000
/** Bytes of keys and values per produce request; below Kafka's default max.request.size (1 MiB). */
export const MAX_BATCH_BYTES = 512 * 1024
/** How long a partial batch waits for more input before it is sent (Kafka's linger.ms, for slow input). */
export const LINGER_MS = 50

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface LineProducerOptions extends ClientConfig {
  topic: string
  input: Readable
  /** the same key on every record */
  key?: string
  /** split each line into key and value at the first occurrence of this */
  keySeparator?: string
  headers?: ReadonlyArray<readonly [string, string]>
  partition?: number
  compression?: Compression
  /** -1 (all), 1 or 0 */
  acks?: number
  signal?: AbortSignal
  /** after each acknowledged batch: totals so far (bytes of input consumed, lines included) */
  onProgress?: (progress: { records: number, bytes: number }) => void
}

export interface LineProducerResult { records: number, bytes: number }

interface Pending { key?: Buffer, value: Buffer }

export async function produceLines (options: LineProducerOptions): Promise<LineProducerResult> {
  if (options.key !== undefined && options.keySeparator !== undefined) throw new ToolError(ToolErrorCodes.INVALID, 'give either a key or a key separator, not both')
  if (options.keySeparator === '') throw new ToolError(ToolErrorCodes.INVALID, 'the key separator cannot be empty')
  const base = producerOptions(options, 'samsa-produce')
  const producer = new Producer({ ...base, autocreateTopics: true, ...(options.compression !== undefined ? { compression: options.compression } : {}), ...(options.acks !== undefined ? { acks: options.acks } : {}) })
  let clientError: Error | undefined
  producer.on('error', (error: Error) => { clientError ??= error })
  const headers = options.headers !== undefined && options.headers.length > 0
    ? new Map(options.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
    : undefined
  const fixedKey = options.key !== undefined ? Buffer.from(options.key) : undefined
  let records = 0
  let bytes = 0
  let batch: Pending[] = []
  let batchBytes = 0
  let inputBytes = 0

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    if (clientError !== undefined) throw clientError
    const messages = batch.map(p => ({
      topic: options.topic,
      ...(p.key !== undefined ? { key: p.key } : {}),
      value: p.value,
      ...(headers !== undefined ? { headers } : {}),
      ...(options.partition !== undefined ? { partition: options.partition } : {}),
    }))
    await producer.send({ messages })
    records += batch.length
    bytes = inputBytes
    batch = []
    batchBytes = 0
    options.onProgress?.({ records, bytes })
  }

  try {
    // Metadata first: an unknown topic (on a broker that does not create topics) or partition is
    // reported before any line is read.
    let partitions: number
    try {
      const metadata = await producer.metadata({ topics: [options.topic], autocreateTopics: true })
      const t = metadata.topics.get(options.topic)
      if (t === undefined) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${options.topic}'`)
      partitions = t.partitionsCount
    } catch (error) {
      if (!(error instanceof ToolError) && /unknown topic/i.test(String((error as Error).message))) {
        throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${options.topic}' (and the broker does not create topics on use)`, { cause: error })
      }
      throw error
    }
    if (options.partition !== undefined && (options.partition < 0 || options.partition >= partitions)) {
      throw new ToolError(ToolErrorCodes.INVALID, `topic '${options.topic}' has no partition ${options.partition} (it has ${partitions})`)
    }

    const lines = createInterface({ input: options.input, crlfDelay: Infinity })
    const iterator = lines[Symbol.asyncIterator]()
    let lineNumber = 0
    let next = iterator.next()
    try {
      for (;;) {
        // A partial batch waits at most LINGER_MS for more lines (a person typing, `tail -f`).
        let timer: NodeJS.Timeout | undefined
        const lingered = batch.length === 0
          ? undefined
          : new Promise<'linger'>(resolve => { timer = setTimeout(() => resolve('linger'), LINGER_MS) })
        const step = await (lingered === undefined ? next : Promise.race([next, lingered]))
        clearTimeout(timer)
        if (step === 'linger') { await flush(); continue }
        if (step.done === true) break
        next = iterator.next()
        if (options.signal?.aborted === true) break
        const line = step.value
        lineNumber++
        inputBytes += Buffer.byteLength(line) + 1
        let pending: Pending
        if (options.keySeparator !== undefined) {
          const at = line.indexOf(options.keySeparator)
          if (at < 0) throw new ToolError(ToolErrorCodes.INVALID, `line ${lineNumber} has no key separator '${options.keySeparator}'`)
          pending = { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + options.keySeparator.length)) }
        } else {
          pending = { ...(fixedKey !== undefined ? { key: fixedKey } : {}), value: Buffer.from(line) }
        }
        batch.push(pending)
        batchBytes += pending.value.length + (pending.key?.length ?? 0)
        if (batch.length >= MAX_BATCH_RECORDS || batchBytes >= MAX_BATCH_BYTES) await flush()
      }
    } finally {
      lines.close()
    }
    await flush()
    return { records, bytes }
  } finally {
    await producer.close().catch(() => {})
  }
}
