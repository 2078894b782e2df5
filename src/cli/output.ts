// How the CLI writes: colours only on a terminal and never with NO_COLOR, Kafka-style aligned
// tables, JSON with bigints as numbers, records as readable JSON on a terminal and one JSON line
// each when piped, and stdout writes that respect backpressure and end quietly on a closed pipe
// (`samsa consume ... | head`).

import type { FetchedRecord } from '../tools/PartitionFetcher.ts'

export interface Style {
  enabled: boolean
  bold: (s: string) => string
  dim: (s: string) => string
  red: (s: string) => string
  green: (s: string) => string
  yellow: (s: string) => string
  cyan: (s: string) => string
  magenta: (s: string) => string
}

const sgr = (open: number, close: number) => (s: string): string => `\u001b[${open}m${s}\u001b[${close}m`
const plain = (s: string): string => s

/** Colour for a stream: only when it is a terminal and NO_COLOR is unset or empty (no-color.org). */
export function styleFor (stream: { isTTY?: boolean }): Style {
  const enabled = stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb'
  if (!enabled) return { enabled, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain, magenta: plain }
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), magenta: sgr(35, 39) }
}

/** JSON with bigints written as numbers (strings beyond 2^53, which offsets never reach). */
export function toJson (value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString()
    return v
  }, indent)
}

/** Columns padded to their widest cell, as Kafka's tools print them; null/undefined cells as '-'. */
export function renderTable (headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | bigint | null | undefined>>, style?: Style): string {
  const cells = rows.map(r => r.map(c => (c === null || c === undefined ? '-' : String(c))))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map(r => (r[i] ?? '').length)))
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()
  const head = line(headers)
  return [style !== undefined ? style.bold(head) : head, ...cells.map(line)].join('\n') + '\n'
}

let stdoutClosed = false
const closedWaiters = new Set<() => void>()
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  stdoutClosed = true
  for (const w of closedWaiters) w()
  closedWaiters.clear()
})

/** True once stdout's reader went away (EPIPE): streaming commands stop then, exit 0. */
export function isStdoutClosed (): boolean {
  return stdoutClosed
}

/** Writes to stdout and waits for 'drain' when its buffer is full (a slow reader slows us down). */
export async function writeOut (text: string): Promise<void> {
  if (stdoutClosed) return
  if (process.stdout.write(text)) return
  await new Promise<void>(resolve => {
    const done = (): void => { process.stdout.off('drain', done); closedWaiters.delete(done); resolve() }
    process.stdout.once('drain', done)
    closedWaiters.add(done)
  })
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A key or value for JSON: parsed JSON when it is JSON, else its text, else base64 (marked). */
export function decodePayload (bytes: Buffer | null): { value: unknown, base64: boolean } {
  if (bytes === null) return { value: null, base64: false }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { value: bytes.toString('base64'), base64: true }
  }
  const trimmed = text.trim()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { value: JSON.parse(text), base64: false }
    } catch {}
  }
  return { value: text, base64: false }
}

export type RecordFormat = 'json' | 'pretty' | 'value'
export const RECORD_FORMATS: readonly RecordFormat[] = ['json', 'pretty', 'value']

/**
 * A record as one JSON object: topic, partition, offset, timestamp (ms), key, value, headers.
 * A key or value that is a JSON object or array is embedded as JSON, other text as a string,
 * bytes that are not UTF-8 as base64 with keyEncoding/valueEncoding: "base64".
 */
export function recordObject (r: FetchedRecord): Record<string, unknown> {
  const key = decodePayload(r.key)
  const value = decodePayload(r.value)
  const headers: Record<string, string | null> = {}
  for (const [k, v] of r.headers) headers[k.toString('utf8')] = v === null ? null : v.toString('utf8')
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: key.value,
    ...(key.base64 ? { keyEncoding: 'base64' } : {}),
    value: value.value,
    ...(value.base64 ? { valueEncoding: 'base64' } : {}),
    ...(r.headers.length > 0 ? { headers } : {}),
  }
}

function colourJson (json: string, style: Style): string {
  if (!style.enabled) return json
  return json.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b|\b(true|false|null)\b/g,
    (_m, str: string | undefined, colon: string | undefined, num: string | undefined, lit: string | undefined) => {
      if (str !== undefined) return colon !== undefined ? style.cyan(str) + colon : style.green(str)
      if (num !== undefined) return style.yellow(num)
      return style.magenta(lit ?? '')
    })
}

/** A record in a format, with its trailing newline. */
export function formatRecord (r: FetchedRecord, format: RecordFormat, style: Style): string {
  if (format === 'value') return (r.value === null ? '' : r.value.toString('utf8')) + '\n'
  const obj = recordObject(r)
  if (format === 'json') return toJson(obj) + '\n'
  const ts = Number(r.timestamp)
  const when = Number.isFinite(ts) && ts >= 0 ? new Date(ts).toISOString() : String(r.timestamp)
  const keyText = obj.key === null ? '' : `  key ${typeof obj.key === 'string' ? obj.key : toJson(obj.key)}`
  const head = style.dim(`${r.topic}/${r.partition} @${r.offset}  ${when}`) + (keyText === '' ? '' : style.bold(keyText))
  const headers = obj.headers !== undefined ? '\n' + style.dim(`headers ${toJson(obj.headers)}`) : ''
  const body = typeof obj.value === 'string' ? obj.value : colourJson(toJson(obj.value, 2), style)
  return `${head}${headers}\n${body}\n`
}
