/**
 * Queries that also search the shadow roots of nested elements (e.g. the `<consult-prejoin>` and
 * `<consult-tile>` inside `<consult-room>`), in document order per tree: a root's own matches come
 * before those of the elements it contains.
 * @packageDocumentation
 */

function shadowHosts(root: ParentNode): Element[] {
  const hosts = root instanceof Element && root.shadowRoot ? [root] : [];
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) hosts.push(el);
  return hosts;
}

/** Every match in `root` and in the shadow roots below it. */
export function deepQueryAll<T extends Element = HTMLElement>(
  root: ParentNode,
  selector: string,
): T[] {
  const found = [...root.querySelectorAll<T>(selector)];
  for (const host of shadowHosts(root)) found.push(...deepQueryAll<T>(host.shadowRoot!, selector));
  return found;
}

/** The first match in `root`, else in the shadow roots below it. */
export function deepQuery<T extends Element = HTMLElement>(
  root: ParentNode,
  selector: string,
): T | null {
  const own = root.querySelector<T>(selector);
  if (own) return own;
  for (const host of shadowHosts(root)) {
    const nested = deepQuery<T>(host.shadowRoot!, selector);
    if (nested) return nested;
  }
  return null;
}
