// The one table of API handlers. A new API is one file in api/ plus one line here; ApiVersions
// and docs/compatibility.md are derived from this list.

import type { Handler } from './defineHandler.ts'
import { handleApiVersions } from './api/ApiVersions.ts'
import { handleAlterConfigs } from './api/AlterConfigs.ts'
import { handleCreatePartitions } from './api/CreatePartitions.ts'
import { handleCreateTopics } from './api/CreateTopics.ts'
import { handleDeleteTopics } from './api/DeleteTopics.ts'
import { handleDescribeCluster } from './api/DescribeCluster.ts'
import { handleDescribeConfigs } from './api/DescribeConfigs.ts'
import { handleDescribeLogDirs } from './api/DescribeLogDirs.ts'
import { handleIncrementalAlterConfigs } from './api/IncrementalAlterConfigs.ts'
import { handleMetadata } from './api/Metadata.ts'
import { handleDeleteRecords } from './api/DeleteRecords.ts'
import { handleFetch } from './api/Fetch.ts'
import { handleInitProducerId } from './api/InitProducerId.ts'
import { handleListOffsets } from './api/ListOffsets.ts'
import { handleProduce } from './api/Produce.ts'
import { handleFindCoordinator } from './api/FindCoordinator.ts'
import { handleJoinGroup } from './api/JoinGroup.ts'
import { handleSyncGroup } from './api/SyncGroup.ts'
import { handleHeartbeat } from './api/Heartbeat.ts'
import { handleLeaveGroup } from './api/LeaveGroup.ts'
import { handleOffsetCommit } from './api/OffsetCommit.ts'
import { handleOffsetFetch } from './api/OffsetFetch.ts'
import { handleDescribeGroups } from './api/DescribeGroups.ts'
import { handleListGroups } from './api/ListGroups.ts'
import { handleDeleteGroups } from './api/DeleteGroups.ts'
import { handleOffsetDelete } from './api/OffsetDelete.ts'
import { handleConsumerGroupHeartbeat } from './api/ConsumerGroupHeartbeat.ts'
import { handleConsumerGroupDescribe } from './api/ConsumerGroupDescribe.ts'

// Handlers are typed per API; the registry holds them by key.
const HANDLERS: readonly Handler[] = [
  handleApiVersions,
  handleMetadata,
  handleCreateTopics,
  handleDeleteTopics,
  handleCreatePartitions,
  handleDescribeConfigs,
  handleAlterConfigs,
  handleIncrementalAlterConfigs,
  handleDescribeCluster,
  handleDescribeLogDirs,
  handleProduce,
  handleFetch,
  handleListOffsets,
  handleDeleteRecords,
  handleInitProducerId,
  handleFindCoordinator,
  handleJoinGroup,
  handleSyncGroup,
  handleHeartbeat,
  handleLeaveGroup,
  handleOffsetCommit,
  handleOffsetFetch,
  handleDescribeGroups,
  handleListGroups,
  handleDeleteGroups,
  handleOffsetDelete,
  handleConsumerGroupHeartbeat,
  handleConsumerGroupDescribe,
] as unknown as readonly Handler[]

const BY_KEY = new Map<number, Handler>(HANDLERS.map(h => [h.api.key, h]))

export function handlerFor (apiKey: number): Handler | undefined {
  return BY_KEY.get(apiKey)
}

export function allHandlers (): readonly Handler[] {
  return HANDLERS
}

/** ApiVersions' api_keys: every served API with its served range, by key. */
export function supportedApiVersions (): Array<{ apiKey: number, minVersion: number, maxVersion: number }> {
  return [...BY_KEY.values()].sort((a, b) => a.api.key - b.api.key)
    .map(h => ({ apiKey: h.api.key, minVersion: h.versions.min, maxVersion: h.versions.max }))
}
