// SPDX-License-Identifier: MIT
//
// What the browser end-to-end tests (p2p.mjs, echo.mjs, relay.mjs) share: the Chromium launch
// flags, the "ok N - ..." reporting, page logging, screenshots, getStats() sampling and the
// overall time limit. Each test calls setUp() first.

import { spawn } from 'node:child_process';
import {
  appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

export const CONNECT_TIMEOUT_MS = 30_000;
export const STATS_GAP_MS = 2_000;

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

export const CHROMIUM_ARGS = [
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

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Filled by setUp().
export const opts = { url: '', out: '/tmp', baseUrl: '' };

// --- reporting ---

let nbPassed = 0;
let nbFailed = 0;

export function report(isOk, name, detail) {
  if (isOk) nbPassed += 1;
  else nbFailed += 1;
  console.log(`${isOk ? 'ok' : 'not ok'} ${nbPassed + nbFailed} - ${name}`);
  if (detail) console.log(`# ${String(detail).replace(/\n/g, '\n# ')}`);
}

export function note(text) {
  console.log(`# ${String(text).replace(/\n/g, '\n# ')}`);
}

function finish() {
  console.log(`${nbPassed} passed, ${nbFailed} failed`);
  process.exit(nbFailed === 0 && nbPassed > 0 ? 0 : 1);
}

export class Failure extends Error {}

// Records a check; a failed check throws, which ends its scenario (later checks depend on it).
export function check(name, isOk, detail) {
  report(isOk, name, isOk ? undefined : detail);
  if (!isOk) throw new Failure(name);
}

export async function checkSoon(name, fn, timeoutMs = CONNECT_TIMEOUT_MS) {
  let err;
  let result;
  try {
    result = await fn(timeoutMs);
  } catch (e) {
    err = e;
  }
  check(name, !err, err && err.message.split('\n')[0]);
  return result;
}

// --- set-up and the end ---

const browsers = [];
export const pages = new Set(); // open pages, for the screenshots of a failed scenario
const cleanups = []; // functions run at the end, whatever happens
let overallTimer = null;

// Parses --url and --out, creates the output directory and arms the overall time limit.
export function setUp(name, overallTimeoutMs) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      out: { type: 'string', default: '/tmp' },
    },
  });
  if (!values.url) {
    console.error(`usage: node ${name} --url http://127.0.0.1:PORT [--out DIR]`);
    process.exit(2);
  }
  opts.url = values.url;
  opts.out = values.out;
  opts.baseUrl = values.url.replace(/\/+$/, '');
  mkdirSync(opts.out, { recursive: true });
  overallTimer = setTimeout(async () => {
    report(false, `finished within ${overallTimeoutMs / 1000} s`);
    await tearDown();
  }, overallTimeoutMs);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      report(false, `not interrupted (${signal})`);
      await tearDown();
    });
  }
}

export function onTearDown(fn) {
  cleanups.push(fn);
}

async function closeAll() {
  await Promise.race([
    Promise.allSettled(browsers.map((browser) => browser.close())),
    sleep(5000),
  ]);
}

// Closes the browsers, runs the cleanups, prints the summary and exits.
export async function tearDown() {
  clearTimeout(overallTimer);
  await closeAll();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch (err) {
      note(`cleanup: ${err.message}`);
    }
  }
  finish();
}

export async function runScenario(name, fn, ...args) {
  try {
    await fn(...args);
  } catch (err) {
    if (!(err instanceof Failure)) report(false, `${name}: ran to the end`, err.stack);
    // Leave what each page showed and its state for whoever reads the failure.
    for (const page of [...pages]) {
      try {
        note(`${page.label}: state ${await stateOf(page)}`);
        await dumpStats(page);
        await screenshot(page, `${page.label}-failed`);
        await page.context().close();
      } catch (e) {
        note(`${page.label}: ${e.message.split('\n')[0]}`);
      }
    }
  }
}

// --- browsers ---

export async function launch(name, extraArgs = []) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  browsers.push(browser);
  browser.label = name;
  return browser;
}

// For browsers launched another way (a persistent context): closed by tearDown().
export function adoptBrowser(closable) {
  browsers.push(closable);
}

// With isRawAudio, the page's getUserMedia gets echoCancellation, autoGainControl and
// noiseSuppression turned off, so the fake microphone's tone reaches the wire at its level.
export async function openPage(browser, name, { isRawAudio = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  if (isRawAudio) await context.addInitScript(rawAudioScript);
  return preparePage(await context.newPage(), name);
}

// Runs in the page before its own scripts.
function rawAudioScript() {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  const raw = { echoCancellation: false, autoGainControl: false, noiseSuppression: false };
  md.getUserMedia = (constraints = {}) => {
    const c = { ...constraints };
    if (c.audio) c.audio = { ...(typeof c.audio === 'object' ? c.audio : {}), ...raw };
    return original(c);
  };
}

export function preparePage(page, name) {
  const logFile = join(opts.out, `${name}.console.log`);
  page.on('console', (msg) => appendFileSync(logFile, `${msg.type()}: ${msg.text()}\n`));
  page.on('pageerror', (err) => {
    appendFileSync(logFile, `pageerror: ${err.message}\n`);
    note(`${name}: page error: ${err.message}`);
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

export function waitState(page, states, timeoutMs = CONNECT_TIMEOUT_MS) {
  return page.waitForFunction(
    (wanted) => window.ponte && wanted.includes(window.ponte.state),
    [].concat(states), { timeout: timeoutMs, polling: 100 });
}

export async function stateOf(page) {
  return page.evaluate(() => (window.ponte ? window.ponte.state : 'no test hook'));
}

export async function screenshot(page, name) {
  const path = join(opts.out, `${name}.png`);
  await page.screenshot({ path });
  note(`screenshot ${path}`);
}

// --- getStats() ---

// Bytes received so far by kind, summed over inbound-rtp streams.
export function inboundBytes(page) {
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

// One sample of what a page receives and sends, by kind: the inbound-rtp counters the tests
// check and the outbound ones for the log, plus the selected candidate pair's addresses.
export function mediaStats(page) {
  return page.evaluate(async () => {
    const pc = window.ponte && window.ponte.pc();
    if (!pc) return null;
    const zero = () => ({ bytesReceived: 0, packetsReceived: 0, packetsLost: 0,
      framesDecoded: 0, frameWidth: 0, frameHeight: 0, audioLevel: 0, totalAudioEnergy: 0,
      nbStreams: 0, ssrcs: [] });
    const out = { audio: zero(), video: zero(), sent: { audio: 0, video: 0 }, sentSsrcs: [],
      transport: null, pair: null,
      remoteIn: { audio: { measurements: 0, rtt: 0 }, video: { measurements: 0, rtt: 0 } },
      remoteOut: { audio: { reportsSent: 0, packetsSent: 0 },
        video: { reportsSent: 0, packetsSent: 0 } } };
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind in out.sent) {
        const o = out[s.kind];
        o.nbStreams += 1;
        o.ssrcs.push(s.ssrc);
        for (const k of ['bytesReceived', 'packetsReceived', 'packetsLost', 'framesDecoded',
          'totalAudioEnergy']) o[k] += s[k] || 0;
        for (const k of ['frameWidth', 'frameHeight', 'audioLevel']) {
          o[k] = Math.max(o[k], s[k] || 0);
        }
      } else if (s.type === 'outbound-rtp' && s.kind in out.sent) {
        out.sent[s.kind] += s.bytesSent || 0;
        if (s.kind === 'video') out.pliReceived = (out.pliReceived || 0) + (s.pliCount || 0);
        out.sentSsrcs.push(s.ssrc);
      } else if (s.type === 'remote-inbound-rtp' && s.kind in out.sent) {
        // What the far end's receiver reports say about our streams (here: the gateway's).
        const r = out.remoteIn[s.kind];
        r.measurements += s.roundTripTimeMeasurements || 0;
        r.rtt = Math.max(r.rtt, s.roundTripTime || 0);
      } else if (s.type === 'remote-outbound-rtp' && s.kind in out.sent) {
        // What the far end's sender reports say about the streams we receive.
        const r = out.remoteOut[s.kind];
        r.reportsSent += s.reportsSent || 0;
        r.packetsSent += s.packetsSent || 0;
      } else if (s.type === 'transport' && s.selectedCandidatePairId) {
        out.transport = { packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived };
        const pair = report.get(s.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        const remote = pair && report.get(pair.remoteCandidateId);
        if (local && remote) {
          out.pair = `${local.address}:${local.port} -> ${remote.address}:${remote.port}`;
          out.localType = local.candidateType;
          out.remoteType = remote.candidateType;
          out.dtls = `${s.tlsVersion || '?'} ${s.dtlsCipher || '?'} ${s.srtpCipher || '?'}`;
        }
      }
    });
    return out;
  });
}

// Prints a page's media counters to the log (for whoever reads a failure).
export async function dumpStats(page) {
  try {
    const st = await mediaStats(page);
    if (st) note(`${page.label}: getStats ${JSON.stringify(st)}`);
  } catch (err) {
    note(`${page.label}: getStats failed: ${err.message.split('\n')[0]}`);
  }
}

// Media flows into each page: bytes received are above zero and still growing. "Connected"
// comes before the first video key frame, so the first sample waits (a bounded time) until
// every stream has received something; a stream that never does fails below.
export async function checkMediaFlows(scenario, pagesToCheck) {
  const hasAll = (b) => b && b.audio > 0 && b.video > 0;
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 250) {
    if ((await Promise.all(pagesToCheck.map(inboundBytes))).every(hasAll)) break;
    await sleep(250);
  }
  const first = await Promise.all(pagesToCheck.map(inboundBytes));
  await sleep(STATS_GAP_MS);
  const second = await Promise.all(pagesToCheck.map(inboundBytes));
  pagesToCheck.forEach((page, i) => {
    for (const kind of ['audio', 'video']) {
      const a = first[i] ? first[i][kind] : 0;
      const b = second[i] ? second[i][kind] : 0;
      report(a > 0 && b > a,
        `${scenario}: ${page.label} receives ${kind} (inbound-rtp bytesReceived ${a} -> ${b})`,
        a > 0 && b > a ? undefined : 'expected > 0 and growing between two getStats() samples');
    }
  });
}

// Sends TEXT from one page and waits until the other has it and the sender has its ack.
// The client repeats unacknowledged messages by itself; the test only waits.
export async function checkChat(scenario, from, to) {
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

// --- fake microphone ---

// Writes a WAV file with a steady sine tone (48 kHz mono, 16 bit) into a new temporary
// directory, for --use-file-for-fake-audio-capture; removed by tearDown(). Chromium loops it.
export function writeToneWav({ hz = 440, seconds = 10, amplitude = 0.5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ponte-e2e-tone-'));
  onTearDown(() => rmSync(dir, { recursive: true, force: true }));
  const rate = 48000;
  const nbSamples = rate * seconds;
  const buf = Buffer.alloc(44 + nbSamples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + nbSamples * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36);
  buf.writeUInt32LE(nbSamples * 2, 40);
  for (let i = 0; i < nbSamples; i++) {
    const v = Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * hz * i / rate));
    buf.writeInt16LE(v, 44 + i * 2);
  }
  const path = join(dir, `tone-${hz}.wav`);
  writeFileSync(path, buf);
  return path;
}

// --- fake camera ---

// Writes a Y4M video (4:2:0, 30 fps) of a solid RGB colour with a white square moving along
// the top edge, for --use-file-for-fake-video-capture; removed by tearDown(). The colour tells
// whose camera a received picture comes from; the square keeps the encoder busy.
export function writeColourY4m(rgb, { width = 320, height = 240, nbFrames = 30 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ponte-e2e-video-'));
  onTearDown(() => rmSync(dir, { recursive: true, force: true }));
  const [r, g, b] = rgb;
  // ITU-R BT.601, studio range.
  const y = Math.round(0.257 * r + 0.504 * g + 0.098 * b + 16);
  const u = Math.round(-0.148 * r - 0.291 * g + 0.439 * b + 128);
  const v = Math.round(0.439 * r - 0.368 * g - 0.071 * b + 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const lumaLen = width * height;
  const chromaLen = (width / 2) * (height / 2);
  const frameLen = 6 + lumaLen + 2 * chromaLen;
  const buf = Buffer.alloc(header.length + nbFrames * frameLen);
  header.copy(buf, 0);
  const side = 32;
  for (let f = 0; f < nbFrames; f++) {
    const base = header.length + f * frameLen;
    buf.write('FRAME\n', base);
    const luma = base + 6;
    buf.fill(y, luma, luma + lumaLen);
    buf.fill(u, luma + lumaLen, luma + lumaLen + chromaLen);
    buf.fill(v, luma + lumaLen + chromaLen, luma + lumaLen + 2 * chromaLen);
    const x0 = Math.round((f / nbFrames) * (width - side));
    for (let row = 4; row < 4 + side; row++) {
      buf.fill(235, luma + row * width + x0, luma + row * width + x0 + side);
    }
  }
  const path = join(dir, `colour-${r}-${g}-${b}.y4m`);
  writeFileSync(path, buf);
  return path;
}

// What the remote <video> of a page shows: the mean RGB of a box around its centre.
export function remoteVideoColour(page) {
  return page.evaluate(() => {
    const video = document.getElementById('remote-video');
    if (!video.videoWidth) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(video, 0, 0);
    const w = Math.max(8, Math.floor(canvas.width / 8));
    const h = Math.max(8, Math.floor(canvas.height / 8));
    const { data } = ctx.getImageData((canvas.width - w) >> 1, (canvas.height - h) >> 1, w, h);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) {
      sum[0] += data[i];
      sum[1] += data[i + 1];
      sum[2] += data[i + 2];
    }
    const n = data.length / 4;
    return sum.map((x) => Math.round(x / n));
  });
}

// The strongest frequency, in Hz, of the audio the remote <video> of a page plays, measured
// with WebAudio over about a second.
export function remoteToneHz(page) {
  return page.evaluate(async () => {
    const video = document.getElementById('remote-video');
    const stream = video.srcObject;
    if (!stream || stream.getAudioTracks().length === 0) return null;
    const ctx = new AudioContext();
    await ctx.resume();
    const source = ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    source.connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const sums = new Float64Array(bins.length);
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      analyser.getFloatFrequencyData(bins);
      for (let k = 0; k < bins.length; k++) sums[k] += Math.pow(10, bins[k] / 10);
    }
    let best = 1;
    for (let k = 2; k < sums.length; k++) if (sums[k] > sums[best]) best = k;
    source.disconnect();
    await ctx.close();
    return sums[best] > 0 ? Math.round(best * ctx.sampleRate / analyser.fftSize) : null;
  });
}

// --- the phones' network and the DPDK backend (run.sh, PONTE_E2E_DPDK) ---

// Where the SIP tests' parties are, from run.sh: the gateway's SIP side and SIP-side media
// (gw), the phones (peer) and the interface their frames pass (peerIf). On the socket backend
// 127.0.0.1, 127.0.0.1 and lo; with PONTE_E2E_DPDK the lab's TAP address, its peer address
// (where the test runs too) and the peer's veth, so that the phones' media crosses the DPDK
// port.
// With PONTE_E2E_DPDK_NICS=2 the phones are behind the gateway's second NIC, in a namespace of
// their own (phoneNs): gw, peer and peerIf are that NIC's side, and the test starts its phones
// there with phoneSpawn(). With PONTE_E2E_DPDK, gwNs is the lab's gateway namespace and excIf
// the exception interface there (the TAP) that holds gw.
export const lab = {
  gw: process.env.PONTE_E2E_GW || '127.0.0.1',
  peer: process.env.PONTE_E2E_PEER || '127.0.0.1',
  peerIf: process.env.PONTE_E2E_PEER_IF || 'lo',
  isDpdk: !!process.env.PONTE_E2E_DPDK,
  phoneNs: process.env.PONTE_E2E_PHONE_NS || null,
  gwNs: process.env.PONTE_E2E_GW_NS || null,
  excIf: process.env.PONTE_E2E_EXC_IF || null,
};

// child_process.spawn() of a phone or of what watches its network (SIPp, rtcp_phone.py, a
// sniffer): in lab.phoneNs when there is one (`ip netns exec` execs the command, so the child's
// PID is the command's own and kill() reaches it), else here.
export function phoneSpawn(cmd, args, options) {
  if (!lab.phoneNs) return spawn(cmd, args, options);
  return spawn('ip', ['netns', 'exec', lab.phoneNs, cmd, ...args], options);
}

// A SIPp scenario file as SIPp must run it: PATH itself when ADDR is 127.0.0.1, else a copy in
// the output directory where 127.0.0.1 (also as a regexp, 127\.0\.0\.1) reads ADDR: the
// addresses a scenario names are the gateway's or the phones', whichever ADDR is.
export function scenarioAt(path, addr) {
  if (addr === '127.0.0.1') return path;
  const copy = join(opts.out, basename(path));
  writeFileSync(copy, readFileSync(path, 'utf8')
    .replaceAll('127\\.0\\.0\\.1', addr.replaceAll('.', '\\.')).replaceAll('127.0.0.1', addr));
  return copy;
}

export const LCORE_COUNTERS = ['fast_pkts', 'input_pkts', 'no_flow', 'to_kernel', 'from_kernel',
  'punted', 'punt_drops', 'fragments', 'ip_options', 'srtp_auth_fail', 'tx_via_kernel',
  'handoffs'];
const STEADY_MS = 3_000; // the window in which checkFastPath() watches the exception path
const MAX_INPUT_PKTS = 10; // media through a socket as a call begins: 0.2 s of one stream

// What /status says of the dataplane: the DPDK lcores' counters summed over the lcores (no
// lcores on the socket backend), and the SIP call's media counters (gateway.list[].sip: RTP
// packets from the phone and to it; 0 without a bridged call). Summed over the sessions: one
// call at a time here, but a session whose call ended may linger (with zeros) before it.
export async function dpSample() {
  const st = await (await fetch(`${opts.baseUrl}/status`)).json();
  const ls = (st.dataplane && st.dataplane.lcores) || [];
  const calls = ((st.gateway && st.gateway.list) || []).filter((e) => e.sip).map((e) => e.sip);
  return {
    backend: st.dataplane && st.dataplane.backend,
    nbLcores: ls.length,
    sums: Object.fromEntries(LCORE_COUNTERS.map((k) => [k, ls.reduce((a, l) => a + l[k], 0)])),
    atMs: Date.now(),
    fromPhone: calls.reduce((a, c) => a + c.from_phone, 0),
    toPhone: calls.reduce((a, c) => a + c.to_phone, 0),
  };
}

export const dpDelta = (a, b) =>
  Object.fromEntries(LCORE_COUNTERS.map((k) => [k, b.sums[k] - a.sums[k]]));

// With PONTE_E2E_DPDK, while a bridged call is up: its phone leg's media went through the
// DPDK fast path since BEFORE (sampled before the call): every packet the call's flows took
// from the phone or sent to it was run by an lcore's pipeline (fast_pkts), hardly any came the
// slow way through a socket (input_pkts: the browser's first packets may come before its leg's
// flow, a few on a busy machine), none went to the kernel as a fragment or with IP options,
// hardly any went out through the kernel for want of the next hop's MAC (tx_via_kernel), no
// SRTP authentication failed; nothing was punted (what reaches the phone's ports and no flow
// takes), or, given nbPunts [min, max], that many (mirrored packets: the control plane's
// copies of DTMF events; or a phone's media sent before the call was bridged), none dropped.
// With STEADY (sampled on the established call, media flowing both ways), also: for
// STEADY_MS from then on, the exception path carried only control traffic (consent checks,
// the signaling's and /status's TCP: a few frames a second, against 50 media packets a second
// each way), and every packet had its flow (nothing punted, nothing through a socket).
// minPhonePkts: the least RTP packets the call's flows must have taken from the phone and sent
// to it. Returns the sample and the deltas.
export async function checkFastPath(s, before,
  { steady = null, minPhonePkts = 100, nbPunts = [0, 0] } = {}) {
  if (steady) await sleep(Math.max(0, steady.atMs + STEADY_MS - Date.now()));
  const now = await dpSample();
  // /status reads the lcores' counters before the call's: the lcores' from the next sample, so
  // that they include every packet the call's counters do.
  const next = await dpSample();
  const d = dpDelta(before, next);
  const w = steady ? dpDelta(steady, next) : null;
  note(`${s}: lcores since the call began ${JSON.stringify(d)}` +
    (w ? `; in the last ${STEADY_MS} ms ${JSON.stringify(w)}` : ''));
  check(`${s}: the gateway runs on DPDK (${now.backend}, ${now.nbLcores} lcores)`,
    now.backend === 'dpdk' && now.nbLcores > 0);
  check(`${s}: the call's flows took ${now.fromPhone} RTP packets from the phone and sent ` +
    `${now.toPhone} to it`, now.fromPhone >= minPhonePkts && now.toPhone >= minPhonePkts);
  check(`${s}: all of them through the lcores' pipeline (${d.fast_pkts} packets, at least ` +
    `${now.fromPhone + now.toPhone}), at most ${MAX_INPUT_PKTS} through a socket as the call ` +
    `began (${d.input_pkts}), out through the NIC (${d.tx_via_kernel} through the kernel)`,
  d.fast_pkts >= now.fromPhone + now.toPhone && d.input_pkts <= MAX_INPUT_PKTS &&
    d.tx_via_kernel * 20 < now.toPhone);
  if (w) {
    const wFrom = now.fromPhone - steady.fromPhone;
    check(`${s}: meanwhile, the exception path only carried control traffic (${w.to_kernel} ` +
      `frames to the kernel in ${STEADY_MS / 1000} s, ${wFrom} media packets from the phone ` +
      `and ${w.fast_pkts} in all through the lcores, ${w.punted} punted, ${w.input_pkts} ` +
      'through a socket)', wFrom >= 100 && w.to_kernel * 5 < wFrom && w.punted === 0 &&
      w.input_pkts === 0);
  }
  check(`${s}: ${d.punted} packets punted to the control plane (${nbPunts.join(' to ')} ` +
    `wanted), ${d.punt_drops} dropped; none of the phone's packets came fragmented ` +
    `(${d.fragments}) or with IP options (${d.ip_options}); no SRTP authentication failure ` +
    `(${d.srtp_auth_fail})`, d.punted >= nbPunts[0] && d.punted <= nbPunts[1] &&
    d.punt_drops === 0 && d.fragments === 0 && d.ip_options === 0 && d.srtp_auth_fail === 0);
  return { now, d };
}
