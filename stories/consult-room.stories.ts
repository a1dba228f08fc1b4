import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../components/consult-room.js';
import type { ConsultRoomLayout } from '../components/consult-room.js';
import type { PictureInPictureSupport } from '../components/index.js';
import { ConsultError, MediaDeviceError, type DeviceInfo } from '../src/index.js';
import { createSessionState } from '../src/testing/index.js';
import {
  fakeSessionFor,
  type FakeSessionParameter,
  type SessionStep,
} from './decorators/with-fake-session.js';
import { elementIn, waitForShadow } from './support/dom.js';
import { brandTokens } from './support/themes.js';
import {
  API_BASE,
  eventStream,
  failingInvite,
  failingToken,
  redeemedInvite,
  waitingToken,
} from './support/token-server-handlers.js';

/** The room's attributes, as Storybook args (controls come from custom-elements.json). */
interface RoomArgs {
  layout: ConsultRoomLayout;
  lang: string;
  'no-chat': boolean;
  'no-recording': boolean;
  'no-screen-share': boolean;
  'audio-only': boolean;
  'consult-id': string;
  'token-url': string;
  'display-name': string;
  invite: string;
}

const meta = {
  title: 'Elements/consult-room',
  component: 'consult-room',
  args: {
    layout: 'auto',
    lang: '',
    'no-chat': false,
    'no-recording': false,
    'no-screen-share': false,
    'audio-only': false,
    'consult-id': '',
    'token-url': '',
    'display-name': '',
    invite: '',
  },
  argTypes: {
    layout: { control: 'inline-radio', options: ['auto', 'pip', 'grid'] },
    lang: {
      control: 'select',
      options: ['', 'en', 'es', 'fr', 'de', 'pt-BR', 'ar'],
      description: 'Empty: the closest [lang] (the Language toolbar).',
    },
  },
  render: (args, context) => html`
    <consult-room
      .session=${fakeSessionFor(context)}
      layout=${args.layout}
      lang=${ifDefined(args.lang || undefined)}
      consult-id=${ifDefined(args['consult-id'] || undefined)}
      token-url=${ifDefined(args['token-url'] || undefined)}
      display-name=${ifDefined(args['display-name'] || undefined)}
      invite=${ifDefined(args.invite || undefined)}
      ?no-chat=${args['no-chat']}
      ?no-recording=${args['no-recording']}
      ?no-screen-share=${args['no-screen-share']}
      ?audio-only=${args['audio-only']}
    ></consult-room>
  `,
} satisfies Meta<RoomArgs>;

export default meta;
type Story = StoryObj<RoomArgs>;

// ── scenario building blocks ────────────────────────────────────────────────────────────────

const DEVICES: readonly DeviceInfo[] = [
  { deviceId: 'cam-front', kind: 'videoinput', label: 'Front camera' },
  { deviceId: 'cam-usb', kind: 'videoinput', label: 'USB camera' },
  { deviceId: 'mic-headset', kind: 'audioinput', label: 'Headset microphone' },
  { deviceId: 'spk-default', kind: 'audiooutput', label: 'Speakers' },
];

const DOCTOR = {
  id: 'dr',
  displayName: 'Dr. Ana Chen',
  role: 'provider',
  quality: { level: 'good' },
} as const;

const PEOPLE = [
  'Pat Doe',
  'Dr. Ana Chen',
  'Sam Rivera (interpreter)',
  'Nurse Kim Park',
  'Lee Wong',
  'Dr. Omar Haddad',
  'Maria Souza',
  'Jonas Becker',
] as const;

/** The local user connected, the call running for `minutes`, and the doctor in it. */
function oneToOne(minutes = 4): SessionStep[] {
  return [
    ['simulateState', { callStartedAt: Date.now() - minutes * 60_000 }],
    ['simulateConnection', 'connected'],
    ['simulateParticipantJoined', DOCTOR],
  ];
}

/** A call of `size` people (the local user included). */
function group(size: number): SessionStep[] {
  const steps: SessionStep[] = [
    ['simulateState', { callStartedAt: Date.now() - 12 * 60_000 }],
    ['simulateConnection', 'connected'],
  ];
  PEOPLE.slice(0, size - 1).forEach((displayName, i) => {
    steps.push([
      'simulateParticipantJoined',
      {
        id: `p${i + 1}`,
        displayName,
        role: displayName.startsWith('Dr.') ? 'provider' : 'guest',
        quality: { level: i % 3 === 2 ? 'fair' : 'good' },
      },
    ]);
  });
  return steps;
}

function session(parameter: FakeSessionParameter): { session: FakeSessionParameter } {
  return { session: parameter };
}

function localMediaError(error: ConsultError): Pick<FakeSessionParameter, 'state'> {
  return { state: { devices: DEVICES, localMedia: { ...createSessionState().localMedia, error } } };
}

// ── pre-join ────────────────────────────────────────────────────────────────────────────────

/** The device check passed: preview, microphone meter, device pickers and Join. */
export const PrejoinReady: Story = {
  parameters: session({ state: { role: 'patient', devices: DEVICES } }),
};

/** The browser blocks the camera: browser-specific steps, and joining with audio only. */
export const CameraDenied: Story = {
  parameters: session({
    media: 'audio',
    ...localMediaError(
      new MediaDeviceError('permission-denied', 'camera', 'Permission denied by the user'),
    ),
  }),
};

/** No camera or microphone at all: explains it and offers to join without media. */
export const NoDevices: Story = {
  parameters: session({
    media: 'none',
    state: {
      localMedia: {
        ...createSessionState().localMedia,
        canSelectAudioOutput: false,
        error: new MediaDeviceError(
          'device-not-found',
          'camera-and-microphone',
          'Requested device not found',
        ),
      },
    },
  }),
};

/** Joining: the token is being fetched and the media connection set up. */
export const Connecting: Story = {
  parameters: session({ state: { connection: 'connecting', connectionReason: 'token-received' } }),
};

// ── waiting room ────────────────────────────────────────────────────────────────────────────

/** A patient in the waiting room, second in line. */
export const WaitingPatient: Story = {
  parameters: session({ state: { role: 'patient' }, steps: [['simulateWaiting', 2]] }),
};

/** The provider did not let the patient in, with the reason given. */
export const AdmissionDenied: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ['simulateWaiting'],
      [
        'simulateError',
        new ConsultError('admission-denied', 'Admission denied', {
          details: { reason: 'Please book a new appointment for next week.' },
        }),
      ],
      ['simulateConnection', 'failed', 'denied'],
    ],
  }),
};

/** A provider in the call sees two people waiting, each with Admit and Deny. */
export const LobbyProvider: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: [
      ['simulateState', { callStartedAt: Date.now() - 30_000 }],
      ['simulateConnection', 'connected'],
      [
        'simulateLobby',
        [
          {
            userId: 'u-pat',
            displayName: 'Pat Doe',
            role: 'patient',
            since: new Date(Date.now() - 3 * 60_000).toISOString(),
          },
          {
            userId: 'u-sam',
            displayName: 'Sam Rivera',
            role: 'guest',
            since: new Date(Date.now() - 60_000).toISOString(),
          },
        ],
      ],
    ],
  }),
};

// ── in the call ─────────────────────────────────────────────────────────────────────────────

/** Patient and doctor: the doctor large, yourself picture-in-picture, the call timer. */
export const OneToOne: Story = {
  parameters: session({ state: { role: 'patient', devices: DEVICES }, steps: oneToOne() }),
};

/** Four people in a grid; one muted with the camera off, one speaking. */
export const Group4: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: [
      ...group(4),
      ['simulateMuted', 'p2', 'audio', true],
      ['simulateMuted', 'p2', 'video', true],
      ['simulateSpeaking', 'p1', true],
    ],
  }),
};

/** Nine people in a grid. */
export const Group9: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: [...group(9), ['simulateSpeaking', 'p3', true], ['simulateMuted', 'p5', 'audio', true]],
  }),
};

/** The connection dropped: a banner while it is restored; the tiles stay. */
export const Reconnecting: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [...oneToOne(), ['simulateReconnecting']],
  }),
};

/** The connection stays poor: a banner offers to switch to audio only. */
export const PoorConnection: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...oneToOne(),
      ['simulateQuality', 'dr', 'fair'],
      ['simulateQuality', 'local', 'poor', { suggestAudioOnly: true }],
    ],
  }),
};

/** One story per connection-quality level, measured on both sides of a one-to-one call. */
function quality(level: 'good' | 'fair' | 'poor', numbers: Record<string, number>): Story {
  return {
    parameters: session({
      state: { role: 'patient' },
      steps: [
        ...oneToOne(),
        ['simulateQuality', 'dr', { level, ...numbers }],
        ['simulateQuality', 'local', { level, ...numbers }],
      ],
    }),
  };
}

/** Quality "good": a clean network (the indicator reads good). */
export const QualityGood: Story = quality('good', { roundTripMs: 40, packetLoss: 0, jitterMs: 4 });

/** Quality "fair": a longer round trip and a little loss. */
export const QualityFair: Story = quality('fair', {
  roundTripMs: 260,
  packetLoss: 0.04,
  jitterMs: 55,
});

/** Quality "poor": heavy loss and delay. */
export const QualityPoor: Story = quality('poor', {
  roundTripMs: 620,
  packetLoss: 0.14,
  jitterMs: 130,
});

/** Phone viewports (Storybook's viewport toolbar; CSS px). */
const PHONE_VIEWPORTS = {
  phonePortrait: {
    name: 'Phone portrait 390×844',
    styles: { width: '390px', height: '844px' },
    type: 'mobile',
  },
  phoneLandscape: {
    name: 'Phone landscape 844×390',
    styles: { width: '844px', height: '390px' },
    type: 'mobile',
  },
} as const;

function onPhone(viewport: keyof typeof PHONE_VIEWPORTS): Story {
  return {
    parameters: {
      ...session({ state: { role: 'patient', devices: DEVICES }, steps: oneToOne() }),
      viewport: { options: PHONE_VIEWPORTS },
    },
    globals: { viewport: { value: viewport, isRotated: false } },
  };
}

/** A one-to-one call on a phone held upright (390×844): the layout below the 40rem breakpoint. */
export const PhonePortrait: Story = onPhone('phonePortrait');

/** The same call on a phone held sideways (844×390). */
export const PhoneLandscape: Story = onPhone('phoneLandscape');

/** The provider asked to record: a modal dialog asks the patient for consent. */
export const RecordingConsent: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [...oneToOne(), ['simulateConsentRequest']],
  }),
};

/** Recording in progress: the indicator for everyone, the pressed record button for the provider. */
export const RecordingInProgress: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: [
      ['simulateState', { callStartedAt: Date.now() - 9 * 60_000 }],
      ['simulateConnection', 'connected'],
      [
        'simulateParticipantJoined',
        { id: 'pat', displayName: 'Pat Doe', role: 'patient', quality: { level: 'good' } },
      ],
      [
        'simulateRecording',
        { status: 'recording', recordingId: 'rec-1', startedAt: Date.now() - 5 * 60_000 },
      ],
    ],
  }),
};

/**
 * A provider's menu on a remote tile: "More options for Pat Doe" opens "Remove from consultation",
 * which asks for confirmation before the patient is removed.
 */
export const RemoveParticipantMenu: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: [
      ['simulateState', { callStartedAt: Date.now() - 6 * 60_000 }],
      ['simulateConnection', 'connected'],
      [
        'simulateParticipantJoined',
        {
          id: 'pat',
          userId: 'u-pat',
          displayName: 'Pat Doe',
          role: 'patient',
          quality: { level: 'good' },
        },
      ],
    ],
  }),
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('opens the tile menu of the patient', async () => {
      (await waitForShadow(room, '[part~="tile-menu-button"]')).click();
      await waitForShadow(room, '[part~="remove-participant-button"]');
    });
  },
};

/**
 * "Ask to mute" in a provider's tile menu: a request the patient answers; nothing is muted remotely.
 */
export const AskToMuteMenu: Story = {
  parameters: RemoveParticipantMenu.parameters,
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('opens the tile menu of the patient', async () => {
      (await waitForShadow(room, '[part~="tile-menu-button"]')).click();
      await waitForShadow(room, '[part~="ask-to-mute-button"]');
    });
  },
};

/** The provider asked the patient to mute: a banner with a one-tap Mute (the microphone stays on until tapped). */
export const MuteRequested: Story = {
  parameters: session({ state: { role: 'patient' }, steps: oneToOne() }),
  play: async (context) => {
    const room = elementIn(context.canvasElement, 'consult-room');
    await context.step('the provider asks', async () => {
      fakeSessionFor(context)?.simulateMuteRequest('dr');
      await waitForShadow(room, '[part~="mute-request"]');
    });
  },
};

/**
 * Charting mode: the call popped out of the page. A real Document Picture-in-Picture window needs a
 * user gesture, so this story hands the room a stand-in: the "window" is an iframe below the room,
 * rendered exactly as the popped-out window is (its own document, styles and theme copied in). The
 * page shows the placeholder with "Back to tab".
 */
export const ChartingPoppedOut: Story = {
  parameters: session({
    state: { role: 'provider' },
    steps: RemoveParticipantMenu.parameters?.session?.steps ?? [],
  }),
  render: (args, context) => html`
    <consult-room
      .session=${fakeSessionFor(context)}
      .pictureInPictureSupport=${simulatedPictureInPicture()}
      lang=${ifDefined(args.lang || undefined)}
      style="--consult-room-height: 24rem"
    ></consult-room>
  `,
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('pops the call out', async () => {
      (await waitForShadow(room, '[part~="charting-button"]')).click();
      await waitForShadow(room, '[part~="charting-placeholder"]');
    });
  },
};

/** A stand-in for Document Picture-in-Picture: the window is an iframe appended to the story root. */
function simulatedPictureInPicture(): PictureInPictureSupport {
  return {
    videoPictureInPicture: false,
    documentPictureInPicture: {
      async requestWindow({ width = 360, height = 420 } = {}) {
        const frame = document.createElement('iframe');
        frame.title = 'Charting window (simulated)';
        frame.style.setProperty('inline-size', `${width}px`);
        frame.style.setProperty('block-size', `${height}px`);
        frame.style.setProperty('border', '1px solid #767d88');
        document.querySelector('#storybook-root')?.append(frame);
        return frame.contentWindow!;
      },
    },
  };
}

/** The patient was removed by the provider: the end screen says so. */
export const RemovedFromConsultation: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [...oneToOne(), ['simulateConnection', 'disconnected', 'evicted']],
  }),
};

/** A patient in the waiting room while the consultation is being recorded. */
export const WaitingWhileRecording: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ['simulateWaiting', 1],
      ['simulateRecording', { status: 'recording' }],
    ],
  }),
};

/**
 * Joining while a recording runs: the patient is asked before anything of theirs is published
 * (declining stops the recording).
 */
export const JoiningWhileRecording: Story = {
  parameters: session({
    state: { role: 'patient', connection: 'connecting', connectionReason: 'admitted' },
    steps: [['simulateRecording', { status: 'recording', consentPending: true }]],
  }),
};

/** Unread chat messages while the chat panel is closed: a count on the chat button. */
export const ChatUnread: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...oneToOne(),
      ['simulateMessage', { senderId: 'dr', text: 'Hello! Can you hear me well?' }],
      ['simulateMessage', { senderId: 'dr', text: 'I have your lab results here.' }],
      ['simulateMessage', { senderId: 'dr', text: 'Everything looks normal.' }],
    ],
  }),
};

/** The chat panel opened during the call, with a conversation. */
export const ChatPanelOpen: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...oneToOne(),
      [
        'simulateMessage',
        { senderId: 'dr', text: 'Please hold the prescription up to the camera.' },
      ],
      ['simulateMessage', { isLocal: true, senderName: 'You', text: 'Like this?' }],
      ['simulateMessage', { senderId: 'dr', text: 'Perfect, thank you.' }],
    ],
  }),
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('opens the chat panel from the control bar', async () => {
      (await waitForShadow(room, '[part~="chat-button"]')).click();
      await waitForShadow(room, '[part="chat-panel"]:not([hidden])');
    });
  },
};

/** A failure: the join failed for good, with the reason and Try again. */
export const ConnectionFailed: Story = {
  parameters: session({
    steps: [
      ['simulateConnection', 'connecting', 'token-received'],
      ['simulateError', 'network-error', { fatal: true }],
    ],
  }),
};

// ── the end ─────────────────────────────────────────────────────────────────────────────────

/** The call ended; the provider can download the finished recording. */
export const EndedWithDownload: Story = {
  parameters: session({
    state: {
      role: 'provider',
      callStartedAt: Date.now() - 23 * 60_000,
      endedAt: Date.now() - 5_000,
    },
    steps: [
      ['simulateConnection', 'disconnected', 'session-closed'],
      [
        'simulateRecording',
        { status: 'ready', recordingId: 'rec-1', downloadable: true, duration: 1_260 },
      ],
    ],
  }),
};

// ── themes ──────────────────────────────────────────────────────────────────────────────────

/** The forced dark scheme (the Theme toolbar's "dark"). */
export const DarkTheme: Story = {
  globals: { theme: 'dark' },
  parameters: session({
    state: { role: 'patient' },
    steps: [...oneToOne(), ['simulateMessage', { senderId: 'dr', text: 'Good evening!' }]],
  }),
};

/**
 * A portal's brand: tokens (`--consult-*`) and `::part()` overrides in the page's own CSS,
 * nothing else.
 */
export const Themed: Story = {
  parameters: session({ state: { role: 'patient' }, steps: oneToOne() }),
  render: (args, context) => html`
    <style>
      consult-room.brand {
        ${brandTokens}
      }
      consult-room.brand::part(controls) {
        border-block-start: 3px solid #6b2a8f;
      }
      consult-room.brand::part(leave-button) {
        border-radius: 999px;
        text-transform: uppercase;
        letter-spacing: 0.04em;
      }
      consult-room.brand::part(tile) {
        border: 2px solid #c9a86a;
      }
      consult-room.brand::part(name) {
        font-style: italic;
      }
    </style>
    <consult-room
      class="brand"
      .session=${fakeSessionFor(context)}
      layout=${args.layout}
      lang=${ifDefined(args.lang || undefined)}
    ></consult-room>
  `,
};

// ── languages (the lang attribute; every bundled language) ─────────────────────────────────

function inLanguage(lang: string): Story {
  return {
    args: { lang },
    parameters: session({
      state: { role: 'patient', devices: DEVICES },
      steps: [
        ...oneToOne(),
        ['simulateMessage', { senderId: 'dr', text: '👋' }],
        ['simulateQuality', 'local', 'poor', { suggestAudioOnly: true }],
      ],
    }),
  };
}

/** English (the fallback of every other language). */
export const LanguageEnglish: Story = inLanguage('en');
/** Spanish. */
export const LanguageSpanish: Story = inLanguage('es');
/** French. */
export const LanguageFrench: Story = inLanguage('fr');
/** German. */
export const LanguageGerman: Story = inLanguage('de');
/** Brazilian Portuguese. */
export const LanguagePortugueseBrazil: Story = inLanguage('pt-BR');
/** Arabic: right-to-left layout. */
export const LanguageArabicRtl: Story = inLanguage('ar');

/** Arabic pre-join screen, inherited from the closest `[lang]` (the Language toolbar). */
export const RightToLeftPrejoin: Story = {
  globals: { lang: 'ar' },
  parameters: session({ state: { devices: DEVICES } }),
};

// ── the room fetches its own token (msw stands in for the token server) ────────────────────

const tokenArgs = {
  'consult-id': 'c-1001',
  'token-url': API_BASE,
  'display-name': 'Pat Doe',
} satisfies Partial<RoomArgs>;

/** `POST …/token` answers 202: the patient joins and waits, second in line. */
export const TokenServerWaiting: Story = {
  args: tokenArgs,
  parameters: { msw: [waitingToken(2), eventStream()] },
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('joins, then waits to be let in', async () => {
      (
        await waitForShadow<HTMLButtonElement>(room, '[part="join-button"]:not([disabled])')
      ).click();
      await waitForShadow(room, '[part="waiting"]');
    });
  },
};

/** The provider denies the waiting patient through the event stream (`denied` event). */
export const TokenServerDenied: Story = {
  args: tokenArgs,
  parameters: {
    msw: [
      waitingToken(1),
      eventStream([
        { event: 'denied', data: { reason: 'The clinic is closed today.' }, afterMs: 600 },
      ]),
    ],
  },
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('joins, waits, and is told why they were not let in', async () => {
      (
        await waitForShadow<HTMLButtonElement>(room, '[part="join-button"]:not([disabled])')
      ).click();
      await waitForShadow(room, '[part="denied"]');
    });
  },
};

/** `POST …/token` fails (503): the room shows the error and offers to try again. */
export const TokenFailed: Story = {
  // The 503 answers are the point of this story (the e2e test expects them in the console).
  tags: ['expect-http-errors'],
  args: tokenArgs,
  parameters: {
    msw: [failingToken(503, 'openvidu-unavailable', 'The token server is down for maintenance.')],
  },
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('shows the failure after Join', async () => {
      (
        await waitForShadow<HTMLButtonElement>(room, '[part="join-button"]:not([disabled])')
      ).click();
      await waitForShadow(room, '[part="error"]');
    });
  },
};

// ── invited guests (the room redeems the invite link itself) ────────────────────────────────

/** An interpreter opens the link the provider sent: the invite is redeemed, the guest joins and waits. */
export const GuestInvite: Story = {
  args: { 'token-url': API_BASE, invite: 'inv-story-secret' },
  parameters: {
    msw: [redeemedInvite('c-1001', 'Sam Rivera (interpreter)'), waitingToken(1), eventStream()],
  },
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('redeems the invite, then joins and waits to be let in', async () => {
      (
        await waitForShadow<HTMLButtonElement>(room, '[part="join-button"]:not([disabled])')
      ).click();
      await waitForShadow(room, '[part="waiting"]');
    });
  },
};

/** The invite link was already used (or expired, or was revoked): the guest is told so. */
export const InviteInvalid: Story = {
  // The 410 answer is the point of this story (the e2e test expects it in the console).
  tags: ['expect-http-errors'],
  args: { 'token-url': API_BASE, invite: 'inv-used-secret' },
  parameters: {
    msw: [failingInvite(410, 'invite-used', 'This invite was already used.')],
  },
  play: async ({ canvasElement, step }) => {
    const room = elementIn(canvasElement, 'consult-room');
    await step('shows that the link is no longer valid', async () => {
      const error = await waitForShadow(room, '[part="error"]');
      if (!error.textContent?.includes('no longer valid'))
        throw new Error(`unexpected error text: ${error.textContent ?? ''}`);
    });
  },
};
