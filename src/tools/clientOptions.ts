// Client settings for every tool: where the brokers are and the client properties given with
// `-X key=value`, under the names Kafka's clients use (client.id, request.timeout.ms, sasl.mechanism,
// fetch.max.wait.ms ...), turned into @platformatic/kafka's options. A property not in the table
// is refused (the CLI reports it as a usage error), so a typo never passes silently.

import { readFileSync } from 'node:fs'
import type { BaseOptions, ConsumerOptions, ProducerOptions, SASLOptions } from '@platformatic/kafka'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

/** How long connecting to a broker may take before a tool gives up (the CLI's --timeout). */
export const DEFAULT_TIMEOUT_MS = 10_000

export interface ClientConfig {
  /** host:port of one or more brokers */
  bootstrapServers: readonly string[]
  /** `-X` properties by Kafka's names */
  properties?: ReadonlyMap<string, string>
  /** connect and request deadline */
  timeoutMs?: number
}

type Target = 'base' | 'producer' | 'consumer'

interface PropertyDef {
  target: Target
  doc: string
  apply: (value: string, options: Record<string, unknown>) => void
}

function int (name: string, value: string, min = 0): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new ToolError(ToolErrorCodes.INVALID, `-X ${name}: expected an integer >= ${min}, got '${value}'`)
  }
  return Number(value)
}

function oneOf<T extends string> (name: string, value: string, allowed: readonly T[]): T {
  const v = value.toLowerCase()
  if (!(allowed as readonly string[]).includes(v)) throw new ToolError(ToolErrorCodes.INVALID, `-X ${name}: expected one of ${allowed.join(', ')}, got '${value}'`)
  return v as T
}

function sasl (options: Record<string, unknown>): Record<string, unknown> {
  const current = options.sasl as Record<string, unknown> | undefined
  if (current !== undefined) return current
  const created: Record<string, unknown> = { mechanism: 'PLAIN' }
  options.sasl = created
  return created
}

function tls (options: Record<string, unknown>): Record<string, unknown> {
  const current = options.tls as Record<string, unknown> | undefined
  if (current !== undefined) return current
  const created: Record<string, unknown> = {}
  options.tls = created
  return created
}

function readPem (name: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ToolError(ToolErrorCodes.INVALID, `-X ${name}: cannot read ${path}: ${(err as Error).message}`)
  }
}

/** The -X properties the tools understand, by Kafka's (or librdkafka's, for TLS files) names. */
export const CLIENT_PROPERTIES: Readonly<Record<string, PropertyDef>> = {
  'client.id': { target: 'base', doc: 'client id sent with every request', apply: (v, o) => { o.clientId = v } },
  'request.timeout.ms': { target: 'base', doc: 'how long a request may wait for its response', apply: (v, o) => { o.requestTimeout = int('request.timeout.ms', v, 1); o.timeout = o.requestTimeout } },
  'socket.connection.setup.timeout.ms': { target: 'base', doc: 'how long connecting may take', apply: (v, o) => { o.connectTimeout = int('socket.connection.setup.timeout.ms', v, 1) } },
  retries: { target: 'base', doc: 'retries of a failed request', apply: (v, o) => { o.retries = int('retries', v) } },
  'retry.backoff.ms': { target: 'base', doc: 'wait between retries', apply: (v, o) => { o.retryDelay = int('retry.backoff.ms', v) } },
  'metadata.max.age.ms': { target: 'base', doc: 'refresh metadata at least this often', apply: (v, o) => { o.metadataMaxAge = int('metadata.max.age.ms', v) } },
  'security.protocol': {
    target: 'base',
    doc: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
    apply: (v, o) => {
      const p = oneOf('security.protocol', v, ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const)
      if (p === 'ssl' || p === 'sasl_ssl') tls(o)
      if (p === 'sasl_plaintext' || p === 'sasl_ssl') sasl(o)
    },
  },
  'ssl.ca.location': { target: 'base', doc: 'PEM file of the CA that signed the brokers\' certificates', apply: (v, o) => { tls(o).ca = readPem('ssl.ca.location', v) } },
  'ssl.certificate.location': { target: 'base', doc: 'PEM client certificate', apply: (v, o) => { tls(o).cert = readPem('ssl.certificate.location', v) } },
  'ssl.key.location': { target: 'base', doc: 'PEM client key', apply: (v, o) => { tls(o).key = readPem('ssl.key.location', v) } },
  'enable.ssl.certificate.verification': { target: 'base', doc: 'false accepts any broker certificate', apply: (v, o) => { tls(o).rejectUnauthorized = oneOf('enable.ssl.certificate.verification', v, ['true', 'false'] as const) === 'true' } },
  'sasl.mechanism': {
    target: 'base',
    doc: 'PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER',
    apply: (v, o) => { sasl(o).mechanism = oneOf('sasl.mechanism', v, ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const).toUpperCase() },
  },
  'sasl.username': { target: 'base', doc: 'SASL user', apply: (v, o) => { sasl(o).username = v } },
  'sasl.password': { target: 'base', doc: 'SASL password', apply: (v, o) => { sasl(o).password = v } },
  'sasl.jaas.config': {
    target: 'base',
    doc: 'Java\'s form: ... username="u" password="p";',
    apply: (v, o) => {
      const user = /username="([^"]*)"/.exec(v)?.[1]
      const password = /password="([^"]*)"/.exec(v)?.[1]
      if (user === undefined || password === undefined) throw new ToolError(ToolErrorCodes.INVALID, '-X sasl.jaas.config: expected username="..." and password="..."')
      const s = sasl(o)
      s.username = user
      s.password = password
    },
  },
  acks: {
    target: 'producer',
    doc: 'all (-1), 1 or 0',
    apply: (v, o) => { o.acks = v === 'all' ? -1 : Number(oneOf('acks', v, ['-1', '0', '1'] as const)) },
  },
  'compression.type': {
    target: 'producer',
    doc: 'none, gzip, snappy, lz4 or zstd',
    apply: (v, o) => { o.compression = oneOf('compression.type', v, ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) },
  },
  'enable.idempotence': { target: 'producer', doc: 'true or false', apply: (v, o) => { o.idempotent = oneOf('enable.idempotence', v, ['true', 'false'] as const) === 'true' } },
  'fetch.max.wait.ms': { target: 'consumer', doc: 'how long the broker may hold a fetch for data', apply: (v, o) => { o.maxWaitTime = int('fetch.max.wait.ms', v) } },
  'fetch.min.bytes': { target: 'consumer', doc: 'bytes a fetch waits for', apply: (v, o) => { o.minBytes = int('fetch.min.bytes', v) } },
  'fetch.max.bytes': { target: 'consumer', doc: 'bytes per fetch response', apply: (v, o) => { o.maxBytes = int('fetch.max.bytes', v, 1) } },
  'max.partition.fetch.bytes': { target: 'consumer', doc: 'bytes per partition in a fetch', apply: (v, o) => { o.maxBytesPerPartition = int('max.partition.fetch.bytes', v, 1) } },
  'isolation.level': {
    target: 'consumer',
    doc: 'read_uncommitted or read_committed',
    apply: (v, o) => { o.isolationLevel = oneOf('isolation.level', v, ['read_uncommitted', 'read_committed'] as const) === 'read_committed' ? 1 : 0 },
  },
  'session.timeout.ms': { target: 'consumer', doc: 'group session timeout', apply: (v, o) => { o.sessionTimeout = int('session.timeout.ms', v, 1) } },
  'heartbeat.interval.ms': { target: 'consumer', doc: 'group heartbeat interval', apply: (v, o) => { o.heartbeatInterval = int('heartbeat.interval.ms', v, 1) } },
  'max.poll.interval.ms': { target: 'consumer', doc: 'group rebalance timeout', apply: (v, o) => { o.rebalanceTimeout = int('max.poll.interval.ms', v, 1) } },
  'group.instance.id': { target: 'consumer', doc: 'static membership id', apply: (v, o) => { o.groupInstanceId = v } },
}

/** Parses `key=value` strings (the repeated -X option); throws ToolError on a malformed or unknown one. */
export function parseClientProperties (pairs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new ToolError(ToolErrorCodes.INVALID, `-X expects key=value, got '${pair}'`)
    const key = pair.slice(0, eq).trim()
    if (!(key in CLIENT_PROPERTIES)) {
      throw new ToolError(ToolErrorCodes.INVALID, `-X ${key}: unknown client property (known: ${Object.keys(CLIENT_PROPERTIES).join(', ')})`)
    }
    out.set(key, pair.slice(eq + 1).trim())
  }
  return out
}

function apply (config: ClientConfig, targets: readonly Target[], options: Record<string, unknown>): void {
  for (const [key, value] of config.properties ?? []) {
    const def = CLIENT_PROPERTIES[key]
    if (def === undefined) throw new ToolError(ToolErrorCodes.INVALID, `-X ${key}: unknown client property`)
    if (targets.includes(def.target)) def.apply(value, options)
  }
}

/**
 * Options every client shares. Retries are few and short so that an unreachable broker is reported
 * within about the timeout rather than after minutes of silent retrying.
 */
export function baseOptions (config: ClientConfig, clientId: string): BaseOptions {
  const timeout = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const options: Record<string, unknown> = {
    clientId,
    bootstrapBrokers: [...config.bootstrapServers],
    connectTimeout: timeout,
    requestTimeout: Math.max(timeout, 30_000),
    timeout: Math.max(timeout, 30_000),
    retries: 3,
    retryDelay: 250,
  }
  apply(config, ['base'], options)
  if (options.sasl !== undefined && typeof (options.sasl as SASLOptions).mechanism !== 'string') throw new ToolError(ToolErrorCodes.INVALID, '-X sasl.mechanism is required')
  return options as unknown as BaseOptions
}

/** A producer's options: the shared ones plus -X acks, compression.type, enable.idempotence. */
export function producerOptions (config: ClientConfig, clientId: string): ProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  const options = { ...baseOptions(config, clientId) } as Record<string, unknown>
  apply(config, ['producer'], options)
  return options as unknown as ProducerOptions<Buffer, Buffer, Buffer, Buffer>
}

/** A consumer's options: the shared ones plus -X fetch and group settings. */
export function consumerOptions (config: ClientConfig, clientId: string, groupId: string): ConsumerOptions<Buffer, Buffer, Buffer, Buffer> {
  const options: Record<string, unknown> = {
    ...baseOptions(config, clientId),
    groupId,
    // Kafka's consumer defaults (platformatic reads committed by default; Kafka's console consumer does not).
    isolationLevel: 0,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 50 * 1024 * 1024,
    maxBytesPerPartition: 1024 * 1024,
    sessionTimeout: 45_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
  }
  apply(config, ['consumer'], options)
  return options as unknown as ConsumerOptions<Buffer, Buffer, Buffer, Buffer>
}
