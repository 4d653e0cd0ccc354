// SPDX-License-Identifier: MIT
//
// SIP over TLS end to end (docs/sip.md, "SIP over TLS"). run.sh starts the gateway with
// sip.transports [udp, tcp, tls], TLS on GW:5061 with a certificate chain made for this
// run by tls-certs.sh (root -> intermediate -> gateway), and sip.tls_ca the root: servers the
// gateway calls must show a certificate from it naming the host called. The phone is baresip
// (baresip-peer.mjs) with its own certificate from the root, TLS on PHONE:5071; it
// answers by itself, sends a 1000 Hz tone and records what it decodes; the browser's fake
// microphone sends 440 Hz. baresip's SIP trace (-s) says which transport carried each message.
// GW and PHONE are 127.0.0.1; with PONTE_E2E_DPDK the lab's TAP address and its peer's, the
// TLS through the exception path and each call's phone leg, checked, through the lcores' fast
// path. Below, 127.0.0.1 stands for whichever of the two.
//   gateway-cert  a TLS client that trusts only the root connects to 5061: the chain verifies
//                 (the intermediate is sent) for GW, and an OPTIONS gets 200;
//   garbage       a plain TCP client sends random bytes and a cleartext request to 5061: the
//                 gateway closes it without a word; another one connects and stays silent
//                 through the calls below, which must not mind;
//   untrusted     the page calls sips:rogue@127.0.0.1:5081, a TLS server whose self-signed
//                 certificate the root did not sign: the gateway connects, refuses the
//                 certificate and sends nothing; the page hangs up;
//   outgoing      the page (/?mode=phone) calls sips:phone@127.0.0.1:5071: every message of
//                 the call is TLS, our Contact is sips:, audio both ways (getStats level,
//                 WebAudio tone, baresip's recording), hang-up from the page (BYE over TLS);
//   incoming      baresip calls sip:alice@127.0.0.1:5061;transport=tls, the name the page
//                 registered; the page accepts: our 200's Contact is the TLS port, audio both
//                 ways, baresip's BYE reaches that Contact over TLS, the page says so;
//   untrusted-end the INVITE to the untrusted server is given up when it times out.
// Needs E2E_TLS_DIR (run.sh sets it), baresip (Debian baresip-core) and node's tls.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import {
  check, checkFastPath, checkSoon, dpSample, lab, launch, mediaStats, note, onTearDown, openPage,
  opts, remoteToneHz, report, runScenario, screenshot, setUp, sleep, tearDown, waitState,
  writeToneWav,
} from './lib.mjs';
import { dominantHz, readWav, startBaresip, toneLevel } from './baresip-peer.mjs';

const OVERALL_TIMEOUT_MS = 110_000;
// The gateway's address and the phones' (lib.mjs's lab: both 127.0.0.1 by default; with
// PONTE_E2E_DPDK the lab's TAP address and its peer's, where this script runs: the rogue
// server and the probing clients are there too).
const GW_HOST = lab.gw;
const PHONE_HOST = lab.peer;
const GATEWAY_TLS_PORT = 5061;
const PHONE_PORT = 5070; // UDP and TCP; baresip's TLS is on the next port
const ROGUE_PORT = 5081;
const BROWSER_HZ = 440;
const PHONE_HZ = 1000;
const HZ_TOLERANCE = 25;

setUp('tls.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;
const tlsDir = process.env.E2E_TLS_DIR;
const pem = (name) => readFileSync(join(tlsDir, name));

const waitFor = (page, fn, arg, timeoutMs) =>
  page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });

// --- baresip's SIP trace ---

// The messages in baresip's log (-s): each one "\x1b[36;1m#\nTLS a -> b\nSTART-LINE\n...".
// Returns [{transport, from, to, startLine, headers: {lower-case name: [values]}}].
function sipTrace(phone) {
  const out = [];
  for (const block of phone.log().split('\x1b[36;1m#\n').slice(1)) {
    const lines = block.split('\x1b[;m')[0].split(/\r?\n/);
    const m = /^(UDP|TCP|TLS) (\S+) -> (\S+)$/.exec(lines[0] || '');
    if (!m) continue;
    const headers = {};
    for (const line of lines.slice(2)) {
      if (line === '') break;
      const h = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
      if (!h) continue;
      const name = h[1].toLowerCase();
      (headers[name] = headers[name] || []).push(h[2]);
    }
    out.push({ transport: m[1], from: m[2], to: m[3], startLine: lines[1] || '', headers });
  }
  return out;
}

const callIdOf = (msg) => (msg.headers['call-id'] || [''])[0];
const brief = (msg) => `${msg.transport} ${msg.from} -> ${msg.to} ${msg.startLine}`;

// The messages of the call Call-ID, with a check that each went over TLS.
function checkAllTls(s, phone, callId) {
  const msgs = sipTrace(phone).filter((m) => callIdOf(m) === callId);
  check(`${s}: every message of the call went over TLS (${msgs.length}: ` +
    `${[...new Set(msgs.map((m) => m.transport))].join(', ')})`,
  msgs.length >= 4 && msgs.every((m) => m.transport === 'TLS'), msgs.map(brief).join('\n'));
  return msgs;
}

// --- media (as baresip.mjs checks it) ---

// With PONTE_E2E_DPDK: the call's phone leg (plain RTP; its SIP is TLS, over the exception
// path) went through the lcores' fast path since BEFORE (dpSample() before the call), and for 3 s
// from now on only control traffic took the exception path. baresip sends from the 200 on,
// before the call is bridged: those packets have no flow yet and are punted (baresip.mjs too).
async function checkPhoneLegFast(s, before) {
  if (!lab.isDpdk) return;
  const steady = await dpSample();
  await checkFastPath(`${s} (fast path)`, before, { steady, nbPunts: [0, 250] });
}

async function checkBrowserHears(s, page) {
  let st = null;
  for (let waited = 0; waited < 10_000; waited += 250) {
    st = await mediaStats(page);
    if (st && st.audio.packetsReceived > 50 && st.audio.audioLevel > 0) break;
    await sleep(250);
  }
  check(`${s}: the browser receives baresip's audio (${st && st.audio.packetsReceived} packets, ` +
    `audioLevel ${st && st.audio.audioLevel.toFixed(3)})`,
  !!st && st.audio.packetsReceived > 50 && st.audio.audioLevel > 0.01);
  const hz = await remoteToneHz(page);
  check(`${s}: the browser hears baresip's ${PHONE_HZ} Hz tone (strongest: ${hz} Hz)`,
    hz !== null && Math.abs(hz - PHONE_HZ) <= HZ_TOLERANCE);
}

// After the call: baresip's RTP summary and its recording of what it decoded.
async function checkPhoneHeard(s, phone, nbStatsBefore, previousWav) {
  let stats = [];
  for (let waited = 0; waited < 5_000 && stats.length <= nbStatsBefore; waited += 100) {
    await sleep(100);
    stats = phone.rtpStats();
  }
  const last = stats.length > nbStatsBefore ? stats[stats.length - 1] : null;
  check(`${s}: baresip's RTP summary counts packets both ways (${JSON.stringify(last)})`,
    !!last && last.received > 100 && last.sent > 100, `see ${phone.logPath}`);
  const wavPath = phone.recordedWav('dec');
  check(`${s}: baresip recorded what it decoded (${wavPath})`,
    !!wavPath && wavPath !== previousWav, JSON.stringify(phone.recordings()));
  const { rate, samples } = readWav(wavPath);
  const body = samples.subarray(Math.min(samples.length, rate / 2));
  const dom = dominantHz(body, rate);
  const level = toneLevel(body, rate, BROWSER_HZ);
  check(`${s}: baresip decoded the browser's ${BROWSER_HZ} Hz tone (strongest ${dom.hz} Hz, ` +
    `${(100 * level).toFixed(0)}% of the power)`,
  samples.length > rate && dom.rms > 0.01 && Math.abs(dom.hz - BROWSER_HZ) <= HZ_TOLERANCE &&
    level > 0.5);
  return wavPath;
}

async function sipCalls() {
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  return st.gateway ? st.gateway.list.filter((e) => e.service === 'sip').length : -1;
}

// --- scenarios ---

// A client that trusts only the root: the gateway must send its intermediate too.
async function scenarioGatewayCert() {
  const s = 'gateway-cert';
  const reply = await checkSoon(`${s}: a TLS client trusting only the test root connects to ` +
    `${GW_HOST}:${GATEWAY_TLS_PORT} and gets an answer to OPTIONS`, (t) => new Promise(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), t);
      const sock = tls.connect({ host: GW_HOST, port: GATEWAY_TLS_PORT, ca: pem('ca.pem') }, () => {
        const cert = sock.getPeerCertificate(true);
        const req = [
          `OPTIONS sip:${GW_HOST}:${GATEWAY_TLS_PORT} SIP/2.0`,
          `Via: SIP/2.0/TLS ${PHONE_HOST}:5999;branch=z9hG4bK-tls-${Date.now()}`,
          'Max-Forwards: 70', `From: <sip:probe@${PHONE_HOST}>;tag=p1`, `To: <sip:${GW_HOST}>`,
          `Call-ID: tls-probe-${Date.now()}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
        ].join('\r\n');
        let text = '';
        sock.on('data', (d) => {
          text += d;
          if (/\r\n\r\n/.test(text)) {
            clearTimeout(timer);
            sock.end();
            resolve({ text, cert, authorized: sock.authorized, protocol: sock.getProtocol() });
          }
        });
        sock.write(req);
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    }), 10_000);
  check(`${s}: the chain verifies against the root (${reply.protocol})`, reply.authorized);
  const issuer = reply.cert.issuerCertificate && reply.cert.issuerCertificate.subject;
  check(`${s}: the gateway's certificate is for ${GW_HOST} and came with its intermediate ` +
    `(${reply.cert.subject.CN}, issued by ${issuer && issuer.CN})`,
  reply.cert.subject.CN === GW_HOST && !!issuer && issuer.CN === 'Ponte test intermediate');
  check(`${s}: OPTIONS over TLS gets 200 (${reply.text.split('\r\n')[0]})`,
    reply.text.startsWith('SIP/2.0 200'), reply.text);
}

// Cleartext garbage on the TLS port; one more connection stays open and silent.
async function scenarioGarbage() {
  const s = 'garbage';
  const result = await checkSoon(`${s}: a plain TCP client sends 8 kB of random bytes and a ` +
    'cleartext OPTIONS to the TLS port: the gateway closes the connection', (t) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still open')), t);
      const sock = net.connect(GATEWAY_TLS_PORT, GW_HOST, () => {
        sock.write(randomBytes(8192));
        sock.write(`OPTIONS sip:${GW_HOST} SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n`);
      });
      let text = '';
      sock.on('data', (d) => { text += d.toString('latin1'); });
      sock.on('error', () => {}); // a reset is a close too
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    }), 10_000);
  check(`${s}: and answers nothing in clear (${result.length} bytes back)`,
    !/SIP\/2\.0/.test(result));

  const idle = net.connect(GATEWAY_TLS_PORT, GW_HOST);
  idle.on('error', () => {});
  onTearDown(() => idle.destroy());
  await new Promise((resolve) => idle.once('connect', resolve));
  note(`${s}: a silent connection from port ${idle.localPort} stays open during the calls`);
  const res = await fetch(`${baseUrl}/status`);
  check(`${s}: the gateway still answers (/status ${res.status})`, res.ok);
}

async function scenarioOutgoing(browser, phone) {
  const s = 'outgoing';
  const target = `sips:${phone.user}@${PHONE_HOST}:${phone.sipPort}`;
  const page = await openPage(browser, 'tls-out', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  const before = await dpSample();
  const since = phone.mark();
  const nbTraced = sipTrace(phone).length;
  await page.locator('#phone-to').fill(target);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: baresip answers ${target} (CALL_ESTABLISHED)`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 15_000);
  await checkSoon(`${s}: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 10_000);

  const invite = sipTrace(phone).slice(nbTraced).find((m) => m.startLine.startsWith('INVITE '));
  check(`${s}: baresip got the INVITE over TLS from the gateway (${invite && brief(invite)})`,
    !!invite && invite.transport === 'TLS' && invite.startLine === `INVITE ${target} SIP/2.0` &&
    /^SIP\/2\.0\/TLS /.test((invite.headers.via || [''])[0]));
  const contact = (invite.headers.contact || [''])[0];
  check(`${s}: our Contact is a sips: URI on the TLS port (${contact})`,
    contact === `<sips:${GW_HOST}:${GATEWAY_TLS_PORT}>`);
  await checkSoon(`${s}: connected to the gateway (ICE, DTLS)`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  await checkBrowserHears(s, page);
  await checkPhoneLegFast(s, before);
  await screenshot(page, 'tls-out-answered');

  const nbStats = phone.rtpStats().length;
  const closedSince = phone.mark();
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call on the page`, (t) => waitState(page, 'ended', t),
    5_000);
  await checkSoon(`${s}: baresip gets the BYE (CALL_CLOSED)`,
    (t) => phone.waitEvent('CALL_CLOSED', { since: closedSince, timeoutMs: t }), 5_000);
  const msgs = checkAllTls(s, phone, callIdOf(invite));
  check(`${s}: the BYE came over TLS`, msgs.some((m) => m.startLine.startsWith('BYE ') &&
    m.transport === 'TLS'), msgs.map(brief).join('\n'));
  await checkPhoneHeard(s, phone, nbStats, null);
  await page.context().close();
}

async function scenarioIncoming(browser, phone) {
  const s = 'incoming';
  const page = await openPage(browser, 'tls-in', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  await checkSoon(`${s}: the page takes the name alice`,
    (t) => waitFor(page, () => window.ponte.sipName !== null, null, t), 10_000);
  // baresip adds its account's ;transport=tls to what it dials.
  const target = `sip:alice@${GW_HOST}:${GATEWAY_TLS_PORT}`;
  const recordedBefore = phone.recordedWav('dec');
  const before = await dpSample();
  const since = phone.mark();
  const nbTraced = sipTrace(phone).length;
  const r = await phone.dial(target);
  check(`${s}: baresip dials ${target} (${JSON.stringify(r)})`, r.ok);
  await checkSoon(`${s}: the page rings`,
    (t) => waitFor(page, () => window.ponte.incoming !== null, null, t), 10_000);
  await page.locator('#btn-accept').click();
  await checkSoon(`${s}: accepted: the page shows the call answered`,
    (t) => waitState(page, 'answered', t), 15_000);
  await checkSoon(`${s}: baresip sees the call established`,
    (t) => phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: t }), 10_000);

  const traced = sipTrace(phone).slice(nbTraced);
  const ok = traced.find((m) => m.startLine.startsWith('SIP/2.0 200') &&
    /INVITE/.test((m.headers.cseq || [''])[0]));
  check(`${s}: the gateway's 200 came over TLS (${ok && brief(ok)})`,
    !!ok && ok.transport === 'TLS');
  const contact = (ok.headers.contact || [''])[0];
  check(`${s}: its Contact is the TLS port (${contact})`,
    contact === `<sip:${GW_HOST}:${GATEWAY_TLS_PORT};transport=tls>`);
  await checkBrowserHears(s, page);
  await checkPhoneLegFast(s, before);
  await screenshot(page, 'tls-in-answered');

  const nbStats = phone.rtpStats().length;
  const closedSince = phone.mark();
  const h = await phone.hangup();
  check(`${s}: baresip hangs up (${JSON.stringify(h)})`, h.ok);
  await checkSoon(`${s}: the page says the phone hung up`,
    (t) => waitFor(page, () => window.ponte.hungupReason === 'remote-bye', null, t), 10_000);
  await checkSoon(`${s}: baresip's call is closed (CALL_CLOSED)`,
    (t) => phone.waitEvent('CALL_CLOSED', { since: closedSince, timeoutMs: t }), 5_000);
  const msgs = checkAllTls(s, phone, callIdOf(ok));
  const bye = msgs.find((m) => m.startLine.startsWith('BYE '));
  check(`${s}: baresip's BYE went to our Contact over TLS (${bye && brief(bye)})`,
    !!bye && bye.transport === 'TLS' && bye.to === `${GW_HOST}:${GATEWAY_TLS_PORT}`);
  await checkPhoneHeard(s, phone, nbStats, recordedBefore);
  check(`${s}: the gateway has no call left`, await sipCalls() === 0);
  await page.context().close();
}

// A TLS server with a certificate nobody vouches for: the gateway must not talk SIP to it.
async function scenarioUntrusted(browser) {
  const s = 'untrusted';
  let nbConnections = 0;
  let received = '';
  const server = tls.createServer({ key: pem('rogue.key'), cert: pem('rogue.pem') }, (sock) => {
    sock.on('data', (d) => { received += d; });
    sock.on('error', () => {});
  });
  server.on('connection', () => { nbConnections += 1; });
  server.on('tlsClientError', () => {});
  await new Promise((resolve) => server.listen(ROGUE_PORT, PHONE_HOST, resolve));
  onTearDown(() => server.close());

  const target = `sips:rogue@${PHONE_HOST}:${ROGUE_PORT}`;
  const page = await openPage(browser, 'tls-rogue', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone`);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  await page.locator('#phone-to').fill(target);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the gateway connects to ${target}`, async (t) => {
    const deadline = Date.now() + t;
    while (nbConnections === 0) {
      if (Date.now() > deadline) throw new Error('no connection');
      await sleep(100);
    }
  }, 10_000);
  // Enough time for an INVITE to cross loopback many times over.
  await sleep(3_000);
  check(`${s}: it refuses the self-signed certificate and sends no SIP ` +
    `(${received.length} bytes received)`, received.length === 0, received.slice(0, 300));
  const state = await page.evaluate(() => window.ponte.state);
  check(`${s}: the call is not answered (page: ${state})`, state !== 'answered');
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: the page hangs up`, (t) => waitState(page, ['ended', 'ready'], t),
    5_000);
  await page.context().close();
}

// The INVITE to the untrusted server never left: nua gives the call up when its transaction
// times out (timer B, 64*T1 = 32 s, RFC 3261 §17.1.1.2), and the gateway releases it then.
// Waiting for that here also lets run.sh stop the gateway at once.
async function scenarioUntrustedEnd() {
  const s = 'untrusted-end';
  const logPath = join(opts.out, 'ponte.log');
  const log = () => readFileSync(logPath, 'utf8');
  const m = /call=(\w+) INVITE sips:rogue@/.exec(log());
  check(`${s}: the gateway logged its INVITE to the untrusted server (call=${m && m[1]})`, !!m);
  await checkSoon(`${s}: and releases call=${m[1]} when the INVITE times out`, async (t) => {
    const deadline = Date.now() + t;
    while (!log().includes(`call=${m[1]} released`)) {
      if (Date.now() > deadline) throw new Error('still held');
      await sleep(500);
    }
  }, 40_000);
}

async function main() {
  if (!tlsDir) {
    report(false, 'E2E_TLS_DIR names the test certificates (run.sh tls sets it)');
    return;
  }
  const tone = writeToneWav({ hz: BROWSER_HZ, seconds: 10, amplitude: 0.5 });
  let phone;
  try {
    phone = await startBaresip({
      dir: join(opts.out, 'baresip'), host: PHONE_HOST, port: PHONE_PORT, transport: 'tls',
      user: 'phone', answer: true, codecs: 'PCMU', toneHz: PHONE_HZ,
      certificate: join(tlsDir, 'phone.pem'), cafile: join(tlsDir, 'ca.pem'),
      recordDir: join(opts.out, 'baresip', 'rec'), sipTrace: true,
    });
    onTearDown(() => phone.kill());
    note(`baresip pid ${phone.pid} at ${phone.uri}, log ${phone.logPath}`);
  } catch (err) {
    report(false, 'start baresip', err.message);
    return;
  }
  let browser;
  try {
    browser = await launch('tls', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('gateway-cert', scenarioGatewayCert);
  await runScenario('garbage', scenarioGarbage);
  // First of the calls: its INVITE stays pending in the gateway until its transaction times
  // out (32 s, docs/sip.md), best over before the gateway is stopped.
  await runScenario('untrusted', scenarioUntrusted, browser);
  await runScenario('outgoing', scenarioOutgoing, browser, phone);
  await runScenario('incoming', scenarioIncoming, browser, phone);
  await runScenario('untrusted-end', scenarioUntrustedEnd);
  await phone.stop();
}

await main();
await tearDown();
