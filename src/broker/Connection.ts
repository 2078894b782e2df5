// One client connection: framing, ordering and backpressure, Kafka's way.
//
// Bytes arrive as int32 size + frame. The size is checked against socket.request.max.bytes before
// anything is buffered; a bad size closes the connection. Requests are handled one at a time in
// arrival order (the socket is paused while one is in flight, as Kafka mutes a channel), and each
// response is written before the next request starts; when the socket's buffer is full we wait for
// 'drain'. A frame or header that cannot be decoded, or an API/version samsa does not serve,
// closes this connection with one warn line; other connections are unaffected.

import type { Socket } from 'node:net'
import type { Logger } from '../Logger.ts'
import { decodeMessage, encodeMessage } from '../protocol/codec.ts'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import { KafkaError } from '../protocol/KafkaError.ts'
import { ApiKey } from '../protocol/ApiKey.ts'
import { ApiVersions } from '../protocol/messages/ApiVersions.ts'
import { DecodeError, Reader } from '../protocol/Reader.ts'
import { decodeRequestHeader, encodeResponse, peekRequestHeader } from '../protocol/RequestHeader.ts'
import { type Api, inRange, type Fields } from '../protocol/schema.ts'
import { Writer } from '../protocol/Writer.ts'
import { handlerFor, supportedApiVersions } from './apiRegistry.ts'
import type { RequestMetrics } from '../metrics/BrokerMetrics.ts'
import type { Broker } from './Broker.ts'
import { type Handler, NO_RESPONSE, type RequestContext } from './defineHandler.ts'

export interface ConnectionLimits {
  /** socket.request.max.bytes */
  readonly maxRequestBytes: number
  /** connections.max.idle.ms */
  readonly idleMs: number
}

let nextConnectionId = 0

export class Connection {
  readonly id: number
  readonly socket: Socket
  readonly address: string
  private readonly broker: Broker
  private readonly limits: ConnectionLimits
  private readonly logger: Logger
  /** Received bytes not yet framed. */
  private chunks: Buffer[] = []
  private buffered = 0
  /** Complete frames waiting for their turn (bounded: the socket is paused while any wait). */
  private readonly frames: Buffer[] = []
  private busy = false
  private closed = false
  /** Requests handled, for logs. */
  requests = 0

  constructor (socket: Socket, broker: Broker, limits: ConnectionLimits, logger: Logger) {
    this.id = ++nextConnectionId
    this.socket = socket
    this.broker = broker
    this.limits = limits
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`
    this.logger = logger.child({ conn: this.id, client: this.address })
    socket.setNoDelay(true)
    if (limits.idleMs > 0 && limits.idleMs < 2 ** 31) {
      socket.setTimeout(limits.idleMs, () => {
        this.logger.debug({ idleMs: limits.idleMs }, 'closing idle connection')
        this.close()
      })
    }
    socket.on('data', chunk => this.onData(chunk))
    socket.on('error', err => { this.logger.debug({ err }, 'socket error'); this.close() })
    socket.on('close', () => { this.closed = true })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.frames.length = 0
    this.chunks = []
    this.socket.destroy()
  }

  private onData (chunk: Buffer): void {
    if (this.closed) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (this.buffered >= 4) {
      const size = this.peekSize()
      if (size < 0 || size > this.limits.maxRequestBytes) {
        this.logger.warn({ size, max: this.limits.maxRequestBytes }, 'request size out of range (socket.request.max.bytes); closing connection')
        this.close()
        return
      }
      if (this.buffered < 4 + size) break
      this.frames.push(this.take(4 + size).subarray(4))
    }
    if (this.frames.length > 0) {
      this.socket.pause()
      if (!this.busy) void this.drainFrames()
    }
  }

  private peekSize (): number {
    const first = this.chunks[0] as Buffer
    if (first.length >= 4) return first.readInt32BE(0)
    const head = Buffer.concat(this.chunks, 4)
    return head.readInt32BE(0)
  }

  /** Removes n bytes from the front of the buffered chunks, copying only when they span chunks. */
  private take (n: number): Buffer {
    const first = this.chunks[0] as Buffer
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = Buffer.allocUnsafe(n)
      let filled = 0
      while (filled < n) {
        const c = this.chunks[0] as Buffer
        const k = Math.min(c.length, n - filled)
        c.copy(out, filled, 0, k)
        filled += k
        if (k === c.length) this.chunks.shift()
        else this.chunks[0] = c.subarray(k)
      }
    }
    this.buffered -= n
    return out
  }

  private async drainFrames (): Promise<void> {
    this.busy = true
    try {
      while (!this.closed) {
        const frame = this.frames.shift()
        if (frame === undefined) break
        await this.broker.requestChannel.acquire()
        const slot = { held: true }
        const release = (): void => {
          if (!slot.held) return
          slot.held = false
          this.broker.requestChannel.release()
        }
        try {
          await this.handleFrame(frame, release)
        } finally {
          release()
        }
      }
    } catch (err) {
      this.logger.error({ err }, 'unexpected error in request loop; closing connection')
      this.close()
    } finally {
      this.busy = false
    }
    if (!this.closed) this.socket.resume()
  }

  private async handleFrame (frame: Buffer, releaseSlot: () => void): Promise<void> {
    const started = performance.now()
    let apiKey: number, apiVersion: number, correlationId: number
    try {
      ({ apiKey, apiVersion, correlationId } = peekRequestHeader(frame))
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'malformed request header; closing connection')
      this.close()
      return
    }
    const handler = handlerFor(apiKey)
    if (handler === undefined || !inRange(handler.versions, apiVersion)) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer with a v0 body listing what we serve, so the client retries lower.
        await this.writeChunks(encodeUnsupportedApiVersions(correlationId))
        return
      }
      this.logger.warn({ apiKey, apiVersion }, handler === undefined ? 'unsupported API key; closing connection' : 'unsupported API version; closing connection')
      this.close()
      return
    }
    const api = handler.api
    let header, body
    try {
      const r = new Reader(frame)
      header = decodeRequestHeader(api, apiVersion, r)
      body = decodeMessage(api.request, apiVersion, r)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.logger.warn({ apiKey, apiVersion, err: err.message }, 'malformed request; closing connection')
      this.close()
      return
    }
    this.requests++
    const metrics = this.broker.metrics.request(apiKey)
    if (metrics !== undefined) {
      metrics.requests.inc()
      metrics.requestBytes.inc(frame.length + 4)
    }
    const ctx: RequestContext = {
      broker: this.broker,
      header,
      apiVersion,
      clientAddress: this.address,
      logger: this.logger,
      parked: <T>(wait: Promise<T>): Promise<T> => { releaseSlot(); return wait },
      afterResponse: (fn: () => void): void => { after.push(fn) },
    }
    const after: Array<() => void> = []
    let writing = false
    try {
      writing = await this.respond(handler, body, ctx, correlationId, started, metrics, after)
    } finally {
      if (!writing) runAll(after)
    }
  }

  /** Handles a decoded request and writes its response; true once the write owns `after`. */
  private async respond (handler: Handler, body: Record<string, unknown>, ctx: RequestContext, correlationId: number, started: number,
    metrics: RequestMetrics | undefined, after: Array<() => void>): Promise<boolean> {
    const { apiVersion } = ctx
    const api = handler.api
    const apiKey = api.key
    let response
    try {
      response = await handler.handle(body, ctx)
    } catch (err) {
      const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
      if (!(err instanceof KafkaError)) this.logger.error({ err, apiKey, apiVersion }, 'request failed')
      response = errorResponse(handler, body, code)
      if (response === undefined) {
        this.logger.warn({ apiKey, apiVersion, code }, 'no error response for this API; closing connection')
        this.close()
        return false
      }
    }
    if (apiKey === ApiKey.Produce) this.broker.metrics.onProduce(body, response === NO_RESPONSE ? null : response)
    else if (apiKey === ApiKey.Fetch && response !== NO_RESPONSE) this.broker.metrics.onFetch(response)
    if (response === NO_RESPONSE || this.closed) {
      metrics?.totalTimeMs.observe(performance.now() - started)
      return false
    }
    let chunks: Buffer[]
    try {
      chunks = encodeResponse(api, apiVersion, correlationId, response)
    } catch (err) {
      this.logger.error({ err, apiKey, apiVersion }, 'response could not be encoded; closing connection')
      this.close()
      return false
    }
    const bytes = await this.writeChunks(chunks, after.length > 0 ? () => runAll(after) : undefined)
    if (metrics !== undefined) {
      metrics.responseBytes.inc(bytes)
      metrics.totalTimeMs.observe(performance.now() - started)
    }
    return true
  }

  /**
   * Writes a response's chunks in one go (writev through cork) and waits for 'drain' if needed.
   * Returns the bytes written. `written` runs once the socket is done with the chunks (written to
   * the kernel, or failed), so buffers in them can be reused.
   */
  private async writeChunks (chunks: Buffer[], written?: () => void): Promise<number> {
    if (this.closed) { written?.(); return 0 }
    const s = this.socket
    s.cork()
    let ok = true
    let bytes = 0
    const last = chunks.length - 1
    for (let i = 0; i <= last; i++) {
      const c = chunks[i] as Buffer
      ok = i === last && written !== undefined ? s.write(c, () => written()) : s.write(c)
      bytes += c.length
    }
    if (last < 0) written?.()
    s.uncork()
    if (!ok && !this.closed) {
      await new Promise<void>(resolve => {
        const done = (): void => { s.off('drain', done); s.off('close', done); resolve() }
        s.on('drain', done)
        s.on('close', done)
      })
    }
    return bytes
  }
}

function runAll (fns: Array<() => void>): void {
  for (const fn of fns.splice(0)) fn()
}

/** A generic error response: the handler's own, or the top-level errorCode when the API has one. */
function errorResponse (handler: Handler, body: Record<string, unknown>, code: number): Record<string, unknown> | undefined {
  if (handler.errorResponse !== undefined) return handler.errorResponse(body, code) as Record<string, unknown>
  if ('errorCode' in handler.api.response.fields) return { errorCode: code }
  return undefined
}

function encodeUnsupportedApiVersions (correlationId: number): Buffer[] {
  const w = new Writer()
  w.int32(0).int32(correlationId)
  const api = ApiVersions as unknown as Api<Fields, Fields>
  encodeMessage(api.response, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions().filter(k => k.apiKey === ApiKey.ApiVersions) }, w)
  const out = w.toBuffer()
  out.writeInt32BE(out.length - 4, 0)
  return [out]
}
