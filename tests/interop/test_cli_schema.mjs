// fishy's lock files made with p2panda-js 0.8.1 against `panda schema`:
//
// This script builds schema.lock the way fishy 0.2.1 does (its build
// command, re-written here over p2panda-js: field definitions by name, then
// the schema; a related schema first; every CREATE in the next free log; an
// UPDATE in the log of its document with backlink and skiplink; the lock
// file in fishy's TOML layout), for a first version of a schema.toml and a
// second one that changes a description and adds a field. Then:
//   - `panda schema deploy` of the p2panda-js lock publishes it to a real
//     pandad, whose GraphQL then serves the schemas; a second deploy sends
//     nothing;
//   - `panda schema build` of the same schema.toml files with the same key
//     makes byte-identical commits (same entries, operations, hashes, ids),
//     also when it extends the p2panda-js lock with the second version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as p2 from 'p2panda-js';
import { gql, until } from './graphql.mjs';
import { panda, checkAsync, check, done, assertEq } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 300000);
const POLL_MS = Number(process.env.PANDA_POLL_MS || 30000);
const PRIVATE_KEY = '3c6a6a1d0b8cf9a7c4b5e2f10d9e8c7b6a5f4e3d2c1b0a99887766554433221a';

// The schemas as fishy's schema.toml holds them, and that file's text.
const V1 = {
  venue: { description: 'A place', fields: { name: { type: 'str' }, capacity: { type: 'int' } } },
  event: {
    description: 'Something happening',
    fields: {
      title: { type: 'str' }, start: { type: 'int' }, cancelled: { type: 'bool' },
      venue: { type: 'relation', schema: { name: 'venue' } },
      artists: { type: 'relation_list', schema: { name: 'artist' } },
    },
  },
  artist: { description: 'Who plays', fields: { name: { type: 'str' }, photo: { type: 'bytes' } } },
};
const V2 = structuredClone(V1);
V2.venue.description = 'A place where events happen';
V2.artist.fields.rating = { type: 'float' };

function toToml(schemas) {
  let text = '';
  for (const [name, s] of Object.entries(schemas)) {
    text += `[${name}]\ndescription = ${JSON.stringify(s.description)}\n\n[${name}.fields]\n`;
    for (const [field, f] of Object.entries(s.fields)) {
      const rel = f.schema ? `, schema = { name = ${JSON.stringify(f.schema.name)} }` : '';
      text += `${field} = { type = ${JSON.stringify(f.type)}${rel} }\n`;
    }
    text += '\n';
  }
  return text;
}

// --- fishy's build over p2panda-js -------------------------------------------
const keyPair = new p2.KeyPair(PRIVATE_KEY);
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function lipmaa(n) {
  let m = 1n, po3 = 3n, x = n;
  while (m < n) { po3 *= 3n; m = (po3 - 1n) / 2n; }
  po3 /= 3n;
  if (m !== n) {
    while (x !== 0n) {
      m = (po3 - 1n) / 2n; po3 /= 3n;
      x %= m;
    }
    if (m !== po3) po3 = m;
  }
  return n - po3;
}

// The memory store fishy publishes into: logs of our key, documents.
function newState() {
  return { logs: [], docLog: new Map(), schemas: new Map(), commits: [] };
}

// Sign operation into the log of `doc` (a new log when undefined).
function commit(state, operation, doc) {
  let logId = doc !== undefined ? state.docLog.get(doc) : undefined;
  if (logId === undefined) { logId = state.logs.length; state.logs.push([]); }
  const log = state.logs[logId];
  const seqNum = BigInt(log.length + 1);
  const args = { logId: BigInt(logId), seqNum, operation };
  if (seqNum > 1n) {
    args.backlink = log[log.length - 1];
    const skip = lipmaa(seqNum);
    if (skip !== seqNum - 1n) args.skiplink = log[Number(skip) - 1];
  }
  const entry = p2.signAndEncodeEntry(args, keyPair);
  const hash = p2.generateHash(entry);
  log.push(hash);
  state.docLog.set(doc ?? hash, logId);
  state.commits.push({ entry_hash: hash, entry, operation });
  return { hash, doc: doc ?? hash };
}

// Build order: levels of the relation graph, names sorted within a level.
function order(schemas) {
  const names = Object.keys(schemas).sort(cmp), done = new Set(), out = [];
  while (out.length < names.length) {
    const level = names.filter((n) => !done.has(n) && Object.values(schemas[n].fields)
      .every((f) => !f.schema || done.has(f.schema.name)));
    level.forEach((n) => done.add(n));
    out.push(...level);
  }
  return out;
}

function build(state, schemas) {
  const ids = {};
  for (const name of order(schemas)) {
    const s = schemas[name], prev = state.schemas.get(name);
    const fields = [];
    for (const fieldName of Object.keys(s.fields).sort(cmp)) {
      const f = s.fields[fieldName];
      const type = f.schema ? `${f.type}(${ids[f.schema.name]})` : f.type;
      const old = prev?.fields.find((x) => x.name === fieldName);
      if (old && old.type === type) { fields.push(old); continue; }
      const ops = new p2.OperationFields();
      if (!old) ops.insert('name', 'str', fieldName);
      ops.insert('type', 'str', type);
      const operation = p2.encodeOperation(old
        ? { action: 'update', schemaId: 'schema_field_definition_v1', previous: [old.view], fields: ops }
        : { schemaId: 'schema_field_definition_v1', fields: ops });
      const { hash, doc } = commit(state, operation, old?.doc);
      fields.push({ name: fieldName, type, view: hash, doc });
    }
    const views = fields.map((f) => [f.view]);
    const sameFields = prev && JSON.stringify(prev.fields.map((f) => f.view)) === JSON.stringify(fields.map((f) => f.view));
    let view = prev?.view, doc = prev?.doc;
    if (!prev || !sameFields || prev.description !== s.description) {
      const ops = new p2.OperationFields();
      if (!prev) ops.insert('name', 'str', name);
      if (!prev || prev.description !== s.description) ops.insert('description', 'str', s.description);
      if (!prev || !sameFields) ops.insert('fields', 'pinned_relation_list', views);
      const operation = p2.encodeOperation(prev
        ? { action: 'update', schemaId: 'schema_definition_v1', previous: [prev.view], fields: ops }
        : { schemaId: 'schema_definition_v1', fields: ops });
      ({ hash: view, doc } = commit(state, operation, prev?.doc));
    }
    state.schemas.set(name, { view, doc, description: s.description, fields });
    ids[name] = `${name}_${view}`;
  }
  return ids;
}

// fishy's write.rs: a header comment, then toml's pretty layout.
function lockText(commits) {
  let text = '# This file is automatically generated by fishy.\n# It is not intended for manual editing.\n\nversion = 1\n';
  for (const c of commits)
    text += `\n[[commits]]\nentry_hash = "${c.entry_hash}"\nentry = "${c.entry}"\noperation = "${c.operation}"\n`;
  return text;
}

// Commits of a lock file's text, as {entry_hash, entry, operation}.
function readCommits(text) {
  const commits = [];
  for (const block of text.split('[[commits]]').slice(1)) {
    const get = (key) => new RegExp(`${key} = "([0-9a-f]+)"`).exec(block)?.[1];
    commits.push({ entry_hash: get('entry_hash'), entry: get('entry'), operation: get('operation') });
  }
  return commits;
}

// --- the test ---------------------------------------------------------------
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panda-fishy-'));
const keyFile = path.join(dir, 'key.txt');
fs.writeFileSync(keyFile, PRIVATE_KEY + '\n', { mode: 0o600 });
fs.writeFileSync(path.join(dir, 'v1.toml'), toToml(V1));
fs.writeFileSync(path.join(dir, 'v2.toml'), toToml(V2));

const state = newState();
const ids1 = build(state, V1);
const commits1 = [...state.commits];
const ids2 = build(state, V2);
const commits2 = [...state.commits];
const jsLock1 = path.join(dir, 'js-v1.lock'), jsLock2 = path.join(dir, 'js-v2.lock');
fs.writeFileSync(jsLock1, lockText(commits1));
fs.writeFileSync(jsLock2, lockText(commits2));
console.log(`p2panda-js lock: ${commits1.length} commits, then ${commits2.length - commits1.length} more`);

let node;
globalTimeout(TIMEOUT_MS, () => node?.printLog());
node = await startNode();

const schemaServed = (id) => until(node.url, `{ all_${id} { totalCount } }`, (d) => d[`all_${id}`], `schema ${id} served`, POLL_MS);

await checkAsync('panda schema deploy publishes a p2panda-js lock file; the node serves its schemas', async () => {
  const out = panda('schema', 'deploy', jsLock1, '--node', node.url);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  assertEq(out.stdout, `deployed ${commits1.length} of ${commits1.length} commits of ${jsLock1} (the node had the other 0)`, 'output');
  for (const id of Object.values(ids1)) await schemaServed(id);
  const answer = await gql(node.url, `{ schema: __type(name: "${ids1.event}") { fields { name } } }`);
  const names = answer.data.schema.fields.map((f) => f.name).sort();
  assertEq(names, ['fields', 'meta'], 'event type');
});

await checkAsync('a second deploy publishes nothing and says so', async () => {
  const out = panda('schema', 'deploy', jsLock1, '--node', node.url);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  assertEq(out.stdout, `nothing to deploy: the node already has all ${commits1.length} commits of ${jsLock1}`, 'output');
});

await checkAsync('deploying the next version publishes only its new commits', async () => {
  const out = panda('schema', 'deploy', jsLock2, '--node', node.url);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  const added = commits2.length - commits1.length;
  assertEq(out.stdout, `deployed ${added} of ${commits2.length} commits of ${jsLock2} (the node had the other ${commits1.length})`, 'output');
  for (const id of Object.values(ids2)) await schemaServed(id);
});

check('panda schema build makes the same commits as fishy over p2panda-js', () => {
  const ours = path.join(dir, 'ours.lock');
  const out = panda('schema', 'build', path.join(dir, 'v1.toml'), '--lock', ours, '--key', keyFile);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  for (const [name, id] of Object.entries(ids1)) if (!out.stdout.includes(`${id} created`)) throw new Error(`${name}: ${id} not in ${out.stdout}`);
  assertEq(readCommits(fs.readFileSync(ours, 'utf8')), commits1, 'commits of version 1');
  const out2 = panda('schema', 'build', path.join(dir, 'v2.toml'), '--lock', ours, '--key', keyFile);
  assertEq(out2.status, 0, `exit status (stderr: ${out2.stderr})`);
  assertEq(readCommits(fs.readFileSync(ours, 'utf8')), commits2, 'commits after version 2');
});

check('panda schema build extends the p2panda-js lock file as fishy would', () => {
  const lock = path.join(dir, 'extend.lock');
  fs.copyFileSync(jsLock1, lock);
  const same = panda('schema', 'build', path.join(dir, 'v1.toml'), '--lock', lock, '--key', keyFile);
  assertEq(same.status, 0, `exit status (stderr: ${same.stderr})`);
  if (!same.stdout.includes('no new changes to commit')) throw new Error(`expected no changes: ${same.stdout}`);
  const out = panda('schema', 'build', path.join(dir, 'v2.toml'), '--lock', lock, '--key', keyFile);
  assertEq(out.status, 0, `exit status (stderr: ${out.stderr})`);
  assertEq(readCommits(fs.readFileSync(lock, 'utf8')), commits2, 'commits');
  if (!out.stdout.includes(`${ids2.venue} updated`) || !out.stdout.includes(`${ids2.artist} updated`))
    throw new Error(`expected venue and artist updated: ${out.stdout}`);
});

fs.rmSync(dir, { recursive: true, force: true });
await node.stop();
done();
