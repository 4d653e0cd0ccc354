// The seed tutorial's client ("WebRTC: Real Time Communications for the Web"), ported to
// today's browser APIs: navigator.mediaDevices.getUserMedia, promises, addTrack/ontrack and
// srcObject. It speaks exactly the tutorial's two frames (docs/signaling.md, seed protocol):
//   c:STANZA                      subscribe to the room STANZA
//   m:STANZA:CHIAMANTE:JSON       send JSON to everyone in the room, ourselves included
// and receives "CHIAMANTE:JSON", dropping its own messages by the caller flag as the seed
// did. JSON is an RTCSessionDescription ({type, sdp}) or an ICE candidate ({candidate, ...}).
//
// Bugs of the tutorial fixed here: the room variable was declared as `stanza` but used as
// `room`; the key was Math.random()*1000 (guessable: now 128 random bits, base64url); the
// WebSocket address was hard-coded (now this page's host, path /ws); messages and ICE
// candidates that arrived before the camera was ready or before the offer was applied were
// lost (now they wait); a second offer (the caller reloaded its page) hit a used connection
// (now the callee starts a fresh one); a denied camera stopped everything (now receive-only).
//
// Test hook (tests/e2e/browser/p2p.mjs): window.ponte.pc() is the RTCPeerConnection,
// window.ponte.state a short state code, window.ponte.roomKey the room.

'use strict';

// --- configurazione ---
// No STUN server: the gateway's users are on the same network or reach it directly, and a
// public STUN server would be a request leaving the network unasked.
var peer_config = { iceServers: [] };

// --- variabili iniziali ---
var video_locale = document.getElementById('video_locale'),
  video_remoto = document.getElementById('video_remoto'),
  stato = document.getElementById('stato'),
  invito = document.getElementById('invito'),
  ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws'),
  peer = null,
  flusso_locale = null,
  messaggi_in_attesa = [], // received before the peer connection existed
  candidati_in_attesa = [], // received before the remote description was set
  coda = Promise.resolve(), // applies the partner's messages one at a time, in order
  stato_attuale = 'avvio',
  stanza,
  chiamante;

// A key as the server accepts it (no ':' nor control characters, at most 128 bytes), kept
// to the base64url alphabet so that it is safe in a URL.
function stanza_valida(chiave) {
  return /^[A-Za-z0-9_-]{1,128}$/.test(chiave);
}

function nuova_stanza() {
  var byte = new Uint8Array(16), testo = '';
  crypto.getRandomValues(byte);
  for (var i = 0; i < byte.length; i++) testo += String.fromCharCode(byte[i]);
  return btoa(testo).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

if (!stanza_valida(location.hash.substr(1))) {
  // in this case the URL does not contain the key and I have to create one
  stanza = nuova_stanza();
  chiamante = 0;
  history.replaceState(null, '', location.pathname + location.search + '#' + stanza);
} else {
  // in this case the URL already contains the key
  stanza = location.hash.substr(1);
  chiamante = 1;
}
invito.value = location.href;
invito.addEventListener('focus', function () { invito.select(); });

function mostra_stato(codice, testo) {
  stato_attuale = codice;
  stato.textContent = testo;
}

// --- init from the application when opening the websocket channel ---
ws.addEventListener('open', function () {
  // send the identifier of the channel to the websocket server
  ws.send('c:' + stanza);
  mostra_stato('in-attesa', chiamante ? 'collegamento al partner…' : 'in attesa del partner');
  inizializza_video();
}, false);

ws.addEventListener('message', messaggio_ricevuto, false);

ws.addEventListener('close', function () {
  // The seed protocol has no way to rejoin a call in progress: say so, keep the media going.
  if (stato_attuale !== 'connesso') {
    mostra_stato('errore', 'connessione al server persa: ricarica la pagina');
  }
}, false);

// --- richiesta accesso webcam e microfono e init della connessione P2P ---
function inizializza_video() {
  navigator.mediaDevices.getUserMedia({ audio: true, video: true })
    .then(function (stream) {
      flusso_locale = stream;
      video_locale.srcObject = stream;
    })
    .catch(function (errore) {
      // NotAllowedError (denied), NotFoundError (no device), ...: go on receive-only.
      console.log(errore);
      mostra_stato('solo-ricezione', 'webcam o microfono non disponibili (' + errore.name +
        '): solo ricezione');
    })
    .then(function () {
      crea_peer();
      if (chiamante) {
        chiama();
      }
      var in_attesa = messaggi_in_attesa;
      messaggi_in_attesa = [];
      in_attesa.forEach(gestisci_messaggio);
    });
}

function crea_peer() {
  peer = new RTCPeerConnection(peer_config);
  peer.onicecandidate = onIceCandidate;
  peer.ontrack = function (event) {
    if (video_remoto.srcObject !== event.streams[0]) {
      video_remoto.srcObject = event.streams[0];
    }
  };
  peer.onconnectionstatechange = function () {
    var testi = {
      connecting: 'connessione in corso…',
      connected: 'connesso',
      disconnected: 'connessione interrotta…',
      failed: 'connessione fallita',
    };
    if (testi[peer.connectionState]) {
      mostra_stato(peer.connectionState === 'connected' ? 'connesso' : peer.connectionState,
        testi[peer.connectionState]);
    }
  };
  if (flusso_locale) {
    flusso_locale.getTracks().forEach(function (track) {
      peer.addTrack(track, flusso_locale);
    });
  } else {
    // receive-only: the offer must still ask for audio and video
    peer.addTransceiver('audio', { direction: 'recvonly' });
    peer.addTransceiver('video', { direction: 'recvonly' });
  }
  candidati_in_attesa = [];
}

function chiama() {
  peer.createOffer()
    .then(sdpcreato)
    .catch(function (errore) { console.log(errore); });
}

// --- invio l'SDP al peer ---
function sdpcreato(descrizione) {
  return peer.setLocalDescription(descrizione).then(function () {
    messaggio_da_inviare(peer.localDescription);
  });
}

// --- invio il candidato ICE al peer ---
function onIceCandidate(event) {
  if (event.candidate) {
    messaggio_da_inviare(event.candidate);
  }
}

// --- invio messaggi al websocket ---
function messaggio_da_inviare(msg) {
  var msgjson = JSON.stringify(msg);
  ws.send('m:' + stanza + ':' + chiamante + ':' + msgjson);
}

// --- ricezione messaggi dal websocket: "CHIAMANTE:JSON" ---
function messaggio_ricevuto(event) {
  var testo = event.data;
  if (testo.charAt(0) === '{') {
    // Ponte answers a refused seed frame with a JSON error (the seed server had none).
    console.log('errore dal server', testo);
    return;
  }
  var separatore = testo.indexOf(':');
  if (separatore < 0) return;
  var mittente = testo.substr(0, separatore), msg;
  // the server sends our own messages back to us too
  if (mittente === String(chiamante)) return;
  try {
    msg = JSON.parse(testo.substr(separatore + 1));
  } catch (errore) {
    return;
  }
  if (!peer) {
    messaggi_in_attesa.push(msg);
    return;
  }
  gestisci_messaggio(msg);
}

function gestisci_messaggio(msg) {
  coda = coda.then(function () {
    if (msg.type === 'offer') {
      if (peer.remoteDescription) {
        // the caller started again (it reloaded its page): start afresh as well
        peer.close();
        crea_peer();
      }
      return peer.setRemoteDescription(msg)
        .then(aggiungi_candidati_in_attesa)
        .then(function () { return peer.createAnswer(); })
        .then(sdpcreato);
    }
    if (msg.type === 'answer') {
      return peer.setRemoteDescription(msg).then(aggiungi_candidati_in_attesa);
    }
    if (msg.candidate !== undefined) {
      if (!peer.remoteDescription) {
        candidati_in_attesa.push(msg);
        return;
      }
      return peer.addIceCandidate(msg);
    }
  }).catch(function (errore) {
    console.log(errore);
  });
}

function aggiungi_candidati_in_attesa() {
  var candidati = candidati_in_attesa;
  candidati_in_attesa = [];
  return Promise.all(candidati.map(function (candidato) {
    return peer.addIceCandidate(candidato).catch(function (errore) { console.log(errore); });
  }));
}

window.ponte = {
  pc: function () { return peer; },
  get state() { return stato_attuale; },
  roomKey: stanza,
  chiamante: chiamante,
};
