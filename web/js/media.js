// Local camera and microphone.

// What to tell the user for each getUserMedia failure (DOMException names from the Media
// Capture spec). Every one of them leaves the page able to receive.
const MEDIA_ERRORS = {
  NotAllowedError: 'Camera and microphone access was denied.',
  SecurityError: 'Camera and microphone are not allowed on this page.',
  NotFoundError: 'No camera or microphone was found.',
  OverconstrainedError: 'No camera or microphone matches what this page needs.',
  NotReadableError: 'The camera or microphone is in use by another program or failed to start.',
  AbortError: 'The camera or microphone could not be started.',
};

export class MediaError extends Error {
  constructor(name, message) {
    super(message);
    this.name = 'MediaError';
    this.kind = name;
  }
}

// Asks for audio and video (audio alone with isAudioOnly). If one kind is missing (a laptop
// without camera), falls back to the other alone before giving up. Rejects with a MediaError
// whose message is for users.
export async function getLocalMedia({ isAudioOnly = false } = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new MediaError('Unsupported', window.isSecureContext
      ? 'This browser cannot use a camera or microphone.'
      : 'Camera and microphone need a secure page (https:// or localhost).');
  }
  let firstErr;
  const tries = isAudioOnly ? [{ audio: true }]
    : [{ audio: true, video: true }, { audio: true }, { video: true }];
  for (const constraints of tries) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      firstErr = firstErr || err;
      // Only a missing device is worth a narrower second try; a denial applies to all.
      if (err.name !== 'NotFoundError' && err.name !== 'OverconstrainedError') break;
    }
  }
  throw new MediaError(firstErr.name,
    MEDIA_ERRORS[firstErr.name] || `The camera or microphone failed: ${firstErr.message}`);
}

export function stopMedia(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}
