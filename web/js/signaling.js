// Client of Ponte's JSON signaling protocol (docs/signaling.md) over one WebSocket.
//
// The connection reconnects by itself with exponential backoff and joins again the rooms it
// was in, under the same peer ids, so the layers above see a short "reconnecting" spell
// rather than a new identity. Browsers do not notice a silently dead TCP connection for
// minutes, so the client also sends JSON pings and reconnects when a pong is overdue.
//
// Events (all CustomEvent, payload in event.detail):
//   state        {state, attempt, delayMs}
//                state: 'connecting' | 'open' | 'reconnecting' | 'closed'
//   joined       the server's joined frame (also after each automatic rejoin; detail.rejoin true)
//   peer-joined  {room, peer}
//   peer-left    {room, peer, reason}
//   message      {room, from, data}
//   error        the server's error frame {code, text, tx, room?}; for a join that failed,
//                detail.room names the room and the room is forgotten (no rejoin)
//   session      a gateway session frame that answers no request of ours (docs/signaling.md,
//                "Gateway sessions"): offer, answer, candidate, call or hungup, with its
//                session id
//   registered   {name, uri}: the name this browser holds (also after each reconnect)
//   incoming     {call, from, display, to}: a phone calls us (docs/signaling.md,
//                "Incoming calls")
//   incoming-ended {call, reason}: that call stopped ringing here
//   sip-message  {from, display, to, text, in_call?}: a SIP MESSAGE from a phone to the name
//                we registered (docs/signaling.md, "Instant messages")

const PING_INTERVAL_MS = 15000;
const PONG_TIMEOUT_MS = 10000;
const JOIN_RETRY_CODES = new Set(['peer_taken', 'rate_limited', 'too_many_rooms']);

export function signalingUrl(loc = window.location, path = '/ws') {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${path}`;
}

export class Signaling extends EventTarget {
  constructor(url, { minDelayMs = 500, maxDelayMs = 15000 } = {}) {
    super();
    this.url = url;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.state = 'closed';
    this.ws = null;
    this.attempt = 0;
    this.nextTx = 1;
    this.pending = new Map(); // tx -> {resolve, reject, room?}
    this.rooms = new Map(); // room -> peer id we asked for (rejoined after a reconnect)
    this.joinMedia = new Map(); // room -> media mode asked for in its join ('relay'), if any
    this.joinedOnce = new Set(); // rooms joined at least once: a later join is a rejoin
    this.timers = { reconnect: 0, ping: 0, pong: 0 };
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    if (!this.ws) this.connect();
  }

  // Closes for good: no reconnect, pending requests are rejected.
  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'bye');
      this.ws = null;
    }
    this.failPending(new Error('signaling stopped'));
    this.setState('closed');
  }

  // Joins ROOM as PEER (a random id is chosen by the server when peer is omitted). Resolves
  // with the joined frame; rejects with an Error whose .code is the server's error code.
  // While disconnected, the join is queued and sent on the next connection. MEDIA ('p2p' or
  // 'relay') asks for the room's media mode; only the room's first member decides it, and the
  // joined frame's `media` says what the room has.
  join(room, peer, { media } = {}) {
    this.rooms.set(room, peer);
    if (media) this.joinMedia.set(room, media);
    else this.joinMedia.delete(room);
    if (this.state !== 'open') {
      return new Promise((resolve, reject) => {
        const onJoined = (ev) => {
          if (ev.detail.room !== room) return;
          cleanup();
          resolve(ev.detail);
        };
        const onError = (ev) => {
          if (ev.detail.room !== room) return;
          cleanup();
          reject(codedError(ev.detail));
        };
        const cleanup = () => {
          this.removeEventListener('joined', onJoined);
          this.removeEventListener('error', onError);
        };
        this.addEventListener('joined', onJoined);
        this.addEventListener('error', onError);
      });
    }
    return this.sendJoin(room, peer, false);
  }

  leave(room) {
    this.rooms.delete(room);
    this.joinMedia.delete(room);
    this.joinedOnce.delete(room);
    if (this.state !== 'open') return Promise.resolve();
    return this.request({ type: 'leave', room }).catch(() => {});
  }

  // Sends DATA (any JSON value) to peer TO in ROOM, or to every other member when TO is null.
  // Returns false when the socket is not open: signaling messages are not queued, because
  // the peer-connection layer repeats what matters (offers, ICE restarts) after a reconnect.
  send(room, to, data) {
    const frame = { type: 'message', room, data };
    if (to) frame.to = to;
    return this.sendFrame(frame);
  }

  // Sends FRAME (an object with a type) with a fresh tx and resolves with the server's reply
  // to it, or rejects with an Error whose .code is the server's error code. Used for the
  // gateway session requests (attach, offer, hangup); fails at once while disconnected.
  request(frame, room) {
    const tx = this.nextTx++;
    return new Promise((resolve, reject) => {
      if (!this.sendFrame({ ...frame, tx })) {
        reject(new Error('signaling not connected'));
        return;
      }
      this.pending.set(tx, { resolve, reject, room });
    });
  }

  // Sends FRAME as it is, without tx: for frames that need no reply (trickled candidates,
  // answers to the gateway's offers). Returns false when the socket is not open.
  sendFrame(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // --- internals ---

  connect() {
    this.clearTimers();
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      this.armPing();
      for (const [room, peer] of this.rooms) {
        this.sendJoin(room, peer, this.joinedOnce.has(room)).catch(() => {});
      }
      // The gateway forgets names with the connection: take ours again.
      if (this.sipName) this.sendRegister().catch(() => {});
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = () => this.onClose();
    // An error is always followed by close; nothing to do here.
    ws.onerror = () => {};
  }

  onClose() {
    this.ws = null;
    this.clearTimers();
    this.failPending(new Error('signaling connection lost'));
    if (this.stopped) {
      this.setState('closed');
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    // Full jitter keeps a gateway restart from being hit by every client at the same instant.
    const cap = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.attempt);
    const delayMs = Math.round(cap / 2 + Math.random() * cap / 2);
    this.attempt += 1;
    this.setState('reconnecting', { delayMs });
    this.timers.reconnect = setTimeout(() => this.connect(), delayMs);
  }

  // Be reachable from SIP phones as sip:NAME@gateway, now and after every reconnect.
  register(name) {
    this.sipName = name;
    return this.state === 'open' ? this.sendRegister() : Promise.resolve(null);
  }

  // Sends TEXT to TO (a sip: URI or a number) as a SIP MESSAGE from the name we registered
  // (else "ponte"). Resolves with {status, reason, to} once the far end answered (2xx:
  // delivered), rejects with the gateway's error code (bad_target, too_long, no_route, ...).
  sipMessage(to, text) {
    return this.request({ type: 'sip_message', to, text });
  }

  sendRegister() {
    return this.request({ type: 'register', name: this.sipName }).then((reg) => {
      this.emit('registered', reg);
      return reg;
    }, (err) => {
      if (err.code) {
        this.sipName = null;
        this.emit('error', { ...err.frame, register: true });
      }
      throw err;
    });
  }

  sendJoin(room, peer, isRejoin) {
    const frame = { type: 'join', room };
    if (peer) frame.peer = peer;
    if (this.joinMedia.has(room)) frame.media = this.joinMedia.get(room);
    return this.request(frame, room).then(
      (joined) => {
        if (joined.peer && this.rooms.has(room)) this.rooms.set(room, joined.peer);
        this.joinedOnce.add(room);
        this.emit('joined', { ...joined, rejoin: isRejoin });
        return joined;
      },
      (err) => {
        if (err.code === 'already_joined') {
          return null;
        }
        if (isRejoin && JOIN_RETRY_CODES.has(err.code) && this.rooms.has(room)) {
          // After a reconnect the server may not yet have noticed our old connection
          // (peer_taken until its dead-peer timeout): try again a little later.
          setTimeout(() => {
            if (this.state === 'open' && this.rooms.has(room)) {
              this.sendJoin(room, peer, true).catch(() => {});
            }
          }, 2000);
        } else if (err.code) {
          this.rooms.delete(room);
          this.emit('error', { ...err.frame, room });
        }
        throw err;
      });
  }

  onFrame(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      console.warn('signaling: frame is not JSON', text);
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    const waiter = msg.tx !== undefined ? this.pending.get(msg.tx) : undefined;
    if (waiter) {
      this.pending.delete(msg.tx);
      if (msg.type === 'error') waiter.reject(codedError(msg));
      else waiter.resolve(msg);
      return;
    }
    switch (msg.type) {
    case 'pong':
      clearTimeout(this.timers.pong);
      this.timers.pong = 0;
      break;
    case 'peer-joined':
    case 'peer-left':
    case 'message':
    case 'incoming':
    case 'incoming-ended':
      this.emit(msg.type, msg);
      break;
    case 'sip_message':
      this.emit('sip-message', msg);
      break;
    case 'error':
      this.emit('error', msg);
      break;
    case 'offer':
    case 'answer':
    case 'candidate':
    case 'call':
    case 'hungup':
      if (typeof msg.session === 'string') this.emit('session', msg);
      break;
    default:
      console.debug('signaling: ignoring frame', msg);
    }
  }

  armPing() {
    this.timers.ping = setInterval(() => {
      if (this.timers.pong) return;
      if (!this.sendFrame({ type: 'ping', tx: 'keepalive' })) return;
      this.timers.pong = setTimeout(() => {
        // No pong: the link is dead even if the browser has not noticed. Closing fires
        // onclose later; drop the socket now so that the reconnect starts at once.
        const ws = this.ws;
        if (!ws) return;
        ws.onclose = null;
        ws.close(4000, 'pong timeout');
        this.onClose();
      }, PONG_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  clearTimers() {
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.timers = { reconnect: 0, ping: 0, pong: 0 };
  }

  failPending(err) {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }

  setState(state, extra = {}) {
    this.state = state;
    this.emit('state', { state, attempt: this.attempt, ...extra });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function codedError(frame) {
  const err = new Error(frame.text || frame.code || 'signaling error');
  err.code = frame.code;
  err.frame = frame;
  return err;
}
