/**
 * README.md of an emitted PyTorch project, as a list of sections so that each part of the project
 * (the model here; training in train-py's part) contributes its own without rewriting the others.
 */
import { mdCode, type ReadmeSection } from '../markdown.js';

export { mdCode, renderReadme, type ReadmeSection } from '../markdown.js';

export interface ReadmeContext {
  /** The .cnn file, as shown (a file name). */
  readonly entry: string;
  /** Model name → Python class name. */
  readonly classes: ReadonlyMap<string, string>;
  /** The first model's input in PyTorch's order, e.g. [1, 32, 32] (null: symbolic). */
  readonly exampleInput: readonly (number | null)[];
  /** An example state_dict key of the first model, e.g. `conv1.weight`. */
  readonly exampleKey: string | null;
  /** Rows of the files table that other parts of the project add: [file, what it is]. */
  readonly moreFiles?: readonly (readonly [string, string])[];
}

/** The model part: the files, the class, state_dict names and how weights travel. */
export function modelReadmeSections(ctx: ReadmeContext): ReadmeSection[] {
  const [[model, cls]] = [...ctx.classes];
  const shape = ctx.exampleInput.map((d) => (d === null ? 32 : d));
  const classList = [...ctx.classes]
    .map(([m, c]) => (m === c ? `\`${mdCode(c)}\`` : `\`${mdCode(c)}\` (${mdCode(m)})`))
    .join(', ');
  return [
    {
      heading: 'Files',
      body: [
        '| file | what it is |',
        '|---|---|',
        `| \`model.py\` | one \`nn.Module\` per model: ${classList}; \`MODELS\` maps model names to classes |`,
        "| `cnnc_io.py` | weights between these modules and cnnc's files (safetensors, checkpoint folders) |",
        ...(ctx.moreFiles ?? []).map(([f, what]) => `| \`${f}\` | ${what} |`),
        '| `README.md` | this file |',
        '| `.cnnc-emit.json` | the files cnnc wrote here, so that compiling again replaces exactly those |',
      ].join('\n'),
    },
    {
      heading: 'The model',
      body: [
        'Tensors are channels first, as in PyTorch: images `(N, C, H, W)`, sequences `(N, C, L)`,',
        'vectors `(N, F)`, float32. The model computes what `cnnc run` computes (batch norm on its',
        'running statistics in `eval()` mode); with a final softmax, `model(x, logits=True)` returns the',
        'scores before it.',
        '',
        '```python',
        'import torch',
        `from model import ${mdCode(cls)}`,
        '',
        `model = ${mdCode(cls)}().eval()`,
        `y = model(torch.rand(8, ${shape.join(', ')}))`,
        '```',
        '',
        "Submodules are named after the layers' names in the .cnn file, and a scope (`stage2.0`) is an",
        "`nn.ModuleDict`, so `state_dict()` keys are the layer names with PyTorch's parameter names" +
          (ctx.exampleKey ? ` (\`${mdCode(ctx.exampleKey)}\`).` : '.'),
        '`CNNC_WEIGHTS` lists every weight as (cnnc name, state_dict key, layout), `CNNC_MODULE_OF`',
        'maps layer names to submodules, and `CNNC_FROZEN` lists the layers the .cnn file freezes.',
      ].join('\n'),
    },
    {
      heading: 'Weights',
      body: [
        "cnnc keeps TensorFlow's layouts (convolution kernels `[kh, kw, in, out]`, dense kernels",
        "`[in, units]`); `cnnc_io.py` converts them to PyTorch's and back, reordering the first dense",
        'layer after a flatten (PyTorch flattens C·H·W, cnnc H·W·C).',
        '',
        '```python',
        'from cnnc_io import load_weights_file, save_cnnc_checkpoint, state_dict_to_cnnc, write_safetensors',
        '',
        `load_weights_file(model, "runs/${mdCode(model)}")           # a checkpoint of cnnc train`,
        'load_weights_file(model, "weights.safetensors")    # cnnc names and layouts',
        'write_safetensors("out.safetensors", state_dict_to_cnnc(model))   # for cnnc run / evaluate',
        `save_cnnc_checkpoint("runs/${mdCode(model)}/checkpoint", model)   # cnnc evaluate --weights runs/${mdCode(model)}`,
        '```',
        '',
        "Models compiled with `--names torchvision` have torchvision's state_dict keys, so",
        '`model.load_state_dict(torchvision_state_dict)` works as it is; for the others of the stdlib',
        '`load_weights_file(model, "resnet18.pth", names="torchvision")` maps the names.',
      ].join('\n'),
    },
  ];
}
