// __consumer_offsets records against byte layouts written from Kafka's record definitions
// (OffsetCommitKey/Value, GroupMetadataKey/Value), the versions Kafka writes, and reading the
// versions other brokers may have written.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeCoordinatorRecord, encodeCoordinatorRecord } from '../../../src/group/records.ts'
import { javaStringHashCode, partitionFor } from '../../../src/group/GroupCoordinator.ts'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const str16 = (s: string): string => (s.length).toString(16).padStart(4, '0') + Buffer.from(s).toString('hex')

test('an offset commit is key v1 (group, topic, partition) and value v3 (offset, leaderEpoch, metadata, commitTimestamp)', () => {
  const { key, value } = encodeCoordinatorRecord({
    type: 'offsetCommit', group: 'g', topic: 't', partition: 1,
    value: { offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n },
  })
  assert.deepEqual(key, hex(`0001 ${str16('g')} ${str16('t')} 00000001`))
  assert.deepEqual(value, hex(`0003 000000000000002a 00000005 ${str16('m')} 00000000000003e8`))
})

test('an offset commit with an expire timestamp (OffsetCommit v2-4 retention) is value v1, without leader epoch', () => {
  const { value } = encodeCoordinatorRecord({
    type: 'offsetCommit', group: 'g', topic: 't', partition: 0,
    value: { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n },
  })
  assert.deepEqual(value, hex(`0001 0000000000000001 ${str16('')} 000000000000000a 0000000000000014`))
})

test('group metadata is key v2 (group) and value v3, members with instance id, timeouts, subscription and assignment', () => {
  const { key, value } = encodeCoordinatorRecord({
    type: 'groupMetadata', group: 'g',
    value: {
      protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'm1', currentStateTimestamp: 7n,
      members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeout: 300, sessionTimeout: 100, subscription: hex('abcd'), assignment: hex('ef') }],
    },
  })
  assert.deepEqual(key, hex(`0002 ${str16('g')}`))
  assert.deepEqual(value, hex(`0003 ${str16('consumer')} 00000003 ${str16('range')} ${str16('m1')} 0000000000000007
    00000001 ${str16('m1')} ffff ${str16('c')} ${str16('/h')} 0000012c 00000064 00000002abcd 00000001ef`))
  assert.deepEqual(decodeCoordinatorRecord(key, value), {
    type: 'groupMetadata', group: 'g',
    value: {
      protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'm1', currentStateTimestamp: 7n,
      members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeout: 300, sessionTimeout: 100, subscription: hex('abcd'), assignment: hex('ef') }],
    },
  })
})

test('tombstones have a null value', () => {
  const r = encodeCoordinatorRecord({ type: 'groupMetadata', group: 'g', value: null })
  assert.equal(r.value, null)
  assert.deepEqual(decodeCoordinatorRecord(r.key, null), { type: 'groupMetadata', group: 'g', value: null })
  const o = encodeCoordinatorRecord({ type: 'offsetCommit', group: 'g', topic: 't', partition: 2, value: null })
  assert.deepEqual(decodeCoordinatorRecord(o.key, null), { type: 'offsetCommit', group: 'g', topic: 't', partition: 2, value: null })
})

test('older and newer value versions are read: v0 offsets, flexible v4 offsets, v0 group metadata', () => {
  const key0 = hex(`0000 ${str16('g')} ${str16('t')} 00000000`)
  const v0 = decodeCoordinatorRecord(key0, hex(`0000 0000000000000009 ${str16('md')} 0000000000000001`))
  assert.deepEqual(v0, { type: 'offsetCommit', group: 'g', topic: 't', partition: 0, value: { offset: 9n, leaderEpoch: -1, metadata: 'md', commitTimestamp: 1n, expireTimestamp: -1n } })
  // v4: compact string (length + 1) and an empty tagged-field section.
  const v4 = decodeCoordinatorRecord(key0, hex('0004 0000000000000009 00000002 03 6d64 0000000000000001 00'))
  assert.deepEqual(v4?.type === 'offsetCommit' ? v4.value : undefined, { offset: 9n, leaderEpoch: 2, metadata: 'md', commitTimestamp: 1n, expireTimestamp: -1n })
  // A value version above ours is read with our highest version (KIP-915).
  const v5 = decodeCoordinatorRecord(key0, hex('0005 0000000000000009 00000002 03 6d64 0000000000000001 00'))
  assert.deepEqual(v5?.type === 'offsetCommit' ? v5.value?.offset : undefined, 9n)
  const g0 = decodeCoordinatorRecord(hex(`0002 ${str16('g')}`), hex(`0000 ${str16('consumer')} 00000001 ${str16('range')} ffff 00000000`))
  assert.deepEqual(g0?.type === 'groupMetadata' ? g0.value : undefined, { protocolType: 'consumer', generation: 1, protocol: 'range', leader: null, currentStateTimestamp: -1n, members: [] })
})

test('keys of other record types (share and streams groups, pre-4.1 partition metadata) are not ours', () => {
  assert.equal(decodeCoordinatorRecord(hex(`0004 ${str16('g')}`), hex('0000')), null)
  assert.equal(decodeCoordinatorRecord(hex(`000b ${str16('g')}`), hex('0000')), null)
  assert.equal(decodeCoordinatorRecord(hex(`0011 ${str16('g')}`), null), null)
  assert.throws(() => decodeCoordinatorRecord(hex('00'), null))
})

test('a group lives in partition abs(javaHashCode(groupId)) % partitions, as in Kafka', () => {
  assert.equal(javaStringHashCode('hello'), 99162322)
  assert.equal(javaStringHashCode('printers'), -1166328935)
  assert.equal(javaStringHashCode('\u{1F600}'), 1772899, 'UTF-16 code units, as Java')
  assert.equal(partitionFor('printers', 50), 35)
  assert.equal(partitionFor('hello', 50), 22)
  assert.equal(partitionFor('', 50), 0)
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
  assert.equal(partitionFor('polygenelubricants', 50), 0, 'Utils.abs(Integer.MIN_VALUE) is 0')
  assert.equal(partitionFor('console-consumer-12345', 50), 6)
})
