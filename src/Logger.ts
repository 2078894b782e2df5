// The logger samsa takes from its embedder (startBroker({ logger })): pino's calling convention,
// fields first and a short message second. Pass a pino instance, or use createLogger() for JSON
// lines on a stream, or nullLogger to stay silent. There is no global logger.

export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  child: (bindings: object) => Logger
}

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const
export type Level = keyof typeof LEVELS

const noop: LogFn = () => {}
export const nullLogger: Logger = {
  trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop,
  child: () => nullLogger,
}

export interface WritableLike { write: (chunk: string) => unknown }

/** JSON lines in pino's shape: {"level":30,"time":...,<bindings>,<fields>,"msg":"..."}. */
export function createLogger (options: { level?: Level, stream?: WritableLike, bindings?: object } = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info']
  const stream = options.stream ?? process.stderr
  const bindings = options.bindings ?? {}
  const make = (level: number): LogFn => {
    if (level < threshold) return noop
    return ((a: object | string, b?: string) => {
      const fields = typeof a === 'string' ? {} : serialise(a)
      const msg = typeof a === 'string' ? a : b
      stream.write(JSON.stringify({ level, time: Date.now(), ...bindings, ...fields, msg }) + '\n')
    }) as LogFn
  }
  return {
    trace: make(10), debug: make(20), info: make(30), warn: make(40), error: make(50), fatal: make(60),
    child: (more: object) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  }
}

function serialise (fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) out[k] = { type: v.name, message: v.message, stack: v.stack }
    else if (typeof v === 'bigint') out[k] = v.toString()
    else out[k] = v
  }
  return out
}
