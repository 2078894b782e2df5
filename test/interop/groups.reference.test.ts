// The group rows of test/interop/matrix.ts against Apache Kafka 4.4: proves the member drivers,
// the scenarios and their checks themselves, independent of samsa. Every row must pass here.

import { defineGroupTests } from './groups/defineGroupTests.ts'
import { ROWS } from './matrix.ts'

defineGroupTests({
  target: 'kafka',
  rows: ROWS.filter(r => r.scenario === 'kip848' || r.scenario === 'group-mixed' || r.scenario === 'exercise-group' || r.scenario === 'consumer-groups'),
})
