import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { apiErrorCode, apiMessage, ConflictError, failureClass, isNotFound, isUnservedPath, refusedBy, retryAfterMs } from '../../src/kubernetes/api-errors.ts';

const status = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  new ApiException(code, `HTTP-Code: ${code}\nMessage: x\nBody: ${JSON.stringify(body)}\nHeaders: {}`, body, headers);
const noAnswer = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });

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

test('failure classes: transient retries soon, rejected needs a person', () => {
  for (const error of [noAnswer, status(500, {}), status(503, {}), status(429, {}), new ConflictError('x')]) assert.equal(failureClass(error), 'transient');
  for (const code of [400, 401, 403, 404, 405, 406, 422]) assert.equal(failureClass(status(code, {})), 'rejected', String(code));
  assert.equal(retryAfterMs(status(429, {}, { 'retry-after': '3' })), 3000);
  assert.equal(retryAfterMs(status(503, {})), undefined);
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
