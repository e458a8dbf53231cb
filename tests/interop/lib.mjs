// Shared helpers for the interop scripts: run our programs, random data,
// a tiny test runner that prints node-test-style totals.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

export const binDir = process.env.PANDA_BIN_DIR;
if (!binDir) throw new Error('PANDA_BIN_DIR is not set (run through tests/interop/run.sh)');

// Run `panda ARGS...`: returns {status, stdout, stderr}; never throws on exit status.
export function panda(...args) {
  try {
    const stdout = execFileSync(path.join(binDir, 'panda'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout: stdout.trim(), stderr: '' };
  } catch (e) {
    if (e.status === undefined || e.status === null) throw e;
    return { status: e.status, stdout: (e.stdout || '').trim(), stderr: (e.stderr || '').trim() };
  }
}

// Deterministic PRNG (xorshift128+) so a failing case can be replayed with its seed.
export function rng(seed) {
  let s0 = BigInt(seed) | 1n, s1 = 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  const next = () => {
    let x = s0; const y = s1; s0 = y;
    x ^= (x << 23n) & mask; x ^= x >> 17n; x ^= y ^ (y >> 26n); s1 = x;
    return (s0 + s1) & mask;
  };
  return {
    u64: next,
    int: (n) => Number(next() % BigInt(n)),
    pick: (arr) => arr[Number(next() % BigInt(arr.length))],
    bytes: (n) => Uint8Array.from({ length: n }, () => Number(next() & 0xffn)),
  };
}

export const toHex = (b) => Buffer.from(b).toString('hex');
export const randomHash = (r) => '0020' + toHex(r.bytes(32));

let passed = 0, failed = 0;
export function check(name, fn) {
  try {
    fn();
    passed++;
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}
// check() for async bodies: await it so the cases run in order.
export async function checkAsync(name, fn) {
  try {
    await fn();
    passed++;
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}
export const failedSoFar = () => failed;
export function done() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual, (k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const e = JSON.stringify(expected, (k, v) => (typeof v === 'bigint' ? v.toString() : v));
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
export const seedFromEnv = () => Number(process.env.PANDA_SEED || crypto.randomInt(1, 2 ** 31));
