// A call with the gateway itself: one RTCPeerConnection whose far end is Ponte, which
// terminates ICE, DTLS-SRTP and SCTP and hands the media to a service (docs/signaling.md,
// "Gateway sessions"): `echo` sends our media and data channel messages back, `relay` forwards
// them to the other members of a relayed room and theirs to us, `sip` calls the SIP phone
// named by `to`, or takes the incoming call `callId` (audio only: kinds ['audio']; app.js asks
// for the data channel, `chat`, which carries the call's instant messages as JSON
// `sip_message` frames both ways, answered with `sip_message_status`: docs/sip.md,
// "Messages").
//
// Same surface as PeerCall (call.js), so app.js treats both alike:
//   start(), close(), pc, channel, connectionState,
//   events 'state' {state}, 'track' {track, streams}, 'channel' {channel},
// plus 'hungup' {reason, text, status} when the gateway ends the session by itself
// (ice-failed, consent-lost, dtls-failed, media-timeout, shutdown; for `sip` also sip-status
// with the phone's SIP status and text, remote-bye, bad-sdp; or a failed attach/offer: then
// the reason is the error code and detail.text the server's text), and for `sip` 'call'
// {state, status, reason}, the call's progress (calling, ringing, early, answered).
//
// The exchange, all through the signaling client (signaling.js):
//   attach {service, room?}  -> attached {session}
//   offer {session, sdp}     -> answer {session, sdp}        (we offer first)
//   candidate {session, candidate, mid} both ways, "" for the end of candidates (RFC 8838)
//   offer from the gateway   -> answer {session, sdp}        (renegotiation)
//   sip: offer {session, sdp} is not answered at once: call frames report the progress and
//   an answer frame without tx follows when the phone answers (or sends early media)
//   hangup {session}         -> hungup {session, reason}
// Every description and remote candidate is applied in order through one promise chain, so
// a gateway offer that arrives while ours is unanswered waits for the answer, and candidates
// that arrive before the gateway's answer wait for it (the gateway trickles as soon as it
// has our offer, sometimes before its answer frame).
//
// The session lives on the signaling connection: when that connection is lost the gateway
// ends the session without a word, so app.js starts a new call after the rejoin.

export class GatewayCall extends EventTarget {
  constructor({ sig, service, room = null, to = null, callId = null, kinds = ['audio', 'video'],
    hasChannel = true, localStream, rtcConfig = {} }) {
    super();
    this.sig = sig;
    this.service = service;
    this.room = room;
    this.to = to; // the sip: URI to call (service sip)
    this.callId = callId; // or the incoming call to take (service sip)
    this.kinds = kinds; // the media kinds we receive even without a local track of that kind
    this.hasChannel = hasChannel;
    this.localStream = localStream;
    this.rtcConfig = rtcConfig;
    this.pc = null;
    this.channel = null;
    this.session = null; // the gateway's session id, once attached
    this.isClosed = false;
    this.isOffering = false;
    this.localCandidates = []; // gathered before the session id was known
    this.queue = Promise.resolve();
    this.onSessionFrame = (ev) => this.handleFrame(ev.detail);
  }

  get connectionState() {
    return this.pc ? this.pc.connectionState : 'closed';
  }

  start() {
    const pc = new RTCPeerConnection(this.rtcConfig);
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => this.sendCandidate(candidate);
    pc.ontrack = ({ track, streams }) => this.emit('track', { track, streams });
    pc.onconnectionstatechange = () => this.emit('state', { state: pc.connectionState });
    pc.onnegotiationneeded = () => {
      // The first offer is made in attach(); later ones (ICE restart, a track added) come
      // through here.
      if (this.session) this.enqueue(() => this.offer());
    };
    pc.oniceconnectionstatechange = () => {
      // New credentials in our offer restart ICE at the gateway too (docs/signaling.md).
      if (pc.iceConnectionState === 'failed' && this.session) pc.restartIce();
    };
    if (this.localStream && this.localStream.getTracks().length > 0) {
      for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    }
    // Receive each kind even when we have no camera or microphone.
    for (const kind of this.kinds) {
      if (!pc.getTransceivers().some((t) => t.receiver.track.kind === kind)) {
        pc.addTransceiver(kind, { direction: 'recvonly' });
      }
    }
    // An in-band (DCEP) channel: the gateway learns it from the DATA_CHANNEL_OPEN message.
    if (this.hasChannel) {
      this.channel = pc.createDataChannel('chat');
      this.emit('channel', { channel: this.channel });
    }
    this.sig.addEventListener('session', this.onSessionFrame);
    this.emit('state', { state: pc.connectionState });
    this.enqueue(() => this.attach());
  }

  async attach() {
    const frame = { type: 'attach', service: this.service };
    if (this.room) frame.room = this.room;
    if (this.to) frame.to = this.to;
    if (this.callId) frame.call = this.callId;
    let attached;
    try {
      attached = await this.sig.request(frame);
    } catch (err) {
      this.fail(err.code || 'signaling', err.message);
      return;
    }
    if (this.isClosed) {
      this.sig.sendFrame({ type: 'hangup', session: attached.session });
      return;
    }
    this.session = attached.session;
    console.info(`gateway: attached ${this.service}, session ${this.session}`);
    await this.offer();
  }

  async offer() {
    const pc = this.pc;
    if (this.isClosed || pc.signalingState !== 'stable') return;
    this.isOffering = true;
    let reply;
    try {
      await pc.setLocalDescription();
      // request() sends the frame at once: from here on the gateway has the offer, so the
      // candidates held back meanwhile can follow it.
      reply = this.sig.request({ type: 'offer', session: this.session,
        sdp: pc.localDescription.sdp });
    } finally {
      this.isOffering = false;
    }
    this.flushCandidates();
    if (this.service === 'sip') {
      // The answer comes as a frame of its own once the phone answers (handleFrame); only a
      // refused offer replies to the request. Not awaited: the queue must not wait for the
      // phone to pick up.
      reply.catch((err) => {
        if (!this.isClosed && err.code) this.fail(err.code, err.message);
      });
      return;
    }
    let answer;
    try {
      answer = await reply;
    } catch (err) {
      if (this.isClosed) return;
      if (err.code === 'conflict') {
        // Glare: the gateway's offer crossed ours and wins (it is queued behind this step).
        // Ours is rolled back; once theirs is answered, negotiationneeded asks again.
        await pc.setLocalDescription({ type: 'rollback' });
        return;
      }
      if (err.code) {
        this.fail(err.code, err.message);
      } else {
        // Signaling lost: the gateway has forgotten the session with the connection.
        console.warn('gateway: offer not answered', err);
      }
      return;
    }
    if (this.isClosed) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  flushCandidates() {
    for (const candidate of this.localCandidates.splice(0)) this.sendCandidate(candidate);
  }

  // Our candidates, trickled as they come (RFC 8838); null is the end of them.
  sendCandidate(candidate) {
    if (this.isClosed) return;
    if (!this.session || this.isOffering) {
      // Before the offer is on its way a candidate would name a session the gateway does
      // not know yet, or precede the offer it belongs to: hold it until then.
      this.localCandidates.push(candidate);
      return;
    }
    this.sig.sendFrame({
      type: 'candidate',
      session: this.session,
      candidate: candidate ? candidate.candidate : '',
      mid: candidate && candidate.sdpMid !== null ? candidate.sdpMid : undefined,
    });
  }

  handleFrame(msg) {
    if (msg.session !== this.session || this.isClosed) return;
    switch (msg.type) {
    case 'candidate':
      this.enqueue(() => this.addRemoteCandidate(msg));
      break;
    case 'offer':
      this.enqueue(() => this.answerOffer(msg.sdp));
      break;
    case 'answer':
      // sip: the phone's answer, turned into one for us by the gateway.
      this.enqueue(() => this.applyAnswer(msg.sdp));
      break;
    case 'call':
      this.emit('call', { state: msg.state, status: msg.status, reason: msg.reason,
        digit: msg.digit });
      break;
    case 'hungup':
      this.fail(msg.reason || 'hangup', msg.text, msg.status);
      break;
    default:
      break;
    }
  }

  async addRemoteCandidate({ candidate, mid }) {
    const pc = this.pc;
    if (this.isClosed) return;
    try {
      if (!candidate) {
        await pc.addIceCandidate(); // end of candidates
      } else {
        const init = { candidate, sdpMid: mid !== undefined ? String(mid) : null };
        if (init.sdpMid === null) init.sdpMLineIndex = 0;
        await pc.addIceCandidate(init);
      }
    } catch (err) {
      console.warn('gateway: candidate rejected', candidate, err);
    }
  }

  async applyAnswer(sdp) {
    const pc = this.pc;
    if (this.isClosed || pc.signalingState !== 'have-local-offer') return;
    await pc.setRemoteDescription({ type: 'answer', sdp });
  }

  // The RTCDTMFSender of our audio (RFC 4733 events, carried to the phone by the gateway),
  // or null without a microphone track.
  get dtmf() {
    const sender = this.pc && this.pc.getSenders().find((s) => s.track && s.track.kind === 'audio');
    return sender ? sender.dtmf : null;
  }

  // Hold (RFC 3264 §8.4): our audio becomes sendonly (we keep sending, we stop receiving);
  // resume makes it sendrecv again. The re-offer goes through negotiationneeded; for `sip`
  // the gateway answers at once and re-INVITEs the phone, then reports 'hold' or 'resumed'
  // with reason 'browser' in a call event.
  setHold(isHeld) {
    const t = this.pc && this.pc.getTransceivers().find((tr) =>
      tr.receiver.track.kind === 'audio' && !tr.stopped);
    if (!t) return false;
    const sends = !!(t.sender.track);
    const want = isHeld ? (sends ? 'sendonly' : 'inactive') : (sends ? 'sendrecv' : 'recvonly');
    if (t.direction === want) return false;
    t.direction = want;
    return true;
  }

  async answerOffer(sdp) {
    const pc = this.pc;
    if (this.isClosed) return;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription();
      this.sig.sendFrame({ type: 'answer', session: this.session, sdp: pc.localDescription.sdp });
    } catch (err) {
      console.warn('gateway: cannot answer the gateway offer', err);
    }
  }

  enqueue(fn) {
    this.queue = this.queue.then(fn).catch((err) => {
      console.warn('gateway: negotiation step failed', err);
    });
    return this.queue;
  }

  // The session is over on the gateway's side (or never started).
  fail(reason, text, status) {
    if (this.isClosed) return;
    console.info(`gateway: session ${this.session} ended: ${reason}` +
      `${status ? ` ${status}` : ''}${text ? ` (${text})` : ''}`);
    this.session = null;
    this.shutdown();
    this.emit('hungup', { reason, text, status });
  }

  // Ends the call from our side: tells the gateway, closes the connection.
  close() {
    if (this.isClosed) return;
    if (this.session) {
      this.sig.request({ type: 'hangup', session: this.session }).catch(() => {});
    }
    this.shutdown();
  }

  shutdown() {
    this.isClosed = true;
    this.sig.removeEventListener('session', this.onSessionFrame);
    if (!this.pc) return;
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = null;
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    this.emit('state', { state: 'closed' });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
