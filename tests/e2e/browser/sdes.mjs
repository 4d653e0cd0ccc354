// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of SDES-SRTP (RFC 4568) on the SIP side: run.sh starts the daemon
// with sip.srtp: sdes-mandatory, so the gateway offers phones RTP/SAVP with a=crypto keys and
// takes no call without them. The phones are real: baresip (baresip-peer.mjs, its srtp module
// with mediaenc=srtp-mand: RTP/SAVP only) on PEER:5070, SIPp (plain RTP/AVP) on PEER:5072; the
// daemon's SIP side is on GW:5060, in the namespace run.sh made (lib.mjs's lab: both 127.0.0.1
// by default; with PONTE_E2E_DPDK the lab's peer and TAP addresses, so that the phones' media
// crosses the DPDK port).
//   outgoing   the page calls baresip: baresip reports SRTP up (CALL_MENC) with one of our
//              suites; the browser hears baresip's 1000 Hz tone and baresip's recording holds
//              the browser's 440 Hz one (each side decrypted the other's SRTP); on the wire
//              (srtp_sniff.py where the phone's frames pass: lo, or the peer's veth) every PCMU
//              packet each way carries an SRTP tag and the RTCP is SRTCP with its E flag set;
//              the gateway's /status counts as many packets from the phone as the wire carried
//              (its SRTP authenticated: rtp_in counts only what did), baresip reports no
//              receive errors; with PONTE_E2E_DPDK, the lcores' counters show the phone leg's
//              media through the fast path, no SRTP authentication failure (checkFastPath);
//   incoming   baresip calls the name the page registered (alice), the page accepts: the same
//              checks the other way round (baresip offers, the gateway answers RTP/SAVP);
//   plain-out  the page calls SIPp, which answers RTP/AVP without keys: the call fails, and
//              the page hears why (bad-sdp, 488, "... sdes-mandatory");
//   plain-in   SIPp calls alice with plain RTP/AVP: 488 with a Warning naming sdes-mandatory,
//              checked by SIPp, and the page never rings.
// Run by run.sh (`run.sh PONTE sdes`), which starts the daemon with SIP and sip.srtp on.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkFastPath, checkSoon, dpSample, lab, launch, mediaStats, note, onTearDown, openPage,
  opts, report, remoteToneHz, runScenario, screenshot, setUp, sleep, tearDown, waitState,
  writeToneWav,
} from './lib.mjs';
import { dominantHz, readWav, startBaresip, toneLevel } from './baresip-peer.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const GATEWAY_SIP = `${lab.gw}:5060`;
const BROWSER_HZ = 440;
const PHONE_HZ = 1000;
const HZ_TOLERANCE = 25;
// baresip's RTP and RTCP ports, so that the sniffer knows which way a packet goes: apart from
// every other UDP port of the namespace, the gateway's SIP-side media (sip.rtp_port_min..max,
// 40000 on), its ICE ports (webrtc.port_min..max, 20000 to 39999: a browser leg there would be
// counted as the phone's) and Chromium's (the kernel's ephemeral ports, 32768 on).
const PHONE_RTP_MIN = 16000;
const PHONE_RTP_MAX = 16099;
// Packets the gateway may not have counted yet when the wire has carried them (in flight, or
// queued while its threads wait for a CPU), at each end of the comparison below.
const COUNT_SLACK = 5;
// What sip.srtp_profiles allows by default, and the SRTP tag each puts on RTP packets.
const SUITE_TAGS = { AES_CM_128_HMAC_SHA1_80: 10, AES_CM_128_HMAC_SHA1_32: 4 };
const here = dirname(fileURLToPath(import.meta.url));

setUp('sdes.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

const waitFor = (page, fn, arg, timeoutMs) =>
  page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });

function recordGatewayFrames(page) {
  page.gatewayFrames = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.session) page.gatewayFrames.push(msg);
    } catch (err) {
      // Not JSON: not ours to check.
    }
  }));
}

// The gateway's counters of the page's call: /status gateway.list[].sip.
async function gatewayCounters() {
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  const entry = st.gateway && st.gateway.list.find((e) => e.service === 'sip' && e.sip);
  return entry ? entry.sip : null;
}

// Starts srtp_sniff.py (for at most SECONDS) and resolves once it listens, to { mark, stop }:
// mark() resolves to what it captured so far, stop() ends it and resolves to all it saw (see
// its docstring); both to null if it is gone.
async function startSniffer(seconds) {
  const child = spawn('/usr/bin/python3', [join(here, 'srtp_sniff.py'), String(PHONE_RTP_MIN),
    String(PHONE_RTP_MAX), String(seconds), lab.peerIf], { stdio: ['pipe', 'pipe', 'inherit'] });
  onTearDown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin.on('error', () => {}); // gone: its marks resolve to null below
  const marks = []; // resolvers of the marks asked for, in order
  let final = null;
  let isReady = false;
  let pending = '';
  child.stdout.on('data', (d) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === 'ready') {
        isReady = true;
      } else if (line.startsWith('{')) {
        const seen = JSON.parse(line);
        if ('mark' in seen) (marks.shift() || (() => {}))(seen);
        else final = seen;
      }
    }
  });
  const done = new Promise((resolve) => child.on('close', () => {
    for (const resolve1 of marks.splice(0)) resolve1(null);
    resolve(final);
  }));
  for (let i = 0; i < 500 && !isReady && child.exitCode === null; i++) await sleep(10);
  return {
    mark: () => new Promise((resolve) => {
      if (child.exitCode !== null) {
        resolve(null);
        return;
      }
      marks.push(resolve);
      child.stdin.write('\n');
    }),
    stop: () => {
      child.stdin.end();
      return done;
    },
  };
}

// The suite baresip reports for the call's audio (CALL_MENC: "0,audio,SUITE").
async function checkSrtpUp(s, phone, since) {
  const ev = await checkSoon(`${s}: baresip reports SRTP up (CALL_MENC)`,
    (t) => phone.waitEvent('CALL_MENC', { since, timeoutMs: t }), 10_000);
  const suite = ev && String(ev.param || '').split(',').pop();
  check(`${s}: with one of sip.srtp_profiles' suites (${suite})`, suite in SUITE_TAGS,
    JSON.stringify(ev));
  return suite;
}

// Media both ways, through SRTP on the phone's leg. BEFORE: dpSample() before the call.
async function checkMedia(s, page, phone, suite, before) {
  let st = null;
  for (let waited = 0; waited < 10_000; waited += 250) {
    st = await mediaStats(page);
    if (st && st.audio.packetsReceived > 50 && st.audio.audioLevel > 0) break;
    await sleep(250);
  }
  note(`${s}: getStats ${JSON.stringify(st && { audio: st.audio, sent: st.sent })}`);
  check(`${s}: the browser receives baresip's audio (${st && st.audio.packetsReceived} packets, ` +
    `audioLevel ${st && st.audio.audioLevel.toFixed(3)})`,
  !!st && st.audio.packetsReceived > 50 && st.audio.audioLevel > 0.01);
  const hz = await remoteToneHz(page);
  check(`${s}: the browser hears baresip's ${PHONE_HZ} Hz tone: the gateway decrypted its ` +
    `SRTP (strongest: ${hz} Hz)`, hz !== null && Math.abs(hz - PHONE_HZ) <= HZ_TOLERANCE);

  // The wire and the gateway's counters over the same few seconds: each sample of /status
  // between two marks of the sniffer, however long either takes on a busy machine, so that what
  // the gateway counted from one sample to the other is bracketed by what the wire carried
  // between the inner marks and between the outer ones.
  const steady = lab.isDpdk ? await dpSample() : null;
  const sniffer = await startSniffer(15);
  const startedMs = Date.now();
  const m1 = await sniffer.mark();
  const a = await gatewayCounters();
  const m2 = await sniffer.mark();
  await sleep(3_000);
  const m3 = await sniffer.mark();
  const b = await gatewayCounters();
  const m4 = await sniffer.mark();
  // The RTCP checks below want a report each way: the gateway reports on a bridged call's
  // audio every 3.75 to 6.25 s (PONTE_REPORT_MS_AUDIO), baresip every 5 s, so a window of 3 s
  // holds one or none, depending on when it began. Wait for one, for up to 10 s of capture.
  let m = m4;
  const waitMs = 10_000;
  while (m && !(m.to_phone.rtcp > 0 && m.from_phone.rtcp > 0) && Date.now() - startedMs < waitMs) {
    await sleep(250);
    m = await sniffer.mark();
  }
  const seen = await sniffer.stop();
  const marks = [m1, m2, m3, m4].map((m) => (m ? m.from_phone.rtp : null));
  note(`${s}: on the wire ${JSON.stringify(seen)}, from the phone at the marks ` +
    `${JSON.stringify(marks)}; /status sip ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
  const tag = String(SUITE_TAGS[suite]);
  for (const dir of ['to_phone', 'from_phone']) {
    const w = seen && seen[dir];
    const extras = w ? Object.keys(w.pcmu_extra) : [];
    check(`${s}: ${dir.replace('_', ' ')}: every PCMU packet carries a ${tag}-byte SRTP tag ` +
      `(${w && w.rtp} RTP packets, payload beyond 160 bytes: ${JSON.stringify(w && w.pcmu_extra)})`,
    !!w && w.rtp > 50 && extras.length === 1 && extras[0] === tag);
    check(`${s}: ${dir.replace('_', ' ')}: its RTCP is SRTCP, encrypted (E flag: ` +
      `${w && w.rtcp_e} of ${w && w.rtcp})`, !!w && w.rtcp > 0 && w.rtcp_e === w.rtcp);
  }
  // rtp_in counts only packets that authenticated.
  const counted = a && b ? b.from_phone - a.from_phone : -1;
  const least = marks.every((m) => m !== null) ? marks[2] - marks[1] : 0;
  const most = marks.every((m) => m !== null) ? marks[3] - marks[0] : 0;
  check(`${s}: the gateway authenticated what the phone sent (counted ${counted} between its ` +
    `two samples, the wire carried ${least} to ${most} meanwhile, ${COUNT_SLACK} in flight ` +
    'allowed either way)', least > 50 && counted >= least - COUNT_SLACK &&
    counted <= most + COUNT_SLACK);
  check(`${s}: and forwards both ways`, !!a && !!b && b.to_phone > a.to_phone &&
    b.to_browser > a.to_browser);
  // baresip sends from its 200 (or the gateway's) on, before the browser's leg is up and the
  // call bridged (~0.1 s; seconds on a busy machine): those packets have no flow yet, and are
  // punted. The steady window must have none.
  if (lab.isDpdk) await checkFastPath(`${s} (fast path)`, before, { steady, nbPunts: [0, 250] });
}

// After the call: baresip decoded the browser's tone and counted no receive errors.
async function checkPhoneHeard(s, phone, nbStatsBefore, previousWav) {
  let stats = [];
  for (let waited = 0; waited < 5_000 && stats.length <= nbStatsBefore; waited += 100) {
    await sleep(100);
    stats = phone.rtpStats();
  }
  const last = stats.length > nbStatsBefore ? stats[stats.length - 1] : null;
  check(`${s}: baresip's RTP summary: packets both ways, no receive errors ` +
    `(${JSON.stringify(last)})`, !!last && last.received > 100 && last.sent > 100 &&
    last.errorsReceived === 0, `see ${phone.logPath}`);
  const srtpErrors = phone.log().split('\n')
    .filter((l) => /srtp/i.test(l) && /(fail|error|auth|replay)/i.test(l));
  check(`${s}: baresip's log has no SRTP error (${srtpErrors.length})`,
    srtpErrors.length === 0, srtpErrors.slice(0, 3).join('\n'));
  const wavPath = phone.recordedWav('dec');
  check(`${s}: baresip recorded what it decoded (${wavPath})`,
    !!wavPath && wavPath !== previousWav, JSON.stringify(phone.recordings()));
  const { rate, samples } = readWav(wavPath);
  const body = samples.subarray(Math.min(samples.length, rate / 2));
  const dom = dominantHz(body, rate);
  const level = toneLevel(body, rate, BROWSER_HZ);
  note(`${s}: recording ${(samples.length / rate).toFixed(1)} s, rms ${dom.rms.toFixed(3)}, ` +
    `strongest ${dom.hz} Hz, ${(100 * level).toFixed(0)}% of the power at ${BROWSER_HZ} Hz`);
  check(`${s}: baresip decoded the browser's ${BROWSER_HZ} Hz tone: the gateway's SRTP ` +
    `authenticated and decrypted there (strongest ${dom.hz} Hz)`,
  samples.length > rate && dom.rms > 0.01 && Math.abs(dom.hz - BROWSER_HZ) <= HZ_TOLERANCE &&
    level > 0.5);
  return wavPath;
}

// The SDP baresip received and sent for the call (its SIP trace), without the keys.
function checkSdpOnWire(s, phone, fromOffset) {
  const log = phone.log().slice(fromOffset);
  const savp = (log.match(/^m=audio \d+ RTP\/SAVP .*$/gm) || []);
  const avp = (log.match(/^m=audio \d+ RTP\/AVP .*$/gm) || []);
  const cryptoSuites = (log.match(/^a=crypto:\d+ \S+/gm) || []);
  note(`${s}: SDP in baresip's trace: ${savp.length} RTP/SAVP and ${avp.length} RTP/AVP audio ` +
    `sections; ${cryptoSuites.join(', ')}`);
  check(`${s}: both SDPs say RTP/SAVP with a=crypto`, savp.length >= 2 && avp.length === 0 &&
    cryptoSuites.length >= 2);
}

async function hangUpFromPage(s, page, phone) {
  const nbStats = phone.rtpStats().length;
  const closedSince = phone.mark();
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call on the page`, (t) => waitState(page, 'ended', t),
    5_000);
  await checkSoon(`${s}: baresip gets the BYE (CALL_CLOSED)`,
    (t) => phone.waitEvent('CALL_CLOSED', { since: closedSince, timeoutMs: t }), 5_000);
  return nbStats;
}

async function scenarioOutgoing(browser, phone) {
  const s = 'outgoing';
  const page = await openPage(browser, 'sdes-out', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const before = await dpSample();
  const since = phone.mark();
  const logOffset = phone.log().length;
  await page.locator('#phone-to').fill(phone.uri);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: baresip answers (CALL_ESTABLISHED)`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 15_000);
  const suite = await checkSrtpUp(s, phone, since);
  await checkSoon(`${s}: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 10_000);
  await checkSoon(`${s}: connected to the gateway (ICE, DTLS)`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  checkSdpOnWire(s, phone, logOffset);
  await checkMedia(s, page, phone, suite, before);
  await screenshot(page, 'sdes-out-answered');
  const nbStats = await hangUpFromPage(s, page, phone);
  await checkPhoneHeard(s, phone, nbStats, null);
  await page.context().close();
}

async function scenarioIncoming(browser, phone) {
  const s = 'incoming';
  const page = await openPage(browser, 'sdes-in', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  const reg = await checkSoon(`${s}: the page takes the name alice`, async (t) => {
    await waitFor(page, () => window.ponte.sipName !== null, null, t);
    return page.evaluate(() => window.ponte.sipName);
  }, 10_000);
  check(`${s}: reachable as ${reg && reg.uri}`, !!reg && reg.uri === `sip:alice@${GATEWAY_SIP}`);
  const recordedBefore = phone.recordedWav('dec');
  const before = await dpSample();
  const since = phone.mark();
  const logOffset = phone.log().length;
  const r = await phone.dial(reg.uri);
  check(`${s}: baresip dials ${reg.uri} with RTP/SAVP (${JSON.stringify(r)})`, r.ok);
  await checkSoon(`${s}: the page rings`, (t) => waitFor(page,
    () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 15_000);
  await checkSoon(`${s}: baresip sees the call established`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 10_000);
  const suite = await checkSrtpUp(s, phone, since);
  checkSdpOnWire(s, phone, logOffset);
  await checkMedia(s, page, phone, suite, before);
  await screenshot(page, 'sdes-in-answered');
  const nbStats = await hangUpFromPage(s, page, phone);
  await checkPhoneHeard(s, phone, nbStats, recordedBefore);
  await page.context().close();
}

// --- SIPp: a plain phone ---

function startSipp(name, args) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const child = spawn('sipp', [...args, '-i', lab.peer, '-p', '5072', '-mi', lab.peer,
    '-mp', '6000', '-m', '1', '-nostdin', '-timeout', '30s', '-trace_err', '-error_file',
    join(opts.out, `sipp-${name}-errors.log`)], { cwd: opts.out, stdio: ['ignore', fd, fd] });
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

async function sippDone(s, child, what) {
  const r = await Promise.race([child.exit, sleep(20_000).then(() => ({ timeout: true }))]);
  check(`${s}: ${what} (sipp exit ${JSON.stringify(r)})`, r.code === 0,
    `see ${opts.out}/sipp-*.log`);
}

async function scenarioPlainOut(browser) {
  const s = 'plain-out';
  const page = await openPage(browser, 'sdes-plain', { isRawAudio: true });
  recordGatewayFrames(page);
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const sipp = startSipp(s, ['-sf', join(here, 'sipp-answer.xml'), '-rtp_echo']);
  await sleep(500);
  await page.locator('#phone-to').fill(`sip:phone@${lab.peer}:5072`);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the call fails`, (t) => waitState(page, ['failed', 'ended', 'hungup'], t),
    15_000);
  const hungup = page.gatewayFrames.find((f) => f.type === 'hungup');
  check(`${s}: the gateway says why: the phone's answer has no SRTP keys ` +
    `(${JSON.stringify(hungup)})`, !!hungup && hungup.reason === 'bad-sdp' &&
    hungup.status === 488 && /no a=crypto.*sdes-mandatory/.test(hungup.text || ''));
  const status = await page.evaluate(() => window.ponte.hungupStatus);
  const notice = (await page.locator('#notice').isVisible())
    ? await page.locator('#notice-text').innerText() : '(no notice)';
  check(`${s}: and the page shows it ("${notice}", ${JSON.stringify(status)})`,
    !!status && status.status === 488 && /sdes-mandatory/.test(`${notice} ${status.text}`));
  await screenshot(page, 'sdes-plain-refused');
  await sippDone(s, sipp, 'SIPp answered and got its BYE');
  await page.context().close();
}

async function scenarioPlainIn(browser) {
  const s = 'plain-in';
  const page = await openPage(browser, 'sdes-plain-in', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=bob`);
  await checkSoon(`${s}: the page takes the name bob`, (t) => waitFor(page,
    () => window.ponte.sipName !== null, null, t), 10_000);
  const sipp = startSipp(s, ['-sf', join(here, 'sipp-call-plain-srtp.xml'), '-s', 'bob',
    GATEWAY_SIP]);
  await sippDone(s, sipp, 'a plain offer gets 488 with a Warning naming sdes-mandatory');
  check(`${s}: the page never rang`,
    (await page.evaluate(() => window.ponte.incoming)) === null);
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: BROWSER_HZ, seconds: 10, amplitude: 0.5 });
  let phone;
  try {
    phone = await startBaresip({
      dir: join(opts.out, 'baresip'), host: lab.peer, port: 5070, user: 'phone', answer: true,
      codecs: 'PCMU', toneHz: PHONE_HZ, recordDir: join(opts.out, 'baresip', 'rec'),
      mediaenc: 'srtp-mand', sipTrace: true,
      extraConfig: `rtp_ports ${PHONE_RTP_MIN}-${PHONE_RTP_MAX}`,
    });
    onTearDown(() => phone.kill());
    note(`baresip pid ${phone.pid} at ${phone.uri}, log ${phone.logPath}`);
  } catch (err) {
    report(false, 'start baresip', err.message);
    return;
  }
  let browser;
  try {
    browser = await launch('sdes', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('outgoing', scenarioOutgoing, browser, phone);
  await runScenario('incoming', scenarioIncoming, browser, phone);
  await runScenario('plain-out', scenarioPlainOut, browser);
  await runScenario('plain-in', scenarioPlainIn, browser);
  await phone.stop();
}

await main();
await tearDown();
