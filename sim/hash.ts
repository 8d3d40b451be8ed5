// Small, portable, deterministic hashes (FNV-1a) for scenario content and engine state checkpoints. Pure
// TypeScript so Node and the browser compute identical values; not cryptographic, only for detecting change.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a string's UTF-16 code units, as 8 hex digits. */
export function hashString(s: string): string {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Continues an FNV-1a hash over one 32-bit value (byte by byte), for hashing engine state without allocating. */
export function fnvMix(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((v >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((v >>> 16) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((v >>> 24) & 0xff), FNV_PRIME);
  return h;
}
export const FNV_START = FNV_OFFSET;
