// What the console's pages show about the cluster, read through the Kafka protocol with
// @platformatic/kafka's Admin client only (no import from the broker), so the console works the
// same against samsa and Apache Kafka: topics with their partitions, offsets, sizes and configs;
// consumer groups with their members, committed offsets and lag.

import type { Admin, ClusterMetadata } from '@platformatic/kafka'

/** DescribeConfigs' ConfigSource values, by number. */
const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG']
const TOPIC_RESOURCE = 2
const LATEST = -1n
const EARLIEST = -2n

export interface TopicSummary {
  name: string
  internal: boolean
  partitions: number
  /** high watermark minus log start offset, summed over partitions */
  messages: number
  /** bytes on disk (DescribeLogDirs), summed over partitions; -1 when unknown */
  sizeBytes: number
}

export interface PartitionDetail {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
  logStartOffset: number
  highWatermark: number
  sizeBytes: number
}

export interface TopicConfigEntry {
  name: string
  value: string | null
  source: string
  isDefault: boolean
  readOnly: boolean
  sensitive: boolean
}

export interface TopicDetail {
  name: string
  id: string
  internal: boolean
  partitions: PartitionDetail[]
  configs: TopicConfigEntry[]
}

export interface GroupSummary {
  groupId: string
  state: string
  protocolType: string
  members: number
  /** summed lag over the partitions with a committed offset */
  lag: number
}

export interface GroupPartitionLag {
  topic: string
  partition: number
  committedOffset: number
  highWatermark: number
  lag: number
  /** the member assigned the partition, if any */
  memberId: string | null
  clientId: string | null
  host: string | null
}

export interface GroupDetail {
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: Array<{ memberId: string, clientId: string, host: string, assignments: Array<{ topic: string, partitions: number[] }> }>
  partitions: GroupPartitionLag[]
  lag: number
}

export interface NewTopic {
  name: string
  partitions?: number
  replicationFactor?: number
  configs?: Record<string, string>
}

export function isInternalTopic (name: string): boolean {
  return name.startsWith('__')
}

function toNumber (v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v)
}

export class ClusterView {
  readonly admin: Admin

  constructor (admin: Admin) {
    this.admin = admin
  }

  async overview (): Promise<{ clusterId: string, controllerId: number, brokers: Array<{ nodeId: number, host: string, port: number }> }> {
    const md = await this.admin.metadata({ topics: [], forceUpdate: true })
    return {
      clusterId: md.id,
      controllerId: md.controllerId,
      brokers: [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })),
    }
  }

  /**
   * Fresh metadata of the named topics (all when omitted). Kafka's internal topics
   * (__consumer_offsets, __transaction_state) are left out: the client keeps no metadata for them.
   */
  async metadata (topics?: string[]): Promise<ClusterMetadata> {
    const names = topics ?? await this.admin.listTopics({ includeInternals: false })
    const md = await this.admin.metadata({ topics: names, forceUpdate: true, autocreateTopics: false })
    const known = new Map([...md.topics].filter(([, t]) => t !== undefined))
    return { ...md, topics: known }
  }

  /** Log start offsets and high watermarks of every partition of the topics. */
  async offsets (topics: ReadonlyArray<{ name: string, partitions: number }>): Promise<Map<string, { start: number[], end: number[] }>> {
    const out = new Map<string, { start: number[], end: number[] }>()
    const withPartitions = topics.filter(t => t.partitions > 0)
    if (withPartitions.length === 0) return out
    const list = (timestamp: bigint) => this.admin.listOffsets({
      topics: withPartitions.map(t => ({ name: t.name, partitions: Array.from({ length: t.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })) })),
    })
    const [starts, ends] = await Promise.all([list(EARLIEST), list(LATEST)])
    for (const t of withPartitions) out.set(t.name, { start: new Array<number>(t.partitions).fill(0), end: new Array<number>(t.partitions).fill(0) })
    for (const t of starts) for (const p of t.partitions) { const o = out.get(t.name); if (o !== undefined) o.start[p.partitionIndex] = toNumber(p.offset) }
    for (const t of ends) for (const p of t.partitions) { const o = out.get(t.name); if (o !== undefined) o.end[p.partitionIndex] = toNumber(p.offset) }
    return out
  }

  /** Bytes on disk per partition (summed over log dirs and brokers); an empty map if the cluster refuses DescribeLogDirs. */
  async logSizes (topics: ReadonlyArray<{ name: string, partitions: number }>): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>()
    const withPartitions = topics.filter(t => t.partitions > 0)
    if (withPartitions.length === 0) return out
    let described
    try {
      described = await this.admin.describeLogDirs({ topics: withPartitions.map(t => ({ name: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => i) })) })
    } catch {
      return out
    }
    for (const broker of described) {
      for (const dir of broker.results) {
        for (const t of dir.topics) {
          let sizes = out.get(t.name)
          if (sizes === undefined) { sizes = []; out.set(t.name, sizes) }
          for (const p of t.partitions) sizes[p.partitionIndex] = (sizes[p.partitionIndex] ?? 0) + toNumber(p.partitionSize)
        }
      }
    }
    return out
  }

  async topics (): Promise<TopicSummary[]> {
    const md = await this.metadata()
    const list = [...md.topics].map(([name, t]) => ({ name, partitions: t.partitionsCount }))
    const [offsets, sizes] = await Promise.all([this.offsets(list), this.logSizes(list)])
    return list.map(({ name, partitions }) => {
      const o = offsets.get(name)
      let messages = 0
      if (o !== undefined) for (let i = 0; i < partitions; i++) messages += (o.end[i] ?? 0) - (o.start[i] ?? 0)
      const s = sizes.get(name)
      return { name, internal: isInternalTopic(name), partitions, messages, sizeBytes: s === undefined ? -1 : s.reduce((a, b) => a + b, 0) }
    }).sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name))
  }

  async topic (name: string): Promise<TopicDetail | undefined> {
    const names = await this.admin.listTopics({ includeInternals: false })
    if (!names.includes(name)) return undefined
    const md = await this.metadata([name])
    const t = md.topics.get(name)
    if (t === undefined) return undefined
    const list = [{ name, partitions: t.partitionsCount }]
    const [offsets, sizes, configs] = await Promise.all([
      this.offsets(list),
      this.logSizes(list),
      this.admin.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: [] }] }),
    ])
    const o = offsets.get(name)
    const s = sizes.get(name)
    return {
      name,
      id: t.id,
      internal: isInternalTopic(name),
      partitions: t.partitions.map((p, i) => ({
        partition: i,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: o?.start[i] ?? 0,
        highWatermark: o?.end[i] ?? 0,
        sizeBytes: s?.[i] ?? -1,
      })),
      configs: (configs[0]?.configs ?? []).map(c => ({
        name: c.name,
        value: c.value ?? null,
        source: CONFIG_SOURCES[c.configSource] ?? String(c.configSource),
        isDefault: c.configSource === 5,
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
      })).sort((a, b) => a.name.localeCompare(b.name)),
    }
  }

  async createTopic (t: NewTopic): Promise<void> {
    await this.admin.createTopics({
      topics: [t.name],
      partitions: t.partitions ?? -1,
      replicas: t.replicationFactor ?? -1,
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })
  }

  async deleteTopic (name: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [name] })
  }

  /** Committed offsets of each group, by topic and partition (topics with no commit are absent). */
  async committedOffsets (groupIds: readonly string[]): Promise<Map<string, Map<string, Map<number, number>>>> {
    const out = new Map<string, Map<string, Map<number, number>>>()
    if (groupIds.length === 0) return out
    const listed = await this.admin.listConsumerGroupOffsets({ groups: [...groupIds] })
    for (const g of listed) {
      const topics = new Map<string, Map<number, number>>()
      for (const t of g.topics) {
        const parts = new Map<number, number>()
        for (const p of t.partitions) if (p.committedOffset >= 0n) parts.set(p.partitionIndex, toNumber(p.committedOffset))
        if (parts.size > 0) topics.set(t.name, parts)
      }
      out.set(g.groupId, topics)
    }
    return out
  }

  /** Lag of each group: per partition with a commit, high watermark minus committed (never negative). */
  async lag (groupIds: readonly string[]): Promise<Map<string, GroupPartitionLag[]>> {
    const committed = await this.committedOffsets(groupIds)
    const topicNames = new Set<string>()
    for (const topics of committed.values()) for (const t of topics.keys()) topicNames.add(t)
    const md = topicNames.size === 0 ? null : await this.metadata([...topicNames])
    const offsets = md === null ? new Map<string, { start: number[], end: number[] }>() : await this.offsets([...md.topics].map(([name, t]) => ({ name, partitions: t.partitionsCount })))
    const out = new Map<string, GroupPartitionLag[]>()
    for (const groupId of groupIds) {
      const rows: GroupPartitionLag[] = []
      for (const [topic, parts] of committed.get(groupId) ?? []) {
        for (const [partition, committedOffset] of parts) {
          const highWatermark = offsets.get(topic)?.end[partition] ?? committedOffset
          rows.push({ topic, partition, committedOffset, highWatermark, lag: Math.max(0, highWatermark - committedOffset), memberId: null, clientId: null, host: null })
        }
      }
      rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      out.set(groupId, rows)
    }
    return out
  }

  async groups (): Promise<GroupSummary[]> {
    const listed = await this.admin.listGroups()
    const ids = [...listed.keys()].sort()
    if (ids.length === 0) return []
    const [described, lags] = await Promise.all([this.admin.describeGroups({ groups: ids }), this.lag(ids)])
    return ids.map(groupId => {
      const base = listed.get(groupId)
      const d = described.get(groupId)
      return {
        groupId,
        state: d?.state ?? base?.state ?? 'Unknown',
        protocolType: d?.protocolType ?? base?.protocolType ?? '',
        members: d?.members.size ?? 0,
        lag: (lags.get(groupId) ?? []).reduce((a, r) => a + r.lag, 0),
      }
    })
  }

  async group (groupId: string): Promise<GroupDetail | undefined> {
    const [described, lags] = await Promise.all([this.admin.describeGroups({ groups: [groupId] }), this.lag([groupId])])
    const d = described.get(groupId)
    const partitions = lags.get(groupId) ?? []
    if ((d === undefined || d.state === 'Dead') && partitions.length === 0) return undefined
    const members = [...(d?.members.values() ?? [])].map(m => ({
      memberId: m.id,
      clientId: m.clientId,
      host: m.clientHost,
      assignments: [...(m.assignments?.values() ?? [])].map(a => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) })),
    }))
    for (const row of partitions) {
      const owner = members.find(m => m.assignments.some(a => a.topic === row.topic && a.partitions.includes(row.partition)))
      if (owner !== undefined) { row.memberId = owner.memberId; row.clientId = owner.clientId; row.host = owner.host }
    }
    return {
      groupId,
      state: d?.state ?? 'Empty',
      protocolType: d?.protocolType ?? '',
      protocol: d?.protocol ?? '',
      members,
      partitions,
      lag: partitions.reduce((a, r) => a + r.lag, 0),
    }
  }
}
