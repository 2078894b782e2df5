// `samsa console [--bootstrap-server B] [--port 8080] [--host H] [--sensor-topic T]`
// Serves the web console for any Kafka cluster (samsa or Apache Kafka) until SIGINT/SIGTERM.
// Ready when it prints `samsa console at http://HOST:PORT/`.

import { parseArgs } from 'node:util'
import { startConsole } from '../console/server.ts'
import { createLogger, type Level, LEVELS } from '../Logger.ts'

const HELP = `usage: samsa console [options]

Serves the web console: topics, a message browser with live tail, consumer groups with lag,
live charts of messages/s, bytes/s and sensor readings.

options:
  --bootstrap-server B   the cluster, host:port[,host:port] (default localhost:9092)
  --port N               HTTP port (default 8080; 0 picks a free port)
  --host H               address to listen on (default localhost)
  --sensor-topic T       topic whose JSON readings feed the sensor chart (default sensors)
  --log-level LEVEL      trace, debug, info, warn, error (default warn; logs go to stderr)
  -h, --help             show this help
`

export async function run (argv: string[]): Promise<number> {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'bootstrap-server': { type: 'string', default: 'localhost:9092' },
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: 'localhost' },
        'sensor-topic': { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    process.stderr.write(`samsa console: ${(err as Error).message}\n`)
    return 2
  }
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) { process.stderr.write(`samsa console: bad --port '${values.port}'\n`); return 2 }
  const level = values['log-level'] as Level
  if (!(level in LEVELS)) { process.stderr.write(`samsa console: unknown log level '${level}'\n`); return 2 }

  let running
  try {
    running = await startConsole({
      bootstrapServers: values['bootstrap-server'],
      port: Number(values.port),
      host: values.host,
      logger: createLogger({ level }),
      ...(values['sensor-topic'] !== undefined ? { sensorTopic: values['sensor-topic'] } : {}),
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') { process.stderr.write(`samsa console: cannot listen: ${e.message}\n`); return 1 }
    if (err instanceof RangeError) { process.stderr.write(`samsa console: ${err.message}\n`); return 2 }
    throw err
  }
  if (running.assetsMissing) process.stderr.write('samsa console: the page is not built; run `npm run build:console` (the API under /api/ works)\n')
  const console = running
  return await new Promise<number>(resolve => {
    let stopping = false
    const onSignal = (): void => {
      if (stopping) process.exit(130)
      stopping = true
      console.close().then(() => resolve(0), () => resolve(1))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // Announced only once the handlers are in place: whoever reads this line may signal at once.
    process.stdout.write(`samsa console at ${running.url} (cluster ${values['bootstrap-server']})\n`)
  })
}
