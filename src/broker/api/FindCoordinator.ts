// FindCoordinator (key 10): where a group's (key type 0) or a transactional id's (key type 1)
// coordinator is. samsa is the only node, so the answer is always this broker's advertised
// endpoint and node.id. v0 asks for a group by key; v1+ adds the key type; v1-3 carry an error
// message ("NONE" on success, as Kafka sends); v3+ flexible; v4+ batch several keys of one type
// (coordinatorKeys) and answer per key; v6 allows share-group keys (type 2), which samsa does not
// coordinate: INVALID_REQUEST, as Kafka without a share coordinator.
//
// A group lookup creates __consumer_offsets (compacted, offsets.topic.num.partitions partitions)
// if it does not exist yet, before answering; if that fails the answer is COORDINATOR_NOT_AVAILABLE
// and clients retry.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { FindCoordinator } from '../../protocol/messages/FindCoordinator.ts'
import { GROUP_METADATA_TOPIC_NAME } from '../../group/CoordinatorLog.ts'
import type { Broker } from '../Broker.ts'
import { defineHandler } from '../defineHandler.ts'

export const CoordinatorType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const

/** Kafka's messages for the errors FindCoordinator returns (its v1-3 error_message). */
const MESSAGES: ReadonlyMap<number, string> = new Map([
  [ErrorCode.NONE, 'NONE'],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.'],
  [ErrorCode.INVALID_REQUEST, 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.'],
])

interface Found { errorCode: number, nodeId: number, host: string, port: number }

const NO_NODE = { nodeId: -1, host: '', port: -1 }

async function lookup (broker: Broker, keyType: number): Promise<Found> {
  if (keyType === CoordinatorType.GROUP) {
    if (broker.metadata.topic(GROUP_METADATA_TOPIC_NAME) === undefined) {
      const created = await broker.controller.autoCreateTopic(GROUP_METADATA_TOPIC_NAME)
      if (created.errorCode !== ErrorCode.NONE) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, ...NO_NODE }
    }
  } else if (keyType !== CoordinatorType.TRANSACTION) {
    // Share groups (v6+) have no coordinator here, and other types do not exist.
    return { errorCode: ErrorCode.INVALID_REQUEST, ...NO_NODE }
  }
  const { host, port } = broker.advertised
  return { errorCode: ErrorCode.NONE, nodeId: broker.nodeId, host, port }
}

export const handleFindCoordinator = defineHandler(FindCoordinator, {
  versions: '0-6',
  async handle (req, { broker, apiVersion }) {
    if (apiVersion < 4) {
      const found = await lookup(broker, req.keyType)
      const node = found.errorCode === ErrorCode.NONE ? found : { ...found, ...NO_NODE }
      return {
        throttleTimeMs: 0,
        errorCode: node.errorCode,
        errorMessage: apiVersion >= 1 ? MESSAGES.get(node.errorCode) ?? null : null,
        nodeId: node.nodeId,
        host: node.host,
        port: node.port,
      }
    }
    const coordinators = []
    for (const key of req.coordinatorKeys) {
      const found = await lookup(broker, req.keyType)
      coordinators.push({
        key,
        nodeId: found.nodeId,
        host: found.host,
        port: found.port,
        errorCode: found.errorCode,
        // Kafka leaves the message at its default ('') on success.
        errorMessage: found.errorCode === ErrorCode.NONE ? '' : MESSAGES.get(found.errorCode) ?? null,
      })
    }
    return { throttleTimeMs: 0, coordinators }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    errorCode: code,
    ...NO_NODE,
    coordinators: req.coordinatorKeys.map(key => ({ key, ...NO_NODE, errorCode: code })),
  }),
})
