// The shape every API handler fills in: the API's description, the versions samsa serves (from
// which ApiVersions is derived), and a function from a typed request to a typed response.

import type { Logger } from '../Logger.ts'
import type { RequestHeaderData } from '../protocol/RequestHeader.ts'
import { type Api, type Fields, type Msg, type MsgInput, parseVersions, type VersionRange } from '../protocol/schema.ts'
import type { Broker } from './Broker.ts'

/** Returned by a handler when the request gets no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('noResponse')

export interface RequestContext {
  readonly broker: Broker
  readonly header: RequestHeaderData
  readonly apiVersion: number
  /** The client's address, as ip:port. */
  readonly clientAddress: string
  readonly logger: Logger
  /**
   * Wraps a wait on an outside event (a long-polling fetch, a rebalance) and gives this request's
   * queued.max.requests slot back while it waits: parked requests are bounded by their own limits
   * (MAX_PARKED_FETCHES, group.max.size), and must not starve requests that could proceed.
   */
  readonly parked: <T>(wait: Promise<T>) => Promise<T>
  /**
   * Runs `fn` once the response has been written to the socket (or the request ended without
   * one): the place to give back buffers that the response carries (the fetch path's pool).
   */
  readonly afterResponse: (fn: () => void) => void
}

export interface Handler<Req extends Fields = Fields, Res extends Fields = Fields> {
  readonly api: Api<Req, Res>
  readonly versions: VersionRange
  handle: (req: Msg<Req>, ctx: RequestContext) => Promise<MsgInput<Res> | typeof NO_RESPONSE> | MsgInput<Res> | typeof NO_RESPONSE
  /** A response carrying `code` for every item of `req`; used when the handler throws. */
  errorResponse?: (req: Msg<Req>, code: number) => MsgInput<Res>
}

export interface HandlerSpec<Req extends Fields, Res extends Fields> {
  /** Served versions, e.g. '0-4'; must lie inside the API's valid versions. */
  readonly versions: string
  handle: Handler<Req, Res>['handle']
  errorResponse?: Handler<Req, Res>['errorResponse']
}

export function defineHandler<Req extends Fields, Res extends Fields> (api: Api<Req, Res>, spec: HandlerSpec<Req, Res>): Handler<Req, Res> {
  const versions = parseVersions(spec.versions)
  if (versions.min < api.validVersions.min || versions.max > api.validVersions.max) {
    throw new Error(`${api.name}: served versions ${spec.versions} exceed the valid ${api.validVersions.min}-${api.validVersions.max}`)
  }
  return Object.freeze({ api, versions, handle: spec.handle, ...(spec.errorResponse !== undefined ? { errorResponse: spec.errorResponse } : {}) })
}
