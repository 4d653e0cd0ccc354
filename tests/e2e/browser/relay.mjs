// SPDX-License-Identifier: MIT
//
// Two separate headless Chromium processes meet in a relayed room (/?mode=relay#KEY): each
// has one RTCPeerConnection, to the gateway, which forwards each member's media and data
// channel messages to the other. The test proves that each side receives the *other's*
// audio and video through the gateway: getStats() bytes and decoded frames growing, the
// picture has the other camera's colour and the sound the other microphone's tone
// (each browser's fake camera and microphone are files of their own colour and pitch), and
// the selected ICE pair of each page ends at the gateway, not at the other browser. Chat
// messages cross the gateway both ways.
//
//   node relay.mjs --url http://127.0.0.1:PORT [--out DIR]
//
// Run it through run.sh (`run.sh PONTE relay`), which puts the daemon and the browsers in a
// private network namespace. Scenario: A opens a relayed room and waits, B joins through the
// link; media and chat both ways; A hangs up (B waits again), A calls again, media again.
// Prints one "ok"/"not ok" line per check and "N passed, M failed" last; exits 1 on any
// failure. It never runs longer than OVERALL_TIMEOUT_MS.

import {
  Failure, check, checkChat, checkSoon, launch, mediaStats, note, openPage, opts, report,
  remoteToneHz, remoteVideoColour, runScenario, screenshot, setUp, sleep, tearDown, waitState,
  writeColourY4m, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const STATS_GAP_MS = 2_000;

// Each member's camera colour and microphone pitch.
const MEMBERS = {
  A: { rgb: [200, 40, 40], colour: 'red', hz: 440 },
  B: { rgb: [40, 60, 200], colour: 'blue', hz: 880 },
};

setUp('relay.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

async function status() {
  try {
    return await (await fetch(`${baseUrl}/status`)).json();
  } catch (err) {
    return { error: err.message };
  }
}

// Waits until every page decodes video and hears audio, then checks from two getStats()
// samples STATS_GAP_MS apart that both keep coming.
async function checkRelayedMedia(s, pages) {
  const isFlowing = (st) => st && st.video.framesDecoded > 0 && st.audio.bytesReceived > 0;
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 250) {
    if ((await Promise.all(pages.map(mediaStats))).every(isFlowing)) break;
    await sleep(250);
  }
  const first = await Promise.all(pages.map(mediaStats));
  await sleep(STATS_GAP_MS);
  const second = await Promise.all(pages.map(mediaStats));
  pages.forEach((page, i) => {
    const a = first[i];
    const b = second[i];
    if (!a || !b) {
      report(false, `${s}: ${page.label} has an RTCPeerConnection`);
      return;
    }
    note(`${s}: ${page.label} selected pair ${b.pair}, ${b.dtls}; sent audio ${b.sent.audio} B,` +
      ` video ${b.sent.video} B`);
    for (const kind of ['audio', 'video']) {
      const x = a[kind].bytesReceived;
      const y = b[kind].bytesReceived;
      report(x > 0 && y > x, `${s}: ${page.label} receives ${kind} (inbound-rtp bytesReceived ` +
        `${x} -> ${y}, ${b[kind].nbStreams} stream(s), ${b[kind].packetsLost} lost)`);
    }
    report(a.video.framesDecoded > 0 && b.video.framesDecoded > a.video.framesDecoded,
      `${s}: ${page.label} decodes video frames (framesDecoded ${a.video.framesDecoded} -> ` +
      `${b.video.framesDecoded}, ${b.video.frameWidth}x${b.video.frameHeight})`);
    report(b.audio.audioLevel > 0.01, `${s}: ${page.label} hears sound (audioLevel ` +
      `${b.audio.audioLevel.toFixed(3)})`);
  });
  return second;
}

// Each page shows the other's camera colour and plays the other's tone.
async function checkFromTheOther(s, page, other) {
  const want = MEMBERS[other.label.slice(-1)];
  let rgb = null;
  for (let i = 0; i < 20; i++) {
    rgb = await remoteVideoColour(page);
    if (rgb && isColour(rgb, want.rgb)) break;
    await sleep(250);
  }
  report(!!rgb && isColour(rgb, want.rgb),
    `${s}: ${page.label} shows ${other.label}'s ${want.colour} camera (mean RGB ` +
    `${rgb ? rgb.join(',') : 'none'}, sent ${want.rgb.join(',')})`);
  const hz = await remoteToneHz(page);
  report(hz !== null && Math.abs(hz - want.hz) <= 15,
    `${s}: ${page.label} plays ${other.label}'s ${want.hz} Hz tone (strongest ${hz} Hz)`);
}

function isColour(rgb, want) {
  return rgb.every((c, i) => Math.abs(c - want[i]) <= 40);
}

// Each page's selected candidate pair ends at the gateway: its remote address is not the
// other page's local one (they have no connection with each other).
async function checkThroughGateway(s, stats, pages) {
  const ends = stats.map((st) => (st && st.pair ? st.pair.split(' -> ') : [null, null]));
  const isApart = ends.every(([, remote], i) => remote && ends.every(
    ([local], j) => j === i || local !== remote));
  check(`${s}: each page's media path ends at the gateway (${pages.map(
    (p, i) => `${p.label} ${stats[i] && stats[i].pair}`).join('; ')})`, isApart);
}

async function checkGatewayStatus(s) {
  const st = await status();
  const list = st.gateway && Array.isArray(st.gateway.list) ? st.gateway.list : [];
  const relayed = list.filter((x) => x.service === 'relay');
  note(`${s}: GET /status gateway ${JSON.stringify(st.gateway)}`);
  check(`${s}: the gateway lists two relay sessions with media forwarded (${relayed.map(
    (x) => `${x.session} in ${x.flow ? x.flow.rtp_in : '?'} out ${x.flow ? x.flow.pkts_out : '?'}`,
  ).join(', ')})`, relayed.length === 2 && relayed.every(
    (x) => x.flow && x.flow.rtp_in > 0 && x.flow.pkts_out > 0), JSON.stringify(st));
  // RTCP per leg: the gateway reports to each sender itself and makes each receiver's SRs.
  check(`${s}: the gateway sends each member its own receiver and sender reports (${
    relayed.map((x) => `RR ${x.flow && x.flow.reports_out} SR ${x.flow && x.flow.srs_out}`)
      .join(', ')})`, relayed.length === 2 && relayed.every(
    (x) => x.flow && x.flow.reports_out > 0 && x.flow.srs_out > 0), JSON.stringify(st));
  // Each member became a receiver of the other: the gateway asked it for a keyframe.
  check(`${s}: the gateway asked each sender for a keyframe for its new receiver (PLIs ${
    relayed.map((x) => x.keyframe_requests).join(', ')})`,
  relayed.length === 2 && relayed.every((x) => x.keyframe_requests >= 1), JSON.stringify(st));
}

// A chat check whose failure is recorded but does not end the scenario: the media checks
// after it do not depend on it.
async function checkChatGoesOn(s, from, to) {
  try {
    await checkChat(s, from, to);
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
  }
}

async function scenarioRelay(browserA, browserB) {
  const s = 'relay';
  const a = await openPage(browserA, 'relay-A', { isRawAudio: true });
  const b = await openPage(browserB, 'relay-B', { isRawAudio: true });

  await a.goto(`${baseUrl}/?mode=relay`);
  check(`${s}: the mode switch shows "relayed room"`,
    await a.locator('#modes input[value="relay"]').isChecked(),
    await a.locator('#modes').innerText());
  await checkSoon(`${s}: A connects to the gateway and waits for a partner`,
    (t) => waitState(a, 'waiting', t));
  const key = await a.evaluate(() => window.ponte.roomKey);
  const link = await a.locator('#share-url').inputValue();
  check(`${s}: the invitation link keeps the mode and the key (${link})`,
    link.includes('mode=relay') && link.endsWith(`#${key}`), link);

  await b.goto(link);
  await checkSoon(`${s}: both pages connected`, async (t) => {
    await Promise.all([waitState(a, 'connected', t), waitState(b, 'connected', t)]);
  });
  const sessions = await Promise.all([a, b].map((p) => p.evaluate(() => window.ponte.session)));
  check(`${s}: each page has its own gateway session (${sessions.join(', ')})`,
    sessions.every((x) => /^g-/.test(x || '')) && sessions[0] !== sessions[1]);

  const stats = await checkRelayedMedia(s, [a, b]);
  await checkThroughGateway(s, stats, [a, b]);
  note(`${s}: PLIs received by the senders: ${[a, b].map(
    (p, i) => `${p.label} ${stats[i] && stats[i].pliReceived}`).join(', ')}`);
  await checkFromTheOther(s, a, b);
  await checkFromTheOther(s, b, a);
  await checkGatewayStatus(s);
  await screenshot(a, 'relay-A');
  await screenshot(b, 'relay-B');
  await checkChatGoesOn(s, a, b);
  await checkChatGoesOn(s, b, a);

  // B renegotiates by itself (a transceiver added, no ICE restart): the gateway answers,
  // keeping the sections it added for A's streams, and B goes on receiving A.
  const sB = `${s} (B re-offers)`;
  const nbOffers = (await status()).signaling;
  await b.evaluate(() => {
    window.reofferAnswered = new Promise((resolve) => {
      const pc = window.ponte.pc();
      pc.addEventListener('signalingstatechange', () => {
        if (pc.signalingState === 'stable') resolve(pc.currentRemoteDescription.sdp);
      });
    });
    window.ponte.pc().addTransceiver('audio', { direction: 'recvonly' });
  });
  const answer = await b.evaluate(() => Promise.race([window.reofferAnswered,
    new Promise((resolve) => setTimeout(() => resolve(null), 10_000))]));
  check(`${sB}: the gateway answers B's re-offer`, answer !== null,
    `signaling ${JSON.stringify(nbOffers)}`);
  const sendonly = (answer || '').split(/\r?\n/).filter((l) => l === 'a=sendonly').length;
  check(`${sB}: the answer still sends A's audio and video (${sendonly} sendonly sections)`,
    sendonly >= 2, answer);
  await checkRelayedMedia(sB, [a, b]);
  await checkFromTheOther(sB, b, a);

  // A hangs up: B stays, connected to the gateway, waiting for a partner. A calls again.
  await a.locator('#btn-hangup').click();
  await checkSoon(`${s}: after A hangs up, B waits for a partner`, async (t) => {
    await Promise.all([waitState(a, 'ended', t), waitState(b, 'waiting', t)]);
  }, 10_000);
  await a.locator('#btn-call').click();
  await checkSoon(`${s}: A calls again: both connected`, async (t) => {
    await Promise.all([waitState(a, 'connected', t), waitState(b, 'connected', t)]);
  });
  await checkRelayedMedia(`${s} (second call)`, [a, b]);
  await checkFromTheOther(`${s} (second call)`, b, a);
  await checkChatGoesOn(`${s} (second call)`, a, b);
  await screenshot(b, 'relay-B-second');

  await a.context().close();
  await b.context().close();
}

async function main() {
  const args = {};
  for (const [name, m] of Object.entries(MEMBERS)) {
    args[name] = [
      `--use-file-for-fake-audio-capture=${writeToneWav({ hz: m.hz, amplitude: 0.5 })}`,
      `--use-file-for-fake-video-capture=${writeColourY4m(m.rgb)}`,
    ];
  }
  let browserA;
  let browserB;
  try {
    [browserA, browserB] = await Promise.all([launch('A', args.A), launch('B', args.B)]);
  } catch (err) {
    report(false, 'launch two Chromium browsers', err.message);
    return;
  }
  await runScenario('relay', scenarioRelay, browserA, browserB);
}

await main();
await tearDown();
