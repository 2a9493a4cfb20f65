// Dependencies of dependencies that the labeller's start never calls, evaluated on first use instead of at
// start (issue 18). client-node's config.js imports, for every kubeconfig, the proxy agents of `proxy-url`
// (socks-proxy-agent with socks, ip-address and debug; hpagent), the helpers of its Azure, GCP and OIDC auth
// providers (jsonpath-plus, which loads node:vm; openid-client) and js-yaml, which a pod's own service
// account never needs; prom-client imports OpenTelemetry's API for exemplars, which the labeller does not
// enable. Evaluating them took 16-25 ms of every start with the image's flags (`run --once`, medians of 20).
//
// Each import is answered by a stand-in with the same names, each a getter that loads the real module
// (bundled as usual) when first read. A name missing here would read as undefined, so
// __tests__/cli/lazy-imports.test.ts checks that every name the importers use is listed and that the real
// module has it, and the proxy and kubeconfig tests run the real code through the built bundle.
import type { Plugin } from 'esbuild';

export interface LazyImport {
  /** Only imports from files whose path matches are made lazy. */
  readonly importer: RegExp;
  /** The names the importers use. */
  readonly names: readonly string[];
}

const CLIENT_NODE = /\/node_modules\/@kubernetes\/client-node\//;

export const LAZY_IMPORTS: Readonly<Record<string, LazyImport>> = {
  'js-yaml': { importer: CLIENT_NODE, names: ['load', 'loadAll', 'dump'] },
  'socks-proxy-agent': { importer: CLIENT_NODE, names: ['SocksProxyAgent'] },
  socks: { importer: CLIENT_NODE, names: ['SocksClient'] },
  hpagent: { importer: CLIENT_NODE, names: ['HttpProxyAgent', 'HttpsProxyAgent'] },
  'jsonpath-plus': { importer: CLIENT_NODE, names: ['JSONPath'] },
  'openid-client': { importer: CLIENT_NODE, names: ['customFetch', 'discovery', 'refreshTokenGrant'] },
  '@opentelemetry/api': { importer: /\/node_modules\/prom-client\//, names: ['trace', 'context'] },
};

export const lazyImports: Plugin = {
  name: 'lazy-imports',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const lazy = LAZY_IMPORTS[args.path];
      // The stand-in's own require() of the real module resolves as usual.
      if (lazy === undefined || args.namespace === 'lazy-import' || !lazy.importer.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'lazy-import', pluginData: args.resolveDir };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-import' }, (args) => ({
      contents: [
        'let real;',
        `const load = () => (real ??= require(${JSON.stringify(args.path)}));`,
        `for (const name of ${JSON.stringify(LAZY_IMPORTS[args.path]!.names)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
      ].join('\n'),
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
  },
};
