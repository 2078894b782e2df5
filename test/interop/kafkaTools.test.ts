// Matrix rows of test/interop/matrix.ts proven by this file, against samsa in this process.

import { matrixRows } from './matrix.ts'
import { defineRoundtripTests } from './roundtrip.ts'
import { startSamsaTarget } from './targets.ts'

defineRoundtripTests({ target: 'samsa', rows: matrixRows(import.meta.url), start: startSamsaTarget })
