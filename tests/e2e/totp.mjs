// RFC 6238 codes for the journeys' authenticator app (journeys/helpers.mjs) and the second-factor
// benchmark (benches/second-factor.mjs): node's crypto, no dependency.
import { createHmac } from 'node:crypto';

/** RFC 6238 (HMAC-SHA-1, six digits, 30-second steps) of a base32 key at a step. */
export function totpAt(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}
