import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { UsageError } from '../../src/cli/usage-error.ts';
import { FdtError } from '../../src/devicetree/errors.ts';
import { classify, ERROR_CLASSES, LabellerError } from '../../src/errors.ts';
import { apiErrorCode, apiMessage, ConflictError, isNotFound, isUnservedPath, refusedBy, retryAfterMs } from '../../src/kubernetes/api-errors.ts';
import { KubeConfigError } from '../../src/kubernetes/kube-config-error.ts';
import { ERROR_CODES as FDT_ERROR_CODES } from '../helpers/blob-mutations.ts';

const status = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  new ApiException(code, `HTTP-Code: ${code}\nMessage: x\nBody: ${JSON.stringify(body)}\nHeaders: {}`, body, headers);
// As src/kubernetes/api-request.ts reports a request that got no answer: node:net's system error as the cause.
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED', syscall: 'connect' });
const noAnswer = new LabellerError('API_NO_ANSWER', 'no answer from the API server (ECONNREFUSED)', { cause: refused });

test('api_errors_total codes: an HTTP status, "none" for no answer, nothing for what is not a failed API call', () => {
  assert.equal(apiErrorCode(status(403, { kind: 'Status', message: 'no' })), '403');
  assert.equal(apiErrorCode(noAnswer), 'none');
  assert.equal(apiErrorCode(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })), 'none');
  assert.equal(apiErrorCode(new ConflictError('node x kept changing')), undefined, 'conflicts are counted as reconciles{result="conflict"}');
  assert.equal(apiErrorCode(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })), undefined, 'a file error is no API error');
  assert.equal(apiErrorCode(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open' })), undefined);
  assert.equal(apiErrorCode(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' })), 'none');
  assert.equal(apiErrorCode(new RangeError('a bug')), undefined);
});

test('error classes: transient retries soon, refused needs a person, terminal waits for a change', () => {
  // client-go's split: no answer, 5xx, 429 and conflicts pass; the other 4xx need RBAC, a policy or the configuration changed.
  for (const error of [noAnswer, status(500, {}), status(503, {}), status(429, {}), status(409, {}), new ConflictError('x')]) assert.equal(classify(error).errorClass, 'transient');
  for (const code of [400, 401, 403, 404, 405, 406, 422]) assert.equal(classify(status(code, {})).errorClass, 'refused', String(code));
  // Errors from client-node's Watch carry the status as statusCode.
  assert.deepEqual(classify(Object.assign(new Error('Gone'), { statusCode: 410 })), { code: 'API_GONE', errorClass: 'transient', status: 410 });
  assert.deepEqual(classify(status(403, {})), { code: 'API_FORBIDDEN', errorClass: 'refused', status: 403 });
  // Ours say their own code; a file error or a bug is no API failure, and nothing known: UNEXPECTED.
  assert.deepEqual(classify(new UsageError('x')), { code: 'USAGE', errorClass: 'terminal', status: undefined });
  assert.equal(classify(new FdtError('BAD_MAGIC', 0, 'x')).code, 'BAD_MAGIC');
  assert.equal(classify(new KubeConfigError('x')).code, 'KUBECONFIG');
  assert.equal(classify(new LabellerError('FEATURES_FOLDER', 'x')).errorClass, 'refused');
  for (const other of [new RangeError('a bug'), Object.assign(new Error('EACCES'), { code: 'EACCES' }), 'a string', undefined])
    assert.deepEqual(classify(other), { code: 'UNEXPECTED', errorClass: 'terminal', status: undefined });
  assert.equal(retryAfterMs(status(429, {}, { 'retry-after': '3' })), 3000);
  assert.equal(retryAfterMs(status(503, {})), undefined);
});

test('the catalogue: every FdtError code is in it, every class is one of three', () => {
  for (const code of FDT_ERROR_CODES) assert.equal(ERROR_CLASSES[code], 'terminal', code);
  for (const [code, errorClass] of Object.entries(ERROR_CLASSES)) {
    assert.match(code, /^[A-Z][A-Z_]*$/);
    assert.ok(['transient', 'refused', 'terminal'].includes(errorClass), code);
  }
});

test('which check refused a write, from the message the API server sends', () => {
  const vap = status(403, {
    kind: 'Status',
    message:
      "nodes \"nano\" is forbidden: ValidatingAdmissionPolicy 'dtnl-dt-node-labeller' with binding 'dtnl-dt-node-labeller' denied request: dt-node-labeller may only change the Node its own pod runs on",
  });
  const rbac = status(403, {
    kind: 'Status',
    message: 'nodes "nano" is forbidden: User "system:serviceaccount:x:y" cannot patch resource "nodes" in API group "" at the cluster scope',
  });
  const webhook = status(400, { kind: 'Status', message: 'admission webhook "x.example.com" denied the request: no' });
  assert.equal(refusedBy(vap), 'admission policy');
  assert.equal(refusedBy(rbac), 'RBAC');
  assert.equal(refusedBy(webhook), 'admission webhook');
  assert.equal(refusedBy(status(422, { kind: 'Status', message: 'metadata.labels: Invalid value' })), undefined);
});

test('a 404 is "not found" only as a Kubernetes Status; an HTML page means the URL is not an API server', () => {
  assert.equal(isNotFound(status(404, { kind: 'Status', reason: 'NotFound', message: 'nodes "x" not found' })), true);
  const html = status(404, '<!DOCTYPE HTML>\n<html><body>Not Found</body></html>\n');
  assert.equal(isNotFound(html), false);
  assert.equal(apiMessage(html), 'HTTP 404, and the answer is not a Kubernetes Status (is this an API server?)');
  assert.doesNotMatch(apiMessage(status(500, { kind: 'Status', message: 'line one\nline two' })), /\n/);
});

test("a 404 without a Status is a path the server does not serve: kube-apiserver answers an unknown resource with Go's plain page", () => {
  // The body kube-apiserver v1.34 sends for a group it does not serve (seen in e2e/node-feature.test.ts before NFD's CRD).
  assert.equal(isUnservedPath(status(404, '404 page not found\n')), true);
  assert.equal(isUnservedPath(status(404, { kind: 'Status', reason: 'NotFound', message: 'nodefeatures.nfd.k8s-sigs.io "x" not found' })), false);
  assert.equal(isUnservedPath(status(403, 'forbidden')), false);
  assert.equal(isUnservedPath(noAnswer), false);
});

test('no answer: the system error is said once, and a TLS failure counts as no answer as a refused connection does', () => {
  assert.equal(apiMessage(noAnswer), 'no answer from the API server (ECONNREFUSED)');
  const tls = new LabellerError('API_NO_ANSWER', 'no answer from the API server (DEPTH_ZERO_SELF_SIGNED_CERT)', {
    cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
  });
  assert.equal(apiErrorCode(tls), 'none');
  assert.equal(classify(tls).errorClass, 'transient');
});
