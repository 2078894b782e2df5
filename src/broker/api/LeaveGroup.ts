// LeaveGroup (key 13): members leave a classic group, which then rebalances. v0-2 carry one
// member id and one error code (the member's error when the group itself is fine); v1+ throttle
// time; v3+ a batch of members, each by member id and/or group.instance.id (an empty member id
// with an instance id removes that static member: the admin path), each with its own error;
// v4+ flexible; v5+ a reason per member.

import { LeaveGroup } from '../../protocol/messages/LeaveGroup.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleLeaveGroup = defineHandler(LeaveGroup, {
  versions: '0-5',
  async handle (req, { broker, apiVersion }) {
    const members = apiVersion < 3 ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }] : req.members
    const r = await broker.groupCoordinator.leaveGroup(req.groupId, members)
    if (apiVersion >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members }
    // One member below v3: its error becomes the response's.
    return { throttleTimeMs: 0, errorCode: r.errorCode !== 0 ? r.errorCode : r.members[0]?.errorCode ?? 0 }
  },
})
