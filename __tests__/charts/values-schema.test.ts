// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CHART_DIR, chartArgs, helm } from '../helpers/helm.ts';

/** Runs `helm template` with flags, expects the schema to refuse, and returns Helm's message. */
function refused(flags: string[]): string {
  const result = helm(chartArgs({ flags }));
  assert.notEqual(result.status, 0, `accepted ${flags.join(' ')}`);
  assert.match(result.stderr, /values don't meet the specifications of the schema\(s\)/);
  return result.stderr;
}

describe('values.schema.json rejects typos with a message naming the key', () => {
  const TYPOS: [string, RegExp][] = [
    ['labeller.prefx=x', /at '\/labeller': additional properties 'prefx' not allowed/],
    ['label.prefix=x', /at '': additional properties 'label' not allowed/],
    ['nfd.featureFile.enabled=true', /at '\/nfd': additional properties 'featureFile' not allowed/],
    ['events.enable=false', /at '\/events': additional properties 'enable' not allowed/],
    ['admissionPolicy.enable=false', /at '\/admissionPolicy': additional properties 'enable' not allowed/],
    ['metrics.serviceMonitor.intervall=30s', /at '\/metrics\/serviceMonitor': additional properties 'intervall' not allowed/],
    ['resources.limit.memory=1Gi', /at '\/resources': additional properties 'limit' not allowed/],
    ['tolerations[0].operater=Exists', /at '\/tolerations\/0': additional properties 'operater' not allowed/],
    ['probes.liveness.periodSecond=5', /at '\/probes\/liveness': additional properties 'periodSecond' not allowed/],
    ['image.tags=1.0', /at '\/image': additional properties 'tags' not allowed/],
    ['tegra.nvidiaGPUPresent=true', /at '\/tegra': additional properties 'nvidiaGPUPresent' not allowed/],
    ['kubeedge.requireAuth=true', /at '\/kubeedge': additional properties 'requireAuth' not allowed/],
    ['kubeedge.metaServer.adress=127.0.0.1:1', /at '\/kubeedge\/metaServer': additional properties 'adress' not allowed/],
  ];
  for (const [set, message] of TYPOS) {
    test(set, () => assert.match(refused(['--set', set]), message));
  }
});

describe('values.schema.json rejects wrong types and bad values', () => {
  const BAD: [string[], RegExp][] = [
    [['--set', 'labeller.includeDisabled=yes'], /'\/labeller\/includeDisabled': got string, want boolean/],
    [['--set', 'metrics.port=http'], /'\/metrics\/port': got string, want integer/],
    [['--set', 'metrics.port=70000'], /'\/metrics\/port'/],
    [['--set-string', 'security.nonRootUser=1000'], /'\/security\/nonRootUser': got string, want integer/],
    [['--set', 'security.nonRootUser=0'], /'\/security\/nonRootUser'/],
    [['--set', 'labeller.prefix=Beta.DeviceTree.org'], /'\/labeller\/prefix'.*does not match pattern/],
    [['--set', 'labeller.prefix=beta.devicetree.org/'], /'\/labeller\/prefix'/],
    [['--set', 'labeller.nodes={cpu/0}'], /'\/labeller\/nodes\/0'/],
    [['--set', 'labeller.nodes=pwm-fan'], /'\/labeller\/nodes': got string, want array/],
    [['--set', 'labeller.logLevel=verbose'], /'\/labeller\/logLevel'/],
    [['--set', 'labeller.logFormat=xml'], /'\/labeller\/logFormat'/],
    [['--set', 'labeller.resyncInterval=5 minutes'], /'\/labeller\/resyncInterval'/],
    [['--set', 'labeller.rereadInterval=10'], /'\/labeller\/rereadInterval'/],
    [['--set', 'admissionPolicy.validationActions={Deny,Warn}'], /'\/admissionPolicy\/validationActions'/],
    [['--set', 'admissionPolicy.validationActions={Block}'], /'\/admissionPolicy\/validationActions\/0'/],
    [['--set', 'cleanup.hookDeletePolicy=always'], /'\/cleanup\/hookDeletePolicy'/],
    [['--set', 'image.digest=latest'], /'\/image\/digest'/],
    [['--set', 'image.pullPolicy=Sometimes'], /'\/image\/pullPolicy'/],
    [['--set', 'nfd.nodeFeature.namespace=Kube_System'], /'\/nfd\/nodeFeature\/namespace'/],
    [['--set', 'nfd.featuresFile.hostPath=relative/dir'], /'\/nfd\/featuresFile\/hostPath'/],
    [['--set', 'nfd.featuresFile.fileName=../escape'], /'\/nfd\/featuresFile\/fileName'/],
    [['--set', 'tolerations[0].operator=Maybe'], /'\/tolerations\/0\/operator'/],
    [['--set', 'resources.requests.memory=lots'], /'\/resources\/requests\/memory'/],
    [['--set', 'architectures=arm64'], /'\/architectures': got string, want array/],
    [['--set', 'podAnnotations.a=1'], /'\/podAnnotations\/a': got number, want string/],
    [['--set-json', 'labeller.extraEnv=[{"value":"x"}]'], /'\/labeller\/extraEnv\/0': missing property 'name'/],
    [['--set', 'updateStrategy.type=Recreate'], /'\/updateStrategy\/type'/],
  ];
  for (const [flags, message] of BAD) {
    test(flags.join(' '), () => assert.match(refused(flags), message));
  }

  test('events.namespace is gone: Events about a Node always go to default, and the old key is refused', () => {
    for (const value of ['default', 'kube-system', '']) {
      assert.match(refused(['--set-string', `events.namespace=${value}`]), /at '\/events': additional properties 'namespace' not allowed/);
    }
  });

  test('a template-level rule: ServiceMonitor without the Service fails with a clear message', () => {
    const result = helm(chartArgs({ apiVersions: ['monitoring.coreos.com/v1'], flags: ['--set', 'metrics.serviceMonitor.enabled=true,metrics.service.enabled=false'] }));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /metrics\.serviceMonitor\.enabled needs metrics\.service\.enabled/);
  });

  test('the two NFD modes are alternatives', () => {
    const result = helm(chartArgs({ flags: ['--set', 'nfd.featuresFile.enabled=true,nfd.nodeFeature.enabled=true'] }));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /nfd\.featuresFile\.enabled and nfd\.nodeFeature\.enabled are alternatives: enable at most one/);
  });

  test('serviceAccount.create=false needs a name', () => {
    const result = helm(chartArgs({ flags: ['--set', 'serviceAccount.create=false'] }));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /serviceAccount\.name is required when serviceAccount\.create is false/);
  });
});

describe('values.schema.json: the Jetson, instance and KubeEdge values', () => {
  const BAD: [string[], RegExp][] = [
    // --instance is a DNS label.
    [['--set', 'labeller.instance=GPU'], /'\/labeller\/instance'.*does not match pattern/],
    [['--set', 'labeller.instance=gpu.one'], /'\/labeller\/instance'/],
    [['--set', 'labeller.instance=-gpu'], /'\/labeller\/instance'/],
    [['--set', `labeller.instance=${'a'.repeat(64)}`], /'\/labeller\/instance'/],
    [['--set-json', 'labeller.instance=1'], /'\/labeller\/instance': got number, want string/],
    // -n splits at commas: one item with a comma would be two names (or an empty one).
    [['--set-json', 'labeller.nodes=["pwm-fan,npu"]'], /'\/labeller\/nodes\/0'/],
    [['--set-json', 'labeller.nodes=["gpu,"]'], /'\/labeller\/nodes\/0'/],
    [['--set-json', 'labeller.nodes=[",gpu"]'], /'\/labeller\/nodes\/0'/],
    [['--set-json', 'labeller.nodes=[""]'], /'\/labeller\/nodes\/0'/],
    [['--set-json', 'labeller.nodes=["i2c@7000,c400"]'], /'\/labeller\/nodes\/0'/],
    [['--set-json', 'labeller.nodes=["gpu node"]'], /'\/labeller\/nodes\/0'/],
    [['--set', 'tegra.prefix=Tegra.Example'], /'\/tegra\/prefix'/],
    [['--set', 'tegra.prefix=tegra.example/'], /'\/tegra\/prefix'/],
    [['--set', 'tegra.facts=yes'], /'\/tegra\/facts': got string, want boolean/],
    [['--set', 'tegra.l4tRelease=false'], /'\/tegra\/l4tRelease': got boolean, want object/],
    [['--set', 'kubeedge.enabled=on'], /'\/kubeedge\/enabled': got string, want boolean/],
    [['--set', 'kubeedge.metaServer.address=10.0.0.1:10550'], /'\/kubeedge\/metaServer\/address'/],
    [['--set', 'kubeedge.metaServer.address=http://127.0.0.1:10550'], /'\/kubeedge\/metaServer\/address'/],
    [['--set', 'kubeedge.metaServer.dummyAddress=metaserver.local:10550'], /'\/kubeedge\/metaServer\/dummyAddress'/],
    [['--set', 'kubeedge.metricsPort=0'], /'\/kubeedge\/metricsPort'/],
  ];
  for (const [flags, message] of BAD) {
    test(flags.join(' '), () => assert.match(refused(flags), message));
  }

  test('good values pass', () => {
    const good = [
      'labeller.instance=gpu-2',
      'labeller.nodes={pwm-fan,npu@0,i2c@7000c400}',
      'tegra.prefix=jetson.example.com',
      'kubeedge.enabled=true',
      'kubeedge.metaServer.address=127.0.0.1:10551',
      'kubeedge.metaServer.dummyAddress=169.254.30.10:10550',
      'labeller.resyncInterval=off',
      'labeller.rereadInterval=1h30m',
    ];
    const result = helm(chartArgs({ flags: ['--set', good.join(',')] }));
    assert.equal(result.status, 0, result.stderr);
  });

  const failing: [string, RegExp][] = [
    ['tegra.prefix=beta.devicetree.org', /tegra\.prefix must differ from labeller\.prefix/],
    ['tegra.facts=false,tegra.nvidiaGpuPresent=true', /tegra\.nvidiaGpuPresent needs tegra\.facts/],
    ['tegra.facts=false,tegra.gfdLabels=true', /tegra\.gfdLabels needs tegra\.facts/],
    ['kubeedge.enabled=true,nfd.featuresFile.enabled=true', /kubeedge\.enabled is for the modes that talk to the API server/],
  ];
  for (const [set, message] of failing) {
    test(`a template-level rule refuses ${set} with the reason`, () => {
      const result = helm(chartArgs({ flags: ['--set', set] }));
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, message);
    });
  }

  test('the same prefix twice is fine when the facts are off', () => {
    const result = helm(chartArgs({ flags: ['--set', 'tegra.facts=false,tegra.prefix=beta.devicetree.org'] }));
    assert.equal(result.status, 0, result.stderr);
  });
});

describe('values.yaml', () => {
  const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

  test('every value is documented: a "# --" comment above it or above an enclosing value', () => {
    const lines = text.split('\n');
    const ancestors: { indent: number; documented: boolean }[] = [];
    const undocumented: string[] = [];
    lines.forEach((line, index) => {
      const match = /^(\s*)([A-Za-z]\w*):(?:\s+(\S.*))?$/.exec(line);
      if (!match) return;
      const indent = match[1]!.length;
      while (ancestors.length > 0 && ancestors.at(-1)!.indent >= indent) ancestors.pop();
      // The comment block right above, helm-docs style: a "# -- " line documents this key and everything under it.
      let first = index;
      while (first > 0 && lines[first - 1]!.trimStart().startsWith('#')) first--;
      const own = lines.slice(first, index).some((l) => l.trimStart().startsWith('# -- '));
      const documented = own || ancestors.some((a) => a.documented);
      if (match[3] === undefined) ancestors.push({ indent, documented: own });
      else if (!documented) undocumented.push(`${index + 1}: ${line.trim()}`);
    });
    assert.deepEqual(undocumented, []);
  });

  test('the defaults pass the schema and match the ones the tests rely on', () => {
    const values = parseYaml(text) as Record<string, Record<string, unknown>>;
    assert.equal(values.labeller?.prefix, 'beta.devicetree.org');
    assert.deepEqual(values.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(values.architectures, ['arm64', 'arm', 'riscv64']);
    assert.equal(values.security?.runAsNonRoot, false);
    assert.deepEqual(values.tegra, { facts: true, prefix: '', nvidiaGpuPresent: false, gfdLabels: false, l4tRelease: { enabled: true, socs: ['tegra264'] } });
    assert.deepEqual(values.kubeedge, {
      enabled: false,
      requireAuthorization: false,
      metaServer: { address: '127.0.0.1:10550', dummyAddress: '169.254.30.10:10550' },
      metricsPort: 9102,
    });
    assert.equal(values.labeller?.instance, '');
    assert.deepEqual(values.events, { enabled: true });
    const result = helm(chartArgs({ values }));
    assert.equal(result.status, 0, result.stderr);
  });
});
