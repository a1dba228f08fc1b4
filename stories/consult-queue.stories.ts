import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../components/consult-queue.js';
import { ConsultError, type QueueEntry } from '../src/index.js';
import { FakeQueue } from '../src/testing/index.js';
import { elementIn, waitForShadow } from './support/dom.js';

/** The queue's scripted state, as Storybook args. */
interface QueueArgs {
  lang: string;
  /** Who is waiting (no token server: a FakeQueue). */
  waiting: 'none' | 'one' | 'many';
  /** The stream was refused (`forbidden`) instead of listing anyone. */
  failed: boolean;
}

const minutesAgo = (minutes: number): string =>
  new Date(Date.now() - minutes * 60_000).toISOString();

const PEOPLE: readonly QueueEntry[] = [
  {
    consultId: 'c-1042',
    userId: 'p-ana',
    displayName: 'Ana Souza',
    role: 'patient',
    since: minutesAgo(7),
    deviceCheck: { camera: 'ok', microphone: 'ok' },
  },
  {
    consultId: 'c-1043',
    userId: 'p-omar',
    displayName: 'Omar Haddad',
    role: 'patient',
    since: minutesAgo(4),
    deviceCheck: { camera: 'denied', microphone: 'ok' },
  },
  {
    consultId: 'c-1043',
    userId: 'invite:interp',
    displayName: 'Interpreter (Arabic)',
    role: 'guest',
    since: minutesAgo(3),
  },
  {
    consultId: 'c-1047',
    userId: 'p-lee',
    displayName: 'Min-jun Lee',
    role: 'patient',
    since: minutesAgo(1),
  },
];

function queueFor(args: QueueArgs): FakeQueue {
  const queue = new FakeQueue();
  if (args.failed) {
    queue.simulateError(
      new ConsultError('forbidden', 'This account may not see the waiting queue.', {
        recoverable: false,
      }),
    );
    return queue;
  }
  const count = { none: 0, one: 1, many: PEOPLE.length }[args.waiting];
  queue.simulateSnapshot(PEOPLE.slice(0, count));
  return queue;
}

const meta = {
  title: 'Elements/consult-queue',
  component: 'consult-queue',
  args: { lang: '', waiting: 'one', failed: false },
  argTypes: {
    lang: {
      control: 'select',
      options: ['', 'en', 'es', 'fr', 'de', 'pt-BR', 'ar'],
      description: 'Empty: the closest [lang] (the Language toolbar).',
    },
    waiting: { control: 'inline-radio', options: ['none', 'one', 'many'] },
  },
  render: (args) => html`
    <div style="max-inline-size: 36rem">
      <consult-queue .queue=${queueFor(args)} lang=${ifDefined(args.lang || undefined)}>
      </consult-queue>
    </div>
  `,
} satisfies Meta<QueueArgs>;

export default meta;
type Story = StoryObj<QueueArgs>;

/** Nobody is waiting in any of the provider's consultations. */
export const Empty: Story = { args: { waiting: 'none' } };

/** One patient waits, with a passed device check: Admit, Deny and Open in place. */
export const OneWaiting: Story = {
  args: { waiting: 'one' },
  play: async ({ canvasElement, step }) => {
    const queue = elementIn(canvasElement, 'consult-queue');
    await step('lists the patient with Admit', async () => {
      await waitForShadow(queue, '[part~="admit-button"]');
    });
  },
};

/** Four people in three consultations, one with a blocked camera and an invited interpreter. */
export const ManyWaiting: Story = { args: { waiting: 'many' } };

/** The token server refused the queue (not a provider, or no consult this provider may act on). */
export const Refused: Story = { args: { failed: true } };

/** Right to left, in Arabic. */
export const ArabicRtl: Story = { args: { waiting: 'many', lang: 'ar' } };
