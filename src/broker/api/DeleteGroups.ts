// DeleteGroups (key 42): removes empty groups and all their committed offsets (tombstones in
// __consumer_offsets). A group with members gets NON_EMPTY_GROUP; one that does not exist
// GROUP_ID_NOT_FOUND. v1 same as v0; v2+ flexible.

import { DeleteGroups } from '../../protocol/messages/DeleteGroups.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleDeleteGroups = defineHandler(DeleteGroups, {
  versions: '0-2',
  async handle (req, { broker }) {
    const results = await broker.groupCoordinator.deleteGroups(req.groupsNames)
    return { throttleTimeMs: 0, results }
  },
  errorResponse: (req, code) => ({ throttleTimeMs: 0, results: req.groupsNames.map(groupId => ({ groupId, errorCode: code })) }),
})
