// Storybook preview: controls and docs from custom-elements.json, consult-* events in the Actions
// panel, a FakeSession per story (withFakeSession), msw for the token-fetch stories, and toolbar
// switches for the language and the theme.
import {
  setCustomElementsManifest,
  type Decorator,
  type Preview,
} from '@storybook/web-components-vite';
import { html } from 'lit';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { withActions } from 'storybook/actions/decorator';
import manifest from '../custom-elements.json';
// Raw text, not Vite's CSS pipeline: lightningcss would lower light-dark() into
// --lightningcss-light/dark variables resolved at :root, which leaves every token invalid.
import defaultTheme from '../components/themes/default.css?raw';
import '../components/index.js';
import { BUNDLED_LANGUAGES } from '../components/i18n/index.js';
import { withFakeSession } from '../stories/decorators/with-fake-session.js';
import { THEMES, themeStyles, type Theme } from '../stories/support/themes.js';

/** A class member as custom-elements.json describes it. */
interface ManifestMember {
  privacy?: string;
  static?: boolean;
}

/** The manifest with public instance members only: the analyzer also lists private ones. */
function publicMembersOnly<T>(cem: T): T {
  return JSON.parse(JSON.stringify(cem), (key: string, value: unknown) =>
    key === 'members' && Array.isArray(value)
      ? (value as ManifestMember[]).filter((m) => (m.privacy ?? 'public') === 'public' && !m.static)
      : value,
  ) as T;
}

setCustomElementsManifest(publicMembersOnly(manifest));

// The optional default theme and the theme wrapper's page CSS, once for the preview iframe.
const themeSheet = document.createElement('style');
themeSheet.textContent = `${defaultTheme}\n${themeStyles.cssText}`;
document.head.append(themeSheet);

/** Every `consult-*` event the elements document, from the manifest. */
const consultEvents = [
  ...new Set(
    manifest.modules.flatMap((m) =>
      (m.declarations ?? []).flatMap((d) =>
        'events' in d && Array.isArray(d.events)
          ? d.events.map((e: { name?: string }) => e.name ?? '')
          : [],
      ),
    ),
  ),
].filter((name) => name.startsWith('consult-'));

const LANGUAGE_NAMES: Record<(typeof BUNDLED_LANGUAGES)[number], string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  'pt-BR': 'Português (Brasil)',
  ar: 'العربية',
};

function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

/** Puts the story in a `[lang]` wrapper (the elements inherit it) with the chosen theme. */
const withLanguageAndTheme: Decorator = (story, context) => {
  const lang = typeof context.globals['lang'] === 'string' ? context.globals['lang'] : 'en';
  const theme = isTheme(context.globals['theme']) ? context.globals['theme'] : 'light';
  // data-consult-theme forces the scheme of themes/default.css (its tokens follow the system
  // setting otherwise, whatever color-scheme says).
  return html`<div
    class="consult-story"
    data-theme=${theme}
    data-consult-theme=${theme === 'dark' ? 'dark' : 'light'}
    lang=${lang}
  >
    ${story()}
  </div>`;
};

const preview: Preview = {
  // Loads and starts the msw worker; stories add handlers with `parameters.msw`.
  loaders: [mswLoader()],
  decorators: [withFakeSession, withLanguageAndTheme, withActions],
  parameters: {
    layout: 'fullscreen',
    actions: { handles: consultEvents },
    controls: { expanded: true, sort: 'requiredFirst' },
  },
  globalTypes: {
    lang: {
      description: 'Language of the elements (the closest [lang])',
      toolbar: {
        title: 'Language',
        icon: 'globe',
        dynamicTitle: true,
        items: BUNDLED_LANGUAGES.map((value) => ({ value, title: LANGUAGE_NAMES[value] })),
      },
    },
    theme: {
      description: 'Theme: default light, forced dark, or the brand tokens',
      toolbar: {
        title: 'Theme',
        icon: 'paintbrush',
        dynamicTitle: true,
        items: THEMES.map((value) => ({ value, title: value })),
      },
    },
  },
  initialGlobals: { lang: 'en', theme: 'light' },
};

export default preview;
