// `npm run analyze`: writes custom-elements.json at the repository root from the class JSDoc of the
// elements (docs/contributing.md#writing-an-element). package.json's "customElements" field is
// maintained by hand.
export default {
  globs: ['components/**/*.ts'],
  exclude: [
    'components/**/*.test.ts',
    'components/**/*.test-d.ts',
    'components/test-utils/**',
    'components/**/*.d.ts',
  ],
  outdir: '.',
  litelement: true,
  packagejson: false,
  plugins: [
    {
      // The elements register through ConsultElement.define(), which the analyzer cannot see; the
      // tag comes from @tagname. Events it infers from dispatchEvent() calls duplicate the
      // documented @event entries (with no name), so keep only named ones.
      name: 'consult-kit-events',
      packageLinkPhase({ customElementsManifest }) {
        // The analyzer lists modules in the order its file walk finishes, which varies from run to
        // run; sort them (files before folders, then by path) so the manifest is reproducible.
        const depth = (path) => path.split('/').length;
        customElementsManifest.modules.sort(
          (a, b) =>
            depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
        );
        const tags = {};
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.events) {
              declaration.events = declaration.events.filter((e) => e.name?.startsWith('consult-'));
            }
            if (declaration.customElement && declaration.tagName) {
              tags[declaration.tagName] = { name: declaration.name, module: mod.path };
            }
          }
          // define(tagName) in the base class is not a registration of its own.
          mod.exports = (mod.exports ?? []).filter(
            (e) => e.kind !== 'custom-element-definition' || e.name in tags || /-/.test(e.name),
          );
          if (
            mod.path === 'components/consult-element.ts' ||
            mod.path.endsWith('base/consult-element.ts')
          ) {
            mod.exports = mod.exports.filter((e) => e.kind !== 'custom-element-definition');
          }
        }
        // The registering modules: <name>.ts registers one, index.ts registers both.
        const registers = {
          'components/consult-chat.ts': ['consult-chat'],
          'components/consult-room.ts': ['consult-chat', 'consult-room'],
          'components/index.ts': ['consult-chat', 'consult-room'],
        };
        for (const mod of customElementsManifest.modules) {
          for (const tag of registers[mod.path] ?? []) {
            const target = tags[tag];
            if (!target) continue;
            mod.exports = mod.exports ?? [];
            mod.exports.push({
              kind: 'custom-element-definition',
              name: tag,
              declaration: { name: target.name, module: target.module },
            });
          }
        }
      },
    },
  ],
};
