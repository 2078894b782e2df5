// DeleteTopics (key 20): deletes topics through the Controller. v0-5 name topics in
// topic_names; v6 sends topics by name or by id (not both) and gets ids back. v1+ throttle
// time; v3+ TOPIC_DELETION_DISABLED when delete.topic.enable is false (INVALID_REQUEST below);
// v4+ flexible; v5+ error messages. Deletion finishes before the answer, so timeout_ms is unused.

import { DeleteTopics } from '../../protocol/messages/DeleteTopics.ts'
import { ZERO_UUID } from '../../protocol/Reader.ts'
import type { DeletableTopic } from '../Controller.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleDeleteTopics = defineHandler(DeleteTopics, {
  versions: '0-6',
  async handle (req, { broker, apiVersion }) {
    const results = await broker.controller.deleteTopics(asked(req, apiVersion), apiVersion)
    return {
      throttleTimeMs: 0,
      responses: results.map(r => ({
        // Below v6 every result names its topic (an id-only request cannot be made there).
        name: apiVersion >= 6 ? r.name : r.name ?? '',
        topicId: r.topicId,
        errorCode: r.errorCode,
        errorMessage: apiVersion >= 5 ? r.errorMessage : null,
      })),
    }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    responses: [...req.topicNames.map(name => ({ name, errorCode: code })), ...req.topics.map(t => ({ name: t.name, topicId: t.topicId, errorCode: code }))],
  }),
})

function asked (req: { topics: ReadonlyArray<{ name: string | null, topicId: string }>, topicNames: readonly string[] }, apiVersion: number): readonly DeletableTopic[] {
  if (apiVersion < 6) return req.topicNames.map(name => ({ name, topicId: ZERO_UUID }))
  return req.topics
}
