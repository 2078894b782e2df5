// `samsa broker [server.properties] [--override key=value]... [--port N] [--data-dir DIR]`
// Starts the broker in the foreground. Configs use Kafka's names; a properties file is read first,
// then --override, --port and --data-dir. Ready when it prints `samsa listening on HOST:PORT`.
// SIGINT/SIGTERM shut down cleanly (flush, clean-shutdown marker); a second signal exits at once.

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Broker } from '../broker/Broker.ts'
import { ConfigError, parseProperties } from '../config/ConfigDef.ts'
import { createLogger, type Level, LEVELS } from '../Logger.ts'


const HELP = `usage: samsa broker [server.properties] [options]

Runs a Kafka-compatible broker in the foreground.

options:
  --override key=value   set a broker config (Kafka's names), repeatable
  --port N               listen on localhost:N (0 picks a free port)
  --data-dir DIR         where the logs live (log.dirs)
  --log-level LEVEL      trace, debug, info, warn, error (default info; logs go to stderr)
  -h, --help             show this help

Configs are read from the properties file, then the options. Examples:
  samsa broker
  samsa broker --port 0 --data-dir /tmp/samsa
  samsa broker config/server.properties --override num.partitions=3
`

export async function run (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        override: { type: 'string', multiple: true },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    process.stderr.write(`samsa broker: ${(err as Error).message}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  if (positionals.length > 1) { process.stderr.write('samsa broker: at most one properties file\n'); return 2 }
  const level = (values['log-level'] ?? 'info') as Level
  if (!(level in LEVELS)) { process.stderr.write(`samsa broker: unknown log level '${level}'\n`); return 2 }

  const config = new Map<string, string>()
  try {
    if (positionals[0] !== undefined) for (const [k, v] of parseProperties(readFileSync(positionals[0], 'utf8'))) config.set(k, v)
  } catch (err) {
    process.stderr.write(`samsa broker: cannot read ${positionals[0]}: ${(err as Error).message}\n`)
    return 1
  }
  for (const o of values.override ?? []) {
    const eq = o.indexOf('=')
    if (eq <= 0) { process.stderr.write(`samsa broker: --override expects key=value, got '${o}'\n`); return 2 }
    config.set(o.slice(0, eq), o.slice(eq + 1))
  }
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) { process.stderr.write(`samsa broker: bad --port '${values.port}'\n`); return 2 }
    config.set('listeners', `PLAINTEXT://localhost:${values.port}`)
  }
  if (values['data-dir'] !== undefined) config.set('log.dirs', values['data-dir'])

  const logger = createLogger({ level })
  let broker: Broker
  try {
    broker = new Broker({ config, logger })
    await broker.start()
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`samsa broker: invalid config: ${err.message}\n`); return 1 }
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') { process.stderr.write(`samsa broker: cannot listen: ${e.message}\n`); return 1 }
    throw err
  }
  return await new Promise<number>(resolve => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now')
        process.exit(130)
      }
      stopping = true
      logger.info({ signal }, 'shutting down')
      broker.close().then(() => resolve(0), err => { logger.error({ err }, 'shutdown failed'); resolve(1) })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // Ready only once the handlers are in place: whoever reads this line may signal at once.
    process.stdout.write(`samsa listening on ${broker.advertised.host}:${broker.port}\n`)
  })
}
