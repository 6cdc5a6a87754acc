/**
 * Chevrotain's LL(k) lookahead, built on first use instead of for every production when the parser
 * is constructed. `performSelfAnalysis` otherwise computes the lookahead of each OR, OPTION and MANY
 * of the grammar up front: about 150 ms of a 740 ms cold `cnnc check` on a 2-core machine, most of
 * it for productions a given file never reaches. Each function is the one LLkLookaheadStrategy
 * builds, made when the parser first needs it and kept; the grammar checks (`validate`) are the
 * LL(k) strategy's own, so `checkGrammar` still sees every ambiguity.
 */
import type { ILookaheadStrategy, IOrAlt, OptionalProductionType, Rule } from 'chevrotain';
import { LLkLookaheadStrategy } from './chevrotain.js';

type Alternation = (orAlts?: IOrAlt<unknown>[]) => number | undefined;

export class LazyLookahead implements ILookaheadStrategy {
  private readonly llk;

  constructor(maxLookahead: number) {
    this.llk = new LLkLookaheadStrategy({ maxLookahead });
  }

  validate(options: Parameters<ILookaheadStrategy['validate']>[0]) {
    return this.llk.validate(options);
  }

  initialize(options: { rules: Rule[] }): void {
    this.llk.initialize?.(options);
  }

  buildLookaheadForAlternation(options: {
    prodOccurrence: number;
    rule: Rule;
    maxLookahead: number;
    hasPredicates: boolean;
    dynamicTokensEnabled: boolean;
  }): Alternation {
    const llk = this.llk;
    let built: Alternation | undefined;
    // `this` is the parser: the built function reads its tokens through it.
    return function (this: unknown, orAlts) {
      built ??= llk.buildLookaheadForAlternation(options);
      return built.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: {
    prodOccurrence: number;
    prodType: OptionalProductionType;
    rule: Rule;
    maxLookahead: number;
    dynamicTokensEnabled: boolean;
  }): () => boolean {
    const llk = this.llk;
    let built: (() => boolean) | undefined;
    return function (this: unknown) {
      built ??= llk.buildLookaheadForOptional(options);
      return built.call(this);
    };
  }
}
