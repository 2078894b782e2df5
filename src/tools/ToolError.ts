// What can go wrong in a tool, as one line a person can act on. The tools throw ToolError for the
// outcomes they detect themselves (an unknown topic, a group that is still active); describeError()
// turns anything else, mostly @platformatic/kafka's error trees (MultipleErrors around
// NetworkError around ECONNREFUSED), into the same kind of line. The CLI prints it and exits 1.

export const ToolErrorCodes = {
  UNREACHABLE: 'UNREACHABLE',
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC',
  UNKNOWN_GROUP: 'UNKNOWN_GROUP',
  TOPIC_EXISTS: 'TOPIC_EXISTS',
  GROUP_ACTIVE: 'GROUP_ACTIVE',
  INVALID: 'INVALID',
  BROKER: 'BROKER',
} as const
export type ToolErrorCode = (typeof ToolErrorCodes)[keyof typeof ToolErrorCodes]

export class ToolError extends Error {
  readonly code: ToolErrorCode
  constructor (code: ToolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ToolError'
    this.code = code
  }
}

interface ErrorLike {
  message?: unknown
  code?: unknown
  errors?: unknown
  cause?: unknown
  apiId?: unknown
  serverErrorMessage?: unknown
}

/** Every error in the tree under `error` (itself first): AggregateError.errors and causes. Bounded. */
function flatten (error: unknown): ErrorLike[] {
  const out: ErrorLike[] = []
  const queue: unknown[] = [error]
  while (queue.length > 0 && out.length < 64) {
    const e = queue.shift()
    if (typeof e !== 'object' || e === null) continue
    const like = e as ErrorLike
    out.push(like)
    if (Array.isArray(like.errors)) queue.push(...(like.errors as unknown[]))
    if (like.cause !== undefined) queue.push(like.cause)
  }
  return out
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
}

/** Whether the error says no broker could be reached at all. */
export function isUnreachable (error: unknown): boolean {
  return flatten(error).some(e => (typeof e.code === 'string' && e.code in SOCKET_ERRORS) ||
    (typeof e.message === 'string' && /Cannot connect to any broker|Connection to .* timed out/i.test(e.message)))
}

/**
 * One line for any error: a ToolError as it is; an unreachable broker as `cannot connect to
 * <bootstrap> (connection refused)`; a broker error code by Kafka's name (UNKNOWN_TOPIC_OR_PARTITION);
 * otherwise the innermost message.
 */
export function describeError (error: unknown, bootstrap?: string): string {
  if (error instanceof ToolError) return error.message
  const all = flatten(error)
  if (isUnreachable(error)) {
    const socket = all.find(e => typeof e.code === 'string' && e.code in SOCKET_ERRORS)
    const why = socket !== undefined ? SOCKET_ERRORS[socket.code as string] : 'timed out'
    return `cannot connect to ${bootstrap ?? 'the broker'} (${why})`
  }
  const tool = all.find((e): e is ToolError => e instanceof ToolError)
  if (tool !== undefined) return tool.message
  const protocol = all.find(e => typeof e.apiId === 'string')
  if (protocol !== undefined) {
    const detail = typeof protocol.serverErrorMessage === 'string' && protocol.serverErrorMessage !== '' ? `: ${protocol.serverErrorMessage}` : ''
    return `broker answered ${protocol.apiId as string}${detail}`
  }
  // The innermost message says the most (the outer ones are "Listing topics failed.").
  const messages = all.map(e => (typeof e.message === 'string' ? e.message : '')).filter(m => m !== '')
  const line = (messages[messages.length - 1] ?? String(error)).split('\n')[0] ?? ''
  return line.replace(/\.$/, '')
}
