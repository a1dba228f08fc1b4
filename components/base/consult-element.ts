/**
 * The base class of every ConsultKit element: guarded registration, custom states through
 * `ElementInternals`, and the elements' error contract (never throw from lifecycle or listeners;
 * docs/contributing.md#errors-and-warnings).
 * @packageDocumentation
 */
import { LitElement } from 'lit';
import { warnOnce } from '../../src/index.js';

/** Version stamped on every registered class, so a second copy of the library can be detected. */
export const CONSULT_KIT_VERSION = '0.1.0';

const VERSION_KEY = Symbol.for('consult-kit.version');

interface VersionedConstructor extends CustomElementConstructor {
  [VERSION_KEY]?: string;
}

/**
 * Base class of the ConsultKit elements.
 * @internal
 */
export class ConsultElement extends LitElement {
  /**
   * Registers `this` as `tagName` unless a class is already registered under that name. Registering
   * the same version twice (a page that loads the library twice) is silent; a different version is
   * kept as it is and a development warning names both versions.
   */
  static define(tagName: string, ctor: CustomElementConstructor = this): void {
    const existing = customElements.get(tagName) as VersionedConstructor | undefined;
    if (existing) {
      const version = existing[VERSION_KEY];
      if (version !== CONSULT_KIT_VERSION) {
        warnOnce(
          'define-version-clash',
          `<${tagName}> is already registered by ${version ? `ConsultKit ${version}` : 'another library'}; ConsultKit ${CONSULT_KIT_VERSION} keeps the existing definition.`,
        );
      }
      return;
    }
    (ctor as VersionedConstructor)[VERSION_KEY] = CONSULT_KIT_VERSION;
    customElements.define(tagName, ctor);
  }

  /** `ElementInternals`, when the browser has it (custom states). */
  protected readonly internals: ElementInternals | undefined =
    typeof this.attachInternals === 'function' ? this.attachInternals() : undefined;

  /**
   * Turns a custom state (`:host(:state(name))`) on or off. Browsers without `CustomStateSet` are
   * skipped silently: states are a styling hook, never the only signal.
   */
  protected setCustomState(name: string, on: boolean): void {
    const states = this.internals?.states;
    if (!states) return;
    try {
      if (on) states.add(name);
      else states.delete(name);
    } catch {
      // Chromium < 125 accepted only `--name` identifiers; the state is decorative, so ignore.
    }
  }

  /** True when the custom state is set (tests and subclasses). */
  hasCustomState(name: string): boolean {
    return this.internals?.states?.has(name) ?? false;
  }
}
