// Calls to the console server's JSON API, and the shapes it answers with.

export interface Overview { clusterId: string, controllerId: number, brokers: Array<{ nodeId: number, host: string, port: number }>, bootstrapServers: string[] }
export interface TopicSummary { name: string, internal: boolean, partitions: number, messages: number, sizeBytes: number }
export interface PartitionDetail { partition: number, leader: number, replicas: number[], isr: number[], logStartOffset: number, highWatermark: number, sizeBytes: number }
export interface TopicConfigEntry { name: string, value: string | null, source: string, isDefault: boolean, readOnly: boolean, sensitive: boolean }
export interface TopicDetail { name: string, id: string, internal: boolean, partitions: PartitionDetail[], configs: TopicConfigEntry[] }
export interface Message {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  keyEncoding: 'utf8' | 'base64'
  value: string | null
  valueEncoding: 'utf8' | 'base64'
  size: number
  truncated: boolean
  headers: Array<[string, string | null]>
}
export interface BrowseResult { messages: Message[], scanned: number, complete: boolean }
export interface GroupSummary { groupId: string, state: string, protocolType: string, members: number, lag: number }
export interface GroupPartitionLag { topic: string, partition: number, committedOffset: number, highWatermark: number, lag: number, memberId: string | null, clientId: string | null, host: string | null }
export interface GroupDetail {
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: Array<{ memberId: string, clientId: string, host: string, assignments: Array<{ topic: string, partitions: number[] }> }>
  partitions: GroupPartitionLag[]
  lag: number
}
export interface RatePoint { t: number, topics: Record<string, { messagesPerSec: number, bytesPerSec: number }> }
export interface LagPoint { t: number, groups: Record<string, number> }
export interface Reading { t: number, values: Record<string, number> }
export interface StatsSnapshot { intervalMs: number, sensorTopic: string, rates: RatePoint[], lag: LagPoint[], readings: Reading[] }

export class ApiError extends Error {
  readonly status: number
  constructor (status: number, message: string) {
    super(message)
    this.status = status
  }
}

async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: unknown = null
  try { parsed = text === '' ? null : JSON.parse(text) } catch { parsed = { error: text } }
  if (!res.ok) {
    const message = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String((parsed as { error: unknown }).error) : `HTTP ${res.status}`
    throw new ApiError(res.status, message)
  }
  return parsed as T
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path)
export const post = <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, body)
export const del = <T>(path: string): Promise<T> => call<T>('DELETE', path)

export const enc = encodeURIComponent
