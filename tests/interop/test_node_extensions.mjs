// shirokuma 0.1.3 (its graphql-request client) keeps working when pandad's
// GraphQL answers carry "extensions":{"viewsBehind":N}, which they do while
// the views lag. The node runs without its materialiser (the actors of a
// split node, on ipc:// endpoints) and with views_behind_limit 0, so every
// answer after the first publish carries the extension: checked on the raw
// answers, then shirokuma creates and updates documents through them.
// (p2panda-js 0.8.1 itself makes no HTTP requests.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session, KeyPair } from 'shirokuma';
import { checkAsync, done, assertEq } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 120000);
const FIELD_DEF = 'schema_field_definition_v1';

const sockets = fs.mkdtempSync(path.join(os.tmpdir(), 'pandad-ext-'));
const node = await startNode([
  '--actors', 'api,ingest,verify,storage',
  '--storage-endpoint', `ipc://${sockets}/storage`,
  '--events-endpoint', `ipc://${sockets}/events`,
  '--schemas-endpoint', `ipc://${sockets}/schemas`,
  '--views-behind-limit', '0',
]);
globalTimeout(TIMEOUT_MS, () => node.printLog());

async function post(query, variables) {
  const res = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

const keyPair = new KeyPair();
const session = new Session(node.url).setKeyPair(keyPair).setSchemaId(FIELD_DEF);
const NEXT_ARGS = 'query NextArgs($publicKey: String!) { nextArgs(publicKey: $publicKey) { logId seqNum } }';
let published = 0;

await checkAsync('before any publish: no extensions', async () => {
  const body = await post(NEXT_ARGS, { publicKey: keyPair.publicKey() });
  assertEq(body.extensions, undefined, 'extensions');
});

let docId;
await checkAsync('shirokuma creates a document', async () => {
  docId = await session.create({ name: 'title', type: 'str' });
  published++;
});

await checkAsync('answers now say how far the views are behind', async () => {
  // The node's figure may be a moment old: poll with a deadline.
  const deadline = Date.now() + 10000;
  let body;
  do {
    body = await post(NEXT_ARGS, { publicKey: keyPair.publicKey() });
  } while (body.extensions?.viewsBehind !== published && Date.now() < deadline);
  assertEq(body.extensions, { viewsBehind: published }, 'extensions');
  assertEq(body.data.nextArgs, { logId: '1', seqNum: '1' }, 'data beside them');
});

await checkAsync('shirokuma goes on through answers with extensions', async () => {
  let view = docId;
  for (let i = 0; i < 3; i++) {
    view = await session.update({ name: `title${i}` }, view);
    published++;
  }
  const other = await session.create({ name: 'body', type: 'str' });
  published++;
  assertEq(typeof other, 'string', 'document id');
  const args = await session.nextArgs(keyPair.publicKey());
  assertEq(args, { logId: '2', seqNum: '1', backlink: null, skiplink: null }, 'nextArgs after the publishes');
});

await checkAsync('the extension counts every publish', async () => {
  const deadline = Date.now() + 10000;
  let body;
  do {
    body = await post(NEXT_ARGS, { publicKey: keyPair.publicKey() });
  } while (body.extensions?.viewsBehind !== published && Date.now() < deadline);
  assertEq(body.extensions?.viewsBehind, published, 'viewsBehind');
});

await checkAsync('SIGTERM exits 0', () => node.stop());
fs.rmSync(sockets, { recursive: true, force: true });
done();
