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

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM_ARGS, adoptBrowser, check, checkChat, checkMediaFlows, checkSoon, launch, openPage,
  opts, preparePage, report, runScenario, screenshot, setUp, stateOf, tearDown, waitState,
  sleep,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 120_000;

setUp('p2p.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

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
  adoptBrowser({
    label: name,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  });
  const page = context.pages()[0] || await context.newPage();
  const cdp = await context.newCDPSession(page);
  for (const permission of ['camera', 'microphone']) {
    await cdp.send('Browser.setPermission',
      { permission: { name: permission }, setting: 'denied', origin: new URL(baseUrl).origin });
  }
  return preparePage(page, name);
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
await tearDown();
