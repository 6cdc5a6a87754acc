/**
 * cnnc_train.py, emitted verbatim beside train.py: cnnc's optimisers, schedules, losses, metrics and
 * initial weights in PyTorch, and a batch norm synchronised across processes (its docstring says
 * what it does). test/codegen/train checks it against the reference backend.
 */
export const CNNC_TRAIN_PY = String.raw`"""cnnc's training rules in PyTorch, for train.py: the optimisers with cnnc's exact update rules,
the learning-rate schedules, gradient clipping, the losses, the metrics, cnnc's seeded initial
weights and a batch norm synchronised across processes that also works on CPU (gloo).

The update rules are cnnc's (compiler/train/optimizers.ts in cnnc). torch.optim's SGD (with
momentum and nesterov), Adam and RMSprop use the same formulas, but CnncOptimizer differs from
them where cnnc does: Adam's step count, in its bias correction, is one for the whole run, so
layers unfrozen later (at epoch N unfreeze) continue it; a parameter without a gradient is
updated as if its gradient were zero (torch.optim skips it); the state is named after cnnc's
weights; and a param group's rate is the scheduled rate times its scale.
"""

import math

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from cnnc_data import Random

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop")
SLOTS = {
    "sgd": (),
    "momentum": ("velocity",),
    "nesterov": ("velocity",),
    "adam": ("m", "s"),
    "rmsprop": ("s",),
}


class CnncOptimizer(torch.optim.Optimizer):
    """sgd, momentum, nesterov, adam or rmsprop with cnnc's update rules. With g the gradient,
    w a parameter, lr the group's rate and wd the weight decay, each first forms g' = g + wd*w:

      sgd       w <- w - lr*g'
      momentum  v <- mu*v + g';          w <- w - lr*v
      nesterov  v <- mu*v + g';          w <- w - lr*(g' + mu*v)
      adam      m <- b1*m + (1-b1)*g';   s <- b2*s + (1-b2)*g'^2;   t <- t + 1
                w <- w - lr*(m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
      rmsprop   s <- rho*s + (1-rho)*g'^2;  w <- w - lr*g' / (sqrt(s) + eps)

    A parameter without a gradient is updated as if its gradient were zero. Each param group
    has a 'scale': its rate is the scheduled rate times the scale (per-group learning rates)."""

    def __init__(self, params, name, momentum, beta1, beta2, rho, epsilon, weight_decay):
        if name not in OPTIMIZERS:
            raise ValueError("unknown optimizer %r" % name)
        defaults = dict(lr=0.0, scale=1.0)
        super().__init__(params, defaults)
        self.name = name
        self.momentum = momentum
        self.betas = (beta1, beta2)
        self.rho = rho
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.steps = 0

    def set_lr(self, lr):
        """Sets every group's rate to lr times its scale."""
        for group in self.param_groups:
            group["lr"] = lr * group["scale"]

    def named_state(self):
        """The optimiser's state by cnnc name, as cnnc's checkpoints name it: the step count and
        one tensor per slot, 'node/weight/slot' (velocity, m, s)."""
        slots = {}
        for group in self.param_groups:
            for p, name in zip(group["params"], group["names"]):
                for slot in SLOTS[self.name]:
                    slots["%s/%s" % (name, slot)] = self.slot(p, slot).detach().clone()
        return {"optimizer": self.name, "steps": self.steps, "slots": slots}

    def load_named_state(self, state):
        """Restores named_state(); slots it lacks (layers unfrozen since) start at zero."""
        if state["optimizer"] != self.name:
            raise ValueError("the saved optimizer state is for %s, not %s"
                             % (state["optimizer"], self.name))
        for group in self.param_groups:
            for p, name in zip(group["params"], group["names"]):
                for slot in SLOTS[self.name]:
                    saved = state["slots"].get("%s/%s" % (name, slot))
                    if saved is not None:
                        if saved.shape != p.shape:
                            raise ValueError("the saved optimizer state of %s/%s is %s, not %s"
                                             % (name, slot, tuple(saved.shape), tuple(p.shape)))
                        self.slot(p, slot).copy_(saved)
        self.steps = state["steps"]

    def slot(self, p, name):
        state = self.state[p]
        if name not in state:
            state[name] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state[name]

    @torch.no_grad()
    def step(self, closure=None):
        self.steps += 1
        t = self.steps
        b1, b2 = self.betas
        mu, wd, eps = self.momentum, self.weight_decay, self.epsilon
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                if wd:
                    g = g.add(p, alpha=wd)
                if self.name == "sgd":
                    p.add_(g, alpha=-lr)
                elif self.name in ("momentum", "nesterov"):
                    v = self.slot(p, "velocity")
                    v.mul_(mu).add_(g)
                    p.add_(g.add(v, alpha=mu) if self.name == "nesterov" else v, alpha=-lr)
                elif self.name == "adam":
                    m, s = self.slot(p, "m"), self.slot(p, "s")
                    m.mul_(b1).add_(g, alpha=1 - b1)
                    s.mul_(b2).addcmul_(g, g, value=1 - b2)
                    denominator = s.div(1 - b2**t).sqrt_().add_(eps)
                    p.addcdiv_(m, denominator, value=-lr / (1 - b1**t))
                else:
                    s = self.slot(p, "s")
                    s.mul_(self.rho).addcmul_(g, g, value=1 - self.rho)
                    p.addcdiv_(g, s.sqrt().add_(eps), value=-lr)


def clip_grad_norm(params, max_norm):
    """Scales the gradients so that their global L2 norm is at most max_norm (only when it is
    above); returns the norm before. cnnc's rule: the scale is max_norm / norm exactly."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm = float(torch.stack([g.double().square().sum() for g in grads]).sum().sqrt())
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


def learning_rate(lr, s, step, steps_per_epoch, total_steps):
    """The rate of a step (from 0) under schedule settings s, as cnnc computes it."""
    e = step / max(1, steps_per_epoch)
    kind = s["schedule"]
    if kind == "constant":
        r = lr
    elif kind == "step":
        r = lr * math.pow(s["gamma"], math.floor(e / max(1e-9, s["step_every"])))
    elif kind == "exponential":
        r = lr * math.pow(s["gamma"], e)
    elif kind == "cosine":
        r = s["min_lr"] + (
            (lr - s["min_lr"])
            * (1 + math.cos((math.pi * min(step, total_steps)) / max(1, total_steps)))
        ) / 2
    else:
        raise ValueError("unknown schedule %r" % kind)
    if step < s["warmup"]:
        r *= (step + 1) / s["warmup"]
    return r


# ---- losses and metrics --------------------------------------------------------------------


def _targets(y, k, dtype):
    """One-hot rows when k > 1; the label itself when k = 1 (0/1 labels, one output)."""
    if k == 1:
        return y.to(dtype).unsqueeze(1)
    return F.one_hot(y, k).to(dtype)


def loss_of(kind, out, y):
    """cnnc's losses, the mean over the batch: 'categorical' from logits (softmax
    cross-entropy), 'binary' (probabilities clipped to [1e-7, 1 - 1e-7], mean over n*k) and 'mse'
    (mean over n*k)."""
    out = out.reshape(out.shape[0], -1)
    t = _targets(y, out.shape[1], out.dtype)
    if kind == "categorical":
        return -(t * F.log_softmax(out, dim=1)).sum(dim=1).mean()
    if kind == "binary":
        p = out.clamp(1e-7, 1 - 1e-7)
        return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()
    if kind == "mse":
        return (out - t).square().mean()
    raise ValueError("unknown loss %r" % kind)


def predictions(out):
    """The predicted class per row: the first argmax, or output > 0.5 for one output."""
    out = out.reshape(out.shape[0], -1)
    if out.shape[1] == 1:
        return (out[:, 0] > 0.5).long()
    return out.argmax(dim=1)


def class_scores(out, from_logits):
    """Scores [n, classes]: softmax of logits or the outputs; [1 - p, p] for one output."""
    out = out.reshape(out.shape[0], -1)
    if out.shape[1] == 1:
        return torch.cat([1 - out, out], dim=1)
    return F.softmax(out, dim=1) if from_logits else out


def logits_flags(losses):
    """forward's 'logits' for outputs trained with losses [(output, kind, weight)]: True where
    the loss is categorical (computed from logits); a bool for a model with one output."""
    flags = [kind == "categorical" for _, kind, _ in losses]
    return flags[0] if len(flags) == 1 else flags


def output_list(out, count):
    """The model's 'count' outputs (a tuple when there are several) as float32 [n, k] tensors."""
    outs = list(out) if count > 1 else [out]
    return [o.float().reshape(o.shape[0], -1) for o in outs]


def weighted_loss(losses, outs, y):
    """cnnc's training loss, the sum of weight * loss over the outputs (losses: [(output, kind,
    weight)]), and each output's own loss."""
    each = [loss_of(kind, o, y) for (_, kind, _), o in zip(losses, outs)]
    total = None
    for (_, _, weight), loss in zip(losses, each):
        term = loss if weight == 1 else loss * weight
        total = term if total is None else total + term
    return total, each


def top_k_hits(scores, y, k):
    """Samples whose label is among the k highest scores (a tie ranks the lower class first)."""
    s = scores.gather(1, y[:, None])
    classes = torch.arange(scores.shape[1], device=scores.device)[None, :]
    above = (scores > s) | ((scores == s) & (classes < y[:, None]))
    return int((above.sum(dim=1) < k).sum())


class Metrics:
    """Sums over a dataset: loss, top-k hits and the confusion matrix (rows: true class)."""

    def __init__(self, classes, top_k, device):
        self.loss = torch.zeros((), dtype=torch.float64, device=device)
        self.top = 0
        self.count = 0
        self.top_k = top_k
        self.confusion = torch.zeros(classes, classes, dtype=torch.int64, device=device)

    def add(self, loss, scores, y):
        n = y.shape[0]
        k = scores.shape[1]
        if k > self.confusion.shape[0]:
            grown = torch.zeros(k, k, dtype=torch.int64, device=self.confusion.device)
            grown[: self.confusion.shape[0], : self.confusion.shape[0]] = self.confusion
            self.confusion = grown
        self.loss += loss.double() * n
        self.top += top_k_hits(scores, y, self.top_k)
        self.count += n
        pred = scores.argmax(dim=1)
        k = self.confusion.shape[0]
        self.confusion += torch.bincount(y * k + pred, minlength=k * k).reshape(k, k)

    def all_reduce(self):
        """Sums the metrics of every process (torchrun)."""
        if dist.is_available() and dist.is_initialized():
            sums = torch.tensor([float(self.loss), self.top, self.count], dtype=torch.float64,
                                device=self.confusion.device)
            dist.all_reduce(sums)
            dist.all_reduce(self.confusion)
            self.loss, self.top, self.count = sums[0], int(sums[1]), int(sums[2])

    def result(self):
        c = self.confusion.double().cpu()
        n = max(1, self.count)
        tp = c.diag()
        support, predicted = c.sum(dim=1), c.sum(dim=0)
        precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
        recall = torch.where(support > 0, tp / support.clamp(min=1), torch.zeros_like(tp))
        f1 = torch.where(
            precision + recall > 0,
            2 * precision * recall / (precision + recall).clamp(min=1e-300),
            torch.zeros_like(tp),
        )
        present = (support > 0) | (predicted > 0)
        return {
            "count": self.count,
            "loss": float(self.loss) / n,
            "accuracy": float(tp.sum()) / n,
            "topK": {"k": self.top_k, "accuracy": self.top / n},
            "macroF1": float(f1[present].mean()) if bool(present.any()) else 0.0,
        }


# ---- cnnc's initial weights ----------------------------------------------------------------


def _fnv1a(text):
    """cnnc's 32-bit FNV-1a of a string, over its UTF-16 code units (runtime/init.ts)."""
    h = 0x811C9DC5
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def initial_weights(shapes, seed, scheme):
    """cnnc's initial value of every weight (runtime/init.ts), by cnnc name ('node/weight') and
    in cnnc's layout (shapes: cnnc name -> shape). Batch norm: gamma and the moving variance 1,
    beta and the moving mean 0. Kernels and biases: 'default' U(+-1/sqrt(fan_in)) (PyTorch's
    defaults), 'he' N(0, 2/fan_in) kernels, 'glorot' U(+-sqrt(6/(fan_in + fan_out))) kernels with
    Keras's fans; biases 0 for he and glorot. Each weight draws from its own stream, seeded by the
    seed and its name."""
    kernels = {}
    for name, shape in shapes.items():
        node, _, weight = name.rpartition("/")
        if weight in ("kernel", "depthwise_kernel"):
            kernels[node] = (weight, shape)
    out = {}
    for name, shape in shapes.items():
        node, _, weight = name.rpartition("/")
        size = math.prod(shape)
        if weight in ("gamma", "moving_variance"):
            values = np.ones(size)
        elif weight in ("beta", "moving_mean"):
            values = np.zeros(size)
        elif weight in ("kernel", "depthwise_kernel", "bias"):
            if scheme != "default" and weight == "bias":
                values = np.zeros(size)
            else:
                kind, k = kernels[node]
                fan_in = k[0] * k[1] if kind == "depthwise_kernel" else math.prod(k) // k[-1]
                stream = Random(_fnv1a("%d:%s" % (seed, name)))
                draws = stream.take(2 * size if scheme == "he" else size)
                if scheme == "he":
                    std = math.sqrt(2 / fan_in)
                    r = np.sqrt(-2 * np.log(1 - draws[0::2]))
                    values = std * r * np.cos(2 * math.pi * draws[1::2])
                else:
                    if scheme == "glorot":
                        receptive = math.prod(shape[:-2])
                        fans = receptive * shape[-2] + receptive * shape[-1]
                        bound = math.sqrt(6 / fans)
                    else:
                        bound = 1 / math.sqrt(fan_in)
                    values = (2 * draws - 1) * bound
        else:
            raise ValueError("%s: no initialiser for weight '%s'" % (node, weight))
        out[name] = torch.from_numpy(values.astype(np.float32).reshape(shape))
    return out


# ---- batch norm synchronised across processes ----------------------------------------------


class SyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose training statistics are those of the global batch (every process's
    samples), on any device: the sums go through differentiable all-reduces, so the gradients
    are those of the global batch too. torch.nn.SyncBatchNorm does the same on CUDA only."""

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError("expected at least 2-D input, got %d-D" % x.dim())

    def forward(self, x):
        if not (self.training and dist.is_available() and dist.is_initialized()):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        # Sums in float64, as PyTorch's own batch norm accumulates on the CPU.
        wide = x.double()
        count = all_reduce(wide.new_tensor([x.numel() / x.shape[1]]))
        mean = all_reduce(wide.sum(dim=dims)) / count
        var = all_reduce((wide - mean.reshape(shape)).square().sum(dim=dims)) / count
        with torch.no_grad():
            m = self.momentum
            unbiased = count / (count - 1) if float(count) > 1 else torch.ones_like(count)
            self.running_mean.mul_(1 - m).add_(m * mean.to(x.dtype))
            self.running_var.mul_(1 - m).add_(m * (unbiased * var).to(x.dtype))
            self.num_batches_tracked.add_(1)
        inv_std = torch.rsqrt(var + self.eps).to(x.dtype).reshape(shape)
        y = (x - mean.to(x.dtype).reshape(shape)) * inv_std
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y


def convert_sync_batchnorm(module):
    """The module with every batch norm replaced by one synchronised across processes:
    torch.nn.SyncBatchNorm on CUDA, SyncBatchNorm above elsewhere. Parameters, statistics and
    the training/eval mode carry over."""
    if any(p.is_cuda for p in module.parameters()):
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    out = module
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(
        module, SyncBatchNorm
    ):
        out = SyncBatchNorm(
            module.num_features, module.eps, module.momentum, module.affine,
            module.track_running_stats,
        )
        if module.affine:
            with torch.no_grad():
                out.weight = module.weight
                out.bias = module.bias
        out.running_mean = module.running_mean
        out.running_var = module.running_var
        out.num_batches_tracked = module.num_batches_tracked
        out.training = module.training
    for name, child in module.named_children():
        out.add_module(name, convert_sync_batchnorm(child))
    return out
`;
