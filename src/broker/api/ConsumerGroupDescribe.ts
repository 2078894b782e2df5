// ConsumerGroupDescribe (key 69): KIP-848 consumer groups with their epochs, assignor and members
// (current and target assignments, topic names resolved from ids). A group that does not exist,
// or is a classic group, answers GROUP_ID_NOT_FOUND: Kafka's tools (kafka-consumer-groups, the
// admin client) then fall back to DescribeGroups. Authorized operations on request: every group
// operation (samsa has no authorizer), as DescribeGroups reports them.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { ConsumerGroupDescribe } from '../../protocol/messages/ConsumerGroupDescribe.ts'
import { defineHandler } from '../defineHandler.ts'
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from './DescribeGroups.ts'

export const handleConsumerGroupDescribe = defineHandler(ConsumerGroupDescribe, {
  versions: '0',
  async handle (req, { broker }) {
    const groups = await broker.groupCoordinator.consumerGroupDescribe(req.groupIds, broker.metadata)
    return {
      throttleTimeMs: 0,
      groups: groups.map(g => ({
        ...g,
        authorizedOperations: req.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      })),
    }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    groups: req.groupIds.map(groupId => ({ errorCode: code, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] })),
  }),
})
