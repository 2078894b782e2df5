// Loading __consumer_offsets from the broker's real logs: transactional offset commits count only
// once their commit marker is in the log (aborted ones never), and batches another writer
// compressed are read too.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Broker, startBroker } from '../../../src/index.ts'
import { encodeCoordinatorRecord } from '../../../src/group/records.ts'
import { GROUP_METADATA_TOPIC_NAME } from '../../../src/group/CoordinatorLog.ts'
import { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { encodeEndTxnMarkerBatch } from '../../../src/protocol/records/ControlRecord.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { testLogger } from '../../helpers/broker.ts'
import { createTopic, eventually } from './support.ts'

test('transaction markers and compressed batches in __consumer_offsets are honoured on load', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-offsets-load-'))
  const brokers: Broker[] = []
  t.after(async () => {
    for (const b of brokers) await b.close()
    await rm(dir, { recursive: true, force: true })
  })
  const start = async (): Promise<Broker> => {
    const b = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir }, logger: testLogger() })
    brokers.push(b)
    return b
  }
  const broker = await start()
  await createTopic(broker, 'events', 4)
  const created = await broker.controller.autoCreateTopic(GROUP_METADATA_TOPIC_NAME)
  assert.equal(created.errorCode, 0)
  const p = broker.groupCoordinator.partitionFor('g')
  const log = broker.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, p)?.log
  assert.ok(log !== undefined)
  const offset = (partition: number, value: bigint): { key: Buffer, value: Buffer | null } =>
    encodeCoordinatorRecord({ type: 'offsetCommit', group: 'g', topic: 'events', partition, value: { offset: value, leaderEpoch: -1, metadata: '', commitTimestamp: BigInt(Date.now()), expireTimestamp: -1n } })
  const append = async (batch: Buffer): Promise<void> => {
    const r = await log.append(batch, { leaderEpoch: -1, origin: 'coordinator' })
    assert.equal(r.errorCode, 0, r.errorMessage ?? '')
  }
  const txn = (producerId: bigint, partition: number, value: bigint): Buffer =>
    encodeRecordBatchSync({ isTransactional: true, producerId, producerEpoch: 0, baseSequence: 0, records: [offset(partition, value)] })
  await append(txn(7n, 0, 9n))
  await append(txn(8n, 1, 5n))
  await append(encodeRecordBatchSync({ compression: CompressionType.GZIP, records: [offset(2, 4n), offset(3, 6n)] }))
  await append(encodeEndTxnMarkerBatch({ producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, commit: true, timestamp: BigInt(Date.now()) }))
  await append(encodeEndTxnMarkerBatch({ producerId: 8n, producerEpoch: 0, coordinatorEpoch: 0, commit: false, timestamp: BigInt(Date.now()) }))
  await broker.close()

  const again = await start()
  const fetched = await eventually('the partition is loaded', async () => {
    const r = await again.groupCoordinator.fetchOffsets('g', null, true)
    return r.errorCode === 0 ? r : undefined
  })
  assert.deepEqual(fetched.topics.map(tp => [tp.name, tp.partitions.map(x => [x.partitionIndex, x.committedOffset, x.errorCode]).sort()]), [
    ['events', [[0, 9n, 0], [2, 4n, 0], [3, 6n, 0]]],
  ])
})
