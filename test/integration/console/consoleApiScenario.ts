// The console's JSON/SSE API against one cluster (samsa or Apache Kafka): topics (create with a
// config, list, describe, delete), produce, browse with filters, live tail, groups with lag,
// stats stream, and the refusals (duplicate topic, cross-origin and non-JSON writes, unknown
// topic). The same steps run against both brokers, so a difference is samsa's.

import assert from 'node:assert/strict'
import { Admin } from '@platformatic/kafka'
import { startConsole } from '../../../src/console/server.ts'
import { testLogger } from '../../helpers/broker.ts'
import { api, eventually, openEvents } from './consoleSupport.ts'

interface Msg { topic: string, partition: number, offset: number, timestamp: number, key: string | null, value: string | null, headers: Array<[string, string | null]> }

export async function consoleApiScenario (t: { after: (fn: () => Promise<void>) => void }, bootstrap: string): Promise<void> {
  const console = await startConsole({ bootstrapServers: bootstrap, port: 0, host: '127.0.0.1', logger: testLogger() })
  t.after(() => console.close())
  const base = console.url
  const admin = new Admin({ clientId: 'console-test', bootstrapBrokers: [bootstrap] })
  t.after(() => admin.close())

  const overview = await api<{ clusterId: string, brokers: unknown[] }>(base, 'GET', '/api/overview')
  assert.equal(overview.status, 200)
  assert.equal(typeof overview.body.clusterId, 'string')
  assert.equal(overview.body.brokers.length, 1)

  // Topics: create with a config, refuse a duplicate, list, describe.
  const topic = 'console-a'
  const created = await api(base, 'POST', '/api/topics', { name: topic, partitions: 3, configs: { 'retention.ms': '3600000' } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const again = await api<{ kafkaErrors: string[] }>(base, 'POST', '/api/topics', { name: topic, partitions: 1 })
  assert.equal(again.status, 409)
  assert.deepEqual(again.body.kafkaErrors, ['TOPIC_ALREADY_EXISTS'])
  assert.equal((await api(base, 'POST', '/api/topics', { partitions: 1 })).status, 400)

  const listed = await eventually('the new topic listed with its 3 partitions', async () => {
    const r = await api<Array<{ name: string, partitions: number, messages: number, internal: boolean }>>(base, 'GET', '/api/topics')
    return r.body.find(x => x.name === topic && x.partitions === 3)
  })
  assert.equal(listed.messages, 0)
  assert.equal(listed.internal, false)
  const detail = await api<{ partitions: Array<{ partition: number, leader: number, highWatermark: number }>, configs: Array<{ name: string, value: string, source: string, isDefault: boolean }> }>(base, 'GET', `/api/topics/${topic}`)
  assert.equal(detail.status, 200)
  assert.deepEqual(detail.body.partitions.map(p => p.partition), [0, 1, 2])
  const retention = detail.body.configs.find(c => c.name === 'retention.ms')
  assert.equal(retention?.value, '3600000')
  assert.equal(retention?.source, 'DYNAMIC_TOPIC_CONFIG')
  assert.equal(retention?.isDefault, false)
  assert.equal((await api(base, 'GET', '/api/topics/no-such-topic')).status, 404)

  // Live tail with a value filter: only the matching record arrives.
  const tail = await openEvents(base, `/api/topics/${topic}/tail?value=HELLO`)
  try {
    await tail.waitFor('the tail ready event', e => e.event === 'ready')
    const p1 = await api<{ partition: number, offset: number }>(base, 'POST', `/api/topics/${topic}/messages`, { key: 'k1', value: 'hello world', partition: 1, headers: { source: 'test' } })
    assert.equal(p1.status, 201, JSON.stringify(p1.body))
    assert.deepEqual(p1.body, { topic, partition: 1, offset: 0 })
    assert.equal((await api(base, 'POST', `/api/topics/${topic}/messages`, { value: 'other', partition: 2 })).status, 201)
    const got = await tail.waitFor('the produced record on the tail', e => e.event === 'messages')
    const msgs = got.data as Msg[]
    assert.deepEqual(msgs.map(m => [m.partition, m.offset, m.key, m.value]), [[1, 0, 'k1', 'hello world']])
    assert.deepEqual(msgs[0]?.headers, [['source', 'test']])
  } finally {
    tail.close()
  }

  // Browse: filters on key and value text (case-insensitive) and time.
  const byValue = await api<{ messages: Msg[], complete: boolean }>(base, 'GET', `/api/topics/${topic}/messages?value=hello`)
  assert.equal(byValue.status, 200)
  assert.deepEqual(byValue.body.messages.map(m => [m.partition, m.offset, m.key, m.value]), [[1, 0, 'k1', 'hello world']])
  assert.equal(byValue.body.complete, true)
  const byKey = await api<{ messages: Msg[] }>(base, 'GET', `/api/topics/${topic}/messages?key=K1`)
  assert.equal(byKey.body.messages.length, 1)
  const future = Date.now() + 3_600_000
  assert.equal((await api<{ messages: Msg[] }>(base, 'GET', `/api/topics/${topic}/messages?from=${future}`)).body.messages.length, 0)
  const past = await api<{ messages: Msg[] }>(base, 'GET', `/api/topics/${topic}/messages?to=${new Date(future).toISOString()}`)
  assert.equal(past.body.messages.length, 2)
  assert.equal((await api(base, 'GET', `/api/topics/${topic}/messages?from=yesterday`)).status, 400)

  // Newest first with a limit, and oldest first.
  for (let i = 0; i < 30; i++) assert.equal((await api(base, 'POST', `/api/topics/${topic}/messages`, { value: `n${i}`, partition: 0 })).status, 201)
  const newest = await api<{ messages: Msg[] }>(base, 'GET', `/api/topics/${topic}/messages?partition=0&limit=10`)
  assert.deepEqual(newest.body.messages.map(m => m.value), Array.from({ length: 10 }, (_, i) => `n${29 - i}`))
  const oldest = await api<{ messages: Msg[] }>(base, 'GET', `/api/topics/${topic}/messages?partition=0&limit=3&order=oldest`)
  assert.deepEqual(oldest.body.messages.map(m => m.value), ['n0', 'n1', 'n2'])
  assert.equal((await api(base, 'GET', '/api/topics/no-such-topic/messages')).status, 404)
  assert.equal((await api(base, 'POST', '/api/topics/no-such-topic/messages', { value: 'x' })).status, 404)

  // Groups: a committed offset gives a lag of high watermark minus commit.
  await admin.alterConsumerGroupOffsets({ groupId: 'console-g', topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 25n }] }] })
  const groups = await eventually('the group listed', async () => {
    const r = await api<Array<{ groupId: string, lag: number }>>(base, 'GET', '/api/groups')
    return r.body.find(g => g.groupId === 'console-g')
  })
  assert.equal(groups.lag, 5)
  const g = await api<{ partitions: Array<{ topic: string, partition: number, committedOffset: number, highWatermark: number, lag: number }> }>(base, 'GET', '/api/groups/console-g')
  assert.equal(g.status, 200)
  assert.deepEqual(g.body.partitions.map(p => [p.topic, p.partition, p.committedOffset, p.highWatermark, p.lag]), [[topic, 0, 25, 30, 5]])
  assert.equal((await api(base, 'GET', '/api/groups/no-such-group')).status, 404)

  // Stats: a snapshot, then rates that name the topic, and lag points naming the group.
  const stats = await openEvents(base, '/api/stats/stream')
  try {
    await stats.waitFor('the stats snapshot', e => e.event === 'snapshot')
    await stats.waitFor('a rates point naming the topic', e => e.event === 'rates' && topic in ((e.data as { topics: Record<string, unknown> }).topics))
    await stats.waitFor('a lag point naming the group', e => e.event === 'lag' && (e.data as { groups: Record<string, number> }).groups['console-g'] === 5)
  } finally {
    stats.close()
  }

  // Refusals: writes from another origin or not as JSON.
  assert.equal((await api(base, 'POST', '/api/topics', { name: 'evil' }, { origin: 'http://evil.invalid' })).status, 403)
  assert.equal((await api(base, 'POST', '/api/topics', JSON.stringify({ name: 'evil' }), { 'content-type': 'text/plain' })).status, 403)
  assert.equal((await api(base, 'DELETE', `/api/topics/${topic}`, undefined, { origin: 'http://evil.invalid' })).status, 403)
  assert.equal((await api(base, 'GET', '/api/nothing')).status, 404)
  assert.equal((await api(base, 'PUT', '/api/topics')).status, 405)

  // Delete: gone from the API (Kafka removes a topic asynchronously, hence the wait).
  const deleted = await api(base, 'DELETE', `/api/topics/${topic}`)
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
  await eventually('the deleted topic answering 404', async () => (await api(base, 'GET', `/api/topics/${topic}`)).status === 404 ? true : undefined)
}
