/**
 * Runs axe-core on an element, its shadow root included, and fails the test on any violation.
 * @packageDocumentation
 */
import type * as Axe from 'axe-core';

declare global {
  interface Window {
    axe?: typeof Axe;
  }
}

async function loadAxe(): Promise<typeof Axe> {
  if (!window.axe) {
    // axe.min.js is a UMD script: imported as a module it registers itself on window.
    await import('axe-core/axe.min.js');
  }
  if (!window.axe) throw new Error('axe-core did not load');
  return window.axe;
}

/** Formats violations the way a reviewer needs them: rule, impact, help, each offending node. */
function describe(violations: readonly Axe.Result[]): string {
  return violations
    .map(
      (v) =>
        `${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n` +
        v.nodes.map((n) => `  - ${n.target.join(' ')}: ${n.failureSummary ?? n.html}`).join('\n'),
    )
    .join('\n');
}

/**
 * Resolves when axe finds no violation in `element` (shadow DOM included); rejects listing them.
 * Page-level rules (landmarks, page title) do not apply to an embeddable element and are off.
 */
export async function expectNoAxeViolations(element: Element): Promise<void> {
  const axe = await loadAxe();
  const results = await axe.run(element, {
    resultTypes: ['violations'],
    rules: {
      region: { enabled: false },
      'page-has-heading-one': { enabled: false },
      'landmark-one-main': { enabled: false },
    },
  });
  if (results.violations.length > 0) {
    throw new Error(
      `axe found ${results.violations.length} violation(s):\n${describe(results.violations)}`,
    );
  }
}
