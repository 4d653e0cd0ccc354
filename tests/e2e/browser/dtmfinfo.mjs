// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of DTMF by SIP INFO (docs/sip.md, "DTMF"): run.sh gives this test's
// gateway sip.dtmf: info. The phones are SIPp (Debian sip-tester) on PEER calling the gateway's
// SIP side on GW (lib.mjs's lab: both 127.0.0.1 by default; with PONTE_E2E_DPDK the lab's peer
// and TAP addresses, so that the phones' media crosses the DPDK port), the page the Ponte web
// client in phone mode in headless Chromium:
//   browser  the page calls sipp-info-answer.xml: the INVITE offers no telephone-event (SIPp
//            checks), yet the browser is answered with telephone-event (RTCDTMFSender can
//            insert tones). The phone sends INFOs: 5 (dtmf-relay), a malformed Signal (400
//            with a Warning), a text/plain body (415 with Accept), 7 (application/dtmf), #
//            (Signal=11): the page shows exactly "57#" and the call goes on. The page then
//            plays 1 2 3 4 9 on its RTCDTMFSender: the phone gets one INFO per key, in order,
//            with Signal and Duration (SIPp's regexps, which fail the scenario otherwise); no
//            telephone-event RTP reaches the phone's port (a sniffer where its frames pass,
//            lo or the peer's veth); the phone refuses
//            3 (415) and 4 (501): the page is told once (call state dtmf-failed, 415), and 9
//            still goes out and gets 200. The page hangs up; SIPp's scenario must complete.
//   phone    sipp-info-call.xml calls the page registered as "alice" offering telephone-
//            event: the gateway's 200 has none. The phone sends 8 by INFO (shown), the page
//            plays 6 and the phone gets it as an INFO; the phone hangs up.
//   outside  sipp-info-outside.xml sends INFOs the gateway has no call for: 481, twice.
// With PONTE_E2E_DPDK, both calls' lcore counters must show the phone leg's media through the
// fast path (checkFastPath), and the browser's telephone-events taken by the control plane
// through the DPDK backend's mirror path: punted by the lcores (at least a packet per key),
// none dropped, and turned into the INFOs above.
// Run by run.sh (`run.sh PONTE dtmfinfo`), which starts the daemon.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkFastPath, checkSoon, dpDelta, dpSample, lab, launch, note, onTearDown, openPage,
  opts, report, runScenario, screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 100_000;
const PHONE_URI = `sip:phone@${lab.peer}:5070`;
const here = dirname(fileURLToPath(import.meta.url));

setUp('dtmfinfo.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// One SIPp call (-m 1) of scenario on PEER: a UAC calling sip:USER@GW:5060 when user is
// given, else a UAS on port. (The scenario files name no address.)
function startSipp(name, scenario, { user = null, port = 5070 } = {}) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', join(here, scenario), '-i', lab.peer, '-p', String(port),
    '-mi', lab.peer, '-mp', '6000', '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '60s',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`),
    '-trace_msg', '-message_file', join(opts.out, `sipp-${name}-messages.log`)];
  if (user) args.push('-s', user, `${lab.gw}:5060`);
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
  const r = await Promise.race([child.exit, sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: the phone's scenario completed, every check in it held (sipp exit ` +
    `${JSON.stringify(r)})`, r.code === 0, `see ${opts.out}/sipp-${s}*.log`);
}

function waitFor(page, fn, arg, timeoutMs) {
  return page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
}

function recordGatewayFrames(page) {
  page.gatewayFrames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.type === 'call' || msg.type === 'hungup') page.gatewayFrames.push(msg);
    } catch (err) {
      // Not JSON: not ours to check.
    }
  }));
}

// The telephone-event payload type the gateway answered the browser with, or null.
async function browserEventPt(page) {
  return page.evaluate(() => {
    const sdp = window.ponte.pc() && window.ponte.pc().remoteDescription
      ? window.ponte.pc().remoteDescription.sdp : '';
    const m = /a=rtpmap:(\d+) telephone-event\/8000/.exec(sdp);
    return m ? Number(m[1]) : null;
  });
}

// Watch the phone's RTP port for RFC 4733 packets of type pt for seconds (rtp_events.py).
async function sniffEvents(pt, seconds) {
  const sniffer = spawn('/usr/bin/python3', [join(here, 'rtp_events.py'), '6000', String(pt),
    String(seconds), lab.peerIf], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  sniffer.stdout.on('data', (d) => { out += d; });
  for (let i = 0; i < 40 && !out.includes('ready'); i++) await sleep(50);
  return new Promise((resolve) => sniffer.on('exit', () => {
    resolve(JSON.parse(out.split('\n').filter((l) => l.startsWith('{'))[0] || 'null'));
  }));
}

async function scenarioBrowserCalls(browser) {
  const s = 'browser';
  const page = await openPage(browser, 'dtmfinfo-browser', { isRawAudio: true });
  recordGatewayFrames(page);
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const before = await dpSample();
  const phone = startSipp(s, 'sipp-info-answer.xml');
  await sleep(300);
  await page.locator('#phone-to').fill(PHONE_URI);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the call is answered`, (t) => waitState(page, 'answered', t), 15_000);
  await checkSoon(`${s}: connected to the gateway (ICE, DTLS)`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  const pt = await browserEventPt(page);
  check(`${s}: the browser is answered with telephone-event/8000 (PT ${pt}) though the phone ` +
    'has none', pt !== null);
  check(`${s}: so its RTCDTMFSender can insert tones`,
    await page.evaluate(() => !!window.ponte.dtmf() && window.ponte.dtmf().canInsertDTMF));

  // The phone's INFOs: 5, a malformed one (400), text/plain (415), 7, #.
  await checkSoon(`${s}: the page shows the phone's INFO keys 5 7 # (the malformed and the ` +
    'text/plain ones in between change nothing)', (t) => waitFor(page,
    () => window.ponte.dtmfReceived.join('') === '57#', null, t), 15_000);
  const keys = page.gatewayFrames.filter((f) => f.state === 'dtmf').map((f) => f.digit);
  check(`${s}: each key reported once, as RFC 4733 keys are (${keys.join(' ')})`,
    keys.join('') === '57#', JSON.stringify(keys));
  const shown = await page.locator('#dtmf-sent').innerText();
  note(`${s}: the page says "${shown}"`);
  check(`${s}: the call goes on (${await page.evaluate(() => window.ponte.state)})`,
    (await page.evaluate(() => window.ponte.state)) === 'answered');

  // The browser's keys go out as INFO, none as RTP to the phone.
  const sniffing = sniffEvents(pt, 5);
  await sleep(300);
  await page.evaluate(() => window.ponte.dtmf().insertDTMF('12349', 100, 70));
  await checkSoon(`${s}: the page plays 1 2 3 4 9 (ontonechange)`, (t) => waitFor(page,
    () => {
      const d = window.ponte.dtmf();
      return d && d.toneBuffer === '';
    }, null, t), 5_000);
  await checkSoon(`${s}: the phone's 415 to key 3 reaches the page once, as dtmf-failed`,
    async (t) => {
      const deadline = Date.now() + t;
      while (!page.gatewayFrames.some((f) => f.state === 'dtmf-failed')) {
        if (Date.now() > deadline) throw new Error('no dtmf-failed frame');
        await sleep(100);
      }
    }, 5_000);
  const seen = await sniffing;
  check(`${s}: no telephone-event RTP reaches the phone's port (${JSON.stringify(seen)})`,
    !!seen && seen.packets === 0);
  await sleep(500); // time for key 4's 501 and key 9's INFO
  const failures = page.gatewayFrames.filter((f) => f.state === 'dtmf-failed');
  check(`${s}: told once, with the first refusal (${JSON.stringify(failures)})`,
    failures.length === 1 && failures[0].status === 415 &&
    failures[0].reason === 'Unsupported Media Type');
  check(`${s}: the page's call is still there (no hungup frame)`,
    !page.gatewayFrames.some((f) => f.type === 'hungup') &&
    (await page.evaluate(() => window.ponte.pc().connectionState)) === 'connected');
  // The five keys' telephone-events went to the control plane by the lcores' punt rings (a
  // few packets each; nothing else of this call is punted), the rest through the fast path.
  if (lab.isDpdk) await checkFastPath(`${s} (fast path, mirror)`, before, { nbPunts: [5, 200] });
  await screenshot(page, 'dtmfinfo-browser');

  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call`, (t) => waitState(page, 'ended', t), 5_000);
  await sippDone(s, phone);
  await page.context().close();
}

async function scenarioPhoneCalls(browser) {
  const s = 'phone';
  const page = await openPage(browser, 'dtmfinfo-phone', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  await checkSoon(`${s}: the page takes the name alice`, (t) => waitFor(page,
    () => window.ponte.sipName !== null, null, t), 10_000);
  const before = await dpSample();
  const phone = startSipp(s, 'sipp-info-call.xml', { user: 'alice' });
  await checkSoon(`${s}: the page rings`, (t) => waitFor(page,
    () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the call is answered`, (t) => waitState(page, 'answered', t),
    15_000);
  await checkSoon(`${s}: the page shows the phone's INFO key 8`, (t) => waitFor(page,
    () => window.ponte.dtmfReceived.join('') === '8', null, t), 10_000);
  await checkSoon(`${s}: connected to the gateway`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  check(`${s}: the browser has telephone-event (PT ${await browserEventPt(page)})`,
    (await browserEventPt(page)) !== null);
  // The phone waits 15 s for key 6: time for a steady window; nothing punted before the key.
  const steady = lab.isDpdk ? await dpSample() : null;
  const { now } = lab.isDpdk
    ? await checkFastPath(`${s} (fast path)`, before, { steady }) : { now: null };
  await page.evaluate(() => window.ponte.dtmf().insertDTMF('6', 100, 70));
  await checkSoon(`${s}: the phone hangs up once it has key 6 and the page says so`, (t) =>
    waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t), 15_000);
  await sippDone(s, phone);
  if (lab.isDpdk) {
    const d = dpDelta(now, await dpSample());
    check(`${s}: key 6's telephone-events reached the control plane through the lcores' ` +
      `mirror path (${d.punted} punted, ${d.punt_drops} dropped)`,
    d.punted >= 1 && d.punt_drops === 0);
  }
  await page.context().close();
}

async function scenarioOutside() {
  const s = 'outside';
  const phone = startSipp(s, 'sipp-info-outside.xml', { user: 'alice', port: 5071 });
  await sippDone(s, phone, 10_000);
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('dtmfinfo', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('browser', scenarioBrowserCalls, browser);
  await runScenario('phone', scenarioPhoneCalls, browser);
  await runScenario('outside', scenarioOutside);
}

await main();
await tearDown();
