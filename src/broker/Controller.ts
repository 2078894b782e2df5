// The controller of a one-node cluster: Kafka's QuorumController and ReplicationControlManager in
// miniature. It owns every change to the cluster metadata (create and delete topics, add
// partitions, alter topic configs) and runs them one at a time, in arrival order, so two
// concurrent creates of one topic cannot both succeed. Each operation validates first, then
// persists the metadata (MetadataCache rewrites samsa-metadata.json), then tells the
// ReplicaManager to create, delete or reconfigure the logs. Validation answers with Kafka's error
// codes and, where Kafka gives one, Kafka's message (measured against Apache Kafka 4.4).
//
// The queue of waiting operations is bounded by the requests in flight (queued.max.requests):
// each connection has at most one request being handled.
//
// Internal topics (__consumer_offsets, __transaction_state, __share_group_state) are ordinary
// topics flagged internal. As in Kafka 4.4, the broker does not refuse to delete them or to add
// partitions to them; Kafka's own tools (kafka-topics) refuse that on the client side.

import type { ConfigValue } from '../config/ConfigDef.ts'
import { TOPIC_CONFIGS } from '../config/TopicConfig.ts'
import type { Logger } from '../Logger.ts'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import { ZERO_UUID } from '../protocol/Reader.ts'
import type { Broker } from './Broker.ts'
import { ConfigResourceType } from './ConfigHelper.ts'
import { invalidTopicName, newUuid, type TopicMetadata } from './MetadataCache.ts'

/** Kafka's Topic.INTERNAL_TOPICS: reported with is_internal = true. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])
/** Kafka's metadata log; never a user topic. */
export const CLUSTER_METADATA_TOPIC = '__cluster_metadata'
/**
 * Most partitions one CreateTopics or CreatePartitions request may add (Kafka's
 * MAX_PARTITIONS_PER_BATCH); beyond it the topic gets POLICY_VIOLATION. Each partition is a
 * directory with open files, so this also bounds what one request can make samsa do.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000
/** Kafka's transaction.state.log.segment.bytes default (samsa has no such broker config). */
const TRANSACTION_STATE_SEGMENT_BYTES = 104857600

/** What the controller needs from the data path (ReplicaManager). */
export interface PartitionLogs {
  /** Creates the logs of partitions fromPartition..topic.partitions-1. */
  createPartitions: (topic: TopicMetadata, fromPartition: number) => Promise<void>
  deleteTopic: (topic: TopicMetadata) => Promise<void>
  /** The topic's configs changed: apply them to its logs. */
  reconfigure: (topic: TopicMetadata) => void
}

export interface CreatableTopic {
  readonly name: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly assignments: ReadonlyArray<{ readonly partitionIndex: number, readonly brokerIds: readonly number[] }>
  readonly configs: ReadonlyArray<{ readonly name: string, readonly value: string | null }>
}

export interface CreateTopicResult {
  readonly name: string
  readonly errorCode: number
  readonly errorMessage: string | null
  /** The created topic (or, with validateOnly, what would be created). */
  readonly topic?: TopicMetadata
}

export interface DeletableTopic { readonly name: string | null, readonly topicId: string }

export interface DeleteTopicResult {
  readonly name: string | null
  readonly topicId: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface PartitionsIncrease {
  readonly name: string
  readonly count: number
  readonly assignments: ReadonlyArray<{ readonly brokerIds: readonly number[] }> | null
}

export interface SimpleResult { readonly name: string, readonly errorCode: number, readonly errorMessage: string | null }

export interface ConfigResourceChange {
  readonly resourceType: number
  readonly resourceName: string
  /** Legacy AlterConfigs: the complete new set. */
  readonly configs: ReadonlyArray<{ readonly name: string, readonly value: string | null }>
}

/** IncrementalAlterConfigs config_operation values. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export interface IncrementalConfigResourceChange {
  readonly resourceType: number
  readonly resourceName: string
  readonly configs: ReadonlyArray<{ readonly name: string, readonly configOperation: number, readonly value: string | null }>
}

export interface ConfigResourceResult {
  readonly resourceType: number
  readonly resourceName: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface AutoCreateResult {
  /** NONE when the topic exists (now or already); else why not. */
  readonly errorCode: number
  readonly topic: TopicMetadata | undefined
}

/** An outcome: an error code (NONE included) and Kafka's message for it (Kafka's ApiError). */
export class ApiError {
  readonly code: number
  readonly message: string | null
  constructor (code: number, message: string | null) {
    this.code = code
    this.message = message
  }
}

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT']

export class Controller {
  private readonly broker: Broker
  private readonly logger: Logger
  /** The operation running now; the next one starts when it settles. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor (broker: Broker) {
    this.broker = broker
    this.logger = broker.logger.child({ component: 'controller' })
  }

  private get metadata (): Broker['metadata'] { return this.broker.metadata }

  /** The data path: the ReplicaManager. */
  private get logs (): PartitionLogs { return this.broker.replicaManager }

  /** Runs `op` after every operation queued before it (a one-slot mutex). */
  private serialize<T> (op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op)
    this.tail = run.catch(() => {})
    return run
  }

  // ---- CreateTopics -------------------------------------------------------------------------

  createTopics (topics: readonly CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.serialize(async () => {
      const counts = new Map<string, number>()
      for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const results: CreateTopicResult[] = []
      const seen = new Set<string>()
      let budget = MAX_PARTITIONS_PER_REQUEST
      // Names that collide with an existing name once '.' is read as '_' (Kafka warns on both).
      const collisions = new Map<string, string>()
      for (const t of this.metadata.allTopics()) collisions.set(collisionKey(t.name), t.name)
      for (const t of topics) {
        if (seen.has(t.name)) continue
        seen.add(t.name)
        if ((counts.get(t.name) ?? 0) > 1) {
          results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' })
          continue
        }
        const plan = this.planTopic(t, collisions, budget)
        if (plan instanceof ApiError) {
          results.push({ name: t.name, errorCode: plan.code, errorMessage: plan.message })
          continue
        }
        budget -= plan.partitions
        collisions.set(collisionKey(t.name), t.name)
        if (validateOnly) {
          // Kafka 4.4 answers a validate-only create with a fresh (unused) topic id too.
          results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null, topic: { name: t.name, topicId: newUuid(), partitions: plan.partitions, configs: plan.configs, internal: INTERNAL_TOPICS.has(t.name) } })
          continue
        }
        const created = await this.create(t.name, plan.partitions, plan.configs)
        results.push(created instanceof ApiError
          ? { name: t.name, errorCode: created.code, errorMessage: created.message }
          : { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null, topic: created })
      }
      return results
    })
  }

  /** Validates one creatable topic in Kafka's order: name, existence, configs, layout. */
  private planTopic (t: CreatableTopic, collisions: ReadonlyMap<string, string>, budget: number): ApiError | { partitions: number, configs: Map<string, ConfigValue> } {
    if (t.name === CLUSTER_METADATA_TOPIC) return new ApiError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`)
    const bad = invalidTopicName(t.name)
    if (bad !== null) return new ApiError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is invalid: ${bad}`)
    if (this.metadata.topic(t.name) !== undefined) return new ApiError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`)
    const other = collisions.get(collisionKey(t.name))
    if (other !== undefined && other !== t.name) return new ApiError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${other}`)
    const configs = parseTopicConfigs(t.configs)
    if (configs instanceof ApiError) return configs
    let partitions: number
    if (t.assignments.length > 0) {
      if (t.replicationFactor !== -1) return new ApiError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.')
      if (t.numPartitions !== -1) return new ApiError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.')
      const indexes = new Set<number>()
      for (const a of t.assignments) {
        if (indexes.has(a.partitionIndex)) return new ApiError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`)
        indexes.add(a.partitionIndex)
        const invalid = this.checkReplicas(a.brokerIds)
        if (invalid !== null) return invalid
      }
      for (let i = 0; i < t.assignments.length; i++) {
        if (!indexes.has(i)) return new ApiError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence')
      }
      partitions = t.assignments.length
    } else {
      partitions = t.numPartitions === -1 ? this.broker.config.int('num.partitions') : t.numPartitions
      if (partitions <= 0) return new ApiError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.')
      const rf = t.replicationFactor === -1 ? this.broker.config.int('default.replication.factor') : t.replicationFactor
      if (rf <= 0) return new ApiError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.')
      if (rf > 1) {
        return new ApiError(ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`)
      }
    }
    if (partitions > budget) return new ApiError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.')
    return { partitions, configs }
  }

  /** A manual replica list is valid on one node only as [nodeId]. */
  private checkReplicas (brokerIds: readonly number[]): ApiError | null {
    if (brokerIds.length === 0) return new ApiError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.')
    const seen = new Set<number>()
    for (const id of brokerIds) {
      if (id !== this.broker.nodeId) return new ApiError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`)
      if (seen.has(id)) return new ApiError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${id} more than once.`)
      seen.add(id)
    }
    return null
  }

  /** Records the topic, then creates its logs; undoes the record if the logs cannot be made. */
  private async create (name: string, partitions: number, configs: ReadonlyMap<string, ConfigValue>): Promise<TopicMetadata | ApiError> {
    let topic: TopicMetadata
    try {
      topic = await this.metadata.createTopic(name, partitions, configs, INTERNAL_TOPICS.has(name))
    } catch (err) {
      // The metadata file could not be written: forget the topic again (best effort).
      this.logger.error({ err, topic: name }, 'could not record a new topic; the topic is not created')
      await this.metadata.deleteTopic(name).catch(() => {})
      return new ApiError(ErrorCode.KAFKA_STORAGE_ERROR, `Could not record topic '${name}': ${(err as Error).message}`)
    }
    try {
      await this.logs.createPartitions(topic, 0)
    } catch (err) {
      this.logger.error({ err, topic: name }, 'could not create the logs of a new topic; the topic is not created')
      await this.metadata.deleteTopic(name).catch((e: unknown) => this.logger.error({ err: e, topic: name }, 'could not forget a topic whose logs failed'))
      await this.logs.deleteTopic(topic).catch((e: unknown) => this.logger.error({ err: e, topic: name }, 'could not remove the logs of a failed create'))
      return new ApiError(ErrorCode.KAFKA_STORAGE_ERROR, `Could not create the logs of topic '${name}': ${(err as Error).message}`)
    }
    this.logger.info({ topic: name, topicId: topic.topicId, partitions }, 'topic created')
    return topic
  }

  // ---- auto-creation (Metadata, Produce, coordinators) --------------------------------------

  /**
   * Creates `name` as Kafka's auto topic creation does, unless it exists: an internal topic with
   * its coordinator's layout (always allowed), any other with num.partitions and the broker's
   * defaults when auto.create.topics.enable is true (else UNKNOWN_TOPIC_OR_PARTITION).
   */
  autoCreateTopic (name: string): Promise<AutoCreateResult> {
    const existing = this.metadata.topic(name)
    if (existing !== undefined) return Promise.resolve({ errorCode: ErrorCode.NONE, topic: existing })
    if (invalidTopicName(name) !== null || name === CLUSTER_METADATA_TOPIC) return Promise.resolve({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, topic: undefined })
    const layout = this.autoLayout(name)
    if (layout === undefined) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic: undefined })
    return this.serialize(async () => {
      const now = this.metadata.topic(name)
      if (now !== undefined) return { errorCode: ErrorCode.NONE, topic: now }
      for (const t of this.metadata.allTopics()) {
        if (collisionKey(t.name) === collisionKey(name)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, topic: undefined }
      }
      const created = await this.create(name, layout.partitions, layout.configs)
      // The topic could not be made now; a client's retry may succeed (Kafka's answer while a
      // topic is being created).
      if (created instanceof ApiError) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, topic: undefined }
      return { errorCode: ErrorCode.NONE, topic: created }
    })
  }

  private autoLayout (name: string): { partitions: number, configs: Map<string, ConfigValue> } | undefined {
    const c = this.broker.config
    switch (name) {
      case '__consumer_offsets':
        return {
          partitions: c.int('offsets.topic.num.partitions'),
          configs: new Map<string, ConfigValue>([['cleanup.policy', ['compact']], ['compression.type', 'producer'], ['segment.bytes', c.int('offsets.topic.segment.bytes')]]),
        }
      case '__transaction_state':
        return {
          partitions: c.int('transaction.state.log.num.partitions'),
          configs: new Map<string, ConfigValue>([['cleanup.policy', ['compact']], ['compression.type', 'uncompressed'], ['segment.bytes', TRANSACTION_STATE_SEGMENT_BYTES], ['unclean.leader.election.enable', false]]),
        }
    }
    if (!c.bool('auto.create.topics.enable')) return undefined
    return { partitions: c.int('num.partitions'), configs: new Map() }
  }

  // ---- DeleteTopics -------------------------------------------------------------------------

  /** Deletes topics by name or (v6+) by id. `apiVersion` picks the disabled-deletion error. */
  deleteTopics (topics: readonly DeletableTopic[], apiVersion: number): Promise<DeleteTopicResult[]> {
    return this.serialize(async () => {
      if (!this.broker.config.bool('delete.topic.enable')) {
        const code = apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED
        return topics.map(t => ({ name: t.name, topicId: t.topicId, errorCode: code, errorMessage: 'Topic deletion is disabled.' }))
      }
      const nameCount = new Map<string, number>()
      const idCount = new Map<string, number>()
      for (const t of topics) {
        if (t.name !== null && t.topicId === ZERO_UUID) nameCount.set(t.name, (nameCount.get(t.name) ?? 0) + 1)
        if (t.name === null && t.topicId !== ZERO_UUID) idCount.set(t.topicId, (idCount.get(t.topicId) ?? 0) + 1)
      }
      // Each entry resolves to an error or a topic; a topic named both by name and by id is
      // refused for both entries and not deleted.
      const resolved: Array<DeleteTopicResult | TopicMetadata> = []
      const refs = new Map<TopicMetadata, number>()
      const done = new Set<string>()
      for (const t of topics) {
        const fail = (code: number, message: string | null): void => { resolved.push({ name: t.name, topicId: t.topicId, errorCode: code, errorMessage: message }) }
        if (t.name !== null && t.topicId !== ZERO_UUID) { fail(ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'); continue }
        if (t.name === null && t.topicId === ZERO_UUID) { fail(ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'); continue }
        const key = t.name !== null ? `n:${t.name}` : `i:${t.topicId}`
        if (done.has(key)) continue
        done.add(key)
        if (t.name !== null && (nameCount.get(t.name) ?? 0) > 1) { fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'); continue }
        if (t.name === null && (idCount.get(t.topicId) ?? 0) > 1) { fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'); continue }
        const topic = t.name !== null ? this.metadata.topic(t.name) : this.metadata.topicById(t.topicId)
        if (topic === undefined) {
          if (t.name !== null) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.')
          else fail(ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.')
          continue
        }
        resolved.push(topic)
        refs.set(topic, (refs.get(topic) ?? 0) + 1)
      }
      const doomed: TopicMetadata[] = []
      const results = resolved.map((r): DeleteTopicResult => {
        if (!('partitions' in r)) return r
        if ((refs.get(r) ?? 0) > 1) return { name: r.name, topicId: r.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' }
        doomed.push(r)
        return { name: r.name, topicId: r.topicId, errorCode: ErrorCode.NONE, errorMessage: null }
      })
      for (const topic of doomed) await this.delete(topic)
      return results
    })
  }

  /** Forgets the topic, then removes its logs. */
  private async delete (topic: TopicMetadata): Promise<void> {
    await this.metadata.deleteTopic(topic.name)
    try {
      await this.logs.deleteTopic(topic)
    } catch (err) {
      // The topic is gone from the metadata; its directories are left behind.
      this.logger.error({ err, topic: topic.name }, 'could not remove the logs of a deleted topic')
    }
    // Committed offsets of a deleted topic go too, as in Kafka (tombstones in __consumer_offsets).
    await this.broker.groupCoordinator.onPartitionsDeleted(topic.name, null)
    this.logger.info({ topic: topic.name, topicId: topic.topicId }, 'topic deleted')
  }

  // ---- CreatePartitions ---------------------------------------------------------------------

  createPartitions (topics: readonly PartitionsIncrease[], validateOnly: boolean): Promise<SimpleResult[]> {
    return this.serialize(async () => {
      const counts = new Map<string, number>()
      for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const results: SimpleResult[] = []
      const seen = new Set<string>()
      let budget = MAX_PARTITIONS_PER_REQUEST
      for (const t of topics) {
        if (seen.has(t.name)) continue
        seen.add(t.name)
        const refuse = (code: number, message: string | null): void => { results.push({ name: t.name, errorCode: code, errorMessage: message }) }
        if ((counts.get(t.name) ?? 0) > 1) { refuse(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'); continue }
        const topic = this.metadata.topic(t.name)
        if (topic === undefined) { refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null); continue }
        if (t.count < topic.partitions) { refuse(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${topic.partitions} partition(s); ${t.count} would not be an increase.`); continue }
        if (t.count === topic.partitions) { refuse(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partition(s).`); continue }
        const added = t.count - topic.partitions
        if (added > budget) { refuse(ErrorCode.POLICY_VIOLATION, 'Excessively large number of additional partitions per request.'); continue }
        if (t.assignments !== null) {
          if (t.assignments.length !== added) {
            refuse(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`)
            continue
          }
          const invalid = t.assignments.map(a => this.checkReplicas(a.brokerIds)).find(r => r !== null)
          if (invalid !== undefined && invalid !== null) { refuse(invalid.code, invalid.message); continue }
        }
        budget -= added
        if (!validateOnly) {
          const failed = await this.addPartitions(topic, t.count)
          if (failed !== null) { refuse(failed.code, failed.message); continue }
        }
        refuse(ErrorCode.NONE, null)
      }
      return results
    })
  }

  private async addPartitions (topic: TopicMetadata, count: number): Promise<ApiError | null> {
    await this.metadata.setPartitions(topic.name, count)
    const updated = this.metadata.topic(topic.name) as TopicMetadata
    try {
      await this.logs.createPartitions(updated, topic.partitions)
    } catch (err) {
      this.logger.error({ err, topic: topic.name }, 'could not create the logs of new partitions; the partition count is unchanged')
      await this.metadata.setPartitions(topic.name, topic.partitions)
      return new ApiError(ErrorCode.KAFKA_STORAGE_ERROR, `Could not create the logs of the new partitions: ${(err as Error).message}`)
    }
    this.logger.info({ topic: topic.name, from: topic.partitions, to: count }, 'partitions added')
    return null
  }

  // ---- AlterConfigs / IncrementalAlterConfigs ------------------------------------------------

  /** Legacy AlterConfigs: each resource's overrides are replaced by the given set. */
  alterConfigs (resources: readonly ConfigResourceChange[], validateOnly: boolean): Promise<ConfigResourceResult[]> {
    return this.serialize(async () => {
      const dups = duplicateResources(resources)
      const results: ConfigResourceResult[] = []
      for (const r of resources) {
        const answer = (code: number, message: string | null): void => { results.push({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message }) }
        if (dups.has(resourceKey(r))) { answer(ErrorCode.INVALID_REQUEST, 'Duplicate resource.'); continue }
        const outcome = await this.alterResource(r.resourceType, r.resourceName, validateOnly,
          () => {
            for (const c of r.configs) if (c.value === null) return new ApiError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic configs: ${c.name}`)
            return parseTopicConfigs(r.configs)
          },
          () => r.configs.map(c => c.name))
        answer(outcome.code, outcome.message)
      }
      return results
    })
  }

  /** IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on each resource's overrides. */
  incrementalAlterConfigs (resources: readonly IncrementalConfigResourceChange[], validateOnly: boolean): Promise<ConfigResourceResult[]> {
    return this.serialize(async () => {
      const dups = duplicateResources(resources)
      const results: ConfigResourceResult[] = []
      for (const r of resources) {
        const answer = (code: number, message: string | null): void => { results.push({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message }) }
        if (dups.has(resourceKey(r))) { answer(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'); continue }
        const outcome = await this.alterResource(r.resourceType, r.resourceName, validateOnly,
          current => applyIncremental(current, r.configs),
          () => r.configs.filter(c => c.configOperation !== AlterConfigOp.DELETE).map(c => c.name))
        answer(outcome.code, outcome.message)
      }
      return results
    })
  }

  /**
   * Alters one resource. For a topic, `next` computes the new overrides from the current ones;
   * for this broker, `changedBrokerKeys` lists what would change, which samsa cannot do at runtime.
   */
  private async alterResource (
    type: number, name: string, validateOnly: boolean,
    next: (current: ReadonlyMap<string, ConfigValue>) => Map<string, ConfigValue> | ApiError,
    changedBrokerKeys: () => string[],
  ): Promise<ApiError> {
    const ok = new ApiError(ErrorCode.NONE, null)
    if (type === ConfigResourceType.BROKER) {
      const bad = this.checkBrokerResource(name, false)
      if (bad !== null) return bad
      const keys = changedBrokerKeys()
      if (keys.length === 0) return ok
      // Kafka refuses changes to configs that are not dynamically updatable with this answer;
      // samsa applies broker configs only at start-up, so every key is such a config.
      return new ApiError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: [${keys.join(', ')}]`)
    }
    if (type !== ConfigResourceType.TOPIC) return unsupportedResource(type)
    const invalid = invalidTopicName(name)
    if (invalid !== null) return new ApiError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is invalid: ${invalid}`)
    const topic = this.metadata.topic(name)
    if (topic === undefined) return new ApiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
    const configs = next(topic.configs)
    if (configs instanceof ApiError) return configs
    if (validateOnly) return ok
    await this.metadata.setConfigs(name, configs)
    const updated = this.metadata.topic(name) as TopicMetadata
    this.logs.reconfigure(updated)
    this.logger.info({ topic: name, configs: [...configs.keys()] }, 'topic configs altered')
    return ok
  }

  /** A BROKER resource names this node ('' = the cluster-wide default, for Describe only in Kafka too). */
  checkBrokerResource (name: string, describe: boolean): ApiError | null {
    if (name === '') return null
    if (!/^-?\d+$/.test(name)) return new ApiError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`)
    if (Number(name) !== this.broker.nodeId) {
      return new ApiError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.broker.nodeId}${describe ? ' or empty string' : ''}, but received ${name}`)
    }
    return null
  }
}

/** autoCreateTopic for callers that hold the broker (Metadata, Produce, coordinators). */
export async function autoCreateTopic (broker: Broker, name: string): Promise<AutoCreateResult> {
  return broker.controller.autoCreateTopic(name)
}

/** Kafka's collision rule: '.' and '_' may collide in metric names. */
function collisionKey (name: string): string { return name.replaceAll('.', '_') }

export function unsupportedResource (type: number): ApiError {
  const known: readonly number[] = Object.values(ConfigResourceType)
  if (!known.includes(type) || type === ConfigResourceType.UNKNOWN) return new ApiError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${type}.`)
  return new ApiError(ErrorCode.INVALID_REQUEST, `samsa does not support configs of resource type ${type}.`)
}

function resourceKey (r: { resourceType: number, resourceName: string }): string { return `${r.resourceType}:${r.resourceName}` }

function duplicateResources (resources: ReadonlyArray<{ resourceType: number, resourceName: string }>): Set<string> {
  const seen = new Set<string>()
  const dups = new Set<string>()
  for (const r of resources) {
    const k = resourceKey(r)
    if (seen.has(k)) dups.add(k)
    seen.add(k)
  }
  return dups
}

/** Parses one topic config value, answering as Kafka does when it is not valid. */
function parseTopicValue (name: string, value: string | null): ConfigValue | ApiError {
  const entry = TOPIC_CONFIGS.entries.get(name)
  if (entry === undefined) return new ApiError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`)
  if (value === null) return new ApiError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`)
  try {
    return TOPIC_CONFIGS.parse(name, value)
  } catch (err) {
    const reason = (err as Error).message.startsWith(`${name}: `) ? (err as Error).message.slice(name.length + 2) : (err as Error).message
    return new ApiError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${reason}`)
  }
}

/** A topic's config overrides from a request (CreateTopics, legacy AlterConfigs); later keys win. */
function parseTopicConfigs (configs: ReadonlyArray<{ readonly name: string, readonly value: string | null }>): Map<string, ConfigValue> | ApiError {
  const out = new Map<string, ConfigValue>()
  for (const c of configs) {
    const v = parseTopicValue(c.name, c.value)
    if (v instanceof ApiError) return v
    out.set(c.name, v)
  }
  return out
}

function listOf (v: ConfigValue): string[] {
  if (Array.isArray(v)) return [...(v as readonly string[])]
  if (v === null) return []
  return String(v).split(',').map(s => s.trim()).filter(s => s !== '')
}

/** The overrides after an IncrementalAlterConfigs resource's operations, or why not. */
function applyIncremental (current: ReadonlyMap<string, ConfigValue>, ops: IncrementalConfigResourceChange['configs']): Map<string, ConfigValue> | ApiError {
  const names = new Set<string>()
  for (const op of ops) {
    if (names.has(op.name)) return new ApiError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys')
    names.add(op.name)
  }
  const next = new Map(current)
  for (const op of ops) {
    if (op.configOperation < 0 || op.configOperation >= OP_NAMES.length) return new ApiError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.configOperation} for ${op.name}`)
    if (op.configOperation === AlterConfigOp.DELETE) { next.delete(op.name); continue }
    if (op.value === null) return new ApiError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op.name}`)
    const entry = TOPIC_CONFIGS.entries.get(op.name)
    if (entry === undefined) return new ApiError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${op.name}`)
    if (op.configOperation === AlterConfigOp.SET) {
      const v = parseTopicValue(op.name, op.value)
      if (v instanceof ApiError) return v
      next.set(op.name, v)
      continue
    }
    const opName = OP_NAMES[op.configOperation] as string
    if (entry.type !== 'list') return new ApiError(ErrorCode.INVALID_CONFIG, `Can't ${opName} to key ${op.name} because its type is not LIST.`)
    // Kafka appends to (subtracts from) the override, or the config's own default when unset.
    const items = listOf(next.has(op.name) ? next.get(op.name) as ConfigValue : entry.default)
    const given = op.value.split(',').map(s => s.trim()).filter(s => s !== '')
    const result = op.configOperation === AlterConfigOp.APPEND
      ? [...items, ...given.filter(g => !items.includes(g))]
      : items.filter(i => !given.includes(i))
    const v = parseTopicValue(op.name, result.join(','))
    if (v instanceof ApiError) return v
    next.set(op.name, v)
  }
  return next
}
