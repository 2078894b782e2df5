// JoinGroup (key 11): a member joins a classic group; the response is parked until the
// rebalance's join phase ends (see GroupMetadataManager). v0 has no rebalance timeout (the
// session timeout serves as one); v1+ rebalance timeout; v2+ throttle time; v4+ a new dynamic
// member first gets MEMBER_ID_REQUIRED with its member id (KIP-394); v5+ group.instance.id
// (static membership, KIP-345); v6+ flexible; v7+ protocol type in the response and a nullable
// protocol name (empty below v7); v8+ join reason; v9+ skipAssignment for a static leader that
// rejoins without a rebalance (KIP-814). Member metadata passes through untouched.

import type { ResponseInput } from '../../protocol/schema.ts'
import { JoinGroup } from '../../protocol/messages/JoinGroup.ts'
import type { JoinGroupResult } from '../../group/ClassicGroupMember.ts'
import { defineHandler } from '../defineHandler.ts'

/** The client's IP as Kafka prints an InetAddress ("/127.0.0.1"), from Connection's "ip:port". */
export function clientHost (clientAddress: string): string {
  const ip = clientAddress.slice(0, Math.max(clientAddress.lastIndexOf(':'), 0))
  return `/${ip.startsWith('::ffff:') ? ip.slice(7) : ip}`
}

function respond (r: JoinGroupResult, apiVersion: number): ResponseInput<typeof JoinGroup> {
  // Below v7 the protocol name is a plain string ('' for none); from v7 it is null for none.
  const protocolName = apiVersion < 7 ? r.protocolName ?? '' : r.protocolName === '' ? null : r.protocolName
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName,
    leader: r.leader,
    skipAssignment: apiVersion >= 9 && r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  }
}

export const handleJoinGroup = defineHandler(JoinGroup, {
  versions: '0-9',
  async handle (req, { broker, apiVersion, header, clientAddress, parked }) {
    // The answer waits for the rebalance to complete: park it (bounded by group.max.size).
    const r = await parked(broker.groupCoordinator.joinGroup(
      { clientId: header.clientId, clientHost: clientHost(clientAddress), apiVersion },
      {
        groupId: req.groupId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: apiVersion === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        protocolType: req.protocolType,
        protocols: req.protocols,
        reason: req.reason,
      }))
    return respond(r, apiVersion)
  },
  errorResponse: (_req, code) => ({
    throttleTimeMs: 0,
    errorCode: code,
    generationId: -1,
    // '' encodes at every version (null only from v7).
    protocolName: '',
    leader: '',
    memberId: '',
    members: [],
  }),
})
