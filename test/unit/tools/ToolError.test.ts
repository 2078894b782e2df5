import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka'
import { describeError, isUnreachable, ToolError, ToolErrorCodes } from '../../../src/tools/ToolError.ts'

test('an unreachable broker, however deep in the error tree, is one line naming the address', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
  const error = new MultipleErrors('Listing topics failed.', [new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection failed.', { cause: refused })])])
  assert.ok(isUnreachable(error))
  assert.equal(describeError(error, '127.0.0.1:1'), 'cannot connect to 127.0.0.1:1 (connection refused)')
})

test('a broker error code by Kafka\'s name; a ToolError as it is; anything else by its innermost message', () => {
  const protocol = new MultipleErrors('Creating topics failed.', [new ProtocolError('TOPIC_ALREADY_EXISTS', 'Topic x exists.')])
  assert.equal(describeError(protocol), 'broker answered TOPIC_ALREADY_EXISTS: Topic x exists.')
  assert.equal(describeError(new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, "unknown topic 'x'")), "unknown topic 'x'")
  assert.equal(describeError(new Error('outer', { cause: new Error('inner detail.\nsecond line') })), 'inner detail')
})
