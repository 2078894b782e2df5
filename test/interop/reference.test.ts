// Every matrix row's driver against one reference Apache Kafka: proves the drivers and the
// record comparison themselves, independent of samsa. Every row must pass here.

import { ROWS, REFERENCE_TEST, referenceTestFor } from './matrix.ts'
import { defineRoundtripTests } from './roundtrip.ts'
import { startKafkaTarget } from './targets.ts'

defineRoundtripTests({ target: 'kafka', rows: ROWS.filter(r => referenceTestFor(r) === REFERENCE_TEST), start: startKafkaTarget })
