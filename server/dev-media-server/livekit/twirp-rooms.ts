/**
 * `livekit.RoomService` over {@link LiveKitRooms}: the grants and not-found answers of LiveKit's own
 * room service, with every room name and identity checked before the rooms see it.
 */
import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ForwardParticipantRequest,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MoveParticipantRequest,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  SendDataRequest,
  SendDataResponse,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  UpdateSubscriptionsRequest,
} from '@livekit/protocol';
import type { LiveKitRooms, UpdateParticipantOptions } from './contract.js';
import {
  checkMetadata,
  checkName,
  checkTrackSid,
  method,
  requireAdmin,
  requireCreate,
  requireList,
  TwirpError,
  type TwirpMethod,
} from './twirp.js';

/** LiveKit's limits for a participant's name and a server data packet. */
const MAX_PARTICIPANT_NAME = 256;
const MAX_DATA_BYTES = 64_000;

const roomNotFound = (): TwirpError => new TwirpError('not_found', 'requested room does not exist');
const participantNotFound = (): TwirpError =>
  new TwirpError('not_found', 'participant does not exist');

const unimplemented = (): never => {
  throw new TwirpError('unimplemented', 'not implemented by the dev media server');
};

/** The RoomService methods, by name. */
export function roomServiceMethods(rooms: LiveKitRooms): Map<string, TwirpMethod> {
  /** Checks the room name and the admin grant, and that the room exists. */
  const adminRoom = (room: string, grants: Parameters<typeof requireAdmin>[0]): string => {
    checkName(room, 'room');
    requireAdmin(grants, room);
    if (rooms.listRooms([room]).length === 0) throw roomNotFound();
    return room;
  };

  return new Map<string, TwirpMethod>([
    [
      'CreateRoom',
      method(CreateRoomRequest, (req, grants) => {
        requireCreate(grants);
        checkName(req.name, 'room');
        checkMetadata(req.metadata);
        return rooms.createRoom({
          name: req.name,
          emptyTimeoutSec: req.emptyTimeout || undefined,
          departureTimeoutSec: req.departureTimeout || undefined,
          maxParticipants: req.maxParticipants || undefined,
          metadata: req.metadata || undefined,
        });
      }),
    ],
    [
      'ListRooms',
      method(ListRoomsRequest, (req, grants) => {
        requireList(grants);
        for (const name of req.names) checkName(name, 'room');
        const list = rooms.listRooms(req.names.length > 0 ? req.names : undefined);
        return new ListRoomsResponse({ rooms: list });
      }),
    ],
    [
      'DeleteRoom',
      method(DeleteRoomRequest, (req, grants) => {
        requireCreate(grants);
        checkName(req.room, 'room');
        if (!rooms.deleteRoom(req.room)) throw roomNotFound();
        return new DeleteRoomResponse();
      }),
    ],
    [
      'ListParticipants',
      method(ListParticipantsRequest, (req, grants) => {
        const room = adminRoom(req.room, grants);
        const participants = rooms.listParticipants(room);
        if (!participants) throw roomNotFound();
        return new ListParticipantsResponse({ participants });
      }),
    ],
    [
      'GetParticipant',
      method(RoomParticipantIdentity, (req, grants) => {
        const room = adminRoom(req.room, grants);
        const p = rooms.getParticipant(room, checkName(req.identity, 'identity'));
        if (!p) throw participantNotFound();
        return p;
      }),
    ],
    [
      'RemoveParticipant',
      method(RoomParticipantIdentity, (req, grants) => {
        const room = adminRoom(req.room, grants);
        if (!rooms.removeParticipant(room, checkName(req.identity, 'identity')))
          throw participantNotFound();
        return new RemoveParticipantResponse();
      }),
    ],
    [
      'UpdateParticipant',
      method(UpdateParticipantRequest, (req, grants) => {
        if (Buffer.byteLength(req.name) > MAX_PARTICIPANT_NAME)
          throw new TwirpError('invalid_argument', 'name length exceeds limits');
        checkMetadata(req.metadata);
        checkMetadata(JSON.stringify(req.attributes));
        const room = adminRoom(req.room, grants);
        const update: UpdateParticipantOptions = {};
        if (req.metadata) update.metadata = req.metadata;
        if (req.name) update.name = req.name;
        if (req.permission) update.permission = req.permission;
        if (Object.keys(req.attributes).length > 0) update.attributes = req.attributes;
        const p = rooms.updateParticipant(room, checkName(req.identity, 'identity'), update);
        if (!p) throw participantNotFound();
        return p;
      }),
    ],
    [
      'MutePublishedTrack',
      method(MuteRoomTrackRequest, (req, grants) => {
        const room = adminRoom(req.room, grants);
        const identity = checkName(req.identity, 'identity');
        const sid = checkTrackSid(req.trackSid);
        if (!rooms.getParticipant(room, identity)) throw participantNotFound();
        const track = rooms.mutePublishedTrack(room, identity, sid, req.muted);
        if (!track) throw new TwirpError('not_found', 'track is not found');
        return new MuteRoomTrackResponse({ track });
      }),
    ],
    [
      'UpdateRoomMetadata',
      method(UpdateRoomMetadataRequest, (req, grants) => {
        checkMetadata(req.metadata);
        const room = adminRoom(req.room, grants);
        const updated = rooms.updateRoomMetadata(room, req.metadata);
        if (!updated) throw roomNotFound();
        return updated;
      }),
    ],
    [
      'SendData',
      method(SendDataRequest, (req, grants) => {
        const room = adminRoom(req.room, grants);
        if (req.nonce.length !== 0 && req.nonce.length !== 16)
          throw new TwirpError('invalid_argument', 'nonce should be 16-bytes or not present');
        if (req.data.byteLength > MAX_DATA_BYTES)
          throw new TwirpError('invalid_argument', 'data exceeds limits');
        if (req.destinationSids.length > 0)
          throw new TwirpError('invalid_argument', 'use destinationIdentities (sids are not kept)');
        for (const identity of req.destinationIdentities) checkName(identity, 'identity');
        if (req.topic !== undefined && Buffer.byteLength(req.topic) > 256)
          throw new TwirpError('invalid_argument', 'topic exceeds limits');
        const sent = rooms.sendData(room, req.data, {
          kind: req.kind,
          ...(req.destinationIdentities.length > 0
            ? { destinationIdentities: req.destinationIdentities }
            : {}),
          ...(req.topic !== undefined ? { topic: req.topic } : {}),
        });
        if (!sent) throw roomNotFound();
        return new SendDataResponse();
      }),
    ],
    ['UpdateSubscriptions', method(UpdateSubscriptionsRequest, unimplemented)],
    ['ForwardParticipant', method(ForwardParticipantRequest, unimplemented)],
    ['MoveParticipant', method(MoveParticipantRequest, unimplemented)],
  ]);
}
