// Keeps the labeller out of fights. A label it owns that another writer changes back after every repair (GPU
// Operator resets nvidia.com/gpu.present on nodes without NVIDIA PCI devices; a second labeller; a script)
// would otherwise be patched forever, both controllers reacting to each other's writes. A repair that comes
// within FIGHT_WINDOW_MS of the previous one is a fight: the key is then left alone for FIGHT_HOLDS_MS[n],
// and after the last hold the labeller gives it up: it stops owning it, never writes or removes it again
// (the other writer's value stays, cleanup leaves it), and the controller says so once.
//
// decide() is pure, so a plan retried after a 409 decides the same; commit() records what a successful patch did.

export const FIGHT_WINDOW_MS = 10 * 60_000;
/** How long a key is left alone after its first and second fight; the next fight gives it up. */
export const FIGHT_HOLDS_MS: readonly number[] = [60_000, 8 * 60_000];

export interface RepairDecision {
  /** Keys being fought over, left as they are for now (still owned). */
  readonly hold: ReadonlySet<string>;
  /** Keys given up, now or before: neither written nor owned, nor removed. */
  readonly release: ReadonlySet<string>;
  /** Keys this plan restores after another writer changed or removed them. */
  readonly repairs: readonly string[];
  /** Keys this plan gives up (a subset of release). */
  readonly givingUp: readonly string[];
}

interface Fight {
  lastRepair: number;
  fights: number;
  holdUntil: number;
}

export class RepairGuard {
  readonly #now: () => number;
  /** What this process last wrote for each key: a key that differs from it was changed by someone else. */
  readonly #written = new Map<string, string>();
  readonly #fights = new Map<string, Fight>();
  readonly #givenUp = new Set<string>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How long `key` is still left alone (a hold after a fight), in ms; 0 when it is not held. */
  holdLeft(key: string): number {
    return Math.max(0, (this.#fights.get(key)?.holdUntil ?? 0) - this.#now());
  }

  /** The keys given up so far (for the metric). */
  get givenUp(): ReadonlySet<string> {
    return this.#givenUp;
  }

  decide(current: Readonly<Record<string, string>>, desired: Readonly<Record<string, string>>): RepairDecision {
    const now = this.#now();
    const hold = new Set<string>();
    const release = new Set<string>();
    const repairs: string[] = [];
    const givingUp: string[] = [];
    for (const [key, value] of Object.entries(desired)) {
      if (this.#givenUp.has(key)) {
        release.add(key);
        continue;
      }
      // Only a value this process wrote and someone else changed is a repair; a first write or a new
      // devicetree value is not.
      if (current[key] === value || this.#written.get(key) !== value) continue;
      const fight = this.#fights.get(key);
      const recent = fight !== undefined && now - fight.lastRepair < FIGHT_WINDOW_MS;
      if (fight !== undefined && now < fight.holdUntil) hold.add(key);
      else if (recent && fight.fights >= FIGHT_HOLDS_MS.length) {
        release.add(key);
        givingUp.push(key);
      } else repairs.push(key);
    }
    return { hold, release, repairs, givingUp };
  }

  /** After a successful patch: the decision it carried out and the labels it set (null: removed). */
  commit(decision: RepairDecision, written: Readonly<Record<string, string | null>>): void {
    const now = this.#now();
    // Only what the patch wrote was repaired (a key planned as a conflict was not).
    for (const key of decision.repairs.filter((k) => k in written)) {
      const fight = this.#fights.get(key);
      if (fight !== undefined && now - fight.lastRepair < FIGHT_WINDOW_MS) {
        fight.fights++;
        fight.holdUntil = now + FIGHT_HOLDS_MS[fight.fights - 1]!;
        fight.lastRepair = now;
      } else {
        this.#fights.set(key, { lastRepair: now, fights: 0, holdUntil: 0 });
      }
    }
    for (const key of decision.givingUp) {
      this.#givenUp.add(key);
      this.#fights.delete(key);
      this.#written.delete(key);
    }
    for (const [key, value] of Object.entries(written)) {
      if (value === null) this.#written.delete(key);
      else this.#written.set(key, value);
    }
  }
}
