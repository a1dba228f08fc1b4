// The page side of tests that drive the SDK's own ConsultSession against a token server: a bundle of
// src/index.ts (esbuild, IIFE; openvidu-browser and the event-stream client come in through the
// SDK's dynamic imports) plus `globalThis.harness`, which joins with a portal bearer token and keeps
// what the session emits. The test reads it with `page.evaluate(() => harness.summary())`.

import { bundleForPage } from './page-bundle.js';

const PAGE_ENTRY = `
import { createConsultClient } from './src/index.ts';

let session;
const log = { connection: [], errors: [], consent: [], recording: [], received: [], lobby: [] };

function summary() {
  const s = session.state;
  return {
    connection: s.connection,
    role: s.role ?? null,
    participants: s.participants.map((p) => ({
      displayName: p.displayName, isLocal: p.isLocal,
      tracks: p.stream ? p.stream.getTracks().filter((t) => t.readyState === 'live').map((t) => t.kind).sort() : [],
    })),
    lobby: (s.lobby ?? []).map((e) => e.userId),
    chat: s.chat.messages.map((m) => ({ text: m.text, isLocal: m.isLocal, delivery: m.delivery })),
    recording: { status: s.recording.status, consentPending: s.recording.consentPending, consentRequested: s.recording.consent ? s.recording.consent.requested : false },
    log,
  };
}

globalThis.harness = {
  /** Starts joining (the waiting room may hold it); does not wait for the call. media: false
   * joins without camera and microphone. */
  join(consultId, accessToken, displayName, media = true) {
    const client = createConsultClient({ tokenUrl: location.origin + '/api', auth: accessToken });
    session = client.createSession(consultId, { displayName, audio: media, video: media });
    log.connection.push(session.state.connection);
    session.on('connectionChanged', ({ connection, reason }) => log.connection.push(connection + ':' + reason));
    session.on('error', ({ error }) => log.errors.push(error.code + ': ' + error.message));
    session.on('consentRequested', () => log.consent.push('requested'));
    session.on('recordingChanged', ({ recording }) => { if (log.recording.at(-1) !== recording.status) log.recording.push(recording.status); });
    session.on('messageReceived', ({ message }) => log.received.push(message.text));
    session.on('lobbyChanged', ({ lobby }) => log.lobby.push(lobby.map((e) => e.userId)));
    session.connect().catch((error) => log.errors.push('connect: ' + (error.code ?? '') + ': ' + error.message));
  },
  summary,
  admit(userId) { return session.admit(userId); },
  send(text) { return session.sendMessage(text).then((m) => m.delivery); },
  startRecording() { return session.startRecording(); },
  stopRecording() { return session.stopRecording(); },
  consent(granted) { return session.setRecordingConsent(granted); },
  /** Counts frames the remote participant's video presents (at least 5 within 5 s). */
  async frames(name) {
    const p = session.state.participants.find((x) => !x.isLocal && x.displayName === name);
    const track = p && p.stream && p.stream.getVideoTracks()[0];
    if (!track) return 0;
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    document.body.append(video);
    await video.play();
    const n = await new Promise((resolve) => {
      let count = 0;
      const timer = setTimeout(() => resolve(count), 5000);
      const tick = () => { if (++count >= 5) { clearTimeout(timer); resolve(count); } else video.requestVideoFrameCallback(tick); };
      video.requestVideoFrameCallback(tick);
    });
    video.remove();
    return n;
  },
  leave() { return session.leave(); },
};
`;

/** What `harness.summary()` returns. */
export interface HarnessSummary {
  connection: string;
  role: string | null;
  participants: { displayName: string; isLocal: boolean; tracks: string[] }[];
  lobby: string[];
  chat: { text: string; isLocal: boolean; delivery: string }[];
  recording: { status: string; consentPending: boolean; consentRequested: boolean };
  log: {
    connection: string[];
    errors: string[];
    consent: string[];
    recording: string[];
    received: string[];
    lobby: string[][];
  };
}

/** The page's calls, as `page.evaluate` sees them. */
export interface Harness {
  join(consultId: string, accessToken: string, displayName: string, media?: boolean): void;
  summary(): HarnessSummary;
  admit(userId: string): Promise<void>;
  send(text: string): Promise<string>;
  startRecording(): Promise<void>;
  stopRecording(): Promise<void>;
  consent(granted: boolean): Promise<void>;
  frames(name: string): Promise<number>;
  leave(): Promise<void>;
}

/** The page: an HTML shell and the bundled harness script it loads from `/harness.js`. */
export async function buildHarnessPage(): Promise<{ html: string; js: string }> {
  const js = await bundleForPage({ contents: PAGE_ENTRY, sourcefile: 'e2e-harness.ts' });
  return {
    html: '<!doctype html><meta charset="utf-8"><title>harness</title><script src="/harness.js"></script>',
    js,
  };
}
