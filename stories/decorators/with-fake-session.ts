/**
 * `withFakeSession`: gives a story a {@link FakeSession} built from `parameters.session`, the way
 * LiveKit's `LkRoomContext` decorator provides a room. The session gets canvas-generated streams
 * (a coloured canvas with the participant's name), so every state renders with no server, camera
 * or microphone. Render functions and `play` read it with {@link fakeSessionFor}.
 *
 * @example
 * ```ts
 * export const OneToOne: Story = {
 *   parameters: {
 *     session: {
 *       state: { role: 'patient' },
 *       steps: [
 *         ['simulateConnection', 'connected'],
 *         ['simulateParticipantJoined', { id: 'dr', displayName: 'Dr. Chen', role: 'provider' }],
 *       ],
 *     },
 *   },
 * };
 * ```
 * @packageDocumentation
 */
import type { Decorator } from '@storybook/web-components-vite';
import { FakeSession } from '../../src/testing/index.js';
import type { SessionState } from '../../src/index.js';
import { StreamRegistry } from '../support/canvas-stream.js';

/** The FakeSession methods a story may call before it renders. */
type StepMethod = {
  [K in keyof FakeSession]: K extends `simulate${string}` | 'failNext' ? K : never;
}[keyof FakeSession];

/**
 * One call of a `simulate*` method (or `failNext`), as `[method, ...arguments]`; type-checked
 * against FakeSession's signatures.
 */
export type SessionStep = {
  [K in StepMethod]: FakeSession[K] extends (...args: infer A) => unknown
    ? readonly [K, ...A]
    : never;
}[StepMethod];

/** `parameters.session`: what the story's FakeSession looks like. */
export interface FakeSessionParameter {
  /** Initial state; anything left out gets FakeSession's defaults (idle, nobody, empty chat). */
  state?: Partial<SessionState>;
  /** Calls made, in order, before the story renders. */
  steps?: readonly SessionStep[];
  /**
   * Generated media: `camera` (default) gives everyone a labelled video and an audio track,
   * `audio` gives audio tracks only, `none` gives no streams at all (no devices).
   */
  media?: 'camera' | 'audio' | 'none';
  /** Build no session (stories where the element fetches its own token). */
  disabled?: boolean;
}

declare module 'storybook/internal/csf' {
  interface Parameters {
    /** Read by {@link withFakeSession}. */
    session?: FakeSessionParameter;
  }
}

interface Entry {
  session: FakeSession;
  streams: StreamRegistry;
}

/** One session per story id: re-renders (controls, toolbar) keep the session and its state. */
const entries = new Map<string, Entry>();

/** The story's FakeSession (undefined when the story has no `parameters.session`). */
export function fakeSessionFor(context: { id: string }): FakeSession | undefined {
  return entries.get(context.id)?.session;
}

/** Display names by participant id, so each canvas shows who it is. */
function namesOf(parameter: FakeSessionParameter): Map<string, string> {
  const names = new Map<string, string>([['local', 'You']]);
  for (const p of parameter.state?.participants ?? []) names.set(p.id, p.displayName);
  for (const step of parameter.steps ?? []) {
    if (step[0] === 'simulateParticipantJoined') {
      const partial = step[1];
      if (partial?.id && partial.displayName) names.set(partial.id, partial.displayName);
    }
  }
  return names;
}

function build(parameter: FakeSessionParameter): Entry {
  const streams = new StreamRegistry();
  const media = parameter.media ?? 'camera';
  const createStream =
    media === 'none'
      ? () => undefined
      : streams.factory(namesOf(parameter), { video: media === 'camera' });
  const session = new FakeSession(parameter.state ?? {}, { createStream });
  for (const step of parameter.steps ?? []) {
    // Each step is a [method, ...args] tuple checked against FakeSession by SessionStep.
    const [method, ...args] = step;
    (session[method] as (...a: readonly unknown[]) => unknown).apply(session, args);
  }
  return { session, streams };
}

function dispose(id: string): void {
  const entry = entries.get(id);
  if (!entry) return;
  entries.delete(id);
  // The FakeSession holds no resources of its own; only the generated media needs stopping.
  entry.streams.dispose();
}

/** Provides `parameters.session` as a FakeSession to the story (see {@link fakeSessionFor}). */
export const withFakeSession: Decorator = (story, context) => {
  const parameter = context.parameters.session;
  if (context.viewMode === 'story') {
    // The preview iframe keeps running between stories: stop the previous story's media.
    for (const id of [...entries.keys()]) if (id !== context.id) dispose(id);
  }
  if (parameter && !parameter.disabled && !entries.has(context.id)) {
    entries.set(context.id, build(parameter));
  }
  return story();
};
