// The web console: a node:http server with the built page (StaticAssets) and a small JSON and
// server-sent-events API over a Kafka cluster, reached only through @platformatic/kafka's Admin,
// Producer and Consumer, so it works unchanged against samsa and Apache Kafka.
//
//   const { url, close } = await startConsole({ bootstrapServers: 'localhost:9092', port: 8080 })
//
// API (JSON unless noted):
//   GET    /api/overview                      cluster id, brokers, the bootstrap servers
//   GET    /api/topics                        topics: partitions, messages, bytes on disk
//   POST   /api/topics                        {name, partitions?, replicationFactor?, configs?}
//   GET    /api/topics/:topic                 partitions (leader, offsets, size) and configs
//   DELETE /api/topics/:topic
//   GET    /api/topics/:topic/messages        ?partition&limit&order=newest|oldest&key&value&from&to
//   POST   /api/topics/:topic/messages        {key?, value, partition?, headers?} -> {partition, offset}
//   GET    /api/topics/:topic/tail            SSE: `messages` events of new records passing ?key&value&from&to
//   GET    /api/groups                        groups: state, members, total lag
//   GET    /api/groups/:group                 members and per-partition committed offset, end offset, lag
//   GET    /api/stats                         the chart histories (rates, lag, sensor readings)
//   GET    /api/stats/stream                  SSE: `snapshot`, then `rates`, `lag`, `reading` events
//
// Limits: MAX_SSE_CLIENTS open streams (tails and stats together), MAX_BODY_BYTES per request
// body, and the bounds of SseStream, MessageReader and StatsSampler. Requests that change the
// cluster must be JSON and, when the browser sends an Origin, come from the console's own origin,
// so another web page cannot drive them.

import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type Logger, nullLogger } from '../Logger.ts'
import { ClusterView } from './ClusterView.ts'
import { parseMessageFilter } from './ConsoleMessage.ts'
import { MAX_BROWSE_LIMIT, MessageReader, UnknownTopicError } from './MessageReader.ts'
import { SseStream } from './SseStream.ts'
import { StaticAssets } from './StaticAssets.ts'
import { StatsSampler } from './StatsSampler.ts'
import { TailHub } from './TailHub.ts'

export const DEFAULT_CONSOLE_PORT = 8080
/** Open event streams (live tails and chart streams) over all browsers. */
export const MAX_SSE_CLIENTS = 32
/** Largest request body: a produced message of up to about a megabyte, as JSON. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024
const CLIENT_ID = 'samsa-console'

export interface ConsoleOptions {
  /** 'host:port', comma-separated or as a list */
  bootstrapServers: string | readonly string[]
  /** default 8080; 0 picks a free port */
  port?: number
  /** default localhost */
  host?: string
  logger?: Logger
  /** where the built page is (default console-ui/dist) */
  assetsDir?: string
  /** the topic whose JSON values feed the sensor chart (default sensors) */
  sensorTopic?: string
}

export interface RunningConsole {
  /** http://host:port/ */
  url: string
  port: number
  /** true when the page was not built: the API works, / explains how to build it */
  assetsMissing: boolean
  close: () => Promise<void>
}

class HttpError extends Error {
  readonly status: number
  constructor (status: number, message: string) {
    super(message)
    this.status = status
  }
}

type Route = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void>

export async function startConsole (options: ConsoleOptions): Promise<RunningConsole> {
  const logger = (options.logger ?? nullLogger).child({ component: 'console' })
  const bootstrap = (typeof options.bootstrapServers === 'string' ? options.bootstrapServers.split(',') : [...options.bootstrapServers]).map(s => s.trim()).filter(s => s !== '')
  if (bootstrap.length === 0) throw new RangeError('startConsole: no bootstrap servers')
  const assets = await StaticAssets.load(options.assetsDir)
  if (assets.missing) logger.warn({ dir: assets.dir }, 'console page not built: run `npm run build:console` (the API still works)')

  const base = { bootstrapBrokers: bootstrap, retries: 1, retryDelay: 250, timeout: 10_000 }
  const admin = new Admin({ ...base, clientId: CLIENT_ID })
  const producer = new Producer({ ...base, clientId: CLIENT_ID, autocreateTopics: false })
  // Consumers that never join their (unique) group: they only send Fetch and ListOffsets.
  const readConsumer = new Consumer({ ...base, clientId: CLIENT_ID, groupId: `samsa-console-${randomUUID()}` })
  const tailConsumer = new Consumer({ ...base, clientId: CLIENT_ID, groupId: `samsa-console-${randomUUID()}` })
  const view = new ClusterView(admin)
  const reader = new MessageReader(readConsumer, admin)
  const tail = new TailHub(tailConsumer, admin, logger)
  const sampler = new StatsSampler(view, tail, logger, options.sensorTopic !== undefined ? { sensorTopic: options.sensorTopic } : {})
  const streams = new Set<SseStream>()

  const openStream = (res: ServerResponse): SseStream => {
    if (streams.size >= MAX_SSE_CLIENTS) throw new HttpError(503, `too many open event streams (MAX_SSE_CLIENTS = ${MAX_SSE_CLIENTS})`)
    const s = new SseStream(res)
    streams.add(s)
    s.onClose(() => streams.delete(s))
    return s
  }

  const topicMustExist = async (topic: string): Promise<void> => {
    const names = await admin.listTopics({ includeInternals: false })
    if (!names.includes(topic)) throw new HttpError(404, `no topic '${topic}'`)
  }

  const routes: Array<[string, RegExp, Route]> = [
    ['GET', /^\/api\/overview$/, async (_req, res) => json(res, 200, { ...await view.overview(), bootstrapServers: bootstrap })],
    ['GET', /^\/api\/topics$/, async (_req, res) => json(res, 200, await view.topics())],
    ['POST', /^\/api\/topics$/, async (req, res) => {
      const body = await readJson(req)
      const name = body.name
      if (typeof name !== 'string' || name === '') throw new HttpError(400, 'name is required')
      const partitions = optionalInt(body.partitions, 'partitions')
      const replicationFactor = optionalInt(body.replicationFactor, 'replicationFactor')
      const configs: Record<string, string> = {}
      if (body.configs !== undefined && body.configs !== null) {
        if (typeof body.configs !== 'object' || Array.isArray(body.configs)) throw new HttpError(400, 'configs must be an object of strings')
        for (const [k, v] of Object.entries(body.configs as Record<string, unknown>)) {
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new HttpError(400, `config ${k} must be a string`)
          configs[k] = String(v)
        }
      }
      await view.createTopic({ name, ...(partitions !== undefined ? { partitions } : {}), ...(replicationFactor !== undefined ? { replicationFactor } : {}), configs })
      logger.info({ topic: name }, 'topic created from the console')
      json(res, 201, { name })
    }],
    ['GET', /^\/api\/topics\/([^/]+)$/, async (_req, res, [topic]) => {
      const t = await view.topic(topic as string)
      if (t === undefined) throw new HttpError(404, `no topic '${topic}'`)
      json(res, 200, t)
    }],
    ['DELETE', /^\/api\/topics\/([^/]+)$/, async (_req, res, [topic]) => {
      await topicMustExist(topic as string)
      await view.deleteTopic(topic as string)
      logger.info({ topic }, 'topic deleted from the console')
      json(res, 200, { deleted: topic })
    }],
    ['GET', /^\/api\/topics\/([^/]+)\/messages$/, async (_req, res, [topic], q) => {
      const partition = optionalInt(q.get('partition') ?? undefined, 'partition')
      const limit = optionalInt(q.get('limit') ?? undefined, 'limit') ?? 50
      const order = q.get('order') === 'oldest' ? 'oldest' : 'newest'
      const filter = parseMessageFilter(q)
      const r = await reader.browse(topic as string, { filter, limit: Math.min(limit, MAX_BROWSE_LIMIT), order, ...(partition !== undefined ? { partition } : {}) })
      json(res, 200, r)
    }],
    ['POST', /^\/api\/topics\/([^/]+)\/messages$/, async (req, res, [topic]) => {
      const body = await readJson(req)
      await topicMustExist(topic as string)
      const partition = optionalInt(body.partition, 'partition')
      const headers = new Map<Buffer, Buffer>()
      if (body.headers !== undefined && body.headers !== null) {
        if (typeof body.headers !== 'object' || Array.isArray(body.headers)) throw new HttpError(400, 'headers must be an object of strings')
        for (const [k, v] of Object.entries(body.headers as Record<string, unknown>)) headers.set(Buffer.from(k), Buffer.from(String(v)))
      }
      const result = await producer.send({
        messages: [{
          topic: topic as string,
          key: bytesOf(body.key, body.keyEncoding, 'key'),
          value: bytesOf(body.value, body.valueEncoding, 'value'),
          ...(partition !== undefined ? { partition } : {}),
          ...(headers.size > 0 ? { headers } : {}),
        }],
      })
      const o = result.offsets?.[0]
      json(res, 201, { topic, partition: o?.partition ?? partition ?? null, offset: o === undefined ? null : Number(o.offset) })
    }],
    ['GET', /^\/api\/topics\/([^/]+)\/tail$/, async (_req, res, [topic], q) => {
      const filter = parseMessageFilter(q)
      await topicMustExist(topic as string)
      const stream = openStream(res)
      const unsubscribe = tail.subscribe(topic as string, {
        filter,
        onMessages: messages => { stream.send('messages', messages) },
        onError: message => { stream.send('tail-error', { message }); stream.close() },
        onReady: () => { stream.send('ready', { topic }) },
      })
      stream.onClose(unsubscribe)
    }],
    ['GET', /^\/api\/groups$/, async (_req, res) => json(res, 200, await view.groups())],
    ['GET', /^\/api\/groups\/([^/]+)$/, async (_req, res, [group]) => {
      const g = await view.group(group as string)
      if (g === undefined) throw new HttpError(404, `no group '${group}'`)
      json(res, 200, g)
    }],
    ['GET', /^\/api\/stats$/, async (_req, res) => json(res, 200, sampler.snapshot())],
    ['GET', /^\/api\/stats\/stream$/, async (_req, res) => { sampler.attach(openStream(res)) }],
  ]

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid')
    const path = url.pathname
    if (!path.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return }
      if (assets.missing) { notBuilt(res, assets.dir); return }
      if (!assets.serve(req, res, path)) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    let params: string[] | null = null
    let route: Route | undefined
    let pathMatched = false
    for (const [method, pattern, fn] of routes) {
      const m = pattern.exec(path)
      if (m === null) continue
      pathMatched = true
      if (method !== req.method) continue
      try {
        params = m.slice(1).map(s => decodeURIComponent(s))
      } catch {
        json(res, 400, { error: 'malformed path' })
        return
      }
      route = fn
      break
    }
    if (route === undefined || params === null) {
      json(res, pathMatched ? 405 : 404, { error: pathMatched ? `${req.method ?? ''} not allowed here` : 'no such API' })
      return
    }
    if (req.method !== 'GET' && !sameOrigin(req)) {
      json(res, 403, { error: 'cross-origin request refused' })
      return
    }
    route(req, res, params, url.searchParams).catch((err: unknown) => {
      const { status, body } = describeError(err)
      if (status >= 500) logger.warn({ err, path }, 'console request failed')
      if (res.headersSent) { res.end(); return }
      json(res, status, body)
    })
  })

  const host = options.host ?? 'localhost'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: host === '' ? undefined : host, port: options.port ?? DEFAULT_CONSOLE_PORT }, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : (options.port ?? DEFAULT_CONSOLE_PORT)
  const shownHost = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    assetsMissing: assets.missing,
    close: () => {
      closing ??= (async () => {
        for (const s of streams) s.close()
        await sampler.close()
        await tail.close()
        await new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() })
        await Promise.allSettled([readConsumer.close(true), tailConsumer.close(true), producer.close(), admin.close()])
      })()
      return closing
    },
  }
}

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)) })
  res.end(text)
}

function notBuilt (res: ServerResponse, dir: string): void {
  res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' })
  res.end(`<!doctype html><meta charset="utf-8"><title>samsa console</title><h1>The console page is not built</h1>
<p>No <code>index.html</code> in <code>${escapeHtml(dir)}</code>. Build it with <code>npm run build:console</code>
(<code>npm install</code> does so too). The JSON API under <code>/api/</code> works meanwhile.</p>\n`)
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`)
}

/** Requests that change things: the browser's Origin, when it sends one, must be this server. */
function sameOrigin (req: IncomingMessage): boolean {
  const type = req.headers['content-type'] ?? ''
  if (req.method === 'POST' && !type.startsWith('application/json')) return false
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes (MAX_BODY_BYTES)`)
    chunks.push(chunk)
  }
  let v: unknown
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'the body is not JSON')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object')
  return v as Record<string, unknown>
}

function optionalInt (v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new HttpError(400, `${name} must be an integer`)
  return n
}

function bytesOf (v: unknown, encoding: unknown, name: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new HttpError(400, `${name} must be a string or null`)
  if (encoding === 'base64') return Buffer.from(v, 'base64')
  return Buffer.from(v, 'utf8')
}

/** Kafka error names carried by a @platformatic/kafka error (itself or the errors it aggregates). */
function kafkaErrorIds (err: unknown, depth = 0): string[] {
  if (typeof err !== 'object' || err === null || depth > 4) return []
  const out: string[] = []
  const e = err as { apiId?: unknown, errors?: unknown, cause?: unknown }
  if (typeof e.apiId === 'string') out.push(e.apiId)
  if (Array.isArray(e.errors)) for (const x of e.errors) out.push(...kafkaErrorIds(x, depth + 1))
  if (e.cause !== undefined) out.push(...kafkaErrorIds(e.cause, depth + 1))
  return [...new Set(out)]
}

function describeError (err: unknown): { status: number, body: { error: string, kafkaErrors?: string[] } } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message } }
  if (err instanceof UnknownTopicError) return { status: 404, body: { error: err.message } }
  if (err instanceof RangeError) return { status: 400, body: { error: err.message } }
  const ids = kafkaErrorIds(err)
  const message = err instanceof Error ? err.message : String(err)
  if (ids.length > 0) {
    const status = ids.includes('TOPIC_ALREADY_EXISTS') ? 409 : ids.includes('UNKNOWN_TOPIC_OR_PARTITION') || ids.includes('GROUP_ID_NOT_FOUND') ? 404 : 400
    return { status, body: { error: `${ids.join(', ')}: ${message}`, kafkaErrors: ids } }
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT' || code === 'PLT_KFK_MULTIPLE') return { status: 502, body: { error: `cannot reach the cluster: ${message}` } }
  return { status: 500, body: { error: message } }
}
