/**
 * `ferry graph`: the project as a Mermaid diagram — buckets (by connection) → pipelines → datasets →
 * segments → sinks. Reads configuration only: no credentials, no network.
 */
import { ExitCode } from '../../errors/exit-codes.js';
import { compileGraph, selectGraph } from '../../plan/compile-graph.js';
import { renderGraphMarkdown, renderGraphMermaid } from '../../report/render-graph-mermaid.js';
import { UsageError, type CommandSpec } from '../command.js';
import { loadValidProject } from '../load-valid-project.js';

export const graphCommand: CommandSpec = {
  name: 'graph',
  summary: 'Print a Mermaid diagram of connections/buckets → pipelines → datasets → segments → sinks.',
  usage: 'ferry graph [--pipeline NAME…] [--format mermaid|markdown] [--project FILE]',
  description:
    'Mermaid text renders on GitHub inside a ```mermaid block (--format markdown adds the fence), and in\n' +
    'mermaid.live. Dashed arrows are relation checks and rejects; disabled pipelines are greyed out.\n' +
    'Reads configuration only: needs no credentials and touches no network.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    pipeline: {
      type: 'string',
      multiple: true,
      description: 'Only this pipeline and what it reads and writes (repeatable).',
    },
    format: {
      type: 'string',
      short: 'f',
      description: 'mermaid: the diagram; markdown: inside a ```mermaid fence.',
      choices: ['mermaid', 'markdown'],
      default: 'mermaid',
    },
  },
  examples: [
    'ferry graph',
    'ferry graph --format markdown >> README.md',
    'ferry graph --pipeline vitally-accounts',
  ],
  run: (context) => {
    const loaded = loadValidProject(context);
    if (!loaded) return Promise.resolve(ExitCode.invalidConfig);
    const only = (context.values['pipeline'] as string[] | undefined) ?? [];
    const unknown = only.filter((name) => !loaded.pipelines.some((p) => p.name === name));
    if (unknown.length) {
      throw new UsageError(
        `No pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}; pipelines: ${loaded.pipelines.map((p) => p.name).join(', ')}.`,
      );
    }
    const full = compileGraph(loaded.project, loaded.pipelines);
    const graph = only.length ? selectGraph(full, only) : full;
    context.output.stdout(
      context.values['format'] === 'markdown' ? renderGraphMarkdown(graph) : renderGraphMermaid(graph),
    );
    return Promise.resolve(ExitCode.ok);
  },
};
