// Matrix client -> its driver, built from the peer that test/helpers/peers.ts found.

import { CONFLUENT_KAFKA_DRIVER, KAFKA_PYTHON_DRIVER, pythonDriver } from '../helpers/clients/pythonDriver.ts'
import type { ClientDriver } from '../helpers/clients/ClientDriver.ts'
import { consoleDriver } from '../helpers/clients/consoleDriver.ts'
import { kafkajsDriver } from '../helpers/clients/kafkajsDriver.ts'
import { kcatDriver } from '../helpers/clients/kcatDriver.ts'
import { platformaticDriver } from '../helpers/clients/platformaticDriver.ts'
import type { ValueKind } from '../helpers/clients/records.ts'
import { findPeer, type KafkaJars } from '../helpers/peers.ts'
import { clientInfo, type ClientId } from './matrix.ts'

export interface DriverSpec {
  /** the value kinds the client can produce (the console producer reads text lines) */
  kinds: readonly ValueKind[]
  make: (peer: unknown) => ClientDriver | Promise<ClientDriver>
}

const python = (script: string): DriverSpec => ({ kinds: ['json', 'binary'], make: peer => pythonDriver(peer as string, script) })

/** Clients whose rows run their own scenarios (kafka-topics, the group scenarios of groups.test.ts), not the roundtrip driver. */
export type ScenarioOnlyClient = 'kafka-topics' | 'kafka-java' | 'kafka-consumer-groups'
const SCENARIO_ONLY: ReadonlySet<ClientId> = new Set<ScenarioOnlyClient>(['kafka-topics', 'kafka-java', 'kafka-consumer-groups'])
export function isScenarioOnlyClient (client: ClientId): client is ScenarioOnlyClient { return SCENARIO_ONLY.has(client) }

export const DRIVERS: Readonly<Record<Exclude<ClientId, ScenarioOnlyClient>, DriverSpec>> = {
  'kafka-python-2.0.2': python(KAFKA_PYTHON_DRIVER),
  'kafka-python': python(KAFKA_PYTHON_DRIVER),
  'confluent-kafka-debian': python(CONFLUENT_KAFKA_DRIVER),
  'confluent-kafka': python(CONFLUENT_KAFKA_DRIVER),
  kcat: { kinds: ['json', 'binary'], make: peer => kcatDriver(peer as string) },
  kafkajs: { kinds: ['json', 'binary'], make: peer => kafkajsDriver(peer as string) },
  platformatic: { kinds: ['json', 'binary'], make: peer => platformaticDriver(peer as string) },
  'kafka-console': { kinds: ['json'], make: peer => consoleDriver(peer as KafkaJars) },
}

/** The client's driver, or undefined when its peer is missing (the test reports that itself). */
export async function driverFor (client: Exclude<ClientId, ScenarioOnlyClient>): Promise<ClientDriver | undefined> {
  const peer = await findPeer(clientInfo(client).peer)
  if (peer === undefined) return undefined
  return DRIVERS[client].make(peer)
}
