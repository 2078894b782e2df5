// DescribeCluster (key 60): this node as the only broker and the controller. v1 adds
// endpoint_type: samsa's listeners are broker endpoints, so asking for controllers gets
// MISMATCHED_ENDPOINT_TYPE and any other type UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker
// listener answers. Cluster authorized operations are reported only when asked (no authorizer:
// everything is allowed).

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { DescribeCluster } from '../../protocol/messages/DescribeCluster.ts'
import { defineHandler } from '../defineHandler.ts'
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from './Metadata.ts'

const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const

export const handleDescribeCluster = defineHandler(DescribeCluster, {
  versions: '0-1',
  handle (req, { broker, apiVersion }) {
    if (apiVersion >= 1 && req.endpointType !== EndpointType.BROKER) {
      return {
        throttleTimeMs: 0,
        errorCode: req.endpointType === EndpointType.CONTROLLER ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: req.endpointType === EndpointType.CONTROLLER
          ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
          : `Unsupported endpoint type ${req.endpointType}`,
        endpointType: EndpointType.BROKER,
        clusterId: '',
        controllerId: -1,
        brokers: [],
      }
    }
    const { host, port } = broker.advertised
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: EndpointType.BROKER,
      clusterId: broker.metadata.clusterId,
      controllerId: broker.nodeId,
      brokers: [{ brokerId: broker.nodeId, host, port, rack: broker.config.get('broker.rack') as string | null }],
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    }
  },
})
