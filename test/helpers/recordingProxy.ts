// A TCP proxy on a free loopback port in front of one Kafka broker that records every request
// and response frame it forwards, for golden fixtures (scripts/capture-golden.ts).
//
//   const proxy = await startRecordingProxy({ host: kafka.host, port: kafka.port })
//   // point a client at proxy.bootstrap, then:
//   const frames = proxy.take()   // what went through since the last take()
//   await proxy.close()
//
// Clients learn broker addresses from responses (Metadata, FindCoordinator, DescribeCluster...)
// and would then bypass the proxy. So every response that holds the upstream's host and port is
// decoded with samsa's codec, the address is replaced with the proxy's, and it is re-encoded:
// the client only ever sees the proxy. The recorded frame is the one Kafka sent, before rewriting.
//
// With clampVersions, the ApiVersions answer is cut down to the versions samsa's codec describes,
// so clients negotiate what they would negotiate with samsa (Kafka 4.4 serves newer versions
// than the definitions samsa is generated from), and every captured frame is one samsa can read.
// An ApiVersions request newer than samsa knows is answered by the proxy itself, as samsa would:
// UNSUPPORTED_VERSION with samsa's ApiVersions range, in a v0 body.
//
// Responses are matched to requests by correlation id, per connection. A Produce with acks=0
// gets no response, so it is not awaited. Frames larger than maxFrameBytes close the connection;
// at most maxRecordedFrames are kept between take() calls (further ones are counted as dropped).

import { connect, createServer, type Server, type Socket } from 'node:net'
import { ApiKey } from '../../src/protocol/ApiKey.ts'
import { ErrorCode } from '../../src/protocol/ErrorCode.ts'
import { ApiVersions, Produce } from '../../src/protocol/messages/index.ts'
import { apiByKey, decodeRequest, decodeResponse, encodeResponse, peekRequestHeader } from '../../src/protocol/RequestHeader.ts'
import { inRange } from '../../src/protocol/schema.ts'

/** Kafka's socket.request.max.bytes default (100 MiB): no client frame in a capture comes near it. */
export const PROXY_MAX_FRAME_BYTES = 100 * 1024 * 1024
/** Frames kept between take() calls; a capture needs a few hundred. */
export const PROXY_MAX_RECORDED_FRAMES = 20_000
/** Requests awaiting a response per connection (Kafka clients pipeline at most a few). */
export const PROXY_MAX_PENDING = 10_000

export interface RecordedFrame {
  direction: 'request' | 'response'
  apiKey: number
  apiVersion: number
  correlationId: number
  /** The frame without its 4-byte size prefix, exactly as it crossed the wire from its sender. */
  frame: Buffer
  /** The connection it crossed, numbered from 1 in accept order. */
  connection: number
}

export interface RecordingProxyOptions {
  host: string
  port: number
  maxFrameBytes?: number
  maxRecordedFrames?: number
  /** Advertise only APIs and versions samsa's codec describes (rewriting ApiVersions responses). */
  clampVersions?: boolean
}

export interface RecordingProxy extends AsyncDisposable {
  host: string
  port: number
  bootstrap: string
  /** Frames recorded since the last take(), in the order they were forwarded; clears them. */
  take: () => RecordedFrame[]
  /** Frames not recorded because maxRecordedFrames was reached. */
  readonly dropped: number
  /** Responses rewritten (a broker address replaced, or ApiVersions clamped). */
  readonly rewritten: number
  /** Connection-level failures (frame too large, response to an unknown request, a failed rewrite). */
  readonly errors: readonly string[]
  close: () => Promise<void>
}

interface Pending { apiKey: number, apiVersion: number }

/** Splits a byte stream into frames (size prefix removed); refuses a frame over the limit before buffering it. */
class Framer {
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly maxFrameBytes: number

  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  push (chunk: Buffer): Buffer[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const out: Buffer[] = []
    while (this.buffered >= 4) {
      const joined = this.chunks.length === 1 ? this.chunks[0] as Buffer : Buffer.concat(this.chunks)
      this.chunks = [joined]
      const size = joined.readInt32BE(0)
      if (size < 0 || size > this.maxFrameBytes) throw new Error(`frame of ${size} bytes (limit ${this.maxFrameBytes})`)
      if (joined.length < 4 + size) break
      out.push(joined.subarray(4, 4 + size))
      const rest = joined.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
    }
    return out
  }
}

function withSize (frame: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(frame.length, 0)
  return Buffer.concat([size, frame])
}

/** Replaces every { host, port } equal to `from` by `to`, in place; returns how many were replaced. */
function replaceAddress (value: unknown, from: { host: string, port: number }, to: { host: string, port: number }): number {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return 0
  if (Array.isArray(value)) {
    let n = 0
    for (const v of value) n += replaceAddress(v, from, to)
    return n
  }
  const o = value as Record<string, unknown>
  let n = 0
  if (o.host === from.host && o.port === from.port) {
    o.host = to.host
    o.port = to.port
    n++
  }
  for (const v of Object.values(o)) n += replaceAddress(v, from, to)
  return n
}

/** Cuts an ApiVersions response body down to the keys and versions samsa describes; returns whether it changed. */
function clampApiVersions (body: { apiKeys: Array<{ apiKey: number, minVersion: number, maxVersion: number }> }): boolean {
  let changed = false
  const kept: typeof body.apiKeys = []
  for (const k of body.apiKeys) {
    const known = apiByKey(k.apiKey)
    const max = known === undefined ? -1 : Math.min(k.maxVersion, known.validVersions.max)
    if (max < k.minVersion) { changed = true; continue }
    if (max !== k.maxVersion) { changed = true; k.maxVersion = max }
    kept.push(k)
  }
  body.apiKeys = kept
  return changed
}

/** A Produce request with acks=0 gets no response. */
function expectsResponse (apiKey: number, frame: Buffer): boolean {
  if (apiKey !== ApiKey.Produce) return true
  try {
    return decodeRequest(Produce, frame).body.acks !== 0
  } catch {
    return true
  }
}

export async function startRecordingProxy (opts: RecordingProxyOptions): Promise<RecordingProxy> {
  const upstream = { host: opts.host, port: opts.port }
  const maxFrameBytes = opts.maxFrameBytes ?? PROXY_MAX_FRAME_BYTES
  const maxRecorded = opts.maxRecordedFrames ?? PROXY_MAX_RECORDED_FRAMES
  let recorded: RecordedFrame[] = []
  let dropped = 0
  let rewritten = 0
  const errors: string[] = []
  const sockets = new Set<Socket>()
  let connections = 0
  let self = { host: '127.0.0.1', port: 0 }

  const record = (f: RecordedFrame): void => {
    if (recorded.length >= maxRecorded) dropped++
    else recorded.push(f)
  }

  const server: Server = createServer((client) => {
    const connection = ++connections
    const pending = new Map<number, Pending>()
    const fromClient = new Framer(maxFrameBytes)
    const fromBroker = new Framer(maxFrameBytes)
    const broker = connect({ host: upstream.host, port: upstream.port, noDelay: true })
    client.setNoDelay(true)
    sockets.add(client)
    sockets.add(broker)
    const fail = (why: string): void => {
      errors.push(`connection ${connection}: ${why}`)
      client.destroy()
      broker.destroy()
    }
    client.on('close', () => { sockets.delete(client); broker.destroy() })
    broker.on('close', () => { sockets.delete(broker); client.destroy() })
    client.on('error', () => broker.destroy())
    broker.on('error', () => client.destroy())

    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[]
      try {
        frames = fromClient.push(chunk)
      } catch (err) {
        fail(`client sent a ${(err as Error).message}`)
        return
      }
      for (const frame of frames) {
        let head: { apiKey: number, apiVersion: number, correlationId: number }
        try {
          head = peekRequestHeader(frame)
        } catch (err) {
          fail((err as Error).message)
          return
        }
        record({ direction: 'request', ...head, frame, connection })
        if (opts.clampVersions === true && head.apiKey === ApiKey.ApiVersions && head.apiVersion > ApiVersions.validVersions.max && pending.size === 0) {
          // What samsa answers a version it does not know: UNSUPPORTED_VERSION and its own range,
          // in a v0 body; the client retries at a version both know.
          const refusal = encodeResponse(ApiVersions, 0, head.correlationId, {
            errorCode: ErrorCode.UNSUPPORTED_VERSION,
            apiKeys: [{ apiKey: ApiVersions.key, minVersion: ApiVersions.validVersions.min, maxVersion: ApiVersions.validVersions.max }],
          })
          if (!client.write(Buffer.concat(refusal))) broker.pause()
          continue
        }
        if (expectsResponse(head.apiKey, frame)) {
          if (pending.size >= PROXY_MAX_PENDING) { fail(`more than ${PROXY_MAX_PENDING} requests awaiting responses`); return }
          pending.set(head.correlationId, { apiKey: head.apiKey, apiVersion: head.apiVersion })
        }
        if (!broker.write(withSize(frame))) client.pause()
      }
    })
    broker.on('drain', () => client.resume())

    broker.on('data', (chunk: Buffer) => {
      let frames: Buffer[]
      try {
        frames = fromBroker.push(chunk)
      } catch (err) {
        fail(`broker sent a ${(err as Error).message}`)
        return
      }
      for (const frame of frames) {
        if (frame.length < 4) { fail(`response of ${frame.length} bytes`); return }
        const correlationId = frame.readInt32BE(0)
        const request = pending.get(correlationId)
        if (request === undefined) { fail(`response with correlation id ${correlationId} matches no request`); return }
        pending.delete(correlationId)
        record({ direction: 'response', ...request, correlationId, frame, connection })
        let out = frame
        const api = apiByKey(request.apiKey)
        if (api !== undefined && inRange(api.response.validVersions, request.apiVersion)) {
          try {
            const { body } = decodeResponse(api, request.apiVersion, frame)
            const clamped = opts.clampVersions === true && api.key === ApiKey.ApiVersions &&
              clampApiVersions(body as { apiKeys: Array<{ apiKey: number, minVersion: number, maxVersion: number }> })
            if (replaceAddress(body, upstream, self) > 0 || clamped) {
              rewritten++
              out = Buffer.concat(encodeResponse(api, request.apiVersion, correlationId, body)).subarray(4)
            }
          } catch (err) {
            // A response the codec cannot read is forwarded as it is; the golden test will flag it.
            errors.push(`connection ${connection}: ${api.name} v${request.apiVersion} response not rewritten: ${(err as Error).message}`)
          }
        }
        if (!client.write(withSize(out))) broker.pause()
      }
    })
    client.on('drain', () => broker.resume())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  self = { host: '127.0.0.1', port: address.port }

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
    return closing
  }

  return {
    host: self.host,
    port: self.port,
    bootstrap: `${self.host}:${self.port}`,
    take () {
      const out = recorded
      recorded = []
      return out
    },
    get dropped () { return dropped },
    get rewritten () { return rewritten },
    errors,
    close,
    [Symbol.asyncDispose]: close,
  }
}
