// AlterConfigs (legacy) and IncrementalAlterConfigs over TCP: topic overrides replaced / SET /
// DELETE / APPEND / SUBTRACT, validate_only, each error code, broker resources refused, the
// logs reconfigured, and overrides surviving a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConfigValue } from '../../../src/config/ConfigDef.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { AlterConfigs, IncrementalAlterConfigs } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, RestartableBroker } from './controllerSupport.ts'
import { batchOf, produce } from './dataPathSupport.ts'

const TOPIC = 2
const BROKER = 4
const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

type Op = [name: string, op: number, value: string | null]

async function alter (client: KafkaTestClient, version: number, resources: Array<{ type?: number, name: string, configs: Record<string, string | null> }>, validateOnly = false) {
  const res = await client.request(AlterConfigs, version, {
    resources: resources.map(r => ({ resourceType: r.type ?? TOPIC, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
    validateOnly,
  })
  return res.responses.map(r => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage])
}

async function incremental (client: KafkaTestClient, version: number, resources: Array<{ type?: number, name: string, ops: Op[] }>, validateOnly = false) {
  const res = await client.request(IncrementalAlterConfigs, version, {
    resources: resources.map(r => ({ resourceType: r.type ?? TOPIC, resourceName: r.name, configs: r.ops.map(([name, configOperation, value]) => ({ name, configOperation, value })) })),
    validateOnly,
  })
  return res.responses.map(r => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage])
}

function overrides (m: ReadonlyMap<string, ConfigValue> | undefined): Record<string, unknown> {
  return Object.fromEntries([...(m ?? new Map<string, ConfigValue>())].map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]))
}

test('AlterConfigs replaces a topic\'s overrides at every version 0-2; validate_only changes nothing', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'ac', configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } })
  for (let v = 0; v <= 2; v++) {
    assert.deepEqual(await alter(client, v, [{ name: 'ac', configs: { 'segment.ms': String(5000 + v) } }]), [[TOPIC, 'ac', 0, null]])
    assert.deepEqual(overrides(broker.metadata.topic('ac')?.configs), { 'segment.ms': String(5000 + v) }, `v${v}`)
  }
  assert.deepEqual(await alter(client, 2, [{ name: 'ac', configs: { 'retention.ms': '9' } }], true), [[TOPIC, 'ac', 0, null]])
  assert.deepEqual(overrides(broker.metadata.topic('ac')?.configs), { 'segment.ms': '5002' })
  assert.deepEqual(await alter(client, 2, [{ name: 'ac', configs: {} }]), [[TOPIC, 'ac', 0, null]])
  assert.deepEqual(overrides(broker.metadata.topic('ac')?.configs), {})
})

test('AlterConfigs errors: unknown topic, invalid name, unknown key, bad value, null value, repeated resource', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'ac', configs: { 'retention.ms': '1000' } })
  assert.deepEqual(await alter(client, 1, [
    { name: 'nope', configs: { 'segment.ms': '1' } },
    { name: 'a b', configs: {} },
  ]), [
    [TOPIC, 'nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist."],
    [TOPIC, 'a b', ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is invalid: topic name may contain only ASCII letters, digits, ".", "_" and "-"'],
  ])
  const [badKey] = await alter(client, 2, [{ name: 'ac', configs: { bogus: 'x' } }])
  assert.deepEqual(badKey, [TOPIC, 'ac', ErrorCode.INVALID_CONFIG, 'Unknown topic config name: bogus'])
  const [badValue] = await alter(client, 2, [{ name: 'ac', configs: { 'segment.ms': 'x' } }])
  assert.equal(badValue?.[2], ErrorCode.INVALID_CONFIG)
  assert.match(String(badValue?.[3]), /^Invalid value x for configuration segment\.ms: /)
  const [nullValue] = await alter(client, 2, [{ name: 'ac', configs: { 'retention.ms': null } }])
  assert.equal(nullValue?.[2], ErrorCode.INVALID_REQUEST)
  // Kafka 4.4 never answers this request; samsa refuses both entries.
  assert.deepEqual(await alter(client, 2, [{ name: 'ac', configs: { 'segment.ms': '1' } }, { name: 'ac', configs: { 'segment.ms': '2' } }]), [
    [TOPIC, 'ac', ErrorCode.INVALID_REQUEST, 'Duplicate resource.'],
    [TOPIC, 'ac', ErrorCode.INVALID_REQUEST, 'Duplicate resource.'],
  ])
  assert.deepEqual(overrides(broker.metadata.topic('ac')?.configs), { 'retention.ms': '1000' })
})

test('IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT at v0 and v1', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'iac', configs: { 'retention.ms': '1000' } })
  const current = (): Record<string, unknown> => overrides(broker.metadata.topic('iac')?.configs)
  for (const v of [0, 1]) {
    assert.deepEqual(await incremental(client, v, [{ name: 'iac', ops: [['retention.ms', DELETE, null], ['max.message.bytes', SET, '2000']] }]), [[TOPIC, 'iac', 0, null]])
    assert.deepEqual(current(), { 'max.message.bytes': '2000' }, `v${v}`)
    // APPEND starts from the config's default (delete) when the topic has no override.
    assert.deepEqual(await incremental(client, v, [{ name: 'iac', ops: [['cleanup.policy', APPEND, 'compact']] }]), [[TOPIC, 'iac', 0, null]])
    assert.deepEqual(current(), { 'max.message.bytes': '2000', 'cleanup.policy': 'delete,compact' })
    assert.deepEqual(await incremental(client, v, [{ name: 'iac', ops: [['cleanup.policy', APPEND, 'compact']] }]), [[TOPIC, 'iac', 0, null]])
    assert.deepEqual(current(), { 'max.message.bytes': '2000', 'cleanup.policy': 'delete,compact' })
    assert.deepEqual(await incremental(client, v, [{ name: 'iac', ops: [['cleanup.policy', SUBTRACT, 'delete']] }]), [[TOPIC, 'iac', 0, null]])
    assert.deepEqual(current(), { 'max.message.bytes': '2000', 'cleanup.policy': 'compact' })
    // DELETE of a key that has no override (or that samsa does not know) is a no-op.
    assert.deepEqual(await incremental(client, v, [{ name: 'iac', ops: [['cleanup.policy', DELETE, null], ['max.message.bytes', DELETE, null], ['bogus', DELETE, null]] }]), [[TOPIC, 'iac', 0, null]])
    assert.deepEqual(current(), {})
    await incremental(client, v, [{ name: 'iac', ops: [['retention.ms', SET, '1000']] }])
  }
  assert.deepEqual(await incremental(client, 1, [{ name: 'iac', ops: [['retention.ms', SET, '77']] }], true), [[TOPIC, 'iac', 0, null]])
  assert.deepEqual(current(), { 'retention.ms': '1000' })
})

test('IncrementalAlterConfigs errors keep the topic unchanged', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'iac', configs: { 'retention.ms': '1000' } })
  const one = async (ops: Op[]) => (await incremental(client, 1, [{ name: 'iac', ops }]))[0]
  assert.deepEqual(await one([['retention.ms', SET, '5'], ['retention.ms', SET, '6']]), [TOPIC, 'iac', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'])
  assert.deepEqual(await one([['retention.ms', SET, null]]), [TOPIC, 'iac', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'])
  assert.deepEqual(await one([['retention.ms', APPEND, '5']]), [TOPIC, 'iac', ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."])
  assert.deepEqual(await one([['bogus', SET, '5']]), [TOPIC, 'iac', ErrorCode.INVALID_CONFIG, 'Unknown topic config name: bogus'])
  assert.equal((await one([['cleanup.policy', APPEND, 'bogus']]))?.[2], ErrorCode.INVALID_CONFIG)
  assert.equal((await one([['retention.ms', 7, '5']]))?.[2], ErrorCode.INVALID_REQUEST)
  assert.equal((await one([['segment.ms', SET, '0'], ['retention.ms', SET, '5']]))?.[2], ErrorCode.INVALID_CONFIG)
  assert.deepEqual(await incremental(client, 1, [{ name: 'nope', ops: [['retention.ms', SET, '1']] }, { name: 'iac', ops: [] }, { name: 'iac', ops: [] }]), [
    [TOPIC, 'nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist."],
    [TOPIC, 'iac', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    [TOPIC, 'iac', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
  ])
  assert.deepEqual(overrides(broker.metadata.topic('iac')?.configs), { 'retention.ms': '1000' })
})

test('broker resources: nothing can change at runtime (INVALID_REQUEST naming the keys); other brokers and unknown types refused', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  assert.deepEqual(await alter(client, 2, [
    { type: BROKER, name: '1', configs: { 'log.retention.ms': '5000', 'num.partitions': '3' } },
    { type: BROKER, name: '', configs: { 'num.partitions': '3' } },
    { type: BROKER, name: '2', configs: { 'num.partitions': '3' } },
  ]), [
    [BROKER, '1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [log.retention.ms, num.partitions]'],
    [BROKER, '', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [num.partitions]'],
    [BROKER, '2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 2'],
  ])
  assert.deepEqual(await incremental(client, 1, [
    { type: BROKER, name: '1', ops: [['log.retention.ms', SET, '5000']] },
    { type: BROKER, name: '', ops: [['log.retention.ms', DELETE, null]] },
    { type: 3, name: 'x', ops: [] },
  ]), [
    [BROKER, '1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [log.retention.ms]'],
    [BROKER, '', 0, null],
    [3, 'x', ErrorCode.INVALID_REQUEST, 'Unknown resource type 3.'],
  ])
  assert.equal(broker.config.get('log.retention.ms'), null)
})

test('a changed config reaches the logs: max.message.bytes lowered makes Produce refuse a larger batch', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'limited' })
  const big = batchOf(['x'.repeat(2000)])
  assert.equal((await produce(client, 9, 'limited', 0, big)).errorCode, 0)
  assert.deepEqual(await incremental(client, 1, [{ name: 'limited', ops: [['max.message.bytes', SET, '1000']] }]), [[TOPIC, 'limited', 0, null]])
  assert.equal((await produce(client, 9, 'limited', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE)
})

test('altered overrides survive a restart', async t => {
  const rb = await RestartableBroker.start(t)
  let client = await rb.client()
  await createTopic(client, { name: 'kept', configs: { 'retention.ms': '1000' } })
  assert.deepEqual(await incremental(client, 1, [{ name: 'kept', ops: [['cleanup.policy', SET, 'compact'], ['retention.ms', DELETE, null]] }]), [[TOPIC, 'kept', 0, null]])
  await rb.restart()
  client = await rb.client()
  assert.deepEqual(overrides(rb.broker.metadata.topic('kept')?.configs), { 'cleanup.policy': 'compact' })
  assert.deepEqual(await alter(client, 2, [{ name: 'kept', configs: { 'segment.bytes': '2097152' } }]), [[TOPIC, 'kept', 0, null]])
  await rb.restart()
  assert.deepEqual(overrides(rb.broker.metadata.topic('kept')?.configs), { 'segment.bytes': '2097152' })
})
