// Checksums used by Kafka's record formats.
//
// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF) protects a
// v2 record batch from its attributes field to its end. CRC-32/IEEE (the zlib/Ethernet CRC) protects
// each legacy magic 0/1 message from its magic byte to its end. Both run in native code: the v2
// checksum through @node-rs/crc32 (SSE4.2/ARMv8 CRC instructions where present), the legacy one
// through node:zlib.

import { crc32c as nativeCrc32c } from '@node-rs/crc32'
import { crc32 as zlibCrc32 } from 'node:zlib'

/**
 * CRC-32C of `buf`. `initial` is the value returned by a previous call, so a checksum can be
 * computed over several pieces: crc32c(b, crc32c(a)) === crc32c(concat(a, b)).
 * Check value: crc32c('123456789') === 0xE3069283. Returns an unsigned 32-bit integer.
 */
export function crc32c (buf: Uint8Array, initial = 0): number {
  return nativeCrc32c(buf, initial) >>> 0
}

/** CRC-32/IEEE of `buf` (legacy messages), chainable like crc32c. Check value 0xCBF43926. */
export function crc32 (buf: Uint8Array, initial = 0): number {
  return zlibCrc32(buf, initial) >>> 0
}
