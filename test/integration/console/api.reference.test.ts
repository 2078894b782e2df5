// The console's API against Apache Kafka: the same steps as api.test.ts, so the console is shown
// to be a plain Kafka client and samsa's answers to match Kafka's.
import { test } from 'node:test'
import { requirePeer } from '../../helpers/peers.ts'
import { startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { consoleApiScenario } from './consoleApiScenario.ts'

test('console API against Apache Kafka: topics, produce, browse, tail, groups, stats, refusals', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const broker = await startReferenceKafka({ kafka })
  t.after(() => broker.stop())
  await consoleApiScenario(t, broker.bootstrap)
})
