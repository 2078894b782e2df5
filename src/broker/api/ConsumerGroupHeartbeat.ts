// ConsumerGroupHeartbeat (key 68): a member of a KIP-848 consumer group joins (epoch 0), stays alive
// and reconciles its assignment, or leaves (epoch -1; -2 for a static member that will return).
// The coordinator computes assignments server-side (uniform by default, range on request) and
// hands each member its partitions incrementally (see src/group/consumer/).
//
// v0: the coordinator generates the member id on join. v1 (KIP-1082): the client generates it and
// always sends it; adds subscribedTopicRegex. Kafka's own definitions mark v1 unstable, but Kafka
// 4.x serves it and librdkafka (group.protocol=consumer) sends nothing else, so samsa serves 0-1.
// Served only while group.coordinator.rebalance.protocols lists `consumer` (else
// UNSUPPORTED_VERSION, as a Kafka that does not advertise the API would leave clients with).

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { ConsumerGroupHeartbeat } from '../../protocol/messages/ConsumerGroupHeartbeat.ts'
import { heartbeatError } from '../../group/consumer/ConsumerGroupMetadataManager.ts'
import { defineHandler } from '../defineHandler.ts'
import { clientHost } from './JoinGroup.ts'

export const handleConsumerGroupHeartbeat = defineHandler(ConsumerGroupHeartbeat, {
  versions: '0-1',
  async handle (req, { broker, apiVersion, header, clientAddress }) {
    const coordinator = broker.groupCoordinator
    if (!coordinator.servesConsumerGroups) return { throttleTimeMs: 0, ...heartbeatError(ErrorCode.UNSUPPORTED_VERSION, 'The new consumer group protocol is not enabled (group.coordinator.rebalance.protocols).') }
    const r = await coordinator.consumerGroupHeartbeat(
      { clientId: header.clientId, clientHost: clientHost(clientAddress), apiVersion },
      {
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        instanceId: req.instanceId,
        rackId: req.rackId,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        subscribedTopicNames: req.subscribedTopicNames,
        subscribedTopicRegex: apiVersion >= 1 ? req.subscribedTopicRegex : null,
        serverAssignor: req.serverAssignor,
        topicPartitions: req.topicPartitions,
      },
      broker.metadata)
    return { throttleTimeMs: 0, ...r }
  },
  errorResponse: (_req, code) => ({ throttleTimeMs: 0, ...heartbeatError(code) }),
})
