/**
 * A reader for the plain YAML subset deploy/compose.yaml is written in (the repository has no YAML
 * library): block maps (`key: value`, `key:` + an indented block), block lists of scalars
 * (`- value`), plain, single-quoted or double-quoted scalars (JSON escapes), whole-line comments. Anything else
 * (flow collections, anchors, block scalars, inline comments, tabs) throws, so the file stays in
 * the subset.
 */

type Value = string | null | Value[] | { [key: string]: Value };

interface Line {
  n: number;
  indent: number;
  text: string;
}

function scalar(raw: string, n: number): string {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      throw new Error(`line ${n}: bad double-quoted string`);
    }
  }
  if (v.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(v)) throw new Error(`line ${n}: bad single-quoted string`);
    return v.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[{&*|>!%@`]/.test(v) || / #/.test(v))
    throw new Error(`line ${n}: outside the YAML subset: ${v}`);
  return v;
}

export function parseYamlSubset(text: string): Value {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tab`);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    lines.push({ n: i + 1, indent: raw.length - raw.trimStart().length, text: trimmed });
  });
  let pos = 0;
  const block = (indent: number): Value => {
    const first = lines[pos];
    if (!first || first.indent !== indent)
      throw new Error(`line ${first?.n ?? '?'}: bad indentation`);
    if (first.text.startsWith('- ')) {
      const list: Value[] = [];
      while (lines[pos]?.indent === indent && lines[pos]?.text.startsWith('- ')) {
        const l = lines[pos++] as Line;
        list.push(scalar(l.text.slice(2), l.n));
      }
      return list;
    }
    const map: { [key: string]: Value } = {};
    while (lines[pos]?.indent === indent) {
      const l = lines[pos++] as Line;
      const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(l.text);
      if (!m?.[1]) throw new Error(`line ${l.n}: expected "key: value"`);
      if (m[1] in map) throw new Error(`line ${l.n}: duplicate key ${m[1]}`);
      if (m[2] !== undefined) map[m[1]] = scalar(m[2], l.n);
      else {
        const next = lines[pos];
        map[m[1]] = next && next.indent > indent ? block(next.indent) : null;
      }
    }
    const next = lines[pos];
    if (next && next.indent > indent) throw new Error(`line ${next.n}: bad indentation`);
    return map;
  };
  const doc = lines.length ? block(0) : null;
  if (pos < lines.length) throw new Error(`line ${lines[pos]?.n}: bad indentation`);
  return doc;
}
