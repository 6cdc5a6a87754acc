/** Line numbers of spans, from the source texts: what emitted code's comments cite (`lenet5.cnn:5`). */
export class SourceLines {
  private readonly starts = new Map<string, number[]>();
  constructor(private readonly sources: ReadonlyMap<string, string>) {}

  /** The 1-based line of `offset` in `file`, or null when the file's text is not known. */
  lineOf(file: string, offset: number): number | null {
    let s = this.starts.get(file);
    if (!s) {
      const text = this.sources.get(file);
      if (text === undefined) return null;
      s = [0];
      for (let i = 0; i < text.length; i++) if (text[i] === '\n') s.push(i + 1);
      this.starts.set(file, s);
    }
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
