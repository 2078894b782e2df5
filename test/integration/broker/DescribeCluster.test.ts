// DescribeCluster over TCP: this node as the only broker and the controller; v1 endpoint types.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { DescribeCluster } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'

test('v0 and v1 describe this node as broker and controller; authorized operations only when asked', async t => {
  const { broker } = await startTestBroker(t, { 'node.id': 4, 'broker.rack': 'r1' })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const v of [0, 1]) {
    const res = await client.request(DescribeCluster, v, { includeClusterAuthorizedOperations: v === 1, ...(v >= 1 ? { endpointType: 1 } : {}) })
    assert.equal(res.errorCode, 0)
    assert.equal(res.clusterId, broker.metadata.clusterId)
    assert.equal(res.controllerId, 4)
    assert.deepEqual(res.brokers, [{ brokerId: 4, host: '127.0.0.1', port: broker.port, rack: 'r1' }])
    assert.equal(res.clusterAuthorizedOperations, v === 1 ? 8096 : -2147483648)
    assert.equal(res.endpointType, 1)
  }
})

test('v1: asking for controller endpoints is MISMATCHED_ENDPOINT_TYPE, an unknown type UNSUPPORTED_ENDPOINT_TYPE', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const controller = await client.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 })
  assert.equal(controller.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE)
  assert.deepEqual(controller.brokers, [])
  const unknown = await client.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7 })
  assert.equal(unknown.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE)
  assert.equal(unknown.errorMessage, 'Unsupported endpoint type 7')
})
