// InitProducerId over TCP: fresh ids at every version, transactional ids refused for now.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { InitProducerId } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'

test('every version 0-5 gives a new producer id with epoch 0', async t => {
  const { broker } = await startTestBroker(t)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const ids = new Set<bigint>()
  for (let v = 0; v <= 5; v++) {
    const r = await c.request(InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60000, producerId: v >= 3 ? 42n : -1n, producerEpoch: v >= 3 ? 3 : -1 })
    assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`)
    assert.equal(r.producerEpoch, 0)
    assert.ok(r.producerId >= 0n)
    ids.add(r.producerId)
  }
  assert.equal(ids.size, 6, 'no id handed out twice')
})

test('a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED; an empty one is INVALID_REQUEST', async t => {
  const { broker } = await startTestBroker(t)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const r = await c.request(InitProducerId, 4, { transactionalId: 'txn-1', transactionTimeoutMs: 60000 })
  assert.deepEqual([r.errorCode, r.producerId, r.producerEpoch], [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n, -1])
  const e = await c.request(InitProducerId, 1, { transactionalId: '', transactionTimeoutMs: 60000 })
  assert.equal(e.errorCode, ErrorCode.INVALID_REQUEST)
})
