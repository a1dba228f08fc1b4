/**
 * `LocalizeController`: picks the element's language, loads its translation on demand and applies the
 * portal's `strings` overrides.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveElement } from 'lit';
import {
  closestBundled,
  directionOf,
  format,
  loadStrings,
  loadedStrings,
  en,
  type BundledLanguage,
  type ConsultStringKey,
  type ConsultStrings,
} from '../i18n/index.js';

/** The part of a host the controller reads. */
export interface LocalizeHost extends ReactiveElement {
  /** The element's `lang` attribute (empty when unset). */
  lang: string;
  /** Per-key overrides of any text. */
  strings?: Partial<ConsultStrings> | undefined;
}

/** The closest `[lang]` from the host outwards, crossing shadow roots; then the document's. */
function inheritedLang(host: HTMLElement): string {
  let node: Element | null = host;
  while (node) {
    const lang = node.getAttribute('lang');
    if (lang) return lang;
    const parent: Element | null = node.parentElement;
    if (parent) node = parent;
    else {
      const root = node.getRootNode();
      node = root instanceof ShadowRoot ? root.host : null;
    }
  }
  return document.documentElement.lang || navigator.language || 'en';
}

/** The host's ancestors from its parent outwards, crossing shadow roots, then the document element. */
function ancestorsOf(host: HTMLElement): Element[] {
  const out: Element[] = [];
  let node: Element | null = host;
  while (node) {
    const parent: Element | null = node.parentElement;
    if (parent) node = parent;
    else {
      const root = node.getRootNode();
      node = root instanceof ShadowRoot ? root.host : null;
    }
    if (node) out.push(node);
  }
  if (!out.includes(document.documentElement)) out.push(document.documentElement);
  return out;
}

/**
 * Resolves the language from the `lang` attribute (or the closest `[lang]` ancestor, or the document)
 * and translates keys, with `strings` overrides first.
 * @internal
 */
export class LocalizeController implements ReactiveController {
  private readonly host: LocalizeHost;
  /** The BCP 47 tag in effect (the requested one, e.g. `es-MX`). */
  tag = 'en';
  /** The bundled catalogue used for it. */
  language: BundledLanguage = 'en';
  private observer: MutationObserver | undefined;

  constructor(host: LocalizeHost) {
    this.host = host;
    host.addController(this);
  }

  /** `ltr` or `rtl` for the language in effect. */
  get dir(): 'ltr' | 'rtl' {
    return directionOf(this.tag);
  }

  hostConnected(): void {
    this.resolve();
    this.observeAncestors();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
  }

  hostUpdate(): void {
    this.resolve();
  }

  /** Translates `key`, filling `{placeholders}` with `values`. */
  t(key: ConsultStringKey, values?: Record<string, string | number>): string {
    const template =
      this.host.strings?.[key] ?? loadedStrings(this.language)?.[key] ?? en[key] ?? key;
    return format(template, values);
  }

  /** Translates a `messageKey` of a ConsultError, falling back to `error.unknown`. */
  error(messageKey: string): string {
    return messageKey in en ? this.t(messageKey as ConsultStringKey) : this.t('error.unknown');
  }

  /**
   * Watches the `lang` attribute of every ancestor (up to the document element, crossing shadow
   * roots): a portal that switches language on `<html>` or a wrapper re-renders the element at once,
   * including when an ancestor closer than the current `[lang]` gains the attribute. The chain is
   * re-read on every connection, so a moved element watches its new ancestors.
   */
  private observeAncestors(): void {
    this.observer?.disconnect();
    if (typeof MutationObserver === 'undefined') return;
    this.observer ??= new MutationObserver(() => {
      if (!this.host.lang && inheritedLang(this.host) !== this.tag) this.host.requestUpdate();
    });
    for (const node of ancestorsOf(this.host))
      this.observer.observe(node, { attributes: true, attributeFilter: ['lang'] });
  }

  private resolve(): void {
    const tag = this.host.lang || inheritedLang(this.host);
    this.tag = tag;
    const language = closestBundled(tag);
    this.language = language;
    if (!loadedStrings(language)) {
      void loadStrings(language).then(() => {
        // Only re-render if the element still wants this language.
        if (this.language === language) this.host.requestUpdate();
      });
    }
  }
}
