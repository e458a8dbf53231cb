// Two pandad nodes replicate what shirokuma 0.1.3 writes, unchanged clients
// on both ends: shirokuma publishes schemas, documents (one updated, one
// deleted) and a blob to node A; node B, empty, dials A
// (direct_node_addresses); shirokuma reads the same documents, view ids and
// blob bytes from B. Then live: an update on A is queryable on B while the
// anti-entropy interval is far away, so only live push can have carried it.
import { Session, KeyPair, OperationFields } from 'shirokuma';
import { gql, until, deploy } from './graphql.mjs';
import { rng, checkAsync, done, assertEq, failedSoFar, seedFromEnv } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const seed = seedFromEnv();
console.log(`seed ${seed} (replay with PANDA_SEED=${seed})`);
const r = rng(seed);
const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 300000);
const POLL_MS = Number(process.env.PANDA_POLL_MS || 60000);
const LIVE_MS = 20000;   // a live push must arrive well before the next anti-entropy round

if (typeof globalThis.FileReader === 'undefined') {
  globalThis.FileReader = class {
    readAsArrayBuffer(blob) {
      blob.arrayBuffer().then((result) => this.onload({ target: { result } }), (e) => this.onerror(e));
    }
  };
}

const REPLICATION = [...(process.env.PANDA_DEBUG ? ['--log-level', 'debug'] : []), '--node-address', '127.0.0.1', '--node-port', '0', '--replication-interval-ms', '600000'];
const a = await startNode(REPLICATION);
// GET /replication names A's peer id and bound port (the start-up summary
// that also prints them may still be on its way to the log).
const replicationInfo = async (url) => (await fetch(url.replace(/\/graphql$/, '/replication'))).json();
const { peer_id: aPeer, port: aPort } = await replicationInfo(a.url);
if (!/^12D3KooW\w+$/.test(aPeer) || !(aPort > 0)) throw new Error(`GET /replication: no peer id and port (${aPeer}, ${aPort})`);
let b = null;
globalTimeout(TIMEOUT_MS, () => { a.printLog(); b?.printLog(); });

const key = new KeyPair();
const session = new Session(a.url).setKeyPair(key);
const blobUrl = (url, id) => url.replace(/\/graphql$/, `/blobs/${id}`);

// What A holds, written through shirokuma.
const venue = await deploy(session, a.url, 'venue', 'Places to meet', [['name', 'str'], ['capacity', 'int'], ['photo', 'relation(blob_v1)']], POLL_MS);
const note = await deploy(session, a.url, 'note', 'Short notes', [['text', 'str']], POLL_MS);
const photoBytes = r.bytes(256000 + 1234);
const photo = await session.createBlob(new Blob([photoBytes], { type: 'image/png' }));
const venues = [];
for (let i = 0; i < 5; i++) {
  const fields = new OperationFields();
  fields.insert('name', 'str', `venue ${i}`);
  fields.insert('capacity', 'int', BigInt(10 * i));
  fields.insert('photo', 'relation', photo);
  venues.push(await session.create(fields, { schemaId: venue }));
}
const rename = new OperationFields();
rename.insert('name', 'str', 'venue 0, renamed');
await session.update(rename, venues[0], { schemaId: venue });
await session.delete(venues[4], { schemaId: venue });
const noteFields = new OperationFields();
noteFields.insert('text', 'str', 'hello from A');
const noteId = await session.create(noteFields, { schemaId: note });

const ALL_VENUES = `{ all_${venue}(orderBy: name) { documents { meta { documentId viewId } fields { name capacity photo { meta { documentId } } } } } }`;
const ALL_NOTES = `{ all_${note} { documents { meta { documentId viewId } fields { text } } } }`;
const venuesA = await until(a.url, ALL_VENUES, (d) => d[`all_${venue}`]?.documents.length === 4 &&
  d[`all_${venue}`].documents.some((doc) => doc.fields.name === 'venue 0, renamed'), 'A materialised its venues', POLL_MS);
const notesA = await until(a.url, ALL_NOTES, (d) => d[`all_${note}`]?.documents.length === 1, 'A materialised its note', POLL_MS);

await checkAsync('an empty node B dialling A gets the same documents, view ids and blob', async () => {
  b = await startNode([...REPLICATION, '--direct-node-addresses', `${aPeer}@127.0.0.1:${aPort}`]);
  const venuesB = await until(b.url, ALL_VENUES, (d) => JSON.stringify(d) === JSON.stringify(venuesA), 'B serves A\'s venues', POLL_MS);
  assertEq(venuesB, venuesA, 'venues on B');
  assertEq(await until(b.url, ALL_NOTES, (d) => d[`all_${note}`]?.documents.length === 1, 'B serves the note', POLL_MS), notesA, 'notes on B');
  const deadline = Date.now() + POLL_MS;
  let res;
  while ((res = await fetch(blobUrl(b.url, photo))).status !== 200 && Date.now() < deadline)
    await new Promise((ok) => setTimeout(ok, 100));
  assertEq(res.status, 200, 'GET the blob from B');
  assertEq(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(photoBytes)), true, 'blob bytes on B');
});

await checkAsync('live: an update published on A is served by B within seconds', async () => {
  const started = Date.now();
  const text = `live ${r.u64()}`;
  const change = new OperationFields();
  change.insert('text', 'str', text);
  await session.update(change, noteId, { schemaId: note });
  await until(b.url, ALL_NOTES, (d) => d[`all_${note}`]?.documents[0]?.fields.text === text, 'B serves the live update', LIVE_MS);
  console.log(`live update visible on B after ${Date.now() - started} ms`);
});

await checkAsync('the same author goes on writing on B: A gets it live, the other way', async () => {
  const onB = new Session(b.url).setKeyPair(key);
  const fields = new OperationFields();
  fields.insert('text', 'str', 'hello from B');
  const fromB = await onB.create(fields, { schemaId: note });
  await until(a.url, `{ ${note}(id: "${fromB}") { fields { text } } }`, (d) => d[note]?.fields.text === 'hello from B', 'A gets B\'s note (live, the other way)', LIVE_MS);
});

await checkAsync('GET /replication on B names A with what it received', async () => {
  const info = await (await fetch(b.url.replace(/\/graphql$/, '/replication'))).json();
  const peer = info.peers.find((p) => p.peer_id === aPeer);
  assertEq(peer?.state, 'ready', 'A\'s connection on B');
  assertEq(peer.direction, 'outgoing', 'B dialled A');
  if (!(peer.entries_received > 10 && peer.bytes_received > 256000 && peer.entries_sent >= 1))
    throw new Error(`counters ${JSON.stringify(peer)}`);
});

if (failedSoFar()) { a.printLog(); b?.printLog(); }
await b?.stop();
await a.stop();
if (!process.env.PANDA_KEEP_TMP) a.cleanup();
if (!process.env.PANDA_KEEP_TMP) b?.cleanup();
done();
