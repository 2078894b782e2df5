// Heartbeat (key 12): a member of a classic group proves it is alive and learns whether a
// rebalance started (REBALANCE_IN_PROGRESS). v1+ throttle time; v3+ group.instance.id; v4+
// flexible. While the group's partition of __consumer_offsets loads, the answer is NONE (Kafka's).

import { Heartbeat } from '../../protocol/messages/Heartbeat.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleHeartbeat = defineHandler(Heartbeat, {
  versions: '0-4',
  async handle (req, { broker }) {
    const errorCode = await broker.groupCoordinator.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
    })
    return { throttleTimeMs: 0, errorCode }
  },
})
