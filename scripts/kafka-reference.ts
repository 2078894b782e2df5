// `npm run kafka:reference`: one reference Apache Kafka (KRaft, single node) on a free loopback
// port, for trying a client or a tool against the real thing. Ctrl-C stops it and removes its
// temp dir. The jars come from `bash .ci/setup kafka`.
//
//   npm run kafka:reference [-- --config key=value ...]

import { parseArgs } from 'node:util'
import { missingPeerMessage } from '../test/helpers/peers.ts'
import { startReferenceKafka } from '../test/helpers/referenceKafka.ts'

const { values } = parseArgs({
  options: { config: { type: 'string', multiple: true, default: [] } },
})
const config: Record<string, string> = {}
for (const entry of values.config) {
  const eq = entry.indexOf('=')
  if (eq <= 0) {
    process.stderr.write(`--config takes key=value, not ${entry}\n`)
    process.exit(2)
  }
  config[entry.slice(0, eq)] = entry.slice(eq + 1)
}

const missing = await missingPeerMessage('kafka')
if (missing !== undefined) {
  process.stderr.write(`${missing}\n`)
  process.exit(1)
}

const kafka = await startReferenceKafka({ config })
process.stdout.write(`kafka listening on ${kafka.bootstrap}\n` +
  `log.dirs ${kafka.logDir}\nserver log ${kafka.serverLog}\n(Ctrl-C stops it)\n`)

// The broker's process does not hold the event loop open (so a test that forgets stop() still
// ends); this timer does, until a signal arrives.
const keepAlive = setInterval(() => {}, 1 << 30)
let stopping = false
const stop = async (signal: string): Promise<void> => {
  if (stopping) return
  stopping = true
  process.stdout.write(`${signal}: stopping kafka\n`)
  await kafka.stop()
  clearInterval(keepAlive)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
