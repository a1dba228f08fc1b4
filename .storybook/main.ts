// Storybook for <consult-room> and <consult-chat> (docs/contributing.md#stories). Works offline:
// telemetry and the "what's new" check are off here, so `storybook dev` and `storybook build` need
// no network on any platform (no `STORYBOOK_DISABLE_TELEMETRY=1` shell prefix needed).
import type { StorybookConfig } from '@storybook/web-components-vite';

/** The modules that register elements (`ConsultElement.define(...)` at the top level). */
const DEFINE_MODULES = /\/components\/(index|cdn|consult-[a-z-]+)\.ts$/;

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.ts'],
  // msw-storybook-addon 3.x: registered as an addon; its loader is added in preview.ts.
  addons: ['msw-storybook-addon'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  // public/mockServiceWorker.js (from `npx msw init public --save`) is served at /mockServiceWorker.js.
  staticDirs: ['../public'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  viteFinal: (viteConfig) => ({
    ...viteConfig,
    plugins: [
      ...(viteConfig.plugins ?? []),
      {
        // package.json "sideEffects" lists only the dist/ define modules, so the production
        // build would drop `import '../components/consult-room.js'` from source and the elements
        // would never be registered. The transform hook's flag has the highest priority.
        name: 'consult-kit:define-modules-have-side-effects',
        transform(code: string, id: string) {
          return DEFINE_MODULES.test(id) ? { code, map: null, moduleSideEffects: true } : null;
        },
      },
    ],
  }),
};

export default config;
