// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of calls from SIP phones to a browser (/?mode=phone&name=alice:
// the page registers the name "alice" with the gateway, reachable as sip:alice@gateway). The
// phones are SIPp (Debian sip-tester) UACs on PEER:5070 calling the daemon's SIP side on
// GW:5060, in the namespace run.sh made (PONTE_E2E_PEER and PONTE_E2E_GW: both 127.0.0.1 by
// default; with the DPDK backend the lab's peer 10.77.0.2, where this script runs too, and the
// gateway's TAP address 10.77.0.1, so that the phones' media crosses the DPDK port):
//   answer     sipp-call-alice.xml, run with -rtp_echo: the page rings (the phone gets 180),
//              the user presses Accept, the phone gets 200 with PCMU and telephone-event,
//              the browser hears its own tone come back from the phone, then the phone hangs
//              up (BYE) and the page says so;
//   offerless  sipp-call-offerless.xml: no SDP in the INVITE, the gateway offers in its 200
//              and the phone answers in the ACK; audio both ways again;
//   decline    sipp-call-refused.xml: Decline on the page, the phone gets 603;
//   cancel     sipp-call-cancel.xml: the phone gives up while the page rings; the banner
//              goes away;
//   nobody     sipp-call-refused.xml to a name no browser holds: 404 with a Warning;
//   unacceptable  sipp-call-gsm.xml offers only GSM: 488 with a Warning, nothing rings;
//   taken      a second page cannot register "alice" (name_taken).
// Rooms (sip:room-KEY@gateway rings the JSON members of room KEY; docs/signaling.md):
//   empty      a call to a room nobody is in: 480 with a Warning;
//   room       two pages of the web client open /?mode=phone#KEY (one also ?name=desk1): each
//              joins room KEY (as a phone-... member) and says where phones reach the room; a
//              phone (sipp-call-room.xml -s room-KEY, -rtp_echo) rings both, who show who calls
//              the room; desk1 presses Accept: answered, the other stops ringing and shows
//              "answered by desk1"; audio both ways; the dial pad's keys reach the phone and
//              come back through the gateway; Hold and Resume re-INVITE the phone (sendonly,
//              then sendrecv, checked by SIPp); the phone's BYE ends it (remote-bye);
//   room-hangup  the page without a name takes the next call, the other shows its peer id as
//              who took it; Hang up sends BYE to the phone;
//   room-decline  declined by one page, the call rings on at the other; declined there, 603.
// Accounts (run.sh configures office -> alice and hall -> room-hall, registrars that never
// answer; a call to an account's Contact user, its name, reaches its incoming target):
//   away       office while no browser holds alice, hall while its room is empty: 480 with a
//              Warning naming the account (not 404: the account exists);
//   office     with alice registered, sip:office@gateway rings alice's page, the incoming
//              frame says account office; declined: 603. A MESSAGE to sip:office@gateway
//              reaches alice's page too, its frame saying account office;
//   proxy      a page registered as dave writes to sip:5551234@PEER:5094, the registrar
//              of account provider (nothing listens there), from its chat: the MESSAGE goes
//              to the account's outbound proxy (SIPp, sipp-proxy-account-message.xml on 5093)
//              with that Request-URI, From "dave" <sip:1003@example.net> (the account's
//              address of record, the page's name as display name) and the text, the
//              account's credentials for the proxy's 407 and then a 401 (verifyauth); the page
//              shows it delivered (202). Then it calls that URI: the call goes to the proxy
//              (sipp-proxy-account.xml) with that Request-URI, the same From, the account's
//              credentials for the proxy's 401 (verifyauth); audio both ways; the ACK and
//              the page's BYE reach the proxy too, although the far end's Contact names 5094.
// Trunks (run.sh's trunk "carrier" at PEER:5072, sip.number_route carrier, a password
// the trunk refuses):
//   password   the page dials a number; the trunk (sipp-trunk-wrong-password-401.xml)
//              challenges with 401, the gateway answers once, the trunk challenges again
//              (Asterisk's way of refusing a password): the page is told 401 Unauthorized and
//              the trunk saw exactly two INVITEs; the same with a trunk that answers 403
//              (sipp-trunk-wrong-password-403.xml).
// Run by run.sh (`run.sh PONTE incoming`), which starts the daemon with SIP on.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, launch, mediaStats, note, onTearDown, openPage, opts, report,
  runScenario, screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 160_000;
const here = dirname(fileURLToPath(import.meta.url));
const GW = process.env.PONTE_E2E_GW || '127.0.0.1';
const PEER = process.env.PONTE_E2E_PEER || '127.0.0.1';
const reGw = GW.replaceAll('.', '\\.');
const rePeer = PEER.replaceAll('.', '\\.');
// Account provider's registrar (run.sh), where nobody listens: calls go to its proxy.
const PROVIDER_URI = `sip:5551234@${PEER}:5094`;

setUp('incoming.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// SCENARIO's file as SIPp runs it: the addresses in it (sipp-proxy-account*.xml: the
// account's registrar and the far end, at the phones' address) are 127.0.0.1; elsewhere, a
// copy in the output directory names PEER instead.
function scenarioPath(scenario) {
  const path = join(here, scenario);
  if (PEER === '127.0.0.1') return path;
  const copy = join(opts.out, scenario);
  writeFileSync(copy, readFileSync(path, 'utf8').replaceAll('127\\.0\\.0\\.1', rePeer)
    .replaceAll('127.0.0.1', PEER));
  return copy;
}

// One SIPp UAC call (-m 1) of SCENARIO to sip:USER@GW:5060.
function startSipp(name, scenario, user) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', scenarioPath(scenario), '-s', user, '-i', PEER, '-p', '5070',
    '-mi', PEER, '-mp', '6000', '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '40s',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`),
    '-trace_msg', '-message_file', join(opts.out, `sipp-${name}-messages.log`), `${GW}:5060`];
  const child = spawn('sipp', args, { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  onTearDown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function sippDone(s, child, timeoutMs = 20_000) {
  const r = await Promise.race([child.exit,
    sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: the phone's scenario completed (sipp exit ${JSON.stringify(r)})`,
    r.code === 0, `see ${opts.out}/sipp-*.log`);
}

async function waitIncoming(page, timeoutMs = 10_000) {
  await page.waitForFunction(() => window.ponte.incoming !== null, null,
    { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => window.ponte.incoming);
}

// The tone the page sends comes back from the phone (SIPp -rtp_echo) through both legs.
async function checkAudioBack(s, page) {
  let a = null;
  for (let waited = 0; waited < 8_000; waited += 250) {
    a = await mediaStats(page);
    if (a && a.audio.packetsReceived > 20 && a.audio.audioLevel > 0) break;
    await sleep(250);
  }
  await sleep(1_500);
  const b = await mediaStats(page);
  report(!!a && !!b && b.audio.packetsReceived > a.audio.packetsReceived &&
    b.audio.totalAudioEnergy > a.audio.totalAudioEnergy && b.audio.audioLevel > 0.01,
  `${s}: the browser hears its tone back from the phone (packets ${a && a.audio.packetsReceived}` +
    ` -> ${b && b.audio.packetsReceived}, level ${b && b.audio.audioLevel.toFixed(3)})`);
}

async function answerScenario(s, page, scenario) {
  const phone = startSipp(s, scenario, 'alice');
  const inc = await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
  check(`${s}: it shows who calls (${JSON.stringify(inc)})`,
    !!inc && new RegExp(`sip:phone@${rePeer}`).test(inc.from) && inc.to === 'alice' &&
    (scenario !== 'sipp-call-alice.xml' || inc.display === 'Desk Phone') &&
    (await page.locator('#incoming').isVisible()) &&
    (await page.locator('#incoming-text').innerText()).includes('phone'));
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the call is answered`, (t) => waitState(page, 'answered', t),
    15_000);
  await checkAudioBack(s, page);
  await checkSoon(`${s}: the phone hangs up and the page says so`, async (t) => {
    await page.waitForFunction(() => window.ponte.hungupReason === 'remote-bye', null,
      { timeout: t, polling: 100 });
  }, 15_000);
  await sippDone(s, phone);
}

async function scenarioIncoming(browser) {
  const page = await openPage(browser, 'incoming', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  const reg = await checkSoon('register: the page takes the name alice', async (t) => {
    await page.waitForFunction(() => window.ponte.sipName !== null, null,
      { timeout: t, polling: 100 });
    return page.evaluate(() => window.ponte.sipName);
  }, 10_000);
  check(`register: reachable as ${reg && reg.uri}`,
    !!reg && reg.uri === `sip:alice@${GW}:5060` &&
    (await page.locator('#sip-name-status').innerText()).includes(reg.uri));

  await answerScenario('answer', page, 'sipp-call-alice.xml');
  await screenshot(page, 'incoming-answered');
  await answerScenario('offerless', page, 'sipp-call-offerless.xml');

  // Decline: the phone hears 603 Decline.
  {
    const s = 'decline';
    const phone = startSipp(s, 'sipp-call-refused.xml', 'alice');
    await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
    await page.locator('#btn-decline').click();
    await sippDone(s, phone);
    check(`${s}: the banner is gone`, await page.locator('#incoming').isHidden());
  }
  // The phone gives up while the page rings.
  {
    const s = 'cancel';
    const phone = startSipp(s, 'sipp-call-cancel.xml', 'alice');
    await checkSoon(`${s}: the page rings`, (t) => waitIncoming(page, t), 10_000);
    await checkSoon(`${s}: the banner goes when the phone cancels`, (t) =>
      page.waitForFunction(() => window.ponte.incoming === null, null,
        { timeout: t, polling: 100 }), 10_000);
    await sippDone(s, phone);
  }
  // Nobody holds the name: 404 with a Warning, the page is not disturbed.
  {
    const s = 'nobody';
    const phone = startSipp(s, 'sipp-call-refused.xml', 'bob');
    await sippDone(s, phone);
    check(`${s}: the page did not ring`, (await page.evaluate(() => window.ponte.incoming)) ===
      null);
  }
  // An offer the gateway cannot answer: 488 with a Warning at once, nothing rings.
  {
    const s = 'unacceptable';
    const phone = startSipp(s, 'sipp-call-gsm.xml', 'alice');
    await sippDone(s, phone);
    check(`${s}: the page did not ring`, (await page.evaluate(() => window.ponte.incoming)) ===
      null);
  }
  // A second page cannot take the name.
  {
    const s = 'taken';
    const other = await openPage(browser, 'incoming-2', { isRawAudio: true });
    await other.goto(`${baseUrl}/?mode=phone&name=alice`);
    await checkSoon(`${s}: a second page asking for alice is told the name is taken`,
      (t) => other.waitForFunction(
        () => document.getElementById('sip-name-status').textContent.includes('registered by'),
        null, { timeout: t, polling: 100 }), 10_000);
    await other.context().close();
  }
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  note(`GET /status: ${JSON.stringify(st.calls)}`);
  check('the gateway lists alice among its users and nothing ringing',
    !!st.calls && st.calls.users.includes('alice') && st.calls.ringing === 0, JSON.stringify(st));
  await page.context().close();
}

// --- rooms, accounts and trunks ---

// The first value of header NAME in the first message SIPp logged that starts with START
// (e.g. 'SIP/2.0 480'), or ''.
function loggedHeader(name, start, header) {
  let text = '';
  try {
    text = readFileSync(join(opts.out, `sipp-${name}-messages.log`), 'utf8');
  } catch (err) {
    return '';
  }
  const at = text.indexOf(`\n${start}`);
  if (at < 0) return '';
  const msg = text.slice(at + 1, text.indexOf('\n\n', at + 1) >>> 0);
  const m = msg.match(new RegExp(`^${header}:\\s*(.*)$`, 'mi'));
  return m ? m[1].trim() : '';
}

// A phone calls USER and nobody can take the call now: 480 with the Warning WANTED.
async function check480(s, user, wanted) {
  const phone = startSipp(s, 'sipp-call-480.xml', user);
  await sippDone(s, phone);
  const warning = loggedHeader(s, 'SIP/2.0 480', 'Warning');
  check(`${s}: 480 with Warning: ${warning}`, warning === `399 ponte "${wanted}"`,
    `wanted 399 ponte "${wanted}"`);
}

// A page of the web client in phone mode opened with room KEY in its URL (#KEY): it joins
// room KEY and rings for the room's phone calls. NAME, when given, is the name it registers
// too (?name=NAME), which the room's other pages are told when it takes a call.
async function openRoomPage(browser, label, key, name) {
  const page = await openPage(browser, label, { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone${name ? `&name=${name}` : ''}#${key}`);
  const rc = await checkSoon(`${label}: the page is in room ${key} for its phone calls`,
    async (t) => {
      await page.waitForFunction(() => {
        const r = window.ponte.roomCalls;
        return r && r.isJoined && r.uri.startsWith('sip:') &&
          (!new URLSearchParams(location.search).get('name') || window.ponte.sipName);
      }, null, { timeout: t, polling: 100 });
      return page.evaluate(() => window.ponte.roomCalls);
    }, 10_000);
  const shown = await page.locator('#room-status').innerText();
  check(`${label}: it says where phones reach the room ("${shown}")`,
    !!rc && rc.uri === `sip:room-${key}@${GW}:5060` && shown.includes(rc.uri));
  page.peerId = await page.evaluate(() => window.ponte.peerId);
  return page;
}

async function waitRinging(s, page, timeoutMs = 10_000) {
  return checkSoon(`${s}: ${page.label} rings`, (t) => waitIncoming(page, t), timeoutMs);
}

// PAGE's banner went away: the call stopped ringing there, answered by WHO.
async function checkTakenBy(s, page, who) {
  const ended = await checkSoon(`${s}: ${page.label} stops ringing`, async (t) => {
    await page.waitForFunction(() => window.ponte.incoming === null &&
      window.ponte.incomingEnded !== null, null, { timeout: t, polling: 100 });
    return page.evaluate(() => window.ponte.incomingEnded);
  }, 5_000);
  const shown = await page.locator('#incoming-ended').innerText();
  check(`${s}: and shows who took it: ${who} ("${shown}", ${JSON.stringify(ended)})`,
    !!ended && ended.reason === 'answered-elsewhere' && ended.by === who &&
    shown.includes(`answered by ${who}`) && (await page.locator('#incoming').isHidden()));
}

async function scenarioRoom(browser) {
  const key = `dialin${Math.random().toString(36).slice(2, 10)}`;
  await check480('empty', `room-${key}`, 'nobody in that room');

  // Two pages of the real web client in phone mode in room KEY: desk1 with a name, and one
  // without (the room knows it by its peer id).
  const first = await openRoomPage(browser, 'room-1', key, 'desk1');
  const second = await openRoomPage(browser, 'room-2', key, null);
  check(`room: a phone-mode page is a phone- member of the room (${second.peerId})`,
    /^phone-[A-Za-z0-9_-]+$/.test(second.peerId));
  // A video page (p2p) in the same room: the phone-mode members are no partners of its, and
  // it leaves the room's phone calls to them.
  const video = await openPage(browser, 'room-video');
  await video.goto(`${baseUrl}/#${key}`);
  await checkSoon('room: a p2p page in the room waits for a partner, not for the phone pages',
    (t) => waitState(video, 'waiting', t), 10_000);

  // First call: both ring, desk1 accepts; DTMF, hold and resume, then the phone hangs up.
  let s = 'room';
  let phone = startSipp(s, 'sipp-call-room.xml', `room-${key}`);
  const rings = [await waitRinging(s, first), await waitRinging(s, second)];
  const texts = [await first.locator('#incoming-text').innerText(),
    await second.locator('#incoming-text').innerText()];
  check(`${s}: both show who calls the room ("${texts[0]}", ${JSON.stringify(rings[0])})`,
    rings.every((r) => r && r.to === `room-${key}` && r.from.startsWith(`sip:phone@${PEER}`) &&
      r.display === 'Desk Phone' && !r.account) && rings[0].call === rings[1].call &&
    texts.every((t) => t.includes('Desk Phone') && t.includes('calling the room')) &&
    (await first.locator('#btn-accept').isVisible()) &&
    (await second.locator('#btn-decline').isVisible()));
  await first.locator('#btn-accept').click();
  await checkSoon(`${s}: desk1 accepted: the call is answered`,
    (t) => waitState(first, 'answered', t), 15_000);
  await checkTakenBy(s, second, 'desk1');
  await screenshot(second, 'room-taken-elsewhere');
  await checkAudioBack(s, first);
  await screenshot(first, 'room-answered');
  const videoNote = await video.evaluate(() => window.ponte.chatLog.map((e) => e.text));
  check(`${s}: the p2p page still waits and left the call to the phone pages ` +
    `(${await video.evaluate(() => window.ponte.state)}, ${JSON.stringify(videoNote)})`,
  (await video.evaluate(() => window.ponte.state)) === 'waiting' &&
    videoNote.some((t) => t.includes('is calling the room') && t.includes('phone mode')));
  await video.context().close();

  // The dial pad: the keys go to the phone as RFC 4733 events, which SIPp's -rtp_echo sends
  // back: the gateway reports them as the phone's keys.
  await checkSoon(`${s}: the dial pad is enabled`, (t) => first.waitForFunction(
    () => !document.querySelector('#dialpad button').disabled, null,
    { timeout: t, polling: 100 }), 5_000);
  for (const k of ['4', '#']) await first.locator(`#dialpad button[data-key="${k}"]`).click();
  await checkSoon(`${s}: the keys 4 # are played as DTMF`, (t) => first.waitForFunction(
    () => window.ponte.dtmfTones.join('') === '4#', null, { timeout: t, polling: 100 }), 5_000);
  await checkSoon(`${s}: they come back from the phone through the gateway`,
    (t) => first.waitForFunction(() => window.ponte.dtmfReceived.join('') === '4#', null,
      { timeout: t, polling: 100 }), 5_000);

  // Hold and resume: the gateway re-INVITEs the phone (sendonly, then sendrecv), which
  // SIPp's scenario checks.
  await first.locator('#btn-hold').click();
  await checkSoon(`${s}: Hold: the phone accepts the hold`, (t) => first.waitForFunction(
    () => window.ponte.hold.me && window.ponte.hold.confirmed, null,
    { timeout: t, polling: 100 }), 10_000);
  check(`${s}: the page shows it ("${await first.locator('#hold-state').innerText()}")`,
    (await first.locator('#hold-state').innerText()).includes('you hold the call') &&
    (await first.locator('#btn-hold').innerText()) === 'Resume');
  await first.locator('#btn-hold').click();
  await checkSoon(`${s}: Resume: the phone accepts it`, (t) => first.waitForFunction(
    () => !window.ponte.hold.me && !window.ponte.hold.confirmed, null,
    { timeout: t, polling: 100 }), 10_000);
  await checkSoon(`${s}: the phone hangs up: the page says so (remote-bye)`, (t) =>
    first.waitForFunction(() => window.ponte.hungupReason === 'remote-bye', null,
      { timeout: t, polling: 100 }), 15_000);
  await sippDone(s, phone);

  // Second call: the page without a name takes it and hangs up with its button.
  s = 'room-hangup';
  phone = startSipp(s, 'sipp-call-room.xml', `room-${key}`);
  await waitRinging(s, first);
  await waitRinging(s, second);
  await second.locator('#btn-accept').click();
  await checkSoon(`${s}: the second page accepted: answered`,
    (t) => waitState(second, 'answered', t), 15_000);
  await checkTakenBy(s, first, second.peerId);
  await second.locator('#btn-hangup').click();
  await checkSoon(`${s}: Hang up ends the call`, (t) => waitState(second, 'ended', t), 5_000);
  await sippDone(s, phone);

  // Third call: declined by one page, it rings on at the other; declined there too, the
  // phone hears 603.
  s = 'room-decline';
  phone = startSipp(s, 'sipp-call-refused.xml', `room-${key}`);
  await waitRinging(s, first);
  await waitRinging(s, second);
  await first.locator('#btn-decline').click();
  await sleep(500);
  check(`${s}: declined by desk1, it still rings at the other page`,
    (await first.evaluate(() => window.ponte.incoming)) === null &&
    (await second.evaluate(() => window.ponte.incoming)) !== null);
  await second.locator('#btn-decline').click();
  await sippDone(s, phone);
  await first.context().close();
  await second.context().close();
}

// SIPp as account provider's outbound proxy (run.sh: PEER:5093), one run of SCENARIO.
async function startProxy(s, scenario) {
  const logPath = join(opts.out, `sipp-${s}.log`);
  const fd = openSync(logPath, 'w');
  const proxy = spawn('sipp', ['-sf', scenarioPath(scenario), '-i', PEER,
    '-p', '5093', '-mi', PEER, '-mp', '6100', '-rtp_echo', '-m', '1', '-nostdin',
    '-timeout', '40s', '-trace_err', '-error_file', join(opts.out, `sipp-${s}-errors.log`),
    '-trace_msg', '-message_file', join(opts.out, `sipp-${s}-messages.log`)],
  { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  proxy.exit = new Promise((resolve) => {
    proxy.on('exit', (code, signal) => resolve({ code, signal }));
    proxy.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  onTearDown(() => {
    if (proxy.exitCode === null && proxy.signalCode === null) proxy.kill('SIGKILL');
  });
  await sleep(500); // SIPp binds its port
  return proxy;
}

// How many requests starting with START (e.g. 'INVITE sip:5551234@...') SIPp logged, or -1.
function countLogged(name, start) {
  try {
    const text = readFileSync(join(opts.out, `sipp-${name}-messages.log`), 'utf8');
    return text.split(`\n${start}`).length - 1;
  } catch (err) {
    return -1;
  }
}

// A MESSAGE and a call out through account "provider" (run.sh) from a page registered as dave:
// the page writes to, then dials, a URI at the account's registrar, where nobody listens; the
// account's outbound proxy (SIPp) must get the MESSAGE, then the INVITE, with that
// Request-URI and From "dave" <sip:1003@example.net> (the account's address of record, the
// page's name as display name), challenge each and check the account's credentials, and get
// the call's ACK and the page's BYE too.
async function scenarioProxy(browser) {
  let s = 'proxy-message';
  const page = await openPage(browser, 'proxy', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=dave`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  await checkSoon(`${s}: the page takes the name dave`, (t) => page.waitForFunction(
    () => window.ponte.sipName !== null, null, { timeout: t, polling: 100 }), 10_000);

  let proxy = await startProxy(s, 'sipp-proxy-account-message.xml');
  const text = `dave through the provider ${Math.random().toString(36).slice(2, 8)}`;
  await page.locator('#chat-to').fill(PROVIDER_URI);
  await page.locator('#chat-input').fill(text);
  await page.locator('#chat-send').click();
  const entry = await checkSoon(`${s}: the page gets the proxy's answer`, async (t) => {
    await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
      e.from === 'me' && e.text === w && e.status !== null), text, { timeout: t, polling: 100 });
    return page.evaluate((w) => ({ ...window.ponte.chatLog.find((e) => e.text === w) }), text);
  }, 15_000);
  check(`${s}: delivered through the account's proxy (${entry.status} ${entry.reason})`,
    entry.acked && !entry.failed && entry.status === 202);
  await sippDone(s, proxy);
  const msgFrom = loggedHeader(s, 'MESSAGE sip:', 'From');
  const msgs = countLogged(s, `MESSAGE ${PROVIDER_URI} `);
  check(`${s}: the proxy got the MESSAGE From the account's address of record, the page's ` +
    `name as display name (${msgFrom})`, /^"dave" <sip:1003@example\.net>;tag=/.test(msgFrom));
  check(`${s}: three MESSAGEs for ${PROVIDER_URI}, answering the proxy's 407 and ` +
    `then the 401 with the account's credentials (${msgs})`, msgs === 3);

  s = 'proxy';
  proxy = await startProxy(s, 'sipp-proxy-account.xml');
  await page.locator('#phone-to').fill(PROVIDER_URI);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the call through the account's proxy is answered`,
    (t) => waitState(page, 'answered', t), 15_000);
  const from = loggedHeader(s, 'INVITE sip:', 'From');
  const route = loggedHeader(s, 'INVITE sip:', 'Route');
  note(`${s}: the proxy got From: ${from}; Route: ${route || '(none)'}`);
  check(`${s}: From is the account's address of record, the page's name its display name ` +
    `(${from})`, /^"dave" <sip:1003@example\.net>;tag=/.test(from));
  await checkAudioBack(s, page);
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call`, (t) => waitState(page, 'ended', t), 5_000);
  await sippDone(s, proxy);
  const invites = countLogged(s, `INVITE ${PROVIDER_URI} `);
  check(`${s}: the proxy saw two INVITEs for ${PROVIDER_URI}, the second with ` +
    `the account's credentials (${invites})`, invites === 2);
  await page.context().close();
}

async function scenarioAccounts(browser) {
  // Nobody holds alice now (the page that did is closed) and nobody is in room-hall.
  await check480('away-office', 'office', 'account office: no browser has the name alice');
  await check480('away-hall', 'hall', 'account hall: nobody in room-hall');

  const s = 'office';
  const page = await openPage(browser, 'office', { isRawAudio: true });
  const frames = [];
  const messages = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.type === 'incoming') frames.push(msg);
      if (msg.type === 'sip_message') messages.push(msg);
    } catch (err) {
      // Not JSON.
    }
  }));
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  await checkSoon(`${s}: the page takes the name alice`, (t) => page.waitForFunction(
    () => window.ponte.sipName !== null, null, { timeout: t, polling: 100 }), 10_000);
  const phone = startSipp(s, 'sipp-call-refused.xml', 'office');
  const inc = await checkSoon(`${s}: a call to sip:office@gateway rings alice's page`,
    (t) => waitIncoming(page, t), 10_000);
  check(`${s}: for alice, through account office (${JSON.stringify(frames[0])})`,
    !!inc && inc.to === 'alice' && frames.length === 1 && frames[0].account === 'office');
  await page.locator('#btn-decline').click();
  await sippDone(s, phone);
  const contact = loggedHeader(s, 'SIP/2.0 180', 'Contact');
  check(`${s}: our 180's Contact is the account's (${contact})`,
    new RegExp(`^<sip:office@${reGw}(:5060)?>`).test(contact));

  // A MESSAGE to the account's Contact user goes where its calls ring: alice's page.
  const writer = startSipp('office-message', 'sipp-message-alice.xml', 'office');
  await sippDone('office-message', writer);
  await checkSoon(`${s}: a MESSAGE to sip:office@gateway reaches alice's page`, async (t) => {
    const deadline = Date.now() + t;
    while (!messages.some((m) => m.text.includes(String(writer.pid)))) {
      if (Date.now() > deadline) throw new Error(JSON.stringify(messages));
      await sleep(100);
    }
  }, 5_000);
  const got = messages.find((m) => m.text.includes(String(writer.pid)));
  check(`${s}: for alice, through account office (${JSON.stringify(got)})`,
    got.to === 'alice' && got.account === 'office' && got.display === 'Desk Phone');
  await page.context().close();
}

// The trunk refuses the gateway's password: one answer to its challenge, then the failure
// reaches the page with its status and reason.
async function trunkRefuses(s, page, scenario, status, reason) {
  const logPath = join(opts.out, `sipp-${s}.log`);
  const fd = openSync(logPath, 'w');
  const trunk = spawn('sipp', ['-sf', scenarioPath(scenario), '-i', PEER, '-p', '5072',
    '-m', '1', '-nostdin', '-timeout', '30s', '-trace_err', '-error_file',
    join(opts.out, `sipp-${s}-errors.log`), '-trace_msg', '-message_file',
    join(opts.out, `sipp-${s}-messages.log`)], { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  trunk.exit = new Promise((resolve) => {
    trunk.on('exit', (code, signal) => resolve({ code, signal }));
    trunk.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  onTearDown(() => {
    if (trunk.exitCode === null && trunk.signalCode === null) trunk.kill('SIGKILL');
  });
  await sleep(500); // SIPp binds its port
  await page.locator('#phone-to').fill('5551234');
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the call fails`, (t) => waitState(page, 'failed', t), 15_000);
  const hungup = await page.evaluate(() => window.ponte.hungupStatus);
  check(`${s}: the page is told ${status} ${reason} (${JSON.stringify(hungup)})`,
    !!hungup && hungup.status === status && hungup.text === reason);
  const notice = (await page.locator('#notice').isVisible())
    ? await page.locator('#notice-text').innerText() : '(no notice)';
  check(`${s}: and shows it ("${notice}")`, notice.includes(`${status} ${reason}`));
  const r = await Promise.race([trunk.exit, sleep(10_000).then(() => ({ timeout: true }))]);
  let invites = -1;
  try {
    const text = readFileSync(join(opts.out, `sipp-${s}-messages.log`), 'utf8');
    invites = (text.match(/\nINVITE sip:5551234@/g) || []).length;
  } catch (err) {
    // No log: counted as -1.
  }
  check(`${s}: the trunk saw two INVITEs, the second with our answer, then nothing ` +
    `(${invites}; sipp exit ${JSON.stringify(r)})`, r.code === 0 && invites === 2,
  `see ${opts.out}/sipp-${s}*.log`);
}

async function scenarioPassword(browser) {
  const page = await openPage(browser, 'password', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon('password: ready to call', (t) => waitState(page, 'ready', t), 10_000);
  await trunkRefuses('password-401', page, 'sipp-trunk-wrong-password-401.xml', 401,
    'Unauthorized');
  await trunkRefuses('password-403', page, 'sipp-trunk-wrong-password-403.xml', 403,
    'Forbidden');
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('incoming', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('incoming', scenarioIncoming, browser);
  await runScenario('room', scenarioRoom, browser);
  await runScenario('accounts', scenarioAccounts, browser);
  await runScenario('password', scenarioPassword, browser);
  await runScenario('proxy', scenarioProxy, browser);
}

await main();
await tearDown();
