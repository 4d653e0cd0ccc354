// UI wiring of the Ponte web client: the room key in the URL, the camera, the signaling
// connection, one call at a time and the chat. The pieces it wires know nothing of the page:
//   signaling.js  JSON protocol over a WebSocket, reconnecting and rejoining by itself
//   call.js       one RTCPeerConnection to one partner (perfect negotiation)
//   chat.js       text chat with acknowledgements over the call's data channel
//   media.js      getUserMedia and its errors
//   gateway.js    one RTCPeerConnection to the gateway itself (echo, relay and sip services)
//   phone.js      the SIP address check, the dial pad and the call progress words
// The call mode (CALL_MODES) is chosen before the call, by the switch on the page or by the
// URL (?mode=echo, ?mode=relay, ?mode=phone; peer-to-peer without one):
//   p2p    two people in a room call each other; the gateway carries only signaling;
//   echo   one connection to the gateway, which sends our media and chat back;
//   relay  the room is relayed ("media": "relay" in the join): one connection to the
//          gateway, which forwards the media and chat of the room's other members;
//   phone  calls a SIP phone through the gateway (service sip), audio only: the user
//          types a sip: URI (?to=sip:... fills it in) and presses Call; the dial pad sends
//          DTMF (RFC 4733, RTCDTMFSender) once the phone has answered. Phones call the page
//          at the name it registers (?name=NAME), and, when it was opened with a room key
//          (?mode=phone#KEY), at sip:room-KEY@gateway: the page is then in room KEY (as peer
//          phone-..., which the room's video pages leave alone), every such page rings and
//          the first to accept takes the call; the others are told who took it.
//
// Besides the call's own messages (call.js), partners send each other {bye: true} on hang up
// and {bye: 'closed'} when the page goes away, so that the other side need not wait for the
// server's peer-left.
//
// Test hook for the end-to-end tests (tests/e2e/browser/*.mjs), stable on purpose:
//   window.ponte.pc()            the current RTCPeerConnection, or null
//   window.ponte.state           short state code: 'media' | 'media-error' | 'joining' |
//                                'waiting' | 'connecting' | 'connected' | 'interrupted' |
//                                'peer-left' | 'reconnecting' | 'room-full' | 'room-busy' |
//                                'ended' | 'hungup' | 'error'; in phone mode also
//                                'signaling' | 'ready' | 'dialling' | 'calling' | 'ringing' |
//                                'early' | 'answered' | 'failed'
//   window.ponte.mode            'p2p' | 'echo' | 'relay' | 'phone'
//   window.ponte.callProgress    phone: the last call event {state, status, reason}, or null
//   window.ponte.hungupStatus    phone: {status, text} of a call the phone refused, or null
//   window.ponte.dtmfTones       phone: the tones played so far (ontonechange), e.g. ['1','#']
//   window.ponte.dtmf()          phone: the call's RTCDTMFSender, or null
//   window.ponte.dtmfReceived    phone: the keys the phone pressed (RFC 4733), e.g. ['5']
//   window.ponte.hold            phone: {me, phone}: whether we asked to hold (the Hold
//                                button) and whether the phone holds the call (re-INVITE
//                                sendonly/inactive), and confirmed: the phone accepted ours
//   window.ponte.setHold(on)     phone: the Hold / Resume button
//   window.ponte.transferredTo   phone: the URI the phone transferred the call to (REFER), or
//                                null
//   window.ponte.sipName         phone: {name, uri} registered (?name=NAME registers at
//                                load), or null
//   window.ponte.incoming        phone: the call ringing here {call, from, display, to}, or null
//   window.ponte.sendSipMessage(to, text, via)  phone: what the chat's Send does: a SIP
//                                MESSAGE to `to` (a sip: URI or a number; '' or null: the
//                                current call's phone, else whoever wrote last); to the phone
//                                of an answered call it goes in the call's dialog, on the data
//                                channel or over signaling (via: 'datachannel', 'signaling';
//                                default: the channel when open); returns its chat log entry,
//                                or {error} when the target is not usable
//   window.ponte.sipMessageRequest(to, text, extra)  phone: the raw sip_message request,
//                                without the page's checks (to null: none; extra: more fields,
//                                e.g. {session}); resolves with the gateway's reply
//                                (sip_message_status, or {type: 'error', code, text})
//   window.ponte.sipPeer         phone: whom an empty To sends to, or null
//   window.ponte.accept()        phone: take the ringing call (the Accept button)
//   window.ponte.decline(status) phone: refuse it with a SIP status (Decline: 603)
//   window.ponte.incomingEnded   phone: why the last call stopped ringing here
//                                {call, reason, by?, text} (by: who took it), or null
//   window.ponte.roomCalls       phone: {room, uri, isJoined} when the page takes the calls
//                                of room KEY (#KEY), or null
//   window.ponte.session         the gateway session id (echo, relay), or null
//   window.ponte.hungupReason    why the gateway ended the last session ('consent-lost', ...)
//   window.ponte.channel()       the call's RTCDataChannel, or null
//   window.ponte.members         the other members of the room (relay), array of peer ids
//   window.ponte.stateText       the call-state line as shown
//   window.ponte.sendChat(text)  sends a chat message; returns its log entry
//   window.ponte.chatLog         array of {id, from: 'me'|'peer'|'system', text, time,
//                                acked?, failed?}; live (entries are appended)
//   window.ponte.roomKey, window.ponte.peerId, window.ponte.partner
//   window.ponte.signalingState  'connecting' | 'open' | 'reconnecting' | 'closed'
//   window.ponte.nbJoins         joined replies so far (rejoins after a reconnect included)
//   window.ponte.dropSignaling() closes the WebSocket as a network loss would (the client
//                                then reconnects and rejoins by itself)

import { Signaling, signalingUrl } from './signaling.js';
import { PeerCall } from './call.js';
import { GatewayCall } from './gateway.js';
import { Chat, MAX_SIP_TEXT, sipStatusText, utf8Length } from './chat.js';
import { getLocalMedia } from './media.js';
import {
  PHONE_PEER_PREFIX, PROGRESS_TEXT, buildDialPad, incomingEndedText, incomingText,
  isPhoneMember, parseSipTarget, roomOfTarget, roomSipUri,
} from './phone.js';
import { newRoomKey, randomId, roomKeyFromHash } from './roomkey.js';

// The call modes. A mode with a `service` is a call with the gateway (gateway.js), started
// as soon as the room is joined; `media` is the room's media mode asked for in the join;
// `peerName` names, in the chat and under the remote video, whoever is at the other end.
const CALL_MODES = {
  p2p: {
    label: 'Peer to peer',
    peerName: 'partner',
    create: (opts) => new PeerCall(opts),
  },
  echo: {
    label: 'Echo through the gateway',
    service: 'echo',
    peerName: 'echo',
    create: (opts) => new GatewayCall({ ...opts, service: 'echo', room: null }),
  },
  relay: {
    label: 'Relayed room',
    service: 'relay',
    media: 'relay',
    peerName: 'partner',
    create: (opts) => new GatewayCall({ ...opts, service: 'relay' }),
  },
  phone: {
    label: 'Call a phone',
    service: 'sip',
    peerName: 'phone',
    isDialled: true, // no room: the call starts when the user presses Call
    // The data channel carries the chat to the phone, as SIP MESSAGEs in the call (chat.js).
    create: (opts) => new GatewayCall({ ...opts, service: 'sip', room: null, kinds: ['audio'],
      hasChannel: true }),
  },
};

// Why the gateway may end a session (docs/signaling.md), for the notice.
const HUNGUP_TEXT = {
  hangup: 'the session was hung up',
  'ice-failed': 'no network path to the gateway was found (ICE failed)',
  'consent-lost': 'the gateway stopped hearing from this browser (consent lost)',
  'dtls-failed': 'the encryption handshake failed (DTLS)',
  'media-timeout': 'no media reached the gateway for too long',
  'session-expired': 'the phone did not refresh the session (SIP session timer)',
  shutdown: 'the gateway is shutting down',
  closed: 'the signaling connection closed',
  not_relay_room: 'this room is not relayed by the gateway',
  unknown_service: 'the gateway does not offer this service',
  too_many_sessions: 'the gateway has too many sessions',
  bad_sdp: 'the gateway refused the offer',
  sip_disabled: 'the gateway does not call phones (its SIP side is off)',
  bad_request: 'the gateway refused the request',
  'remote-bye': 'the phone hung up',
  'bad-sdp': "the phone's answer could not be used (SDP)",
  'sip-status': 'the phone refused the call',
  no_such_call: 'the call was answered elsewhere or ended before you took it',
};

// Two people per call in this client; a third one is told the room is busy.
const MAX_PARTICIPANTS = 2;

const STATE_TEXT = {
  media: 'asking for camera and microphone…',
  'media-error': 'no camera or microphone',
  joining: 'joining the room…',
  waiting: 'waiting for a partner — share the link below',
  connecting: 'connecting…',
  connected: 'connected',
  interrupted: 'connection interrupted — trying to recover…',
  'peer-left': 'peer left — waiting for a partner',
  reconnecting: 'signaling lost — reconnecting…',
  'room-full': 'room full',
  'room-busy': 'room busy',
  ended: 'call ended',
  hungup: 'the gateway ended the call',
  error: 'error',
  // Phone mode.
  signaling: 'connecting to the gateway…',
  ready: 'ready: enter a SIP address and press Call',
  dialling: 'placing the call…',
  ...PROGRESS_TEXT,
  failed: 'call failed',
};

const $ = (id) => document.getElementById(id);

const ui = {
  state: $('state'),
  notice: $('notice'),
  noticeText: $('notice-text'),
  noticeActions: $('notice-actions'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  remoteCaption: $('remote-caption'),
  localCaption: $('local-caption'),
  playRemote: $('play-remote'),
  mic: $('btn-mic'),
  cam: $('btn-cam'),
  hangup: $('btn-hangup'),
  callAgain: $('btn-call'),
  shareUrl: $('share-url'),
  copy: $('btn-copy'),
  chatLog: $('chat-log'),
  chatForm: $('chat-form'),
  chatInput: $('chat-input'),
  chatSend: $('chat-send'),
  chatTo: $('chat-to'), // phone mode: the SIP address messages go to
  chatToRow: $('chat-to-row'),
  chatError: $('chat-error'),
  modes: $('modes'),
  share: $('share'),
  phone: $('phone'),
  phoneForm: $('phone-form'),
  phoneTo: $('phone-to'),
  phoneError: $('phone-error'),
  dial: $('btn-dial'),
  dialPad: null, // buildDialPad()'s handle, phone mode only
  dtmfSent: $('dtmf-sent'),
  sipName: $('sip-name'),
  sipNameStatus: $('sip-name-status'),
  incoming: $('incoming'),
  incomingText: $('incoming-text'),
  incomingEnded: $('incoming-ended'),
  roomStatus: $('room-status'), // phone mode with a room key: where phones reach the room
};

const app = {
  mode: modeFromUrl(),
  roomKey: null,
  peerId: randomId(9),
  localStream: null,
  sig: null,
  isJoined: false,
  nbJoins: 0,
  isInRoom: false, // we asked to be in the room (join sent, no leave since)
  partner: null,
  isPartnerAway: false, // the partner's signaling dropped but the media may still flow
  members: new Set(), // the room's other members (gateway modes)
  hungupReason: null,
  call: null,
  chat: new Chat(),
  // Set when the call cannot go on until the user acts: room-full, room-busy, ended, ...
  stopState: null,
  stopText: null, // replaces STATE_TEXT[stopState] when set (the SIP status of a failed call)
  lastState: null,
  callProgress: null, // phone: the last call event
  hold: { me: false, phone: false, confirmed: false }, // phone: see window.ponte.hold
  transferredTo: null, // phone: where the phone transferred the call
  hungupStatus: null, // phone: {status, text} from the gateway's hungup
  dtmfTones: [], // phone: tones played (ontonechange)
  dtmfReceived: [], // phone: keys the phone pressed
  sipName: null, // phone: {name, uri} this browser is reachable as, once registered
  callPeer: null, // phone: the SIP address or number of the current (or last) call
  lastSipSender: null, // phone: the URI of the last SIP message received
  incoming: null, // phone: the call ringing here {call, from, display, to}, or null
  incomingEnded: null, // phone: why the last call stopped ringing here
  sipContact: null, // phone: the gateway's SIP address ("sip:HOST:PORT", from /status)
};

function modeFromUrl() {
  const mode = new URLSearchParams(location.search).get('mode');
  return mode && Object.hasOwn(CALL_MODES, mode) ? mode : 'p2p';
}

function isGatewayMode() {
  return !!CALL_MODES[app.mode].service;
}

// --- state line ---

function currentState() {
  if (app.stopState) return app.stopState;
  if (!app.sig) return 'media';
  if (CALL_MODES[app.mode].isDialled) return currentPhoneState();
  if (isGatewayMode()) return currentGatewayState();
  // A connected call needs no signaling: it stays "connected" through an outage.
  const isLive = !!app.call && app.call.connectionState === 'connected';
  if (app.sig.state !== 'open' && !isLive) {
    return app.sig.state === 'reconnecting' ? 'reconnecting' : 'joining';
  }
  if (!app.isJoined && !isLive) return 'joining';
  if (!app.partner) return app.lastState === 'peer-left' ? 'peer-left' : 'waiting';
  switch (app.call ? app.call.connectionState : 'new') {
  case 'connected':
    return 'connected';
  case 'disconnected':
  case 'failed':
    return 'interrupted';
  default:
    return 'connecting';
  }
}

// A gateway session does not outlive its signaling connection (the gateway ends it with the
// connection), so there is no "connected through an outage" here.
function currentGatewayState() {
  if (app.sig.state !== 'open') {
    return app.sig.state === 'reconnecting' ? 'reconnecting' : 'joining';
  }
  if (!app.isJoined) return 'joining';
  switch (app.call ? app.call.connectionState : 'new') {
  case 'connected':
    return CALL_MODES[app.mode].media === 'relay' && app.members.size === 0
      ? 'waiting' : 'connected';
  case 'disconnected':
  case 'failed':
    return 'interrupted';
  default:
    return 'connecting';
  }
}

// Phone mode: no room, one call at a time, its progress told by the gateway's call events.
function currentPhoneState() {
  if (app.sig.state !== 'open') {
    return app.sig.state === 'reconnecting' ? 'reconnecting' : 'signaling';
  }
  if (!app.call) return 'ready';
  const progress = app.callProgress ? app.callProgress.state : null;
  const pcState = app.call.connectionState;
  if (progress === 'answered' && (pcState === 'disconnected' || pcState === 'failed')) {
    return 'interrupted';
  }
  return Object.hasOwn(PROGRESS_TEXT, progress) ? progress : 'dialling';
}

function remoteCaption() {
  if (app.mode === 'echo') return app.call ? 'you, through the gateway' : 'no call';
  if (app.mode === 'relay') {
    return app.members.size > 0 ? `${[...app.members].join(', ')} (relayed)` : 'no partner yet';
  }
  return app.call ? 'partner' : 'no partner yet';
}

function render() {
  const state = currentState();
  let text = (app.stopState && app.stopText) || STATE_TEXT[state];
  const progress = app.callProgress;
  if (progress && state === progress.state && progress.status) {
    text += ` — ${progress.status} ${progress.reason || ''}`.trimEnd();
  }
  if (state === 'connected' && !app.isJoined) {
    text += ' (signaling lost — reconnecting)';
  } else if (state === 'connected' && app.isPartnerAway) {
    text += " (partner's signaling lost)";
  }
  app.lastState = state;
  ui.state.textContent = text;
  ui.state.dataset.state = state;

  const audio = app.localStream ? app.localStream.getAudioTracks() : [];
  const video = app.localStream ? app.localStream.getVideoTracks() : [];
  ui.mic.disabled = audio.length === 0;
  ui.cam.disabled = video.length === 0;
  const isPhone = !!CALL_MODES[app.mode].isDialled;
  ui.hangup.disabled = isPhone ? !app.call : !app.isInRoom;
  ui.callAgain.hidden = isPhone || (state !== 'ended' && state !== 'hungup');
  if (isPhone) renderPhone(state);
  // Phone mode: SIP messages go through signaling, not a data channel.
  ui.chatInput.disabled = ui.chatSend.disabled = isPhone
    ? !app.sig || app.sig.state !== 'open' : !app.chat.isOpen;
  if (isPhone) ui.chatTo.placeholder = sipPeer() || 'sip:bob@example.com or a number';
  ui.remoteCaption.textContent = remoteCaption();
  document.body.dataset.mode = app.mode;
  document.body.classList.toggle('in-call', state === 'connected');
}

function showNotice(text, actions = []) {
  ui.noticeText.textContent = text;
  ui.noticeActions.replaceChildren(...actions.map(({ label, onClick, primary }) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    if (primary) button.className = 'primary';
    button.addEventListener('click', () => {
      hideNotice();
      onClick();
    });
    return button;
  }));
  ui.notice.hidden = false;
}

function hideNotice() {
  ui.notice.hidden = true;
}

// --- room and signaling ---

function setUpRoomKey() {
  let key = roomKeyFromHash(location.hash);
  if (!key) {
    key = newRoomKey();
    // replaceState, not location.hash: no extra history entry and no hashchange event.
    history.replaceState(null, '', `${location.pathname}${location.search}#${key}`);
  }
  app.roomKey = key;
  ui.shareUrl.value = location.href;
  // A key typed into the address bar by hand means another room: start over there.
  window.addEventListener('hashchange', () => location.reload());
}

function startSignaling() {
  const sig = new Signaling(signalingUrl());
  app.sig = sig;
  sig.addEventListener('state', (ev) => {
    // The server forgot us with the connection; the rejoin's reply sets this again.
    if (ev.detail.state !== 'open') app.isJoined = false;
    // It also forgets the calls ringing at the connection.
    if (ev.detail.state !== 'open' && app.incoming) dropIncoming();
    // The gateway ends a session with its connection: a phone call is over.
    if (ev.detail.state !== 'open' && app.call && CALL_MODES[app.mode].isDialled) {
      onGatewayHungup(app.call, { reason: 'closed' });
      return;
    }
    render();
  });
  sig.addEventListener('joined', (ev) => onJoined(ev.detail));
  sig.addEventListener('peer-joined', (ev) => onPeerJoined(ev.detail));
  sig.addEventListener('peer-left', (ev) => onPeerLeft(ev.detail));
  sig.addEventListener('message', (ev) => onMessage(ev.detail));
  sig.addEventListener('error', (ev) => onSignalingError(ev.detail));
  sig.addEventListener('registered', (ev) => onRegistered(ev.detail));
  sig.addEventListener('incoming', (ev) => onIncoming(ev.detail));
  sig.addEventListener('incoming-ended', (ev) => onIncomingEnded(ev.detail));
  sig.addEventListener('sip-message', (ev) => onSipMessage(ev.detail));
  sig.start();
  if (CALL_MODES[app.mode].isDialled && ui.sipName.value.trim()) registerName();
  if (!CALL_MODES[app.mode].isDialled) joinRoom();
  else if (app.roomKey) joinPhoneRoom();
}

function joinRoom() {
  app.stopState = null;
  app.isJoined = false;
  app.isInRoom = true;
  hideNotice();
  render();
  app.sig.join(app.roomKey, app.peerId, { media: CALL_MODES[app.mode].media }).catch(() => {
    // Reported through the 'error' event (onSignalingError) or retried on reconnect.
  });
}

function leaveRoom() {
  app.isInRoom = false;
  app.isJoined = false;
  app.members = new Set();
  app.sig.leave(app.roomKey);
}

function onJoined(joined) {
  if (joined.room !== app.roomKey || !app.isInRoom) return;
  app.isJoined = true;
  app.nbJoins += 1;
  app.peerId = joined.peer || app.peerId;
  if (CALL_MODES[app.mode].isDialled) {
    onPhoneRoomJoined(joined);
    return;
  }
  // Pages in phone mode are in the room for its phone calls, not for its video call.
  const others = (Array.isArray(joined.peers) ? joined.peers : [])
    .filter((peer) => !isPhoneMember(peer));
  if (isGatewayMode()) {
    onGatewayJoined(joined, others);
    return;
  }
  if (app.partner) {
    // Back after a signaling outage: the call may have survived it, and the partner may be
    // reconnecting too.
    if (others.includes(app.partner)) {
      app.isPartnerAway = false;
      const state = app.call ? app.call.connectionState : 'closed';
      if (state === 'failed' || state === 'closed') {
        endCall();
        startCall(app.partner, { waitForOffer: false });
      }
    } else if (app.call && app.call.connectionState === 'connected') {
      app.isPartnerAway = true;
    } else {
      onPartnerGone('left');
    }
  } else if (others.length >= MAX_PARTICIPANTS) {
    roomBusy();
    return;
  } else if (others.length === 1) {
    // The newcomer offers; the partner already there waits for it (call.js).
    startCall(others[0], { waitForOffer: false });
  }
  render();
}

function onPeerJoined({ room, peer }) {
  if (room !== app.roomKey || !app.isInRoom) return;
  if (isPhoneMember(peer) && !CALL_MODES[app.mode].isDialled) return;
  if (isGatewayMode()) {
    app.members.add(peer);
    if (app.mode === 'relay') app.chat.note(`${peer} joined`);
    render();
    return;
  }
  if (!app.partner) {
    startCall(peer, { waitForOffer: true });
  } else if (peer === app.partner) {
    // The partner rejoined after losing its signaling. A call that did not survive the
    // outage is started afresh; a live one goes on.
    app.isPartnerAway = false;
    const state = app.call.connectionState;
    if (state === 'failed' || state === 'closed') {
      endCall();
      startCall(peer, { waitForOffer: true });
    }
  }
  // Anyone else is a third participant; its client sees two peers and gives up by itself.
  render();
}

function onPeerLeft({ room, peer, reason }) {
  if (isPhoneMember(peer) && !CALL_MODES[app.mode].isDialled) return;
  if (room === app.roomKey && isGatewayMode()) {
    if (app.members.delete(peer) && app.mode === 'relay') app.chat.note(`${peer} left`);
    render();
    return;
  }
  if (room !== app.roomKey || peer !== app.partner) return;
  if (reason !== 'left' && app.call && app.call.connectionState === 'connected') {
    // Its WebSocket dropped, not its call: keep the media going while it reconnects.
    app.isPartnerAway = true;
    render();
    return;
  }
  onPartnerGone('left');
}

function onMessage({ room, from, data }) {
  // Through the gateway, calls are negotiated with the gateway, not with room members.
  if (isGatewayMode()) return;
  if (room !== app.roomKey || !app.isInRoom || !data || typeof data !== 'object') return;
  if (data.bye) {
    if (from === app.partner) onPartnerGone(data.bye === 'closed' ? 'left' : 'hung up');
    return;
  }
  if (!app.partner && app.isJoined) startCall(from, { waitForOffer: true });
  if (from !== app.partner || !app.call) return;
  app.call.handleSignal(data);
}

function onSignalingError(err) {
  if (err.register) {
    app.sipName = null;
    ui.sipNameStatus.textContent = `not reachable: ${err.text || err.code}`;
    render();
    return;
  }
  if (err.room && err.room !== app.roomKey) return;
  if (err.room && CALL_MODES[app.mode].isDialled) {
    // Phone mode: calls to addresses and names go on without the room.
    app.isInRoom = false;
    renderRoomStatus(`not in room ${app.roomKey}: ${err.text || err.code}`);
    render();
    return;
  }
  if (err.code === 'room_full') {
    app.isInRoom = false;
    app.stopState = 'room-full';
    showNotice('This room is full: the gateway allows no more people in it.', [
      { label: 'Try again', onClick: joinRoom, primary: true },
      { label: 'Start a new room', onClick: newRoom },
    ]);
  } else if (err.room) {
    // Any other failed join: the room name was refused or the gateway is at a limit.
    app.isInRoom = false;
    app.stopState = 'error';
    showNotice(`Could not join the room: ${err.text || err.code}.`, [
      { label: 'Try again', onClick: joinRoom, primary: true },
      { label: 'Start a new room', onClick: newRoom },
    ]);
  } else {
    console.warn('signaling error', err);
  }
  render();
}

function roomBusy() {
  leaveRoom();
  app.stopState = 'room-busy';
  showNotice('This room is busy: two people are already in a call there.', [
    { label: 'Try again', onClick: joinRoom, primary: true },
    { label: 'Start a new room', onClick: newRoom },
  ]);
  render();
}

function newRoom() {
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  location.reload();
}

// --- the call ---

function startCall(peer, { waitForOffer }) {
  app.partner = peer;
  app.isPartnerAway = false;
  const call = CALL_MODES[app.mode].create({
    // Both sides compare the same two ids, so exactly one of them is polite.
    polite: app.peerId > peer,
    localStream: app.localStream,
    send: (data) => app.sig.send(app.roomKey, peer, data),
  });
  app.call = call;
  call.addEventListener('state', (ev) => onCallState(call, ev.detail.state));
  call.addEventListener('track', (ev) => onRemoteTrack(ev.detail));
  call.addEventListener('channel', (ev) => app.chat.attach(ev.detail.channel));
  call.start({ waitForOffer });
  render();
}

function onCallState(call, state) {
  if (call !== app.call) return;
  if (state === 'connected') {
    app.chat.note(isGatewayMode() ? 'connected to the gateway' : 'connected');
  } else if (isGatewayMode()) {
    // The gateway says by itself when the session is over ('hungup').
  } else if (state === 'failed' && (app.isPartnerAway || !app.partner)) {
    onPartnerGone('the connection failed');
    return;
  }
  render();
}

// --- calls with the gateway ---

function onGatewayJoined(joined, others) {
  app.members = new Set(others);
  const mode = CALL_MODES[app.mode];
  if (mode.media && joined.media && joined.media !== mode.media) {
    // The room's first member chose its mode; attach would be refused.
    leaveRoom();
    app.stopState = 'error';
    showNotice(`This room is a ${joined.media === 'p2p' ? 'peer-to-peer' : joined.media} room, `
      + 'not a relayed one: start a new room to have the gateway relay the call.', [
      { label: 'Start a new room', onClick: newRoom, primary: true },
    ]);
    render();
    return;
  }
  // After a reconnect this is a new signaling connection: the gateway ended the session of
  // the old one with it, so the call starts afresh.
  if (app.call) endCall();
  startGatewayCall();
  render();
}

function startGatewayCall() {
  app.hungupReason = null;
  const call = CALL_MODES[app.mode].create({
    sig: app.sig,
    room: app.roomKey,
    localStream: app.localStream,
  });
  app.call = call;
  call.addEventListener('state', (ev) => onCallState(call, ev.detail.state));
  call.addEventListener('track', (ev) => onRemoteTrack(ev.detail));
  call.addEventListener('channel', (ev) => app.chat.attach(ev.detail.channel));
  call.addEventListener('hungup', (ev) => onGatewayHungup(call, ev.detail));
  call.start();
}

function onGatewayHungup(call, { reason, text, status }) {
  if (call !== app.call) return;
  if (CALL_MODES[app.mode].isDialled) {
    onPhoneHungup({ reason, text, status });
    return;
  }
  app.hungupReason = reason;
  const why = HUNGUP_TEXT[reason] || reason;
  app.chat.note(`the gateway ended the call: ${why}`);
  endCall();
  leaveRoom();
  app.stopState = 'hungup';
  showNotice(`The gateway ended the call: ${why}${text ? ` (${text})` : ''}.`, [
    { label: 'Call again', onClick: joinRoom, primary: true },
  ]);
  render();
}

// --- calls to a phone ---

function wirePhone() {
  ui.phone.hidden = false;
  ui.chatToRow.hidden = false;
  ui.chatInput.maxLength = MAX_SIP_TEXT;
  ui.chatTo.addEventListener('input', () => {
    ui.chatError.hidden = true;
  });
  ui.phoneTo.value = new URLSearchParams(location.search).get('to') || '';
  ui.phoneForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    dial();
  });
  ui.phoneTo.addEventListener('input', () => {
    ui.phoneError.hidden = true;
  });
  ui.dialPad = buildDialPad($('dialpad'), sendTone);
  ui.sipName.value = new URLSearchParams(location.search).get('name') || '';
  $('sip-name-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    registerName();
  });
  $('btn-accept').addEventListener('click', acceptIncoming);
  ui.hold = $('btn-hold');
  ui.holdState = $('hold-state');
  ui.hold.addEventListener('click', () => setHold(!app.hold.me));
  $('btn-decline').addEventListener('click', () => declineIncoming(603));
}

function renderPhone(state) {
  const isIdle = !app.call;
  ui.dial.disabled = !isIdle || !app.sig || app.sig.state !== 'open';
  ui.phoneTo.readOnly = !isIdle;
  const dtmf = app.call ? app.call.dtmf : null;
  ui.dialPad.setEnabled(state === 'answered' && !!dtmf && dtmf.canInsertDTMF);
  const sent = app.dtmfTones.length > 0 ? `tones sent: ${app.dtmfTones.join('')}` : '';
  const got = app.dtmfReceived.length > 0 ? `keys from the phone: ${app.dtmfReceived.join('')}`
    : '';
  ui.dtmfSent.textContent = [sent, got].filter(Boolean).join(' · ');
  ui.hold.disabled = state !== 'answered';
  ui.hold.textContent = app.hold.me ? 'Resume' : 'Hold';
  ui.hold.setAttribute('aria-pressed', String(app.hold.me));
  const held = [app.hold.me ? 'you hold the call' : '', app.hold.phone ? 'the phone holds the call'
    : ''].filter(Boolean).join(' · ');
  ui.holdState.textContent = held;
}

function dial() {
  if (app.call || !app.sig || app.sig.state !== 'open') return;
  const { uri, error } = parseSipTarget(ui.phoneTo.value);
  ui.phoneError.textContent = error || '';
  ui.phoneError.hidden = !error;
  if (error) {
    ui.phoneTo.focus();
    return;
  }
  startPhoneCall({ to: uri });
}

// Hold or resume our side of the call: the gateway re-INVITEs the phone (gateway.js setHold).
function setHold(isHeld) {
  if (!app.call || !app.call.setHold) return;
  if (app.call.setHold(isHeld)) app.hold.me = isHeld;
  render();
}

// --- calls from a phone ---

function registerName() {
  const name = ui.sipName.value.trim();
  if (!name || !app.sig) return;
  ui.sipNameStatus.textContent = `registering "${name}"…`;
  app.sig.register(name).catch(() => {
    // Reported through the 'error' event (onSignalingError).
  });
}

function onRegistered(reg) {
  app.sipName = { name: reg.name, uri: reg.uri };
  ui.sipName.value = reg.name;
  ui.sipNameStatus.textContent = `phones reach you at ${reg.uri}`;
  render();
}

function onIncoming(msg) {
  if (!CALL_MODES[app.mode].isDialled) {
    // A phone calls the room (sip:room-KEY@gateway) while this page is in its video call:
    // pages in phone mode take such calls. Declined here (486), it rings on at them; the
    // phone hears busy when nobody else is there.
    app.sig.request({ type: 'decline', call: msg.call, status: 486 }).catch(() => {});
    app.chat.note(`${incomingText(msg)}: pages of this room in phone mode take phone calls`);
    return;
  }
  if (app.call || app.incoming) {
    // One call at a time: the caller hears busy (the room's other pages may still take it).
    app.sig.request({ type: 'decline', call: msg.call, status: 486 }).catch(() => {});
    return;
  }
  app.incoming = { call: msg.call, from: msg.from, display: msg.display, to: msg.to };
  if (msg.account) app.incoming.account = msg.account;
  app.incomingEnded = null;
  ui.incomingText.textContent = incomingText(msg);
  ui.incomingEnded.textContent = '';
  ui.incoming.hidden = false;
  render();
}

function onIncomingEnded(msg) {
  if (!app.incoming || app.incoming.call !== msg.call) return;
  const inc = app.incoming;
  app.incoming = null;
  ui.incoming.hidden = true;
  // For a room's call, who took it: its name, else its peer id in the room (docs/signaling.md).
  const text = incomingEndedText(msg);
  app.incomingEnded = { call: msg.call, reason: msg.reason, text };
  if (msg.by) app.incomingEnded.by = msg.by;
  const what = roomOfTarget(inc.to) !== null ? 'the call to the room' : 'the incoming call';
  ui.incomingEnded.textContent = `${what} from ${inc.display || inc.from}: ${text}`;
  app.chat.note(`${what} from ${inc.display || inc.from} ended: ${text}`);
  render();
}

// The signaling connection dropped: the gateway forgot the calls ringing at it.
function dropIncoming() {
  app.incoming = null;
  ui.incoming.hidden = true;
  ui.incomingEnded.textContent = 'signaling lost: the ringing call was dropped';
}

// --- calls to the room (phone mode opened with #KEY) ---

function setUpPhoneRoom() {
  const key = roomKeyFromHash(location.hash);
  if (!key) return;
  app.roomKey = key;
  // The room's video pages leave members with this prefix alone (phone.js).
  app.peerId = `${PHONE_PEER_PREFIX}${randomId(6)}`;
  renderRoomStatus(`joining room ${key}…`);
  window.addEventListener('hashchange', () => location.reload());
  // Where phones reach the room: the gateway's SIP address, which /status tells.
  fetch('/status').then((r) => r.json()).then((st) => {
    app.sipContact = st && st.sip && typeof st.sip.contact === 'string' ? st.sip.contact : null;
    if (app.isJoined) onPhoneRoomJoined(null);
  }, () => {});
}

function joinPhoneRoom() {
  app.isInRoom = true;
  app.isJoined = false;
  app.sig.join(app.roomKey, app.peerId).catch(() => {
    // Reported through the 'error' event (onSignalingError) or retried on reconnect.
  });
}

function onPhoneRoomJoined(joined) {
  if (joined) {
    app.isJoined = true;
    app.nbJoins += 1;
    app.members = new Set(Array.isArray(joined.peers) ? joined.peers : []);
  }
  const uri = roomSipUri(app.roomKey, app.sipContact);
  renderRoomStatus(`in room ${app.roomKey}: phones that call ${uri} ring here`);
  render();
}

function renderRoomStatus(text) {
  ui.roomStatus.textContent = text;
  ui.roomStatus.hidden = false;
}

function acceptIncoming() {
  const inc = app.incoming;
  if (!inc || app.call) return;
  app.incoming = null;
  ui.incoming.hidden = true;
  ui.phoneTo.value = inc.from;
  startPhoneCall({ callId: inc.call });
}

function declineIncoming(status = 603) {
  const inc = app.incoming;
  if (!inc) return;
  app.incoming = null;
  ui.incoming.hidden = true;
  app.sig.request({ type: 'decline', call: inc.call, status }).catch(() => {});
  render();
}

// An outgoing call (to: a sip: URI) or an incoming one taken (callId).
function startPhoneCall({ to = null, callId = null }) {
  hideNotice();
  app.stopState = null;
  app.stopText = null;
  app.callProgress = null;
  app.hungupReason = null;
  app.hungupStatus = null;
  app.dtmfTones = [];
  app.dtmfReceived = [];
  app.hold = { me: false, phone: false, confirmed: false };
  app.transferredTo = null;
  // Whom the chat writes to by default: the phone we dial, or the caller we took.
  app.callPeer = to || ui.phoneTo.value.trim() || null;
  const call = CALL_MODES[app.mode].create({ sig: app.sig, localStream: app.localStream, to,
    callId });
  app.call = call;
  call.addEventListener('state', (ev) => onCallState(call, ev.detail.state));
  call.addEventListener('track', (ev) => onRemoteTrack(ev.detail));
  call.addEventListener('channel', (ev) => app.chat.attach(ev.detail.channel));
  call.addEventListener('call', (ev) => {
    if (call !== app.call) return;
    if (ev.detail.state === 'hold' || ev.detail.state === 'resumed') {
      // The gateway's word on hold (docs/signaling.md): the phone's, or ours confirmed.
      const isHeld = ev.detail.state === 'hold';
      if (ev.detail.reason === 'phone') app.hold.phone = isHeld;
      else app.hold.confirmed = isHeld;
      app.chat.note(ev.detail.reason === 'phone'
        ? `the phone ${isHeld ? 'holds' : 'resumes'} the call`
        : `the phone knows the call is ${isHeld ? 'on hold' : 'resumed'}`);
      render();
      return;
    }
    if (ev.detail.state === 'transferring' || ev.detail.state === 'transferred' ||
        ev.detail.state === 'transfer-failed') {
      // The phone transferred the call (REFER): the gateway calls the target for us.
      const to = ev.detail.reason || '';
      if (ev.detail.state === 'transferred') {
        app.transferredTo = to;
        app.callPeer = to;
        ui.phoneTo.value = to;
      }
      app.chat.note(ev.detail.state === 'transferring' ? `the phone transfers the call to ${to}`
        : ev.detail.state === 'transferred' ? `transferred to ${to}`
          : `the transfer failed: ${ev.detail.status} ${to}`);
      render();
      return;
    }
    if (ev.detail.state === 'reinvite-failed') {
      app.chat.note(`the phone refused the change: ${ev.detail.status} ${ev.detail.reason || ''}`);
      render();
      return;
    }
    if (ev.detail.state === 'dtmf-failed') {
      // The phone refused a key sent as SIP INFO (sip.dtmf: info); the call goes on.
      app.chat.note(`the phone refused a key: ${ev.detail.status} ${ev.detail.reason || ''}`);
      render();
      return;
    }
    if (ev.detail.state === 'dtmf') {
      // A key the phone pressed (RFC 4733, reported by the gateway).
      app.dtmfReceived.push(ev.detail.digit);
      render();
      return;
    }
    app.callProgress = ev.detail;
    render();
  });
  call.addEventListener('hungup', (ev) => onGatewayHungup(call, ev.detail));
  call.start();
  render();
}

// A dial pad key during the call: queued on the sender's tone buffer (100 ms tones, 70 ms
// gaps), which the browser sends as RFC 4733 events that the gateway passes to the phone.
function sendTone(key) {
  const dtmf = app.call ? app.call.dtmf : null;
  if (!dtmf || !dtmf.canInsertDTMF) return;
  if (!dtmf.ontonechange) {
    dtmf.ontonechange = (ev) => {
      if (!ev.tone) return; // the end of the buffer
      app.dtmfTones.push(ev.tone);
      render();
    };
  }
  dtmf.insertDTMF(dtmf.toneBuffer + key, 100, 70);
}

function onPhoneHungup({ reason, text, status }) {
  app.hungupReason = reason;
  app.hungupStatus = status ? { status, text: text || '' } : null;
  endCall();
  if (reason === 'sip-status' && status) {
    // The phone's own words: "486 Busy Here", "603 Decline", "408 ring timeout", ...
    const sip = `${status}${text ? ` ${text}` : ''}`;
    app.stopState = 'failed';
    app.stopText = `call failed: ${sip}`;
    showNotice(`The call failed: ${sip}.`, [
      { label: 'Call again', onClick: dial, primary: true },
    ]);
  } else {
    const why = HUNGUP_TEXT[reason] || reason;
    app.stopState = 'hungup';
    app.stopText = reason === 'remote-bye' ? 'the phone hung up' : `call ended: ${why}`;
    showNotice(`The call ended: ${why}${text ? ` (${text})` : ''}.`, [
      { label: 'Call again', onClick: dial, primary: true },
    ]);
  }
  render();
}

// --- SIP messages (phone mode: MESSAGE through the gateway, shown in the chat) ---

// Whom a message with an empty To goes to: the current call's phone, else the last sender.
function sipPeer() {
  if (app.call && app.callPeer) return app.callPeer;
  return app.lastSipSender || app.callPeer;
}

function onSipMessage(msg) {
  app.lastSipSender = msg.from;
  app.chat.receiveSip(msg);
}

// Returns the chat log entry of the message, or {error} with a sentence for the user.
function sendSipMessage(toText, text, via = 'auto') {
  const typed = String(toText || '').trim();
  const to = typed || sipPeer();
  // To the phone of the answered call: in the call's own SIP dialog (docs/signaling.md).
  const isInCall = !!app.call && !!app.call.session && !!app.callProgress &&
    app.callProgress.state === 'answered' && (!typed || typed === app.callPeer);
  let error = null;
  let uri = null;
  if (!to && !isInCall) error = 'Enter the SIP address or number to write to.';
  else if (!isInCall) ({ uri, error } = parseSipTarget(to));
  if (!error && !text) error = 'The message is empty.';
  if (!error && utf8Length(text) > MAX_SIP_TEXT) {
    error = `The message is too long for SIP (at most ${MAX_SIP_TEXT} bytes).`;
  }
  ui.chatError.textContent = error || '';
  ui.chatError.hidden = !error;
  if (error || !app.sig) return { error: error || 'not connected' };
  if (isInCall) {
    return app.chat.sendSipInCall({ sig: app.sig, session: app.call.session, peer: app.callPeer,
      text, via });
  }
  return app.chat.sendSip(app.sig, uri, text);
}

// --- media of either kind of call ---

function onRemoteTrack({ track, streams }) {
  let stream = streams[0];
  if (!stream) {
    stream = ui.remoteVideo.srcObject instanceof MediaStream
      ? ui.remoteVideo.srcObject : new MediaStream();
    stream.addTrack(track);
  }
  if (ui.remoteVideo.srcObject !== stream) ui.remoteVideo.srcObject = stream;
  playRemote();
}

function playRemote() {
  ui.remoteVideo.play().then(() => {
    ui.playRemote.hidden = true;
  }, (err) => {
    // Autoplay with sound refused (no camera permission, no user gesture yet).
    if (err.name === 'NotAllowedError') ui.playRemote.hidden = false;
  });
}

function endCall() {
  if (app.call) app.call.close();
  app.call = null;
  app.chat.detach();
  ui.remoteVideo.srcObject = null;
  ui.playRemote.hidden = true;
}

function onPartnerGone(why) {
  if (!app.partner) return;
  app.chat.note(`peer ${why}`);
  endCall();
  app.partner = null;
  app.isPartnerAway = false;
  app.lastState = 'peer-left';
  render();
}

function hangUp() {
  if (app.partner) app.sig.send(app.roomKey, app.partner, { bye: true });
  if (app.call) app.chat.note('you hung up');
  endCall();
  app.partner = null;
  if (!CALL_MODES[app.mode].isDialled) leaveRoom();
  app.stopState = 'ended';
  app.stopText = null;
  render();
}

// --- local media ---

async function startMedia() {
  render();
  try {
    app.localStream = await getLocalMedia({ isAudioOnly: !!CALL_MODES[app.mode].isDialled });
  } catch (err) {
    app.stopState = 'media-error';
    render();
    const choice = await new Promise((resolve) => {
      showNotice(`${err.message} You can still join and see and hear the other person.`, [
        { label: 'Continue receive-only', onClick: () => resolve('receive'), primary: true },
        { label: 'Try again', onClick: () => resolve('retry') },
      ]);
    });
    app.stopState = null;
    if (choice === 'retry') return startMedia();
    ui.localCaption.textContent = 'you (receive only)';
    return;
  }
  ui.localVideo.srcObject = app.localStream;
  if (app.localStream.getVideoTracks().length === 0) {
    ui.localCaption.textContent = 'you (no camera)';
  }
}

function toggleTracks(tracks, button, onLabel, offLabel) {
  const isOff = !tracks.every((t) => t.enabled);
  for (const track of tracks) track.enabled = isOff;
  // The button is "pressed" while the device is muted/off.
  button.setAttribute('aria-pressed', String(!isOff));
  button.textContent = isOff ? onLabel : offLabel;
}

// --- chat ---

function renderChat() {
  const items = app.chat.log.map((entry) => {
    const li = document.createElement('li');
    li.className = `from-${entry.from}`;
    if (entry.from === 'me' && !entry.acked) li.classList.add(entry.failed ? 'failed' : 'pending');
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = { me: 'you', peer: CALL_MODES[app.mode].peerName, system: '·' }[entry.from];
    // SIP messages name their sender, or the address ours went to.
    if (entry.sip && entry.from === 'peer') who.textContent = entry.who;
    if (entry.sip && entry.from === 'me') {
      who.textContent = `you → ${entry.to}${entry.inCall ? ' (in the call)' : ''}`;
    }
    if (entry.sip && entry.sipFrom) who.title = entry.sipFrom;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = entry.text;
    li.append(who, text);
    if (entry.sip && entry.from === 'me') {
      const status = document.createElement('span');
      status.className = 'status';
      status.textContent = sipStatusText(entry);
      li.append(status);
    }
    if (entry.from === 'me' && entry.failed) li.title = 'not delivered';
    return li;
  });
  ui.chatLog.replaceChildren(...items);
  ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
  render();
}

// --- wiring ---

// The mode switch: one radio button per entry of CALL_MODES. Choosing another mode starts
// over in it (the page reloads with ?mode=...), keeping the room key for the modes with a
// partner.
function renderModes() {
  const items = Object.entries(CALL_MODES).map(([name, mode]) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'mode';
    input.value = name;
    input.checked = name === app.mode;
    input.addEventListener('change', () => {
      if (input.checked) switchMode(name);
    });
    label.append(input, ` ${mode.label}`);
    return label;
  });
  ui.modes.replaceChildren(...items);
  ui.share.hidden = app.mode === 'echo' || app.mode === 'phone';
}

function switchMode(name) {
  const params = new URLSearchParams(location.search);
  if (name === 'p2p') params.delete('mode');
  else params.set('mode', name);
  const search = params.toString();
  location.assign(`${location.pathname}${search ? `?${search}` : ''}${location.hash}`);
}

function wireControls() {
  renderModes();
  ui.mic.addEventListener('click', () => {
    toggleTracks(app.localStream.getAudioTracks(), ui.mic, 'Mute mic', 'Unmute mic');
  });
  ui.cam.addEventListener('click', () => {
    toggleTracks(app.localStream.getVideoTracks(), ui.cam, 'Camera off', 'Camera on');
  });
  ui.hangup.addEventListener('click', hangUp);
  ui.callAgain.addEventListener('click', joinRoom);
  ui.playRemote.addEventListener('click', playRemote);
  ui.copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(ui.shareUrl.value);
      ui.copy.textContent = 'Copied';
    } catch (err) {
      ui.shareUrl.select();
      ui.copy.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => { ui.copy.textContent = 'Copy'; }, 2000);
  });
  ui.shareUrl.addEventListener('focus', () => ui.shareUrl.select());
  ui.chatForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = ui.chatInput.value.trim();
    if (CALL_MODES[app.mode].isDialled) {
      if (text && !sendSipMessage(ui.chatTo.value, text).error) ui.chatInput.value = '';
      return;
    }
    if (!text || !app.chat.isOpen) return;
    app.chat.send(text);
    ui.chatInput.value = '';
  });
  app.chat.addEventListener('change', renderChat);
  // Tell the partner at once rather than letting it wait for the WebSocket close.
  window.addEventListener('pagehide', () => {
    if (app.partner && app.sig) app.sig.send(app.roomKey, app.partner, { bye: 'closed' });
  });
}

window.ponte = {
  pc: () => (app.call ? app.call.pc : null),
  get state() { return currentState(); },
  get stateText() { return ui.state.textContent; },
  sendChat: (text) => app.chat.send(text),
  chatLog: app.chat.log,
  get roomKey() { return app.roomKey; },
  get peerId() { return app.peerId; },
  get partner() { return app.partner; },
  get signalingState() { return app.sig ? app.sig.state : 'closed'; },
  get nbJoins() { return app.nbJoins; },
  get mode() { return app.mode; },
  get session() { return app.call && app.call.session ? app.call.session : null; },
  get hungupReason() { return app.hungupReason; },
  channel: () => (app.call ? app.call.channel : null),
  get members() { return [...app.members]; },
  dropSignaling: () => app.sig && app.sig.ws && app.sig.ws.close(4001, 'test: dropped'),
  get callProgress() { return app.callProgress ? { ...app.callProgress } : null; },
  get hungupStatus() { return app.hungupStatus ? { ...app.hungupStatus } : null; },
  get dtmfTones() { return [...app.dtmfTones]; },
  get dtmfReceived() { return [...app.dtmfReceived]; },
  dtmf: () => (app.call ? app.call.dtmf : null),
  get hold() { return { ...app.hold }; },
  get transferredTo() { return app.transferredTo; },
  setHold: (on) => setHold(on),
  get sipName() { return app.sipName ? { ...app.sipName } : null; },
  get incoming() { return app.incoming ? { ...app.incoming } : null; },
  get incomingEnded() { return app.incomingEnded ? { ...app.incomingEnded } : null; },
  get roomCalls() {
    return app.roomKey && CALL_MODES[app.mode].isDialled ? { room: app.roomKey,
      uri: roomSipUri(app.roomKey, app.sipContact), isJoined: app.isJoined } : null;
  },
  accept: () => acceptIncoming(),
  sendSipMessage: (to, text, via) => sendSipMessage(to, text, via),
  sipMessageRequest: (to, text, extra = {}) => app.sig.request({ type: 'sip_message',
    to: to === null ? undefined : to, text, ...extra }).catch((err) =>
    ({ type: 'error', code: err.code, text: err.message })),
  get sipPeer() { return sipPeer(); },
  decline: (status) => declineIncoming(status),
};

async function main() {
  wireControls();
  if (CALL_MODES[app.mode].isDialled) {
    wirePhone();
    setUpPhoneRoom();
  } else {
    setUpRoomKey();
  }
  await startMedia();
  startSignaling();
}

main().catch((err) => {
  console.error(err);
  app.stopState = 'error';
  showNotice(`Something went wrong: ${err.message}`, [
    { label: 'Reload', onClick: () => location.reload(), primary: true },
  ]);
  render();
});
