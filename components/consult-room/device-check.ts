/**
 * Pure helpers of the pre-join screen: the structured device-check result and the browser family
 * whose permission steps to show.
 * @packageDocumentation
 */
import { MediaDeviceError, type ConsultError, type SessionState } from '../../src/index.js';
import type {
  ConsultDeviceCheckEventDetail,
  DeviceCheckStatus,
  DevicePermission,
} from '../events/consult-device-check.js';

const MEDIA_CODES: ReadonlySet<string> = new Set([
  'permission-denied',
  'device-not-found',
  'device-in-use',
  'overconstrained',
  'insecure-context',
  'unsupported-browser',
]);

function statusOfError(error: ConsultError): DeviceCheckStatus {
  switch (error.code) {
    case 'permission-denied':
      return 'denied';
    case 'device-not-found':
      return 'missing';
    case 'device-in-use':
      return 'in-use';
    case 'insecure-context':
      return 'insecure';
    case 'unsupported-browser':
      return 'unsupported';
    default:
      return 'error';
  }
}

function appliesTo(error: ConsultError, kind: 'camera' | 'microphone'): boolean {
  if (error instanceof MediaDeviceError) {
    return error.device === kind || error.device === 'camera-and-microphone';
  }
  return MEDIA_CODES.has(error.code);
}

/**
 * The device-check result from the session state after the preview started (or failed with
 * `error`), and the Permissions API answer.
 */
export function computeDeviceCheck(
  state: SessionState,
  error: ConsultError | undefined,
  permission: DevicePermission,
): ConsultDeviceCheckEventDetail {
  const failure = error ?? state.localMedia.error;
  const stream = state.localMedia.previewStream;
  const status = (kind: 'camera' | 'microphone'): DeviceCheckStatus => {
    if (failure && appliesTo(failure, kind)) return statusOfError(failure);
    const media = state.localMedia;
    const enabled = kind === 'camera' ? media.videoEnabled && !media.audioOnly : media.audioEnabled;
    if (!enabled) return 'off';
    const tracks = kind === 'camera' ? stream?.getVideoTracks() : stream?.getAudioTracks();
    return tracks?.some((t) => t.readyState === 'live') ? 'ok' : 'missing';
  };
  const camera = status('camera');
  const microphone = status('microphone');
  const denied = camera === 'denied' || microphone === 'denied';
  return {
    camera,
    microphone,
    permission: denied ? 'denied' : permission,
    error:
      failure && (appliesTo(failure, 'camera') || appliesTo(failure, 'microphone'))
        ? failure
        : undefined,
  };
}

/** Reads the camera/microphone permission where the Permissions API knows those names. */
export async function queryPermission(): Promise<DevicePermission> {
  const permissions = typeof navigator === 'object' ? navigator.permissions : undefined;
  if (!permissions?.query) return 'unknown';
  try {
    const [camera, microphone] = await Promise.all([
      permissions.query({ name: 'camera' as PermissionName }),
      permissions.query({ name: 'microphone' as PermissionName }),
    ]);
    if (camera.state === 'denied' || microphone.state === 'denied') return 'denied';
    if (camera.state === 'granted' && microphone.state === 'granted') return 'granted';
    return 'prompt';
  } catch {
    // Firefox and Safari reject unknown permission names.
    return 'unknown';
  }
}

/** Which browser's permission steps to show. */
export type BrowserFamily = 'chrome' | 'firefox' | 'safari' | 'other';

/** Detects the browser family from a user-agent string (Edge and Opera follow Chrome's steps). */
export function browserFamily(userAgent: string): BrowserFamily {
  if (/Firefox\/|FxiOS\//.test(userAgent)) return 'firefox';
  if (/Edg\/|OPR\/|Chrome\/|Chromium\/|CriOS\//.test(userAgent)) return 'chrome';
  if (/Safari\//.test(userAgent)) return 'safari';
  return 'other';
}

/** True when the status needs the user's attention (not ok, not deliberately off). */
export function isProblem(status: DeviceCheckStatus | undefined): boolean {
  return status !== undefined && status !== 'ok' && status !== 'off' && status !== 'pending';
}

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
