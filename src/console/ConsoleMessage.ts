// A record as the console shows it (JSON to the browser), and the filters the message browser and
// the live tail apply: key text, value text (case-insensitive substrings) and a timestamp range.
//
// Keys, values and header values that are valid UTF-8 travel as text, anything else as base64
// (marked by its encoding). Values longer than MAX_DISPLAY_BYTES are cut for display; `size`
// keeps the real length.

import type { RecordsBatch } from '@platformatic/kafka'

/** The most bytes of one key or value sent to the browser. */
export const MAX_DISPLAY_BYTES = 16 * 1024
/** Batch attribute bit of control batches (transaction markers), which hold no user records. */
const CONTROL_BIT = 0x20

export type Encoding = 'utf8' | 'base64'

export interface ConsoleMessage {
  topic: string
  partition: number
  offset: number
  /** ms since the epoch */
  timestamp: number
  key: string | null
  keyEncoding: Encoding
  value: string | null
  valueEncoding: Encoding
  /** bytes of the value before any cut */
  size: number
  truncated: boolean
  headers: Array<[string, string | null]>
}

export interface MessageFilter {
  /** substring of the key, case-insensitive */
  key?: string
  /** substring of the value, case-insensitive */
  value?: string
  /** earliest timestamp, ms, inclusive */
  from?: number
  /** latest timestamp, ms, inclusive */
  to?: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decode (buf: Buffer | null): { text: string | null, encoding: Encoding, truncated: boolean } {
  if (buf === null) return { text: null, encoding: 'utf8', truncated: false }
  const truncated = buf.length > MAX_DISPLAY_BYTES
  const shown = truncated ? buf.subarray(0, MAX_DISPLAY_BYTES) : buf
  try {
    return { text: utf8.decode(shown), encoding: 'utf8', truncated }
  } catch {
    // A cut may split a character; a value that is text apart from its cut end stays text.
    if (truncated) {
      try { return { text: utf8.decode(shown.subarray(0, trimToCharBoundary(shown))), encoding: 'utf8', truncated } } catch {}
    }
    return { text: shown.toString('base64'), encoding: 'base64', truncated }
  }
}

/** Length of buf without a trailing incomplete UTF-8 sequence. */
function trimToCharBoundary (buf: Buffer): number {
  let end = buf.length
  let back = 0
  while (end > 0 && back < 4 && ((buf[end - 1] as number) & 0xc0) === 0x80) { end--; back++ }
  if (end > 0 && ((buf[end - 1] as number) & 0x80) !== 0) end--
  return end
}

/** The user records of fetched batches at or after fromOffset. */
export function messagesOfBatches (topic: string, partition: number, batches: readonly RecordsBatch[] | null | undefined, fromOffset: bigint): ConsoleMessage[] {
  const out: ConsoleMessage[] = []
  for (const b of batches ?? []) {
    if ((b.attributes & CONTROL_BIT) !== 0) continue
    for (const r of b.records) {
      const offset = b.firstOffset + BigInt(r.offsetDelta)
      if (offset < fromOffset) continue
      const key = decode(r.key)
      const value = decode(r.value)
      out.push({
        topic,
        partition,
        offset: Number(offset),
        timestamp: Number(b.firstTimestamp + r.timestampDelta),
        key: key.text,
        keyEncoding: key.encoding,
        value: value.text,
        valueEncoding: value.encoding,
        size: r.value?.length ?? 0,
        truncated: value.truncated,
        headers: r.headers.map(([k, v]) => [k === null ? '' : k.toString('utf8'), v === null ? null : decode(v).text]),
      })
    }
  }
  return out
}

/** Reads the filter from query parameters key, value, from, to (ms or an ISO date). */
export function parseMessageFilter (q: URLSearchParams): MessageFilter {
  const f: MessageFilter = {}
  const key = q.get('key')
  const value = q.get('value')
  if (key !== null && key !== '') f.key = key.toLowerCase()
  if (value !== null && value !== '') f.value = value.toLowerCase()
  const from = parseTime(q.get('from'))
  const to = parseTime(q.get('to'))
  if (from !== undefined) f.from = from
  if (to !== undefined) f.to = to
  return f
}

function parseTime (s: string | null): number | undefined {
  if (s === null || s === '') return undefined
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
  if (!Number.isFinite(n)) throw new RangeError(`'${s}' is not a time (ms since the epoch or an ISO date)`)
  return n
}

export function matchesFilter (m: ConsoleMessage, f: MessageFilter): boolean {
  if (f.from !== undefined && m.timestamp < f.from) return false
  if (f.to !== undefined && m.timestamp > f.to) return false
  if (f.key !== undefined && (m.key === null || !m.key.toLowerCase().includes(f.key))) return false
  if (f.value !== undefined && (m.value === null || !m.value.toLowerCase().includes(f.value))) return false
  return true
}
