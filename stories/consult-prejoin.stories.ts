import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '../components/consult-prejoin.js';
import { MediaDeviceError, type DeviceInfo } from '../src/index.js';
import { createSessionState } from '../src/testing/index.js';
import { fakeSessionFor, type FakeSessionParameter } from './decorators/with-fake-session.js';
import { elementIn, waitForShadow } from './support/dom.js';

/** The pre-join screen's attributes, as Storybook args (controls come from custom-elements.json). */
interface PrejoinArgs {
  lang: string;
  'display-name': string;
  'audio-only': boolean;
  'no-name': boolean;
  'no-join': boolean;
}

const meta = {
  title: 'Elements/consult-prejoin',
  component: 'consult-prejoin',
  args: { lang: '', 'display-name': '', 'audio-only': false, 'no-name': false, 'no-join': false },
  argTypes: {
    lang: {
      control: 'select',
      options: ['', 'en', 'es', 'fr', 'de', 'pt-BR', 'ar'],
      description: 'Empty: the closest [lang] (the Language toolbar).',
    },
  },
  render: (args, context) => html`
    <div style="max-inline-size: 56rem">
      <consult-prejoin
        .session=${fakeSessionFor(context)}
        lang=${ifDefined(args.lang || undefined)}
        display-name=${ifDefined(args['display-name'] || undefined)}
        ?audio-only=${args['audio-only']}
        ?no-name=${args['no-name']}
        ?no-join=${args['no-join']}
      ></consult-prejoin>
    </div>
  `,
} satisfies Meta<PrejoinArgs>;

export default meta;
type Story = StoryObj<PrejoinArgs>;

const DEVICES: readonly DeviceInfo[] = [
  { deviceId: 'cam-front', kind: 'videoinput', label: 'Front camera' },
  { deviceId: 'cam-usb', kind: 'videoinput', label: 'USB camera' },
  { deviceId: 'mic-headset', kind: 'audioinput', label: 'Headset microphone' },
  { deviceId: 'spk-default', kind: 'audiooutput', label: 'Speakers' },
];

function session(parameter: FakeSessionParameter): { session: FakeSessionParameter } {
  return { session: parameter };
}

/**
 * A portal's "test your camera" page: the preview, the microphone meter, the device check and the
 * pickers, without a name field or join buttons (`no-name`, `no-join`).
 */
export const DeviceTest: Story = {
  args: { 'no-name': true, 'no-join': true },
  parameters: session({ state: { devices: DEVICES } }),
  play: async ({ canvasElement, step }) => {
    const prejoin = elementIn(canvasElement, 'consult-prejoin');
    await step('shows the passing device check', async () => {
      await waitForShadow(prejoin, '[part~="device-status"][part~="ok"]');
    });
  },
};

/** Before a consultation: name field and Join. */
export const ReadyToJoin: Story = {
  args: { 'display-name': 'Pat Doe' },
  parameters: session({ state: { devices: DEVICES } }),
};

/** The browser blocks the camera: browser-specific steps, and joining with audio only. */
export const CameraBlocked: Story = {
  parameters: session({
    media: 'audio',
    state: {
      devices: DEVICES,
      localMedia: {
        ...createSessionState().localMedia,
        error: new MediaDeviceError('permission-denied', 'camera', 'Permission denied by the user'),
      },
    },
  }),
};
