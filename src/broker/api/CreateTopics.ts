// CreateTopics (key 19): creates topics through the Controller (validation and Kafka's errors
// live there). v1+ validate_only and error messages. v2+ throttle time. v4: -1 partitions or
// replication factor take the broker defaults (num.partitions, default.replication.factor). v5+
// flexible; a created topic's partition count, replication factor and every config with its
// source come back. v7+ topic id. timeout_ms is not needed: creation finishes before the answer.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { CreateTopics } from '../../protocol/messages/CreateTopics.ts'
import { ZERO_UUID } from '../../protocol/Reader.ts'
import { describeTopicConfigs } from '../ConfigHelper.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleCreateTopics = defineHandler(CreateTopics, {
  versions: '0-7',
  async handle (req, { broker, apiVersion }) {
    const results = await broker.controller.createTopics(req.topics, apiVersion >= 1 && req.validateOnly)
    return {
      throttleTimeMs: 0,
      topics: results.map(r => {
        const t = r.topic
        if (t === undefined) {
          return { name: r.name, topicId: ZERO_UUID, errorCode: r.errorCode, errorMessage: r.errorMessage, numPartitions: -1, replicationFactor: -1, configs: [] }
        }
        return {
          name: r.name,
          topicId: t.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configs: apiVersion < 5
            ? []
            : describeTopicConfigs(broker.config, t.configs).map(c => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive })),
        }
      }),
    }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map(t => ({ name: t.name, errorCode: code, errorMessage: null, numPartitions: -1, replicationFactor: -1, configs: [] })),
  }),
})
