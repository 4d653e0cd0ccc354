// SPDX-License-Identifier: MIT
//
// Browser end-to-end test with baresip (Debian baresip-core) as a second real SIP phone,
// beside SIPp: a SIP user agent with its own media stack, which decodes what it receives.
// baresip (baresip-peer.mjs) listens on PEER:5070, answers by itself, sends a 1000 Hz
// tone from a WAV file and records what it decodes; the browser's fake microphone sends a
// 440 Hz tone. The daemon's SIP side is on GW:5060, in the namespace run.sh made (lib.mjs's
// lab: both 127.0.0.1 by default; with PONTE_E2E_DPDK the lab's peer and TAP addresses, so
// that baresip's media crosses the DPDK port, and each call's phone leg must have gone through
// the lcores' fast path: checkFastPath()).
//   outgoing  the page (/?mode=phone) calls baresip: PCMU is chosen; the browser hears 1000 Hz
//             (getStats audio level, WebAudio), baresip's recording holds 440 Hz, its RTP
//             counters and the gateway's /status count packets both ways; DTMF both ways:
//             baresip's keys (/sndcode) are shown in the page, the page's dial pad keys are
//             telephone-events baresip reports; the page hangs up and baresip sees the BYE;
//   incoming  baresip calls the name the page registered (/?mode=phone&name=alice), the page
//             accepts: audio both ways again (both tones checked), DTMF both ways, then
//             baresip hangs up and the page says so; the gateway has no call left.
// Run by run.sh (`run.sh PONTE baresip`), which starts the daemon with SIP on.

import { join } from 'node:path';
import {
  check, checkFastPath, checkSoon, dpSample, lab, launch, mediaStats, note, onTearDown, openPage,
  opts, report, remoteToneHz, runScenario, screenshot, setUp, sleep, tearDown, waitState,
  writeToneWav,
} from './lib.mjs';
import { dominantHz, readWav, startBaresip, toneLevel } from './baresip-peer.mjs';

const OVERALL_TIMEOUT_MS = 90_000;
const GATEWAY_SIP = `${lab.gw}:5060`;
const BROWSER_HZ = 440;
const PHONE_HZ = 1000;
const HZ_TOLERANCE = 25;

setUp('baresip.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

const waitFor = (page, fn, arg, timeoutMs) =>
  page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });

// The codec of the audio the page receives, as getStats() names it (e.g. "audio/PCMU").
function inboundCodec(page) {
  return page.evaluate(async () => {
    const report = await window.ponte.pc().getStats();
    let codec = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.codecId) {
        const c = report.get(s.codecId);
        if (c) codec = c.mimeType;
      }
    });
    return codec;
  });
}

// The gateway's own counters of the page's call: /status gateway.list[].sip.
async function gatewayCounters() {
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  const entry = st.gateway && st.gateway.list.find((e) => e.service === 'sip' && e.sip);
  return entry ? entry.sip : null;
}

// The browser receives the phone's audio: packets, a level above zero, and the phone's tone
// (WebAudio on the received track); the gateway counts packets both ways.
async function checkBrowserHears(s, page) {
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
  const codec = await inboundCodec(page);
  check(`${s}: in PCMU, baresip's only codec, untranscoded (${codec})`, codec === 'audio/PCMU');
  const hz = await remoteToneHz(page);
  check(`${s}: the browser hears baresip's ${PHONE_HZ} Hz tone (strongest: ${hz} Hz)`,
    hz !== null && Math.abs(hz - PHONE_HZ) <= HZ_TOLERANCE);

  const a = await gatewayCounters();
  await sleep(1_000);
  const b = await gatewayCounters();
  const isGrowing = !!a && !!b && b.to_phone > a.to_phone && b.from_phone > a.from_phone &&
    b.to_browser > a.to_browser;
  check(`${s}: the gateway forwards both ways (/status sip ${JSON.stringify(a)} -> ` +
    `${JSON.stringify(b)})`, isGrowing && b.from_phone > 50 && b.to_phone > 50);
}

// With PONTE_E2E_DPDK: the call's phone leg went through the lcores' fast path since BEFORE
// (dpSample() before the call), and for 3 s of it from now on only control traffic took the
// exception path. Before the dial pad: the phone's RFC 4733 events are mirrored (punted) to
// the control plane. baresip sends from its 200 (or the gateway's) on, before the browser's leg
// is up and the call bridged: those packets have no flow yet and are punted (sdes.mjs too).
async function checkPhoneLegFast(s, before) {
  if (!lab.isDpdk) return;
  const steady = await dpSample();
  await checkFastPath(`${s} (fast path)`, before, { steady, nbPunts: [0, 250] });
}

// What baresip decoded: its sndfile recording of the call holds the browser's tone, and its
// RTP summary counts the packets. Both are complete only once baresip has freed the call
// (sndfile writes the WAV sizes then, and rtp_stats prints its table): wait for the table
// after the NB_STATS_BEFORE the call had. PREVIOUS_WAV: the last call's recording, which this
// one must not be.
async function checkPhoneHeard(s, phone, nbStatsBefore, previousWav) {
  let stats = [];
  for (let waited = 0; waited < 5_000 && stats.length <= nbStatsBefore; waited += 100) {
    await sleep(100);
    stats = phone.rtpStats();
  }
  const last = stats.length > nbStatsBefore ? stats[stats.length - 1] : null;
  check(`${s}: baresip's RTP summary counts packets both ways (${JSON.stringify(last)})`,
    !!last && last.received > 100 && last.sent > 100 && last.errorsReceived === 0,
    `see ${phone.logPath}`);

  const wavPath = phone.recordedWav('dec');
  check(`${s}: baresip recorded what it decoded (${wavPath})`,
    !!wavPath && wavPath !== previousWav, `recordings: ${JSON.stringify(phone.recordings())}`);
  const { rate, samples } = readWav(wavPath);
  // Leave out the first half second: the call's start, before the browser's audio.
  const body = samples.subarray(Math.min(samples.length, rate / 2));
  const dom = dominantHz(body, rate);
  const level = toneLevel(body, rate, BROWSER_HZ);
  const own = toneLevel(body, rate, PHONE_HZ);
  note(`${s}: recording ${(samples.length / rate).toFixed(1)} s at ${rate} Hz, rms ` +
    `${dom.rms.toFixed(3)}, strongest ${dom.hz} Hz; level at ${BROWSER_HZ} Hz ` +
    `${level.toFixed(3)}, at ${PHONE_HZ} Hz ${own.toFixed(3)}`);
  // The dial pad's events leave gaps in the browser's audio, hence "most of the power".
  check(`${s}: baresip decoded the browser's ${BROWSER_HZ} Hz tone (strongest ${dom.hz} Hz, ` +
    `${(100 * level).toFixed(0)}% of the power)`,
  samples.length > rate && dom.rms > 0.01 && Math.abs(dom.hz - BROWSER_HZ) <= HZ_TOLERANCE &&
    level > 0.5 && own < 0.05);
  return wavPath;
}

// The page's dial pad keys: RTCDTMFSender events, which baresip reports as it receives them.
async function checkPageKeys(s, page, phone, keys) {
  const since = phone.mark();
  for (const key of keys) await page.locator(`#dialpad button[data-key="${key}"]`).click();
  await checkSoon(`${s}: baresip receives the page's keys ${keys} as telephone-events`,
    async (t) => {
      const deadline = Date.now() + t;
      while (phone.dtmfReceived(since) !== keys) {
        if (Date.now() > deadline) {
          throw new Error(`baresip got "${phone.dtmfReceived(since)}", not "${keys}"`);
        }
        await sleep(100);
      }
    }, 8_000);
}

// Keys pressed on baresip reach the page (RFC 4733 through the gateway, shown by the page).
async function checkPhoneKeys(s, page, phone, keys) {
  const r = await phone.sendDigits(keys);
  check(`${s}: baresip sends the keys ${keys} (/sndcode: ${JSON.stringify(r)})`, r.ok);
  await checkSoon(`${s}: the page shows baresip's keys ${keys}`, (t) => waitFor(page,
    (want) => window.ponte.dtmfReceived.join('') === want, keys, t), 8_000);
  const shown = await page.locator('#dtmf-sent').innerText();
  check(`${s}: and lists them ("${shown}")`, shown.includes(`phone: ${keys}`), shown);
}

async function scenarioOutgoing(browser, phone) {
  const s = 'outgoing';
  const page = await openPage(browser, 'baresip-out', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const before = await dpSample();
  const since = phone.mark();
  await page.locator('#phone-to').fill(phone.uri);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: baresip answers by itself (CALL_ESTABLISHED)`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 15_000);
  await checkSoon(`${s}: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 10_000);
  await checkSoon(`${s}: connected to the gateway (ICE, DTLS)`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  await checkBrowserHears(s, page);
  await checkPhoneLegFast(s, before);
  await screenshot(page, 'baresip-out-answered');

  await checkPhoneKeys(s, page, phone, '58*');
  await checkPageKeys(s, page, phone, '12#');

  const nbStats = phone.rtpStats().length;
  const closedSince = phone.mark();
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call on the page`, (t) => waitState(page, 'ended', t),
    5_000);
  await checkSoon(`${s}: baresip gets the BYE (CALL_CLOSED)`,
    (t) => phone.waitEvent('CALL_CLOSED', { since: closedSince, timeoutMs: t }), 5_000);
  await checkPhoneHeard(s, phone, nbStats, null);
  await page.context().close();
}

async function scenarioIncoming(browser, phone) {
  const s = 'incoming';
  const page = await openPage(browser, 'baresip-in', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  const reg = await checkSoon(`${s}: the page takes the name alice`, async (t) => {
    await waitFor(page, () => window.ponte.sipName !== null, null, t);
    return page.evaluate(() => window.ponte.sipName);
  }, 10_000);
  check(`${s}: reachable as ${reg && reg.uri}`, !!reg && reg.uri === `sip:alice@${GATEWAY_SIP}`);

  const recordedBefore = phone.recordedWav('dec');
  const before = await dpSample();
  const since = phone.mark();
  const r = await phone.dial(reg.uri);
  check(`${s}: baresip dials ${reg.uri} (${JSON.stringify(r)})`, r.ok);
  const inc = await checkSoon(`${s}: the page rings`, async (t) => {
    await waitFor(page, () => window.ponte.incoming !== null, null, t);
    return page.evaluate(() => window.ponte.incoming);
  }, 10_000);
  check(`${s}: it shows baresip calling (${JSON.stringify(inc)})`,
    !!inc && inc.from.startsWith(`sip:${phone.user}@${lab.peer}`) && inc.to === 'alice');
  await checkSoon(`${s}: baresip hears the ringing (CALL_RINGING)`,
    (t) => phone.waitEvent('CALL_RINGING', { since, timeoutMs: t }), 5_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 15_000);
  await checkSoon(`${s}: baresip sees the call established`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 10_000);
  await checkBrowserHears(s, page);
  await checkPhoneLegFast(s, before);
  await screenshot(page, 'baresip-in-answered');
  await checkPhoneKeys(s, page, phone, '307');
  await checkPageKeys(s, page, phone, '9*4');

  const nbStats = phone.rtpStats().length;
  const closedSince = phone.mark();
  const h = await phone.hangup();
  check(`${s}: baresip hangs up (${JSON.stringify(h)})`, h.ok);
  await checkSoon(`${s}: the page says the phone hung up`, async (t) => {
    await waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t);
  }, 10_000);
  const stateText = await page.locator('#state').innerText();
  check(`${s}: in words ("${stateText}")`, stateText.includes('hung up'), stateText);
  await screenshot(page, 'baresip-in-ended');
  await checkSoon(`${s}: baresip's call is closed (CALL_CLOSED)`,
    (t) => phone.waitEvent('CALL_CLOSED', { since: closedSince, timeoutMs: t }), 5_000);
  await checkPhoneHeard(s, phone, nbStats, recordedBefore);

  const st = await fetch(`${baseUrl}/status`).then((x) => x.json(), (e) => ({ error: e.message }));
  check(`${s}: the gateway has no call left (/status gateway ${JSON.stringify(st.gateway)})`,
    !!st.gateway && st.gateway.list.every((e) => e.service !== 'sip'));
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: BROWSER_HZ, seconds: 10, amplitude: 0.5 });
  let phone;
  try {
    phone = await startBaresip({
      dir: join(opts.out, 'baresip'), host: lab.peer, port: 5070, user: 'phone', answer: true,
      codecs: 'PCMU', toneHz: PHONE_HZ, recordDir: join(opts.out, 'baresip', 'rec'),
      sipTrace: true, // every SIP message in baresip.log, for whoever reads a failure
    });
    onTearDown(() => phone.kill());
    note(`baresip pid ${phone.pid} at ${phone.uri}, log ${phone.logPath}`);
  } catch (err) {
    report(false, 'start baresip', err.message);
    return;
  }
  let browser;
  try {
    browser = await launch('baresip', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('outgoing', scenarioOutgoing, browser, phone);
  await runScenario('incoming', scenarioIncoming, browser, phone);
  await phone.stop();
  const exit = await phone.exited;
  report(exit.code === 0, `baresip quits cleanly (${JSON.stringify(exit)})`);
}

await main();
await tearDown();
