// SPDX-License-Identifier: MIT
//
// Two separate headless Chromium processes call each other through the Ponte daemon's
// signaling, and the test proves from getStats() on both sides that audio and video really
// flowed both ways, and that chat messages crossed the data channel both ways.
//
//   node p2p.mjs --url http://127.0.0.1:PORT [--out DIR]
//
// Run it through run.sh, which puts the daemon and the browsers in a private network
// namespace. Scenarios:
//   1. the Ponte client (/): room created by the first page, joined by the second through the
//      link; media both ways, chat both ways, a third page is refused, hang up and call again;
//   2. the Ponte client with camera and microphone denied (a third browser, whose profile
//      denies both): it says so, continues receive-only, and receives the partner's media;
//   3. the ported seed client (/seed/): media both ways over the seed protocol.
// Prints one "ok"/"not ok" line per check and "N passed, M failed" last; exits 1 on any
// failure. It never runs longer than OVERALL_TIMEOUT_MS.

import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const OVERALL_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 30_000;
const STATS_GAP_MS = 2_000;

// playwright-core 1.65.1's own --disable-features list (chromiumSwitches.ts): a second
// --disable-features flag would replace it, so ours repeats it and adds
// WebRtcHideLocalIpsWithMdns, without which host candidates become .local names that do not
// resolve here.
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled',
  'PreconnectToSearch', 'msForceBrowserSignIn', 'msEdgeUpdateLaunchServicesPreferredVersion',
  'WebRtcHideLocalIpsWithMdns',
];

const CHROMIUM_ARGS = [
  '--no-sandbox', // as root the sandbox cannot start
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  `--disable-features=${DISABLED_FEATURES.join(',')}`,
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string', default: '/tmp' },
  },
});
if (!opts.url) {
  console.error('usage: node p2p.mjs --url http://127.0.0.1:PORT [--out DIR]');
  process.exit(2);
}
const baseUrl = opts.url.replace(/\/+$/, '');
mkdirSync(opts.out, { recursive: true });

// --- reporting ---

let nbPassed = 0;
let nbFailed = 0;

function report(isOk, name, detail) {
  if (isOk) nbPassed += 1;
  else nbFailed += 1;
  console.log(`${isOk ? 'ok' : 'not ok'} ${nbPassed + nbFailed} - ${name}`);
  if (detail) console.log(`# ${String(detail).replace(/\n/g, '\n# ')}`);
}

function finish() {
  console.log(`${nbPassed} passed, ${nbFailed} failed`);
  process.exit(nbFailed === 0 && nbPassed > 0 ? 0 : 1);
}

class Failure extends Error {}

// Records a check; a failed check throws, which ends its scenario (later checks depend on it).
function check(name, isOk, detail) {
  report(isOk, name, isOk ? undefined : detail);
  if (!isOk) throw new Failure(name);
}

async function checkSoon(name, fn, timeoutMs = CONNECT_TIMEOUT_MS) {
  let err;
  try {
    await fn(timeoutMs);
  } catch (e) {
    err = e;
  }
  check(name, !err, err && err.message.split('\n')[0]);
}

// --- browsers ---

const browsers = [];
const pages = new Set(); // open pages, for the screenshots of a failed scenario
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function launch(name) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  browsers.push(browser);
  browser.label = name;
  return browser;
}

// A browser whose profile denies camera and microphone to the page's origin: without
// --use-fake-ui-for-media-stream, getUserMedia then fails with NotAllowedError as it does
// for a user who clicked "Block". Browser.setPermission applies to the default context,
// which only a persistent context exposes.
async function launchDenied(name) {
  const profile = mkdtempSync(join(tmpdir(), 'ponte-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 760 },
    args: CHROMIUM_ARGS.filter((arg) => arg !== '--use-fake-ui-for-media-stream'),
  });
  const closable = {
    label: name,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  browsers.push(closable);
  const page = context.pages()[0] || await context.newPage();
  const cdp = await context.newCDPSession(page);
  for (const permission of ['camera', 'microphone']) {
    await cdp.send('Browser.setPermission',
      { permission: { name: permission }, setting: 'denied', origin: new URL(baseUrl).origin });
  }
  return preparePage(page, name);
}

async function openPage(browser, name) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  return preparePage(await context.newPage(), name);
}

function preparePage(page, name) {
  const logFile = join(opts.out, `${name}.console.log`);
  page.on('console', (msg) => appendFileSync(logFile, `${msg.type()}: ${msg.text()}\n`));
  page.on('pageerror', (err) => {
    appendFileSync(logFile, `pageerror: ${err.message}\n`);
    console.log(`# ${name}: page error: ${err.message}`);
  });
  // The signaling frames go to the same log: the first thing to read when a call fails.
  page.on('websocket', (ws) => {
    const log = (dir) => ({ payload }) => appendFileSync(logFile,
      `ws ${dir} ${String(payload).slice(0, 300).replace(/\r?\n/g, '\\n')}\n`);
    ws.on('framesent', log('>'));
    ws.on('framereceived', log('<'));
    ws.on('close', () => appendFileSync(logFile, 'ws closed\n'));
  });
  page.label = name;
  pages.add(page);
  page.on('close', () => pages.delete(page));
  return page;
}

function waitState(page, states, timeoutMs = CONNECT_TIMEOUT_MS) {
  return page.waitForFunction(
    (wanted) => window.ponte && wanted.includes(window.ponte.state),
    [].concat(states), { timeout: timeoutMs, polling: 100 });
}

async function stateOf(page) {
  return page.evaluate(() => (window.ponte ? window.ponte.state : 'no test hook'));
}

// Bytes received so far by kind, summed over inbound-rtp streams.
function inboundBytes(page) {
  return page.evaluate(async () => {
    const pc = window.ponte && window.ponte.pc();
    if (!pc) return null;
    const bytes = { audio: 0, video: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind in bytes) bytes[s.kind] += s.bytesReceived || 0;
    });
    return bytes;
  });
}

// Media flows into each page: bytes received are above zero and still growing. "Connected"
// comes before the first video key frame, so the first sample waits (a bounded time) until
// every stream has received something; a stream that never does fails below.
async function checkMediaFlows(scenario, pages) {
  const hasAll = (b) => b && b.audio > 0 && b.video > 0;
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 250) {
    if ((await Promise.all(pages.map(inboundBytes))).every(hasAll)) break;
    await sleep(250);
  }
  const first = await Promise.all(pages.map(inboundBytes));
  await sleep(STATS_GAP_MS);
  const second = await Promise.all(pages.map(inboundBytes));
  pages.forEach((page, i) => {
    for (const kind of ['audio', 'video']) {
      const a = first[i] ? first[i][kind] : 0;
      const b = second[i] ? second[i][kind] : 0;
      report(a > 0 && b > a,
        `${scenario}: ${page.label} receives ${kind} (inbound-rtp bytesReceived ${a} -> ${b})`,
        a > 0 && b > a ? undefined : 'expected > 0 and growing between two getStats() samples');
    }
  });
}

async function screenshot(page, name) {
  const path = join(opts.out, `${name}.png`);
  await page.screenshot({ path });
  console.log(`# screenshot ${path}`);
}

// Sends TEXT from one page and waits until the other has it and the sender has its ack.
// The client repeats unacknowledged messages by itself; the test only waits.
async function checkChat(scenario, from, to) {
  const text = `hello from ${from.label} ${Math.random().toString(36).slice(2, 8)}`;
  await checkSoon(`${scenario}: chat from ${from.label} reaches ${to.label}`, async (timeout) => {
    const id = await from.evaluate((t) => window.ponte.sendChat(t).id, text);
    await to.waitForFunction(
      (t) => window.ponte.chatLog.some((e) => e.from === 'peer' && e.text === t),
      text, { timeout, polling: 100 });
    await from.waitForFunction(
      (i) => window.ponte.chatLog.some((e) => e.id === i && e.acked),
      id, { timeout: 5000, polling: 100 });
    const shown = await to.locator('#chat-log').innerText();
    if (!shown.includes(text)) throw new Error(`"${text}" not shown in the chat log`);
  });
}

// --- scenarios ---

async function scenarioClient(browserA, browserB) {
  const s = 'client';
  const a = await openPage(browserA, 'client-A');
  const b = await openPage(browserB, 'client-B');

  await a.goto(`${baseUrl}/`);
  await checkSoon(`${s}: first page waits for a partner`, (t) => waitState(a, 'waiting', t));
  const key = await a.evaluate(() => window.ponte.roomKey);
  const hash = await a.evaluate(() => location.hash);
  check(`${s}: room key of >= 96 random bits in the URL (#${key})`,
    /^[A-Za-z0-9_-]{16,}$/.test(key) && hash === `#${key}`, `key ${key}, hash ${hash}`);
  const shared = await a.locator('#share-url').inputValue();
  check(`${s}: share box shows the link with the key`, shared.endsWith(`#${key}`), shared);

  await b.goto(`${baseUrl}/#${key}`);
  await checkSoon(`${s}: both pages connected`, async (t) => {
    await Promise.all([waitState(a, 'connected', t), waitState(b, 'connected', t)]);
  });
  await checkMediaFlows(s, [a, b]);
  await checkChat(s, a, b);
  await checkChat(s, b, a);
  await screenshot(a, 'client-A');
  await screenshot(b, 'client-B');

  // B's WebSocket drops: B reconnects and rejoins under the same peer id, and the call,
  // which does not need signaling once connected, goes on without a new negotiation.
  const nbJoins = await b.evaluate(() => window.ponte.nbJoins);
  const pcBefore = await b.evaluateHandle(() => window.ponte.pc());
  await b.evaluate(() => window.ponte.dropSignaling());
  await checkSoon(`${s}: lost signaling reconnects and rejoins`, (t) => b.waitForFunction(
    (n) => window.ponte.nbJoins > n && window.ponte.signalingState === 'open',
    nbJoins, { timeout: t, polling: 100 }), 15_000);
  await sleep(500);
  const samePc = await b.evaluate((pc) => pc === window.ponte.pc(), pcBefore);
  const texts = [await a.evaluate(() => window.ponte.stateText),
    await b.evaluate(() => window.ponte.stateText)];
  check(`${s}: the call survives the signaling loss (A "${texts[0]}", B "${texts[1]}")`,
    samePc && texts.every((t) => t === 'connected'), `same RTCPeerConnection: ${samePc}`);

  // A third person with the link is told the room is busy; the call goes on.
  const c = await openPage(browserA, 'client-C');
  await c.goto(`${baseUrl}/#${key}`);
  await checkSoon(`${s}: a third page is told the room is busy`,
    (t) => waitState(c, ['room-busy', 'room-full'], t));
  const notice = await c.locator('#notice-text').innerText();
  check(`${s}: the busy notice says so`, /busy|full/i.test(notice), notice);
  await screenshot(c, 'client-C-busy');
  await c.context().close();
  await sleep(500);
  check(`${s}: the call survives the third page`,
    (await stateOf(a)) === 'connected' && (await stateOf(b)) === 'connected',
    `A ${await stateOf(a)}, B ${await stateOf(b)}`);

  // Hang up on one side; the other sees the peer leave; calling again reconnects.
  await a.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call on both sides`, async (t) => {
    await Promise.all([waitState(a, 'ended', t), waitState(b, 'peer-left', t)]);
  }, 10_000);
  await a.locator('#btn-call').click();
  await checkSoon(`${s}: call again reconnects`, async (t) => {
    await Promise.all([waitState(a, 'connected', t), waitState(b, 'connected', t)]);
  });
  await checkMediaFlows(`${s} (second call)`, [a, b]);

  await a.context().close();
  await b.context().close();
}

async function scenarioReceiveOnly(browserA) {
  const s = 'receive-only';
  const a = await openPage(browserA, 'recv-A');
  await a.goto(`${baseUrl}/`);
  await checkSoon(`${s}: first page waits for a partner`, (t) => waitState(a, 'waiting', t));
  const key = await a.evaluate(() => window.ponte.roomKey);

  const c = await launchDenied('recv-C');
  await c.goto(`${baseUrl}/#${key}`);
  await checkSoon(`${s}: denied camera and microphone are reported`,
    (t) => waitState(c, 'media-error', t), 10_000);
  const notice = await c.locator('#notice-text').innerText();
  check(`${s}: the notice says access was denied`, /denied/i.test(notice), notice);
  await screenshot(c, 'recv-C-denied');
  await c.getByRole('button', { name: 'Continue receive-only' }).click();
  await checkSoon(`${s}: receive-only page connects`, async (t) => {
    await Promise.all([waitState(a, 'connected', t), waitState(c, 'connected', t)]);
  });
  await checkMediaFlows(s, [c]);
  await checkChat(s, c, a);
  await screenshot(c, 'recv-C');

  await a.context().close();
  await c.context().close();
}

async function scenarioSeed(browserA, browserB) {
  const s = 'seed';
  const a = await openPage(browserA, 'seed-A');
  const b = await openPage(browserB, 'seed-B');

  await a.goto(`${baseUrl}/seed/`);
  // 'in-attesa': the page has sent c:ROOM, so the second page's offer will reach it.
  await checkSoon(`${s}: first page joined its room`, (t) => waitState(a, 'in-attesa', t));
  const key = await a.evaluate(() => window.ponte.roomKey);
  check(`${s}: room key of >= 96 random bits (#${key})`, /^[A-Za-z0-9_-]{16,}$/.test(key), key);

  await b.goto(`${baseUrl}/seed/#${key}`);
  await checkSoon(`${s}: both pages connected`, async (t) => {
    await Promise.all([waitState(a, 'connesso', t), waitState(b, 'connesso', t)]);
  });
  await checkMediaFlows(s, [a, b]);
  await screenshot(a, 'seed-A');
  await screenshot(b, 'seed-B');

  await a.context().close();
  await b.context().close();
}

async function runScenario(name, fn, ...args) {
  try {
    await fn(...args);
  } catch (err) {
    if (!(err instanceof Failure)) report(false, `${name}: ran to the end`, err.stack);
    // Leave what each page showed and its state for whoever reads the failure.
    for (const page of [...pages]) {
      try {
        console.log(`# ${page.label}: state ${await stateOf(page)}`);
        await screenshot(page, `${page.label}-failed`);
        await page.context().close();
      } catch (e) {
        console.log(`# ${page.label}: ${e.message.split('\n')[0]}`);
      }
    }
  }
}

async function closeAll() {
  await Promise.race([
    Promise.allSettled(browsers.map((browser) => browser.close())),
    sleep(5000),
  ]);
}

const overall = setTimeout(async () => {
  report(false, `finished within ${OVERALL_TIMEOUT_MS / 1000} s`);
  await closeAll();
  finish();
}, OVERALL_TIMEOUT_MS);

async function main() {
  let browserA;
  let browserB;
  try {
    [browserA, browserB] = await Promise.all([launch('A'), launch('B')]);
  } catch (err) {
    report(false, 'launch two Chromium browsers', err.message);
    return;
  }
  await runScenario('client', scenarioClient, browserA, browserB);
  await runScenario('receive-only', scenarioReceiveOnly, browserA);
  await runScenario('seed', scenarioSeed, browserA, browserB);
}

await main();
clearTimeout(overall);
await closeAll();
finish();
