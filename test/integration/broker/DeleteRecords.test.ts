// DeleteRecords over TCP: the log start offset moves; ListOffsets earliest and Fetch follow it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { DeleteRecords, ListOffsets } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { batchOf, createTopic, fetchOne, produce } from './dataPathSupport.ts'

async function earliest (c: KafkaTestClient): Promise<bigint> {
  const res = await c.request(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, timestamp: -2n }] }] })
  return res.topics[0]?.partitions[0]?.offset ?? -99n
}

test('DeleteRecords moves the log start offset: earliest follows, older offsets are out of range', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'dr', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (let i = 0; i < 5; i++) await produce(c, 9, 'dr', 0, batchOf([`m${i}`]))
  const del = async (offset: bigint, version = 2): Promise<{ errorCode: number, lowWatermark: bigint }> => {
    const res = await c.request(DeleteRecords, version, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 1000 })
    return res.topics[0]?.partitions[0] as { errorCode: number, lowWatermark: bigint }
  }
  assert.deepEqual(await del(2n, 0), { partitionIndex: 0, lowWatermark: 2n, errorCode: 0 })
  assert.equal(await earliest(c), 2n)
  const f = await fetchOne(c, 12, 'dr', 0, 1n)
  assert.equal(f.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal(f.logStartOffset, 2n)
  assert.equal((await fetchOne(c, 12, 'dr', 0, 2n)).errorCode, ErrorCode.NONE)
  assert.equal((await del(9n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.deepEqual(await del(-1n, 1), { partitionIndex: 0, lowWatermark: 5n, errorCode: 0 })
  assert.equal(await earliest(c), 5n)
  const unknown = await c.request(DeleteRecords, 2, { topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 })
  assert.equal(unknown.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})
