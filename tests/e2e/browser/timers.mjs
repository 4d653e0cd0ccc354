// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of SIP session timers (RFC 4028) with SIPp (Debian sip-tester) as
// the phones and headless Chromium running the Ponte web client (/?mode=phone). A session
// timer takes 45 s to be refreshed and 81 s to be given up, so the six calls run at once
// (about 90 s in all); each SIPp scenario checks the SIP side, its timing included (SIPp's
// gettimeofday), and fails when a refresh or a BYE does not come in time.
//   min-se       a phone asks for Session-Expires 30 (below Min-SE): 422 with Min-SE: 90, and
//                the page it called does not ring (sipp-timer-422.xml).
//   phone-refresh   a phone calls the page "tmr-a" with Session-Expires: 90;refresher=uas:
//                the gateway must refresh (UPDATE) 35..52 s after the ACK; the call then lives
//                past the first interval (the browser hears its tone at 65 s) until the phone
//                hangs up (sipp-timer-call-refresh.xml).
//   browser-refresh the page calls a phone that answers Session-Expires: 90;refresher=uac: the
//                same, the gateway being the UAC (sipp-timer-answer-refresh.xml).
//   phone-lazy   a phone calls "tmr-c" with refresher=uac and never refreshes: the gateway
//                sends BYE (Reason: SIP;cause=408) 60..89 s after the ACK, and the page is told
//                the session expired (sipp-timer-call-norefresh.xml).
//   browser-lazy the page calls a phone that answers refresher=uas and never refreshes: the
//                same (sipp-timer-answer-norefresh.xml).
//   phone-noupdate  a phone whose Allow has no UPDATE calls "tmr-e" with refresher=uas: the
//                gateway refreshes with re-INVITEs offering our 200's SDP byte for byte, 30..39
//                s after the ACK and again 30..39 s after the phone's answer, never an UPDATE
//                (sipp-timer-call-reinvite.xml); the page keeps hearing its tone on the same
//                stream and hears of no hold, and the gateway logs that each answer left the
//                media untouched.
//   browser-noupdate the page calls such a phone, which answers refresher=uac: the same, each
//                re-INVITE offering our first INVITE's SDP (sipp-timer-answer-reinvite.xml).
//   fast-path    with PONTE_E2E_DPDK: once the six calls are up, their phone legs' media went
//                through the lcores' fast path (checkFastPath() over all six).
// The phones are on PEER, the gateway's SIP side on GW (lib.mjs's lab: 127.0.0.1 both, or with
// PONTE_E2E_DPDK the lab's peer and TAP addresses); 127.0.0.1 below stands for either.
// Run by run.sh (`run.sh PONTE timers`).

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Failure, check, checkFastPath, checkSoon, dpSample, dumpStats, lab, launch, mediaStats, note,
  onTearDown, openPage, opts, report, screenshot, setUp, sleep, stateOf, tearDown, waitState,
  writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 160_000;
const here = dirname(fileURLToPath(import.meta.url));
// RFC 4028 with Session-Expires 90: the refresher refreshes at about half (sofia-sip: 40-50 s
// after the 2xx); the other side gives up 9/10 in (sofia-sip: 81 s), and no earlier than
// 90 - min(32, 90/3) = 60 s (§10).
const INTERVAL_S = 90;
const EXPIRY_MIN_S = 60;

setUp('timers.mjs', OVERALL_TIMEOUT_MS);

// One SIPp call (-m 1): a UAC calling sip:USER@127.0.0.1:5060 when user is given, else a UAS.
function startSipp(name, scenario, user, { port, mediaPort }) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', join(here, scenario), '-i', lab.peer, '-p', String(port),
    '-mi', lab.peer, '-mp', String(mediaPort), '-rtp_echo', '-m', '1', '-nostdin',
    '-timeout', '130s', '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`),
    '-trace_logs', '-log_file', join(opts.out, `sipp-${name}-actions.log`),
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

// What the scenario logged about its timing ("refresh: UPDATE 44 s after the ACK ...").
function sippTiming(name) {
  try {
    return readFileSync(join(opts.out, `sipp-${name}-actions.log`), 'utf8')
      .split('\n').filter((l) => /after the (ACK|first)/.test(l)).join('; ') || 'nothing logged';
  } catch {
    return 'no action log';
  }
}

async function sippDone(s, child, what, timeoutMs = 30_000) {
  const r = await Promise.race([child.exit, sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: ${what} (sipp exit ${JSON.stringify(r)}; ${sippTiming(s)})`, r.code === 0,
    `see ${opts.out}/sipp-${s}*.log`);
}

function waitFor(page, fn, arg, timeoutMs) {
  return page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
}

// Audio comes back (SIPp echoes it): within timeoutMs, a 1.5 s window with packets and sound.
async function checkAudioFlows(s, page, timeoutMs = 8_000) {
  let w = null;
  for (let waited = 0; waited < timeoutMs; waited += 1_500) {
    const a = await mediaStats(page);
    await sleep(1_500);
    const b = await mediaStats(page);
    w = {
      packets: b.audio.packetsReceived - a.audio.packetsReceived,
      energy: b.audio.totalAudioEnergy - a.audio.totalAudioEnergy,
    };
    if (w.packets > 40 && w.energy > 0) break;
  }
  check(`${s}: the browser hears its tone back through the phone (${JSON.stringify(w)})`,
    !!w && w.packets > 40 && w.energy > 0);
}

// The pages of each scenario, so that a failed one leaves the others running (lib.mjs's
// runScenario() closes every page, and these scenarios run at once).
const scenarioPages = new Map();

async function runTimerScenario(name, fn, browser) {
  scenarioPages.set(name, []);
  try {
    await fn(browser);
  } catch (err) {
    if (!(err instanceof Failure)) report(false, `${name}: ran to the end`, err.stack);
    for (const page of scenarioPages.get(name)) {
      try {
        note(`${page.label}: state ${await stateOf(page)}`);
        await dumpStats(page);
        await screenshot(page, `${page.label}-failed`);
        await page.close();
      } catch (e) {
        note(`${page.label}: ${e.message.split('\n')[0]}`);
      }
    }
  }
}

// A page in phone mode; with a name, reachable as sip:NAME@127.0.0.1:5060.
async function phonePage(browser, s, name = null) {
  const page = await openPage(browser, `timers-${s}`, { isRawAudio: true });
  scenarioPages.get(s).push(page);
  await page.goto(`${opts.baseUrl}/?mode=phone${name ? `&name=${name}` : ''}`);
  if (name) {
    await checkSoon(`${s}: the page takes the name ${name}`, (t) =>
      waitFor(page, () => window.ponte.sipName !== null, null, t), 10_000);
  } else {
    await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  }
  return page;
}

// The phone calls the page, which takes the call; resolves at the answer.
async function answerCall(s, page) {
  await checkSoon(`${s}: the page rings`, (t) =>
    waitFor(page, () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: answered`, (t) => waitState(page, 'answered', t), 15_000);
  return Date.now();
}

// The page calls the phone at port; resolves at the answer.
async function placeCall(s, page, port) {
  await page.locator('#phone-to').fill(`sip:phone@${lab.peer}:${port}`);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: answered`, (t) => waitState(page, 'answered', t), 15_000);
  return Date.now();
}

// The gateway refreshes: the call outlives the first interval's end (the phone, not the
// refresher, would have hung up at 60 s without a refresh), then the phone hangs up.
async function checkRefreshed(s, page, phone, answeredAt) {
  await checkAudioFlows(`${s} (at the answer)`, page);
  const at = answeredAt + (EXPIRY_MIN_S + 5) * 1000;
  await sleep(Math.max(0, at - Date.now()));
  check(`${s}: the call is still up ${Math.round((Date.now() - answeredAt) / 1000)} s after ` +
    'the answer, past the phone\'s deadline without a refresh',
  (await page.evaluate(() => window.ponte.state)) === 'answered',
  `state ${await page.evaluate(() => window.ponte.state)}, hungup ` +
    `${await page.evaluate(() => window.ponte.hungupReason)}`);
  await checkAudioFlows(`${s} (after the refresh)`, page);
  await checkSoon(`${s}: the phone hangs up (BYE) and the page says so`, (t) =>
    waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t), 30_000);
  await sippDone(s, phone, 'the gateway refreshed the session in time with an UPDATE, ' +
    'Session-Expires 90;refresher=uac');
}

// The phone never refreshes: the gateway ends the call before the session expires, and the
// page is told why.
async function checkExpired(s, page, phone, answeredAt) {
  await checkAudioFlows(`${s} (at the answer)`, page);
  await checkSoon(`${s}: the gateway ends the call: the page is told the session expired`,
    (t) => waitFor(page, () => window.ponte.hungupReason !== null, null, t),
    INTERVAL_S * 1000 + 10_000 - (Date.now() - answeredAt));
  const endedS = (Date.now() - answeredAt) / 1000;
  const reason = await page.evaluate(() => window.ponte.hungupReason);
  const status = await page.evaluate(() => window.ponte.hungupStatus);
  check(`${s}: reason session-expired, 408 "${status && status.text}" (reason ${reason})`,
    reason === 'session-expired' && !!status && status.status === 408 &&
    /did not refresh/.test(status.text));
  check(`${s}: ended ${endedS.toFixed(1)} s after the answer: before the ${INTERVAL_S} s ` +
    `interval is over, not before ${EXPIRY_MIN_S} s`, endedS >= EXPIRY_MIN_S - 1 &&
    endedS < INTERVAL_S);
  const shown = await page.locator('#notice').innerText();
  check(`${s}: the page shows it ("${shown.replace(/\s+/g, ' ').trim()}")`,
    /session-expired|session expired/i.test(shown) && /did not refresh/.test(shown));
  await sippDone(s, phone, 'the gateway sent BYE in time, with Reason: SIP;cause=408, ' +
    'and nothing else');
}

// The gateway's log (run.sh puts it in the output directory).
function ponteLog() {
  try {
    return readFileSync(join(opts.out, 'ponte.log'), 'utf8');
  } catch {
    return '';
  }
}

// The Call-ID the gateway logged for the call whose log line matches re.
async function callIdFromLog(s, re) {
  let m = null;
  await checkSoon(`${s}: the gateway logged the call`, async (t) => {
    for (const deadline = Date.now() + t; !(m = re.exec(ponteLog())); await sleep(200)) {
      if (Date.now() > deadline) throw new Error(`no line matches ${re}`);
    }
  }, 5_000);
  return m[1];
}

// Resolves when the gateway has logged nb refreshes of call callId whose answers left the
// media untouched (sip_dialog.c); times out otherwise.
function refreshesLogged(callId, nb, timeoutMs) {
  const line = `call=${callId} session refreshed by re-INVITE: the phone's answer is ` +
    'unchanged, media untouched';
  return (async () => {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
      const n = ponteLog().split('\n').filter((l) => l.includes(line)).length;
      if (n >= nb) return n;
      if (Date.now() > deadline) throw new Error(`${n} such refreshes logged, not ${nb}`);
    }
  })();
}

// The phone takes no UPDATE: the gateway refreshes with re-INVITEs of our SDP as it was
// (SIPp checks them and that nothing else comes), and the media must not notice: after each
// refresh the browser still hears its tone, on the stream it had, and the page has heard of
// no hold, resume or refused change; the phone then hangs up.
async function checkRefreshedByReinvite(s, page, phone, answeredAt, callId) {
  await checkAudioFlows(`${s} (at the answer)`, page);
  const first = await mediaStats(page);
  for (const nb of [1, 2]) {
    await checkSoon(`${s}: refresh ${nb} (re-INVITE) answered, media untouched, call=${callId}`,
      (t) => refreshesLogged(callId, nb, t), (nb === 1 ? 45_000 : 80_000) -
        (Date.now() - answeredAt));
    note(`${s}: refresh ${nb} ${Math.round((Date.now() - answeredAt) / 1000)} s after the answer`);
    await checkAudioFlows(`${s} (after refresh ${nb})`, page, 5_000);
  }
  const last = await mediaStats(page);
  check(`${s}: the browser receives the same single audio stream as at the answer ` +
    `(SSRC ${first.audio.ssrcs} then ${last.audio.ssrcs})`, last.audio.nbStreams === 1 &&
    String(first.audio.ssrcs) === String(last.audio.ssrcs));
  const seen = await page.evaluate(() => ({
    state: window.ponte.state, hold: window.ponte.hold,
    notes: window.ponte.chatLog.filter((e) => e.from === 'system').map((e) => e.text),
  }));
  check(`${s}: the call is up and the page heard of no hold, resume or refused change ` +
    `(${JSON.stringify(seen)})`, seen.state === 'answered' && !seen.hold.phone &&
    !seen.hold.confirmed && !seen.notes.some((t) => /hold|resume|refused/.test(t)));
  await checkSoon(`${s}: the phone hangs up (BYE) and the page says so`, (t) =>
    waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t), 20_000);
  await sippDone(s, phone, 'two refreshes by re-INVITE, each offering our SDP unchanged with ' +
    'Session-Expires 90;refresher=uac, in time, and no UPDATE');
}

async function scenarioMinSe(browser) {
  const s = 'min-se';
  const page = await phonePage(browser, s, 'tmr-min');
  const phone = startSipp(s, 'sipp-timer-422.xml', 'tmr-min', { port: 5078, mediaPort: 6080 });
  await sippDone(s, phone, '422 Session Interval Too Small with Min-SE: 90', 15_000);
  await sleep(500);
  check(`${s}: the page did not ring`,
    (await page.evaluate(() => window.ponte.incoming)) === null);
  await page.close();
}

async function scenarioPhoneRefresh(browser) {
  const s = 'phone-refresh';
  const page = await phonePage(browser, s, 'tmr-a');
  const phone = startSipp(s, 'sipp-timer-call-refresh.xml', 'tmr-a',
    { port: 5070, mediaPort: 6000 });
  const answeredAt = await answerCall(s, page);
  await checkRefreshed(s, page, phone, answeredAt);
}

async function scenarioBrowserRefresh(browser) {
  const s = 'browser-refresh';
  const page = await phonePage(browser, s);
  const phone = startSipp(s, 'sipp-timer-answer-refresh.xml', null,
    { port: 5072, mediaPort: 6020 });
  await sleep(500);
  const answeredAt = await placeCall(s, page, 5072);
  await checkRefreshed(s, page, phone, answeredAt);
}

async function scenarioPhoneLazy(browser) {
  const s = 'phone-lazy';
  const page = await phonePage(browser, s, 'tmr-c');
  const phone = startSipp(s, 'sipp-timer-call-norefresh.xml', 'tmr-c',
    { port: 5074, mediaPort: 6040 });
  const answeredAt = await answerCall(s, page);
  await checkExpired(s, page, phone, answeredAt);
}

async function scenarioBrowserLazy(browser) {
  const s = 'browser-lazy';
  const page = await phonePage(browser, s);
  const phone = startSipp(s, 'sipp-timer-answer-norefresh.xml', null,
    { port: 5076, mediaPort: 6060 });
  await sleep(500);
  const answeredAt = await placeCall(s, page, 5076);
  await checkExpired(s, page, phone, answeredAt);
}

async function scenarioPhoneNoUpdate(browser) {
  const s = 'phone-noupdate';
  const page = await phonePage(browser, s, 'tmr-e');
  const phone = startSipp(s, 'sipp-timer-call-reinvite.xml', 'tmr-e',
    { port: 5080, mediaPort: 6100 });
  const answeredAt = await answerCall(s, page);
  const callId = await callIdFromLog(s, /call=(\S+) incoming INVITE to tmr-e /);
  await checkRefreshedByReinvite(s, page, phone, answeredAt, callId);
}

async function scenarioBrowserNoUpdate(browser) {
  const s = 'browser-noupdate';
  const page = await phonePage(browser, s);
  const phone = startSipp(s, 'sipp-timer-answer-reinvite.xml', null,
    { port: 5082, mediaPort: 6120 });
  await sleep(500);
  const answeredAt = await placeCall(s, page, 5082);
  const callId = await callIdFromLog(s, new RegExp(
    `call=(\\S+) INVITE sip:phone@${lab.peer.replaceAll('.', '\\.')}:5082 `));
  await checkRefreshedByReinvite(s, page, phone, answeredAt, callId);
}

// With PONTE_E2E_DPDK: once all six calls are bridged with media from each phone, their phone
// legs went through the lcores' fast path since BEFORE (dpSample() before the first), and for
// 3 s from then on only control traffic took the exception path (checkFastPath(), summed over
// the calls).
async function scenarioFastPath(before) {
  const s = 'fast-path';
  await checkSoon(`${s}: the six calls are up, with media from each phone`, async (t) => {
    for (const deadline = Date.now() + t; ; await sleep(500)) {
      const st = await (await fetch(`${opts.baseUrl}/status`)).json();
      const calls = ((st.gateway && st.gateway.list) || []).filter((e) => e.sip &&
        e.sip.from_phone > 50 && e.sip.to_phone > 50);
      if (calls.length >= 6) return;
      if (Date.now() > deadline) throw new Error(`${calls.length} calls with media`);
    }
  }, 40_000);
  const steady = await dpSample();
  await checkFastPath(s, before, { steady, minPhonePkts: 300 });
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('timers', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runTimerScenario('min-se', scenarioMinSe, browser);
  const before = await dpSample();
  // The six calls at once: each lasts 70 to 90 s.
  await Promise.all([
    lab.isDpdk ? runTimerScenario('fast-path', () => scenarioFastPath(before), browser) : null,
    runTimerScenario('phone-refresh', scenarioPhoneRefresh, browser),
    runTimerScenario('browser-refresh', scenarioBrowserRefresh, browser),
    runTimerScenario('phone-lazy', scenarioPhoneLazy, browser),
    runTimerScenario('browser-lazy', scenarioBrowserLazy, browser),
    runTimerScenario('phone-noupdate', scenarioPhoneNoUpdate, browser),
    runTimerScenario('browser-noupdate', scenarioBrowserNoUpdate, browser),
  ]);
  note('SIPp traces: sipp-*-messages.log; timing: sipp-*-actions.log');
}

await main();
await tearDown();
