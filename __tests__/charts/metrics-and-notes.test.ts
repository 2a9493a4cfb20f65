// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IService } from 'kubernetes-models/v1/Service';
import { renderChart, renderNotes } from '../helpers/helm.ts';
import { daemonSet, daemonSets, FULLNAME, hasKind, labeller, MONITORING_API, NAMESPACE, oneOf, RELEASE, scenario, VARIANT_LABEL } from './chart.ts';

describe('metrics', () => {
  test('a ClusterIP Service selects the labeller pods on the port named metrics', () => {
    const rendered = scenario('default');
    const service = oneOf<IService>(rendered, 'Service');
    assert.equal(service.metadata?.name, `${FULLNAME}-metrics`);
    assert.equal(service.spec?.type, 'ClusterIP');
    assert.deepEqual(service.spec?.ports, [{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    const podLabels = daemonSet(rendered).spec?.template.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(service.spec?.selector ?? {})) assert.equal(podLabels[key], value);
  });

  test('the Service and the monitors select the pods of every DaemonSet, whatever their variant', () => {
    const rendered = renderChart({
      apiVersions: [MONITORING_API],
      values: { kubeedge: { enabled: true }, metrics: { serviceMonitor: { enabled: true }, podMonitor: { enabled: true } } },
    });
    const selectors = [
      oneOf<IService>(rendered, 'Service').spec?.selector ?? {},
      oneOf<IServiceMonitor>(rendered, 'ServiceMonitor').spec.selector.matchLabels ?? {},
      oneOf<IPodMonitor>(rendered, 'PodMonitor').spec.selector.matchLabels ?? {},
    ];
    const variants = daemonSets(rendered);
    assert.equal(variants.size, 4);
    for (const selector of selectors) {
      assert.equal(selector[VARIANT_LABEL], undefined);
      for (const ds of variants.values()) {
        const podLabels = ds.spec?.template.metadata?.labels ?? {};
        for (const [key, value] of Object.entries(selector)) assert.equal(podLabels[key], value, `${ds.metadata?.name}: ${key}`);
      }
    }
  });

  test('edge pods on the host network serve metrics on kubeedge.metricsPort, under the same port name', () => {
    const { container } = labeller(scenario('KubeEdge'), 'edge');
    assert.deepEqual(container.ports, [{ name: 'metrics', containerPort: 9102, protocol: 'TCP' }]);
    assert.ok(container.args?.includes('--metrics-address=:9102'));
    assert.equal(labeller(scenario('KubeEdge, non-root, NodeFeature, own addresses'), 'edge-l4t').container.ports?.[0]?.containerPort, 9200);
    // With requireAuthorization the pods keep the pod network, so metrics.port.
    assert.equal(labeller(scenario('KubeEdge with requireAuthorization'), 'edge').container.ports?.[0]?.containerPort, 8080);
  });

  test('the Service can be switched off', () => {
    assert.equal(hasKind(renderChart({ flags: ['--set', 'metrics.service.enabled=false'] }), 'Service'), false);
  });

  test('ServiceMonitor and PodMonitor scrape /metrics on the metrics port, with the extra settings', () => {
    const rendered = scenario('monitors');
    const serviceMonitor = oneOf<IServiceMonitor>(rendered, 'ServiceMonitor');
    assert.equal(serviceMonitor.metadata?.labels?.release, 'kube-prometheus');
    assert.deepEqual(serviceMonitor.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    assert.deepEqual(serviceMonitor.spec.namespaceSelector, { matchNames: [NAMESPACE] });
    const service = oneOf<IService>(rendered, 'Service');
    for (const [key, value] of Object.entries(serviceMonitor.spec.selector.matchLabels ?? {})) assert.equal(service.metadata?.labels?.[key], value);
    const podMonitor = oneOf<IPodMonitor>(rendered, 'PodMonitor');
    assert.deepEqual(podMonitor.spec.podMetricsEndpoints, [
      { port: 'metrics', path: '/metrics', metricRelabelings: [{ action: 'drop', regex: 'nodejs_.*', sourceLabels: ['__name__'] }] },
    ]);
    const podLabels = daemonSet(rendered).spec?.template.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(podMonitor.spec.selector.matchLabels ?? {})) assert.equal(podLabels[key], value);
  });

  test('monitors are skipped where prometheus-operator is missing, and NOTES say so', () => {
    const options = { flags: ['--set', 'metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true'] };
    const rendered = renderChart(options);
    assert.equal(hasKind(rendered, 'ServiceMonitor'), false);
    assert.equal(hasKind(rendered, 'PodMonitor'), false);
    assert.match(renderNotes(options), /WARNING: metrics\.serviceMonitor\/podMonitor is enabled, but this cluster has no monitoring\.coreos\.com\/v1 API/);
    assert.doesNotMatch(renderNotes(), /WARNING/);
  });
});

describe('NOTES.txt', () => {
  test('tells how to see the labels and the metrics', () => {
    const notes = renderNotes();
    assert.match(notes, /kubectl get nodes -L beta\.devicetree\.org\/nvidia-jetson-nano,beta\.devicetree\.org\/nvidia-gm20b/);
    assert.match(notes, /kubectl get nodes --show-labels/);
    assert.match(notes, /kubectl get node NODE -o json \| jq '\.metadata\.labels \| with_entries\(select\(\.key \| startswith\("beta\.devicetree\.org\/"\)\)\)'/);
    assert.match(notes, new RegExp(`kubectl port-forward -n ${NAMESPACE} service/${FULLNAME}-metrics 8080:8080`));
    assert.match(notes, /curl -s localhost:8080\/metrics/);
    assert.match(notes, new RegExp(`helm test ${RELEASE} -n ${NAMESPACE} --logs`));
    assert.match(notes, /No admission policy was installed/);
  });

  test('follows the prefix and the modes', () => {
    const notes = renderNotes({
      values: { labeller: { prefix: 'dt.example.com' }, nfd: { nodeFeature: { enabled: true } }, test: { enabled: false }, metrics: { service: { enabled: false } } },
    });
    assert.match(notes, /kubectl get nodes -L dt\.example\.com\/nvidia-jetson-nano/);
    assert.match(notes, /kubectl get nodefeatures -n edge-system/);
    assert.match(notes, /-extra-label-ns/);
    assert.doesNotMatch(notes, /helm test/);
    assert.doesNotMatch(notes, /port-forward/);
    assert.match(notes, /deletes the NodeFeature objects/);
    const fileNotes = renderNotes({ values: { nfd: { featuresFile: { enabled: true } } } });
    assert.match(fileNotes, /NFD feature files are written to \/etc\/kubernetes\/node-feature-discovery\/features\.d\/dt-node-labeller on each node/);
    assert.match(fileNotes, /delete them on each node afterwards/);
    assert.doesNotMatch(fileNotes, /runs a Job/);
  });

  test('name every DaemonSet, explain the L4T hand-over and the KubeEdge mode', () => {
    const notes = renderNotes();
    assert.match(notes, new RegExp(`running as DaemonSets ${FULLNAME}, ${FULLNAME}-l4t in namespace ${NAMESPACE}`));
    assert.match(notes, /tegra\.beta\.devicetree\.org\/l4t\.devicetree=true/);
    assert.match(notes, /stuck\s+in ContainerCreating means that file is missing there: set tegra\.l4tRelease\.enabled=false/);
    assert.doesNotMatch(notes, /KubeEdge/);
    const single = renderNotes({ values: { tegra: { l4tRelease: { enabled: false } } } });
    assert.match(single, new RegExp(`running as DaemonSet ${FULLNAME} in namespace`));
    assert.doesNotMatch(single, /l4t/);
    const edge = renderNotes({ values: { kubeedge: { enabled: true } } });
    assert.match(edge, new RegExp(`${FULLNAME}-edge, ${FULLNAME}-edge-l4t`));
    assert.match(edge, /MetaServer at http:\/\/127\.0\.0\.1:10550 \(host network; metrics on the node's port 9102\)/);
    const authorized = renderNotes({ values: { kubeedge: { enabled: true, requireAuthorization: true } } });
    assert.match(authorized, /MetaServer at https:\/\/169\.254\.30\.10:10550 with their service-account token/);
  });
});
