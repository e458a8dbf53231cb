// shirokuma 0.1.3 + p2panda-js 0.8.1, unchanged, drive a running pandad: a long
// log of UPDATEs (every skiplink shape up to seq 70+), a second author, a
// DELETE, a schema definition, a two-piece blob, an unknown schema, restarts.
// Every nextArgs/publish answer is compared with what a model written here
// from spec §6.1/§7 expects, computed from the entries we signed ourselves.
import * as p2 from 'p2panda-js';
import { Session, KeyPair, OperationFields } from 'shirokuma';
import { rng, toHex, randomHash, check, checkAsync, done, assertEq, failedSoFar, seedFromEnv } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const seed = seedFromEnv();
console.log(`seed ${seed} (replay with PANDA_SEED=${seed})`);
const r = rng(seed);
const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 300000);
const UPDATES_BEFORE_RESTART = 60;
const UPDATES_AFTER_RESTART = 5;       // then the second author, then as many again
const FIELD_DEF = 'schema_field_definition_v1';
const FIELD_TYPES = ['str', 'int', 'float', 'bool', 'bytes'];
const BLOB_PIECE = 256000;             // shirokuma's MAX_BLOB_PIECE_LENGTH
const DELETED_MSG = 'You are trying to update or delete a document which has been deleted';

// The two documents of node-api.md §8, verbatim.
const GQL_NEXT_ARGS = '\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: $publicKey, viewId: $viewId) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n';
const GQL_PUBLISH = '\n  mutation Publish($entry: String!, $operation: String!) {\n    publish(entry: $entry, operation: $operation) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n';

// Bamboo skiplink target (spec §6.1), in BigInt.
function lipmaa(n) {
  let m = 1n, po3 = 3n, u = n;
  while (m < n) { po3 *= 3n; m = (po3 - 1n) / 2n; }
  po3 /= 3n;
  if (m !== n) {
    while (u !== 0n) { m = (po3 - 1n) / 2n; po3 /= 3n; u %= m; }
    if (m !== po3) po3 = m;
  }
  return n - po3;
}
const needsSkiplink = (seq) => lipmaa(seq) !== seq - 1n;

// What a node must answer, from the entries we published (spec §6.1, §7.2 step 14).
class Model {
  keys = new Map();      // public key -> Map(logId string -> {docId, hashes[]})
  docOf = new Map();     // operation id -> document id
  deleted = new Set();   // document ids with a DELETE
  skiplinkSeqs = new Map();  // "pk/log" -> seqs at which pandad answered with a skiplink

  logs(pk) {
    if (!this.keys.has(pk)) this.keys.set(pk, new Map());
    return this.keys.get(pk);
  }
  logOf(pk, docId) {
    for (const [logId, log] of this.logs(pk)) if (log.docId === docId) return [logId, log];
    return [null, null];
  }
  newLog(pk) {
    const ids = [...this.logs(pk).keys()].map(BigInt);
    const next = ids.length === 0 ? 0n : ids.reduce((a, b) => (a > b ? a : b)) + 1n;
    return { logId: next.toString(), seqNum: '1', backlink: null, skiplink: null };
  }
  continuation(logId, log) {
    const seq = BigInt(log.hashes.length + 1);
    const skiplink = needsSkiplink(seq) ? log.hashes[Number(lipmaa(seq)) - 1] : null;
    return { logId, seqNum: seq.toString(), backlink: log.hashes.at(-1), skiplink };
  }
  // nextArgs(pk, viewId) for a document that is not deleted.
  expectNext(pk, viewId) {
    if (!viewId) return this.newLog(pk);
    const docId = this.docOf.get(viewId.split('_')[0]);
    const [logId, log] = this.logOf(pk, docId);
    return log ? this.continuation(logId, log) : this.newLog(pk);
  }
  // Registers an entry the node accepted; returns the publish answer it owes.
  published(entryHex, operationHex) {
    const entry = p2.decodeEntry(entryHex), op = p2.decodeOperation(operationHex);
    const hash = p2.generateHash(entryHex);
    const docId = op.action === 'create' ? hash : this.docOf.get(op.previous[0]);
    const pk = entry.publicKey, logId = entry.logId.toString();
    if (!this.logs(pk).has(logId)) this.logs(pk).set(logId, { docId, hashes: [] });
    const log = this.logs(pk).get(logId);
    log.hashes.push(hash);
    this.docOf.set(hash, docId);
    if (op.action === 'delete') this.deleted.add(docId);
    return this.continuation(logId, log);
  }
  noteSkiplink(pk, args) {
    if (!args.skiplink) return;
    const k = `${pk}/${args.logId}`;
    if (!this.skiplinkSeqs.has(k)) this.skiplinkSeqs.set(k, new Set());
    this.skiplinkSeqs.get(k).add(BigInt(args.seqNum));
  }
}
const model = new Model();
const sent = [];          // every {query, variables} shirokuma sent, in order

// A shirokuma Session whose GraphQL calls are checked against the model as they happen.
function session(url) {
  const s = new Session(url);
  const request = s.client.request.bind(s.client);
  s.client.request = async (query, variables) => {
    sent.push({ query, variables });
    if (variables.entry !== undefined) {
      const res = await request(query, variables);
      const entry = p2.decodeEntry(variables.entry);
      const expected = model.published(variables.entry, variables.operation);
      model.noteSkiplink(entry.publicKey, res.publish);
      check(`publish ${entry.publicKey.slice(0, 8)} log ${entry.logId} seq ${entry.seqNum}: answer`,
        () => assertEq(res.publish, expected, 'publish answer'));
      return res;
    }
    const expected = model.expectNext(variables.publicKey, variables.viewId);
    const res = await request(query, variables);
    model.noteSkiplink(variables.publicKey, res.nextArgs);
    check(`nextArgs ${variables.publicKey.slice(0, 8)} ${variables.viewId ? 'view' : 'new'} seq ${expected.seqNum}`,
      () => assertEq(res.nextArgs, expected, 'nextArgs answer'));
    return res;
  };
  return s;
}

// A POST exactly as graphql-request 6.1 makes it.
async function post(url, query, variables, operationName) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

// Runs `fn`, which must throw a graphql-request ClientError whose first GraphQL error is `message`.
async function expectGqlError(fn, message) {
  let error = null;
  try { await fn(); } catch (e) { error = e; }
  if (!error) throw new Error(`expected the error "${message}", the call succeeded`);
  if (!error.response) throw new Error(`expected a GraphQL error "${message}", got: ${error.message}`);
  assertEq(error.response.errors?.[0]?.message, message, 'errors[0].message');
  assertEq(error.response.data ?? null, null, 'data');
  if (!error.message.startsWith(`${message}: `)) throw new Error(`thrown message: ${error.message.slice(0, 200)}`);
}

// Deterministic keys, so a failing seed replays the same logs.
const newKeyPair = () => new KeyPair(toHex(r.bytes(32)));
const fieldDef = (i) => ({ name: `title_${i}`, type: FIELD_TYPES[i % FIELD_TYPES.length] });
function need(value, what) {
  if (!value) throw new Error(`skipped: ${what} failed earlier`);
  return value;
}

// Node 20 has Blob but no FileReader, which shirokuma's createBlob reads blobs with.
if (typeof globalThis.FileReader === 'undefined') {
  globalThis.FileReader = class {
    readAsArrayBuffer(blob) {
      blob.arrayBuffer().then((result) => this.onload({ target: { result } }), (e) => this.onerror(e));
    }
  };
}

check('lipmaa matches the table of spec §6.1', () => {
  const table = { 1: 0, 2: 1, 3: 2, 4: 1, 5: 4, 6: 5, 7: 6, 8: 4, 9: 8, 10: 9, 11: 10, 12: 8, 13: 4, 14: 13, 17: 13, 21: 17, 25: 21, 26: 13, 39: 26, 40: 13, 121: 40 };
  for (const [n, l] of Object.entries(table)) assertEq(lipmaa(BigInt(n)), BigInt(l), `lipmaa(${n})`);
});

let node;
globalTimeout(TIMEOUT_MS, () => node?.printLog());
try {
  node = await startNode();
} catch (e) {
  check('pandad starts and logs "listening on"', () => { throw e; });
  done();
}
const key1 = newKeyPair(), key2 = newKeyPair(), pk1 = key1.publicKey(), pk2 = key2.publicKey();
let s1 = session(node.url).setKeyPair(key1).setSchemaId(FIELD_DEF);

await fresh();
const docId = await longLog();
const tip = await restartMidLog(docId);
const last = await secondAuthor(docId, tip);
await deleteDocument(docId, last);
await schemaAndBlob();
await unknownSchema();
await restartAfterAll(docId, last);

if (failedSoFar() > 0) node.printLog(); else node.cleanup();
done();

// 1. A fresh key on a fresh node: log 0, seq 1, no links, by shirokuma and by raw POSTs.
async function fresh() {
  const expected = { logId: '0', seqNum: '1', backlink: null, skiplink: null };
  await checkAsync('shirokuma nextArgs of a fresh key', async () =>
    assertEq(await s1.nextArgs(pk1), expected, 'nextArgs'));
  check('shirokuma sends the nextArgs document of spec §8', () => {
    assertEq(sent[0].query, GQL_NEXT_ARGS, 'query text');
    assertEq(Object.keys(JSON.parse(JSON.stringify(sent[0].variables))), ['publicKey'], 'variables sent');
  });
  const exact = '{"data":{"nextArgs":{"logId":"0","seqNum":"1","backlink":null,"skiplink":null}}}';
  for (const [what, variables] of [['viewId omitted', { publicKey: pk1 }], ['viewId null', { publicKey: pk1, viewId: null }]]) {
    await checkAsync(`raw nextArgs POST, ${what}`, async () => {
      const res = await post(node.url, GQL_NEXT_ARGS, variables, 'NextArgs');
      assertEq(res.status, 200, 'HTTP status');
      if (!/^application\/json/.test(res.type || '')) throw new Error(`content-type ${res.type}`);
      assertEq(res.body, exact, 'body');
    });
  }
  await checkAsync('fishy-style literal nextArgs without variables', async () => {
    const res = await post(node.url, `{ nextArgs(publicKey: "${pk1}") { logId seqNum skiplink backlink } }`);
    assertEq(res.body, '{"data":{"nextArgs":{"logId":"0","seqNum":"1","skiplink":null,"backlink":null}}}', 'body');
  });
}

// 2./3. CREATE a field definition, then UPDATE it passing the latest view id each time.
async function longLog() {
  let docId = null;
  await checkAsync('shirokuma create of a schema_field_definition_v1', async () => {
    docId = await s1.create({ name: 'title', type: 'str' });
    assertEq(sent.at(-1).query, GQL_PUBLISH, 'publish document of spec §8');
    assertEq(docId, p2.generateHash(sent.at(-1).variables.entry), 'document id is the entry hash');
  });
  await checkAsync(`${UPDATES_BEFORE_RESTART} shirokuma updates of it`, async () => {
    let view = need(docId, 'create');
    for (let i = 1; i <= UPDATES_BEFORE_RESTART; i++) view = await s1.update(fieldDef(i), view);
  });
  await checkAsync('re-publishing the last entry is refused (spec §7.3)', async () => {
    const { entry, operation } = need(sent.at(-1).variables.entry && sent.at(-1).variables, 'updates');
    const seq = p2.decodeEntry(entry).seqNum;
    await expectGqlError(() => s1.publish(entry, operation),
      `Entry's claimed seq num of ${seq} does not match expected seq num of ${seq + 1n} for given public key and log`);
  });
  check('pandad gave a skiplink exactly where lipmaa(seq) != seq-1 (seq 2..62)', () => {
    const got = [...(model.skiplinkSeqs.get(`${pk1}/0`) || [])].sort((a, b) => (a < b ? -1 : 1));
    const want = [];
    for (let s = 2n; s <= BigInt(UPDATES_BEFORE_RESTART + 2); s++) if (needsSkiplink(s)) want.push(s);
    assertEq(got, want, 'seqs with a skiplink');
    for (const s of [4n, 8n, 12n, 13n, 17n, 21n, 25n, 26n, 30n, 34n, 38n, 39n, 40n]) if (!got.includes(s)) throw new Error(`no skiplink at ${s}`);
  });
  return docId;
}

// 7. SIGTERM exits 0; on the same data directory nextArgs continues the log.
async function restartMidLog(docId) {
  let tip = null;
  await checkAsync('restart mid-log: SIGTERM exits 0, pandad comes back', async () => {
    try {
      await node.restart();
    } finally {
      if (node.url) s1 = session(node.url).setKeyPair(key1).setSchemaId(FIELD_DEF);
    }
  });
  await checkAsync('after the restart nextArgs continues the long log', async () => {
    const [, log] = model.logOf(pk1, need(docId, 'create'));
    const args = await s1.nextArgs(pk1, log.hashes.at(-1));
    assertEq(args.seqNum, String(UPDATES_BEFORE_RESTART + 2), 'seqNum');
    assertEq(args.logId, '0', 'logId');
    assertEq((await s1.nextArgs(pk1, docId)).seqNum, args.seqNum, 'seqNum by document id');
    assertEq((await s1.nextArgs(pk1)).logId, '1', 'new log id');
    tip = log.hashes.at(-1);
    for (let i = 1; i <= UPDATES_AFTER_RESTART; i++) tip = await s1.update(fieldDef(100 + i), tip);
  });
  return tip;
}

// 4. A second key updates the first key's document (a new log of its own, §6.1 case 2.4),
// then the first key goes on, passing the second key's operation as previous.
async function secondAuthor(docId, tip) {
  let view = null;
  await checkAsync('a second key updates the document in its own log 0', async () => {
    const args = await s1.nextArgs(pk2, need(tip, 'updates after restart'));
    assertEq(args, { logId: '0', seqNum: '1', backlink: null, skiplink: null }, 'nextArgs of key 2');
    view = await s1.update(fieldDef(200), tip, { keyPair: key2, schemaId: FIELD_DEF });
    view = await s1.update(fieldDef(201), view, { keyPair: key2, schemaId: FIELD_DEF });
    assertEq((await s1.nextArgs(pk2, view)).seqNum, '3', 'key 2 log seqNum');
  });
  await checkAsync('the first key continues its log after the second key\'s update', async () => {
    need(view, 'second author');
    for (let i = 1; i <= UPDATES_AFTER_RESTART; i++) view = await s1.update(fieldDef(300 + i), view);
    assertEq(model.logOf(pk1, docId)[0], '0', 'key 1 stays in log 0');
    assertEq(model.logOf(pk1, docId)[1].hashes.length, 1 + UPDATES_BEFORE_RESTART + 2 * UPDATES_AFTER_RESTART, 'entries');
  });
  return view;
}

// 2. DELETE; afterwards nextArgs says "Document is deleted" and publishing an
// UPDATE (signed with the right links) gives the deleted-document error.
async function deleteDocument(docId, view) {
  let deleteView = null;
  await checkAsync('shirokuma delete', async () => {
    deleteView = await s1.delete(need(view, 'updates'));
  });
  for (const [what, id] of [['the delete', deleteView], ['the document id', docId], ['an old view', view]]) {
    await checkAsync(`nextArgs with ${what} after the delete: Document is deleted`, async () =>
      expectGqlError(() => s1.nextArgs(pk1, need(id, 'delete')), 'Document is deleted'));
  }
  await checkAsync('shirokuma update after the delete: Document is deleted', async () =>
    expectGqlError(() => s1.update(fieldDef(400), need(deleteView, 'delete')), 'Document is deleted'));
  for (const [who, keyPair] of [['key 1', key1], ['key 2', key2]]) {
    await checkAsync(`publish of an UPDATE by ${who} after the delete: ${DELETED_MSG}`, async () => {
      const operation = p2.encodeOperation({ action: 'update', schemaId: FIELD_DEF, previous: need(deleteView, 'delete'), fields: fieldDef(401) });
      const args = model.expectNext(keyPair.publicKey(), deleteView);
      const entry = p2.signAndEncodeEntry({ ...args, operation }, keyPair);
      await expectGqlError(() => s1.publish(entry, operation), DELETED_MSG);
    });
  }
}

// 5. A schema definition over a new field definition; a 300 kB blob in two pieces.
async function schemaAndBlob() {
  await checkAsync('schema_definition_v1 CREATE with a pinned relation list of field definitions', async () => {
    const fieldView = await s1.create({ name: 'body', type: 'str' });
    const fields = new OperationFields();
    fields.insert('name', 'str', 'interop_note');
    fields.insert('description', 'str', 'Published by shirokuma through pandad');
    fields.insert('fields', 'pinned_relation_list', [[fieldView]]);
    const schemaView = await s1.create(fields, { schemaId: 'schema_definition_v1' });
    assertEq(schemaView, p2.generateHash(sent.at(-1).variables.entry), 'view id');
  });
  await checkAsync('shirokuma createBlob of 300000 bytes publishes 2 pieces and the blob', async () => {
    const bytes = r.bytes(300000);
    const first = sent.length;
    const blobView = await s1.createBlob(new Blob([bytes], { type: 'text/plain' }));
    const ops = sent.slice(first).filter((c) => c.variables.operation).map((c) => p2.decodeOperation(c.variables.operation));
    assertEq(ops.map((o) => o.schemaId), ['blob_piece_v1', 'blob_piece_v1', 'blob_v1'], 'published schemas');
    assertEq(ops.slice(0, 2).map((o) => o.fields.get('data').length), [BLOB_PIECE, 300000 - BLOB_PIECE], 'piece sizes');
    assertEq(ops[2].fields.get('length'), 300000n, 'blob length');
    assertEq(blobView, p2.generateHash(sent.at(-1).variables.entry), 'blob view id');
  });
}

// 6. An unknown application schema: shirokuma throws "Schema not found", nothing is stored.
async function unknownSchema() {
  const schemaId = `interop_unknown_${randomHash(r)}`;
  await checkAsync('create on an unknown schema: Schema not found', async () =>
    expectGqlError(() => s1.create({ title: 'nobody knows me' }, { schemaId }), 'Schema not found'));
  await checkAsync('the refused create left no log behind', async () =>
    assertEq((await s1.nextArgs(pk1)).logId, model.newLog(pk1).logId, 'next new log id'));
}

// 7. Second restart: everything above survives.
async function restartAfterAll(docId, view) {
  await checkAsync('final restart: SIGTERM exits 0', async () => {
    try {
      await node.restart();
    } finally {
      if (node.url) s1 = session(node.url).setKeyPair(key1).setSchemaId(FIELD_DEF);
    }
  });
  await checkAsync('after the final restart the state survives', async () => {
    await expectGqlError(() => s1.nextArgs(pk1, need(view, 'updates')), 'Document is deleted');
    await expectGqlError(() => s1.nextArgs(pk2, view), 'Document is deleted');
    await s1.nextArgs(pk1);      // compared with the model by the session
    await s1.nextArgs(pk2);
  });
  await checkAsync('final SIGTERM exits 0', () => node.stop());
}
