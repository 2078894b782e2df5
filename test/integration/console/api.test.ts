// The console's API against samsa (api.reference.test.ts runs the same steps against Apache Kafka).
import { test } from 'node:test'
import { startTestBroker } from '../../helpers/broker.ts'
import { consoleApiScenario } from './consoleApiScenario.ts'

test('console API against samsa: topics, produce, browse, tail, groups, stats, refusals', async (t) => {
  const { bootstrap } = await startTestBroker(t)
  await consoleApiScenario(t, bootstrap)
})
