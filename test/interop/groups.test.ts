// Group rows of test/interop/matrix.ts proven by this file, against samsa: KIP-848 groups with
// confluent-kafka and the Java consumer, a mixed classic group of four clients with a member
// killed with -9, the exercise's consumer with --group across its own restart and a broker
// kill -9, and kafka-consumer-groups compared with Apache Kafka (see groups/defineGroupTests.ts).

import { defineGroupTests } from './groups/defineGroupTests.ts'
import { matrixRows } from './matrix.ts'

defineGroupTests({ target: 'samsa', rows: matrixRows(import.meta.url) })
