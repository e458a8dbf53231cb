// Random keys, operations and entries made by p2panda-js 0.8.1 must come out
// of our `panda` CLI byte for byte, and decode to the same values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as p2 from 'p2panda-js';
import { panda, rng, toHex, randomHash, check, done, assertEq, seedFromEnv } from './lib.mjs';

const seed = seedFromEnv();
console.log(`seed ${seed} (replay with PANDA_SEED=${seed})`);
const r = rng(seed);
const CASES = Number(process.env.PANDA_CASES || 120);

const F64_EDGES = [0, -0, 1, -1, 0.5, 3.5, 0.1, 65504, 65505, 1e300, -2.5e-300, 5e-324, 2 ** -24, 1 / 3, Number.MAX_VALUE];
const I64_EDGES = [0n, 1n, -1n, 23n, 24n, -24n, -25n, 255n, 256n, 65535n, 65536n, 2n ** 32n, -(2n ** 32n), 2n ** 63n - 1n, -(2n ** 63n)];
const TEXTS = ['', 'a', 'Panda Cafe', 'ÿ', 'パンダ', '🐼 and 🐧', 'x'.repeat(300), 'quote " backslash \\ newline \n'];

function randomName() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = first + '0123456789_';
  let s = r.pick([...first]);
  for (let i = r.int(12); i > 0; i--) s += r.pick([...rest]);
  return s;
}
function randomSchemaId() {
  if (r.int(4) === 0) return r.pick(['schema_definition_v1', 'schema_field_definition_v1', 'blob_v1', 'blob_piece_v1']);
  let name = randomName();
  if (name.length < 2 || name.endsWith('_')) name += 'z';
  const ids = [...new Set(Array.from({ length: 1 + r.int(3) }, () => randomHash(r)))].sort();
  return name + '_' + ids.join('_');
}
const viewId = () => [...new Set(Array.from({ length: 1 + r.int(3) }, () => randomHash(r)))].sort();
function randomFloat() {
  if (r.int(3) === 0) return r.pick(F64_EDGES);
  const buf = Buffer.from(r.bytes(8));
  const v = buf.readDoubleBE(0);
  return Number.isFinite(v) ? v : 1.25;      // NaN/inf cannot travel through the JSON of the CLI test
}
// IEEE-754 bits as hex: JSON alone cannot carry -0 (or NaN/inf).
function f64Bits(v) {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}
// One random field: [type, value for p2panda-js, value in our typed JSON form].
function randomField() {
  switch (r.pick(['str', 'int', 'float', 'bool', 'bytes', 'relation', 'relation_list', 'pinned_relation', 'pinned_relation_list'])) {
    case 'str': { const v = r.int(2) ? r.pick(TEXTS) : toHex(r.bytes(r.int(20))); return ['str', v, v]; }
    case 'int': { const v = r.int(2) ? r.pick(I64_EDGES) : BigInt.asIntN(64, r.u64()); return ['int', v, v.toString()]; }
    case 'float': { const v = randomFloat(); return ['float', v, v, f64Bits(v)]; }
    case 'bool': { const v = r.int(2) === 1; return ['bool', v, v]; }
    case 'bytes': { const b = r.bytes(r.int(40)); return ['bytes', b, toHex(b)]; }
    case 'relation': { const v = randomHash(r); return ['relation', v, v]; }
    case 'relation_list': { const v = Array.from({ length: r.int(4) }, () => randomHash(r)); return ['relation_list', v, v]; }
    case 'pinned_relation': { const v = viewId(); return ['pinned_relation', v, v]; }
    default: { const v = Array.from({ length: 1 + r.int(3) }, viewId); return ['pinned_relation_list', v, v]; }
  }
}

// The schema-less form our `operation decode` prints, derived from p2panda-js's own decoding.
function plainJson(v) {
  if (typeof v === 'string') return { kind: 'text', value: v };
  if (typeof v === 'bigint') return { kind: 'int', value: v.toString() };
  if (typeof v === 'number') return { kind: 'float', value: v, f64_bits: f64Bits(v) };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (v instanceof Uint8Array) return { kind: 'bytes', value: toHex(v) };
  if (v.length > 0 && Array.isArray(v[0])) return { kind: 'hash_list_list', value: v };
  return { kind: 'hash_list', value: v };
}

const operations = [];
for (let i = 0; i < CASES; i++) {
  const action = r.pick(['create', 'update', 'delete']);
  const schemaId = randomSchemaId();
  const args = { action, schemaId };
  const typed = { version: 1, action, schemaId };
  if (action !== 'create') { args.previous = viewId(); typed.previous = args.previous; }
  if (action !== 'delete') {
    const fields = new p2.OperationFields();
    typed.fields = {};
    const n = action === 'create' ? 1 + r.int(6) : r.int(6);
    for (let k = 0; k < n; k++) {
      const name = randomName();
      if (typed.fields[name]) continue;
      const [type, jsValue, ourValue, bits] = randomField();
      fields.insert(name, type, jsValue);
      typed.fields[name] = bits ? { type, value: ourValue, f64_bits: bits } : { type, value: ourValue };
    }
    args.fields = fields;
  }
  const hex = p2.encodeOperation(args);
  operations.push(hex);
  check(`operation ${i} encode`, () => {
    const out = panda('operation', 'encode', JSON.stringify(typed));
    assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
    assertEq(out.stdout, hex, 'CBOR hex');
  });
  check(`operation ${i} decode`, () => {
    const out = panda('operation', 'decode', hex);
    assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
    const ours = JSON.parse(out.stdout);
    const theirs = p2.decodeOperation(hex);
    assertEq(ours.version, theirs.version, 'version');
    assertEq(ours.action, theirs.action, 'action');
    assertEq(ours.schemaId, theirs.schemaId, 'schemaId');
    assertEq(ours.previous ?? null, theirs.previous ?? null, 'previous');
    const fields = {};
    for (const [k, v] of theirs.fields ?? []) fields[k] = plainJson(v);
    assertEq(ours.fields ?? {}, fields, 'fields');
  });
}

// Entries: random keys, log ids and seq nums (links wherever lipmaa says).
// `panda entry sign` reads the private key from a file only its owner can read.
function writeKeyFile(privateKey) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panda-sign-'));
  const file = path.join(dir, 'private.key');
  fs.writeFileSync(file, privateKey + '\n', { mode: 0o600 });
  return file;
}

function lipmaa(n) {
  let m = 1n, po3 = 3n, x = n;
  while (m < n) { po3 *= 3n; m = (po3 - 1n) / 2n; }
  po3 /= 3n;
  if (m !== n) {
    while (x !== 0n) { m = (po3 - 1n) / 2n; po3 /= 3n; x %= m; }
    if (m !== po3) po3 = m;
  }
  return n - po3;
}
for (let i = 0; i < CASES; i++) {
  const keyPair = new p2.KeyPair();
  const logId = r.int(3) === 0 ? r.u64() : BigInt(r.int(300));
  const seqNum = r.int(3) === 0 ? 1n + (r.u64() % (2n ** 64n - 2n)) : BigInt(1 + r.int(2000));
  const operation = r.pick(operations);
  const args = { logId, seqNum, operation };
  if (seqNum > 1n) {
    args.backlink = randomHash(r);
    if (lipmaa(seqNum) !== seqNum - 1n) args.skiplink = randomHash(r);
  }
  let entry;
  check(`entry ${i} sign`, () => {
    entry = p2.signAndEncodeEntry(args, keyPair);
    const keyFile = writeKeyFile(keyPair.privateKey());
    const cli = ['entry', 'sign', '--key', keyFile, '--log-id', logId.toString(),
      '--seq-num', seqNum.toString(), '--operation', operation];
    if (args.backlink) cli.push('--backlink', args.backlink);
    if (args.skiplink) cli.push('--skiplink', args.skiplink);
    const out = panda(...cli);
    fs.rmSync(path.dirname(keyFile), { recursive: true });
    assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
    assertEq(out.stdout, entry, 'entry hex');
  });
  check(`entry ${i} decode`, () => {
    const out = panda('entry', 'decode', entry);
    assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
    const ours = JSON.parse(out.stdout);
    const theirs = p2.decodeEntry(entry);
    assertEq(ours, {
      publicKey: theirs.publicKey, logId: theirs.logId.toString(), seqNum: theirs.seqNum.toString(),
      backlink: theirs.backlink ?? null, skiplink: theirs.skiplink ?? null,
      payloadSize: theirs.payloadSize.toString(), payloadHash: theirs.payloadHash,
      signature: theirs.signature, hash: p2.generateHash(entry),
    }, 'decoded entry');
  });
  check(`entry ${i} corrupted signature is rejected`, () => {
    const bad = entry.slice(0, -2) + (entry.slice(-2) === '00' ? '01' : '00');
    const out = panda('entry', 'decode', bad);
    assertEq(out.status, 1, 'exit status');
    if (!/signature/.test(out.stderr)) throw new Error(`stderr should name the signature: ${out.stderr}`);
  });
}

// Keys: `panda key new FILE` writes the private key with mode 0600 and prints
// the public key that p2panda-js derives from that private key.
check('panda key new FILE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panda-key-'));
  const file = path.join(dir, 'private.key');
  const out = panda('key', 'new', file);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  assertEq(fs.statSync(file).mode & 0o777, 0o600, 'key file mode');
  const privateKey = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(privateKey)) throw new Error(`key file does not hold a hex key: ${privateKey}`);
  assertEq(out.stdout, new p2.KeyPair(privateKey).publicKey(), 'printed public key');
  // and an entry signed with it by our CLI is what p2panda-js signs
  const operation = operations[0];
  const ours = panda('entry', 'sign', '--key', file, '--log-id', '0', '--seq-num', '1', '--operation', operation);
  assertEq(ours.stdout, p2.signAndEncodeEntry({ logId: 0n, seqNum: 1n, operation }, new p2.KeyPair(privateKey)), 'entry');
  fs.rmSync(dir, { recursive: true });
});
done();
