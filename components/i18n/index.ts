/**
 * Language resolution and lazy loading of the bundled translations. English is in the entry; the
 * others are separate chunks fetched with `import()` the first time an element needs them.
 * @packageDocumentation
 */
import { en } from './en.js';
import type { ConsultStringKey, ConsultStrings } from './en.js';

export type { ConsultStringKey, ConsultStrings };
export { en };

/** The bundled languages. @public */
export const BUNDLED_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt-BR', 'ar'] as const;

/** A bundled language tag. @public */
export type BundledLanguage = (typeof BUNDLED_LANGUAGES)[number];

/**
 * Build flag: the IIFE cannot split chunks, so it is built with `false` and loads the other
 * languages from the CDN build's `i18n/<lang>.js` files next to the script (same origin, so a
 * `script-src 'self'` CSP allows them). Undefined (the npm and CDN ESM builds) means bundled chunks.
 */
declare const __CONSULT_BUNDLED_LANGUAGES__: boolean | undefined;
const WITH_LANGUAGES =
  typeof __CONSULT_BUNDLED_LANGUAGES__ === 'undefined' || __CONSULT_BUNDLED_LANGUAGES__;

type Loader = () => Promise<{ strings: ConsultStrings }>;

/** Where the classic script was loaded from, read while it runs (IIFE only). */
const scriptUrl =
  !WITH_LANGUAGES &&
  typeof document !== 'undefined' &&
  document.currentScript instanceof HTMLScriptElement
    ? document.currentScript.src
    : undefined;

const fromScriptDir =
  (lang: string): Loader =>
  () =>
    import(/* @vite-ignore */ new URL(`i18n/${lang}.js`, scriptUrl).href) as Promise<{
      strings: ConsultStrings;
    }>;

// Explicit import() calls (no template paths) so every bundler can split them into chunks.
const loaders: Partial<Record<Exclude<BundledLanguage, 'en'>, Loader>> = WITH_LANGUAGES
  ? {
      es: () => import('./es.js'),
      fr: () => import('./fr.js'),
      de: () => import('./de.js'),
      'pt-BR': () => import('./pt-BR.js'),
      ar: () => import('./ar.js'),
    }
  : scriptUrl
    ? {
        es: fromScriptDir('es'),
        fr: fromScriptDir('fr'),
        de: fromScriptDir('de'),
        'pt-BR': fromScriptDir('pt-BR'),
        ar: fromScriptDir('ar'),
      }
    : {};

const loaded = new Map<BundledLanguage, ConsultStrings>([['en', en]]);
const pending = new Map<BundledLanguage, Promise<ConsultStrings>>();

const RTL = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ku']);

/**
 * The bundled language closest to a BCP 47 tag: exact match, then the primary subtag (`es-MX` → `es`,
 * `pt` → `pt-BR`), else English.
 */
export function closestBundled(tag: string | null | undefined): BundledLanguage {
  if (!tag) return 'en';
  const lower = tag.toLowerCase();
  const exact = BUNDLED_LANGUAGES.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const primary = lower.split(/[-_]/)[0];
  return BUNDLED_LANGUAGES.find((l) => l.toLowerCase().split('-')[0] === primary) ?? 'en';
}

/** Text direction of a language tag. */
export function directionOf(tag: string): 'ltr' | 'rtl' {
  return RTL.has(tag.toLowerCase().split(/[-_]/)[0] ?? '') ? 'rtl' : 'ltr';
}

/** The translation if it is already loaded (English always is). */
export function loadedStrings(lang: BundledLanguage): ConsultStrings | undefined {
  return loaded.get(lang);
}

/** Loads a bundled translation (once); falls back to English when the chunk cannot load. */
export function loadStrings(lang: BundledLanguage): Promise<ConsultStrings> {
  const ready = loaded.get(lang);
  if (ready) return Promise.resolve(ready);
  const inFlight = pending.get(lang);
  if (inFlight) return inFlight;
  const loader = loaders[lang as Exclude<BundledLanguage, 'en'>];
  if (!loader) return Promise.resolve(en);
  const load = loader()
    .then((m) => {
      loaded.set(lang, m.strings);
      return m.strings;
    })
    .catch(() => en)
    .finally(() => pending.delete(lang));
  pending.set(lang, load);
  return load;
}

/** Replaces `{name}` placeholders with values (plain text; no markup is ever built from it). */
export function format(template: string, values?: Record<string, string | number>): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}
