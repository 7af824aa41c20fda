/** One field in which a recorded value and a recomputed one differ; a side is absent when that value has no such field. */
export interface ReplayDifference {
  /** The field's path in the decision: `status`, `reasons`, `stateRead.budgets.daily-payments.used`. */
  field: string;
  recorded?: unknown;
  replayed?: unknown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Equality as JSON sees it: key order does not count, and a member whose value is undefined is no member. */
export const sameJson = (left: unknown, right: unknown): boolean => {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    for (let index = 0; index < left.length; index += 1) if (!sameJson(left[index], right[index])) return false;
    return true;
  }
  const leftObject = left as Record<string, unknown>;
  const rightObject = right as Record<string, unknown>;
  let leftMembers = 0;
  for (const key in leftObject) {
    if (leftObject[key] === undefined) continue;
    leftMembers += 1;
    if (!sameJson(leftObject[key], rightObject[key])) return false;
  }
  let rightMembers = 0;
  for (const key in rightObject) if (rightObject[key] !== undefined) rightMembers += 1;
  return leftMembers === rightMembers;
};

/**
 * Where `recorded` and `replayed` differ, leaf by leaf through objects; an array that differs
 * is one difference as a whole (a list of reasons reads better whole than element by element).
 * Fields come in the order of `replayed`, then those only `recorded` has.
 */
export const jsonDifferences = (recorded: unknown, replayed: unknown, path = ''): ReplayDifference[] => {
  if (sameJson(recorded, replayed)) return [];
  if (!isPlainObject(recorded) || !isPlainObject(replayed)) return [leafDifference(path, recorded, replayed)];
  const differences: ReplayDifference[] = [];
  const keys = [...Object.keys(replayed), ...Object.keys(recorded).filter((key) => !(key in replayed))];
  for (const key of keys) differences.push(...jsonDifferences(recorded[key], replayed[key], path === '' ? key : `${path}.${key}`));
  return differences;
};

const leafDifference = (field: string, recorded: unknown, replayed: unknown): ReplayDifference => ({
  field,
  ...(recorded !== undefined ? { recorded } : {}),
  ...(replayed !== undefined ? { replayed } : {}),
});
