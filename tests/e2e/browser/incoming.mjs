// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of calls from SIP phones to a browser (/?mode=phone&name=alice:
// the page registers the name "alice" with the gateway, reachable as sip:alice@gateway). The
// phones are SIPp (Debian sip-tester) UACs on 127.0.0.1:5070 calling the daemon's SIP side on
// 127.0.0.1:5060, in the namespace run.sh made:
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
//   room       two pages join room KEY through signaling (a JSON join; the web client's own
//              pages do not join rooms in phone mode, so the test drives signaling.js and
//              gateway.js in the page itself); a phone (sipp-call-alice.xml -s room-KEY,
//              -rtp_echo) rings both; one takes the call by attaching the sip service with
//              the call's id, the other's ringing ends (answered-elsewhere); audio both ways
//              (getStats: the tone comes back from the phone, our packets go out), then the
//              phone's BYE ends the session (remote-bye);
//   empty      a call to a room nobody is in: 480 with a Warning.
// Accounts (run.sh configures office -> alice and hall -> room-hall, registrars that never
// answer; a call to an account's Contact user, its name, reaches its incoming target):
//   away       office while no browser holds alice, hall while its room is empty: 480 with a
//              Warning naming the account (not 404: the account exists);
//   office     with alice registered, sip:office@gateway rings alice's page, the incoming
//              frame says account office; declined: 603.
// Trunks (run.sh's trunk "carrier" at 127.0.0.1:5072, sip.number_route carrier, a password
// the trunk refuses):
//   password   the page dials a number; the trunk (sipp-trunk-wrong-password-401.xml)
//              challenges with 401, the gateway answers once, the trunk challenges again
//              (Asterisk's way of refusing a password): the page is told 401 Unauthorized and
//              the trunk saw exactly two INVITEs; the same with a trunk that answers 403
//              (sipp-trunk-wrong-password-403.xml).
// Run by run.sh (`run.sh PONTE incoming`), which starts the daemon with SIP on.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, launch, mediaStats, note, onTearDown, openPage, opts, report,
  runScenario, screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 160_000;
const here = dirname(fileURLToPath(import.meta.url));

setUp('incoming.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// One SIPp UAC call (-m 1) of SCENARIO to sip:USER@127.0.0.1:5060.
function startSipp(name, scenario, user) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', join(here, scenario), '-s', user, '-i', '127.0.0.1', '-p', '5070',
    '-mi', '127.0.0.1', '-mp', '6000', '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '40s',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`),
    '-trace_msg', '-message_file', join(opts.out, `sipp-${name}-messages.log`), '127.0.0.1:5060'];
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
    !!inc && /sip:phone@127\.0\.0\.1/.test(inc.from) && inc.to === 'alice' &&
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
    !!reg && reg.uri === 'sip:alice@127.0.0.1:5060' &&
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

// A page that is a JSON member of room KEY as PEER, through signaling.js in the page itself,
// which notes the incoming calls and their end (window.room).
async function openRoomMember(browser, label, key, peer) {
  const page = await openPage(browser, label, { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await page.evaluate(async ({ key, peer }) => {
    const { Signaling, signalingUrl } = await import('/js/signaling.js');
    const sig = new Signaling(signalingUrl());
    window.room = { sig, incoming: null, ended: [], call: null, callEvents: [], hungup: null };
    sig.addEventListener('incoming', (ev) => { window.room.incoming = ev.detail; });
    sig.addEventListener('incoming-ended', (ev) => window.room.ended.push(ev.detail));
    sig.start();
    await sig.join(key, peer);
  }, { key, peer });
  return page;
}

// Take the call ringing at page: attach the sip service with its id and offer our
// microphone (gateway.js, as the web client does for a name's calls).
function takeRoomCall(page) {
  return page.evaluate(async () => {
    const { GatewayCall } = await import('/js/gateway.js');
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const call = new GatewayCall({ sig: window.room.sig, service: 'sip',
      callId: window.room.incoming.call, kinds: ['audio'], hasChannel: false,
      localStream: stream });
    window.room.call = call;
    // Chrome decodes remote audio (and measures its level) only for a track that plays.
    call.addEventListener('track', (ev) => {
      const el = new Audio();
      el.srcObject = new MediaStream([ev.detail.track]);
      el.play().catch((err) => console.warn('room: cannot play the call', err));
      window.room.player = el;
    });
    call.addEventListener('call', (ev) => window.room.callEvents.push(ev.detail.state));
    call.addEventListener('hungup', (ev) => { window.room.hungup = ev.detail; });
    call.start();
  });
}

// Audio of the room call: what the page receives (its tone back from the phone) and sends.
function roomAudio(page) {
  return page.evaluate(async () => {
    const pc = window.room.call && window.room.call.pc;
    if (!pc) return null;
    const out = { packetsReceived: 0, totalAudioEnergy: 0, audioLevel: 0, bytesSent: 0 };
    (await pc.getStats()).forEach((st) => {
      if (st.type === 'inbound-rtp' && st.kind === 'audio') {
        out.packetsReceived += st.packetsReceived || 0;
        out.totalAudioEnergy += st.totalAudioEnergy || 0;
        out.audioLevel = Math.max(out.audioLevel, st.audioLevel || 0);
      } else if (st.type === 'outbound-rtp' && st.kind === 'audio') {
        out.bytesSent += st.bytesSent || 0;
      }
    });
    return out;
  });
}

async function scenarioRoom(browser) {
  const key = `dialin${Math.random().toString(36).slice(2, 10)}`;
  await check480('empty', `room-${key}`, 'nobody in that room');

  const first = await openRoomMember(browser, 'room-1', key, 'first');
  const second = await openRoomMember(browser, 'room-2', key, 'second');
  const s = 'room';
  const phone = startSipp(s, 'sipp-call-alice.xml', `room-${key}`);
  const rings = [];
  for (const page of [first, second]) {
    rings.push(await checkSoon(`${s}: ${page.label} rings`, async (t) => {
      await page.waitForFunction(() => window.room.incoming !== null, null,
        { timeout: t, polling: 100 });
      return page.evaluate(() => window.room.incoming);
    }, 10_000));
  }
  check(`${s}: both are told who calls which room (${JSON.stringify(rings[0])})`,
    rings.every((r) => r && r.to === `room-${key}` && /^sip:phone@127\.0\.0\.1/.test(r.from) &&
      r.display === 'Desk Phone' && !r.account) && rings[0].call === rings[1].call);
  await takeRoomCall(first);
  await checkSoon(`${s}: the first member takes it: answered`, (t) => first.waitForFunction(
    () => window.room.callEvents.includes('answered'), null, { timeout: t, polling: 100 }),
  15_000);
  await checkSoon(`${s}: the second one's ringing ends (answered-elsewhere)`, (t) =>
    second.waitForFunction(() => window.room.ended.some((e) => e.reason ===
      'answered-elsewhere'), null, { timeout: t, polling: 100 }), 5_000);
  // The phone hangs up 8 s after its ACK: measure within that.
  let a = null;
  for (let waited = 0; waited < 4_000; waited += 250) {
    a = await roomAudio(first);
    if (a && a.packetsReceived > 20 && a.audioLevel > 0) break;
    await sleep(250);
  }
  await sleep(1_000);
  const b = await roomAudio(first);
  note(`${s}: audio ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
  check(`${s}: the page's tone goes to the phone and comes back (packets ` +
    `${a && a.packetsReceived} -> ${b && b.packetsReceived}, level ` +
    `${b && b.audioLevel.toFixed(3)}, sent ${a && a.bytesSent} -> ${b && b.bytesSent} bytes)`,
  !!a && !!b && b.packetsReceived > a.packetsReceived && b.bytesSent > a.bytesSent &&
    b.totalAudioEnergy > a.totalAudioEnergy && b.audioLevel > 0.01);
  await checkSoon(`${s}: the phone hangs up: the session ends with remote-bye`, (t) =>
    first.waitForFunction(() => window.room.hungup && window.room.hungup.reason ===
      'remote-bye', null, { timeout: t, polling: 100 }), 15_000);
  await sippDone(s, phone);
  await first.context().close();
  await second.context().close();
}

async function scenarioAccounts(browser) {
  // Nobody holds alice now (the page that did is closed) and nobody is in room-hall.
  await check480('away-office', 'office', 'account office: no browser has the name alice');
  await check480('away-hall', 'hall', 'account hall: nobody in room-hall');

  const s = 'office';
  const page = await openPage(browser, 'office', { isRawAudio: true });
  const frames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.type === 'incoming') frames.push(msg);
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
    /^<sip:office@127\.0\.0\.1(:5060)?>/.test(contact));
  await page.context().close();
}

// The trunk refuses the gateway's password: one answer to its challenge, then the failure
// reaches the page with its status and reason.
async function trunkRefuses(s, page, scenario, status, reason) {
  const logPath = join(opts.out, `sipp-${s}.log`);
  const fd = openSync(logPath, 'w');
  const trunk = spawn('sipp', ['-sf', join(here, scenario), '-i', '127.0.0.1', '-p', '5072',
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
}

await main();
await tearDown();
