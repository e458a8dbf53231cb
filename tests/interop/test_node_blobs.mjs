// shirokuma 0.1.3's createBlob against pandad, unchanged: a text file, an SVG
// image, a binary file of several pieces of exactly 256000 bytes, and a
// 100 MB file. Each is fetched back from /blobs/<document id> once the node
// has materialised it (polling, as an app would) and compared byte for byte,
// with its Content-Type, ETag, If-None-Match (304) and a Range request; the
// node's peak memory (VmHWM) while it takes and serves the 100 MB blob is
// measured: it may grow by its page caches, not by the blob. A blob that a
// document stops relating to is purged as aquadoggo does: no longer served,
// its entries gone from the node, its log ids never given out again (also
// after a restart).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Session, KeyPair, OperationFields } from 'shirokuma';
import { untilAnswer, deploy } from './graphql.mjs';
import { rng, checkAsync, done, assertEq, failedSoFar, seedFromEnv } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const seed = seedFromEnv();
console.log(`seed ${seed} (replay with PANDA_SEED=${seed})`);
const r = rng(seed);
const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 500000);
const POLL_MS = Number(process.env.PANDA_POLL_MS || 120000);
const PIECE = 256000;                                         // shirokuma's MAX_BLOB_PIECE_LENGTH
const BIG_MB = Number(process.env.PANDA_BIG_BLOB_MB || 100);
const RSS_GROWTH_MAX_MB = 64;

// Node 20 has Blob but no FileReader, which shirokuma's createBlob reads blobs with.
if (typeof globalThis.FileReader === 'undefined') {
  globalThis.FileReader = class {
    readAsArrayBuffer(blob) {
      blob.arrayBuffer().then((result) => this.onload({ target: { result } }), (e) => this.onerror(e));
    }
  };
}

// ASan keeps freed memory in quarantine (256 MB by default), which would hide
// what the node really holds; a small quarantine keeps the peak meaningful.
process.env.ASAN_OPTIONS = `${process.env.ASAN_OPTIONS ? process.env.ASAN_OPTIONS + ':' : ''}quarantine_size_mb=16`;

let node;
globalTimeout(TIMEOUT_MS, () => node?.printLog());
node = await startNode();
const key = new KeyPair();
let session = new Session(node.url).setKeyPair(key);
const blobUrl = (id) => node.url.replace(/\/graphql$/, `/blobs/${id}`);
const peakMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${node.child.pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
};

// GET the blob until the node serves it (404 while it is materialised).
async function fetchBlob(id, headers = {}) {
  const deadline = Date.now() + POLL_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 100)) {
    const res = await fetch(blobUrl(id), { headers });
    if (res.status !== 404) return res;
    await res.arrayBuffer();
    if (Date.now() > deadline) throw new Error(`blob ${id} not served within ${POLL_MS} ms`);
    await new Promise((ok) => setTimeout(ok, pause));
  }
}

async function roundTrip(name, bytes, type) {
  let id;
  await checkAsync(`${name}: createBlob, then GET serves the same bytes`, async () => {
    id = await session.createBlob(new Blob([bytes], { type }));
    const res = await fetchBlob(id);
    assertEq(res.status, 200, 'status');
    assertEq(res.headers.get('content-type'), type, 'Content-Type');
    assertEq(res.headers.get('etag'), `"${id}"`, 'ETag is the view id');
    assertEq(Number(res.headers.get('content-length')), bytes.length, 'Content-Length');
    const got = Buffer.from(await res.arrayBuffer());
    if (Buffer.compare(got, Buffer.from(bytes)) !== 0) throw new Error(`body differs (${got.length} vs ${bytes.length} bytes)`);
  });
  return id;
}

await roundTrip('text', new TextEncoder().encode('Hello, Panda! 🐼\n'), 'text/plain');
await roundTrip('SVG', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle cx="4" cy="4" r="3"/></svg>'), 'image/svg+xml');
const binary = r.bytes(3 * PIECE + 1234);
const binId = await roundTrip('binary of 3 x 256000 + 1234 bytes', binary, 'application/octet-stream');

await checkAsync('If-None-Match with the ETag: 304 and no body', async () => {
  const res = await fetchBlob(binId, { 'If-None-Match': `"${binId}"` });
  assertEq(res.status, 304, 'status');
  assertEq((await res.arrayBuffer()).byteLength, 0, 'body length');
});
await checkAsync('Range across a piece boundary: 206 with those bytes', async () => {
  const res = await fetchBlob(binId, { Range: `bytes=${PIECE - 10}-${PIECE + 9}` });
  assertEq(res.status, 206, 'status');
  assertEq(res.headers.get('content-range'), `bytes ${PIECE - 10}-${PIECE + 9}/${binary.length}`, 'Content-Range');
  assertEq([...new Uint8Array(await res.arrayBuffer())], [...binary.slice(PIECE - 10, PIECE + 10)], 'bytes');
});

// What the node may hold besides the blob-independent caches: SQLite's page
// caches (16 MB for storage's writer, a few for the materialiser's readers)
// fill with any large write; the blob itself must never be held whole.
await checkAsync(`${BIG_MB} MB blob: published, served intact, node peak memory bounded`, async () => {
  const start = peakMb();
  const big = crypto.randomBytes(BIG_MB * 1000 * 1000);
  const id = await session.createBlob(new Blob([big], { type: 'video/mp4' }));
  const res = await fetchBlob(id);
  assertEq(res.status, 200, 'status');
  const hash = crypto.createHash('sha256');
  let length = 0;
  for await (const chunk of res.body) { hash.update(chunk); length += chunk.length; }
  assertEq(length, big.length, 'length');
  assertEq(hash.digest('hex'), crypto.createHash('sha256').update(big).digest('hex'), 'sha256');
  const growth = peakMb() - start;
  console.log(`node VmHWM grew by ${growth.toFixed(1)} MB for a ${BIG_MB} MB blob (bound: ${RSS_GROWTH_MAX_MB} MB)`);
  if (growth > RSS_GROWTH_MAX_MB) throw new Error(`peak memory grew by ${growth.toFixed(1)} MB`);
});

await checkAsync('a blob no document relates to any more is purged with its entries', async () => {
  // The blob is its author's newest log: a purge that let the log id go
  // would hand it out again.
  const author = new KeyPair();
  const blobs = new Session(node.url).setKeyPair(author);
  const blobId = await blobs.createBlob(new Blob([r.bytes(PIECE + 10)], { type: 'image/png' }));
  const before = await blobs.nextArgs(author.publicKey(), blobId);
  const picture = await deploy(session, node.url, 'picture', 'A picture of a blob', [['image', 'relation(blob_v1)']], POLL_MS);
  const fields = new OperationFields();
  fields.insert('image', 'relation', blobId);
  const pictureId = await session.create(fields, { schemaId: picture });
  assertEq((await fetchBlob(blobId)).status, 200, 'served while related');
  await session.delete(pictureId, { schemaId: picture });
  // Purged from the views first (GET: 404), then storage deletes the
  // entries: nextArgs for the blob's view no longer finds its operation.
  const gone = `Previous operation ${blobId} not found in store`;
  const nextArgs = `{ nextArgs(publicKey: "${author.publicKey()}", viewId: "${blobId}") { logId } }`;
  await untilAnswer(node.url, nextArgs, (a) => a.errors?.[0]?.message === gone, 'entries purged', POLL_MS);
  assertEq((await fetch(blobUrl(blobId))).status, 404, 'GET after the purge');
  const fresh = `{ nextArgs(publicKey: "${author.publicKey()}") { logId seqNum } }`;
  const expectFresh = { logId: String(BigInt(before.logId) + 1n), seqNum: '1' };
  assertEq((await untilAnswer(node.url, fresh, () => true, '', 0)).data.nextArgs, expectFresh, 'new log id');
  await node.restart();
  session = new Session(node.url).setKeyPair(key);
  assertEq((await untilAnswer(node.url, nextArgs, () => true, '', 0)).errors?.[0]?.message, gone, 'after a restart');
  assertEq((await untilAnswer(node.url, fresh, () => true, '', 0)).data.nextArgs, expectFresh, 'new log id after a restart');
});

await checkAsync('SIGTERM exits 0', () => node.stop());
if (failedSoFar() > 0) node.printLog(); else node.cleanup();
done();
