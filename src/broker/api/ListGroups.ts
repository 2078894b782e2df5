// ListGroups (key 16): every group this coordinator has (all of them: samsa is the only node).
// v1+ throttle time; v3+ flexible; v4+ a states filter (case-insensitive) and each group's state;
// v5+ a types filter ("classic", "consumer", ...; classic groups only exist here) and each
// group's type. While a partition of __consumer_offsets loads: COORDINATOR_LOAD_IN_PROGRESS.

import { ListGroups } from '../../protocol/messages/ListGroups.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleListGroups = defineHandler(ListGroups, {
  versions: '0-5',
  handle (req, { broker }) {
    const r = broker.groupCoordinator.listGroups(req.statesFilter, req.typesFilter)
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups }
  },
})
