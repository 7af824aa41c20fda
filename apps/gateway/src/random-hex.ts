import { randomFillSync } from 'node:crypto';

// One system call for the CSPRNG per 4 KiB of ids instead of one per id, as crypto.randomUUID
// pools its entropy: the same bytes, but every authorize names a proposal and a token.
const pool = Buffer.allocUnsafe(4096);
let next = pool.length;

/** `bytes` bytes from the CSPRNG, in hex; each byte is handed out once. */
export const randomHex = (bytes: number): string => {
  if (bytes > pool.length) return randomFillSync(Buffer.allocUnsafe(bytes)).toString('hex');
  if (next + bytes > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const hex = pool.toString('hex', next, next + bytes);
  next += bytes;
  return hex;
};
