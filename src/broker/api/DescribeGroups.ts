// DescribeGroups (key 15): state, protocol and members of classic groups. A group that does not
// exist is described as Dead with no error (v0-5; Kafka 4's v6 would say GROUP_ID_NOT_FOUND).
// Member metadata is given only in the Stable state; assignments always. v1+ throttle time; v3+
// authorized operations on request (samsa has no authorizer, so every group operation, as Kafka
// without one reports); v4+ group.instance.id; v5+ flexible.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { DescribeGroups } from '../../protocol/messages/DescribeGroups.ts'
import { defineHandler } from '../defineHandler.ts'

/** Kafka's "not requested" value of authorized_operations. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
/** READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS and ALTER_CONFIGS: every group operation (Kafka 4, no authorizer). */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11)

export const handleDescribeGroups = defineHandler(DescribeGroups, {
  versions: '0-5',
  async handle (req, { broker, apiVersion }) {
    const described = await broker.groupCoordinator.describeGroups(req.groups)
    const ops = apiVersion >= 3 && req.includeAuthorizedOperations
    return {
      throttleTimeMs: 0,
      groups: described.map(g => ({
        ...g,
        authorizedOperations: ops && g.errorCode === ErrorCode.NONE ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      })),
    }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    groups: req.groups.map(groupId => ({ errorCode: code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })),
  }),
})
