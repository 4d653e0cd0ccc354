// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of a bridged call once it is up: re-INVITEs both ways, with SIPp
// (Debian sip-tester) as the phone and headless Chromium running the Ponte web client
// (/?mode=phone). run.sh gives this test sip.media_timeout 5, so a hold longer than that
// proves the media timeout waits while a side holds.
//   phone   sipp-call-reinvite.xml calls the page registered as "alice" (Session-Expires 90,
//           refresher=uac: the gateway's 200 must keep it and Require timer), then re-INVITEs:
//           a session refresh, hold (sendonly) for 6 s — the page says the phone holds and
//           no audio comes back; resume — audio comes back; an offerless one; one without
//           the call's codec (488, the call goes on); one that moves the phone's media to
//           port 6010, where this test answers as a new phone stream (its own SSRC, sequence
//           and timestamp): the browser hears its tone through it as the same stream, with no
//           burst of loss. SIPp checks every SIP detail; its exit status says whether all held.
//   browser the page calls sipp-answer-hold.xml and presses Hold: the phone gets a re-INVITE
//           with a=sendonly (it answers recvonly), the page shows the hold confirmed and no
//           audio comes back; Resume: a re-INVITE with sendrecv, audio comes back.
//   transfer sipp-call-refer.xml calls alice, then REFERs the call to carol (sipp-answer.xml on
//           port 5072): the gateway calls carol, NOTIFYs the first phone until 200, the first
//           phone hangs up, the browser hears carol (the same stream) and hangs up.
// The phones run on PEER, the gateway's SIP side is on GW (lib.mjs's lab: both 127.0.0.1 by
// default; with PONTE_E2E_DPDK the lab's peer and TAP addresses, so that the phones' media
// crosses the DPDK port). Then, in each scenario, the lcores' counters in /status must show the
// phone leg's media through the fast path (checkFastPath): the first phone's and the moved
// stream's, the browser-held call's with a steady window before the hold, carol's.
// Run by run.sh (`run.sh PONTE midcall`).

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  check, checkFastPath, checkSoon, dpSample, lab, launch, mediaStats, note, onTearDown, openPage,
  opts, report, runScenario, scenarioAt, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 170_000;
const here = dirname(fileURLToPath(import.meta.url));
const MOVED_PORT = 6010; // media_port + 10 (SIPp takes +2 for video) in sipp-call-reinvite.xml
const { gw: GW, peer: PEER } = lab;
const CAROL_URI = `sip:carol@${PEER}:5072`; // sipp-call-refer.xml's Refer-To

setUp('midcall.mjs', OVERALL_TIMEOUT_MS);

// One SIPp call (-m 1): a UAC calling sip:USER@GW:5060 when user is given, else a UAS. The
// scenario files name no address but carol's, which is the phones' (PEER).
function startSipp(name, scenario, user = null, { port = 5070, mediaPort = 6000 } = {}) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', scenarioAt(join(here, scenario), PEER), '-i', PEER, '-p', String(port),
    '-mi', PEER, '-mp', String(mediaPort), '-rtp_echo', '-m', '1', '-nostdin',
    '-timeout', '80s',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`)];
  if (user) args.push('-s', user, `${GW}:5060`);
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

async function sippDone(s, child, timeoutMs = 30_000) {
  const r = await Promise.race([child.exit, sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: the phone's scenario completed, every SIP check held (sipp exit ` +
    `${JSON.stringify(r)})`, r.code === 0, `see ${opts.out}/sipp-${s}*.log`);
}

function waitFor(page, fn, arg, timeoutMs) {
  return page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
}

// Audio packets the browser receives over windowMs, and the level at the end.
async function audioOver(page, windowMs) {
  const a = await mediaStats(page);
  await sleep(windowMs);
  const b = await mediaStats(page);
  return {
    packets: b.audio.packetsReceived - a.audio.packetsReceived,
    lost: b.audio.packetsLost - a.audio.packetsLost,
    energy: b.audio.totalAudioEnergy - a.audio.totalAudioEnergy,
    level: b.audio.audioLevel,
    streams: b.audio.nbStreams,
    ssrcs: b.audio.ssrcs,
  };
}

// Audio comes back: within timeoutMs, a 1.5 s window with packets and sound.
async function checkAudioFlows(s, page, timeoutMs = 8_000) {
  let w = null;
  for (let waited = 0; waited < timeoutMs; waited += 1_500) {
    w = await audioOver(page, 1_500);
    if (w.packets > 40 && w.energy > 0) break;
  }
  report(!!w && w.packets > 40 && w.energy > 0,
    `${s}: the browser hears its tone back (${JSON.stringify(w)})`);
  return w;
}

// No audio comes back: once the change took effect, a 2 s window with (almost) nothing.
async function checkAudioStops(s, page) {
  let w = null;
  for (let waited = 0; waited < 4_000; waited += 2_000) {
    w = await audioOver(page, 2_000);
    if (w.packets <= 5) break;
  }
  report(!!w && w.packets <= 5, `${s}: no audio comes back meanwhile (${JSON.stringify(w)})`);
}

/*
 * The phone's new media address: answers every RTP packet the gateway sends here as a phone
 * of its own would, with its own SSRC, sequence numbers and timestamps, so the gateway sees a
 * new stream from a new source. RTCP on the next port is ignored.
 */
function startMovedPhone() {
  const sock = dgram.createSocket('udp4');
  const st = { received: 0, sent: 0 };
  const ssrc = 0x5eed1234;
  let seq = 31000;
  let ts = 123456789;
  sock.on('message', (msg, rinfo) => {
    st.received += 1;
    if (msg.length < 12 || (msg[0] >> 6) !== 2) return;
    const out = Buffer.from(msg);
    out.writeUInt16BE(seq, 2);
    out.writeUInt32BE(ts >>> 0, 4);
    out.writeUInt32BE(ssrc, 8);
    seq = (seq + 1) & 0xffff;
    ts = (ts + 160) >>> 0;
    sock.send(out, rinfo.port, rinfo.address, () => { st.sent += 1; });
  });
  sock.bind(MOVED_PORT, PEER);
  onTearDown(() => sock.close());
  return st;
}

async function scenarioPhone(browser) {
  const s = 'phone';
  const page = await openPage(browser, 'midcall-phone', { isRawAudio: true });
  await page.goto(`${opts.baseUrl}/?mode=phone&name=alice`);
  await checkSoon(`${s}: the page takes the name alice`, (t) =>
    waitFor(page, () => window.ponte.sipName !== null, null, t), 10_000);
  const moved = startMovedPhone();
  const before = await dpSample();
  const phone = startSipp(s, 'sipp-call-reinvite.xml', 'alice');
  await checkSoon(`${s}: the page rings`, (t) =>
    waitFor(page, () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: answered`, (t) => waitState(page, 'answered', t), 15_000);
  await checkAudioFlows(`${s} (before the re-INVITEs)`, page);

  // CSeq 2 refreshes the session, CSeq 3 holds it (sendonly).
  await checkSoon(`${s}: the page shows that the phone holds the call`, (t) =>
    waitFor(page, () => window.ponte.hold.phone === true, null, t), 15_000);
  check(`${s}: and says so (${await page.locator('#hold-state').innerText()})`,
    (await page.locator('#hold-state').innerText()).includes('phone holds'));
  await checkAudioStops(`${s} (held by the phone)`, page);

  // CSeq 4 resumes, after 6 s of hold: longer than sip.media_timeout, the call must live on.
  await checkSoon(`${s}: the phone resumes; the page shows it`, (t) =>
    waitFor(page, () => window.ponte.hold.phone === false, null, t), 15_000);
  check(`${s}: the call outlived a hold longer than sip.media_timeout`,
    (await page.evaluate(() => window.ponte.hungupReason)) === null &&
    (await page.evaluate(() => window.ponte.state)) === 'answered');
  const resumed = await checkAudioFlows(`${s} (resumed)`, page);

  // CSeq 5 (offerless) and 6 (488) change nothing; CSeq 7 moves the media to port 6010.
  await checkSoon(`${s}: the gateway sends to the phone's new address`, async (t) => {
    for (let waited = 0; waited < t && moved.received < 50; waited += 200) await sleep(200);
    if (moved.received < 50) throw new Error(`${moved.received} packets at the new port`);
  }, 25_000);
  const after = await checkAudioFlows(`${s} (the phone's media moved, a new stream)`, page);
  check(`${s}: still one stream for the browser (ssrcs ${JSON.stringify(resumed.ssrcs)} -> ` +
    `${JSON.stringify(after.ssrcs)})`, after.streams === 1 &&
    JSON.stringify(after.ssrcs) === JSON.stringify(resumed.ssrcs));
  check(`${s}: the new stream continues the old one: no burst of loss (lost ${after.lost} in ` +
    'the last window)', after.lost < 25);
  note(`${s}: the moved phone got ${moved.received} packets, sent ${moved.sent}`);
  // The phone's 5 s at its new address are not over: its media so far, both addresses.
  if (lab.isDpdk) await checkFastPath(`${s} (fast path, the phone's two addresses)`, before);

  await checkSoon(`${s}: the phone hangs up (BYE) and the page says so`, (t) =>
    waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t), 20_000);
  await sippDone(s, phone);
  await page.close(); // frees the name alice for the transfer scenario
}

async function scenarioBrowserHold(browser) {
  const s = 'browser';
  const page = await openPage(browser, 'midcall-browser', { isRawAudio: true });
  await page.goto(`${opts.baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const before = await dpSample();
  const phone = startSipp(s, 'sipp-answer-hold.xml');
  await sleep(500);
  await page.locator('#phone-to').fill(`sip:phone@${PEER}:5070`);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: answered`, (t) => waitState(page, 'answered', t), 15_000);
  await checkAudioFlows(`${s} (before hold)`, page);
  if (lab.isDpdk) {
    await checkFastPath(`${s} (fast path)`, before, { steady: await dpSample() });
  }

  await checkSoon(`${s}: the Hold button is enabled`, (t) =>
    waitFor(page, () => !document.querySelector('#btn-hold').disabled, null, t), 5_000);
  await page.locator('#btn-hold').click();
  await checkSoon(`${s}: the phone accepted the hold (the page shows it confirmed)`, (t) =>
    waitFor(page, () => window.ponte.hold.me && window.ponte.hold.confirmed, null, t), 10_000);
  check(`${s}: the button now resumes`,
    (await page.locator('#btn-hold').innerText()) === 'Resume');
  await checkAudioStops(`${s} (held by the browser)`, page);
  await sleep(3_000); // past sip.media_timeout with the hold: the call lives on

  await page.locator('#btn-hold').click();
  await checkSoon(`${s}: resumed (confirmed by the phone)`, (t) =>
    waitFor(page, () => !window.ponte.hold.me && !window.ponte.hold.confirmed, null, t), 10_000);
  await checkAudioFlows(`${s} (resumed)`, page);
  check(`${s}: the call outlived the hold`,
    (await page.evaluate(() => window.ponte.state)) === 'answered');
  await page.locator('#btn-hangup').click();
  await sippDone(s, phone);
}

// The phone transfers the call (REFER) to carol, another SIPp phone: the gateway calls carol,
// tells the first phone how it goes (NOTIFY), and the browser hears carol from then on.
async function scenarioTransfer(browser) {
  const s = 'transfer';
  const page = await openPage(browser, 'midcall-transfer', { isRawAudio: true });
  await page.goto(`${opts.baseUrl}/?mode=phone&name=alice`);
  await checkSoon(`${s}: the page takes the name alice`, (t) =>
    waitFor(page, () => window.ponte.sipName !== null, null, t), 10_000);
  const start = await dpSample();
  const carol = startSipp(`${s}-carol`, 'sipp-answer.xml', null, { port: 5072, mediaPort: 6020 });
  const phone = startSipp(s, 'sipp-call-refer.xml', 'alice');
  await checkSoon(`${s}: the page rings`, (t) =>
    waitFor(page, () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: answered`, (t) => waitState(page, 'answered', t), 15_000);
  const before = await checkAudioFlows(`${s} (the first phone)`, page);
  await checkSoon(`${s}: the page shows the call transferred to carol`, (t) =>
    waitFor(page, () => window.ponte.transferredTo !== null, null, t), 20_000);
  check(`${s}: to ${CAROL_URI} (${await page.evaluate(() => window.ponte.transferredTo)})`,
    (await page.evaluate(() => window.ponte.transferredTo)) === CAROL_URI);
  await sippDone(`${s} (the first phone: REFER, NOTIFYs up to 200, BYE)`, phone);
  const after = await checkAudioFlows(`${s} (carol)`, page);
  check(`${s}: still one stream for the browser (ssrcs ${JSON.stringify(before.ssrcs)} -> ` +
    `${JSON.stringify(after.ssrcs)})`, after.streams === 1 &&
    JSON.stringify(after.ssrcs) === JSON.stringify(before.ssrcs));
  check(`${s}: the call goes on after the first phone left`,
    (await page.evaluate(() => window.ponte.state)) === 'answered');
  // The first phone's leg and carol's (the call's counters go on across the transfer).
  if (lab.isDpdk) await checkFastPath(`${s} (fast path, the first phone and carol)`, start);
  await page.locator('#btn-hangup').click();
  await sippDone(`${s} (carol: answered, then the browser's BYE)`, carol);
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('midcall', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('phone', scenarioPhone, browser);
  await runScenario('browser', scenarioBrowserHold, browser);
  await runScenario('transfer', scenarioTransfer, browser);
}

await main();
await tearDown();
