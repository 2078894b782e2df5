// The brokers interop tests run against: samsa in this process, or one reference Apache Kafka.
// Both take num.partitions=2 so auto-created topics have two partitions (per-partition order
// and key placement are checked).

import { startTestBroker } from '../helpers/broker.ts'
import { findPeer } from '../helpers/peers.ts'
import { startReferenceKafka } from '../helpers/referenceKafka.ts'
import type { Target } from './roundtrip.ts'

export const INTEROP_BROKER_CONFIG = { 'num.partitions': 2 } as const

export async function startSamsaTarget (): Promise<Target> {
  const cleanups: Array<() => Promise<void>> = []
  const { bootstrap } = await startTestBroker({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }, { ...INTEROP_BROKER_CONFIG })
  return { bootstrap, stop: async () => { for (const fn of cleanups) await fn() } }
}

/** Apache Kafka, or a target whose bootstrap no test uses when the jars are missing (each test then skips or fails on requirePeer). */
export async function startKafkaTarget (): Promise<Target> {
  const jars = await findPeer('kafka')
  if (jars === undefined) throw new Error('Apache Kafka is missing: bash .ci/setup kafka')
  const kafka = await startReferenceKafka({ kafka: jars, config: { ...INTEROP_BROKER_CONFIG } })
  return { bootstrap: kafka.bootstrap, stop: () => kafka.stop() }
}
