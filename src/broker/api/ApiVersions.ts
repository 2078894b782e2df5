// ApiVersions (key 18): the versions samsa serves, derived from the handler registry.
// v0-2 plain; v3+ flexible, carries the client's software name and version (KIP-511), which
// samsa validates as Kafka does (INVALID_REQUEST for names outside [a-zA-Z0-9._-]).
// A version we do not serve is answered by Connection with a v0 body and UNSUPPORTED_VERSION.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { ApiVersions } from '../../protocol/messages/ApiVersions.ts'
import { defineHandler } from '../defineHandler.ts'
import { supportedApiVersions } from '../apiRegistry.ts'

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export const handleApiVersions = defineHandler(ApiVersions, {
  versions: '0-4',
  handle (req, { apiVersion }) {
    const apiKeys = supportedApiVersions()
    if (apiVersion >= 3 && (!SOFTWARE_PATTERN.test(req.clientSoftwareName) || !SOFTWARE_PATTERN.test(req.clientSoftwareVersion))) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 }
    }
    return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 }
  },
})
