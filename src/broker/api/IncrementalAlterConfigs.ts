// IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT on a topic's overrides,
// through the Controller. APPEND/SUBTRACT work on list configs (cleanup.policy), starting from
// the config's default when the topic has no override, as Kafka does. A BROKER resource gets
// INVALID_REQUEST for any SET/APPEND/SUBTRACT (samsa reads broker configs only at start-up);
// DELETE of a broker config is a no-op, there being no runtime value to delete. v1 flexible.

import { IncrementalAlterConfigs } from '../../protocol/messages/IncrementalAlterConfigs.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleIncrementalAlterConfigs = defineHandler(IncrementalAlterConfigs, {
  versions: '0-1',
  async handle (req, { broker }) {
    const results = await broker.controller.incrementalAlterConfigs(req.resources, req.validateOnly)
    return { throttleTimeMs: 0, responses: results }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    responses: req.resources.map(r => ({ errorCode: code, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })),
  }),
})
