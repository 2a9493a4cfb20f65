import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller } from '../controller/controller.ts';
import { DesiredLabels } from '../controller/desired-labels.ts';
import { discover } from '../discover.ts';
import { RetryBackoff, realSleep } from '../kubernetes/backoff.ts';
import { kubernetesClient } from '../kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import { nodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { ControllerMetrics } from '../observability/metrics.ts';
import { markStartup } from '../observability/startup.ts';
import { FeatureFileTarget } from '../targets/feature-file-target.ts';
import type { LabelTarget } from '../targets/label-target.ts';
import { NodeFeatureTarget } from '../targets/node-feature-target.ts';
import { NodeLabelsTarget } from '../targets/node-labels-target.ts';
import { VERSION } from '../version.ts';
import { formatAddress } from './listen-address.ts';
import type { RunOptions } from './options.ts';
import { createStatusServer } from './status-server.ts';

/** SIGTERM must end the pod well inside Kubernetes' default 30 s grace period; we promise 5 s. */
const SHUTDOWN_DEADLINE_MS = 5000;
const ONCE_ATTEMPTS = 5;
/** How long a metrics port in use is waited for before giving up. */
const LISTEN_RETRY_MS = 15_000;
/**
 * The status port is bound once the labeller is ready, and at the latest this long after labelling began:
 * well before the chart's first probe (readiness after 1 s, liveness after 5 s).
 */
const LISTEN_BY_MS = 500;
/** The API server ends watches after this; we resume from the last resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 290;

/** The composition root of `run`: logger, metrics, target, controller, status server, signals. Resolves with the exit code. */
export async function runLabeller(options: RunOptions): Promise<number> {
  markStartup('started');
  const logger = createLogger({ format: options.log.format, level: options.log.level, node: options.nodeName });
  const metrics = new ControllerMetrics();
  metrics.initInfo(VERSION);
  const { target, server: apiServer } = labelTarget(options, logger, metrics);
  markStartup('clientBuilt');
  const features = options.target.kind === 'node-feature';
  const desired = new DesiredLabels(() => discover({ location: options.source, ...options.rules, features }), logger, metrics);
  const controller = new Controller({
    target,
    desired,
    logger,
    metrics,
    sleep: realSleep,
    retry: new RetryBackoff(),
    resyncMs: options.resyncMs,
    rereadMs: options.rereadMs,
  });
  logger.info('starting', {
    version: VERSION,
    once: options.once,
    target: target.description,
    ...(apiServer === undefined ? {} : { server: apiServer }),
    ownership: options.ownership.annotation,
  });
  if (options.once) {
    if (await controller.runOnce(ONCE_ATTEMPTS)) return 0;
    logger.error(`could not label ${target.description}${apiServer === undefined ? '' : ` at ${apiServer}`} in ${ONCE_ATTEMPTS} attempts; giving up (--once)`);
    return 1;
  }

  const server = createStatusServer({ registry: metrics.registry, ready: () => controller.ready });
  const signals = handleSignals(controller, server, logger);
  // Labelling comes first, the port after (LISTEN_BY_MS): binding loads net's cluster support and
  // child_process, and setting up the process metrics node:v8 (about 10 ms of start-up with the image's flags,
  // issue 18), and a port a replaced pod still holds may be waited for LISTEN_RETRY_MS; the labels need none
  // of it. The probes are answered once it is bound; /readyz only says ready after labelling anyway.
  const running = controller.run();
  // Once the controller has stopped (SIGTERM while a replaced pod still holds the port), stop waiting for the port.
  const ended = new AbortController();
  running.finally(() => ended.abort()).catch(() => undefined); // awaited below: not unhandled meanwhile
  try {
    await Promise.race([controller.whenReady(), sleep(LISTEN_BY_MS, undefined, { signal: ended.signal }).catch(() => undefined)]);
    metrics.collectProcessMetrics();
    await listenOn(server, options.listen, logger, ended.signal);
    await running;
  } catch (error) {
    controller.stop();
    await running.catch(() => undefined);
    throw error;
  } finally {
    signals.dispose();
    server.close();
  }
  logger.info('stopped; labels stay in place');
  return 0;
}

/** Where the labels go: NFD's feature file, an NFD NodeFeature object, or (by default) the Node itself; and the API server used. */
function labelTarget(options: RunOptions, logger: Logger, metrics: ControllerMetrics): { target: LabelTarget; server?: string } {
  const { target, nodeName } = options;
  if (target.kind === 'features-file') return { target: new FeatureFileTarget(target.path) };
  const config = loadKubeConfig(options.cluster);
  const server = config.getCurrentCluster()?.server;
  if (target.kind === 'node-feature')
    return {
      target: new NodeFeatureTarget({ client: nodeFeatureClient(config), nodeName, namespace: target.namespace, logger, metrics }),
      ...(server === undefined ? {} : { server }),
    };
  const labels = new NodeLabelsTarget({
    nodeName,
    client: kubernetesClient(config),
    ownership: options.ownership,
    logger,
    metrics,
    sleep: realSleep,
    watchTimeoutSeconds: WATCH_TIMEOUT_SECONDS,
    events: options.events,
    adoptMatching: options.adoptExisting,
  });
  return { target: labels, ...(server === undefined ? {} : { server }) };
}

/**
 * Listens for /metrics, /healthz and /readyz. On the host network (KubeEdge's edge pods) the port is the
 * node's, and during a DaemonSet hand-over the pod being replaced may hold it a few seconds longer: wait
 * for it rather than exit, until `signal` says the labeller stopped.
 */
async function listenOn(server: Server, { host, port }: RunOptions['listen'], logger: Logger, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + LISTEN_RETRY_MS;
  while (!signal.aborted) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      logger.info('serving /metrics, /healthz, /readyz', { address: formatAddress(server.address()) });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
      logger.warn(`port ${port} is in use; trying again`, { address: host ?? '' });
      await sleep(500, undefined, { signal }).catch(() => undefined);
    }
  }
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
