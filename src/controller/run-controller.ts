import type { Server } from 'node:http';
import type { RunFlags } from '../cli/run-command.ts';
import { resolveNodeName } from '../cli/cluster-options.ts';
import { labelRules, treeLocation } from '../cli/tree-options.ts';
import { discover } from '../discover.ts';
import { kubernetesClient } from '../kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import { realSleep } from '../kubernetes/backoff.ts';
import { VERSION } from '../version.ts';
import { Controller } from './controller.ts';
import { createLogger, type Logger } from './logger.ts';
import { ControllerMetrics } from './metrics.ts';
import { FeatureFileTarget } from '../targets/feature-file-target.ts';
import type { LabelTarget } from '../targets/label-target.ts';
import { NodeFeatureTarget } from '../targets/node-feature-target.ts';
import { NodeLabelsTarget } from '../targets/node-labels-target.ts';
import { nodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { createStatusServer, parseListenAddress } from './status-server.ts';

/** SIGTERM must end the pod well inside Kubernetes' default 30 s grace period; we promise 5 s. */
const SHUTDOWN_DEADLINE_MS = 5000;
const ONCE_ATTEMPTS = 5;
/**
 * Jittered exponential backoff for API failures. The cap bounds how long after the API server comes back the
 * labeller notices (the issue promises convergence within 10 s); one request per 8 s per node at worst is
 * still gentle on a struggling server.
 */
const BACKOFF = { initialMs: 500, maxMs: 8000 };
/** The API server ends watches after this; we resume from the last resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 290;

/** Wires the controller to the process: logger, metrics server, signals. Resolves with the exit code. */
export async function runController(flags: RunFlags): Promise<number> {
  const nodeName = resolveNodeName(flags);
  const logger = createLogger({ format: flags.logFormat, level: flags.logLevel, node: nodeName });
  const listen = parseListenAddress(flags.metricsAddress);
  const metrics = new ControllerMetrics();
  const target = labelTarget(flags, nodeName, logger, metrics);
  const rules = labelRules(flags);
  const controller = new Controller({
    target,
    discover: () => discover({ location: treeLocation(flags), ...rules }),
    logger,
    metrics,
    sleep: realSleep,
    backoff: BACKOFF,
    resyncMs: flags.resyncInterval,
    rereadMs: flags.rereadInterval,
  });
  logger.info('starting', { version: VERSION, once: flags.once === true, target: target.description });
  if (flags.once) return (await controller.runOnce(ONCE_ATTEMPTS)) ? 0 : 1;

  const server = createStatusServer({ registry: metrics.registry, ready: () => controller.ready });
  await listenOn(server, listen, logger);
  const signals = handleSignals(controller, server, logger);
  try {
    await controller.run();
  } finally {
    signals.dispose();
  }
  logger.info('stopped; labels stay in place');
  return 0;
}

/** Where the labels go: NFD's feature file, an NFD NodeFeature object, or (by default) the Node itself. */
function labelTarget(flags: RunFlags, nodeName: string, logger: Logger, metrics: ControllerMetrics): LabelTarget {
  if (flags.nfdFeaturesFile !== undefined) return new FeatureFileTarget(flags.nfdFeaturesFile);
  const config = loadKubeConfig(flags.kubeconfig);
  if (flags.publishNodefeature) {
    return new NodeFeatureTarget({ client: nodeFeatureClient(config), nodeName, namespace: flags.nodefeatureNamespace, logger, metrics });
  }
  return new NodeLabelsTarget({
    nodeName,
    client: kubernetesClient(config),
    logger,
    metrics,
    sleep: realSleep,
    backoff: BACKOFF,
    watchTimeoutSeconds: WATCH_TIMEOUT_SECONDS,
    eventNamespace: flags.events ? flags.eventNamespace : undefined,
    adoptMatching: flags.adoptExisting === true,
  });
}

function listenOn(server: Server, { host, port }: { host: string | undefined; port: number }, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      logger.info('serving /metrics, /healthz, /readyz', { address: typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : address });
      resolve();
    });
  });
}

/** SIGTERM/SIGINT stop cleanly (a timer forces the exit if something hangs); SIGHUP re-reads the devicetree. */
function handleSignals(controller: Controller, server: Server, logger: Logger): { dispose(): void } {
  const stop = (signal: NodeJS.Signals) => {
    logger.info(`${signal}: shutting down`);
    setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    controller.stop();
    server.close();
    server.closeAllConnections();
  };
  const reread = () => {
    logger.info('SIGHUP: re-reading the devicetree');
    controller.rereadDevicetree();
  };
  process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', reread);
  return {
    dispose: () => {
      process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', reread);
    },
  };
}
