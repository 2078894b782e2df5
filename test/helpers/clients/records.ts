// The records an interop scenario sends, the form in which drivers exchange them (JSON lines with
// base64 bytes), and the comparison of what a client consumed with what was produced.
//
// A scenario produces N JSON records (UTF-8 text, including non-ASCII) and N binary records
// (random bytes, every byte value, invalid UTF-8, one large compressible value that spans several
// snappy/lz4 blocks), keyed by a few repeating keys with some null keys, each with headers. Every
// value is unique (it carries its index), so a consumed record is matched to the produced one by
// value, and per-partition order is checked against the order of production.

import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export const CODECS: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export type ValueKind = 'json' | 'binary'

export interface TestRecord {
  kind: ValueKind
  key: Buffer | null
  value: Buffer
  /** header values are text: kcat and the console tools print headers as text */
  headers: Array<[string, string]>
}

export interface ConsumedRecord {
  topic: string
  partition: number
  offset: number
  key: Buffer | null
  value: Buffer
  /** undefined when the driver cannot read headers */
  headers?: Array<[string, string]>
}

/** The records as a driver process receives them (stdin JSON). */
export interface WireRecord { key: string | null, value: string, headers: Array<[string, string]> }
/** A consumed record as a driver process prints it (one JSON line). */
export interface WireConsumed {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: string
  headers?: Array<[string, string]>
}

export function toWire (r: TestRecord): WireRecord {
  return { key: r.key === null ? null : r.key.toString('base64'), value: r.value.toString('base64'), headers: r.headers }
}

export function fromWire (w: WireConsumed): ConsumedRecord {
  return {
    topic: w.topic,
    partition: w.partition,
    offset: w.offset,
    key: w.key === null ? null : Buffer.from(w.key, 'base64'),
    value: Buffer.from(w.value, 'base64'),
    ...(w.headers !== undefined ? { headers: w.headers } : {}),
  }
}

/** Deterministic bytes from a seed (sha256 in counter mode): the same records on every run. */
function pseudoRandomBytes (seed: string, length: number): Buffer {
  const blocks: Buffer[] = []
  for (let i = 0; blocks.length * 32 < length; i++) blocks.push(createHash('sha256').update(`${seed}/${i}`).digest())
  return Buffer.concat(blocks).subarray(0, length)
}

/** Keys cycle over a few values so several records share a partition; every fourth key is null. */
function keyFor (i: number, kind: ValueKind): Buffer | null {
  if (i % 4 === 3) return null
  return Buffer.from(`${kind}-key-${i % 3}`)
}

export interface RecordOptions {
  /** records of each kind */
  count: number
  kinds: readonly ValueKind[]
  /** a distinguishing tag put into every value (the client and codec), so topics never mix up */
  tag: string
}

export function makeRecords ({ count, kinds, tag }: RecordOptions): TestRecord[] {
  const records: TestRecord[] = []
  for (const kind of kinds) {
    for (let i = 0; i < count; i++) {
      // Per kind, not per record: kcat sets headers for a whole run.
      const headers: Array<[string, string]> = [['content-type', kind === 'json' ? 'application/json' : 'application/octet-stream'], ['scenario', tag]]
      let value: Buffer
      if (kind === 'json') {
        // One larger value: repetitive text compresses, and spans more than one 32 KiB block.
        const note = i === 1 ? 'lorem ipsum dolor sit amet '.repeat(4000) : 'température 21.5 °C, 湿度 40 %'
        value = Buffer.from(JSON.stringify({ tag, kind, seq: i, reading: { celsius: 20 + i / 10, note } }), 'utf8')
      } else {
        const index = Buffer.alloc(4)
        index.writeUInt32BE(i)
        // Every byte value 0-255 once (so NUL, CR, LF and invalid UTF-8), then seeded noise; one
        // large value of repeating noise (compressible, several blocks).
        const body = i === 1
          ? Buffer.concat(Array.from({ length: 600 }, () => pseudoRandomBytes(`${tag}/${i}`, 160)))
          : Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, b) => (b + i) & 0xff)), pseudoRandomBytes(`${tag}/${i}`, 64 + i)])
        value = Buffer.concat([Buffer.from(tag + '\u0000'), index, body])
      }
      records.push({ kind, key: keyFor(i, kind), value, headers })
    }
  }
  return records
}

function show (b: Buffer | null): string {
  if (b === null) return 'null'
  const text = b.toString('utf8')
  const printable = /^[\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes('\ufffd')
  const s = printable ? JSON.stringify(text) : `0x${b.toString('hex')}`
  return s.length > 80 ? `${s.slice(0, 77)}... (${b.length} bytes)` : s
}

export interface CompareOptions {
  /** false for a consumer that cannot read headers */
  headers: boolean
}

/**
 * Checks that `consumed` holds exactly the produced records, each once, with the same key, value
 * and headers; that offsets increase within each partition and records of one partition come in
 * the order they were produced; and that records with one key all went to one partition.
 */
export function assertSameRecords (produced: readonly TestRecord[], consumed: readonly ConsumedRecord[], { headers }: CompareOptions): void {
  const byValue = new Map<string, number>()
  produced.forEach((r, i) => byValue.set(r.value.toString('base64'), i))
  const seen = new Set<number>()
  const problems: string[] = []
  const lastIndex = new Map<number, { offset: number, index: number }>()
  const keyPartition = new Map<string, number>()
  for (const c of consumed) {
    const index = byValue.get(c.value.toString('base64'))
    if (index === undefined) {
      problems.push(`unexpected record at ${c.topic}-${c.partition}@${c.offset}: value ${show(c.value)}`)
      continue
    }
    const p = produced[index]
    assert.ok(p !== undefined)
    if (seen.has(index)) problems.push(`record ${index} (${p.kind}) consumed twice, again at ${c.partition}@${c.offset}`)
    seen.add(index)
    if (!(c.key === null ? p.key === null : p.key !== null && c.key.equals(p.key))) {
      problems.push(`record ${index} (${p.kind}) key: consumed ${show(c.key)}, produced ${show(p.key)}`)
    }
    if (headers) {
      const got = JSON.stringify(c.headers ?? [])
      const want = JSON.stringify(p.headers)
      if (got !== want) problems.push(`record ${index} (${p.kind}) headers: consumed ${got}, produced ${want}`)
    }
    const last = lastIndex.get(c.partition)
    if (last !== undefined) {
      if (c.offset <= last.offset) problems.push(`partition ${c.partition}: offset ${c.offset} after ${last.offset}`)
      if (index < last.index) problems.push(`partition ${c.partition}: record ${index} consumed after record ${last.index}, produced in the other order`)
    }
    lastIndex.set(c.partition, { offset: c.offset, index })
    if (p.key !== null) {
      const k = p.key.toString('base64')
      const where = keyPartition.get(k)
      if (where !== undefined && where !== c.partition) problems.push(`key ${show(p.key)} found in partitions ${where} and ${c.partition}`)
      keyPartition.set(k, c.partition)
    }
  }
  const missing = produced.map((_, i) => i).filter(i => !seen.has(i))
  if (missing.length > 0) {
    problems.push(`${missing.length} of ${produced.length} records never consumed: ${missing.slice(0, 10).map(i => `${i} (${produced[i]?.kind})`).join(', ')}${missing.length > 10 ? ', ...' : ''}`)
  }
  if (problems.length > 0) assert.fail(`${consumed.length} consumed, ${produced.length} produced:\n  ${problems.slice(0, 20).join('\n  ')}`)
}
