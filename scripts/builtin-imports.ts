// How the bundle's ESM code reaches Node's built-in modules (scripts/build.ts).
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

/**
 * Node's built-in modules through require(), not ESM import. An ESM import of a built-in makes Node build
 * its ESM facade, and for node:http that loads its internal undici and some 70 more modules the labeller
 * never calls (issue 18 measured +2.1 MiB of RSS); require() hands over the CommonJS module as it is.
 * The banner's createRequire provides require.
 *
 * The module that answers the import exports just the names the importer takes (read from its import
 * statements), each read once from the built-in. A stand-in of `module.exports = require(...)` would do, but
 * esbuild then copies every property of the built-in into a namespace object, and reading a property
 * descriptor materializes Node's lazily loaded ones: commander's one import from node:util loaded
 * parse_args, diff and worker_threads, 13 modules, at every start (13-35 ms alone with the image's flags,
 * 22 ms of `run --once`). A namespace import (`* as`) still gets the whole module.
 */
export const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(build) {
    // Only ESM imports: a CommonJS dependency's own require() of a built-in is left as esbuild leaves it.
    build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)*$/ }, (args) => {
      if (args.kind !== 'import-statement' || !isBuiltin(args.path)) return undefined;
      const taken = importedNames(readFileSync(args.importer, 'utf8'), args.path);
      // One module per built-in and set of names: esbuild shares a module between importers by its path.
      const key = taken === 'everything' ? '*' : [...taken].sort().join(',');
      return { path: `${args.path}?${key}`, namespace: 'builtin', pluginData: { specifier: args.path, taken } };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const { specifier, taken } = args.pluginData as { specifier: string; taken: Set<string> | 'everything' };
      const required = `require(${JSON.stringify(specifier)})`;
      if (taken === 'everything') return { contents: `module.exports = ${required};`, loader: 'js' };
      const lines = [`const builtin = ${required};`];
      for (const name of taken) lines.push(name === 'default' ? 'export default builtin;' : `export const ${name} = builtin.${name};`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

/**
 * The names a module's import statements take from `specifier` ('default' for a default import), or
 * 'everything' for a namespace import. Type-only names are left out: TypeScript's are erased.
 */
export function importedNames(source: string, specifier: string): Set<string> | 'everything' {
  const names = new Set<string>();
  const quoted = specifier.replace(/[/.]/g, '\\$&');
  const statement = new RegExp(`\\bimport(?!\\s+type\\s)\\s*([^'";()]*?)\\s*from\\s*['"]${quoted}['"]`, 'g');
  for (const [, clause] of source.matchAll(statement)) {
    if (/\*\s*as\s/.test(clause!)) return 'everything';
    const braces = /\{([^}]*)\}/.exec(clause!);
    if (braces !== null) {
      for (const item of braces[1]!.split(',')) {
        const [imported] = item.trim().split(/\s+as\s+/);
        if (imported !== undefined && imported !== '' && !imported.startsWith('type ')) names.add(imported);
      }
    }
    if (/^[\w$]+/.test(clause!.replace(/\{[^}]*\}/, '').trim())) names.add('default');
  }
  return names;
}
