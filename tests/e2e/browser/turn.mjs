// SPDX-License-Identifier: MIT
//
// The gateway behind a TURN server: run.sh starts coturn (Debian `coturn`) in the test's
// namespace and the daemon with webrtc.turn_server set and webrtc.relay_only on, so the
// gateway announces only the address coturn relays for it and every packet between browser
// and gateway crosses coturn. A headless Chromium calls the echo service and the test proves:
//   - every candidate the gateway trickles is `typ relay` (its own address never shows);
//   - the browser's selected pair ends at that relayed candidate (getStats remote type);
//   - audio and video come back through the relay (frames decoded, audio level, bytes
//     growing), and the data channel echoes, so DTLS, SRTP and SCTP all crossed TURN;
//   - hang up, and a second call on a new allocation works the same; the daemon lives on.
//
//   node turn.mjs --url http://127.0.0.1:PORT [--out DIR]     (through `run.sh PONTE turn`)
// Prints one "ok"/"not ok" line per check and "N passed, M failed" last.

import {
  check, checkSoon, launch, mediaStats, note, openPage, opts, report, runScenario,
  screenshot, setUp, sleep, tearDown, waitState, writeToneWav,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 90_000;
setUp('turn.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

function recordCandidates(page) {
  page.gatewayCandidates = [];
  page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
    try {
      const msg = JSON.parse(String(payload));
      if (msg.type === 'candidate' && msg.candidate) page.gatewayCandidates.push(msg.candidate);
      if (msg.type === 'answer' || msg.type === 'offer') {
        for (const l of String(msg.sdp || '').split(/\r?\n/)) {
          if (l.startsWith('a=candidate:')) page.gatewayCandidates.push(l.slice(2));
        }
      }
    } catch (err) {
      // Not JSON: not ours.
    }
  }));
}

async function callOnce(s, page, isRedial) {
  if (isRedial) await page.locator('#btn-call').click();
  await checkSoon(`${s}: connected to the gateway through TURN`,
    (t) => waitState(page, 'connected', t), 20_000);
  let a = null;
  for (let waited = 0; waited < 10_000; waited += 250) {
    a = await mediaStats(page);
    if (a && a.video.framesDecoded > 0 && a.audio.audioLevel > 0) break;
    await sleep(250);
  }
  await sleep(2_000);
  const b = await mediaStats(page);
  check(`${s}: getStats() has the returned streams`, !!(a && b), 'no RTCPeerConnection');
  note(`${s}: selected pair ${b.pair} (${b.localType} -> ${b.remoteType}), ${b.dtls}`);
  check(`${s}: the browser's selected pair ends at the gateway's relayed candidate`,
    b.remoteType === 'relay', `remote candidate type ${b.remoteType}`);
  report(b.video.framesDecoded > a.video.framesDecoded && a.video.framesDecoded > 0,
    `${s}: returned video decoded through the relay (framesDecoded ` +
    `${a.video.framesDecoded} -> ${b.video.framesDecoded})`);
  report(b.audio.bytesReceived > a.audio.bytesReceived && b.audio.audioLevel > 0.01,
    `${s}: returned audio through the relay carries the tone (bytes ` +
    `${a.audio.bytesReceived} -> ${b.audio.bytesReceived}, level ` +
    `${b.audio.audioLevel.toFixed(3)})`);
  const text = `turn ${Math.random().toString(36).slice(2, 8)}`;
  await checkSoon(`${s}: a chat message comes back over the data channel`, (t) =>
    page.evaluate((x) => window.ponte.sendChat(x), text).then(() => page.waitForFunction(
      (x) => window.ponte.chatLog.some((e) => e.from === 'peer' && e.text.includes(x)),
      text, { timeout: t, polling: 100 })), 10_000);
}

async function scenarioTurn(browser) {
  const s = 'turn';
  const page = await openPage(browser, 'turn', { isRawAudio: true });
  recordCandidates(page);
  await page.goto(`${baseUrl}/?mode=echo`);
  await callOnce(s, page, false);
  const cands = page.gatewayCandidates;
  check(`${s}: the gateway announced candidates (${cands.length})`, cands.length > 0);
  check(`${s}: every candidate of the gateway is typ relay`,
    cands.length > 0 && cands.every((c) => / typ relay( |$)/.test(c)), cands.join(' | '));
  await screenshot(page, 'turn');

  await page.locator('#btn-hangup').click();
  await checkSoon(`${s}: hang up ends the call`, (t) => waitState(page, 'ended', t), 5_000);
  await callOnce(`${s} (second call)`, page, true);
  const res = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  note(`GET /status: ${JSON.stringify(res)}`);
  check(`${s}: the daemon answers /status after both calls`, !res.error, JSON.stringify(res));
  await page.context().close();
}

async function main() {
  const tone = writeToneWav({ hz: 440, seconds: 10, amplitude: 0.5 });
  let browser;
  try {
    browser = await launch('turn', [`--use-file-for-fake-audio-capture=${tone}`]);
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('turn', scenarioTurn, browser);
}

await main();
await tearDown();
