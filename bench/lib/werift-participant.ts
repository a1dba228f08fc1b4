/**
 * A participant that speaks openvidu-browser's protocol to the dev media server (REST token, JSON-RPC
 * over WebSocket) with werift peer connections in place of a browser: it publishes VP8 + Opus from an
 * {@link RtpReplayer} and subscribes to other participants' streams, counting what it receives.
 * Loopback only: it offers and accepts 127.0.0.1 candidates alone (the server must announce 127.0.0.1).
 */
import WebSocket from 'ws';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  useAbsSendTime,
  useOPUS,
  useSdesMid,
  useVP8,
} from 'werift';
import { tolerateRepeatedHelloVerify } from '../../server/dev-media-server/media/dtls.js';
import type { Kind, RtpReplayer } from './rtp-recording.js';
import { waitUntil } from './report.js';

interface RpcReply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

function basicAuth(secret: string): string {
  return `Basic ${Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64')}`;
}

/** POST to the OpenVidu REST API of the dev server; returns the parsed JSON body. */
export async function restPost(
  baseUrl: string,
  secret: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/openvidu/api${path}`, {
    method: 'POST',
    headers: { authorization: basicAuth(secret), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`POST ${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

export async function createSession(baseUrl: string, secret: string): Promise<string> {
  return String((await restPost(baseUrl, secret, '/sessions', {}))['id']);
}

export async function createToken(
  baseUrl: string,
  secret: string,
  sessionId: string,
): Promise<string> {
  const connection = await restPost(baseUrl, secret, `/sessions/${sessionId}/connection`, {
    role: 'PUBLISHER',
  });
  return String(connection['token']);
}

const LOOPBACK = '127.0.0.1';

function peerConfig(): ConstructorParameters<typeof RTCPeerConnection>[0] {
  return {
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [LOOPBACK],
    bundlePolicy: 'max-bundle',
    codecs: { video: [useVP8()], audio: [useOPUS()] },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime()], audio: [useSdesMid()] },
  };
}

/** Drops every candidate line but the loopback ones (browsers trickle; we keep it to loopback). */
function loopbackCandidatesOnly(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate') || line.includes(` ${LOOPBACK} `))
    .join('\r\n');
}

function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'))
    .join('\r\n');
}

export class WeriftParticipant {
  connectionId = '';
  streamId = '';
  /** Packets handed to the publisher's tracks. */
  readonly sent: Record<Kind, number> = { audio: 0, video: 0 };
  /** Packets received per subscription, per kind. */
  readonly received = new Map<string, Record<Kind, number>>();
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: RpcReply) => void>();
  private publisherPc: RTCPeerConnection | undefined;
  /** Subscriber pcs by the publisher's connection id (the server's `senderConnectionId`). */
  private readonly subscriberPcs = new Map<string, RTCPeerConnection>();
  private unsubscribeSource: (() => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly sessionId: string,
  ) {}

  async join(): Promise<void> {
    const token = await createToken(this.baseUrl, this.secret, this.sessionId);
    const ws = new WebSocket(
      `${this.baseUrl.replace(/^http/, 'ws')}/openvidu?sessionId=${encodeURIComponent(this.sessionId)}`,
    );
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => this.onMessage(JSON.parse(String(data)) as RpcReply));
    const joined = await this.call('joinRoom', {
      token,
      session: this.sessionId,
      platform: 'werift (consult-kit bench)',
      sdkVersion: '2.32.2',
      metadata: '',
      secret: '',
      recorder: false,
      stt: false,
    });
    this.connectionId = String(joined['id']);
  }

  private onMessage(msg: RpcReply): void {
    if (msg.method === 'iceCandidate' && msg.params) {
      const p = msg.params;
      const candidate = String(p['candidate'] ?? '');
      if (!candidate.includes(` ${LOOPBACK} `)) return;
      const sender = String(p['senderConnectionId']);
      const pc = sender === this.connectionId ? this.publisherPc : this.subscriberPcs.get(sender);
      pc?.addIceCandidate({
        candidate,
        sdpMid: typeof p['sdpMid'] === 'string' ? p['sdpMid'] : undefined,
        sdpMLineIndex: typeof p['sdpMLineIndex'] === 'number' ? p['sdpMLineIndex'] : undefined,
      }).catch(() => undefined);
      return;
    }
    if (typeof msg.id === 'number') {
      this.waiting.get(msg.id)?.(msg);
      this.waiting.delete(msg.id);
    }
  }

  private call(
    method: string,
    params: object,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.ws?.send(JSON.stringify({ jsonrpc: '2.0', method, params, id }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error || !reply.result) {
          reject(new Error(`${method}: ${reply.error?.message ?? 'no result'}`));
        } else resolve(reply.result);
      });
    });
  }

  /** Trickles our loopback candidates to the server for `endpointName`. */
  private trickle(pc: RTCPeerConnection, endpointName: string): void {
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate?.candidate || !candidate.candidate.includes(` ${LOOPBACK} `)) return;
      this.call('onIceCandidate', {
        endpointName,
        candidate: candidate.candidate.startsWith('candidate:')
          ? candidate.candidate
          : `candidate:${candidate.candidate}`,
        sdpMid: candidate.sdpMid,
        sdpMLineIndex: candidate.sdpMLineIndex,
      }).catch(() => undefined);
    });
  }

  /** Publishes audio + video fed by `source`; resolves once the publisher pc is connected. */
  async publish(source: RtpReplayer): Promise<void> {
    const pc = new RTCPeerConnection(peerConfig());
    this.publisherPc = pc;
    const tracks: Record<Kind, MediaStreamTrack> = {
      video: new MediaStreamTrack({ kind: 'video' }),
      audio: new MediaStreamTrack({ kind: 'audio' }),
    };
    for (const kind of ['video', 'audio'] as const) {
      pc.addTransceiver(tracks[kind], { direction: 'sendonly' });
    }
    this.trickle(pc, this.connectionId);
    await pc.setLocalDescription(await pc.createOffer());
    tolerateRepeatedHelloVerify(pc);
    const offer = withoutCandidates(pc.localDescription?.sdp ?? '');
    const result = await this.call('publishVideo', {
      doLoopback: false,
      hasAudio: true,
      hasVideo: true,
      audioActive: true,
      videoActive: true,
      typeOfVideo: 'CAMERA',
      frameRate: 30,
      videoDimensions: JSON.stringify({ width: 640, height: 480 }),
      sdpOffer: offer,
    });
    this.streamId = String(result['id']);
    await pc.setRemoteDescription({
      type: 'answer',
      sdp: loopbackCandidatesOnly(String(result['sdpAnswer'])),
    });
    this.unsubscribeSource = source.onPacket((kind, packet) => {
      this.sent[kind]++;
      tracks[kind].writeRtp(packet);
    });
    await waitUntil(
      `publisher ${this.connectionId} connected`,
      () => pc.connectionState === 'connected',
      15_000,
    );
  }

  /** Subscribes to `other`'s stream; resolves once the subscriber pc is connected. */
  async subscribe(other: WeriftParticipant): Promise<void> {
    const pc = new RTCPeerConnection(peerConfig());
    this.subscriberPcs.set(other.connectionId, pc);
    const counts: Record<Kind, number> = { audio: 0, video: 0 };
    this.received.set(other.connectionId, counts);
    pc.onTrack.subscribe((track) => {
      const kind: Kind = track.kind === 'audio' ? 'audio' : 'video';
      track.onReceiveRtp.subscribe(() => counts[kind]++);
    });
    for (const kind of ['video', 'audio'] as const) {
      pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    this.trickle(pc, other.connectionId);
    await pc.setLocalDescription(await pc.createOffer());
    tolerateRepeatedHelloVerify(pc);
    const result = await this.call('receiveVideoFrom', {
      sender: other.streamId,
      sdpOffer: withoutCandidates(pc.localDescription?.sdp ?? ''),
    });
    await pc.setRemoteDescription({
      type: 'answer',
      sdp: loopbackCandidatesOnly(String(result['sdpAnswer'])),
    });
    await waitUntil(
      `subscriber ${this.connectionId} <- ${other.connectionId} connected`,
      () => pc.connectionState === 'connected',
      15_000,
    );
  }

  /** Packets received over all subscriptions, both kinds. */
  totalReceived(): number {
    let n = 0;
    for (const c of this.received.values()) n += c.audio + c.video;
    return n;
  }

  totalSent(): number {
    return this.sent.audio + this.sent.video;
  }

  /** Leaves the session the way openvidu-browser's `disconnect()` does, then closes everything. */
  async leave(): Promise<void> {
    await this.call('leaveRoom', {}, 5_000).catch(() => undefined);
    await this.close();
  }

  async close(): Promise<void> {
    this.unsubscribeSource?.();
    await Promise.allSettled([
      this.publisherPc?.close(),
      ...[...this.subscriberPcs.values()].map((pc) => pc.close()),
    ]);
    this.ws?.close();
  }
}
