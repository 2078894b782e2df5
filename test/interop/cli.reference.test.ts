// `samsa <command>` against Apache Kafka: the scenarios of test/integration/cli/cliScenarios.ts,
// which test/integration/cli/cli.test.ts runs against samsa, on one reference Kafka for the file.
// The tools speak only the Kafka protocol (through @platformatic/kafka), so they must work the same.

import { after, test } from 'node:test'
import { findPeer, requirePeer } from '../helpers/peers.ts'
import { type ReferenceKafka, startReferenceKafka } from '../helpers/referenceKafka.ts'
import { SCENARIOS } from '../integration/cli/cliScenarios.ts'

let kafka: Promise<ReferenceKafka> | undefined
after(async () => { await (await kafka?.catch(() => undefined))?.stop() })

for (const scenario of SCENARIOS) {
  test(`${scenario.name} against kafka`, async (t) => {
    if (await requirePeer(t, 'kafka') === undefined) return
    kafka ??= findPeer('kafka').then(jars => startReferenceKafka({ kafka: jars }))
    await scenario.run((await kafka).bootstrap)
  })
}
