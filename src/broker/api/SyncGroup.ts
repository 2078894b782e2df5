// SyncGroup (key 14): after a JoinGroup, each member asks for its assignment; the leader brings
// everyone's. Followers' responses are parked until the leader's assignment is written to
// __consumer_offsets. v1+ throttle time; v3+ group.instance.id; v4+ flexible; v5+ protocol type
// and name in request and response (both required from v5: INCONSISTENT_GROUP_PROTOCOL when
// missing, as Kafka). Assignments pass through untouched.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { SyncGroup } from '../../protocol/messages/SyncGroup.ts'
import { defineHandler } from '../defineHandler.ts'
import { clientHost } from './JoinGroup.ts'

export const handleSyncGroup = defineHandler(SyncGroup, {
  versions: '0-5',
  async handle (req, { broker, apiVersion, header, clientAddress, parked }) {
    if (apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, assignment: Buffer.alloc(0) }
    }
    // Followers wait for the leader's assignment: park (bounded by group.max.size).
    const r = await parked(broker.groupCoordinator.syncGroup(
      { clientId: header.clientId, clientHost: clientHost(clientAddress), apiVersion },
      {
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        protocolType: req.protocolType,
        protocolName: req.protocolName,
        assignments: req.assignments,
      }))
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment }
  },
  errorResponse: (_req, code) => ({ throttleTimeMs: 0, errorCode: code, assignment: Buffer.alloc(0) }),
})
