// Topic administration over the Admin API, what kafka-topics does: list, create, describe,
// alter (partitions, configs) and delete. Every function takes an open @platformatic/kafka Admin;
// outcomes a person can act on (unknown topic, topic exists) are ToolErrors.

import { type Admin, findErrorBy } from '@platformatic/kafka'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

/** Kafka's ConfigResource type for a topic and ConfigSource for a config set on the topic. */
const TOPIC_RESOURCE = 2
const DYNAMIC_TOPIC_CONFIG = 1
const SET = 0 as const
const DELETE = 1 as const

export interface PartitionDescription {
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
}

export interface TopicDescription {
  name: string
  topicId: string
  partitionCount: number
  replicationFactor: number
  /** the configs set on the topic (not the defaults it inherits), as kafka-topics --describe shows */
  configs: Record<string, string>
  partitions: PartitionDescription[]
}

export function isInternalTopic (name: string): boolean {
  return name.startsWith('__')
}

export async function listTopics (admin: Admin, options: { excludeInternal?: boolean } = {}): Promise<string[]> {
  const topics = await admin.listTopics({ includeInternals: options.excludeInternal !== true })
  return topics.filter(t => options.excludeInternal !== true || !isInternalTopic(t)).sort()
}

async function requireTopics (admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics({ includeInternals: true }))
  const missing = topics.filter(t => !existing.has(t))
  if (missing.length > 0) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic${missing.length > 1 ? 's' : ''} ${missing.map(t => `'${t}'`).join(', ')}`)
}

export interface CreateTopicOptions {
  topic: string
  /** default: the broker's num.partitions */
  partitions?: number
  /** default: the broker's default.replication.factor */
  replicationFactor?: number
  configs?: Readonly<Record<string, string>>
  ifNotExists?: boolean
}

/** Creates a topic; resolves with false when it existed and ifNotExists was given. */
export async function createTopic (admin: Admin, options: CreateTopicOptions): Promise<boolean> {
  try {
    await admin.createTopics({
      topics: [options.topic],
      partitions: options.partitions ?? -1,
      replicas: options.replicationFactor ?? -1,
      configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
    })
    return true
  } catch (error) {
    if (findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS') !== null) {
      if (options.ifNotExists === true) return false
      throw new ToolError(ToolErrorCodes.TOPIC_EXISTS, `topic '${options.topic}' already exists`, { cause: error })
    }
    throw error
  }
}

/** Describes the given topics (all of them, internal ones included, when none are given). */
export async function describeTopics (admin: Admin, topics?: readonly string[]): Promise<TopicDescription[]> {
  const names = topics !== undefined && topics.length > 0 ? [...topics] : await listTopics(admin)
  if (topics !== undefined && topics.length > 0) await requireTopics(admin, names)
  if (names.length === 0) return []
  const metadata = await admin.metadata({ topics: names, forceUpdate: true })
  const configs = await admin.describeConfigs({ resources: names.map(resourceName => ({ resourceType: TOPIC_RESOURCE, resourceName })) })
  const out: TopicDescription[] = []
  for (const name of names) {
    const t = metadata.topics.get(name)
    if (t === undefined) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${name}'`)
    const set: Record<string, string> = {}
    for (const c of configs.find(r => r.resourceName === name)?.configs ?? []) {
      if (c.configSource === DYNAMIC_TOPIC_CONFIG && c.value !== null && c.value !== undefined) set[c.name] = c.isSensitive ? '(sensitive)' : c.value
    }
    const partitions = t.partitions.map((p, partition) => ({
      partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: [...p.replicas], isr: [...p.isr],
    }))
    out.push({
      name,
      topicId: t.id,
      partitionCount: t.partitionsCount,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      configs: set,
      partitions,
    })
  }
  return out
}

export interface AlterTopicOptions {
  topic: string
  /** the new partition count (only growing is possible) */
  partitions?: number
  setConfigs?: Readonly<Record<string, string>>
  deleteConfigs?: readonly string[]
}

export async function alterTopic (admin: Admin, options: AlterTopicOptions): Promise<void> {
  await requireTopics(admin, [options.topic])
  if (options.partitions !== undefined) {
    const metadata = await admin.metadata({ topics: [options.topic], forceUpdate: true })
    const current = metadata.topics.get(options.topic)?.partitionsCount ?? 0
    if (options.partitions < current) {
      throw new ToolError(ToolErrorCodes.INVALID, `topic '${options.topic}' has ${current} partitions; the count can only grow`)
    }
    if (options.partitions > current) await admin.createPartitions({ topics: [{ name: options.topic, count: options.partitions }] })
  }
  const configs = [
    ...Object.entries(options.setConfigs ?? {}).map(([name, value]) => ({ name, value, configOperation: SET })),
    ...(options.deleteConfigs ?? []).map(name => ({ name, configOperation: DELETE })),
  ]
  if (configs.length > 0) {
    await admin.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: options.topic, configs }] })
  }
}

/** Deletes a topic; resolves with false when it did not exist and ifExists was given. */
export async function deleteTopic (admin: Admin, options: { topic: string, ifExists?: boolean }): Promise<boolean> {
  const existing = new Set(await admin.listTopics({ includeInternals: true }))
  if (!existing.has(options.topic)) {
    if (options.ifExists === true) return false
    throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${options.topic}'`)
  }
  await admin.deleteTopics({ topics: [options.topic] })
  return true
}
