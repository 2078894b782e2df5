// Shared by the LogCleaner tests: keyed batches built with the records codec, a compacted log in a
// temp dir, a cleaner over it with a settable clock, and a reader that decodes every stored record.

import { join } from 'node:path'
import type { Log } from '../../../src/log/Log.ts'
import type { LogConfig } from '../../../src/log/LogConfig.ts'
import { LogCleaner, type CleanerConfig } from '../../../src/log/LogCleaner.ts'
import type { LogInDir } from '../../../src/log/LogCleanerManager.ts'
import { decodeRecordBatches, encodeRecordBatchSync, type RecordBatch } from '../../../src/protocol/records/RecordBatch.ts'
import type { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { closeLater, openLog, type TestContext } from './logTestSupport.ts'

export const T0 = 1_700_000_000_000

export interface KV { key: string | null, value: string | null }

export interface BatchOptions {
  timestamp?: number
  compression?: CompressionType
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
}

/** One batch of keyed records (value null = tombstone), all at `timestamp`. */
export function kvBatch (records: ReadonlyArray<KV | [string, string | null]>, o: BatchOptions = {}): Buffer {
  const ts = BigInt(o.timestamp ?? T0)
  return encodeRecordBatchSync({
    baseTimestamp: ts,
    compression: o.compression,
    producerId: o.producerId === undefined ? undefined : BigInt(o.producerId),
    producerEpoch: o.producerEpoch,
    baseSequence: o.baseSequence,
    isTransactional: o.transactional,
    records: records.map(r => Array.isArray(r) ? { key: r[0], value: r[1], timestamp: ts } : { key: r.key, value: r.value, timestamp: ts }),
  })
}

/** A clock the test moves by hand. */
export class Clock {
  now = T0
  readonly fn = (): number => this.now
}

export interface CompactedLog {
  log: Log
  /** The log dir (the parent of the partition directory). */
  dir: string
  partDir: string
}

/** A cleanup.policy=compact log with small segments (the caller passes tempDir's result). */
export async function openCompactedLog (t: TestContext, dir: string, config: Partial<LogConfig> = {}, clock?: Clock): Promise<CompactedLog> {
  const log = await openLog(dir, { 'cleanup.policy': 'compact', 'segment.bytes': 1024, 'min.cleanable.dirty.ratio': 0.01, ...config }, { now: clock?.fn })
  closeLater(t, log)
  return { log, dir, partDir: join(dir, 'orders-0') }
}

/** A cleaner over `logs` (started without its timer: tests call cleanFilthiestLog). */
export async function cleanerFor (t: TestContext, logs: LogInDir[], clock: Clock, config: Partial<CleanerConfig> = {}): Promise<LogCleaner> {
  const dirs = [...new Set(logs.map(l => l.logDir))]
  const cleaner = new LogCleaner({ config: { 'log.cleaner.io.buffer.size': 2048, ...config }, logDirs: dirs, logs: () => logs, now: clock.fn })
  await cleaner.startup({ schedule: false })
  t.after(() => cleaner.shutdown())
  return cleaner
}

export interface StoredRecord {
  offset: number
  key: string | null
  value: string | null
  timestamp: number
}

/** Every batch from the log start to the HW, decoded (batches before `from` skipped). */
export async function readBatches (log: Log, from = log.logStartOffset): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  let offset = from
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20)
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`read at ${offset}: error ${r.errorCode}`)
    const batches = await decodeRecordBatches(r.records, { allowTruncatedTail: true })
    if (batches.length === 0) throw new Error(`no batch at ${offset}`)
    for (const b of batches) if (Number(b.lastOffset) >= offset) out.push(b)
    offset = Number((batches.at(-1) as RecordBatch).lastOffset) + 1
  }
  return out
}

/** Every record from the log start to the HW, with its offset. */
export async function readRecords (log: Log): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  for (const b of await readBatches(log)) {
    for (const r of b.records) {
      out.push({ offset: Number(r.offset), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: Number(r.timestamp) })
    }
  }
  return out
}

/** The last value (and its offset) of each key, in the order keys last appeared. */
export function latestPerKey (records: readonly StoredRecord[]): Map<string | null, StoredRecord> {
  const m = new Map<string | null, StoredRecord>()
  for (const r of records) {
    m.delete(r.key)
    m.set(r.key, r)
  }
  return m
}

/** Appends `rounds` updates of each of `keys` (one record per batch), value `<key>@<round>`. */
export async function appendUpdates (log: Log, keys: readonly string[], rounds: number, timestamp = T0): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const k of keys) {
      const r = await log.append(kvBatch([[k, `${k}@${round}`]], { timestamp }))
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`append: ${r.errorCode}`)
    }
  }
}
