// The page side of the LiveKit e2e tests: the real livekit-client (bundled with esbuild) behind a
// global `harness` that joins a room, publishes the fake camera and microphone, counts the frames
// each remote video presents (requestVideoFrameCallback), and records data packets and events.
import { build } from 'esbuild';

export const LIVEKIT_PAGE_ENTRY = `
import { Room, RoomEvent, Track, VideoPresets } from 'livekit-client';
const events = [];
const frames = {};
const received = [];
let room;
function countFrames(identity, track) {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  track.attach(video);
  frames[identity] = 0;
  const onFrame = () => { frames[identity]++; video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
}
globalThis.harness = {
  events, frames, received,
  async join(url, token) {
    // 360p capture keeps two encoders affordable on a busy 2-core machine.
    room = new Room({ videoCaptureDefaults: { resolution: VideoPresets.h360.resolution } });
    room
      .on(RoomEvent.ParticipantConnected, (p) => events.push(['participantConnected', p.identity]))
      .on(RoomEvent.ParticipantDisconnected, (p) => events.push(['participantDisconnected', p.identity]))
      .on(RoomEvent.TrackSubscribed, (track, _pub, p) => {
        events.push(['trackSubscribed', p.identity + ':' + track.kind]);
        if (track.kind === Track.Kind.Video) countFrames(p.identity, track);
        else track.attach();
      })
      .on(RoomEvent.TrackMuted, (pub, p) => events.push(['trackMuted', p.identity + ':' + pub.kind]))
      .on(RoomEvent.ParticipantMetadataChanged, (_old, p) => events.push(['metadataChanged', p.identity + ':' + p.metadata]))
      .on(RoomEvent.DataReceived, (payload, p, kind, topic) =>
        received.push({ text: new TextDecoder().decode(payload), identity: p ? p.identity : null, topic: topic ?? null }))
      .on(RoomEvent.Disconnected, (reason) => events.push(['disconnected', reason]));
    await room.connect(url, token);
    return { sid: room.localParticipant.sid, others: [...room.remoteParticipants.keys()] };
  },
  async publish() {
    await room.localParticipant.enableCameraAndMicrophone();
  },
  async muteMic(muted) {
    await room.localParticipant.setMicrophoneEnabled(!muted);
  },
  async send(text, topic, destinationIdentities) {
    await room.localParticipant.publishData(new TextEncoder().encode(text), { reliable: true, topic, destinationIdentities });
  },
  metadataOf(identity) {
    const p = identity === room.localParticipant.identity ? room.localParticipant : room.remoteParticipants.get(identity);
    return p ? p.metadata : undefined;
  },
  state() { return room ? room.state : 'none'; },
  async leave() { await room.disconnect(); },
};
`;

/** Bundles {@link LIVEKIT_PAGE_ENTRY} with the repository's livekit-client (an IIFE script). */
export async function bundleLiveKitPage(root: string): Promise<string> {
  const bundle = await build({
    stdin: {
      contents: LIVEKIT_PAGE_ENTRY,
      resolveDir: root,
      sourcefile: 'livekit-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2021',
    write: false,
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]!.text;
}
