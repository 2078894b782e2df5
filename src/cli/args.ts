// The argument parser every `samsa <command>` shares: node:util parseArgs driven by one
// declaration per command (its synopsis, positionals and options, each with its help line), so
// that --help, usage errors and the exit code for them (2) are the same everywhere.
//
//   const spec = defineCommand({ name: 'consume', synopsis: 'TOPIC [options]', summary: '...',
//     positionals: { min: 1, max: 1 }, options: { group: { type: 'string', arg: 'G', help: '...' } } })
//   const args = parseCommand(spec, argv)   // throws UsageError; undefined after printing --help
//
// Options that take a value accept a leading dash in it when it is a number (`--from -10`,
// `--shift-by -5`), which parseArgs alone would read as an option.

import { parseArgs, type ParseArgsOptionDescriptor } from 'node:util'

export interface OptionSpec extends ParseArgsOptionDescriptor {
  /** the value's placeholder in help (`--group G`) */
  arg?: string
  help: string
}

export type OptionSpecs = Record<string, OptionSpec>

export interface CommandSpec<O extends OptionSpecs> {
  /** `consume`, or `topics create` for a subcommand */
  name: string
  /** what follows the name in the usage line: `TOPIC [options]` */
  synopsis: string
  summary: string
  /** paragraphs after the summary */
  details?: string
  positionals: { min: number, max: number }
  options: O
  examples?: readonly string[]
}

type ValueOf<D extends OptionSpec> = D['type'] extends 'boolean'
  ? (D['multiple'] extends true ? boolean[] : boolean)
  : (D['multiple'] extends true ? string[] : string)

export type ParsedOptions<O extends OptionSpecs> = { [K in keyof O]?: ValueOf<O[K]> }

export interface ParsedCommand<O extends OptionSpecs> {
  values: ParsedOptions<O>
  positionals: string[]
}

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** What every command adds: -h/--help. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h', help: 'show this help' } } as const satisfies OptionSpecs

export function defineCommand<O extends OptionSpecs> (spec: CommandSpec<O>): CommandSpec<O & typeof HELP_OPTION> {
  return { ...spec, options: { ...spec.options, ...HELP_OPTION } }
}

/** The options that connect to a broker, shared by every client command (Kafka's names). */
export const CONNECTION_OPTIONS = {
  'bootstrap-server': { type: 'string', arg: 'HOST:PORT[,...]', help: 'the broker(s) to connect to (default localhost:9092)' },
  'client-property': { type: 'string', short: 'X', multiple: true, arg: 'key=value', help: 'a client property by Kafka\'s name (client.id, request.timeout.ms, sasl.mechanism, security.protocol ...), repeatable' },
  'command-config': { type: 'string', arg: 'FILE', help: 'a properties file of client properties (as -X)' },
  timeout: { type: 'string', arg: 'DURATION', help: 'give up connecting after this long (default 10s)' },
} as const satisfies OptionSpecs

export const DEFAULT_BOOTSTRAP_SERVER = 'localhost:9092'

export function helpText<O extends OptionSpecs> (spec: CommandSpec<O>): string {
  const lines = [`usage: samsa ${spec.name} ${spec.synopsis}`.trimEnd(), '', spec.summary]
  if (spec.details !== undefined) lines.push('', spec.details.trimEnd())
  const entries = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short !== undefined ? `-${o.short}, ` : '    '}--${name}${o.arg !== undefined ? ` ${o.arg}` : ''}`
    return [flag, o.help] as const
  })
  if (entries.length > 0) {
    const width = Math.min(34, Math.max(...entries.map(([f]) => f.length)))
    lines.push('', 'options:')
    for (const [flag, help] of entries) {
      lines.push(flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${help}` : `  ${flag.padEnd(width)}  ${help}`)
    }
  }
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'examples:', ...spec.examples.map(e => `  ${e}`))
  }
  return lines.join('\n') + '\n'
}

/** `--opt -5` → `--opt=-5` for options that take a value, so negative numbers work unquoted. */
function joinNegativeValues (argv: readonly string[], options: OptionSpecs): string[] {
  const takesValue = new Set<string>()
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue
    takesValue.add(`--${name}`)
    if (o.short !== undefined) takesValue.add(`-${o.short}`)
  }
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const next = argv[i + 1]
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

/**
 * Parses argv for a command. Prints the help and returns undefined for -h/--help; throws
 * UsageError for an unknown option, a missing value or the wrong number of positionals.
 */
export function parseCommand<O extends OptionSpecs> (spec: CommandSpec<O>, argv: readonly string[]): ParsedCommand<O> | undefined {
  let parsed
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, spec.options), options: spec.options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option '(.*?)'.*$/s, 'unknown option \'$1\''))
  }
  const values = parsed.values as ParsedOptions<O> & { help?: boolean }
  if (values.help === true) {
    process.stdout.write(helpText(spec))
    return undefined
  }
  const { min, max } = spec.positionals
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: ${spec.synopsis.split(' ').filter(w => /^[A-Z]/.test(w))[parsed.positionals.length] ?? 'an argument'}`)
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument '${parsed.positionals[max] as string}'`)
  return { values, positionals: parsed.positionals }
}

// Value parsers: each throws UsageError naming the option.

export function parseInteger (option: string, text: string | undefined, options: { min?: number, max?: number } = {}): number | undefined {
  if (text === undefined) return undefined
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${option}: expected an integer, got '${text}'`)
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${option}: ${text} is too large`)
  if (options.min !== undefined && n < options.min) throw new UsageError(`--${option}: must be at least ${options.min}, got ${n}`)
  if (options.max !== undefined && n > options.max) throw new UsageError(`--${option}: must be at most ${options.max}, got ${n}`)
  return n
}

export function parseBigInteger (option: string, text: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${option}: expected an integer, got '${text}'`)
  return BigInt(text)
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `10s`, `1m`, `2h`, `1d`, `1.5s`; a bare number is `bareUnit` (default seconds). */
export function parseDuration (option: string, text: string | undefined, bareUnit: 'ms' | 's' = 's'): number | undefined {
  if (text === undefined) return undefined
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (m === null) throw new UsageError(`--${option}: expected a duration such as 500ms, 10s, 1m or 2h, got '${text}'`)
  const ms = Number(m[1]) * (UNITS_MS[m[2] ?? bareUnit] as number)
  if (!Number.isFinite(ms)) throw new UsageError(`--${option}: '${text}' is too long`)
  return Math.round(ms)
}

/** `key=value` pairs (repeatable options like --config, --header). */
export function parsePairs (option: string, pairs: readonly string[] | undefined): Array<[string, string]> {
  return (pairs ?? []).map(pair => {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--${option}: expected key=value, got '${pair}'`)
    return [pair.slice(0, eq), pair.slice(eq + 1)]
  })
}

export function parseChoice<T extends string> (option: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${option}: expected one of ${choices.join(', ')}, got '${text}'`)
  return text as T
}

/**
 * A command made of subcommands (`samsa topics list`): picks one from the table and runs it;
 * `--help` (or nothing) lists them.
 */
export async function dispatchSubcommand (
  command: string,
  summary: string,
  table: Readonly<Record<string, { summary: string, run: (argv: string[]) => Promise<number> }>>,
  argv: readonly string[],
): Promise<number> {
  const [name, ...rest] = argv
  const usage = (): string => [
    `usage: samsa ${command} <${Object.keys(table).join('|')}> [options]`, '', summary, '', 'subcommands:',
    ...Object.entries(table).map(([n, s]) => `  ${n.padEnd(14)} ${s.summary}`),
    '', `\`samsa ${command} <subcommand> --help\` shows its options.`,
  ].join('\n') + '\n'
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return 0
  }
  if (name === undefined) {
    process.stderr.write(usage())
    return 2
  }
  const sub = table[name]
  if (sub === undefined) {
    process.stderr.write(`samsa ${command}: unknown subcommand '${name}'\n\n${usage()}`)
    return 2
  }
  return sub.run(rest)
}
