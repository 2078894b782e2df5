// kafkajs 2.2.4 (a devDependency) consuming with a group against samsa: two consumers split the
// partitions and rebalance when the second joins, commit, and a later consumer of the group resumes
// where they stopped; kafkajs' admin sees the group and its offsets.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kafka, logLevel, type Consumer, type EachMessagePayload, type Producer, type Admin } from 'kafkajs'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, eventually } from './support.ts'

const TOPIC = 'printouts'
const GROUP = 'printers'

interface Tracked { consumer: Consumer, seen: string[], assigned: number[] | null }

async function startConsumer (kafka: Kafka): Promise<Tracked> {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 })
  const t: Tracked = { consumer, seen: [], assigned: null }
  consumer.on(consumer.events.GROUP_JOIN, e => {
    t.assigned = (e.payload.memberAssignment[TOPIC] ?? []).slice().sort((a, b) => a - b)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  await consumer.run({ eachMessage: async ({ message }: EachMessagePayload) => { t.seen.push(message.value?.toString() ?? '') } })
  return t
}

test('kafkajs consumers share a group: split, rebalance, commit and resume', async t => {
  // Registered before the broker's own clean-up, so the clients stop while it still runs.
  const consumers: Consumer[] = []
  const producers: Producer[] = []
  const admins: Admin[] = []
  t.after(async () => {
    for (const c of [...consumers, ...producers, ...admins]) await c.disconnect().catch(() => {})
  })
  const { broker, bootstrap } = await startTestBroker(t)
  await createTopic(broker, TOPIC, 4)
  const kafka = new Kafka({ clientId: 'samsa-group-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } })
  const producer = kafka.producer()
  producers.push(producer)
  await producer.connect()
  const send = async (from: number, to: number): Promise<void> => {
    for (let p = 0; p < 4; p++) {
      const messages = []
      for (let i = from; i < to; i++) if (i % 4 === p) messages.push({ value: `m${i}` })
      await producer.send({ topic: TOPIC, messages: messages.map(m => ({ ...m, partition: p })) })
    }
  }
  const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`)

  await send(0, 40)
  const a = await startConsumer(kafka)
  consumers.push(a.consumer)
  const t0 = Date.now()
  const mark = (what: string): void => { if (process.env.SAMSA_TEST_LOG !== undefined) console.error(`${Date.now() - t0} ms: ${what}`) }
  await eventually('consumer A reads the first 40 messages', async () => a.seen.length >= 40 ? true : undefined)
  assert.deepEqual(a.assigned, [0, 1, 2, 3])
  mark('A read 40')
  const admin = kafka.admin()
  admins.push(admin)
  await admin.connect()
  const committed = async (): Promise<string[]> => {
    const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
    return (offsets[0]?.partitions ?? []).map(p => `${p.partition}:${p.offset}`).sort()
  }
  // kafkajs commits after each batch: wait for it, so B starts where A stopped.
  await eventually('A commits what it read', async () => (await committed()).join() === '0:10,1:10,2:10,3:10' ? true : undefined)

  const b = await startConsumer(kafka)
  consumers.push(b.consumer)
  await eventually('the group rebalances over A and B', async () => {
    if (a.assigned === null || b.assigned === null || b.assigned.length === 0 || a.assigned.length === 0) return undefined
    return a.assigned.length + b.assigned.length === 4 ? true : undefined
  })
  assert.deepEqual([...a.assigned ?? [], ...b.assigned ?? []].sort(), [0, 1, 2, 3], 'each partition has one owner')
  mark('rebalanced')
  await send(40, 80)
  await eventually('A and B read the next 40 messages between them', async () => {
    const after = [...a.seen, ...b.seen].filter(v => Number(v.slice(1)) >= 40)
    return after.length >= 40 ? after : undefined
  })
  const later = [...a.seen, ...b.seen].filter(v => Number(v.slice(1)) >= 40).sort()
  assert.deepEqual(later, range(40, 80).sort(), 'each new message read once, by the owner of its partition')
  assert.ok(b.seen.length > 0 && b.seen.every(v => Number(v.slice(1)) >= 40), 'B only read what came after it joined')

  mark('A and B read 40')
  // Both leave (committing); a new consumer of the group resumes after what they read.
  await a.consumer.disconnect()
  await b.consumer.disconnect()
  assert.deepEqual(await committed(), ['0:20', '1:20', '2:20', '3:20'])
  const described = await admin.describeGroups([GROUP])
  assert.equal(described.groups[0]?.state, 'Empty')
  const listed = await admin.listGroups()
  assert.deepEqual(listed.groups.map(g => [g.groupId, g.protocolType]), [[GROUP, 'consumer']])
  mark('admin checked')
  await send(80, 88)
  const c = await startConsumer(kafka)
  consumers.push(c.consumer)
  await eventually('consumer C reads the 8 new messages', async () => c.seen.length >= 8 ? true : undefined)
  assert.deepEqual(c.seen.slice().sort(), range(80, 88).sort(), 'nothing committed is read again')
})
