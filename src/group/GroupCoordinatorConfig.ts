// The group coordinator's settings, read once from the broker configuration (Kafka's
// GroupCoordinatorConfig), so the state machine can be built and tested without a broker.

import type { BrokerConfig } from '../config/BrokerConfig.ts'
import type { ConsumerGroupConfig } from './consumer/ConsumerGroupMetadataManager.ts'

/**
 * How long a new member's JoinGroup may stay parked before the member is dropped (Kafka's fixed
 * classic-group new-member join timeout): a client that gave up and retried must not leave
 * defunct members behind forever.
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  readonly numPartitions: number
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number
  /** group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number
  /** group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number
  /** group.max.size */
  readonly maxSize: number
  readonly newMemberJoinTimeoutMs: number
  /** offset.metadata.max.bytes (Kafka compares the metadata string's length in UTF-16 units) */
  readonly offsetMetadataMaxSize: number
  /** offsets.retention.minutes, in ms */
  readonly offsetsRetentionMs: number
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number
  /** group.consumer.*: KIP-848 consumer groups (defaults: Kafka's) */
  readonly consumer?: ConsumerGroupConfig
  /** group.coordinator.rebalance.protocols (default: all): ConsumerGroupHeartbeat needs 'consumer' */
  readonly rebalanceProtocols?: readonly string[]
}

/**
 * The settings from the broker configuration. `existingPartitions` is the partition count of an
 * existing __consumer_offsets, which wins over offsets.topic.num.partitions (as in Kafka, groups
 * must keep mapping to the partitions that hold their records).
 */
export function groupCoordinatorConfig (config: BrokerConfig, existingPartitions?: number): GroupCoordinatorConfig {
  return {
    numPartitions: existingPartitions ?? config.int('offsets.topic.num.partitions'),
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxSize: config.int('group.max.size'),
    newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS,
    offsetMetadataMaxSize: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.longNumber('offsets.retention.check.interval.ms'),
    consumer: {
      heartbeatIntervalMs: config.int('group.consumer.heartbeat.interval.ms'),
      sessionTimeoutMs: config.int('group.consumer.session.timeout.ms'),
      maxSize: config.int('group.consumer.max.size'),
    },
    rebalanceProtocols: config.list('group.coordinator.rebalance.protocols'),
  }
}
