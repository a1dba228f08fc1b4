/**
 * Bodies of OpenVidu's CDR-shaped webhook events (`sessionCreated`, `participantJoined`,
 * `webrtcConnectionCreated`, …): the fields every event shares and the participant and WebRTC ones.
 */
import type { ConnectionRecord, PublisherRecord, SessionRecord } from './model.js';

export function cdrBase(session: SessionRecord, timestamp: number): Record<string, unknown> {
  return {
    sessionId: session.id,
    uniqueSessionId: `${session.id}_${session.createdAt}`,
    timestamp,
  };
}

export function participantCdr(
  session: SessionRecord,
  c: ConnectionRecord,
  timestamp: number,
): Record<string, unknown> {
  return {
    ...cdrBase(session, timestamp),
    participantId: c.id,
    connectionId: c.id,
    location: c.location ?? 'unknown',
    ip: c.ip,
    platform: c.platform,
    clientData: c.clientData ?? '',
    serverData: c.serverData,
  };
}

/** A WebRTC connection of `c`: its own publisher (`OUTBOUND`) or a subscription to `owner` (`INBOUND`). */
export function webrtcCdr(
  session: SessionRecord,
  c: ConnectionRecord,
  owner: ConnectionRecord,
  pub: PublisherRecord,
  direction: 'OUTBOUND' | 'INBOUND',
): Record<string, unknown> {
  return {
    ...cdrBase(session, Date.now()),
    streamId: pub.streamId,
    participantId: c.id,
    connectionId: c.id,
    connection: direction,
    ...(direction === 'INBOUND' ? { receivingFrom: owner.id } : {}),
    ...(pub.hasVideo
      ? {
          videoSource: pub.typeOfVideo ?? 'CAMERA',
          videoFramerate: pub.frameRate,
          videoDimensions: pub.videoDimensions,
        }
      : {}),
    audioEnabled: pub.hasAudio,
    videoEnabled: pub.hasVideo,
  };
}
