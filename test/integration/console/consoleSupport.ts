// Helpers for the console tests: JSON calls to its API and a reader of its server-sent-event
// streams that waits (under a deadline) for an event matching a predicate.

import { request } from 'node:http'

export interface ApiResponse<T = unknown> { status: number, body: T }

export async function api<T = unknown> (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: res.status, body: parsed as T }
}

export interface SseEvent { event: string, data: unknown }

export interface EventReader {
  events: SseEvent[]
  /** Resolves with the first event (seen before or after the call) that matches; rejects after timeoutMs naming `what`. */
  waitFor: (what: string, match: (e: SseEvent) => boolean, timeoutMs?: number) => Promise<SseEvent>
  close: () => void
}

/** Opens an event stream; resolves once the response headers arrived (rejects on a non-200). */
export function openEvents (base: string, path: string): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = []
    const waiters = new Set<() => void>()
    let ended = false
    const req = request(new URL(path, base), { headers: { accept: 'text/event-stream' } }, res => {
      if (res.statusCode !== 200) {
        let text = ''
        res.on('data', c => { text += String(c) })
        res.on('end', () => reject(new Error(`${path}: HTTP ${res.statusCode ?? '?'} ${text}`)))
        return
      }
      res.setEncoding('utf8')
      let buf = ''
      res.on('data', (chunk: string) => {
        buf += chunk
        let cut
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, cut)
          buf = buf.slice(cut + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length === 0) continue
          events.push({ event, data: JSON.parse(data.join('\n')) })
          for (const w of waiters) w()
        }
      })
      res.on('close', () => { ended = true; for (const w of waiters) w() })
      resolve({
        events,
        close: () => req.destroy(),
        waitFor: (what, match, timeoutMs = 60_000) => new Promise((resolveWait, rejectWait) => {
          const check = (): boolean => {
            const e = events.find(match)
            if (e !== undefined) { done(); resolveWait(e); return true }
            if (ended) { done(); rejectWait(new Error(`stream ${path} ended before ${what}`)); return true }
            return false
          }
          const timer = setTimeout(() => { done(); rejectWait(new Error(`no ${what} on ${path} within ${timeoutMs} ms; got ${events.map(e => e.event).join(',')}`)) }, timeoutMs)
          const done = (): void => { clearTimeout(timer); waiters.delete(w) }
          const w = (): void => { check() }
          waiters.add(w)
          check()
        }),
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Polls `probe` until it returns a value other than undefined; fails after timeoutMs naming `what`. */
export async function eventually<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${last !== undefined ? `: ${String(last)}` : ''}`)
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
