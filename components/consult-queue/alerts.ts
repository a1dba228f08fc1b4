/**
 * The opt-in alerts of `<consult-queue>` when someone starts waiting: a short tone (Web Audio, no
 * audio file, so the strict CSP holds) and a system `Notification`. Both fail silently: a browser
 * may refuse audio before a user gesture, or notifications altogether.
 * @packageDocumentation
 */

let context: AudioContext | undefined;

/** Plays a soft two-note chime (about 0.4 s). */
export function playChime(): void {
  try {
    const Ctx = globalThis.AudioContext;
    if (typeof Ctx !== 'function') return;
    context ??= new Ctx();
    const ctx = context;
    void ctx.resume?.().catch(() => undefined);
    const start = ctx.currentTime;
    for (const [i, freq] of [660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const t0 = start + i * 0.18;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + 0.22);
    }
  } catch {
    // No audio: the visual list and the live announcement still tell.
  }
}

/** The page's notification permission, or `unsupported`. */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

/** Asks for permission (call from a click); resolves with the answer. */
export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification !== 'function') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Shows a notification when allowed; `tag` replaces an earlier one for the same person. */
export function showNotification(title: string, body: string, tag: string): void {
  if (notificationPermission() !== 'granted') return;
  try {
    new Notification(title, { body, tag });
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}
