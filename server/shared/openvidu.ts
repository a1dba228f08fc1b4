/**
 * OpenVidu 2.32's own vocabulary, which both servers speak: the dev media server implements it and
 * the token server calls it (docs/openvidu-protocol.md).
 */

/** A connection's role in OpenVidu. */
export type OpenViduRole = 'SUBSCRIBER' | 'PUBLISHER' | 'MODERATOR';

/** A recording's status in OpenVidu's REST API and webhooks. */
export type OpenViduRecordingStatus = 'starting' | 'started' | 'stopped' | 'ready' | 'failed';
