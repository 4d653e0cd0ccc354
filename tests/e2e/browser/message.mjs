// SPDX-License-Identifier: MIT
//
// Browser end-to-end test of SIP instant messages (RFC 3428 MESSAGE) between SIPp phones and a
// browser that registered a name (/?mode=phone&name=alice, reachable as sip:alice@gateway).
// The daemon's SIP side is on 127.0.0.1:5060 in the namespace run.sh made; SIPp writes from
// 127.0.0.1:5070 and takes messages on 127.0.0.1:5072.
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
//               sends a MESSAGE inside the call: 200, shown in the page; during the call the
//               chat writes to that phone by default; then the phone hangs up.
// Run by run.sh (`run.sh PONTE message`), which starts the daemon with SIP on.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, checkSoon, launch, note, onTearDown, openPage, opts, report, runScenario,
  screenshot, setUp, sleep, tearDown, waitState,
} from './lib.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const here = dirname(fileURLToPath(import.meta.url));
const UAS_PORT = 5072;

setUp('message.mjs', OVERALL_TIMEOUT_MS);
const { baseUrl } = opts;

// One SIPp run (-m 1) of SCENARIO: a UAC writing to sip:USER@127.0.0.1:5060 from port 5070, or
// (user null) a UAS waiting on UAS_PORT. extra: more SIPp arguments.
function startSipp(name, scenario, user, extra = []) {
  const logPath = join(opts.out, `sipp-${name}.log`);
  const messages = join(opts.out, `sipp-${name}-messages.log`);
  const fd = openSync(logPath, 'w');
  const args = ['-sf', join(here, scenario), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-m', '1',
    '-nostdin', '-timeout', '40s', '-timeout_error', '-trace_err', '-error_file',
    join(opts.out, `sipp-${name}-errors.log`), '-trace_msg', '-message_file', messages,
    ...extra];
  if (user) args.push('-s', user, '-p', '5070', '-mp', '6000', '-rtp_echo', '127.0.0.1:5060');
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

// Whether SIPp listens on its UDP port yet (our MESSAGE must not meet a closed port).
async function waitListening(port) {
  const { createSocket } = await import('node:dgram');
  for (let i = 0; i < 50; i++) {
    const isFree = await new Promise((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (!isFree) return;
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
    !!reg && reg.uri === 'sip:alice@127.0.0.1:5060');
  check('the chat is shown in phone mode, with a To field',
    (await page.locator('#chat-log').isVisible()) && (await page.locator('#chat-to').isVisible()));

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
      /^sip:phone@127\.0\.0\.1:5070/.test(got.sipFrom) && !got.inCall);
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
    await page.locator('#chat-to').fill(`sip:bob@127.0.0.1:${UAS_PORT}`);
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
    }, `sip:carol@127.0.0.1:${UAS_PORT}`);
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

  // What the gateway itself refuses (the raw request, past the page's own checks).
  {
    const to = `sip:bob@127.0.0.1:${UAS_PORT}`;
    const cases = [
      ['not a uri', 'hi', 'bad_target'],
      ['sip:bob@127.0.0.1?Subject=x', 'hi', 'bad_target'],
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
      /^sip:phone@127\.0\.0\.1:5070/.test(peer || '') &&
      (await page.locator('#chat-to').getAttribute('placeholder')) === peer);
    const want = `said during the call ${phone.pid}`;
    const got = await checkSoon(`${s}: the page has the phone's message`, async (t) => {
      await page.waitForFunction((w) => window.ponte.chatLog.some((e) => e.sip &&
        e.text.includes(w)), want, { timeout: t, polling: 100 });
      return (await sipEntries(page)).find((e) => e.text.includes(want));
    }, 10_000);
    check(`${s}: sent inside the call, from Desk Phone (${JSON.stringify(got)})`,
      got.inCall && got.who === 'Desk Phone');
    await checkSoon(`${s}: the phone hangs up`, (t) => page.waitForFunction(
      () => window.ponte.hungupReason === 'remote-bye', null, { timeout: t, polling: 100 }),
    15_000);
    await sippDone(s, phone);
  }
  const st = await fetch(`${baseUrl}/status`).then((r) => r.json(), (e) => ({ error: e.message }));
  note(`GET /status: ${JSON.stringify(st.calls)}`);
  await page.context().close();
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
