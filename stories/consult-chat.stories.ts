import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../components/consult-chat.js';
import type { ChatMessage } from '../src/index.js';
import {
  fakeSessionFor,
  type FakeSessionParameter,
  type SessionStep,
} from './decorators/with-fake-session.js';
import { elementIn, waitForShadow } from './support/dom.js';
import { brandTokens } from './support/themes.js';

/** The chat's attributes, as Storybook args (controls come from custom-elements.json). */
interface ChatArgs {
  lang: string;
}

const meta = {
  title: 'Elements/consult-chat',
  component: 'consult-chat',
  args: { lang: '' },
  argTypes: {
    lang: {
      control: 'select',
      options: ['', 'en', 'es', 'fr', 'de', 'pt-BR', 'ar'],
      description: 'Empty: the closest [lang] (the Language toolbar).',
    },
  },
  render: (args, context) => html`
    <div style="block-size: 30rem; max-inline-size: 26rem">
      <consult-chat
        .session=${fakeSessionFor(context)}
        lang=${ifDefined(args.lang || undefined)}
      ></consult-chat>
    </div>
  `,
} satisfies Meta<ChatArgs>;

export default meta;
type Story = StoryObj<ChatArgs>;

// ── scenario building blocks ────────────────────────────────────────────────────────────────

/** Connected, with the doctor in the consultation. */
const CONNECTED: SessionStep[] = [
  ['simulateConnection', 'connected'],
  [
    'simulateParticipantJoined',
    { id: 'dr', displayName: 'Dr. Ana Chen', role: 'provider', quality: { level: 'good' } },
  ],
];

/** A message `minutesAgo` minutes ago, from the doctor or (with `own`) from the local user. */
function say(text: string, minutesAgo: number, own = false): SessionStep {
  const message: Partial<ChatMessage> & { text: string } = {
    text,
    timestamp: Date.now() - minutesAgo * 60_000,
    fromHistory: true,
    ...(own ? { isLocal: true, senderName: 'You', senderRole: 'patient' } : { senderId: 'dr' }),
  };
  return ['simulateMessage', message];
}

const THREAD: SessionStep[] = [
  say('Good morning, Pat. How are you feeling today?', 31),
  say('Morning! Much better than last week, thanks.', 30, true),
  say('Glad to hear it. Any fever since Tuesday?', 29),
  say('No fever. A bit of a cough at night still.', 28, true),
  say('Dry cough, or are you bringing anything up?', 27),
  say('Mostly dry.', 27, true),
  say('OK. Are you still taking the ibuprofen?', 25),
  say('Only in the evening, 400 mg.', 24, true),
  say('That is fine. Keep it to the evenings and drink plenty of water.', 23),
  say('Will do. Should I book a follow-up?', 21, true),
  say(
    'Yes, in two weeks. If the cough gets worse or you feel short of breath before then, call the clinic right away — do not wait for the appointment. I will put a note in your file so the front desk can fit you in the same day.',
    20,
  ),
  say('Thank you, that is reassuring.', 18, true),
  say('I am sending the prescription renewal to your pharmacy now.', 15),
  say('Which pharmacy do you use — still the one on Main Street?', 15),
  say('Yes, Main Street.', 14, true),
  say('Done. It will be ready after 3 pm.', 12),
  say('Perfect 👍', 11, true),
  say('Anything else I can help with today?', 10),
  say('No, that was everything. Thanks, Dr. Chen!', 9, true),
  say('Take care, Pat. Talk in two weeks.', 8),
];

function session(parameter: FakeSessionParameter): { session: FakeSessionParameter } {
  return { session: parameter };
}

// ── stories ─────────────────────────────────────────────────────────────────────────────────

/** No messages yet: the empty state, and the composer ready. */
export const ChatEmpty: Story = {
  parameters: session({ state: { role: 'patient' }, steps: CONNECTED }),
};

/** A long conversation: the log scrolls to the newest message. */
export const ChatLongThread: Story = {
  parameters: session({ state: { role: 'patient' }, steps: [...CONNECTED, ...THREAD] }),
};

/**
 * New messages arrive while the reader is scrolled up in the history: the log keeps its place and
 * a "new messages" button appears.
 */
export const ChatUnread: Story = {
  parameters: session({ state: { role: 'patient' }, steps: [...CONNECTED, ...THREAD] }),
  play: async ({ canvasElement, context, step }) => {
    const chat = elementIn(canvasElement, 'consult-chat');
    const log = await waitForShadow(chat, '[part="log"]');
    await step('keeps the reading position when scrolled up', async () => {
      log.scrollTop = 0;
      log.dispatchEvent(new Event('scroll'));
      fakeSessionFor(context)?.simulateMessage({
        senderId: 'dr',
        text: 'One more thing: bring your inhaler next time.',
      });
      fakeSessionFor(context)?.simulateMessage({
        senderId: 'dr',
        text: 'And the list of your medications.',
      });
    });
    await step('offers a button to jump to the new messages', async () => {
      await waitForShadow(chat, '[part="new-messages"]');
    });
  },
};

/** An own message that could not be delivered: marked failed, with Retry. */
export const ChatFailedMessage: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...CONNECTED,
      say('Please send me a photo of the rash.', 3),
      [
        'simulateMessage',
        {
          isLocal: true,
          senderName: 'You',
          senderRole: 'patient',
          text: 'Sending it now.',
          delivery: 'sent',
        },
      ],
      [
        'simulateMessage',
        {
          id: 'failed-1',
          isLocal: true,
          senderName: 'You',
          senderRole: 'patient',
          text: 'Can you see it?',
          delivery: 'failed',
        },
      ],
    ],
  }),
};

/** The call ended: the history stays readable, the composer is disabled. */
export const ChatOffline: Story = {
  parameters: session({
    state: { role: 'patient' },
    steps: [...CONNECTED, ...THREAD.slice(-4), ['simulateConnection', 'disconnected', 'left']],
  }),
};

/** The forced dark scheme. */
export const ChatDarkTheme: Story = {
  globals: { theme: 'dark' },
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...CONNECTED,
      ...THREAD.slice(0, 6),
      [
        'simulateMessage',
        {
          id: 'failed-2',
          isLocal: true,
          senderName: 'You',
          senderRole: 'patient',
          text: 'Is this still working?',
          delivery: 'failed',
        },
      ],
    ],
  }),
};

/** Brand tokens and `::part()` overrides from the page's CSS. */
export const ChatThemed: Story = {
  parameters: session({ state: { role: 'patient' }, steps: [...CONNECTED, ...THREAD.slice(0, 8)] }),
  render: (args, context) => html`
    <style>
      consult-chat.brand {
        ${brandTokens}
      }
      consult-chat.brand::part(header) {
        border-block-end: 3px solid #6b2a8f;
      }
      consult-chat.brand::part(message own) {
        border-inline-end: 4px solid #6b2a8f;
      }
      consult-chat.brand::part(sender) {
        font-variant: small-caps;
      }
      consult-chat.brand::part(send-button) {
        border-radius: 999px;
      }
    </style>
    <div style="block-size: 30rem; max-inline-size: 26rem">
      <consult-chat
        class="brand"
        .session=${fakeSessionFor(context)}
        lang=${ifDefined(args.lang || undefined)}
      ></consult-chat>
    </div>
  `,
};

/** Arabic: right-to-left, own messages on the left. */
export const ChatArabicRtl: Story = {
  args: { lang: 'ar' },
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...CONNECTED,
      say('صباح الخير، كيف تشعر اليوم؟', 6),
      say('أفضل بكثير، شكرًا.', 5, true),
      say('ممتاز. سأرسل الوصفة إلى الصيدلية.', 4),
    ],
  }),
};

/** Spanish (every bundled language translates the chat; see the room's language stories). */
export const ChatSpanish: Story = {
  args: { lang: 'es' },
  parameters: session({
    state: { role: 'patient' },
    steps: [
      ...CONNECTED,
      say('Buenos días, ¿cómo se siente hoy?', 6),
      say('Mucho mejor, gracias.', 5, true),
      [
        'simulateMessage',
        {
          id: 'failed-3',
          isLocal: true,
          senderName: 'You',
          senderRole: 'patient',
          text: '¿Me escucha?',
          delivery: 'failed',
        },
      ],
    ],
  }),
};
