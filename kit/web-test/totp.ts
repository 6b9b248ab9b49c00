// The authenticator app of the browser suites (both consoles): RFC 6238 codes computed from
// the key a console shows, with Node's own HMAC-SHA1, so a test signs in as a person would.
import { createHmac } from "node:crypto";

const STEP_SECS = 30;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  let bits = "";
  for (const c of clean) {
    const value = ALPHABET.indexOf(c);
    if (value < 0) throw new Error(`not base32: ${c}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** The six-digit code of `key` (base32, as the console shows it) `steps` steps from now. */
export function totp(key: string, steps = 0): string {
  const step = Math.floor(Date.now() / 1000 / STEP_SECS) + steps;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const hash = createHmac("sha1", base32(key)).update(counter).digest();
  const offset = hash[hash.length - 1] & 0x0f;
  const value = (hash.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

/** Waits for the next step when less than `margin` seconds of this one are left, so a test
 * using neighbouring codes never sees the step turn over. */
export async function steadyClock(marginSecs = 12): Promise<void> {
  const into = (Date.now() / 1000) % STEP_SECS;
  if (into + marginSecs > STEP_SECS) await new Promise((ok) => setTimeout(ok, (STEP_SECS - into + 0.5) * 1000));
}
