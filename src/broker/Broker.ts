// One samsa broker: its configuration, metadata, logs and listeners, wired together.
// startBroker() (src/index.ts) and `samsa broker` (src/cli/broker.ts) both create one of these.

import { mkdirSync } from 'node:fs'
import { BrokerConfig, parseListeners } from '../config/BrokerConfig.ts'
import { CoordinatorPartitionLog } from '../group/CoordinatorPartitionLog.ts'
import { GROUP_METADATA_TOPIC_NAME } from '../group/CoordinatorLog.ts'
import { GroupCoordinator } from '../group/GroupCoordinator.ts'
import { groupCoordinatorConfig } from '../group/GroupCoordinatorConfig.ts'
import { type Logger, nullLogger } from '../Logger.ts'
import { BrokerMetrics } from '../metrics/BrokerMetrics.ts'
import { MetricsServer } from '../metrics/MetricsServer.ts'
import { ProducerIdManager } from '../txn/ProducerIdManager.ts'
import { Controller } from './Controller.ts'
import { allHandlers } from './apiRegistry.ts'
import { MetadataCache } from './MetadataCache.ts'
import { ReplicaManager } from './ReplicaManager.ts'
import { RequestChannel } from './RequestChannel.ts'
import { type BoundListener, SocketServer } from './SocketServer.ts'

export interface BrokerOptions {
  /** Broker configs by Kafka's names, e.g. { 'num.partitions': 3, listeners: 'PLAINTEXT://127.0.0.1:0' }. */
  readonly config?: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>
  readonly logger?: Logger
}

export interface Endpoint { readonly host: string, readonly port: number }

export class Broker {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly nodeId: number
  readonly metadata: MetadataCache
  /** Every change to topics and their configs goes through here, one at a time. */
  readonly controller: Controller
  readonly requestChannel: RequestChannel
  /** The partitions' logs: appends, reads, long polls, fetch sessions. */
  readonly replicaManager: ReplicaManager
  readonly producerIdManager: ProducerIdManager
  /** Classic consumer groups and committed offsets, kept in __consumer_offsets. */
  readonly groupCoordinator: GroupCoordinator
  /** Request, topic, log and group metrics under Kafka's names, served at /metrics (samsa.metrics.port). */
  readonly metrics: BrokerMetrics
  private readonly socketServer: SocketServer
  private metricsServer: MetricsServer | null = null
  private console: { url: string, close: () => Promise<void> } | null = null
  private bound: BoundListener[] = []
  private closing: Promise<void> | undefined

  /** Validates the configuration and loads state; nothing listens until start(). */
  constructor (options: BrokerOptions = {}) {
    this.config = options.config instanceof BrokerConfig ? options.config : new BrokerConfig(options.config ?? {})
    this.logger = options.logger ?? nullLogger
    this.nodeId = this.config.int('node.id')
    for (const dir of this.config.logDirs()) mkdirSync(dir, { recursive: true })
    this.metadata = new MetadataCache(this.config.logDirs()[0] as string, this.config.get('cluster.id') as string | undefined ?? undefined)
    this.controller = new Controller(this)
    this.requestChannel = new RequestChannel(this.config.int('queued.max.requests'))
    this.replicaManager = new ReplicaManager(this.config, this.metadata, this.logger)
    this.producerIdManager = new ProducerIdManager(this.config.logDirs()[0] as string)
    this.groupCoordinator = new GroupCoordinator({
      config: groupCoordinatorConfig(this.config, this.metadata.topic(GROUP_METADATA_TOPIC_NAME)?.partitions),
      log: new CoordinatorPartitionLog(this),
      logger: this.logger,
    })
    this.socketServer = new SocketServer(this, this.config, this.logger)
    this.metrics = new BrokerMetrics(allHandlers().map(h => ({ key: h.api.key, name: h.api.name })))
    this.metrics.attach(this)
  }

  async start (): Promise<this> {
    await this.replicaManager.start()
    // Groups load in the background; until their partition is loaded they answer COORDINATOR_LOAD_IN_PROGRESS.
    this.groupCoordinator.startup().catch((err: unknown) => this.logger.error({ err }, 'group coordinator failed to start'))
    this.bound = await this.socketServer.listen(parseListeners(this.config.list('listeners')))
    for (const l of this.bound) this.logger.info({ listener: l.name, host: l.host, port: l.boundPort }, 'listening')
    try {
      const metricsPort = this.config.int('samsa.metrics.port')
      if (metricsPort >= 0) {
        const server = new MetricsServer(this.metrics.registry, this.logger)
        this.metricsServer = server
        await server.listen(this.bound[0]?.host ?? '', metricsPort)
        this.logger.info({ host: this.advertised.host, port: server.port }, 'metrics at /metrics')
      }
      const consolePort = this.config.int('samsa.console.port')
      if (consolePort >= 0) {
        // Loaded only when asked for: the console is a Kafka client of this broker, as `samsa console` is.
        const { startConsole } = await import('../console/server.ts')
        const adv = this.advertised
        this.console = await startConsole({ bootstrapServers: `${adv.host}:${adv.port}`, host: this.bound[0]?.host ?? '', port: consolePort, logger: this.logger })
        this.logger.info({ url: this.console.url }, 'web console')
      }
    } catch (err) {
      await this.close() // a port in use: stop what started rather than leave a half-open broker
      throw err
    }
    return this
  }

  /** The bound port of /metrics, or -1 when samsa.metrics.port is -1. */
  get metricsPort (): number { return this.metricsServer?.port ?? -1 }

  /** The web console's address, or null when samsa.console.port is -1. */
  get consoleUrl (): string | null { return this.console?.url ?? null }

  /** The first listener's bound address. */
  get host (): string { return (this.bound[0]?.host ?? '') === '' ? '0.0.0.0' : (this.bound[0] as BoundListener).host }
  get port (): number { return this.bound[0]?.boundPort ?? -1 }

  /** The address clients are told to connect to (advertised.listeners, else the bound listener). */
  get advertised (): Endpoint {
    const adv = this.config.get('advertised.listeners') as readonly string[] | null
    if (adv !== null && adv.length > 0) {
      const a = parseListeners(adv, 'advertised.listeners')[0] as { host: string, port: number }
      return { host: a.host, port: a.port === 0 ? this.port : a.port }
    }
    const host = this.bound[0]?.host ?? 'localhost'
    return { host: host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host, port: this.port }
  }

  get connectionCount (): number { return this.socketServer.connections.size }

  close (): Promise<void> {
    this.closing ??= (async () => {
      await this.console?.close()
      await this.metricsServer?.close()
      await this.groupCoordinator.close()
      await this.socketServer.close()
      await this.replicaManager.close()
      this.logger.info({}, 'broker stopped')
    })()
    return this.closing
  }

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }
}
