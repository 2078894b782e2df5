// OffsetCommit (key 8): a group's consumed positions, written to __consumer_offsets before the
// answer. Partitions of unknown topics, or beyond a topic's partition count, get
// UNKNOWN_TOPIC_OR_PARTITION (Kafka 4's check) and are not committed; the rest go to the
// coordinator, which checks membership and generation (generation -1 with no member id: a
// consumer without group management, accepted while the group is empty, creating a "simple"
// group) and metadata size (OFFSET_METADATA_TOO_LARGE above offset.metadata.max.bytes).
//
// Versions: v0 carries no generation or member id (Kafka's v0 went to ZooKeeper; samsa commits it
// to the coordinator like a generation -1 commit); v1 adds generation, member id and a
// per-partition commit timestamp (-1 = now); v2-4 replace the timestamp with a retention time
// (-1 = offsets.retention.minutes; otherwise the offset expires that long after the commit, the
// old per-commit expiry); v3+ throttle time; v5 drops retention; v6+ leader epoch; v7+
// group.instance.id; v8+ flexible; v9+ GROUP_ID_NOT_FOUND for a non-negative generation of a group
// that does not exist (ILLEGAL_GENERATION below v9). The answer lists the refused partitions
// first, then the committed ones, as Kafka's response builder does.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { OffsetCommit } from '../../protocol/messages/OffsetCommit.ts'
import type { OffsetCommitRequestData, TopicResult } from '../../group/OffsetMetadataManager.ts'
import { defineHandler } from '../defineHandler.ts'
import { clientHost } from './JoinGroup.ts'

/** Kafka's OffsetCommitResponse.Builder: refused partitions first, then merged results by topic. */
export class TopicResults {
  readonly topics: TopicResult[] = []
  private readonly byName = new Map<string, TopicResult>()

  add (name: string, partitionIndex: number, errorCode: number): void {
    let t = this.byName.get(name)
    if (t === undefined) {
      t = { name, partitions: [] }
      this.byName.set(name, t)
      this.topics.push(t)
    }
    t.partitions.push({ partitionIndex, errorCode })
  }

  merge (results: readonly TopicResult[]): void {
    for (const t of results) for (const p of t.partitions) this.add(t.name, p.partitionIndex, p.errorCode)
  }
}

export const handleOffsetCommit = defineHandler(OffsetCommit, {
  versions: '0-9',
  async handle (req, { broker, apiVersion, header, clientAddress }) {
    const out = new TopicResults()
    const valid: Array<OffsetCommitRequestData['topics'][number]> = []
    for (const topic of req.topics) {
      const meta = broker.metadata.topic(topic.name)
      if (meta === undefined) {
        for (const p of topic.partitions) out.add(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        continue
      }
      const partitions = []
      for (const p of topic.partitions) {
        if (p.partitionIndex >= 0 && p.partitionIndex < meta.partitions) partitions.push(p)
        else out.add(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      }
      if (partitions.length > 0) valid.push({ name: topic.name, partitions })
    }
    if (valid.length > 0) {
      const results = await broker.groupCoordinator.commitOffsets(
        { clientId: header.clientId, clientHost: clientHost(clientAddress), apiVersion },
        {
          groupId: req.groupId,
          generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId,
          retentionTimeMs: req.retentionTimeMs,
          topics: valid,
        })
      out.merge(results)
    }
    return { throttleTimeMs: 0, topics: out.topics }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  }),
})
