// A raw-protocol Kafka client for tests: one TCP connection, requests encoded by samsa's codec,
// responses returned decoded (or as raw bytes). It knows nothing about brokers, partitions or
// retries; a test says exactly which API, version and body goes on the wire.
//
//   await using client = await KafkaTestClient.connect('127.0.0.1', port, { clientId: 't' })
//   const res = await client.request(Metadata, 12, { topics: null })
//
// Requests may be pipelined. Kafka answers a connection's requests in order, so responses are
// matched to requests first-in first-out, and a response whose correlation id is not the one
// expected fails every pending request and closes the connection. So does the peer closing the
// connection, a response frame larger than maxFrameBytes, or a request that waits longer than
// requestTimeoutMs (a hang guard, not a timing assertion).

import { connect as netConnect, type Socket } from 'node:net'
import { EncodeError } from '../../src/protocol/codec.ts'
import { decodeResponse, encodeRequest } from '../../src/protocol/RequestHeader.ts'
import type { Api, Fields, Msg, MsgInput } from '../../src/protocol/schema.ts'

/** Largest response frame accepted by default: Kafka's fetch.max.bytes (50 MiB) plus headroom. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024
/** Most requests awaiting a response at once by default. */
export const DEFAULT_MAX_IN_FLIGHT = 1024
/** How long a request may wait for its response before the connection is declared stuck. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

export interface KafkaTestClientOptions {
  /** Sent in every request header; null sends a null client id. Default 'samsa-test'. */
  clientId?: string | null
  maxFrameBytes?: number
  maxInFlight?: number
  requestTimeoutMs?: number
  /** How long connect() waits for the TCP connection. Default requestTimeoutMs. */
  connectTimeoutMs?: number
}

interface Pending {
  readonly correlationId: number
  readonly resolve: (frame: Buffer) => void
  readonly reject: (err: Error) => void
}

export class KafkaClosedError extends Error {
  override readonly name = 'KafkaClosedError'
}

export class KafkaTestClient {
  readonly clientId: string | null
  readonly maxFrameBytes: number
  readonly maxInFlight: number
  readonly requestTimeoutMs: number
  private readonly socket: Socket
  private readonly pending: Pending[] = []
  private nextCorrelationId = 1
  /** Received bytes not yet framed; never more than one frame's size plus one read. */
  private chunks: Buffer[] = []
  private buffered = 0
  private failure: Error | undefined
  private timer: NodeJS.Timeout | undefined

  private constructor (socket: Socket, opts: KafkaTestClientOptions) {
    this.socket = socket
    this.clientId = opts.clientId === undefined ? 'samsa-test' : opts.clientId
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(new KafkaClosedError(`connection error: ${err.message}`, { cause: err })))
    socket.on('close', () => this.fail(new KafkaClosedError('connection closed by the peer')))
  }

  static connect (host: string, port: number, opts: KafkaTestClientOptions = {}): Promise<KafkaTestClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true })
      const timeout = setTimeout(() => {
        socket.destroy()
        reject(new Error(`could not connect to ${host}:${port} within ${opts.connectTimeoutMs ?? opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS} ms`))
      }, opts.connectTimeoutMs ?? opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
      const onError = (err: Error): void => {
        clearTimeout(timeout)
        reject(new Error(`could not connect to ${host}:${port}: ${err.message}`, { cause: err }))
      }
      socket.once('error', onError)
      socket.once('connect', () => {
        clearTimeout(timeout)
        socket.off('error', onError)
        resolve(new KafkaTestClient(socket, opts))
      })
    })
  }

  /** Requests sent and not yet answered. */
  get inFlight (): number { return this.pending.length }

  /** True once the connection failed or was closed; every later call rejects. */
  get closed (): boolean { return this.failure !== undefined }

  /** The next correlation id request() will use. */
  peekCorrelationId (): number { return this.nextCorrelationId }

  /** Sends one request and resolves with the decoded response body. */
  async request<Req extends Fields, Res extends Fields> (api: Api<Req, Res>, version: number, body: MsgInput<Req>): Promise<Msg<Res>> {
    const correlationId = this.takeCorrelationId()
    const frame = encodeRequest(api, version, correlationId, this.clientId, body)
    const response = await this.requestRaw(frame)
    return decodeResponse(api, version, response).body
  }

  /**
   * Sends one request frame exactly as given (size prefix included, as encodeRequest makes it)
   * and resolves with the response frame without its size prefix (as decodeResponse takes it).
   * The correlation id is read from the frame; the response must carry the same one.
   */
  requestRaw (frame: Buffer): Promise<Buffer> {
    const correlationId = checkRequestFrame(frame)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.pending.length >= this.maxInFlight) {
      return Promise.reject(new Error(`more than ${this.maxInFlight} requests in flight`))
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.push({ correlationId, resolve, reject })
      this.armTimer()
      this.socket.write(frame)
    })
  }

  /** Sends a request that gets no response (Produce with acks=0); resolves once it is written. */
  sendNoResponse<Req extends Fields, Res extends Fields> (api: Api<Req, Res>, version: number, body: MsgInput<Req>): Promise<void> {
    const frame = encodeRequest(api, version, this.takeCorrelationId(), this.clientId, body)
    return this.sendRawNoResponse(frame)
  }

  /** Writes a frame (size prefix included) for which no response is expected. */
  sendRawNoResponse (frame: Buffer): Promise<void> {
    checkRequestFrame(frame)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.socket.write(frame, (err) => { if (err == null) resolve(); else reject(err) })
    })
  }

  /** Closes the connection; pending requests reject. Resolves when the socket is closed. */
  async close (): Promise<void> {
    this.fail(new KafkaClosedError('connection closed by the client'))
    if (this.socket.closed) return
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end()
      this.socket.destroySoon()
    })
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }

  private takeCorrelationId (): number {
    const id = this.nextCorrelationId
    this.nextCorrelationId = id === 0x7fffffff ? 1 : id + 1
    return id
  }

  private onData (chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (this.failure === undefined && this.buffered >= 4) {
      const head = this.peek(4)
      const size = head.readInt32BE(0)
      if (size < 4 || size > this.maxFrameBytes) {
        this.fail(new Error(`response frame of ${size} bytes (limit ${this.maxFrameBytes})`), true)
        return
      }
      if (this.buffered < 4 + size) return
      const frame = this.take(4 + size).subarray(4)
      this.deliver(frame)
    }
  }

  private deliver (frame: Buffer): void {
    const next = this.pending.shift()
    const correlationId = frame.readInt32BE(0)
    if (next === undefined) {
      this.fail(new Error(`unexpected response with correlation id ${correlationId}: no request in flight`), true)
      return
    }
    if (next.correlationId !== correlationId) {
      const err = new Error(`response correlation id ${correlationId}, expected ${next.correlationId}`)
      next.reject(err)
      this.fail(err, true)
      return
    }
    next.resolve(frame)
    this.armTimer()
  }

  /** The first n buffered bytes (n <= buffered), copied only when they span chunks. */
  private peek (n: number): Buffer {
    const first = this.chunks[0] as Buffer
    if (first.length >= n) return first.subarray(0, n)
    const joined = Buffer.concat(this.chunks)
    this.chunks = [joined]
    return joined.subarray(0, n)
  }

  private take (n: number): Buffer {
    const out = this.peek(n)
    const first = this.chunks[0] as Buffer
    if (first.length === n) this.chunks.shift()
    else this.chunks[0] = first.subarray(n)
    this.buffered -= n
    return out
  }

  private armTimer (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0 || this.failure !== undefined) return
    this.timer = setTimeout(() => {
      this.fail(new Error(`no response within ${this.requestTimeoutMs} ms (${this.pending.length} requests in flight)`), true)
    }, this.requestTimeoutMs)
  }

  private fail (err: Error, destroy = false): void {
    if (this.failure === undefined) this.failure = err
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.chunks = []
    this.buffered = 0
    for (const p of this.pending.splice(0)) p.reject(err)
    if (destroy) this.socket.destroy()
  }
}

/** The correlation id of a request frame (size prefix included); throws on a frame too short to hold one. */
function checkRequestFrame (frame: Buffer): number {
  if (frame.length < 12) throw new EncodeError(`request frame of ${frame.length} bytes has no header`)
  if (frame.readInt32BE(0) !== frame.length - 4) throw new EncodeError(`request frame size ${frame.readInt32BE(0)} does not match its ${frame.length - 4} bytes`)
  return frame.readInt32BE(8)
}
