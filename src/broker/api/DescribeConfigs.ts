// DescribeConfigs (key 32): TOPIC resources report every topic config with its effective value
// and source (TOPIC_CONFIG for an override, else the broker synonym's source); BROKER resources
// (this node's id) report samsa's broker config table, each STATIC_BROKER_CONFIG when set or
// DEFAULT_CONFIG, all read-only. A BROKER resource named '' (the cluster-wide dynamic defaults)
// has no entries, since samsa has no dynamic configs. See ConfigHelper.ts for synonyms.
// v0 has is_default instead of config_source; v1+ synonyms (when asked); v3+ config type and
// documentation (when asked, else null); v4 flexible.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { DescribeConfigs } from '../../protocol/messages/DescribeConfigs.ts'
import { ConfigResourceType, ConfigSource, type DescribedConfig, describeBrokerConfigs, describeTopicConfigs } from '../ConfigHelper.ts'
import { unsupportedResource } from '../Controller.ts'
import { defineHandler } from '../defineHandler.ts'
import { invalidTopicName } from '../MetadataCache.ts'

export const handleDescribeConfigs = defineHandler(DescribeConfigs, {
  versions: '0-4',
  handle (req, { broker, apiVersion }) {
    const opts = (keys: readonly string[] | null): { keys: readonly string[] | null, includeSynonyms: boolean, includeDocumentation: boolean } =>
      ({ keys, includeSynonyms: req.includeSynonyms, includeDocumentation: req.includeDocumentation })
    const entries = (configs: DescribedConfig[]): Array<DescribedConfig & { isDefault: boolean }> =>
      configs.map(c => ({ ...c, isDefault: apiVersion === 0 && c.configSource === ConfigSource.DEFAULT_CONFIG }))
    return {
      throttleTimeMs: 0,
      results: req.resources.map(r => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName }
        const fail = (errorCode: number, errorMessage: string | null): typeof base & { errorCode: number, errorMessage: string | null, configs: [] } =>
          ({ ...base, errorCode, errorMessage, configs: [] })
        if (r.resourceType === ConfigResourceType.TOPIC) {
          const invalid = invalidTopicName(r.resourceName)
          if (invalid !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is invalid: ${invalid}`)
          const topic = broker.metadata.topic(r.resourceName)
          if (topic === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${r.resourceName}' does not exist.`)
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: entries(describeTopicConfigs(broker.config, topic.configs, opts(r.configurationKeys))) }
        }
        if (r.resourceType === ConfigResourceType.BROKER) {
          const bad = broker.controller.checkBrokerResource(r.resourceName, true)
          if (bad !== null) return fail(bad.code, bad.message)
          const configs = r.resourceName === '' ? [] : describeBrokerConfigs(broker.config, opts(r.configurationKeys))
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: entries(configs) }
        }
        const unsupported = unsupportedResource(r.resourceType)
        return fail(unsupported.code, unsupported.message)
      }),
    }
  },
})
