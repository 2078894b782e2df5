// DescribeConfigs over TCP: topic configs with their sources and synonyms as Kafka reports them,
// broker configs, key filters, per-version fields, errors; and (with the reference Kafka
// installed) the same answers as Apache Kafka 4.4 for every topic config samsa knows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { DescribeConfigs } from '../../../src/protocol/messages/index.ts'
import { TOPIC_CONFIGS } from '../../../src/config/TopicConfig.ts'
import { BROKER_CONFIGS } from '../../../src/config/BrokerConfig.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { createTopic } from './controllerSupport.ts'

const TOPIC = 2
const BROKER = 4
const Source = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 }

async function describe (client: KafkaTestClient, version: number, resources: Array<{ resourceType: number, resourceName: string, configurationKeys: string[] | null }>, includeSynonyms = true, includeDocumentation = true) {
  const res = await client.request(DescribeConfigs, version, {
    resources,
    ...(version >= 1 ? { includeSynonyms } : {}),
    ...(version >= 3 ? { includeDocumentation } : {}),
  })
  return res.results
}

async function topicConfigs (client: KafkaTestClient, topic: string, keys: string[] | null = null, version = 4) {
  const [r] = await describe(client, version, [{ resourceType: TOPIC, resourceName: topic, configurationKeys: keys }])
  assert.equal(r?.errorCode, 0, r?.errorMessage ?? '')
  return new Map(r.configs.map(c => [c.name, c]))
}

test('a topic reports every topic config: overrides as TOPIC_CONFIG, the rest as defaults, at every version 0-4', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'dc', configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact,delete' } })
  for (let v = 0; v <= 4; v++) {
    const configs = await topicConfigs(client, 'dc', null, v)
    assert.deepEqual([...configs.keys()].sort(), [...TOPIC_CONFIGS.entries.keys()].sort(), `v${v}`)
    const retention = configs.get('retention.ms')!
    const segment = configs.get('segment.ms')!
    assert.equal(retention.value, '1000')
    assert.equal(configs.get('cleanup.policy')!.value, 'compact,delete')
    assert.equal(segment.value, '604800000')
    assert.equal(configs.get('min.insync.replicas')!.value, '1')
    for (const c of configs.values()) assert.equal(c.readOnly, false)
    if (v === 0) {
      assert.equal(retention.isDefault, false)
      assert.equal(segment.isDefault, true)
    } else {
      assert.equal(retention.configSource, Source.TOPIC_CONFIG)
      assert.equal(segment.configSource, Source.DEFAULT_CONFIG)
      assert.deepEqual(retention.synonyms, [{ name: 'retention.ms', value: '1000', source: Source.TOPIC_CONFIG }])
      assert.deepEqual(configs.get('cleanup.policy')!.synonyms, [
        { name: 'cleanup.policy', value: 'compact,delete', source: Source.TOPIC_CONFIG },
        { name: 'log.cleanup.policy', value: 'delete', source: Source.DEFAULT_CONFIG },
      ])
      // Kafka lists no synonym for segment.ms: log.roll.ms is unset, log.roll.hours is dropped.
      assert.deepEqual(segment.synonyms, [])
    }
    assert.equal(retention.configType, v >= 3 ? 5 : 0, `v${v} type`)
    assert.equal(configs.get('cleanup.policy')!.configType, v >= 3 ? 7 : 0)
    if (v >= 3) assert.match(retention.documentation ?? '', /\w/, `v${v} documentation`)
  }
})

test('without include_synonyms / include_documentation there are none', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'dc', configs: { 'retention.ms': '1000' } })
  const [r] = await describe(client, 4, [{ resourceType: TOPIC, resourceName: 'dc', configurationKeys: ['retention.ms'] }], false, false)
  assert.deepEqual(r?.configs, [{ name: 'retention.ms', value: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [], configType: 5, documentation: null }])
})

test('broker synonyms follow Kafka: a static log.retention.ms is the source; a static log.retention.hours alone is not', async t => {
  const { broker } = await startTestBroker(t, { 'log.retention.ms': 3600000, 'log.segment.bytes': 2097152 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'dc' })
  const configs = await topicConfigs(client, 'dc')
  const retention = configs.get('retention.ms')!
  assert.equal(retention.value, '3600000')
  assert.equal(retention.configSource, Source.STATIC_BROKER_CONFIG)
  assert.deepEqual(retention.synonyms, [
    { name: 'log.retention.ms', value: '3600000', source: Source.STATIC_BROKER_CONFIG },
    { name: 'log.retention.hours', value: '168', source: Source.DEFAULT_CONFIG },
  ])
  assert.deepEqual(configs.get('segment.bytes')!.synonyms, [
    { name: 'log.segment.bytes', value: '2097152', source: Source.STATIC_BROKER_CONFIG },
    { name: 'log.segment.bytes', value: '1073741824', source: Source.DEFAULT_CONFIG },
  ])

  const hours = await startTestBroker(t, { 'log.retention.hours': 1 })
  await using c2 = await KafkaTestClient.connect('127.0.0.1', hours.broker.port)
  await createTopic(c2, { name: 'dc' })
  const r2 = (await topicConfigs(c2, 'dc', ['retention.ms'])).get('retention.ms')!
  assert.equal(r2.value, '3600000')
  assert.equal(r2.configSource, Source.DEFAULT_CONFIG)
  assert.deepEqual(r2.synonyms, [])
})

test('configuration keys filter the answer; unknown keys are skipped; an empty list means all', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'dc' })
  const some = await topicConfigs(client, 'dc', ['min.insync.replicas', 'retention.ms', 'nope', 'log.retention.ms'])
  assert.deepEqual([...some.keys()].sort(), ['min.insync.replicas', 'retention.ms'])
  const all = await topicConfigs(client, 'dc', [])
  assert.equal(all.size, TOPIC_CONFIGS.entries.size)
})

test('errors: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_REQUEST for other brokers and unknown resource types; others still answered', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'dc' })
  const rs = await describe(client, 2, [
    { resourceType: TOPIC, resourceName: 'nope', configurationKeys: null },
    { resourceType: TOPIC, resourceName: 'a b', configurationKeys: null },
    { resourceType: BROKER, resourceName: '2', configurationKeys: null },
    { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
    { resourceType: 9, resourceName: 'x', configurationKeys: null },
    { resourceType: TOPIC, resourceName: 'dc', configurationKeys: ['retention.ms'] },
  ])
  assert.deepEqual(rs.map(r => [r.resourceType, r.resourceName, r.errorCode, r.configs.length]), [
    [TOPIC, 'nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
    [TOPIC, 'a b', ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
    [BROKER, '2', ErrorCode.INVALID_REQUEST, 0],
    [BROKER, 'x', ErrorCode.INVALID_REQUEST, 0],
    [9, 'x', ErrorCode.INVALID_REQUEST, 0],
    [TOPIC, 'dc', 0, 1],
  ])
  assert.equal(rs[2]!.errorMessage, 'Unexpected broker id, expected 1 or empty string, but received 2')
  assert.equal(rs[3]!.errorMessage, 'Broker id must be an integer, but it is: x')
})

test('a BROKER resource lists the broker config table, read-only, static configs with their default as synonym; \'\' has no entries', async t => {
  const { broker } = await startTestBroker(t, { 'node.id': 3, 'num.partitions': 4 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const v of [1, 4]) {
    const [r, cluster] = await describe(client, v, [
      { resourceType: BROKER, resourceName: '3', configurationKeys: null },
      { resourceType: BROKER, resourceName: '', configurationKeys: null },
    ])
    assert.equal(r?.errorCode, 0)
    const configs = new Map(r.configs.map(c => [c.name, c]))
    assert.equal(configs.size, BROKER_CONFIGS.entries.size)
    for (const c of configs.values()) assert.equal(c.readOnly, true, c.name)
    const np = configs.get('num.partitions')!
    assert.equal(np.value, '4')
    assert.equal(np.configSource, Source.STATIC_BROKER_CONFIG)
    assert.deepEqual(np.synonyms, [
      { name: 'num.partitions', value: '4', source: Source.STATIC_BROKER_CONFIG },
      { name: 'num.partitions', value: '1', source: Source.DEFAULT_CONFIG },
    ])
    const mmb = configs.get('message.max.bytes')!
    assert.deepEqual([mmb.value, mmb.configSource], ['1048588', Source.DEFAULT_CONFIG])
    const lrm = configs.get('log.retention.ms')!
    assert.deepEqual([lrm.value, lrm.configSource, lrm.synonyms], [null, Source.DEFAULT_CONFIG, []])
    assert.deepEqual(configs.get('log.dirs')!.value, broker.config.logDirs().join(','))
    assert.equal(cluster?.errorCode, 0)
    assert.deepEqual(cluster?.configs, [])
  }
})

test('matches Apache Kafka 4.4 for every topic config samsa knows (values, sources, synonyms, types)', async t => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  // The same static broker settings on both sides, and the same topic overrides.
  const shared = { 'log.retention.ms': '7200000', 'log.segment.bytes': '2097152', 'log.cleanup.policy': 'delete' }
  const ref = await startReferenceKafka({ kafka, config: shared })
  t.after(() => ref.stop())
  const { broker } = await startTestBroker(t, shared)
  const overrides = { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000', 'retention.bytes': '123456789' }
  const answers = []
  for (const [host, port] of [['127.0.0.1', broker.port], [ref.host, ref.port]] as const) {
    await using client = await KafkaTestClient.connect(host, port)
    await createTopic(client, { name: 'compared', configs: overrides })
    answers.push(await topicConfigs(client, 'compared', [...TOPIC_CONFIGS.entries.keys()]))
  }
  const [samsa, apache] = answers as [Awaited<ReturnType<typeof topicConfigs>>, Awaited<ReturnType<typeof topicConfigs>>]
  for (const name of TOPIC_CONFIGS.entries.keys()) {
    const s = samsa.get(name)
    const k = apache.get(name)
    assert.ok(s !== undefined && k !== undefined, name)
    // KRaft sets min.insync.replicas as a cluster-wide dynamic default when it formats storage.
    if (name === 'min.insync.replicas') continue
    const view = (c: typeof s) => ({ value: c.value, source: c.configSource, synonyms: c.synonyms, type: c.configType, readOnly: c.readOnly, sensitive: c.isSensitive })
    assert.deepEqual(view(s), view(k), name)
  }
})
