import { assert, fixture, html, waitUntil } from '@open-wc/testing';
import { ReactiveElement } from 'lit';
import { LocalizeController } from './localize-controller.js';

/** A bare host like the elements (`lang` is a reflected property): records the language in effect
 * after each update. */
class LocalizeTestHost extends ReactiveElement {
  static override properties = { lang: { reflect: true } };
  declare lang: string;
  readonly localize = new LocalizeController(this);
  updates: string[] = [];

  protected override updated(): void {
    this.updates.push(this.localize.tag);
  }
}
customElements.define('localize-test-host', LocalizeTestHost);

/** An element that renders a host inside its shadow root. */
class LocalizeTestOuter extends HTMLElement {
  readonly inner: LocalizeTestHost;
  constructor() {
    super();
    this.inner = document.createElement('localize-test-host') as LocalizeTestHost;
    this.attachShadow({ mode: 'open' }).append(this.inner);
  }
}
customElements.define('localize-test-outer', LocalizeTestOuter);

describe('LocalizeController', () => {
  const documentLang = document.documentElement.lang;
  afterEach(() => {
    document.documentElement.lang = documentLang;
  });

  it('should follow a lang change on the closest [lang] ancestor after the first render', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="en"><localize-test-host></localize-test-host></div>`,
    );
    const host = wrapper.querySelector<LocalizeTestHost>('localize-test-host')!;
    await host.updateComplete;
    assert.strictEqual(host.localize.tag, 'en');
    assert.strictEqual(host.localize.t('chat.send'), 'Send');
    wrapper.lang = 'es';
    await waitUntil(() => host.localize.tag === 'es', 'the host re-rendered in Spanish');
    await waitUntil(() => host.localize.t('chat.send') === 'Enviar', 'Spanish strings loaded');
    assert.strictEqual(host.localize.dir, 'ltr');
    wrapper.lang = 'ar';
    await waitUntil(() => host.localize.tag === 'ar');
    assert.strictEqual(host.localize.dir, 'rtl');
  });

  it('should follow an ancestor closer than the current [lang] that gains the attribute', async () => {
    const outer = await fixture<HTMLDivElement>(
      html`<div lang="en">
        <section><localize-test-host></localize-test-host></section>
      </div>`,
    );
    const host = outer.querySelector<LocalizeTestHost>('localize-test-host')!;
    await host.updateComplete;
    outer.querySelector('section')!.setAttribute('lang', 'fr');
    await waitUntil(() => host.localize.tag === 'fr');
    outer.querySelector('section')!.removeAttribute('lang');
    await waitUntil(() => host.localize.tag === 'en', 'back to the outer [lang]');
  });

  it('should follow the document element when no ancestor has lang', async () => {
    document.documentElement.lang = 'en';
    const wrapper = await fixture<HTMLDivElement>(
      html`<div><localize-test-host></localize-test-host></div>`,
    );
    const host = wrapper.querySelector<LocalizeTestHost>('localize-test-host')!;
    await host.updateComplete;
    assert.strictEqual(host.localize.tag, 'en');
    document.documentElement.lang = 'de';
    await waitUntil(() => host.localize.tag === 'de');
  });

  it('should follow a [lang] ancestor across a shadow root', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="en"><localize-test-outer></localize-test-outer></div>`,
    );
    const host = wrapper.querySelector<LocalizeTestOuter>('localize-test-outer')!.inner;
    await host.updateComplete;
    assert.strictEqual(host.localize.tag, 'en');
    wrapper.lang = 'pt-BR';
    await waitUntil(() => host.localize.tag === 'pt-BR');
  });

  it('should ignore ancestors while the host has its own lang, and none once disconnected', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="en"><localize-test-host lang="fr"></localize-test-host></div>`,
    );
    const host = wrapper.querySelector<LocalizeTestHost>('localize-test-host')!;
    await host.updateComplete;
    const updates = host.updates.length;
    wrapper.lang = 'es';
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.strictEqual(host.updates.length, updates, 'no update for an overridden ancestor lang');
    assert.strictEqual(host.localize.tag, 'fr');

    host.removeAttribute('lang');
    await waitUntil(() => host.localize.tag === 'es');
    host.remove();
    const detached = host.updates.length;
    wrapper.lang = 'de';
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.strictEqual(host.updates.length, detached, 'a detached host is not updated');
    wrapper.append(host);
    await waitUntil(() => host.localize.tag === 'de', 'reconnected: reads the current lang');
    wrapper.lang = 'en';
    await waitUntil(() => host.localize.tag === 'en', 'and observes again');
  });
});
