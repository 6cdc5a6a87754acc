import { describe, expect, it } from 'vitest';
import { CODES } from '../../../compiler/diagnostics/codes.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/index.js';
import type { OutputFormat } from '../../../compiler/diagnostics/index.js';
import {
  escapeData,
  escapeProperty,
  renderGithub,
} from '../../../compiler/diagnostics/render-github.js';
import { renderJson, toJsonDiagnostics } from '../../../compiler/diagnostics/render-json.js';
import { SARIF_SCHEMA, toSarif, toUri } from '../../../compiler/diagnostics/render-sarif.js';
import { renderShort } from '../../../compiler/diagnostics/render-short.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { ALL, CASES, SOURCES } from './fixtures.js';

describe.each([
  ['short', 'short.txt'],
  ['json', 'json.json'],
  ['sarif', 'sarif.json'],
  ['github', 'github.txt'],
  ['pretty', 'pretty.txt'],
] as const)('renderDiagnostics(%s)', (format: OutputFormat, baseline) => {
  it('matches its golden over every fixture', () => {
    expectBaseline(`diagnostics/${baseline}`, renderDiagnostics(format, ALL, SOURCES));
  });

  it('is deterministic and never colours', () => {
    const text = renderDiagnostics(format, ALL, SOURCES);
    expect(renderDiagnostics(format, ALL, SOURCES)).toBe(text);
    expect(text).not.toContain('\x1b[');
  });
});

describe('renderShort', () => {
  it('prints one line per diagnostic', () => {
    expect(renderShort(ALL, SOURCES).split('\n')).toHaveLength(ALL.length + 1);
    expect(renderShort(CASES['style-example'], SOURCES)).toBe(
      'lenet-bad.cnn:12:5: error[CNN3001]: kernel 7x7 is larger than its 5x5 input\n',
    );
  });
});

describe('renderJson', () => {
  it('parses back to the same objects', () => {
    expect(JSON.parse(renderJson(ALL, SOURCES))).toEqual(toJsonDiagnostics(ALL, SOURCES));
  });

  it('has the same keys in the same order on every object', () => {
    const keys = toJsonDiagnostics(ALL, SOURCES).map((d) => Object.keys(d).join(','));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(
      'code,severity,message,file,start,end,line,col,endLine,endCol,spanLabel,labels,notes,help',
    );
  });
});

describe('toSarif', () => {
  const log = toSarif(ALL, SOURCES);
  const run = log.runs[0];

  it('is a SARIF 2.1.0 log from cnnc', () => {
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('cnnc');
    expect(run.results).toHaveLength(ALL.length);
  });

  it('lists each used code once, with its catalog title', () => {
    const used = [...new Set(ALL.map((d) => d.code))].sort();
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(used);
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text).toBe(CODES[rule.id].title);
    }
  });

  it('points every result at its rule', () => {
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    }
  });

  it('keeps paths relative', () => {
    const uris = run.results.flatMap((r) =>
      [...r.locations, ...(r.relatedLocations ?? [])].map(
        (l) => l.physicalLocation.artifactLocation.uri,
      ),
    );
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) expect(uri).not.toMatch(/^(\/|[a-z]+:)/i);
  });

  it.each([
    ['lenet.cnn', 'lenet.cnn'],
    ['models/my net.cnn', 'models/my%20net.cnn'],
    ['models\\win.cnn', 'models/win.cnn'],
    ['100%.cnn', '100%25.cnn'],
  ])('toUri(%j) is %j', (path, uri) => {
    expect(toUri(path)).toBe(uri);
  });

  it('adds the tool version only when given', () => {
    expect(run.tool.driver.version).toBeUndefined();
    expect(toSarif([], SOURCES, { toolVersion: '1.2.3' }).runs[0].tool.driver.version).toBe(
      '1.2.3',
    );
  });
});

describe('renderGithub', () => {
  it('writes the documented command for the STYLE.md example', () => {
    expect(renderGithub(CASES['style-example'], SOURCES).split('%0A')[0]).toBe(
      '::error file=lenet-bad.cnn,line=12,col=5,endLine=12,endColumn=16,title=CNN3001::kernel 7x7 is larger than its 5x5 input',
    );
  });

  it('maps severities to error, warning and notice', () => {
    const commands = renderGithub(ALL, SOURCES)
      .trimEnd()
      .split('\n')
      .map((l) => l.slice(2, l.indexOf(' ')));
    expect(commands).toEqual(
      ALL.map((d) => ({ error: 'error', warning: 'warning', note: 'notice' })[d.severity]),
    );
  });

  it.each([
    ['plain', 'plain', 'plain'],
    ['100%', '100%25', '100%25'],
    ['a\nb\r\nc', 'a%0Ab%0D%0Ac', 'a%0Ab%0D%0Ac'],
    ['a,b:c', 'a,b:c', 'a%2Cb%3Ac'],
    ['%0A literal', '%250A literal', '%250A literal'],
  ])('escapes %j as data %j and as a property %j', (text, data, property) => {
    expect(escapeData(text)).toBe(data);
    expect(escapeProperty(text)).toBe(property);
  });

  it('keeps each command on one line', () => {
    const text = renderGithub(ALL, SOURCES);
    expect(text.trimEnd().split('\n')).toHaveLength(ALL.length);
  });
});
