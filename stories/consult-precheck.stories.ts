import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../components/consult-precheck.js';
import { FakePrecheckClient, type PrecheckOutcomeName } from '../src/testing/index.js';
import { StreamRegistry } from './support/canvas-stream.js';
import { elementIn, waitForShadow } from './support/dom.js';

/** The pre-call test's attributes plus the scripted outcome, as Storybook args. */
interface PrecheckArgs {
  lang: string;
  outcome: PrecheckOutcomeName;
  autostart: boolean;
}

/** The generated camera of the story on screen; stopped when another story renders. */
let streams: StreamRegistry | undefined;

function clientFor(outcome: PrecheckOutcomeName): FakePrecheckClient {
  streams?.dispose();
  const registry = new StreamRegistry();
  streams = registry;
  return new FakePrecheckClient(() => {
    const stream = registry.create({ label: 'You', seed: 'local', audio: 'tone', mirrored: true });
    const [cameraTrack] = stream.getVideoTracks();
    const [microphoneTrack] = stream.getAudioTracks();
    return {
      outcome,
      autoplayMs: 1200,
      ...(cameraTrack ? { cameraTrack } : {}),
      ...(microphoneTrack ? { microphoneTrack } : {}),
    };
  });
}

const meta = {
  title: 'Elements/consult-precheck',
  component: 'consult-precheck',
  args: { lang: '', outcome: 'good', autostart: true },
  argTypes: {
    lang: {
      control: 'select',
      options: ['', 'en', 'es', 'fr', 'de', 'pt-BR', 'ar'],
      description: 'Empty: the closest [lang] (the Language toolbar).',
    },
    outcome: {
      control: 'select',
      options: ['good', 'fair', 'poor', 'camera-denied', 'no-turn', 'media-server-unreachable'],
      description: 'What the fake pre-call test measures (FakePrecheck, no media server).',
    },
  },
  render: (args) => html`
    <div style="max-inline-size: 40rem">
      <consult-precheck
        .client=${clientFor(args.outcome)}
        lang=${ifDefined(args.lang || undefined)}
        ?autostart=${args.autostart}
      ></consult-precheck>
    </div>
  `,
} satisfies Meta<PrecheckArgs>;

export default meta;
type Story = StoryObj<PrecheckArgs>;

/** Clicks through camera, microphone and speaker ("I heard it"), then waits for the verdict. */
const toVerdict: Story['play'] = async ({ canvasElement, step }) => {
  const precheck = elementIn(canvasElement, 'consult-precheck');
  const click = async (part: string): Promise<void> =>
    (await waitForShadow(precheck, `[part~="${part}"]:not([disabled])`)).click();
  await step('goes through camera, microphone and speaker', async () => {
    await click('next-button');
    await click('next-button');
    await click('heard-button');
  });
  await step('shows the verdict', async () => {
    await waitForShadow(precheck, '[part~="verdict"]');
  });
};

/** Before the test: what it does, and the start button. */
export const Intro: Story = { args: { autostart: false } };

/** The camera step: the preview of the (generated) camera. */
export const CameraStep: Story = {
  play: async ({ canvasElement, step }) => {
    const precheck = elementIn(canvasElement, 'consult-precheck');
    await step('shows the camera preview', async () => {
      await waitForShadow(precheck, 'video[part="preview"]');
    });
  },
};

/** Everything works: ready for the visit. */
export const Good: Story = { args: { outcome: 'good' }, play: toVerdict };

/** A long round trip and some loss: it should work, with advice. */
export const Fair: Story = { args: { outcome: 'fair' }, play: toVerdict };

/** Loss, delay and little bandwidth: it may not work well. */
export const Poor: Story = { args: { outcome: 'poor' }, play: toVerdict };

/** The browser blocked the camera: plain-words help, and the network still tested with the microphone. */
export const CameraDenied: Story = { args: { outcome: 'camera-denied' }, play: toVerdict };

/** A TURN server is configured but unreachable: works here, may not on stricter networks. */
export const NoTurn: Story = { args: { outcome: 'no-turn' }, play: toVerdict };

/** The media server cannot be reached at all (firewall, VPN, or it is down). */
export const MediaServerUnreachable: Story = {
  args: { outcome: 'media-server-unreachable' },
  play: toVerdict,
};

/** Arabic, right to left. */
export const Arabic: Story = { args: { outcome: 'fair', lang: 'ar' }, play: toVerdict };
