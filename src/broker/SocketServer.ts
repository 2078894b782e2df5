// Listens on the configured listeners and admits connections within max.connections and
// max.connections.per.ip; each admitted socket becomes a Connection. socket.send.buffer.bytes and
// socket.receive.buffer.bytes are accepted for compatibility; Node sizes socket buffers itself.

import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../Logger.ts'
import type { BrokerConfig, Listener } from '../config/BrokerConfig.ts'
import type { Broker } from './Broker.ts'
import { Connection } from './Connection.ts'

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one when that was 0). */
  readonly boundPort: number
}

export class SocketServer {
  private readonly servers: Server[] = []
  readonly connections = new Set<Connection>()
  private readonly perIp = new Map<string, number>()
  private readonly broker: Broker
  private readonly config: BrokerConfig
  private readonly logger: Logger

  constructor (broker: Broker, config: BrokerConfig, logger: Logger) {
    this.broker = broker
    this.config = config
    this.logger = logger
  }

  async listen (listeners: readonly Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = []
    for (const l of listeners) {
      const server = createServer({ noDelay: true, pauseOnConnect: false }, socket => this.accept(socket))
      server.on('error', err => this.logger.error({ err, listener: l.name }, 'listener error'))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host: l.host === '' ? undefined : l.host, port: l.port }, () => { server.off('error', reject); resolve() })
      })
      const addr = server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : l.port
      this.servers.push(server)
      bound.push({ ...l, boundPort: port })
    }
    return bound
  }

  private accept (socket: Socket): void {
    const ip = socket.remoteAddress ?? '?'
    const n = this.perIp.get(ip) ?? 0
    if (this.connections.size >= this.config.int('max.connections') || n >= this.config.int('max.connections.per.ip')) {
      this.logger.warn({ ip, open: this.connections.size }, 'connection refused: max.connections or max.connections.per.ip reached')
      socket.destroy()
      return
    }
    this.perIp.set(ip, n + 1)
    const conn = new Connection(socket, this.broker, {
      maxRequestBytes: this.config.int('socket.request.max.bytes'),
      idleMs: this.config.longNumber('connections.max.idle.ms'),
    }, this.logger)
    this.connections.add(conn)
    socket.on('close', () => {
      this.connections.delete(conn)
      const left = (this.perIp.get(ip) ?? 1) - 1
      if (left <= 0) this.perIp.delete(ip)
      else this.perIp.set(ip, left)
    })
  }

  /** Stops accepting and closes every connection. */
  async close (): Promise<void> {
    const closing = this.servers.map(s => new Promise<void>(resolve => s.close(() => resolve())))
    for (const c of this.connections) c.close()
    await Promise.all(closing)
  }
}
