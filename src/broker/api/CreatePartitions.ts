// CreatePartitions (key 37): raises topics' partition counts through the Controller. Only
// increases are allowed; manual assignments may only name this node. v1 is v0 with throttling;
// v2+ flexible; v3 as v2. The new logs exist before the answer, so timeout_ms is unused.

import { CreatePartitions } from '../../protocol/messages/CreatePartitions.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleCreatePartitions = defineHandler(CreatePartitions, {
  versions: '0-3',
  async handle (req, { broker }) {
    const results = await broker.controller.createPartitions(req.topics, req.validateOnly)
    return { throttleTimeMs: 0, results: results.map(r => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })) }
  },
  errorResponse: (req, code) => ({ throttleTimeMs: 0, results: req.topics.map(t => ({ name: t.name, errorCode: code, errorMessage: null })) }),
})
