// Runs one client command the same way every time: parse (help, usage errors: exit 2), build the
// client config from the connection options, give the body an AbortSignal that the first Ctrl-C
// (or SIGTERM) aborts (a second one exits at once), and turn any failure into one line on stderr
// and exit code 1. No stack trace unless SAMSA_DEBUG is set.

import { readFileSync } from 'node:fs'
import { Admin } from '@platformatic/kafka'
import { baseOptions, type ClientConfig, parseClientProperties } from '../tools/clientOptions.ts'
import { describeError, ToolError, ToolErrorCodes } from '../tools/ToolError.ts'
import { type CommandSpec, DEFAULT_BOOTSTRAP_SERVER, type OptionSpecs, type ParsedCommand, parseCommand, parseDuration, UsageError } from './args.ts'
import { styleFor, type Style } from './output.ts'

export interface CommandContext {
  /** aborted by the first SIGINT/SIGTERM: streaming commands stop cleanly and exit 0 */
  signal: AbortSignal
  /** brokers and client properties, from --bootstrap-server, -X, --command-config and --timeout */
  client: ClientConfig
  /** colours for stdout and stderr */
  out: Style
  err: Style
}

/** `key=value` lines; `#` and `!` start comments (Java properties, the subset client configs use). */
function readProperties (path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`--command-config: cannot read ${path}: ${(err as Error).message}`)
  }
  return text.split(/\r?\n/).map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map(l => l.replace(/^([^=:\s]+)\s*[=:]\s*/, '$1='))
}

function clientConfig (values: Record<string, unknown>): ClientConfig {
  const servers = typeof values['bootstrap-server'] === 'string' ? values['bootstrap-server'] : DEFAULT_BOOTSTRAP_SERVER
  const bootstrapServers = servers.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const s of bootstrapServers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(s) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(s)) throw new UsageError(`--bootstrap-server: expected HOST:PORT, got '${s}'`)
  }
  if (bootstrapServers.length === 0) throw new UsageError('--bootstrap-server: expected HOST:PORT')
  const pairs = [
    ...(typeof values['command-config'] === 'string' ? readProperties(values['command-config']) : []),
    ...(Array.isArray(values['client-property']) ? values['client-property'] as string[] : []),
  ]
  let properties: Map<string, string>
  try {
    properties = parseClientProperties(pairs)
  } catch (err) {
    if (err instanceof ToolError) throw new UsageError(err.message)
    throw err
  }
  const timeoutMs = parseDuration('timeout', typeof values.timeout === 'string' ? values.timeout : undefined, 'ms')
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new UsageError('--timeout must be positive')
  return { bootstrapServers, properties, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }
}

export async function runCommand<O extends OptionSpecs> (
  spec: CommandSpec<O>,
  argv: readonly string[],
  body: (args: ParsedCommand<O>, context: CommandContext) => Promise<number>,
): Promise<number> {
  const err = styleFor(process.stderr)
  const fail = (message: string): void => { process.stderr.write(`${err.red(`samsa ${spec.name}:`)} ${message}\n`) }
  let args: ParsedCommand<O> | undefined
  let client: ClientConfig
  try {
    args = parseCommand(spec, argv)
    if (args === undefined) return 0
    client = clientConfig(args.values as Record<string, unknown>)
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}\n(see \`samsa ${spec.name} --help\`)`)
      return 2
    }
    throw error
  }

  const controller = new AbortController()
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await body(args, { signal: controller.signal, client, out: styleFor(process.stdout), err })
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message}\n(see \`samsa ${spec.name} --help\`)`)
      return 2
    }
    if (error instanceof ToolError && error.code === ToolErrorCodes.INVALID && /^-X /.test(error.message)) {
      fail(error.message)
      return 2
    }
    fail(describeError(error, client.bootstrapServers.join(',')))
    if ((process.env.SAMSA_DEBUG ?? '') !== '') process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Runs `body` with an Admin client, closed afterwards (the admin commands' connection). */
export async function withAdmin<T> (client: ClientConfig, body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(baseOptions(client, 'samsa-admin'))
  let clientError: Error | undefined
  admin.on('error', (error: Error) => { clientError ??= error })
  try {
    const result = await body(admin)
    if (clientError !== undefined) throw clientError
    return result
  } finally {
    await admin.close().catch(() => {})
  }
}
