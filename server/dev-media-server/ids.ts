/**
 * Identifier generation and validation, in OpenVidu 2.x formats. Every id that can reach a file path or a
 * lookup from the outside is checked with one of the `is…` functions first.
 */
import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** `ses_` + 1 uppercase letter + 9 alphanumerics. */
export const newSessionId = (): string => `ses_${pick(UPPER, 1)}${pick(ALNUM, 9)}`;
/** `con_` + 1 uppercase letter + 9 alphanumerics. */
export const newConnectionId = (): string => `con_${pick(UPPER, 1)}${pick(ALNUM, 9)}`;
/** `tok_` + 1 uppercase letter + 15 alphanumerics. */
export const newTokenId = (): string => `tok_${pick(UPPER, 1)}${pick(ALNUM, 15)}`;
/** The JSON-RPC session id handed to the browser for WebSocket re-binding (`connect`). */
export const newRpcSessionId = (): string => pick(ALNUM, 26);
/** Any opaque id (finalUserId and the like). */
export const randomAlnum = (n: number): string => pick(ALNUM, n);

const VIDEO_PREFIX: Record<string, string> = {
  CAMERA: 'CAM',
  SCREEN: 'SCR',
  CUSTOM: 'CUS',
  IPCAM: 'IPC',
};

/** `str_<CAM|SCR|CUS|IPC|MIC>_<4 random>_<connectionId>`. */
export function newStreamId(
  connectionId: string,
  typeOfVideo: string | undefined,
  hasVideo: boolean,
): string {
  const prefix = hasVideo ? (VIDEO_PREFIX[typeOfVideo ?? 'CAMERA'] ?? 'CAM') : 'MIC';
  return `str_${prefix}_${pick(ALNUM, 4)}_${connectionId}`;
}

/** The publisher's connection id inside a stream id: everything from the last `con_`. */
export function connectionIdOfStream(streamId: string): string | undefined {
  const i = streamId.lastIndexOf('con_');
  return i >= 0 ? streamId.slice(i) : undefined;
}

const ID_RE = /^[a-zA-Z0-9_-]{1,128}$/;
const RECORDING_ID_RE = /^[a-zA-Z0-9_~-]{1,140}$/;
const FILE_NAME_RE = /^[a-zA-Z0-9_~-][a-zA-Z0-9_~.-]{0,199}$/;

/** Session, connection and stream ids (OpenVidu alphabet). */
export const isValidId = (id: string): boolean => ID_RE.test(id);
/** Recording ids and names (`~` allowed for `sessionId~N`). */
export const isValidRecordingId = (id: string): boolean => RECORDING_ID_RE.test(id);
/** A file name inside a recording folder: no separators, no `..`, not hidden. */
export const isValidFileName = (name: string): boolean =>
  FILE_NAME_RE.test(name) && !name.includes('..');
