// The pipeline's aggregation stage: consume readings, keep tumbling windows per sensor
// (TumblingWindows, one per input partition), produce each window's stats when it closes,
// and commit the input offsets only after the output is acknowledged.
//
//   input  {"sensor_id":"sensor-1","seq":7,"timestamp":1712345678.1,"temperature":21.0,"humidity":40.2}
//   output key sensor-1, timestamp = window end,
//          {"sensor_id":"sensor-1","window_start":1712345640,"window_end":1712345700,"count":6,
//           "temperature":{"min":20.8,"max":21.3,"mean":21.05},"humidity":{...}}
//
// window_start and window_end are seconds since the epoch, like the readings' timestamp. Every
// numeric field except seq and timestamp is aggregated (or only --fields). The sensor is the
// reading's sensor_id (else the record key); the event time its timestamp (else the record's).
//
// One round: fetch (PartitionFetcher) -> add each reading to its partition's windows -> produce the
// closed windows (idempotent producer, acks=all) -> once acknowledged, commit per partition the
// offset TumblingWindows says is safe, with its checkpoint as the offset's metadata. A crash
// anywhere loses nothing: the restart resumes at the committed offsets and rebuilds the open
// windows from the input. Windows emitted after the last commit are emitted again with the same
// stats (at-least-once; the output is deterministic, so consumers can dedupe by sensor + window).
// A rebalance is handled the same way: drop all state, rebuild from the committed offsets.

import { setTimeout as delay } from 'node:timers/promises'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { baseOptions, type ClientConfig, consumerOptions, producerOptions } from './clientOptions.ts'
import { GroupMembership, needsRejoin, type OffsetToCommit } from './GroupMembership.ts'
import { fetcherOptionsOf, PartitionFetcher, partitionKey, type PartitionPosition } from './PartitionFetcher.ts'
import { startOffsets, topicPartitions } from './printer.ts'
import { ToolError, ToolErrorCodes } from './ToolError.ts'
import { type ClosedWindow, parseCheckpoint, TumblingWindows } from './TumblingWindows.ts'
import { createTopic } from './topicAdmin.ts'

/** Commit at least this often while input is being read, even when no window closed. */
export const AGGREGATOR_COMMIT_INTERVAL_MS = 1_000
const IDLE_WAIT_MS = 200
/** Reading fields that are not measurements. */
const NOT_MEASURED = new Set(['seq', 'timestamp', 'sensor_id'])

export interface AggregatorOptions extends ClientConfig {
  input: string
  output: string
  windowMs: number
  /** how far behind the newest reading the watermark stays (default 0) */
  latenessMs?: number
  /** consumer group (committed offsets); default samsa-aggregate-<output> */
  group?: string
  /** only these reading fields (default: every numeric one) */
  fields?: readonly string[]
  /** where to start on partitions the group has no offset for (default beginning) */
  from?: 'beginning' | 'end'
  /** stop once every assigned partition has been read to its end */
  exitAtEnd?: boolean
  signal?: AbortSignal
  /**
   * After the broker acknowledged these windows, before the input offsets are committed. A throw
   * here stops the aggregator with nothing committed for the round (tests use it as a crash).
   */
  onOutput?: (windows: readonly ClosedWindow[]) => void | Promise<void>
  /** After each commit (per partition: the committed offset). */
  onCommit?: (offsets: readonly OffsetToCommit[]) => void
}

export interface AggregatorResult {
  emitted: number
  /** readings whose window had closed */
  late: number
  /** records that were not readings (not JSON, no sensor, no numeric field) */
  invalid: number
}

export function defaultAggregateGroup (output: string): string {
  return `samsa-aggregate-${output}`
}

/** A window as the output record's value. */
export function windowValue (w: ClosedWindow): Record<string, unknown> {
  return { sensor_id: w.sensorId, window_start: w.startMs / 1000, window_end: w.endMs / 1000, count: w.count, ...w.fields }
}

interface ParsedReading { sensorId: string, eventTimeMs: number, values: Record<string, number> }

function parseReading (key: Buffer | null, value: Buffer | null, timestamp: bigint, fields: readonly string[] | undefined): ParsedReading | undefined {
  if (value === null) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const r = parsed as Record<string, unknown>
  const sensorId = typeof r.sensor_id === 'string' ? r.sensor_id : key?.toString('utf8')
  if (sensorId === undefined || sensorId === '') return undefined
  const eventTimeMs = typeof r.timestamp === 'number' && Number.isFinite(r.timestamp) ? Math.round(r.timestamp * 1000) : Number(timestamp)
  const values: Record<string, number> = {}
  for (const [name, v] of Object.entries(r)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || NOT_MEASURED.has(name)) continue
    if (fields !== undefined && !fields.includes(name)) continue
    values[name] = v
  }
  if (Object.keys(values).length === 0) return undefined
  return { sensorId, eventTimeMs, values }
}

export async function runAggregator (options: AggregatorOptions): Promise<AggregatorResult> {
  if (options.input === options.output) throw new ToolError(ToolErrorCodes.INVALID, 'input and output must be different topics')
  const group = options.group ?? defaultAggregateGroup(options.output)
  const admin = new Admin(baseOptions(options, 'samsa-aggregate'))
  const consumerConfig = consumerOptions(options, 'samsa-aggregate', group)
  const consumer = new Consumer(consumerConfig)
  const producer = new Producer({ ...producerOptions(options, 'samsa-aggregate'), idempotent: true, acks: -1 })
  let clientError: Error | undefined
  for (const client of [admin, consumer, producer]) client.on('error', (error: Error) => { clientError ??= error })
  const fetcher = new PartitionFetcher(consumer, fetcherOptionsOf(consumerConfig, 'earliest'))
  const membership = new GroupMembership(consumer, [options.input])
  const windows = new Map<string, TumblingWindows>()
  const result: AggregatorResult = { emitted: 0, late: 0, invalid: 0 }
  const stopped = (): boolean => options.signal?.aborted === true
  let reload = true
  let dirty = false
  let lastCommit = Date.now()

  const commit = async (): Promise<void> => {
    const offsets: OffsetToCommit[] = fetcher.positions().map(p => {
      const w = windows.get(partitionKey(p.topic, p.partition)) as TumblingWindows
      return { topic: p.topic, partition: p.partition, offset: w.commitOffset(p.offset), metadata: w.checkpointMetadata() }
    })
    try {
      await membership.commit(offsets)
    } catch (error) {
      if (!needsRejoin(error)) throw error
      // Another generation: what this one held is dropped and rebuilt from the committed offsets.
      await membership.join()
      reload = true
      return
    }
    dirty = false
    lastCommit = Date.now()
    options.onCommit?.(offsets)
  }

  try {
    const partitions = await topicPartitions(consumer, options.input)
    await createTopic(admin, { topic: options.output, partitions, ifNotExists: true })
    await membership.join()
    while (!stopped()) {
      if (clientError !== undefined) throw clientError
      const rebalanced = membership.rebalanced() // called every round: it remembers the generation seen
      if (reload || rebalanced) {
        reload = false
        windows.clear()
        const assigned = membership.assignment()
        const committed = await membership.committed(admin, assigned)
        const fresh = assigned.filter(a => (committed.get(partitionKey(a.topic, a.partition))?.offset ?? -1n) < 0n)
        const fallback = new Map((await startOffsets(consumer, fresh, { kind: options.from ?? 'beginning' })).map(p => [partitionKey(p.topic, p.partition), p]))
        const positions: PartitionPosition[] = []
        for (const a of assigned) {
          const key = partitionKey(a.topic, a.partition)
          const c = committed.get(key)
          const checkpoint = c !== undefined && c.offset >= 0n ? parseCheckpoint(c.metadata) : undefined
          windows.set(key, new TumblingWindows({ sizeMs: options.windowMs, latenessMs: options.latenessMs ?? 0, ...(checkpoint !== undefined ? { checkpoint } : {}) }))
          positions.push(fallback.get(key) ?? { ...a, offset: c?.offset ?? 0n })
        }
        fetcher.assign(positions)
      }
      if (fetcher.positions().length === 0) {
        if (options.exitAtEnd === true) break
        await delay(IDLE_WAIT_MS, undefined, { signal: options.signal }).catch(() => {})
        continue
      }
      const records = await fetcher.fetch()
      const closed: ClosedWindow[] = []
      for (const r of records) {
        const w = windows.get(partitionKey(r.topic, r.partition))
        if (w === undefined) continue
        const reading = parseReading(r.key, r.value, r.timestamp, options.fields)
        if (reading === undefined) { result.invalid++; continue }
        const lateBefore = w.late
        closed.push(...w.add(r.offset, reading.sensorId, reading.eventTimeMs, reading.values))
        result.late += w.late - lateBefore
      }
      if (records.length > 0) dirty = true
      if (closed.length > 0) {
        await producer.send({
          messages: closed.map(w => ({
            topic: options.output,
            key: Buffer.from(w.sensorId),
            value: Buffer.from(JSON.stringify(windowValue(w))),
            timestamp: BigInt(w.endMs),
          })),
        })
        result.emitted += closed.length
        await options.onOutput?.(closed)
        await commit()
      } else if (dirty && Date.now() - lastCommit >= AGGREGATOR_COMMIT_INTERVAL_MS) {
        await commit()
      }
      if (options.exitAtEnd === true && fetcher.caughtUp()) break
    }
    if (dirty && !reload) await commit()
    return result
  } finally {
    await consumer.close(true).catch(() => {})
    await producer.close().catch(() => {})
    await admin.close().catch(() => {})
  }
}
