// shirokuma 0.1.3 + p2panda-js 0.8.1, unchanged, use pandad as an application
// would: deploy two schemas (songs, and albums that relate to songs), create,
// update and delete documents, then query them the way the tutorials do
// (single documents, filtered and ordered collections walked page by page,
// relation lists, a pinned relation to an older view). Every answer is
// compared with a model of the documents kept here from what we published.
import { Session, KeyPair, OperationFields } from 'shirokuma';
import { gql as gqlAt, until as untilAt, deploy as deployAt } from './graphql.mjs';
import { rng, toHex, checkAsync, done, assertEq, failedSoFar, seedFromEnv } from './lib.mjs';
import { startNode, globalTimeout } from './node.mjs';

const seed = seedFromEnv();
console.log(`seed ${seed} (replay with PANDA_SEED=${seed})`);
const r = rng(seed);
const TIMEOUT_MS = Number(process.env.PANDA_TIMEOUT_MS || 300000);
const POLL_MS = Number(process.env.PANDA_POLL_MS || 30000);   // longest wait for materialisation
const SONGS = 14;
const WORDS = ['Panda', 'bamboo', 'Forest', 'river', 'Moon', 'mushroom', 'Zoo', 'adventure'];

let node;
globalTimeout(TIMEOUT_MS, () => node?.printLog());
node = await startNode();
const key = new KeyPair(), key2 = new KeyPair();
const owner = key.publicKey();
const session = () => new Session(node.url).setKeyPair(key);

const gql = (query) => gqlAt(node.url, query);
const until = (query, pred, what) => untilAt(node.url, query, pred, what, POLL_MS);
const deploy = (name, description, fields) => deployAt(session(), node.url, name, description, fields, POLL_MS);

let SONG, ALBUM;
await checkAsync('schemas deployed with shirokuma become queryable', async () => {
  SONG = await deploy('song', 'A song of the test', [['title', 'str'], ['year', 'int'], ['score', 'float'], ['live', 'bool'], ['audio', 'bytes']]);
  ALBUM = await deploy('album', 'Songs in an order', [['name', 'str'], ['songs', `relation_list(${SONG})`], ['best', `pinned_relation(${SONG})`]]);
});
if (!SONG || !ALBUM) { node.printLog(); done(); }

// --- documents ----------------------------------------------------------------
const songs = new Map();   // document id -> {view, fields, deleted}
const title = (i) => `${r.pick(WORDS)} ${r.pick(WORDS)} ${i}`;
function songFields(i) {
  return { title: title(i), year: 1960 + ((i * 7) % 60), score: Math.round(r.int(1000)) / 8, live: r.int(2) === 1, audio: toHex(r.bytes(1 + r.int(6))) };
}
function typed(f) {
  const o = new OperationFields();
  o.insert('title', 'str', f.title);
  o.insert('year', 'int', BigInt(f.year));
  o.insert('score', 'float', f.score);
  o.insert('live', 'bool', f.live);
  o.insert('audio', 'bytes', Uint8Array.from(Buffer.from(f.audio, 'hex')));
  return o;
}

let oldView, oldFields, firstId;
await checkAsync('create, update (two authors) and delete songs through shirokuma', async () => {
  const s = session();
  for (let i = 0; i < SONGS; i++) {
    const fields = songFields(i);
    const id = await s.create(typed(fields), { schemaId: SONG });
    songs.set(id, { view: id, fields, deleted: false });
  }
  const ids = [...songs.keys()];
  firstId = ids[0];
  // Updates: a new title for every third song; the first one by a second author.
  for (let i = 0; i < ids.length; i += 3) {
    const song = songs.get(ids[i]);
    if (i === 0) { oldView = song.view; oldFields = { ...song.fields }; }
    const change = new OperationFields();
    song.fields.title = `${song.fields.title} (remastered)`;
    change.insert('title', 'str', song.fields.title);
    const opts = i === 0 ? { schemaId: SONG, keyPair: key2 } : { schemaId: SONG };
    song.view = await s.update(change, song.view, opts);
  }
  for (const i of [4, 9]) {
    const song = songs.get(ids[i]);
    await s.delete(song.view, { schemaId: SONG });
    song.deleted = true;
  }
});

const live = () => [...songs.entries()].filter(([, s]) => !s.deleted);
const SONG_FIELDS = 'title year score live audio';
const asAnswer = ([id, s]) => ({ meta: { documentId: id, viewId: s.view }, fields: { ...s.fields } });

await checkAsync('all songs are materialised: totalCount, order by document id, fields', async () => {
  const q = `{ all_${SONG}(first: 100) { totalCount hasNextPage documents { meta { documentId viewId } fields { ${SONG_FIELDS} } } } }`;
  const want = live().sort(([a], [b]) => (a < b ? -1 : 1)).map(asAnswer);
  const data = await until(q, (d) => JSON.stringify(d[`all_${SONG}`].documents) === JSON.stringify(want), 'songs');
  assertEq(data[`all_${SONG}`].totalCount, want.length, 'totalCount');
  assertEq(data[`all_${SONG}`].hasNextPage, false, 'hasNextPage');
});

await checkAsync('single song by id has its owner (the CREATE\'s key) and current view', async () => {
  const data = await gql(`{ s: ${SONG}(id: "${firstId}") { meta { documentId viewId owner } fields { ${SONG_FIELDS} } } }`);
  const song = songs.get(firstId);
  assertEq(data, { data: { s: { meta: { documentId: firstId, viewId: song.view, owner }, fields: song.fields } } }, 'answer');
});

await checkAsync('an old unpinned view is gone; a deleted song is null by id', async () => {
  const deletedId = live().length < songs.size ? [...songs.entries()].find(([, s]) => s.deleted)[0] : null;
  const data = await gql(`{ old: ${SONG}(viewId: "${oldView}") { meta { viewId } } gone: ${SONG}(id: "${deletedId}") { meta { viewId } } }`);
  assertEq(data, { data: { old: null, gone: null } }, 'answer');
});

// Filtered, ordered collections walked with small pages, against the model.
const ci = (s) => s.toLowerCase();
const cases = [
  { args: 'filter: { year: { gt: 1980 } }, orderBy: year, orderDirection: DESC', keep: (f) => f.year > 1980, key: (f) => f.year, desc: true },
  { args: 'filter: { title: { contains: "PANDA" } }, orderBy: title', keep: (f) => ci(f.title).includes('panda'), key: (f) => ci(f.title) },
  { args: 'filter: { live: { eq: true }, score: { lte: 90.5 } }, orderBy: score', keep: (f) => f.live && f.score <= 90.5, key: (f) => f.score },
  { args: 'filter: { year: { in: [1960, 1967, 1974, 1995] } }', keep: (f) => [1960, 1967, 1974, 1995].includes(f.year), key: null },
  { args: 'filter: { title: { notContains: "moon" } }, meta: { owner: { eq: "' + owner + '" } }, orderBy: year', keep: (f) => !ci(f.title).includes('moon'), key: (f) => f.year },
];
for (const c of cases) {
  await checkAsync(`pages of 3 over all_song(${c.args})`, async () => {
    let want = live().filter(([, s]) => c.keep(s.fields));
    // Ties (equal keys) are broken by view id in both directions here; keys are unique but for scores.
    want.sort(([ia, a], [ib, b]) => {
      if (!c.key) return ia < ib ? -1 : 1;
      const ka = c.key(a.fields), kb = c.key(b.fields);
      if (ka === kb) return a.view < b.view ? -1 : 1;
      return (ka < kb ? -1 : 1) * (c.desc ? -1 : 1);
    });
    want = want.map(([id]) => id);
    const got = [];
    let after = null, total = null;
    for (let page = 0; page < 20; page++) {
      const q = `{ p: all_${SONG}(${c.args}, first: 3${after ? `, after: "${after}"` : ''}) { totalCount hasNextPage endCursor documents { cursor meta { documentId } fields { title year score } } } }`;
      const res = await gql(q);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      const p = res.data.p;
      total = p.totalCount;
      got.push(...p.documents.map((d) => d.meta.documentId));
      if (p.documents.length) assertEq(p.endCursor, p.documents.at(-1).cursor, 'endCursor is the last cursor');
      else assertEq(p.endCursor, null, 'endCursor of an empty page');
      if (!p.hasNextPage) break;
      after = p.endCursor;
    }
    assertEq(total, want.length, 'totalCount');
    // Documents with equal keys may come in either order only if the model's tie-break differs.
    assertEq(got, want, 'documents in order over all pages');
  });
}

// --- relations ----------------------------------------------------------------
let albumId;
await checkAsync('an album relates to songs (with a duplicate and a deleted one) and pins an old view', async () => {
  const ids = [...songs.keys()];
  const list = [ids[2], ids[4], ids[2], ids[7], ids[1]];   // ids[4] is deleted
  const f = new OperationFields();
  f.insert('name', 'str', 'Greatest hits');
  f.insert('songs', 'relation_list', list);
  f.insert('best', 'pinned_relation', [oldView]);
  albumId = await session().create(f, { schemaId: ALBUM });
  const q = `{ a: ${ALBUM}(id: "${albumId}") { fields { name songs { totalCount documents { meta { documentId } fields { title } } } best { meta { viewId } fields { title year } } } } }`;
  const want = list.filter((id) => !songs.get(id).deleted).map((id) => ({ meta: { documentId: id }, fields: { title: songs.get(id).fields.title } }));
  const data = await until(q, (d) => d.a !== null, 'album');
  assertEq(data.a.fields.name, 'Greatest hits', 'name');
  assertEq(data.a.fields.songs, { totalCount: want.length, documents: want }, 'songs in list order, duplicates kept, deleted skipped');
  assertEq(data.a.fields.best, { meta: { viewId: oldView }, fields: { title: oldFields.title, year: oldFields.year } }, 'pinned view keeps its old values');
});

await checkAsync('a relation list pages with its own arguments and filters', async () => {
  const q = `{ a: ${ALBUM}(id: "${albumId}") { fields { songs(first: 2) { hasNextPage endCursor documents { meta { documentId } } } } } }`;
  const first = (await gql(q)).data.a.fields.songs;
  assertEq(first.documents.length, 2, 'first page size');
  assertEq(first.hasNextPage, true, 'hasNextPage');
  const next = (await gql(q.replace('first: 2', `first: 2, after: "${first.endCursor}"`))).data.a.fields.songs;
  const ids = [...songs.keys()];
  assertEq([...first.documents, ...next.documents].map((d) => d.meta.documentId), [ids[2], ids[2], ids[7], ids[1]], 'list order over two pages');
});

await checkAsync('SIGTERM exits 0', () => node.stop());
if (failedSoFar() > 0) node.printLog(); else node.cleanup();
done();
