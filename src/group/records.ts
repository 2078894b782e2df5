// The records of __consumer_offsets, in Kafka's key/value layout, so that Kafka's own tools (the
// console consumer's offsets and group-metadata formatters) can read a samsa data directory.
//
//   key   := keyVersion int16 | key struct       (0 or 1: OffsetCommitKey, 2: GroupMetadataKey)
//   value := valueVersion int16 | value struct   (null value = tombstone: the key is deleted)
//
//   OffsetCommitKey      v0-1   group string | topic string | partition int32
//   OffsetCommitValue    v0-4   offset int64 | leaderEpoch int32 (v3+) | metadata string
//                               | commitTimestamp int64 | expireTimestamp int64 (v1 only)
//                               v4+ flexible (compact strings, tagged fields)
//   GroupMetadataKey     v2     group string
//   GroupMetadataValue   v0-4   protocolType string | generation int32 | protocol string?
//                               | leader string? | currentStateTimestamp int64 (v2+)
//                               | members [memberId | groupInstanceId? (v3+) | clientId | clientHost
//                                          | rebalanceTimeout int32 (v1+) | sessionTimeout int32
//                                          | subscription bytes | assignment bytes]
//
// KIP-848 consumer groups (key type, then the key struct; every value is version 0, flexible):
//
//   3  ConsumerGroupMetadata          group | value: epoch int32, tagged metadataHash int64 (tag 0)
//   4  ConsumerGroupPartitionMetadata group | (Kafka before 4.1; read and ignored, never written)
//   5  ConsumerGroupMemberMetadata    group, memberId | value: instanceId? rackId? clientId clientHost
//                                        subscribedTopicNames [] subscribedTopicRegex? rebalanceTimeoutMs
//                                        serverAssignor? tagged classicMemberMetadata? (tag 0)
//   6  ConsumerGroupTargetAssignmentMetadata group | value: assignmentEpoch, tagged assignmentTimestamp
//   7  ConsumerGroupTargetAssignmentMember group, memberId | value: [topicId uuid, partitions []int32]
//   8  ConsumerGroupCurrentMemberAssignment group, memberId | value: memberEpoch previousMemberEpoch
//                                        state int8 assignedPartitions partitionsPendingRevocation,
//                                        each [topicId, partitions, tagged assignmentEpochs (tag 0)]
//   16 ConsumerGroupRegularExpression group, regularExpression | value: topics [] version int64 timestamp int64
//
// Kafka writes OffsetCommitValue v3 (v1 when the commit carries an expire timestamp, i.e. an
// OffsetCommit v2-4 retention time) and GroupMetadataValue v3; samsa writes the same versions and
// reads every version. Keys of other types (share and streams groups, written by Kafka) are not
// ours: decodeCoordinatorRecord returns null for them and loading skips them.

import { decodeMessage, encodeMessage } from '../protocol/codec.ts'
import { Reader } from '../protocol/Reader.ts'
import { array, bytes, type DataOf, int8, int32, int64, message, string, struct, uuid, type Message, type Fields, type MsgInput } from '../protocol/schema.ts'
import { Writer } from '../protocol/Writer.ts'

export const OffsetCommitKey = message('OffsetCommitKey', '0-1', 'none', {
  group: string(),
  topic: string(),
  partition: int32(),
})

export const OffsetCommitValue = message('OffsetCommitValue', '0-4', '4+', {
  offset: int64(),
  leaderEpoch: int32({ versions: '3+', default: -1, ignorable: true }),
  metadata: string(),
  commitTimestamp: int64(),
  expireTimestamp: int64({ versions: '1', default: -1n, ignorable: true }),
})

export const GroupMetadataKey = message('GroupMetadataKey', '2', 'none', {
  group: string(),
})

export const GroupMetadataValue = message('GroupMetadataValue', '0-4', '4+', {
  protocolType: string(),
  generation: int32(),
  protocol: string({ nullable: '0+' }),
  leader: string({ nullable: '0+' }),
  currentStateTimestamp: int64({ versions: '2+', default: -1n, ignorable: true }),
  members: array(struct({
    memberId: string(),
    groupInstanceId: string({ versions: '3+', nullable: '3+', default: null, ignorable: true }),
    clientId: string(),
    clientHost: string(),
    rebalanceTimeout: int32({ versions: '1+', default: -1, ignorable: true }),
    sessionTimeout: int32(),
    subscription: bytes(),
    assignment: bytes(),
  })),
})

const GroupKey = { group: string() }
const MemberKey = { group: string(), memberId: string() }

export const ConsumerGroupMetadataKey = message('ConsumerGroupMetadataKey', '3', 'none', GroupKey)
export const ConsumerGroupMetadataValue = message('ConsumerGroupMetadataValue', '0', '0+', {
  epoch: int32(),
  metadataHash: int64({ tagged: '0+', tag: 0, default: 0n }),
})

export const ConsumerGroupMemberMetadataKey = message('ConsumerGroupMemberMetadataKey', '5', 'none', MemberKey)
export const ConsumerGroupMemberMetadataValue = message('ConsumerGroupMemberMetadataValue', '0', '0+', {
  instanceId: string({ nullable: '0+' }),
  rackId: string({ nullable: '0+' }),
  clientId: string(),
  clientHost: string(),
  subscribedTopicNames: array(string()),
  subscribedTopicRegex: string({ nullable: '0+' }),
  rebalanceTimeoutMs: int32({ default: -1 }),
  serverAssignor: string({ nullable: '0+' }),
  // Members using the classic protocol inside a consumer group (Kafka's online upgrade); samsa keeps
  // the field when it reads it but never creates such members.
  classicMemberMetadata: struct({
    sessionTimeoutMs: int32({ versions: '0+' }),
    supportedProtocols: array(struct({ name: string(), metadata: bytes() })),
  }, { tagged: '0+', tag: 0, nullable: '0+', default: null }),
})

export const ConsumerGroupTargetAssignmentMetadataKey = message('ConsumerGroupTargetAssignmentMetadataKey', '6', 'none', GroupKey)
export const ConsumerGroupTargetAssignmentMetadataValue = message('ConsumerGroupTargetAssignmentMetadataValue', '0', '0+', {
  assignmentEpoch: int32(),
  assignmentTimestamp: int64({ tagged: '0+', tag: 0, default: 0n, ignorable: true }),
})

export const ConsumerGroupTargetAssignmentMemberKey = message('ConsumerGroupTargetAssignmentMemberKey', '7', 'none', MemberKey)
export const ConsumerGroupTargetAssignmentMemberValue = message('ConsumerGroupTargetAssignmentMemberValue', '0', '0+', {
  topicPartitions: array(struct({ topicId: uuid(), partitions: array(int32()) })),
})

const CurrentTopicPartitions = {
  topicId: uuid(),
  partitions: array(int32()),
  // KIP-1251 (Kafka 4.3): the epoch at which each partition was assigned, aligned with partitions.
  assignmentEpochs: array(int32(), { tagged: '0+', tag: 0, nullable: '0+', default: null }),
}
export const ConsumerGroupCurrentMemberAssignmentKey = message('ConsumerGroupCurrentMemberAssignmentKey', '8', 'none', MemberKey)
export const ConsumerGroupCurrentMemberAssignmentValue = message('ConsumerGroupCurrentMemberAssignmentValue', '0', '0+', {
  memberEpoch: int32(),
  previousMemberEpoch: int32(),
  state: int8(),
  assignedPartitions: array(struct(CurrentTopicPartitions)),
  partitionsPendingRevocation: array(struct(CurrentTopicPartitions)),
})

export const ConsumerGroupRegularExpressionKey = message('ConsumerGroupRegularExpressionKey', '16', 'none', { group: string(), regularExpression: string() })
export const ConsumerGroupRegularExpressionValue = message('ConsumerGroupRegularExpressionValue', '0', '0+', {
  topics: array(string()),
  version: int64(),
  timestamp: int64(),
})

export type OffsetCommitValueData = DataOf<typeof OffsetCommitValue>
export type GroupMetadataValueData = DataOf<typeof GroupMetadataValue>
export type GroupMetadataMember = GroupMetadataValueData['members'][number]

/** Key versions, as Kafka numbers its coordinator record types. */
export const OFFSET_COMMIT_KEY_VERSION = 1
export const GROUP_METADATA_KEY_VERSION = 2
/** The value versions Kafka writes (the newest non-flexible ones). */
export const OFFSET_COMMIT_VALUE_VERSION = 3
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE = 1
export const GROUP_METADATA_VALUE_VERSION = 3
/** Kafka's coordinator record types of KIP-848 consumer groups (the int16 in front of each key). */
export const CONSUMER_GROUP_RECORD_TYPES = {
  consumerGroupMetadata: 3,
  consumerGroupPartitionMetadata: 4,
  consumerGroupMemberMetadata: 5,
  consumerGroupTargetAssignmentMetadata: 6,
  consumerGroupTargetAssignmentMember: 7,
  consumerGroupCurrentMemberAssignment: 8,
  consumerGroupRegularExpression: 16,
} as const

/** A committed offset (or its tombstone) of one group and partition. */
export interface OffsetCommitRecord {
  readonly type: 'offsetCommit'
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly value: OffsetCommitValueData | null
}

/** A classic group's metadata (or its tombstone). */
export interface GroupMetadataRecord {
  readonly type: 'groupMetadata'
  readonly group: string
  readonly value: GroupMetadataValueData | null
}

export type ConsumerGroupMetadataValueData = DataOf<typeof ConsumerGroupMetadataValue>
export type ConsumerGroupMemberMetadataValueData = DataOf<typeof ConsumerGroupMemberMetadataValue>
export type ConsumerGroupTargetAssignmentMetadataValueData = DataOf<typeof ConsumerGroupTargetAssignmentMetadataValue>
export type ConsumerGroupTargetAssignmentMemberValueData = DataOf<typeof ConsumerGroupTargetAssignmentMemberValue>
export type ConsumerGroupCurrentMemberAssignmentValueData = DataOf<typeof ConsumerGroupCurrentMemberAssignmentValue>
export type ConsumerGroupRegularExpressionValueData = DataOf<typeof ConsumerGroupRegularExpressionValue>

/** A KIP-848 consumer group's epoch and subscribed-topics hash (or its tombstone: the group is gone). */
export interface ConsumerGroupMetadataRecord {
  readonly type: 'consumerGroupMetadata'
  readonly group: string
  readonly value: ConsumerGroupMetadataValueData | null
}

/** A consumer group member's subscription and identity (or its tombstone: the member is gone). */
export interface ConsumerGroupMemberMetadataRecord {
  readonly type: 'consumerGroupMemberMetadata'
  readonly group: string
  readonly memberId: string
  readonly value: ConsumerGroupMemberMetadataValueData | null
}

/** The epoch of a consumer group's target assignment (a tombstone sets it to -1). */
export interface ConsumerGroupTargetAssignmentMetadataRecord {
  readonly type: 'consumerGroupTargetAssignmentMetadata'
  readonly group: string
  readonly value: ConsumerGroupTargetAssignmentMetadataValueData | null
}

/** One member's target assignment. */
export interface ConsumerGroupTargetAssignmentMemberRecord {
  readonly type: 'consumerGroupTargetAssignmentMember'
  readonly group: string
  readonly memberId: string
  readonly value: ConsumerGroupTargetAssignmentMemberValueData | null
}

/** One member's current assignment, epochs and reconciliation state. */
export interface ConsumerGroupCurrentMemberAssignmentRecord {
  readonly type: 'consumerGroupCurrentMemberAssignment'
  readonly group: string
  readonly memberId: string
  readonly value: ConsumerGroupCurrentMemberAssignmentValueData | null
}

/** The topics a subscribed regular expression resolved to. */
export interface ConsumerGroupRegularExpressionRecord {
  readonly type: 'consumerGroupRegularExpression'
  readonly group: string
  readonly regularExpression: string
  readonly value: ConsumerGroupRegularExpressionValueData | null
}

export type ConsumerGroupRecord =
  | ConsumerGroupMetadataRecord | ConsumerGroupMemberMetadataRecord | ConsumerGroupTargetAssignmentMetadataRecord
  | ConsumerGroupTargetAssignmentMemberRecord | ConsumerGroupCurrentMemberAssignmentRecord | ConsumerGroupRegularExpressionRecord

export type CoordinatorRecord = OffsetCommitRecord | GroupMetadataRecord | ConsumerGroupRecord

/** A record as it goes into the log: key and value bytes. */
export interface SerializedRecord {
  readonly key: Buffer
  readonly value: Buffer | null
}

function encodeVersioned<F extends Fields> (m: Message<F>, version: number, value: MsgInput<F>): Buffer {
  const w = new Writer()
  w.int16(version)
  encodeMessage(m, version, value, w)
  return w.toBuffer()
}

export function encodeCoordinatorRecord (r: CoordinatorRecord): SerializedRecord {
  if (r.type === 'offsetCommit') {
    const key = encodeVersioned(OffsetCommitKey, OFFSET_COMMIT_KEY_VERSION, { group: r.group, topic: r.topic, partition: r.partition })
    if (r.value === null) return { key, value: null }
    const version = r.value.expireTimestamp !== -1n ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE : OFFSET_COMMIT_VALUE_VERSION
    return { key, value: encodeVersioned(OffsetCommitValue, version, r.value) }
  }
  if (r.type === 'groupMetadata') {
    const key = encodeVersioned(GroupMetadataKey, GROUP_METADATA_KEY_VERSION, { group: r.group })
    if (r.value === null) return { key, value: null }
    return { key, value: encodeVersioned(GroupMetadataValue, GROUP_METADATA_VALUE_VERSION, r.value) }
  }
  return encodeConsumerGroupRecord(r)
}

function keyed<K extends Fields, V extends Fields> (keyMessage: Message<K>, key: MsgInput<K>, valueMessage: Message<V>, value: MsgInput<V> | null): SerializedRecord {
  const k = encodeVersioned(keyMessage, keyMessage.validVersions.min, key)
  return { key: k, value: value === null ? null : encodeVersioned(valueMessage, 0, value) }
}

function encodeConsumerGroupRecord (r: ConsumerGroupRecord): SerializedRecord {
  switch (r.type) {
    case 'consumerGroupMetadata':
      return keyed(ConsumerGroupMetadataKey, { group: r.group }, ConsumerGroupMetadataValue, r.value)
    case 'consumerGroupMemberMetadata':
      return keyed(ConsumerGroupMemberMetadataKey, { group: r.group, memberId: r.memberId }, ConsumerGroupMemberMetadataValue, r.value)
    case 'consumerGroupTargetAssignmentMetadata':
      return keyed(ConsumerGroupTargetAssignmentMetadataKey, { group: r.group }, ConsumerGroupTargetAssignmentMetadataValue, r.value)
    case 'consumerGroupTargetAssignmentMember':
      return keyed(ConsumerGroupTargetAssignmentMemberKey, { group: r.group, memberId: r.memberId }, ConsumerGroupTargetAssignmentMemberValue, r.value)
    case 'consumerGroupCurrentMemberAssignment':
      return keyed(ConsumerGroupCurrentMemberAssignmentKey, { group: r.group, memberId: r.memberId }, ConsumerGroupCurrentMemberAssignmentValue, r.value)
    case 'consumerGroupRegularExpression':
      return keyed(ConsumerGroupRegularExpressionKey, { group: r.group, regularExpression: r.regularExpression }, ConsumerGroupRegularExpressionValue, r.value)
  }
}

/**
 * Decodes a record of __consumer_offsets. Returns null for key versions that are not classic
 * group or offset records; throws DecodeError for bytes that do not parse.
 */
export function decodeCoordinatorRecord (key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const r = new Reader(key)
  const keyVersion = r.int16()
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeMessage(OffsetCommitKey, keyVersion, r)
    return { type: 'offsetCommit', group: k.group, topic: k.topic, partition: k.partition, value: value === null ? null : decodeVersioned(OffsetCommitValue, value) }
  }
  if (keyVersion === 2) {
    const k = decodeMessage(GroupMetadataKey, keyVersion, r)
    return { type: 'groupMetadata', group: k.group, value: value === null ? null : decodeVersioned(GroupMetadataValue, value) }
  }
  switch (keyVersion) {
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupMetadata: {
      const k = decodeMessage(ConsumerGroupMetadataKey, keyVersion, r)
      return { type: 'consumerGroupMetadata', group: k.group, value: value === null ? null : decodeVersioned(ConsumerGroupMetadataValue, value) }
    }
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupMemberMetadata: {
      const k = decodeMessage(ConsumerGroupMemberMetadataKey, keyVersion, r)
      return { type: 'consumerGroupMemberMetadata', group: k.group, memberId: k.memberId, value: value === null ? null : decodeVersioned(ConsumerGroupMemberMetadataValue, value) }
    }
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupTargetAssignmentMetadata: {
      const k = decodeMessage(ConsumerGroupTargetAssignmentMetadataKey, keyVersion, r)
      return { type: 'consumerGroupTargetAssignmentMetadata', group: k.group, value: value === null ? null : decodeVersioned(ConsumerGroupTargetAssignmentMetadataValue, value) }
    }
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupTargetAssignmentMember: {
      const k = decodeMessage(ConsumerGroupTargetAssignmentMemberKey, keyVersion, r)
      return { type: 'consumerGroupTargetAssignmentMember', group: k.group, memberId: k.memberId, value: value === null ? null : decodeVersioned(ConsumerGroupTargetAssignmentMemberValue, value) }
    }
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupCurrentMemberAssignment: {
      const k = decodeMessage(ConsumerGroupCurrentMemberAssignmentKey, keyVersion, r)
      return { type: 'consumerGroupCurrentMemberAssignment', group: k.group, memberId: k.memberId, value: value === null ? null : decodeVersioned(ConsumerGroupCurrentMemberAssignmentValue, value) }
    }
    case CONSUMER_GROUP_RECORD_TYPES.consumerGroupRegularExpression: {
      const k = decodeMessage(ConsumerGroupRegularExpressionKey, keyVersion, r)
      return { type: 'consumerGroupRegularExpression', group: k.group, regularExpression: k.regularExpression, value: value === null ? null : decodeVersioned(ConsumerGroupRegularExpressionValue, value) }
    }
    default:
      // 4 (partition metadata, superseded by the metadata hash in Kafka 4.1), share and streams groups.
      return null
  }
}

function decodeVersioned<F extends Fields> (m: Message<F>, buf: Buffer): DataOf<Message<F>> {
  const r = new Reader(buf)
  const version = r.int16()
  // A newer writer may use a version above ours; Kafka reads such values with its highest known
  // version (fields are only ever added as tagged fields after v4, KIP-915).
  const v = Math.min(version, m.validVersions.max)
  return decodeMessage(m, v, r) as DataOf<Message<F>>
}
