// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of SIP instant messages (RFC 3428 MESSAGE) between SIPp phones and a
// browser that registered a name (/?mode=phone&name=alice, reachable as sip:alice@gateway).
// The daemon's SIP side is on GW:5060 in the namespace run.sh made; SIPp writes from
// PEER:5070 and takes messages on PEER:5072 (lib.mjs's lab: both 127.0.0.1 by default, as
// written below; with PONTE_E2E_DPDK the lab's TAP address and its peer's).
//   to-page     sipp-message-alice.xml: a MESSAGE to alice (UTF-8 text with SIPp's pid in it,
//               from "Desk Phone") gets 200, and the page's chat shows the text and sender;
//   nobody      sipp-message-404.xml to a name nobody holds: 404 with a Warning;
//   not-text    sipp-message-415.xml (application/json): 415 with Accept: text/plain;
//   too-long    sipp-message-413.xml with a 5000-byte body: 413; the page shows none of these;
//   from-page   the user types a SIP address and a text in the page's chat and presses Send:
//               SIPp (sipp-message-uas-200.xml) gets text/plain UTF-8 from sip:alice@..., and
//               the page shows "delivered (200 OK)"; a phone that answers 404
//               (sipp-message-uas-404.xml) is shown as "not delivered: 404 Not Found";
//   checks      what the gateway refuses with an error code: a bad target (bad_target), a
//               number without sip.number_route (no_route), text over 1000 bytes (too_long),
//               empty text and control characters (bad_text);
//   in-call     sipp-message-in-call.xml: a phone calls alice, the user accepts, the phone
//               sends a MESSAGE inside the call: 200, shown in the page as the call's (its
//               session: the bridge's message op took it); during the call the chat writes
//               to that phone by default; then the phone hangs up.
//   call-chat   sipp-call-message.xml: the page calls a phone (SIPp on 5072) and chats with it
//               inside the call's dialog (SIPp checks each MESSAGE is in the dialog and its
//               text against a regexp): one message over signaling and one on the call's data
//               channel, each delivered (200) and shown so; what the gateway refuses over
//               signaling (no_such_session, to with session, too_long, bad_text) and on the
//               data channel (bad_json, unknown_type, bad_text, too_long, bad_request, a binary
//               message, too_large); the phone's message arrives on the data channel; the page
//               closes the channel; one message answered 488 shows "not delivered" and the
//               call goes on; the phone's next message comes over signaling; one answered with
//               a 401 the gateway has no credentials for shows "not delivered: 401" and holds
//               up nothing: the one sent right behind it is delivered; the last one is
//               answered 404, which shows "not delivered" and ends the call (RFC 5057: the
//               phone has no such dialog), with no BYE.
//   call-gone   sipp-call-message-bye.xml: the page calls again; the phone takes its message
//               in the call without answering and hangs up: the page is told the message's
//               fate (481, the call ended before the answer) and the call's end (remote-bye).
//   exception   with PONTE_E2E_DPDK: the messages of to-page .. from-page-404, outside any
//               call, went through the exception path: sip_sniff.py on the gateway's TAP sees
//               each MESSAGE and its answer cross it, and the lcores took none of them into the
//               fast path (nothing through the pipeline, punted or to no flow).
// Run by run.sh (`run.sh PONTE message`), which starts the daemon with SIP on.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, dpDelta, dpSample, lab, launch, note, onTearDown, openPage, opts, report,
  runScenario, scenarioAt, screenshot, setUp, sleep, tearDown, waitState,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const here = dirname(fileURLToPath(import.meta.url));
const UAS_PORT = 5072;
const GATEWAY_SIP = `${lab.gw}:5060`;
// The phones' address in a regexp.
const PEER_RE = lab.peer.replaceAll('.', '\\.');

setUp('message.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// One SIPp run (-m 1) of SCENARIO: a UAC writing to sip:USER@127.0.0.1:5060 from port 5070, or
// (user null) a UAS waiting on UAS_PORT. extra: more SIPp arguments. The addresses a scenario
// names are the phone's (scenarioAt()).
function startSipp(name, scenario, user, extra = []) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const messages = join(opts.out, `sipp-${name}-messages.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', scenarioAt(join(here, scenario), lab.peer), '-i', lab.peer,
    '-mi', lab.peer, '-m', '1',
    '-nostdin', '-timeout', '40s', '-timeout_error', '-trace_err', '-error_file',
    join(opts.out, `sipp-${name}-errors.log`), '-trace_msg', '-message_file', messages,
    ...extra];
  if (user) args.push('-s', user, '-p', '5070', '-mp', '6000', '-rtp_echo', GATEWAY_SIP);
  else args.push('-p', String(UAS_PORT), '-mp', '6010');
  const child = spawn('sipp', args, { cwd: opts.out, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.messages = messages;
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
  const r = await Promise.race([child.exit,
    sleep(timeoutMs).then(() => ({ timeout: true }))]);
  check(`${s}: the phone's scenario completed (sipp exit ${JSON.stringify(r)})`,
    r.code === 0, `see ${opts.out}/sipp-${s}*.log`);
}

function sippMessages(child) {
  try {
    return readFileSync(child.messages, 'utf8');
  } catch (err) {
    return '';
  }
}

// Whether SIPp listens on its UDP port yet (our MESSAGE must not meet a closed port). Read from
// /proc/net/udp (this namespace's sockets): binding the port to find out would take it from
// SIPp at the wrong moment ("Unable to bind main socket").
async function waitListening(port) {
  const hex = (n, width) => n.toString(16).toUpperCase().padStart(width, '0');
  // The kernel's byte order (little-endian here): 127.0.0.1 is 0100007F.
  const ip = lab.peer.split('.').reverse().map((b) => hex(Number(b), 2)).join('');
  const local = `${ip}:${hex(port, 4)}`;
  for (let i = 0; i < 50; i++) {
    let table = '';
    try {
      table = readFileSync('/proc/net/udp', 'utf8');
    } catch (err) {
      return;
    }
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1] === local)) return;
    await sleep(100);
  }
}

const sipEntries = (page) => page.evaluate(() => window.ponte.chatLog.filter((e) => e.sip)
  .map((e) => ({ ...e })));

async function scenarioMessages(browser) {
  const page = await openPage(browser, 'message', { isRawAudio: true });
  await page.goto(`${baseUrl}/?mode=phone&name=alice`);
  const reg = await checkSoon('register: the page takes the name alice', async (t) => {
    await page.waitForFunction(() => window.ponte.sipName !== null, null,
      { timeout: t, polling: 100 });
    return page.evaluate(() => window.ponte.sipName);
  }, 10_000);
  check(`register: reachable as ${reg && reg.uri}`,
    !!reg && reg.uri === `sip:alice@${GATEWAY_SIP}`);
  check('the chat is shown in phone mode, with a To field',
    (await page.locator('#chat-log').isVisible()) && (await page.locator('#chat-to').isVisible()));
  const tap = lab.isDpdk ? await startTapSniffer() : null;
  const dpBefore = await dpSample();

  // A phone writes to alice.
  {
    const s = 'to-page';
    const phone = startSipp(s, 'sipp-message-alice.xml', 'alice');
    const want = `from the desk phone ${phone.pid}`;
    await sippDone(s, phone);
    const got = await checkSoon(`${s}: the page has the message`, async (t) => {
      await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
        e.from === 'peer' && e.text.includes(w)), want, { timeout: t, polling: 100 });
      return (await sipEntries(page)).find((e) => e.text.includes(want));
    }, 5_000);
    check(`${s}: with its UTF-8 text and its sender (${JSON.stringify(got)})`,
      got.text.startsWith('Grüße ☎ from the desk phone') && got.who === 'Desk Phone' &&
      new RegExp(`^sip:phone@${PEER_RE}:5070`).test(got.sipFrom) && !got.inCall);
    const shown = await page.locator('#chat-log').innerText();
    check(`${s}: the chat shows it with the sender's name`,
      shown.includes(want) && shown.includes('Desk Phone'), shown);
    await screenshot(page, 'message-received');
  }

  // What the gateway refuses for the phone, without troubling the page.
  const before = (await sipEntries(page)).length;
  {
    const phone = startSipp('nobody', 'sipp-message-404.xml', 'bob');
    await sippDone('nobody', phone);
  }
  {
    const phone = startSipp('not-text', 'sipp-message-415.xml', 'alice');
    await sippDone('not-text', phone);
  }
  {
    // Over UDP on the DPDK lab too: net_af_packet reassembles the datagram's IP fragments
    // into one frame (the lab's framesz holds it), which the lcores pass to the kernel in IP
    // fragments again (docs/dpdk.md, "Large datagrams"); checkException() sees its 413.
    const phone = startSipp('too-long', 'sipp-message-413.xml', 'alice',
      ['-key', 'big', 'x'.repeat(5000)]);
    await sippDone('too-long', phone);
  }
  check('refused messages: the page shows none of them',
    (await sipEntries(page)).length === before);

  // The page writes to a phone, through the chat form.
  {
    const s = 'from-page';
    const phone = startSipp(s, 'sipp-message-uas-200.xml', null);
    await waitListening(UAS_PORT);
    const text = `hello bob, ça va? ${Math.random().toString(36).slice(2, 8)}`;
    await page.locator('#chat-to').fill(`sip:bob@${lab.peer}:${UAS_PORT}`);
    await page.locator('#chat-input').fill(text);
    await page.locator('#chat-send').click();
    const entry = await checkSoon(`${s}: the page reports the phone's 200`, async (t) => {
      await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
        e.from === 'me' && e.text === w && e.status !== null), text,
      { timeout: t, polling: 100 });
      return (await sipEntries(page)).find((e) => e.text === text);
    }, 15_000);
    check(`${s}: delivered (${entry.status} ${entry.reason})`,
      entry.acked && !entry.failed && entry.status === 200 && entry.reason === 'OK');
    await sippDone(s, phone);
    const wire = sippMessages(phone);
    check(`${s}: the phone got the text from sip:alice@... as text/plain UTF-8`,
      wire.includes(text) && /From: <sip:alice@/.test(wire) &&
      wire.includes('Content-Type: text/plain;charset=UTF-8'), wire.slice(0, 800));
    const shown = await page.locator('#chat-log').innerText();
    check(`${s}: the chat shows "delivered (200 OK)"`, shown.includes('delivered (200 OK)'),
      shown);
    check(`${s}: the input was cleared`, (await page.locator('#chat-input').inputValue()) === '');
  }
  {
    const s = 'from-page-404';
    const phone = startSipp(s, 'sipp-message-uas-404.xml', null);
    await waitListening(UAS_PORT);
    const entry = await page.evaluate((to) => {
      const e = window.ponte.sendSipMessage(to, 'anybody called carol?');
      return e.error ? e : { id: e.id };
    }, `sip:carol@${lab.peer}:${UAS_PORT}`);
    check(`${s}: the page sends it`, !!entry && !entry.error, JSON.stringify(entry));
    const done = await checkSoon(`${s}: the page reports the 404`, async (t) => {
      await page.waitForFunction((id) => window.ponte.chatLog.some((e) => e.id === id &&
        e.status !== null), entry.id, { timeout: t, polling: 100 });
      return (await sipEntries(page)).find((e) => e.id === entry.id);
    }, 15_000);
    check(`${s}: not delivered (${done.status} ${done.reason})`,
      done.failed && !done.acked && done.status === 404);
    await sippDone(s, phone);
    const shown = await page.locator('#chat-log').innerText();
    check(`${s}: the chat shows "not delivered: 404 Not Found"`,
      shown.includes('not delivered: 404 Not Found'), shown);
    await screenshot(page, 'message-sent');
  }
  if (tap) await checkException('exception', dpBefore, tap);

  // What the gateway itself refuses (the raw request, past the page's own checks).
  {
    const to = `sip:bob@${lab.peer}:${UAS_PORT}`;
    const cases = [
      ['not a uri', 'hi', 'bad_target'],
      [`sip:bob@${lab.peer}?Subject=x`, 'hi', 'bad_target'],
      ['1234', 'hi', 'no_route'],
      [to, 'x'.repeat(1001), 'too_long'],
      [to, '', 'bad_text'],
      [to, 'bell \u0007', 'bad_text'],
    ];
    for (const [target, text, code] of cases) {
      const r = await page.evaluate(([t, x]) => window.ponte.sipMessageRequest(t, x),
        [target, text]);
      const isOk = !!r && r.type === 'error' && r.code === code;
      const what = `${JSON.stringify(target).slice(0, 40)} / ${text.length} chars`;
      report(isOk, `checks: ${what} -> ${code}`, isOk ? undefined : JSON.stringify(r));
    }
    const r = await page.evaluate(() => window.ponte.sendSipMessage('mailto:bob@example.com',
      'hi'));
    check('checks: the page itself refuses a target that is not SIP, and says so',
      !!r.error && !(await page.locator('#chat-error').isHidden()), JSON.stringify(r));
  }

  // A MESSAGE inside a call the page took.
  {
    const s = 'in-call';
    const phone = startSipp(s, 'sipp-message-in-call.xml', 'alice');
    await checkSoon(`${s}: the page rings`, (t) => page.waitForFunction(
      () => window.ponte.incoming !== null, null, { timeout: t, polling: 100 }), 10_000);
    await page.locator('#btn-accept').click();
    await checkSoon(`${s}: accepted: the call is answered`, (t) => waitState(page, 'answered', t),
      15_000);
    const peer = await page.evaluate(() => window.ponte.sipPeer);
    check(`${s}: the chat writes to the caller by default (${peer})`,
      new RegExp(`^sip:phone@${PEER_RE}:5070`).test(peer || '') &&
      (await page.locator('#chat-to').getAttribute('placeholder')) === peer);
    const want = `said during the call ${phone.pid}`;
    const got = await checkSoon(`${s}: the page has the phone's message`, async (t) => {
      await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
        e.text.includes(w)), want, { timeout: t, polling: 100 });
      return (await sipEntries(page)).find((e) => e.text.includes(want));
    }, 10_000);
    const session = await page.evaluate(() => window.ponte.session);
    check(`${s}: sent inside the call, from Desk Phone (${JSON.stringify(got)})`,
      got.inCall && got.who === 'Desk Phone');
    check(`${s}: the gateway tied it to the call's session ${session}`,
      !!session && got.session === session);
    note(`${s}: the phone's message came ${got.via === 'datachannel' ? 'on the data channel'
      : 'over signaling'}`);
    await checkSoon(`${s}: the phone hangs up`, (t) => page.waitForFunction(
      () => window.ponte.hungupReason === 'remote-bye', null, { timeout: t, polling: 100 }),
    15_000);
    await sippDone(s, phone);
  }
  await scenarioCallChat(page);
  await scenarioCallGone(page);
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  note(`GET /status: ${JSON.stringify(st.calls)}`);
  await page.context().close();
}

// --- the exception path (PONTE_E2E_DPDK) ---

// sip_sniff.py on the gateway's exception interface (lab.excIf, the TAP in lab.gwNs), for at
// most 90 s; resolves once it listens, to { stop }: stop() ends it and resolves to the SIP
// start lines that crossed the TAP, to and from the gateway's port 5060 (null if it failed).
async function startTapSniffer() {
  const child = spawn('ip', ['netns', 'exec', lab.gwNs, '/usr/bin/python3',
    join(here, 'sip_sniff.py'), lab.excIf, '5060', '90'], { stdio: ['pipe', 'pipe', 'inherit'] });
  onTearDown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin.on('error', () => {});
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const done = new Promise((resolve) => child.on('close', () => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    resolve(line ? JSON.parse(line) : null);
  }));
  for (let i = 0; i < 500 && !out.includes('ready') && child.exitCode === null; i++) {
    await sleep(10);
  }
  return {
    stop: () => {
      child.stdin.end();
      return done;
    },
  };
}

// The messages outside any call (to-page .. from-page-404) went through the exception path:
// each phone's MESSAGE and the gateway's answer, and the page's MESSAGEs and the phones'
// answers, crossed the TAP between the NIC and sofia-sip's socket (too-long's 5 kB MESSAGE
// too, over UDP: its 413 answer); and the lcores, which saw
// them all come in (the phones are behind the DPDK NIC), sent every frame of them to the
// kernel: none went through the pipeline, was punted or counted as media of no flow.
async function checkException(s, before, tap) {
  const seen = await tap.stop();
  const now = await dpSample();
  const d = dpDelta(before, now);
  note(`${s}: on the TAP ${JSON.stringify(seen)}; lcores ${JSON.stringify(d)}`);
  const to = (seen && seen.to_port) || [];
  const from = (seen && seen.from_port) || [];
  const count = (list, re) => list.filter((l) => re.test(l)).length;
  const toAlice = count(to, /^MESSAGE sip:alice@/);
  const toBob = count(from, /^MESSAGE sip:(bob|carol)@/);
  check(`${s}: the phones' MESSAGEs to the page reached the gateway through its TAP (${toAlice}, ` +
    `and ${count(to, /^MESSAGE sip:bob@/)} for nobody), its answers left through it ` +
    `(${from.filter((l) => l.startsWith('SIP/2.0 ')).join(', ')})`, toAlice >= 3 &&
    count(from, /^SIP\/2\.0 200 /) >= 1 && count(from, /^SIP\/2\.0 404 /) >= 1 &&
    count(from, /^SIP\/2\.0 415 /) >= 1 && count(from, /^SIP\/2\.0 413 /) >= 1);
  check(`${s}: the page's MESSAGEs to the phones left through the TAP (${toBob}), their answers ` +
    `came in through it (${to.filter((l) => l.startsWith('SIP/2.0 ')).join(', ')})`,
  toBob >= 2 && count(to, /^SIP\/2\.0 200 /) >= 1 && count(to, /^SIP\/2\.0 404 /) >= 1);
  check(`${s}: the lcores handed them to the kernel (${d.to_kernel} frames) and sent the ` +
    `kernel's out (${d.from_kernel}), none through the fast path (${d.fast_pkts} through the ` +
    `pipeline, ${d.punted} punted, ${d.no_flow} to no flow, ${d.input_pkts} through a socket)`,
  d.to_kernel >= to.length && d.from_kernel >= from.length && d.fast_pkts === 0 &&
    d.punted === 0 && d.no_flow === 0 && d.input_pkts === 0);
}

// Six lowercase letters or digits, for texts the phone's regexps know the shape of.
const nonce = () => Array.from({ length: 6 },
  () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');

// The page writes TEXT to the phone of its call (via: 'signaling', 'datachannel' or undefined:
// the page's choice) and waits for the outcome: the chat log entry once it has a status.
async function sendInCall(s, page, what, text, via) {
  const sent = await page.evaluate(([x, v]) => {
    const e = window.ponte.sendSipMessage('', x, v);
    return e.error ? e : { id: e.id, via: e.via, inCall: e.inCall };
  }, [text, via]);
  check(`${s}: ${what}: the page sends it in the call${via ? ` by ${via}` : ''} ` +
    `(${JSON.stringify(sent)})`, !!sent && !sent.error && sent.inCall &&
    (!via || sent.via === via));
  return checkSoon(`${s}: ${what}: the page has its outcome`, async (t) => {
    await page.waitForFunction((id) => window.ponte.chatLog.some((e) => e.id === id &&
      (e.status !== null || e.error)), sent.id, { timeout: t, polling: 100 });
    return (await sipEntries(page)).find((e) => e.id === sent.id);
  }, 15_000);
}

// A message of the phone's in the call: its chat log entry.
function phoneSaid(s, page, what, want) {
  return checkSoon(`${s}: ${what}: the page shows it`, async (t) => {
    await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
      e.from === 'peer' && e.text.includes(w)), want, { timeout: t, polling: 100 });
    return (await sipEntries(page)).find((e) => e.text.includes(want));
  }, 15_000);
}

// Frames written straight on the call's data channel, and the error frames that come back.
function channelErrors(page, frames) {
  return page.evaluate(async (list) => {
    const ch = window.ponte.channel();
    const got = [];
    const onMessage = (ev) => {
      try {
        const m = JSON.parse(ev.data);
        if (m.type === 'error') got.push(m);
      } catch (err) {
        got.push({ notJson: String(ev.data).slice(0, 80) });
      }
    };
    ch.addEventListener('message', onMessage);
    for (const f of list) ch.send(f === null ? new Uint8Array([1, 2, 3]) : f);
    for (let i = 0; i < 50 && got.length < list.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    ch.removeEventListener('message', onMessage);
    return got;
  }, frames);
}

// The page calls a phone and chats with it inside the call (sipp-call-message.xml).
async function scenarioCallChat(page) {
  const s = 'call-chat';
  const phone = startSipp(s, 'sipp-call-message.xml', null, ['-rtp_echo']);
  await waitListening(UAS_PORT);
  const target = `sip:bob@${lab.peer}:${UAS_PORT}`;
  await page.locator('#phone-to').fill(target);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the phone answers`, (t) => waitState(page, 'answered', t), 15_000);
  await checkSoon(`${s}: the call's data channel opens`, (t) => page.waitForFunction(() => {
    const ch = window.ponte.channel();
    return !!ch && ch.readyState === 'open';
  }, null, { timeout: t, polling: 100 }), 15_000);
  const session = await page.evaluate(() => window.ponte.session);

  const text1 = `in the call, by signaling: ça va? #${nonce()}`;
  const e1 = await sendInCall(s, page, 'by signaling', text1, 'signaling');
  check(`${s}: by signaling: delivered (${e1.status} ${e1.reason}), to ${e1.to}`,
    e1.acked && !e1.failed && e1.status === 200 && e1.reason === 'OK' && e1.to === target);

  // What the gateway refuses in the signaling form, before any MESSAGE leaves.
  for (const [to, text, extra, code] of [
    [null, 'hi', { session: 'g-nosuchsession' }, 'no_such_session'],
    [target, 'hi', { session }, 'bad_request'],
    [null, 'x'.repeat(1001), { session }, 'too_long'],
    [null, 'bell \u0007', { session }, 'bad_text'],
    [null, 42, { session }, 'bad_request'],
  ]) {
    const r = await page.evaluate(([a, b, c]) => window.ponte.sipMessageRequest(a, b, c),
      [to, text, extra]);
    const isOk = !!r && r.type === 'error' && r.code === code;
    report(isOk, `${s}: signaling ${JSON.stringify(extra).slice(0, 36)} ` +
      `${JSON.stringify(text).slice(0, 16)} -> ${code}`, isOk ? undefined : JSON.stringify(r));
  }

  const text2 = `in the call, by data channel #${nonce()}`;
  const e2 = await sendInCall(s, page, 'by data channel', text2, 'datachannel');
  check(`${s}: by data channel: delivered (${e2.status} ${e2.reason})`,
    e2.acked && !e2.failed && e2.status === 200 && e2.via === 'datachannel');

  // What the gateway refuses on the data channel: an error frame there, with the frame's id.
  const bad = [
    ['not json', 'bad_json', undefined],
    ['{"type":"chat","id":"e1","text":"hi"}', 'unknown_type', 'e1'],
    ['{"type":"sip_message","id":"e2","text":""}', 'bad_text', 'e2'],
    [`{"type":"sip_message","id":"e3","text":"${'x'.repeat(1001)}"}`, 'too_long', 'e3'],
    ['{"type":"sip_message","id":{"x":1},"text":"hi"}', 'bad_request', undefined],
    [null, 'bad_json', undefined], // a binary message
    [`{"type":"sip_message","id":"e4","text":"hi","pad":"${'p'.repeat(9000)}"}`, 'too_large',
      undefined], // over 8192 bytes: not read, so its id is not known
  ];
  const errors = await channelErrors(page, bad.map(([f]) => f));
  bad.forEach(([frame, code, id], i) => {
    const e = errors[i];
    const isOk = !!e && e.code === code && e.id === id;
    report(isOk, `${s}: data channel ${frame === null ? 'binary' : frame.slice(0, 40)} -> ` +
      `${code}${id ? ` (id ${id})` : ''}`, isOk ? undefined : JSON.stringify(errors));
  });

  const wantA = `said by the phone ${phone.pid} on the data channel`;
  const a = await phoneSaid(s, page, "the phone's message", wantA);
  check(`${s}: the phone's message came on the data channel, as the call's ` +
    `(${JSON.stringify(a)})`, a.via === 'datachannel' && a.inCall && a.session === session);

  // Without the data channel, the phone's messages come over signaling.
  await page.evaluate(() => window.ponte.channel().close());
  await checkSoon(`${s}: the page's data channel closes`, (t) => page.waitForFunction(
    () => window.ponte.channel().readyState === 'closed', null, { timeout: t, polling: 100 }),
  10_000);

  const text3 = `refused by the phone #${nonce()}`;
  const e3 = await sendInCall(s, page, 'refused', text3);
  check(`${s}: refused: sent over signaling now (${e3.via}), not delivered ` +
    `(${e3.status} ${e3.reason})`, e3.via === 'signaling' && e3.failed && !e3.acked &&
    e3.status === 488);

  const wantB = `said by the phone ${phone.pid} over signaling`;
  const b = await phoneSaid(s, page, "the phone's second message", wantB);
  check(`${s}: the phone's second message came over signaling, as the call's ` +
    `(${JSON.stringify(b)})`, b.via === 'signaling' && b.inCall && b.session === session);

  // A challenge the gateway cannot answer, and a message right behind it: nua sends a
  // dialog's requests one at a time, so the second waits for the first to be let go.
  const text4 = `challenged by the phone #${nonce()}`;
  const text5 = `after the challenge #${nonce()}`;
  const [e4, e5] = await Promise.all([
    sendInCall(s, page, 'challenged', text4, 'signaling'),
    sendInCall(s, page, 'after the challenge', text5, 'signaling'),
  ]);
  check(`${s}: challenged: not delivered (${e4.status} ${e4.reason})`,
    e4.failed && e4.status === 401 && e4.reason === 'Unauthorized');
  check(`${s}: after the challenge: delivered (${e5.status} ${e5.reason})`,
    e5.acked && e5.status === 200);

  const shown = await page.locator('#chat-log').innerText();
  check(`${s}: the chat shows the call's messages and how each fared`,
    shown.includes(wantA) && shown.includes(wantB) && shown.includes(text1) &&
    shown.includes('(in the call)') && shown.includes('not delivered: 401 Unauthorized') &&
    shown.includes('not delivered: 488 Not Acceptable Here'), shown);
  await screenshot(page, 'message-call-chat');

  // 404: the phone has no such dialog (RFC 5057 §5.1), so the call is over, without a BYE.
  const text6 = `unknown to the phone #${nonce()}`;
  const e6 = await sendInCall(s, page, 'unknown', text6);
  check(`${s}: unknown: not delivered (${e6.status} ${e6.reason})`,
    e6.failed && e6.status === 404 && e6.reason === 'Not Found');
  const ended = await checkSoon(`${s}: unknown: the call ends`, async (t) => {
    await waitState(page, 'failed', t);
    return page.evaluate(() => window.ponte.hungupStatus);
  }, 10_000);
  check(`${s}: unknown: with the phone's 404 and why (${JSON.stringify(ended)})`,
    !!ended && ended.status === 404 && ended.text.includes('no such dialog'));
  await sippDone(s, phone);
  const wire = sippMessages(phone);
  const count = (x) => wire.split(x).length - 1;
  check(`${s}: the phone got each text once, exactly as typed`,
    [text1, text2, text3, text4, text5, text6].every((x) => count(x) === 1),
    wire.slice(0, 1500));
  const r = await page.evaluate((id) => window.ponte.sipMessageRequest(null, 'hi',
    { session: id }), session);
  check(`${s}: after the call, its session is gone (${r.code})`,
    r.type === 'error' && r.code === 'no_such_session');
}

async function main() {
  let browser;
  try {
    browser = await launch('message');
  } catch (err) {
    report(false, 'launch Chromium', err.message);
    return;
  }
  await runScenario('message', scenarioMessages, browser);
}

await main();
await tearDown();

// The phone hangs up while the page's message in the call waits for its answer: the call is
// released with the MESSAGE pending, and the page still hears what became of it.
async function scenarioCallGone(page) {
  const s = 'call-gone';
  const phone = startSipp(s, 'sipp-call-message-bye.xml', null, ['-rtp_echo']);
  await waitListening(UAS_PORT);
  await page.locator('#phone-to').fill(`sip:carol@${lab.peer}:${UAS_PORT}`);
  await page.locator('#btn-dial').click();
  await checkSoon(`${s}: the phone answers`, (t) => waitState(page, 'answered', t), 15_000);
  const text = `left unanswered #${nonce()}`;
  const e = await sendInCall(s, page, 'unanswered', text, 'signaling');
  check(`${s}: unanswered: not delivered, the call went first (${e.status} ${e.reason})`,
    e.failed && e.status === 481 && /ended before the answer/.test(e.reason));
  await checkSoon(`${s}: the phone hung up`, (t) => page.waitForFunction(
    () => window.ponte.hungupReason === 'remote-bye', null, { timeout: t, polling: 100 }),
  10_000);
  await sippDone(s, phone);
  check(`${s}: the phone got the text`, sippMessages(phone).includes(text));
}
