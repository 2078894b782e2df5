// OffsetDelete (key 47, v0 only): removes a group's committed offsets for some partitions
// (kafka-consumer-groups --delete-offsets). Unknown topics and partitions get
// UNKNOWN_TOPIC_OR_PARTITION; a group with members that still consumes a topic keeps its offsets
// (GROUP_SUBSCRIBED_TO_TOPIC); a non-consumer group with members: NON_EMPTY_GROUP; no group:
// GROUP_ID_NOT_FOUND. A group-level error replaces the whole answer, as Kafka's builder does.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { OffsetDelete } from '../../protocol/messages/OffsetDelete.ts'
import { defineHandler } from '../defineHandler.ts'
import { TopicResults } from './OffsetCommit.ts'

export const handleOffsetDelete = defineHandler(OffsetDelete, {
  versions: '0',
  async handle (req, { broker }) {
    const out = new TopicResults()
    const valid: Array<{ name: string, partitions: Array<{ partitionIndex: number }> }> = []
    for (const topic of req.topics) {
      const meta = broker.metadata.topic(topic.name)
      const partitions = []
      for (const p of topic.partitions) {
        if (meta !== undefined && p.partitionIndex >= 0 && p.partitionIndex < meta.partitions) partitions.push(p)
        else out.add(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      }
      if (partitions.length > 0) valid.push({ name: topic.name, partitions })
    }
    const r = await broker.groupCoordinator.deleteOffsets(req.groupId, valid)
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] }
    out.merge(r.topics)
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: out.topics }
  },
})
