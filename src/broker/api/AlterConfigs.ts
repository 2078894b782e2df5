// AlterConfigs (key 33), the legacy form: each resource's overrides are replaced by the given
// set. TOPIC resources change through the Controller; a BROKER resource (this node's id, or ''
// for the cluster default) with any config gets INVALID_REQUEST, Kafka's answer for configs that
// cannot be changed at runtime, since samsa reads broker configs only at start-up. v1 is v0
// with throttling; v2 flexible.

import { AlterConfigs } from '../../protocol/messages/AlterConfigs.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleAlterConfigs = defineHandler(AlterConfigs, {
  versions: '0-2',
  async handle (req, { broker }) {
    const results = await broker.controller.alterConfigs(req.resources, req.validateOnly)
    return { throttleTimeMs: 0, responses: results }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    responses: req.resources.map(r => ({ errorCode: code, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })),
  }),
})
