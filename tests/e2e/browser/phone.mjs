// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of "call a phone" (/?mode=phone, the gateway's sip service),
// driven through the page as a user would: type the SIP address, press Call, press dial pad
// keys, hang up. The phones are SIPp (Debian sip-tester) on PEER:5070, in the namespace
// run.sh made, whose daemon has its SIP side on GW:5060 (PONTE_E2E_PEER, PONTE_E2E_GW: both
// 127.0.0.1 by default; with the DPDK backend the lab's peer 10.77.0.2, where this script runs
// too, and the gateway's TAP address 10.77.0.1, so that the phone's media crosses the DPDK port;
// with PONTE_E2E_DPDK_NICS=2 the phones run in the lab's phone namespace on 10.78.0.2, behind the
// gateway's second NIC, whose TAP has 10.78.0.1, while this script and the browser stay behind
// the first):
//   answer  sipp-answer.xml with -rtp_echo: rings (180), answers with PCMU and
//           telephone-event, echoes every RTP packet back and waits for our BYE. The browser
//           must hear its own 440 Hz tone back (getStats: packets and audio energy), its dial
//           pad keys must be played by RTCDTMFSender (ontonechange), and hang up must end
//           the call with SIPp's scenario complete (exit status 0). SIPp sends no RTCP:
//           rtcp_phone.py takes the phone's RTCP port, gets the gateway's reports there and
//           sends sender reports back, which the gateway's next report must acknowledge (its
//           LSR). With PONTE_E2E_DPDK, the lcores' counters in /status must show both legs'
//           media through the fast path, none through the kernel; with two NICs, the NICs'
//           counters (/status dataplane.nics) that the browser's leg came in and went out
//           on the first and the phone's on the second, and the SIP on the second's TAP;
//   busy    sipp-busy.xml answers 486 Busy Here: the page says so. The page registered the
//           name carol (?name=carol), which its calls carry as From user: SIPp's regexp
//           wants From <sip:carol@GW>.
// Run by run.sh (`run.sh PONTE phone`), which starts the daemon.

import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, lab, launch, mediaStats, note, onTearDown, openPage, opts, phoneSpawn,
  report, runScenario, screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const SIPP_EXIT_TIMEOUT_MS = 10_000;
const GW = process.env.PONTE_E2E_GW || '127.0.0.1';
const PEER = process.env.PONTE_E2E_PEER || '127.0.0.1';
const PEER_IF = process.env.PONTE_E2E_PEER_IF || 'lo'; // where the phone's frames pass
const IS_DPDK = !!process.env.PONTE_E2E_DPDK;
const PHONE_URI = `sip:phone@${PEER}:5070`;
const here = dirname(fileURLToPath(import.meta.url));

setUp('phone.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// --- SIPp ---

// Starts one SIPp phone for one call (-m 1) with scenario file SCENARIO; its screen goes to
// OUT/sipp-NAME.log, its unexpected messages to OUT/sipp-NAME-errors.log. Killed at the end
// if still running.
async function startSipp(name, scenario) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', scenarioPath(scenario), '-i', PEER, '-p', '5070',
    '-mi', PEER, '-mp', '6000', '-rtp_echo', '-m', '1', '-nostdin',
    '-trace_err', '-error_file', join(opts.out, `sipp-${name}-errors.log`)];
  const child = phoneSpawn('sipp', args, { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  });
  onTearDown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // SIPp binds its port at once; give it a moment and make sure it did not die doing so.
  const early = await Promise.race([child.exit, sleep(500).then(() => null)]);
  check(`SIPp ${name} phone started (${scenario}, pid ${child.pid})`, early === null,
    `exited at start: ${JSON.stringify(early)}; see ${logPath}`);
  return child;
}

// SCENARIO's file as SIPp runs it: the gateway's address in it (sipp-busy.xml's From check)
// is 127.0.0.1; elsewhere, a copy in the output directory names GW instead.
function scenarioPath(scenario) {
  const path = join(here, scenario);
  if (GW === '127.0.0.1') return path;
  const copy = join(opts.out, scenario);
  writeFileSync(copy, readFileSync(path, 'utf8')
    .replaceAll('127\\.0\\.0\\.1', GW.replaceAll('.', '\\.')).replaceAll('127.0.0.1', GW));
  return copy;
}

async function sippExit(child) {
  return Promise.race([child.exit, sleep(SIPP_EXIT_TIMEOUT_MS).then(() => ({ timeout: true }))]);
}

// --- the gateway's counters (/status) and the phone's RTCP ---

const LCORE_COUNTERS = ['fast_pkts', 'input_pkts', 'no_flow', 'to_kernel', 'punted',
  'fragments', 'ip_options', 'srtp_auth_fail', 'tx_via_kernel', 'handoffs'];
const STEADY_MS = 3_000; // the window in which the exception path is watched

// What /status says of the dataplane: the DPDK lcores' counters summed over the lcores (all
// zero on the socket backend), and the SIP call's media counters (zero before it has flows).
async function sample() {
  const st = await (await fetch(`${baseUrl}/status`)).json();
  const ls = (st.dataplane && st.dataplane.lcores) || [];
  const call = ((st.gateway && st.gateway.list) || []).find((e) => e.sip);
  const nics = (st.dataplane && st.dataplane.nics) || [];
  // A VLAN of a device that has several (lab-dpdk --vlans): its driver's counts are the
  // whole device's, the lcores' (lcore_*) its own VLAN's.
  const isVlanOfMany = (n) => nics.filter((m) => m.device === n.device).length > 1;
  return {
    backend: st.dataplane && st.dataplane.backend,
    nbLcores: ls.length,
    sums: Object.fromEntries(LCORE_COUNTERS.map((k) => [k, ls.reduce((a, l) => a + l[k], 0)])),
    atMs: Date.now(),
    fromPhone: call ? call.sip.from_phone : 0,
    toPhone: call ? call.sip.to_phone : 0,
    toBrowser: call ? call.sip.to_browser : 0,
    // Each NIC's frames as its driver counted them (a VLAN's: as the lcores did), and its
    // exception port's.
    nics: nics.map((n) => ({ device: n.device, vlan: n.vlan,
      rx: isVlanOfMany(n) ? n.lcore_rx_pkts : n.rx_pkts,
      tx: isVlanOfMany(n) ? n.lcore_tx_pkts : n.tx_pkts,
      toKernel: n.to_kernel, fromKernel: n.from_kernel })),
  };
}

// Frames the NIC of index k received for the fast path, and sent from it, between samples a
// and b: the driver's counts less what its exception port carried to and from the kernel.
function nicFast(a, b, k) {
  const x = a.nics[k];
  const y = b.nics[k];
  return { rx: (y.rx - y.toKernel) - (x.rx - x.toKernel),
    tx: (y.tx - y.fromKernel) - (x.tx - x.fromKernel),
    toKernel: y.toKernel - x.toKernel, fromKernel: y.fromKernel - x.fromKernel };
}

// Packets a NIC's counters and the call's may be apart by (/status reads them one after the
// other, while media flows): far fewer than a leg's 50 a second.
const NIC_SLACK = 10;

// With two NICs (PONTE_E2E_DPDK_NICS=2): the browser's leg on the first, the phone's on the
// second, from the NICs' own counters over the steady window (STEADY to NOW) against the
// call's: each leg's packets in and out through its NIC's fast path (at least the call's
// counts, less NIC_SLACK), and not also through the other's (each NIC sent and received well
// under both legs' worth: RTCP and the odd consent check come on top of a leg's RTP, the
// other leg's packets would double it). And the call's SIP through the second NIC's exception
// port (since BEFORE, sampled before the call).
function checkNics(s, before, steady, now) {
  check(`${s}: the gateway has two NICs (${now.nics.map((n) => n.device).join(', ')})`,
    now.nics.length === 2 && steady.nics.length === 2 && before.nics.length === 2);
  // lab-dpdk --vlans A,B: the two are VLANs A and B of one device.
  const vlans = process.env.PONTE_LAB_VLANS;
  if (vlans) {
    check(`${s}: NICs 1 and 2 are VLANs ${vlans} of one device (VLANs ` +
      `${now.nics.map((n) => n.vlan).join(', ')})`, now.nics[0].device === now.nics[1].device &&
      `${now.nics[0].vlan},${now.nics[1].vlan}` === vlans);
  }
  const b = nicFast(steady, now, 0);
  const p = nicFast(steady, now, 1);
  const toPhone = now.toPhone - steady.toPhone;
  const fromPhone = now.fromPhone - steady.fromPhone;
  const toBrowser = now.toBrowser - steady.toBrowser;
  note(`${s}: in ${((now.atMs - steady.atMs) / 1000).toFixed(1)} s, NIC 1 ${JSON.stringify(b)}, ` +
    `NIC 2 ${JSON.stringify(p)}; the call: ${toPhone} to the phone, ${fromPhone} from it, ` +
    `${toBrowser} to the browser`);
  check(`${s}: the browser's leg came in on NIC 1: its fast path received ${b.rx} frames for ` +
    `the ${toPhone} packets the call sent the phone, NIC 2's ${p.rx} no more than the phone's ` +
    `${fromPhone} and some`, toPhone >= 100 && b.rx >= toPhone - NIC_SLACK &&
    p.rx < fromPhone + toPhone / 2);
  check(`${s}: the phone's leg left on NIC 2: its fast path sent ${p.tx} frames for the ` +
    `${toPhone} packets to the phone, NIC 1's ${b.tx} no more than the browser's ${toBrowser} ` +
    'and some', p.tx >= toPhone - NIC_SLACK && b.tx < toBrowser + toPhone / 2);
  check(`${s}: and back: the phone's packets in on NIC 2 (${p.rx} frames for ${fromPhone}), ` +
    `the browser's out on NIC 1 (${b.tx} frames for ${toBrowser})`, fromPhone >= 100 &&
    p.rx >= fromPhone - NIC_SLACK && toBrowser >= 100 && b.tx >= toBrowser - NIC_SLACK &&
    b.rx < toPhone + fromPhone / 2);
  const sip = nicFast(before, now, 1);
  check(`${s}: the call's SIP went through NIC 2's exception port (${sip.toKernel} frames to ` +
    `its kernel interface, ${sip.fromKernel} from it)`, sip.toKernel >= 2 && sip.fromKernel >= 2);
}

const delta = (a, b) => Object.fromEntries(LCORE_COUNTERS.map((k) => [k, b.sums[k] - a.sums[k]]));

// The phone leg's media went through the DPDK fast path: every packet the call's flows took
// from the phone or sent to it was run by an lcore's pipeline (fast_pkts), none came the slow
// way through a socket (input_pkts), none was punted for want of a flow, none went to the
// kernel as a fragment or with IP options, hardly any went out through the kernel for want of
// the next hop's MAC (tx_via_kernel); and for STEADY_MS of the established call (from STEADY
// on), the exception path carried only control traffic (STUN consent checks, the signaling's
// and /status's TCP: a few frames a second, against 50 media packets a second each way).
// BEFORE: sampled before the call.
async function checkFastPath(s, before, steady) {
  await sleep(Math.max(0, steady.atMs + STEADY_MS - Date.now()));
  const now = await sample();
  const d = delta(before, now);
  const w = delta(steady, now);
  const wFrom = now.fromPhone - steady.fromPhone;
  note(`${s}: lcores during the call ${JSON.stringify(d)}; in the last ${STEADY_MS} ms ` +
    `${JSON.stringify(w)}`);
  check(`${s}: the gateway runs on DPDK (${now.backend}, ${now.nbLcores} lcores)`,
    now.backend === 'dpdk' && now.nbLcores > 0);
  check(`${s}: the call's flows took ${now.fromPhone} RTP packets from the phone and sent ` +
    `${now.toPhone} to it`, now.fromPhone >= 100 && now.toPhone >= 100);
  check(`${s}: all of them through the lcores' pipeline (${d.fast_pkts} packets, at least ` +
    `${now.fromPhone + now.toPhone}), none through a socket (${d.input_pkts}), out through ` +
    `the NIC (${d.tx_via_kernel} through the kernel)`,
  d.fast_pkts >= now.fromPhone + now.toPhone && d.input_pkts === 0 &&
    d.tx_via_kernel * 20 < now.toPhone);
  check(`${s}: meanwhile, the exception path only carried control traffic (${w.to_kernel} ` +
    `frames to the kernel in ${STEADY_MS / 1000} s, ${wFrom} media packets from the phone ` +
    `and ${w.fast_pkts} in all through the lcores)`,
  wFrom >= 100 && w.to_kernel * 5 < wFrom);
  // What arrives on the phone's ports (owned by the fast path) and no flow takes is punted.
  check(`${s}: none of the phone's packets missed its flows (${d.punted} punted), none came ` +
    `fragmented (${d.fragments}) or with IP options (${d.ip_options}); no SRTP authentication ` +
    `failure (${d.srtp_auth_fail})`, d.punted === 0 && d.fragments === 0 &&
    d.ip_options === 0 && d.srtp_auth_fail === 0);
  if (lab.phoneNs) checkNics(s, before, steady, now);
}

// The phone's RTCP: rtcp_phone.py takes the phone's RTCP port (SIPp's media port + 1, which
// SIPp leaves alone), gets the gateway's reports there and sends sender reports back; the
// gateway's next receiver report about the phone's stream must carry one of their NTP
// timestamps as LSR (RFC 3550 §6.4.1), so they reached the call's RTCP flow. (They cannot
// also be checked in the browser: SIPp echoes the gateway's SSRC, so its SRs name the SSRC
// of the browser's own stream, and the gateway rightly makes no SR to the browser of them.)
async function checkPhoneRtcp(s) {
  const child = phoneSpawn('/usr/bin/python3',
    [join(here, 'rtcp_phone.py'), PEER, '6001', '5', '8'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise((resolve) => child.on('exit', resolve));
  const r = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) || '{}');
  check(`${s}: the phone's RTCP port gets the gateway's reports (${r.received} from ${r.from}, ` +
    `types ${JSON.stringify(r.types)})`,
  r.received > 0 && typeof r.from === 'string' && r.from.startsWith(`${GW}:`),
  JSON.stringify(r));
  check(`${s}: the gateway's reports answer the phone's ${r.sent} sender reports (LSR ` +
    `echoed ${r.lsr_echoed} times, round trip ${r.rtt_ms} ms)`,
  r.sent > 0 && r.lsr_echoed > 0 && r.rtt_ms !== null && r.rtt_ms < 1000, JSON.stringify(r));
}

// --- the page ---

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

async function waitFor(page, fn, arg, timeoutMs) {
  await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
}

// The address field refuses what the gateway cannot call, with a message, and calls nothing.
async function checkBadAddresses(s, page) {
  for (const [typed, wanted] of [['alice@example.com', 'start with sip:']]) {
    await page.locator('#phone-to').fill(typed);
    await page.locator('#btn-dial').click();
    const error = page.locator('#phone-error');
    const text = (await error.isVisible()) ? await error.innerText() : '(hidden)';
    check(`${s}: "${typed}" is refused with a message ("${text}")`,
      text.includes(wanted) && (await page.evaluate(() => window.ponte.pc())) === null &&
      (await page.evaluate(() => window.ponte.state)) === 'ready', text);
  }
}

// A number goes to the gateway, which calls numbers only through sip.number_route: run.sh
// configures none, so the page shows the gateway's no_route and no call starts.
async function checkNumberWithoutRoute(s, page) {
  await page.locator('#phone-to').fill('+33 1 23 45 67 89');
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: a number without sip.number_route is refused by the gateway (no_route)`,
    (t) => waitFor(page, () => window.ponte.hungupReason === 'no_route', null, t), 10_000);
  const notice = await page.locator('#notice-text').innerText();
  check(`${s}: the page says why ("${notice}")`, notice.includes('number_route'), notice);
}

async function scenarioAnswer(browser) {
  const s = 'answer';
  const page = await openPage(browser, 'phone', { isRawAudio: true });
  recordGatewayFrames(page);
  await page.goto(`${baseUrl}/?mode=phone&name=carol`);
  check(`${s}: the mode switch shows "call a phone"`,
    await page.locator('#modes input[value="phone"]').isChecked(),
    await page.locator('#modes').innerText());
  check(`${s}: the SIP address field and dial pad are shown, the video stage is not`,
    (await page.locator('#phone').isVisible()) && (await page.locator('.stage').isHidden()) &&
    (await page.locator('#dialpad button').count()) === 12);
  await checkSoon(`${s}: ready to call`, (t) => waitState(page, 'ready', t), 10_000);
  await checkSoon(`${s}: the page registers the name carol, its caller name on the SIP side`,
    (t) => waitFor(page, () => window.ponte.sipName !== null, null, t), 10_000);
  await checkBadAddresses(s, page);
  await checkNumberWithoutRoute(s, page);

  const before = await sample();
  const phone = await startSipp('answer', 'sipp-answer.xml');
  await page.locator('#phone-to').fill(PHONE_URI);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the page shows the call answered`, async (t) => {
    await waitState(page, 'answered', t);
  }, 15_000);
  const stateText = await page.locator('#state').innerText();
  check(`${s}: the progress line says so ("${stateText}")`, stateText.includes('answered'));
  const progress = page.gatewayFrames.filter((f) => f.type === 'call').map((f) =>
    `${f.state}${f.status ? ` ${f.status}` : ''}`);
  check(`${s}: call events calling, ringing 180, answered 200 (${progress.join(', ')})`,
    ['calling', 'ringing 180', 'answered 200'].every((p) => progress.includes(p)),
    JSON.stringify(page.gatewayFrames.filter((f) => f.type === 'call')));
  await checkSoon(`${s}: connected to the gateway (ICE, DTLS)`, (t) => waitFor(page,
    () => window.ponte.pc() && window.ponte.pc().connectionState === 'connected', null, t),
  10_000);
  const kinds = await page.evaluate(() => window.ponte.pc().getTransceivers().map(
    (tr) => tr.receiver.track.kind));
  check(`${s}: audio only (transceivers: ${kinds.join(', ')})`,
    kinds.length === 1 && kinds[0] === 'audio');

  // Our tone goes to SIPp, which sends it back: the browser hears it.
  let st = null;
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 250) {
    st = await mediaStats(page);
    if (st && st.audio.packetsReceived > 100 && st.audio.totalAudioEnergy > 0) break;
    await sleep(250);
  }
  note(`${s}: getStats ${JSON.stringify(st)}`);
  check(`${s}: the phone's audio is received (${st && st.audio.packetsReceived} packets)`,
    !!st && st.audio.packetsReceived > 100);
  check(`${s}: and it is not silence (totalAudioEnergy ${st && st.audio.totalAudioEnergy})`,
    !!st && st.audio.totalAudioEnergy > 0);
  await screenshot(page, 'phone-answered');
  const steady = await sample();
  await checkPhoneRtcp(s);
  if (IS_DPDK) await checkFastPath(s, before, steady);

  // The dial pad: each key is played as a DTMF tone by the audio sender.
  await checkSoon(`${s}: the dial pad is enabled once answered`, (t) => waitFor(page,
    () => !document.querySelector('#dialpad button').disabled, null, t), 5_000);
  const keys = ['1', '2', '#'];
  // Watch what reaches the phone's RTP port: RFC 4733 events on its telephone-event type
  // (101 in sipp-answer.xml), mapped there from the browser's by the gateway.
  const sniffer = phoneSpawn('/usr/bin/python3',
    [new URL('./rtp_events.py', import.meta.url).pathname, '6000', '101', '6', PEER_IF],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let sniffed = '';
  sniffer.stdout.on('data', (d) => { sniffed += d; });
  for (let i = 0; i < 40 && !sniffed.includes('ready'); i++) await sleep(50);
  for (const key of keys) await page.locator(`#dialpad button[data-key="${key}"]`).click();
  const buffered = await page.evaluate(() => window.ponte.dtmf().toneBuffer);
  note(`${s}: toneBuffer right after the clicks: "${buffered}"`);
  await checkSoon(`${s}: the keys ${keys.join(' ')} are played as DTMF (ontonechange)`,
    (t) => waitFor(page, (want) => window.ponte.dtmfTones.join('') === want, keys.join(''), t),
    5_000);
  const shown = await page.locator('#dtmf-sent').innerText();
  check(`${s}: the page lists the tones sent ("${shown}")`, shown.includes(keys.join('')));
  await new Promise((resolve) => sniffer.on('exit', resolve));
  const seen = JSON.parse(sniffed.split('\n').filter((l) => l.startsWith('{'))[0] || '{}');
  check(`${s}: the phone receives them as RFC 4733 events on its payload type 101 `
    + `(${JSON.stringify(seen)})`, seen.events === keys.join(''));
  // SIPp echoes the events back: the gateway reports them as keys the phone pressed.
  await checkSoon(`${s}: the page shows the phone's keys ${keys.join(' ')} (RFC 4733 from the `
    + 'phone, reported by the gateway)', (t) => waitFor(page,
    (want) => window.ponte.dtmfReceived.join('') === want, keys.join(''), t), 5_000);
  const shownBack = await page.locator('#dtmf-sent').innerText();
  check(`${s}: and lists them ("${shownBack}")`, shownBack.includes(`phone: ${keys.join('')}`));
  await screenshot(page, 'phone-dtmf');

  // Hang up: the gateway confirms and sends BYE, which completes SIPp's scenario.
  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call`, (t) => waitState(page, 'ended', t), 5_000);
  await checkSoon(`${s}: the gateway confirms the hang-up (hungup, reason hangup)`,
    async (t) => {
      const deadline = Date.now() + t;
      while (!page.gatewayFrames.some((f) => f.type === 'hungup' && f.reason === 'hangup')) {
        if (Date.now() > deadline) throw new Error(JSON.stringify(page.gatewayFrames.slice(-3)));
        await sleep(100);
      }
    }, 5_000);
  const exit = await sippExit(phone);
  check(`${s}: the phone got its BYE: SIPp's scenario completed (${JSON.stringify(exit)})`,
    exit.code === 0, `see ${opts.out}/sipp-answer.log and sipp-answer-errors.log`);

  // The same page calls the busy phone next.
  await scenarioBusy(page);
  await page.context().close();
}

async function scenarioBusy(page) {
  const s = 'busy';
  const phone = await startSipp('busy', 'sipp-busy.xml');
  page.gatewayFrames.length = 0;
  check(`${s}: the address is still there ("${await page.locator('#phone-to').inputValue()}")`,
    (await page.locator('#phone-to').inputValue()) === PHONE_URI);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the call fails`, (t) => waitState(page, 'failed', t), 15_000);
  const stateText = await page.locator('#state').innerText();
  check(`${s}: the progress line shows "486 Busy Here" ("${stateText}")`,
    stateText.includes('486 Busy Here'));
  const notice = (await page.locator('#notice').isVisible())
    ? await page.locator('#notice-text').innerText() : '(no notice)';
  check(`${s}: and the notice too ("${notice}")`, notice.includes('486 Busy Here'));
  const hungup = page.gatewayFrames.find((f) => f.type === 'hungup');
  check(`${s}: from the gateway's hungup (${JSON.stringify(hungup)})`,
    !!hungup && hungup.reason === 'sip-status' && hungup.status === 486);
  await screenshot(page, 'phone-busy');
  const exit = await sippExit(phone);
  check(`${s}: SIPp's scenario completed, the INVITE From <sip:carol@...> ` +
    `(${JSON.stringify(exit)})`, exit.code === 0, `see ${opts.out}/sipp-busy.log`);
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('phone', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('answer', scenarioAnswer, browser);
}

await main();
await tearDown();
