// The HTTP endpoint Prometheus scrapes: GET /metrics answers the registry in the text exposition
// format (0.0.4). Started by the broker when samsa.metrics.port is not -1 (0 picks a free port),
// stopped with it. Scrapes that arrive while one is being rendered share its text, so a burst of
// scrapers costs one render.

import { createServer, type Server } from 'node:http'
import type { Logger } from '../Logger.ts'
import type { MetricsRegistry } from './MetricsRegistry.ts'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export class MetricsServer {
  private readonly server: Server
  private readonly registry: MetricsRegistry
  private readonly logger: Logger
  private rendering: Promise<string> | null = null
  port = -1

  constructor (registry: MetricsRegistry, logger: Logger) {
    this.registry = registry
    this.logger = logger
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n')
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end()
        return
      }
      this.render().then(text => {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : text)
      }, (err: unknown) => {
        this.logger.error({ err }, 'metrics could not be rendered')
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be rendered\n')
      })
    })
    // Scrapers keep connections open; a stopping broker must not wait for them.
    this.server.keepAliveTimeout = 5_000
  }

  private render (): Promise<string> {
    this.rendering ??= this.registry.render().finally(() => { this.rendering = null })
    return this.rendering
  }

  async listen (host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({ host: host === '' ? undefined : host, port }, () => { this.server.off('error', reject); resolve() })
    })
    const addr = this.server.address()
    this.port = typeof addr === 'object' && addr !== null ? addr.port : port
    return this.port
  }

  close (): Promise<void> {
    return new Promise(resolve => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }
}
