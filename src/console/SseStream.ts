// One server-sent-events response (text/event-stream): `event: <name>\ndata: <json>\n\n` frames.
//
// Bounded: when the browser reads slower than events arrive and the response already buffers
// MAX_SSE_BUFFERED_BYTES, new events are dropped (not queued) and counted; the next event that
// fits is preceded by a `dropped` event carrying the count, so the page can say it missed some.
// A comment line every SSE_HEARTBEAT_MS keeps proxies and the browser from timing the stream out.

import type { ServerResponse } from 'node:http'

/** Bytes one stream may hold unsent before events are dropped: a few hundred messages. */
export const MAX_SSE_BUFFERED_BYTES = 1024 * 1024
/** Idle comment interval; browsers and proxies close streams silent for about a minute. */
export const SSE_HEARTBEAT_MS = 15_000

export class SseStream {
  private readonly res: ServerResponse
  private readonly heartbeat: NodeJS.Timeout
  private dropped = 0
  closed = false
  private readonly onCloseFns: Array<() => void> = []

  constructor (res: ServerResponse) {
    this.res = res
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(': samsa console\n\n')
    this.heartbeat = setInterval(() => { if (!this.closed) res.write(': keep-alive\n\n') }, SSE_HEARTBEAT_MS)
    this.heartbeat.unref()
    res.on('close', () => this.close())
  }

  /** Sends one event; false when it was dropped (buffer full) or the stream is closed. */
  send (event: string, data: unknown): boolean {
    if (this.closed) return false
    if (this.res.writableLength > MAX_SSE_BUFFERED_BYTES) {
      this.dropped++
      return false
    }
    if (this.dropped > 0) {
      this.res.write(`event: dropped\ndata: ${JSON.stringify({ count: this.dropped })}\n\n`)
      this.dropped = 0
    }
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    return true
  }

  onClose (fn: () => void): void {
    if (this.closed) fn()
    else this.onCloseFns.push(fn)
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.heartbeat)
    this.res.end()
    for (const fn of this.onCloseFns.splice(0)) fn()
  }
}
