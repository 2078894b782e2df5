// ListOffsets over TCP: earliest, latest, by timestamp, max timestamp, v0's old layout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { ListOffsets } from '../../../src/protocol/messages/index.ts'
import { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, produce } from './dataPathSupport.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'

async function listOffset (c: KafkaTestClient, version: number, topic: string, partition: number, timestamp: bigint, isolationLevel = 0): Promise<{ errorCode: number, offset: bigint, timestamp: bigint, leaderEpoch: number, oldStyleOffsets: bigint[] }> {
  const res = await c.request(ListOffsets, version, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp, maxNumOffsets: 1 }] }] })
  const p = res.topics[0]?.partitions[0]
  assert.ok(p !== undefined)
  return p
}

test('earliest, latest, by timestamp and max timestamp, at every version', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'lo', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const base = BigInt(Date.now()) - 10_000n
  // offsets 0-1 at base, base+10; 2 at base+50 (the largest); 3-4 compressed at base+20, base+30
  await produce(c, 9, 'lo', 0, encodeRecordBatchSync({ records: [{ value: 'a', timestamp: base }, { value: 'b', timestamp: base + 10n }] }))
  await produce(c, 9, 'lo', 0, encodeRecordBatchSync({ records: [{ value: 'c', timestamp: base + 50n }] }))
  await produce(c, 9, 'lo', 0, encodeRecordBatchSync({ compression: CompressionType.GZIP, records: [{ value: 'd', timestamp: base + 20n }, { value: 'e', timestamp: base + 30n }] }))
  for (let v = 1; v <= 10; v++) {
    assert.equal((await listOffset(c, v, 'lo', 0, -2n)).offset, 0n, `v${v} earliest`)
    const latest = await listOffset(c, v, 'lo', 0, -1n)
    assert.equal(latest.offset, 5n, `v${v} latest`)
    assert.equal(latest.timestamp, -1n)
    const at = await listOffset(c, v, 'lo', 0, base + 5n)
    assert.deepEqual([at.offset, at.timestamp], [1n, base + 10n], `v${v} by time`)
    assert.equal((await listOffset(c, v, 'lo', 0, base + 50n)).offset, 2n)
    assert.equal((await listOffset(c, v, 'lo', 0, base + 51n)).offset, -1n, 'nothing that late')
    if (v >= 4) assert.equal(at.leaderEpoch, -1)
    if (v >= 7) {
      const max = await listOffset(c, v, 'lo', 0, -3n)
      assert.deepEqual([max.offset, max.timestamp], [2n, base + 50n], `v${v} max timestamp`)
    }
    if (v >= 2) assert.equal((await listOffset(c, v, 'lo', 0, -1n, 1)).offset, 5n, 'read_committed: the LSO, = HW')
  }
  const v0 = await listOffset(c, 0, 'lo', 0, -1n)
  assert.deepEqual(v0.oldStyleOffsets, [5n])
  assert.deepEqual((await listOffset(c, 0, 'lo', 0, -2n)).oldStyleOffsets, [0n])
})

test('unknown topics and partitions, a partition asked twice, an empty partition', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'e', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  assert.equal((await listOffset(c, 7, 'nope', 0, -1n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await listOffset(c, 7, 'e', 1, -1n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const empty = await listOffset(c, 7, 'e', 0, -1n)
  assert.deepEqual([empty.errorCode, empty.offset], [0, 0n])
  assert.equal((await listOffset(c, 7, 'e', 0, 0n)).offset, -1n)
  const dup = await c.request(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'e', partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: -2n }] }] })
  assert.deepEqual(dup.topics[0]?.partitions.map(p => p.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST])
})
