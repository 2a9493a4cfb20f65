// The fight back-off on its own, with a hand-driven clock: what counts as a repair, when a repair is a fight,
// the holds after the first and second fight (1 and 8 minutes), and giving the key up at the third.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RepairGuard } from '../../src/patch/repair-guard.ts';

const KEY = 'nvidia.com/gpu.present';
const MIN = 60_000;

function guarded() {
  let now = 0;
  const guard = new RepairGuard(() => now);
  /** One reconcile at minute `at`: the label as the other writer left it; the decision carried out. */
  const reconcile = (at: number, current: string | undefined) => {
    now = at * MIN;
    const decision = guard.decide(current === undefined ? {} : { [KEY]: current }, { [KEY]: 'true' });
    const writes = decision.hold.has(KEY) || decision.release.has(KEY) || current === 'true' ? {} : { [KEY]: 'true' };
    guard.commit(decision, writes);
    return decision;
  };
  return { guard, reconcile };
}

test('a first write and a new devicetree value are not repairs', () => {
  const { reconcile } = guarded();
  assert.deepEqual(reconcile(0, undefined).repairs, []);
  assert.deepEqual(reconcile(0.1, 'true').repairs, []);
});

test('a writer that flips the key back every 10 s: two repairs at once, one after a 1-minute hold, given up after an 8-minute hold', () => {
  const { guard, reconcile } = guarded();
  reconcile(0, undefined); // our first write
  const repaired: number[] = [];
  let givenUpAt: number | undefined;
  // The other writer sets "false" every 10 s for an hour; we reconcile each time.
  for (let t = 0.1; t < 60; t += 1 / 6) {
    const decision = reconcile(t, 'false');
    if (decision.repairs.includes(KEY)) repaired.push(Math.round(t * 10) / 10);
    if (decision.givingUp.includes(KEY)) givenUpAt = Math.round(t * 10) / 10;
  }
  assert.deepEqual(repaired.length, 3, `repairs at minutes ${repaired.join(', ')}`);
  assert.ok(repaired[1]! - repaired[0]! < 1, 'the second repair follows the first at once');
  assert.ok(repaired[2]! - repaired[1]! >= 1 && repaired[2]! - repaired[1]! < 1.2, 'then a 1-minute hold');
  assert.ok(givenUpAt !== undefined && givenUpAt - repaired[2]! >= 8 && givenUpAt - repaired[2]! < 8.2, 'then an 8-minute hold, then given up');
  assert.ok(givenUpAt < 10, `given up ${givenUpAt} minutes in: within ten`);
  assert.deepEqual([...guard.givenUp], [KEY]);
  // From then on it is released at every reconcile and never repaired, even if the writer removes it.
  const later = reconcile(120, undefined);
  assert.deepEqual([later.repairs, [...later.release]], [[], [KEY]]);
});

test('a writer that changes the key once in a while is repaired every time (repairs more than ten minutes apart are no fight)', () => {
  const { guard, reconcile } = guarded();
  reconcile(0, undefined);
  for (const at of [15, 30, 45, 60, 75]) assert.deepEqual(reconcile(at, 'false').repairs, [KEY], `minute ${at}`);
  assert.equal(guard.givenUp.size, 0);
});

test('deciding twice (a plan retried after a 409) counts one repair', () => {
  const { guard, reconcile } = guarded();
  reconcile(0, undefined);
  reconcile(1, 'false');
  const first = guard.decide({ [KEY]: 'false' }, { [KEY]: 'true' });
  const again = guard.decide({ [KEY]: 'false' }, { [KEY]: 'true' });
  assert.deepEqual([first.repairs, again.repairs], [[KEY], [KEY]]);
  assert.equal(guard.holdLeft(KEY), 0, 'deciding alone starts no hold');
});
