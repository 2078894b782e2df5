// samsa's public API: start a Kafka-compatible broker in this process.
//
//   await using broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir } })
//   console.log(broker.port)

import { Broker, type BrokerOptions } from './broker/Broker.ts'

export type { BrokerOptions, Endpoint } from './broker/Broker.ts'
export type { Broker }
export type { Logger } from './Logger.ts'
export { createLogger, nullLogger } from './Logger.ts'
export { ConfigError } from './config/ConfigDef.ts'

/** Starts a broker; resolves once it listens. Stop it with close() or `await using`. */
export async function startBroker (options: BrokerOptions = {}): Promise<Broker> {
  return new Broker(options).start()
}
