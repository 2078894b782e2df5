// Metadata (key 3): this node as the only broker and the controller, and the topics asked for.
//
// v0: an empty topic list means all topics. v1+: null means all, [] none; controller_id, rack,
// is_internal. v2+ cluster_id. v3+ throttle time. v4+ allow_auto_topic_creation (below v4 a
// missing topic is auto-created whenever auto.create.topics.enable is true). v5+ offline replicas.
// v7+ leader epoch, always -1 here: samsa has no leader epochs, so clients never validate
// positions against them (and need no OffsetForLeaderEpoch). v8+ authorized operations, reported
// only when asked (samsa has no authorizer: everything is allowed). v9+ flexible. v10+ topic ids,
// and topics may be asked for by id (v12+ names in the response may then be null).
//
// An auto-created topic is created before the answer, so it is reported ready (NONE, with its
// partitions) rather than with Kafka's "still being created" error: producers such as
// kafka-python 2.0.2 then send at once instead of waiting for a metadata refresh.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { Metadata, type MetadataResponse } from '../../protocol/messages/Metadata.ts'
import { ZERO_UUID } from '../../protocol/Reader.ts'
import type { Broker } from '../Broker.ts'
import { autoCreateTopic, INTERNAL_TOPICS } from '../Controller.ts'
import { defineHandler } from '../defineHandler.ts'
import { invalidTopicName, type TopicMetadata } from '../MetadataCache.ts'

type TopicOut = MetadataResponse['topics'][number]
type PartitionOut = TopicOut['partitions'][number]

/** Authorized-operations value meaning "not asked for" (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
/** Bits of READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: all topic operations. */
export const TOPIC_AUTHORIZED_OPERATIONS = 3576
/** Bits of CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE: all cluster operations. */
export const CLUSTER_AUTHORIZED_OPERATIONS = 8096
/** Leader epoch reported for every partition (see the header). */
export const LEADER_EPOCH = -1

export const handleMetadata = defineHandler(Metadata, {
  versions: '0-12',
  async handle (req, { broker, apiVersion }) {
    const topicOps = apiVersion >= 8 && req.includeTopicAuthorizedOperations ? TOPIC_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED
    const describe = (t: TopicMetadata): TopicOut => describeTopic(broker, t, topicOps)
    const failed = (errorCode: number, name: string | null, topicId = ZERO_UUID): TopicOut => ({
      errorCode,
      name: name === null && apiVersion < 12 ? '' : name,
      topicId,
      isInternal: name !== null && INTERNAL_TOPICS.has(name),
      partitions: [],
      topicAuthorizedOperations: topicOps,
    })

    let topics: TopicOut[]
    if (req.topics === null || (apiVersion === 0 && req.topics.length === 0)) {
      topics = [...broker.metadata.allTopics()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0).map(describe)
    } else {
      const autoCreate = broker.config.bool('auto.create.topics.enable') && (apiVersion < 4 || req.allowAutoTopicCreation)
      topics = []
      const seen = new Set<string>()
      for (const asked of req.topics) {
        const byId = apiVersion >= 10 && asked.topicId !== ZERO_UUID
        const key = byId ? `i:${asked.topicId}` : `n:${asked.name ?? ''}`
        if (seen.has(key)) continue
        seen.add(key)
        if (byId) {
          const t = broker.metadata.topicById(asked.topicId)
          topics.push(t !== undefined ? describe(t) : failed(ErrorCode.UNKNOWN_TOPIC_ID, null, asked.topicId))
          continue
        }
        const name = asked.name
        if (name === null) {
          topics.push(failed(ErrorCode.INVALID_REQUEST, null))
          continue
        }
        const existing = broker.metadata.topic(name)
        if (existing !== undefined) {
          topics.push(describe(existing))
        } else if (invalidTopicName(name) !== null) {
          topics.push(failed(ErrorCode.INVALID_TOPIC_EXCEPTION, name))
        } else if (autoCreate) {
          const r = await autoCreateTopic(broker, name)
          topics.push(r.topic !== undefined ? describe(r.topic) : failed(r.errorCode, name))
        } else {
          topics.push(failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name))
        }
      }
    }

    const { host, port } = broker.advertised
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, host, port, rack: broker.config.get('broker.rack') as string | null }],
      clusterId: broker.metadata.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: apiVersion >= 8 && apiVersion <= 10 && req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    }
  },
})

function describeTopic (broker: Broker, t: TopicMetadata, topicAuthorizedOperations: number): TopicOut {
  const nodeId = broker.nodeId
  const partitions: PartitionOut[] = new Array<PartitionOut>(t.partitions)
  for (let i = 0; i < t.partitions; i++) {
    partitions[i] = { errorCode: ErrorCode.NONE, partitionIndex: i, leaderId: nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] }
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal || INTERNAL_TOPICS.has(t.name),
    partitions,
    topicAuthorizedOperations,
  }
}
