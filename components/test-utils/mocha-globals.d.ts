// Mocha globals of web-test-runner (no @types/mocha is installed; these are the ones the tests use).
declare function describe(name: string, body: () => void): void;
declare function it(name: string, body: () => Promise<void> | void): void;
// mocha's `it.skip`, typed on `it`
declare namespace it {
  function skip(name: string, body: () => Promise<void> | void): void;
}
declare function before(body: () => Promise<void> | void): void;
declare function after(body: () => Promise<void> | void): void;
declare function beforeEach(body: () => Promise<void> | void): void;
declare function afterEach(body: () => Promise<void> | void): void;

// axe-core's UMD build registers `window.axe` when imported; its types come from 'axe-core'.
declare module 'axe-core/axe.min.js';
