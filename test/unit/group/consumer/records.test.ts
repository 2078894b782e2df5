// The KIP-848 records of __consumer_offsets in Kafka's layout (key type, key struct; value version
// 0, flexible, with tagged fields), from byte fixtures written from Kafka's definitions, and
// round trips of every type including tombstones.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type CoordinatorRecord, decodeCoordinatorRecord, encodeCoordinatorRecord } from '../../../../src/group/records.ts'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const str16 = (s: string): string => Buffer.from(s).length.toString(16).padStart(4, '0') + Buffer.from(s).toString('hex')
const compact = (s: string): string => (Buffer.from(s).length + 1).toString(16).padStart(2, '0') + Buffer.from(s).toString('hex')

test('ConsumerGroupMetadata: key type 3, value v0 with the metadata hash as tagged field 0', () => {
  const r = encodeCoordinatorRecord({ type: 'consumerGroupMetadata', group: 'g', value: { epoch: 7, metadataHash: 258n } })
  assert.equal(r.key.toString('hex'), `0003${str16('g')}`)
  // version 0 | epoch | 1 tagged field: tag 0, size 8, int64 258
  assert.equal(r.value?.toString('hex'), '0000' + '00000007' + '01' + '00' + '08' + '0000000000000102')
  const noHash = encodeCoordinatorRecord({ type: 'consumerGroupMetadata', group: 'g', value: { epoch: 7, metadataHash: 0n } })
  assert.equal(noHash.value?.toString('hex'), '0000' + '00000007' + '00', 'a zero hash is not written')
})

test('ConsumerGroupMemberMetadata decodes Kafka\'s bytes', () => {
  const value = hex('0000' + '00' + compact('rack') + compact('cid') + compact('/1.2.3.4') + '02' + compact('t') + '00' + '00007530' + compact('range') + '00')
  const r = decodeCoordinatorRecord(hex(`0005${str16('g')}${str16('m')}`), value)
  assert.deepEqual(r, {
    type: 'consumerGroupMemberMetadata', group: 'g', memberId: 'm',
    value: { instanceId: null, rackId: 'rack', clientId: 'cid', clientHost: '/1.2.3.4', subscribedTopicNames: ['t'], subscribedTopicRegex: null, rebalanceTimeoutMs: 30000, serverAssignor: 'range', classicMemberMetadata: null },
  })
})

test('every consumer group record type round-trips, tombstones included', () => {
  const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ'
  const records: CoordinatorRecord[] = [
    { type: 'consumerGroupMetadata', group: 'g', value: { epoch: 3, metadataHash: -5n } },
    { type: 'consumerGroupMemberMetadata', group: 'g', memberId: 'm', value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['a', 'b'], subscribedTopicRegex: 'x.*', rebalanceTimeoutMs: -1, serverAssignor: null, classicMemberMetadata: { sessionTimeoutMs: 10, supportedProtocols: [{ name: 'range', metadata: Buffer.from([1, 2]) }] } } },
    { type: 'consumerGroupTargetAssignmentMetadata', group: 'g', value: { assignmentEpoch: 3, assignmentTimestamp: 99n } },
    { type: 'consumerGroupTargetAssignmentMember', group: 'g', memberId: 'm', value: { topicPartitions: [{ topicId, partitions: [0, 2] }] } },
    { type: 'consumerGroupCurrentMemberAssignment', group: 'g', memberId: 'm', value: { memberEpoch: 3, previousMemberEpoch: 2, state: 1, assignedPartitions: [{ topicId, partitions: [0], assignmentEpochs: [2] }], partitionsPendingRevocation: [{ topicId, partitions: [2], assignmentEpochs: null }] } },
    { type: 'consumerGroupRegularExpression', group: 'g', regularExpression: 'x.*', value: { topics: ['xa'], version: 0n, timestamp: 5n } },
  ]
  for (const r of records) {
    const s = encodeCoordinatorRecord(r)
    assert.deepEqual(decodeCoordinatorRecord(s.key, s.value), r, r.type)
    const tomb = encodeCoordinatorRecord({ ...r, value: null } as CoordinatorRecord)
    assert.equal(tomb.value, null)
    assert.deepEqual(decodeCoordinatorRecord(tomb.key, null), { ...r, value: null }, `${r.type} tombstone`)
  }
})
