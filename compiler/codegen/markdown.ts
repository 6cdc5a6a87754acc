/**
 * README.md of an emitted project, as a list of sections so that each part of the project (the
 * model, training) contributes its own without rewriting the others. Shared by the PyTorch and
 * TensorFlow.js code generators.
 */
import { pyComment } from './python-text.js';

export interface ReadmeSection {
  /** `## heading` */
  readonly heading: string;
  /** Markdown, without a trailing newline. */
  readonly body: string;
}

/** Text safe inside a Markdown code span: printable ASCII (other characters escaped), no backticks. */
export function mdCode(s: string): string {
  return pyComment(s).replace(/`/g, "'");
}

export function renderReadme(title: string, intro: string, sections: readonly ReadmeSection[]) {
  const parts = [`# ${title}`, intro, ...sections.map((s) => `## ${s.heading}\n\n${s.body}`)];
  return `${parts.join('\n\n')}\n`;
}
