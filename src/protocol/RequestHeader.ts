// Framing: request and response headers around a message body.
//
// A frame is int32 size, then the header, then the body. The request header version is derived
// from the API and version (v2 when the version is flexible, v1 otherwise, v0 only for
// ControlledShutdown v0); the response header is v1 when flexible, v0 otherwise, except that the
// ApiVersions response always uses v0 so a client can read it before it knows what we speak.

import { decodeMessage, encodeMessage } from './codec.ts'
import { ALL_APIS, RequestHeader as RequestHeaderMessage, ResponseHeader as ResponseHeaderMessage } from './messages/index.ts'
import { DecodeError, Reader } from './Reader.ts'
import { type Api, inRange, type Msg, type MsgInput, type Fields } from './schema.ts'
import { Writer } from './Writer.ts'
import { ApiKey } from './ApiKey.ts'

const API_BY_KEY = new Map<number, Api>(ALL_APIS.map(a => [a.key, a as unknown as Api]))

/** The description of an API key, or undefined when Kafka defines no such API. */
export function apiByKey (key: number): Api | undefined {
  return API_BY_KEY.get(key)
}

export function requestHeaderVersion (api: Api, version: number): number {
  if (api.key === ApiKey.ControlledShutdown && version === 0) return 0
  return inRange(api.request.flexible, version) ? 2 : 1
}

export function responseHeaderVersion (api: Api, version: number): number {
  if (api.key === ApiKey.ApiVersions) return 0
  return inRange(api.response.flexible, version) ? 1 : 0
}

export interface RequestHeaderData {
  readonly requestApiKey: number
  readonly requestApiVersion: number
  readonly correlationId: number
  /** Kafka treats a null client id as the empty string. */
  readonly clientId: string
}

/** Reads api key, version and correlation id from the start of a request frame body (no size). */
export function peekRequestHeader (frame: Buffer): { apiKey: number, apiVersion: number, correlationId: number } {
  if (frame.length < 8) throw new DecodeError(`request of ${frame.length} bytes has no header`)
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) }
}

/** Decodes the request header of a frame (without its size prefix); the reader is left at the body. */
export function decodeRequestHeader (api: Api, version: number, r: Reader): RequestHeaderData {
  const h = decodeMessage(RequestHeaderMessage, requestHeaderVersion(api, version), r)
  return { requestApiKey: h.requestApiKey, requestApiVersion: h.requestApiVersion, correlationId: h.correlationId, clientId: h.clientId ?? '' }
}

/** Decodes a whole request frame body (no size prefix). */
export function decodeRequest<Req extends Fields> (api: Api<Req, Fields>, frame: Buffer): { header: RequestHeaderData, body: Msg<Req> } {
  const { apiVersion } = peekRequestHeader(frame)
  const r = new Reader(frame)
  const header = decodeRequestHeader(api as unknown as Api, apiVersion, r)
  const body = decodeMessage(api.request, apiVersion, r)
  if (r.remaining !== 0) throw new DecodeError(`${api.name} v${apiVersion} request has ${r.remaining} trailing bytes`)
  return { header, body }
}

/** Encodes a request frame, size prefix included. */
export function encodeRequest<Req extends Fields> (api: Api<Req, Fields>, version: number, correlationId: number, clientId: string | null, body: MsgInput<Req>): Buffer {
  const w = new Writer()
  w.int32(0)
  encodeMessage(RequestHeaderMessage, requestHeaderVersion(api as unknown as Api, version), { requestApiKey: api.key, requestApiVersion: version, correlationId, clientId }, w)
  encodeMessage(api.request, version, body, w)
  const frame = w.toBuffer()
  frame.writeInt32BE(frame.length - 4, 0)
  return frame
}

/** Encodes a response frame as chunks for writev, size prefix included. */
export function encodeResponse<Res extends Fields> (api: Api<Fields, Res>, version: number, correlationId: number, body: MsgInput<Res>): Buffer[] {
  const w = new Writer()
  encodeMessage(ResponseHeaderMessage, responseHeaderVersion(api as unknown as Api, version), { correlationId }, w)
  encodeMessage(api.response, version, body, w)
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(w.length, 0)
  const chunks = w.toChunks()
  chunks.unshift(size)
  return chunks
}

/** Decodes a response frame body (no size prefix). */
export function decodeResponse<Res extends Fields> (api: Api<Fields, Res>, version: number, frame: Buffer): { correlationId: number, body: Msg<Res> } {
  const r = new Reader(frame)
  const h = decodeMessage(ResponseHeaderMessage, responseHeaderVersion(api as unknown as Api, version), r)
  const body = decodeMessage(api.response, version, r)
  if (r.remaining !== 0) throw new DecodeError(`${api.name} v${version} response has ${r.remaining} trailing bytes`)
  return { correlationId: h.correlationId, body }
}
