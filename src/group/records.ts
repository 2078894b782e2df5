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
// Kafka writes OffsetCommitValue v3 (v1 when the commit carries an expire timestamp, i.e. an
// OffsetCommit v2-4 retention time) and GroupMetadataValue v3; samsa writes the same versions and
// reads every version. Keys with other versions (KIP-848 consumer groups, share groups, written by
// a newer Kafka) are not ours: decodeCoordinatorRecord returns null for them and loading skips them.

import { decodeMessage, encodeMessage } from '../protocol/codec.ts'
import { Reader } from '../protocol/Reader.ts'
import { array, bytes, type DataOf, int32, int64, message, string, struct, type Message, type Fields, type MsgInput } from '../protocol/schema.ts'
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

export type CoordinatorRecord = OffsetCommitRecord | GroupMetadataRecord

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
  const key = encodeVersioned(GroupMetadataKey, GROUP_METADATA_KEY_VERSION, { group: r.group })
  if (r.value === null) return { key, value: null }
  return { key, value: encodeVersioned(GroupMetadataValue, GROUP_METADATA_VALUE_VERSION, r.value) }
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
  return null
}

function decodeVersioned<F extends Fields> (m: Message<F>, buf: Buffer): DataOf<Message<F>> {
  const r = new Reader(buf)
  const version = r.int16()
  // A newer writer may use a version above ours; Kafka reads such values with its highest known
  // version (fields are only ever added as tagged fields after v4, KIP-915).
  const v = Math.min(version, m.validVersions.max)
  return decodeMessage(m, v, r) as DataOf<Message<F>>
}
