// Runs build/bin/pandad for an interop script: a fresh data directory, HTTP on
// 127.0.0.1 with a free port, every stderr line kept in a log file so a
// failure can show what the node said.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binDir } from './lib.mjs';

const START_TIMEOUT_MS = Number(process.env.PANDA_START_TIMEOUT_MS || 30000);
const STOP_TIMEOUT_MS = Number(process.env.PANDA_STOP_TIMEOUT_MS || 20000);
const LISTEN_RE = /listening on (http:\/\/\S+\/graphql)/;

const live = new Set();         // running children, killed on exit / global timeout

// SIGKILL every pandad still running (synchronous: usable from 'exit' handlers).
export function killAllNodes() {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}
process.on('exit', killAllNodes);

// Fail the whole script after `ms`: print `onTimeout()`'s log, kill the nodes, exit 1.
export function globalTimeout(ms, onTimeout) {
  const timer = setTimeout(() => {
    console.error(`FAIL global timeout: the script did not finish within ${ms} ms`);
    try { onTimeout?.(); } catch { /* best effort */ }
    killAllNodes();
    process.exit(1);
  }, ms);
  timer.unref();
  return timer;
}

// Resolves with {code, signal} when `child` has exited (at once if it already has).
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// Waits for `promise`, rejecting with `what` after `ms`.
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what)), ms); });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// One pandad process on `node.dataDir`; resolves with the URL it listens on.
function launch(node) {
  // No LAN discovery: nodes of other tests on this host must not find each other.
  const args = ['--data-dir', node.dataDir, '--http-address', '127.0.0.1', '-p', '0', '--mdns', 'false', ...node.extraArgs];
  fs.appendFileSync(node.logFile, `=== pandad ${args.join(' ')}\n`);
  const child = spawn(path.join(binDir, 'pandad'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  node.child = child;
  const log = fs.createWriteStream(node.logFile, { flags: 'a' });
  child.stdout.on('data', (b) => log.write(b));
  let pending = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      log.write(b);
      if (node.url) return;                       // keep draining, nothing more to find
      pending += b.toString('utf8');
      const m = LISTEN_RE.exec(pending);
      if (m) { node.url = m[1]; resolve(m[1]); }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`pandad exited (status ${code}, signal ${signal}) before listening`)));
  });
  node.closed = new Promise((resolve) => child.once('close', () => log.end(resolve)));
  return within(ready, START_TIMEOUT_MS, `pandad did not log "listening on" within ${START_TIMEOUT_MS} ms`);
}

// Starts pandad with a new temporary data directory and `extraArgs`.
// Returns {url, dataDir, logFile, stop(), kill(), restart(), log(), printLog()}:
//   stop()    SIGTERM, waits for the exit, throws unless the exit status is 0;
//   kill()    SIGKILL, waits for the exit;
//   restart() stop(), then the same command on the same data directory (url changes;
//             throws stop()'s error after relaunching);
//   log()     everything pandad wrote so far.
// Throws (after printing the log) if pandad does not come up.
export async function startNode(extraArgs = []) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pandad-interop-'));
  const node = {
    url: null, child: null, closed: null, base, extraArgs,
    dataDir: path.join(base, 'data'), logFile: path.join(base, 'pandad.log'),
    log: () => fs.readFileSync(node.logFile, 'utf8'),
    printLog: () => console.error(`--- pandad log (${node.logFile}) ---\n${node.log()}--- end of log ---`),
    async stop() {
      const child = node.child;
      child.kill('SIGTERM');
      let status;
      try {
        status = await within(exited(child), STOP_TIMEOUT_MS, `pandad did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
      } catch (e) {
        child.kill('SIGKILL');
        await exited(child);
        throw e;
      } finally {
        await node.closed;
        node.url = null;
      }
      if (status.code !== 0)
        throw new Error(`pandad exited with status ${status.code} (signal ${status.signal}) after SIGTERM`);
    },
    async kill() {
      node.child.kill('SIGKILL');
      await exited(node.child);
      await node.closed;
      node.url = null;
    },
    async restart() {
      let stopError = null;
      try { await node.stop(); } catch (e) { stopError = e; }
      await launchOrPrint(node);             // come back even after a bad exit, so later checks run
      if (stopError) throw stopError;
      return node.url;
    },
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
  fs.mkdirSync(node.dataDir);
  await launchOrPrint(node);
  return node;
}

async function launchOrPrint(node) {
  try {
    await launch(node);
  } catch (e) {
    if (node.child && node.child.exitCode === null) { node.child.kill('SIGKILL'); await exited(node.child); }
    if (node.closed) await node.closed;
    node.printLog();
    throw e;
  }
}
