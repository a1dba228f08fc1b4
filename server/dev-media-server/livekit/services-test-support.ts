/**
 * Test parts for the LiveKit mode's services: an in-memory {@link LiveKitRooms} (a contract double
 * with the recorder's file behaviour: `stop()` writes `<dir>/<name>.mp4`), a webhook receiver on
 * loopback, and the services served over a real HTTP server with `@hono/node-server`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type HttpBindings } from '@hono/node-server';
import {
  ParticipantInfo,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  TrackInfo,
  TrackType,
  type DataPacket_Kind,
} from '@livekit/protocol';
import { AccessToken, type VideoGrant } from 'livekit-server-sdk';
import type { ActiveRecording } from '../media/types.js';
import type { CreateRoomOptions, LiveKitRooms, UpdateParticipantOptions } from './contract.js';
import {
  createLiveKitServices,
  type LiveKitServices,
  type LiveKitServicesOptions,
} from './services.js';

interface FakeRoom {
  room: Room;
  participants: Map<string, ParticipantInfo>;
}

export interface FakeRecording {
  room: string;
  options: { recordingId: string; dir: string; name: string; audioOnly?: boolean };
  stopped: boolean;
}

export class FakeRooms implements LiveKitRooms {
  readonly rooms = new Map<string, FakeRoom>();
  readonly sent: {
    room: string;
    payload: Uint8Array;
    kind: DataPacket_Kind;
    to?: string[];
    topic?: string;
  }[] = [];
  readonly recordings: FakeRecording[] = [];
  /** Makes the next recordings fail when stopped. */
  failRecording = false;
  private seq = 0;

  createRoom(options: CreateRoomOptions): Room {
    const existing = this.rooms.get(options.name);
    if (existing) return existing.room;
    const room = new Room({
      sid: `RM_${++this.seq}`,
      name: options.name,
      emptyTimeout: options.emptyTimeoutSec ?? 300,
      departureTimeout: options.departureTimeoutSec ?? 20,
      maxParticipants: options.maxParticipants ?? 0,
      metadata: options.metadata ?? '',
      creationTime: 1_700_000_000n,
    });
    this.rooms.set(options.name, { room, participants: new Map() });
    return room;
  }

  /** Puts a participant with one audio track (`TR_<identity>`) in the room. */
  join(room: string, identity: string, metadata = ''): ParticipantInfo {
    const r = this.rooms.get(room) ?? this.rooms.get(this.createRoom({ name: room }).name);
    const p = new ParticipantInfo({
      sid: `PA_${++this.seq}`,
      identity,
      metadata,
      state: ParticipantInfo_State.ACTIVE,
      joinedAt: 1_700_000_100n,
      permission: new ParticipantPermission({ canPublish: true, canSubscribe: true }),
      tracks: [
        new TrackInfo({
          sid: `TR_${identity.replace(/[^A-Za-z0-9]/g, '')}`,
          type: TrackType.AUDIO,
        }),
      ],
    });
    r?.participants.set(identity, p);
    if (r) r.room.numParticipants = r.participants.size;
    return p;
  }

  listRooms(names?: string[]): Room[] {
    const all = [...this.rooms.values()].map((r) => r.room);
    return names ? all.filter((r) => names.includes(r.name)) : all;
  }

  deleteRoom(name: string): boolean {
    return this.rooms.delete(name);
  }

  updateRoomMetadata(name: string, metadata: string): Room | undefined {
    const r = this.rooms.get(name);
    if (r) r.room.metadata = metadata;
    return r?.room;
  }

  listParticipants(room: string): ParticipantInfo[] | undefined {
    const r = this.rooms.get(room);
    return r ? [...r.participants.values()] : undefined;
  }

  getParticipant(room: string, identity: string): ParticipantInfo | undefined {
    return this.rooms.get(room)?.participants.get(identity);
  }

  removeParticipant(room: string, identity: string): boolean {
    return this.rooms.get(room)?.participants.delete(identity) ?? false;
  }

  updateParticipant(
    room: string,
    identity: string,
    update: UpdateParticipantOptions,
  ): ParticipantInfo | undefined {
    const p = this.getParticipant(room, identity);
    if (!p) return undefined;
    if (update.metadata !== undefined) p.metadata = update.metadata;
    if (update.name !== undefined) p.name = update.name;
    if (update.permission) p.permission = update.permission;
    if (update.attributes) p.attributes = { ...p.attributes, ...update.attributes };
    return p;
  }

  mutePublishedTrack(
    room: string,
    identity: string,
    trackSid: string,
    muted: boolean,
  ): TrackInfo | undefined {
    const track = this.getParticipant(room, identity)?.tracks.find((t) => t.sid === trackSid);
    if (track) track.muted = muted;
    return track;
  }

  sendData(
    room: string,
    payload: Uint8Array,
    options: { kind: DataPacket_Kind; destinationIdentities?: string[]; topic?: string },
  ): boolean {
    if (!this.rooms.has(room)) return false;
    this.sent.push({
      room,
      payload,
      kind: options.kind,
      to: options.destinationIdentities,
      topic: options.topic,
    });
    return true;
  }

  recordRoom(
    room: string,
    options: { recordingId: string; dir: string; name: string; audioOnly?: boolean },
  ): Promise<ActiveRecording | undefined> {
    if (!this.rooms.has(room)) return Promise.resolve(undefined);
    const entry: FakeRecording = { room, options, stopped: false };
    this.recordings.push(entry);
    const fail = this.failRecording;
    return Promise.resolve({
      addStream: () => undefined,
      removeStream: () => undefined,
      stop: async () => {
        entry.stopped = true;
        if (fail) throw new Error('composition failed');
        const fileName = `${options.name}.mp4`;
        const bytes = Buffer.alloc(4096, 7);
        await writeFile(join(options.dir, fileName), bytes);
        return { size: bytes.length, duration: 2.5, fileName };
      },
    });
  }
}

export interface ReceivedWebhook {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A webhook endpoint on loopback that records every POST (answers `status()` per request). */
export class WebhookInbox {
  readonly received: ReceivedWebhook[] = [];
  status: () => number = () => 200;
  url = '';
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
        res.writeHead(this.status()).end();
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

export interface ServedServices {
  services: LiveKitServices;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** The services behind a real HTTP server on loopback, the peer address passed along. */
export async function serveServices(options: LiveKitServicesOptions): Promise<ServedServices> {
  const services = createLiveKitServices(options);
  let port = 0;
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: (req, env) =>
          services.fetch(req, {
            remoteAddress: (env as HttpBindings).incoming.socket.remoteAddress,
          }),
        port: 0,
        hostname: '127.0.0.1',
      },
      (info) => {
        port = info.port;
        resolve(s);
      },
    );
  });
  return {
    services,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await services.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls `check` every 10 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
export const KEY = 'lk-dev-key';
export const SECRET = 'lk-dev-secret-0123456789abcdef0123456789';
export const opts = { failover: false, requestTimeout: 5 };

/** Rejects with a Twirp error of this HTTP status and code. */
export async function rejectsWith(
  p: Promise<unknown>,
  status: number,
  code: string,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as { status?: number; code?: string; message?: string };
    assert.equal(err.status, status, `status of ${err.message}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** An API token with these grants (5 minutes unless `ttl` says otherwise). */
export async function jwt(
  grant: VideoGrant,
  key = KEY,
  secret = SECRET,
  ttl: number | string = '5m',
): Promise<string> {
  const at = new AccessToken(key, secret, { ttl });
  at.addGrant(grant);
  return at.toJwt();
}
