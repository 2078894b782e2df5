// A long-running consumer-group member for the group interop tests: kafkajs 2.2 (classic groups),
// run as its own process (node kafkajs_member.ts '<json>') so a test can kill it with -9.
//
// Same argument and output as confluent_member.py. kafkajs ships only its RoundRobinAssigner,
// whose protocol name ('RoundRobinAssigner') no other client offers; to share a group with them
// this member registers the same round-robin logic under the standard name 'roundrobin' (the
// subscription and assignment bytes are the consumer protocol's v0, which every client reads).
// kafkajs has no revocation callback: a rebalance (REBALANCING) revokes everything, as the eager
// protocol does, and GROUP_JOIN carries the new assignment. "stop" on stdin disconnects (leaving
// the group) and exits.

import { createInterface } from 'node:readline'

interface Config { bootstrap: string, group: string, topic: string, sessionTimeoutMs?: number, clientId?: string, kafkajs: string }

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const { Kafka, logLevel, PartitionAssigners } = (await import(cfg.kafkajs)) as typeof import('kafkajs')

const out = (o: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...o, t: Date.now() }) + '\n') }

const roundRobin: typeof PartitionAssigners.roundRobin = (config) => {
  const base = PartitionAssigners.roundRobin(config)
  const named = { ...base, name: 'roundrobin' }
  return { ...named, assign: base.assign.bind(named), protocol: base.protocol.bind(named) }
}

const session = cfg.sessionTimeoutMs ?? 6000
const kafka = new Kafka({ clientId: cfg.clientId ?? 'member', brokers: [cfg.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } })
const consumer = kafka.consumer({
  groupId: cfg.group,
  sessionTimeout: session,
  heartbeatInterval: Math.max(100, Math.floor(session / 10)),
  rebalanceTimeout: 30_000,
  maxWaitTimeInMs: 100,
  partitionAssigners: [roundRobin],
})
let owned: number[] = []
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  owned = (e.payload.memberAssignment[cfg.topic] ?? []).slice().sort((a, b) => a - b)
  out({ ev: 'assigned', partitions: owned })
})
consumer.on(consumer.events.REBALANCING, () => {
  out({ ev: 'revoked', partitions: owned })
  owned = []
})
await consumer.connect()
await consumer.subscribe({ topics: [cfg.topic], fromBeginning: true })
out({ ev: 'ready' })
await consumer.run({
  autoCommit: true,
  autoCommitThreshold: 1,
  eachMessage: async ({ partition, message }) => {
    out({ ev: 'record', p: partition, o: Number(message.offset), v: message.value?.toString('utf8') ?? '' })
  },
})
const stop = async (): Promise<void> => {
  await consumer.disconnect()
  if (owned.length > 0) out({ ev: 'revoked', partitions: owned })
  out({ ev: 'closed' })
  process.exit(0)
}
createInterface({ input: process.stdin }).on('line', (line) => { if (line.trim() === 'stop') void stop() }).on('close', () => { void stop() })
