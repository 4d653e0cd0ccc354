// Text chat over an RTCDataChannel (or anything with send(), readyState and the same events).
//
// Each message carries a random id and is acknowledged by the receiver; the sender repeats an
// unacknowledged message every RETRY_MS and the receiver drops repeats by id. A channel that
// has just opened can lose a message on some browsers (seen on Chromium when sending from
// ondatachannel), and the same logic will carry chat through a gateway that may drop data.
//
// Wire format (JSON text): {"t":"chat","id":ID,"text":TEXT} and {"t":"ack","id":ID}.
//
// The same log also carries SIP instant messages (phone mode, RFC 3428 MESSAGE through the
// gateway, docs/signaling.md "Instant messages"), whose delivery is the far end's SIP status,
// reported once. Such entries have sip: true. Outside a call they go over the signaling
// connection (receiveSip, sendSip). Inside a call with a phone (inCall: true) they go in the
// call's SIP dialog (sendSipInCall): on the call's data channel when it is open, as
// {"type":"sip_message","id":ID,"text":TEXT}, answered there with
// {"type":"sip_message_status","id":ID,"status":200,"reason":"OK",...} or
// {"type":"error","id":ID,"code":CODE,"text":...}; else over signaling with the call's
// session. The phone's messages in the call come on the data channel while it is open, as
// {"type":"sip_message","session":...,"from":...,"text":...,"in_call":true}, else over
// signaling. Entries say which way they went or came (via: 'datachannel' | 'signaling').
//
// Events: 'message' {entry} for a new message from the peer, 'ack' {entry} when the peer has
// one of ours, 'change' after any change to the log or to the channel state.

import { randomId } from './roomkey.js';

const RETRY_MS = 1000;
const MAX_TRIES = 15;
const MAX_TEXT = 2000;
// The gateway answers every MESSAGE within 32 s (RFC 3261 §17.1.2.2: 408 when nothing
// answered); a status later than this will not come (the data channel or call is gone).
const SIP_STATUS_TIMEOUT_MS = 40000;
// The gateway's limit for the text of a SIP MESSAGE, in bytes of UTF-8 (control/sip_message.h).
export const MAX_SIP_TEXT = 1000;

export class Chat extends EventTarget {
  constructor() {
    super();
    // Entries: {id, from: 'me' | 'peer' | 'system', text, time, acked, failed}, and for SIP
  // messages also sip: true, who (the sender as shown), sipFrom (its URI), to (ours: the
  // target), status and reason (the SIP final status), error (the gateway's error code),
  // and in a call inCall: true, session (the gateway session of the call) and via.
  // The test hook exposes the log.
    this.log = [];
    this.channel = null;
    this.seen = new Set();
    this.timer = 0;
  }

  get isOpen() {
    return !!this.channel && this.channel.readyState === 'open';
  }

  attach(channel) {
    this.detach();
    this.channel = channel;
    channel.addEventListener('open', this.onOpen);
    channel.addEventListener('close', this.onClose);
    channel.addEventListener('message', this.onMessage);
    if (channel.readyState === 'open') this.onOpen();
    this.changed();
  }

  // Forgets the channel; our messages the peer never acknowledged are marked failed.
  detach() {
    if (!this.channel) return;
    this.channel.removeEventListener('open', this.onOpen);
    this.channel.removeEventListener('close', this.onClose);
    this.channel.removeEventListener('message', this.onMessage);
    this.channel = null;
    this.stopRetry();
    for (const entry of this.log) {
      if (entry.from === 'me' && !entry.acked && !entry.sip) entry.failed = true;
      // The status of a SIP message sent on the channel would have come back on it.
      if (entry.sip && entry.from === 'me' && entry.via === 'datachannel' &&
          entry.status === null && !entry.error) {
        this.sipFailed(entry, 'no_status', 'the data channel closed before the status came');
      }
    }
    this.changed();
  }

  // Adds TEXT to the log and sends it; returns the log entry (entry.acked turns true later).
  send(text) {
    text = String(text).slice(0, MAX_TEXT);
    const entry = { id: randomId(9), from: 'me', text, time: Date.now(), acked: false,
      failed: !this.isOpen, tries: 0 };
    this.log.push(entry);
    if (this.isOpen) {
      this.transmit(entry);
      this.startRetry();
    }
    this.changed();
    return entry;
  }

  // Adds a local notice (call state changes) to the log; it is never sent.
  note(text) {
    this.log.push({ id: randomId(6), from: 'system', text, time: Date.now() });
    this.changed();
  }

  // A SIP MESSAGE from a phone (the gateway's sip_message frame, over signaling unless VIA
  // says otherwise); returns its log entry.
  receiveSip({ from, display, text, in_call: inCall, session }, via = 'signaling') {
    const entry = { id: randomId(9), from: 'peer', sip: true, sipFrom: String(from || ''),
      who: display || String(from || 'phone'), text: String(text || '').slice(0, MAX_TEXT),
      inCall: !!inCall, session: session || null, via, time: Date.now() };
    this.log.push(entry);
    this.dispatchEvent(new CustomEvent('message', { detail: { entry } }));
    this.changed();
    return entry;
  }

  // Sends TEXT as a SIP MESSAGE to TO (a sip: URI or a number) through SIG (signaling.js);
  // returns its log entry at once. entry.acked turns true when the far end answered 2xx,
  // entry.failed when it answered otherwise or the gateway refused the request.
  sendSip(sig, to, text) {
    const entry = { id: randomId(9), from: 'me', sip: true, to, text: String(text), time:
      Date.now(), acked: false, failed: false, status: null, reason: null, error: null };
    this.log.push(entry);
    this.changed();
    sig.sipMessage(to, entry.text).then((st) => this.sipStatus(entry, st),
      (err) => this.sipFailed(entry, err.code || 'not_sent', err.message));
    return entry;
  }

  // Sends TEXT to the phone of the current call, inside the call's SIP dialog: on the call's
  // data channel when it is open (VIA 'auto' or 'datachannel'), else through SIG (signaling.js)
  // as {type: 'sip_message', session: SESSION}. PEER is the phone's address, as shown. Returns
  // its log entry at once; entry.acked turns true when the phone answered 2xx, entry.failed
  // when it answered otherwise or the gateway refused the message.
  sendSipInCall({ sig, session, peer, text, via = 'auto' }) {
    const useChannel = via === 'datachannel' || (via === 'auto' && this.isOpen);
    const entry = { id: randomId(9), from: 'me', sip: true, inCall: true, session,
      to: peer || 'the phone', via: useChannel ? 'datachannel' : 'signaling', text: String(text),
      time: Date.now(), acked: false, failed: false, status: null, reason: null, error: null };
    this.log.push(entry);
    this.changed();
    if (!useChannel) {
      sig.request({ type: 'sip_message', session, text: entry.text }).then(
        (st) => this.sipStatus(entry, st), (err) => this.sipFailed(entry, err.code || 'not_sent',
          err.message));
      return entry;
    }
    if (!this.sendRaw({ type: 'sip_message', id: entry.id, text: entry.text })) {
      this.sipFailed(entry, 'not_sent', 'the data channel is not open');
      return entry;
    }
    entry.timer = setTimeout(() => {
      if (entry.status === null && !entry.error) {
        this.sipFailed(entry, 'no_status', 'no status came back');
      }
    }, SIP_STATUS_TIMEOUT_MS);
    return entry;
  }

  // The far end's final status for a SIP message of ours ({status, reason}).
  sipStatus(entry, { status, reason }) {
    clearTimeout(entry.timer);
    entry.status = status;
    entry.reason = reason || '';
    entry.acked = status >= 200 && status < 300;
    entry.failed = !entry.acked;
    if (entry.acked) this.dispatchEvent(new CustomEvent('ack', { detail: { entry } }));
    this.changed();
  }

  // The gateway did not send a SIP message of ours (CODE, its words TEXT).
  sipFailed(entry, code, text) {
    clearTimeout(entry.timer);
    entry.failed = true;
    entry.error = code;
    entry.reason = text || code;
    this.changed();
  }

  // A frame of the gateway's on a phone call's data channel (see the top of this file).
  onGatewayFrame(msg) {
    if (msg.type === 'sip_message') {
      this.receiveSip(msg, 'datachannel');
      return;
    }
    const entry = this.log.find((e) => e.sip && e.from === 'me' && e.via === 'datachannel' &&
      e.id === msg.id);
    if (!entry || entry.status !== null || entry.error) return;
    if (msg.type === 'sip_message_status' && typeof msg.status === 'number') {
      this.sipStatus(entry, msg);
    } else if (msg.type === 'error') {
      this.sipFailed(entry, String(msg.code || 'error'), msg.text);
    }
  }

  onOpen = () => {
    this.changed();
  };

  onClose = () => {
    this.stopRetry();
    this.changed();
  };

  onMessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (err) {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.type === 'string') {
      this.onGatewayFrame(msg);
      return;
    }
    if (typeof msg.id !== 'string') return;
    if (msg.t === 'chat' && typeof msg.text === 'string') {
      this.sendRaw({ t: 'ack', id: msg.id });
      if (this.seen.has(msg.id)) return;
      this.seen.add(msg.id);
      const entry = { id: msg.id, from: 'peer', text: msg.text.slice(0, MAX_TEXT),
        time: Date.now() };
      this.log.push(entry);
      this.dispatchEvent(new CustomEvent('message', { detail: { entry } }));
      this.changed();
    } else if (msg.t === 'ack') {
      const entry = this.log.find((e) => e.from === 'me' && e.id === msg.id);
      if (!entry || entry.acked) return;
      entry.acked = true;
      entry.failed = false;
      this.dispatchEvent(new CustomEvent('ack', { detail: { entry } }));
      this.changed();
    }
  };

  transmit(entry) {
    entry.tries += 1;
    this.sendRaw({ t: 'chat', id: entry.id, text: entry.text });
  }

  sendRaw(msg) {
    if (!this.isOpen) return false;
    try {
      this.channel.send(JSON.stringify(msg));
      return true;
    } catch (err) {
      return false;
    }
  }

  startRetry() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      let nbWaiting = 0;
      for (const entry of this.log) {
        if (entry.from !== 'me' || entry.acked || entry.failed) continue;
        if (entry.tries >= MAX_TRIES) {
          entry.failed = true;
          this.changed();
          continue;
        }
        this.transmit(entry);
        nbWaiting += 1;
      }
      if (nbWaiting === 0) this.stopRetry();
    }, RETRY_MS);
  }

  stopRetry() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}

// How a SIP message of ours fared, in words: '' while it waits for the far end.
export function sipStatusText(entry) {
  if (entry.error) return `not sent: ${entry.reason || entry.error}`;
  if (entry.status === null) return 'sending…';
  const sip = `${entry.status}${entry.reason ? ` ${entry.reason}` : ''}`;
  return entry.acked ? `delivered (${sip})` : `not delivered: ${sip}`;
}

// Bytes of TEXT in UTF-8, which is what the gateway counts.
export function utf8Length(text) {
  return new TextEncoder().encode(String(text)).length;
}
