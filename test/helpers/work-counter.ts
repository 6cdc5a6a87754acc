/**
 * Counts work that grows with what a compilation does, to test that it grows linearly without
 * timing anything: entries written to Maps and Sets (a copied Map writes every entry again), and
 * the characters of string keys hashed by Map and Set lookups (a long name used as a key is hashed
 * whole, and V8 gives strings over 16 K characters a hash from their length alone, so equal-length
 * keys collide).
 */
export interface Work {
  /** Map.set and Set.add calls. */
  readonly writes: number;
  /** Characters of the string keys given to Map get/has/set and Set has/add. */
  readonly keyChars: number;
}

export function countWork<T>(f: () => T): { result: T; work: Work } {
  let writes = 0;
  let keyChars = 0;
  const key = (k: unknown) => {
    if (typeof k === 'string') keyChars += k.length;
  };
  const mapSet = Map.prototype.set;
  const mapGet = Map.prototype.get;
  const mapHas = Map.prototype.has;
  const setAdd = Set.prototype.add;
  const setHas = Set.prototype.has;
  Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
    writes++;
    key(k);
    return mapSet.call(this, k, v);
  };
  Map.prototype.get = function (this: Map<unknown, unknown>, k: unknown) {
    key(k);
    return mapGet.call(this, k);
  };
  Map.prototype.has = function (this: Map<unknown, unknown>, k: unknown) {
    key(k);
    return mapHas.call(this, k);
  };
  Set.prototype.add = function (this: Set<unknown>, k: unknown) {
    writes++;
    key(k);
    return setAdd.call(this, k);
  };
  Set.prototype.has = function (this: Set<unknown>, k: unknown) {
    key(k);
    return setHas.call(this, k);
  };
  try {
    const result = f();
    return { result, work: { writes, keyChars } };
  } finally {
    Map.prototype.set = mapSet;
    Map.prototype.get = mapGet;
    Map.prototype.has = mapHas;
    Set.prototype.add = setAdd;
    Set.prototype.has = setHas;
  }
}
