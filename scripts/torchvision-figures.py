#!/usr/bin/python3
"""Reference figures for the stdlib models, taken from torchvision (the external oracle).

Regenerate test/baselines/torchvision.json with Debian's system torch, not a virtualenv's:

    /usr/bin/python3 scripts/torchvision-figures.py            # rewrites the JSON
    /usr/bin/python3 scripts/torchvision-figures.py --check    # exits 1 if the JSON is stale

Known to work with python3-torch 1.13 and python3-torchvision 0.14 (Debian). The tests do not run
this script (CI need not have torch); they read the committed JSON.

For each model it records, per sample (batch 1):
  params    total parameter elements (sum of p.numel()); every torchvision parameter is trainable
  buffers   batch-norm running_mean + running_var elements (num_batches_tracked is not counted)
  macs      multiply-accumulates of Conv2d (output elements x in_channels/groups x kernel area) and
            Linear (in x out) layers only, counted with forward hooks
  input, output, and layers[]: shapes in cnnc's convention, channels last without the batch axis
            ([H, W, C] for images, [N] for vectors)
  layers    every Conv2d, Linear and pooling module in execution order, with its torch module name

LeNet5 and the two 2012 AlexNets are not in torchvision: they are built below as nn.Sequential, and
their parameter counts are checked against the figures in the literature.
"""
import json
import sys
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn as nn
import torchvision

OUT = Path(__file__).resolve().parent.parent / "test" / "baselines" / "torchvision.json"

POOLS = (
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
)


def lenet5() -> nn.Module:
    """LeNet-5 (LeCun et al. 1998) as usually taught: tanh, average pooling, logits out."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(1, 6, 5)),
                ("tanh1", nn.Tanh()),
                ("pool1", nn.AvgPool2d(2, 2)),
                ("conv2", nn.Conv2d(6, 16, 5)),
                ("tanh2", nn.Tanh()),
                ("pool2", nn.AvgPool2d(2, 2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(400, 120)),
                ("tanh3", nn.Tanh()),
                ("fc2", nn.Linear(120, 84)),
                ("tanh4", nn.Tanh()),
                ("fc3", nn.Linear(84, 10)),
            ]
        )
    )


def alexnet2012(groups: int) -> nn.Module:
    """AlexNet as in Krizhevsky et al. 2012 (Caffe's bvlc_alexnet layout), 227x227x3 input.

    groups=2 is the paper's two-GPU net: conv2, conv4 and conv5 only see the half of the channels
    that lives on their GPU. groups=1 is the same net on one GPU.
    """

    def lrn() -> nn.Module:
        return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)

    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(3, 96, 11, stride=4)),
                ("relu1", nn.ReLU()),
                ("norm1", lrn()),
                ("pool1", nn.MaxPool2d(3, 2)),
                ("conv2", nn.Conv2d(96, 256, 5, padding=2, groups=groups)),
                ("relu2", nn.ReLU()),
                ("norm2", lrn()),
                ("pool2", nn.MaxPool2d(3, 2)),
                ("conv3", nn.Conv2d(256, 384, 3, padding=1)),
                ("relu3", nn.ReLU()),
                ("conv4", nn.Conv2d(384, 384, 3, padding=1, groups=groups)),
                ("relu4", nn.ReLU()),
                ("conv5", nn.Conv2d(384, 256, 3, padding=1, groups=groups)),
                ("relu5", nn.ReLU()),
                ("pool5", nn.MaxPool2d(3, 2)),
                ("flatten", nn.Flatten()),
                ("fc6", nn.Linear(9216, 4096)),
                ("relu6", nn.ReLU()),
                ("drop6", nn.Dropout(0.5)),
                ("fc7", nn.Linear(4096, 4096)),
                ("relu7", nn.ReLU()),
                ("drop7", nn.Dropout(0.5)),
                ("fc8", nn.Linear(4096, 1000)),
            ]
        )
    )


def tv(name: str, **kwargs):
    fn = getattr(torchvision.models, name)
    return lambda: fn(weights=None, **kwargs)


# (stdlib model name, stdlib file, torchvision function or None, constructor, input [H, W, C],
#  expected parameter count or None)
MODELS = [
    ("LeNet5", "stdlib/lenet.cnn", None, lenet5, [32, 32, 1], 61_706),
    ("AlexNet", "stdlib/alexnet.cnn", "alexnet", tv("alexnet"), [224, 224, 3], 61_100_840),
    ("AlexNetOriginal", "stdlib/alexnet.cnn", None, lambda: alexnet2012(2), [227, 227, 3], 60_965_224),
    ("AlexNetOneGPU", "stdlib/alexnet.cnn", None, lambda: alexnet2012(1), [227, 227, 3], 62_378_344),
    ("VGG11", "stdlib/vgg.cnn", "vgg11", tv("vgg11"), [224, 224, 3], None),
    ("VGG13", "stdlib/vgg.cnn", "vgg13", tv("vgg13"), [224, 224, 3], None),
    ("VGG16", "stdlib/vgg.cnn", "vgg16", tv("vgg16"), [224, 224, 3], 138_357_544),
    ("VGG19", "stdlib/vgg.cnn", "vgg19", tv("vgg19"), [224, 224, 3], None),
    ("VGG11_BN", "stdlib/vgg.cnn", "vgg11_bn", tv("vgg11_bn"), [224, 224, 3], None),
    ("VGG13_BN", "stdlib/vgg.cnn", "vgg13_bn", tv("vgg13_bn"), [224, 224, 3], None),
    ("VGG16_BN", "stdlib/vgg.cnn", "vgg16_bn", tv("vgg16_bn"), [224, 224, 3], None),
    ("VGG19_BN", "stdlib/vgg.cnn", "vgg19_bn", tv("vgg19_bn"), [224, 224, 3], None),
    ("ResNet18", "stdlib/resnet.cnn", "resnet18", tv("resnet18"), [224, 224, 3], 11_689_512),
    ("ResNet34", "stdlib/resnet.cnn", "resnet34", tv("resnet34"), [224, 224, 3], None),
    ("ResNet50", "stdlib/resnet.cnn", "resnet50", tv("resnet50"), [224, 224, 3], 25_557_032),
    ("ResNet101", "stdlib/resnet.cnn", "resnet101", tv("resnet101"), [224, 224, 3], None),
    ("ResNet152", "stdlib/resnet.cnn", "resnet152", tv("resnet152"), [224, 224, 3], None),
    (
        "GoogLeNet",
        "stdlib/inception.cnn",
        "googlenet",
        tv("googlenet", aux_logits=False, init_weights=False),
        [224, 224, 3],
        6_624_904,
    ),
    ("MobileNetV2", "stdlib/mobilenet.cnn", "mobilenet_v2", tv("mobilenet_v2"), [224, 224, 3], 3_504_872),
    (
        "MobileNetV2_Torchvision",
        "stdlib/mobilenet.cnn",
        "mobilenet_v2",
        tv("mobilenet_v2"),
        [224, 224, 3],
        3_504_872,
    ),
    ("WideResNet50_2", "stdlib/resnet.cnn", "wide_resnet50_2", tv("wide_resnet50_2"), [224, 224, 3], 68_883_240),
    ("WideResNet101_2", "stdlib/resnet.cnn", "wide_resnet101_2", tv("wide_resnet101_2"), [224, 224, 3], 126_886_696),
    ("ResNeXt50_32x4d", "stdlib/resnet.cnn", "resnext50_32x4d", tv("resnext50_32x4d"), [224, 224, 3], 25_028_904),
    ("ResNeXt101_32x8d", "stdlib/resnet.cnn", "resnext101_32x8d", tv("resnext101_32x8d"), [224, 224, 3], 88_791_336),
    ("DenseNet121", "stdlib/densenet.cnn", "densenet121", tv("densenet121"), [224, 224, 3], 7_978_856),
    ("DenseNet161", "stdlib/densenet.cnn", "densenet161", tv("densenet161"), [224, 224, 3], 28_681_000),
    ("DenseNet169", "stdlib/densenet.cnn", "densenet169", tv("densenet169"), [224, 224, 3], 14_149_480),
    ("DenseNet201", "stdlib/densenet.cnn", "densenet201", tv("densenet201"), [224, 224, 3], 20_013_928),
    ("SqueezeNet1_0", "stdlib/squeezenet.cnn", "squeezenet1_0", tv("squeezenet1_0"), [224, 224, 3], 1_248_424),
    ("SqueezeNet1_1", "stdlib/squeezenet.cnn", "squeezenet1_1", tv("squeezenet1_1"), [224, 224, 3], 1_235_496),
    (
        "InceptionV3",
        "stdlib/inception_v3.cnn",
        "inception_v3",
        tv("inception_v3", aux_logits=False, init_weights=False),
        [299, 299, 3],
        23_834_568,
    ),
    (
        "InceptionV3Aux",
        "stdlib/inception_v3.cnn",
        "inception_v3",
        tv("inception_v3", aux_logits=True, init_weights=False),
        [299, 299, 3],
        27_161_264,
    ),
]

# Models with several outputs, measured with the top module in training mode (torchvision computes
# Inception v3's auxiliary classifier only then) and every submodule in eval mode (batch norm on
# its running statistics, dropout off), so that batch 1 works and the output is deterministic.
SEVERAL_OUTPUTS = {"InceptionV3Aux"}

# MACs quoted in the literature / by earlier tools, checked so that a change in the hook arithmetic
# cannot go unnoticed.
KNOWN_MACS = {
    "AlexNet": 714_188_480,
    "VGG16": 15_470_264_320,
    "ResNet18": 1_814_073_344,
    "ResNet50": 4_089_184_256,
    "GoogLeNet": 1_498_376_192,
}


def channels_last(shape) -> list:
    """Drop the batch axis and move channels last: (1, C, H, W) -> [H, W, C]; (1, N) -> [N]."""
    dims = list(shape)[1:]
    if len(dims) == 3:
        return [dims[1], dims[2], dims[0]]
    return dims


def measure(build, input_hwc, several=False):
    torch.manual_seed(0)
    model = build().eval()
    if several:
        model.training = True
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(
        b.numel()
        for name, b in model.named_buffers()
        if name.endswith("running_mean") or name.endswith("running_var")
    )
    macs = 0
    layers = []

    def hook(name):
        def run(module, inputs, output):
            nonlocal macs
            if isinstance(module, nn.Conv2d):
                k = module.kernel_size[0] * module.kernel_size[1]
                macs += output[0].numel() * (module.in_channels // module.groups) * k
            elif isinstance(module, nn.Linear):
                macs += module.in_features * module.out_features
            layers.append({"name": name, "type": type(module).__name__, "shape": channels_last(output.shape)})

        return run

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear) + POOLS):
            module.register_forward_hook(hook(name))

    h, w, c = input_hwc
    with torch.no_grad():
        out = model(torch.zeros(1, c, h, w))
    outs = list(out) if isinstance(out, tuple) else [out]
    return {
        "params": params,
        "trainable": trainable,
        "buffers": buffers,
        "macs": macs,
        "output": channels_last(outs[0].shape),
        **({"outputs": [channels_last(o.shape) for o in outs]} if len(outs) > 1 else {}),
        "layers": layers,
    }


def render(doc) -> str:
    """Indented JSON with one layer per line, so that a regenerated file reads well as a diff."""
    lines = ["{"]
    lines.append(f'  "generator": {json.dumps(doc["generator"])},')
    lines.append(f'  "torch": {json.dumps(doc["torch"])},')
    lines.append(f'  "torchvision": {json.dumps(doc["torchvision"])},')
    lines.append('  "models": [')
    for i, m in enumerate(doc["models"]):
        lines.append("    {")
        for key in ["model", "file", "torchvision", "input", "output", "outputs", "params", "trainable", "buffers", "macs"]:
            if key not in m:
                continue
            lines.append(f'      "{key}": {json.dumps(m[key])},')
        lines.append('      "layers": [')
        for j, layer in enumerate(m["layers"]):
            comma = "," if j < len(m["layers"]) - 1 else ""
            lines.append(f"        {json.dumps(layer)}{comma}")
        lines.append("      ]")
        lines.append("    }" + ("," if i < len(doc["models"]) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    models = []
    failures = []
    for name, file, fn, build, input_hwc, expected_params in MODELS:
        fig = measure(build, input_hwc, name in SEVERAL_OUTPUTS)
        if expected_params is not None and fig["params"] != expected_params:
            failures.append(f"{name}: {fig['params']} parameters, expected {expected_params}")
        if name in KNOWN_MACS and fig["macs"] != KNOWN_MACS[name]:
            failures.append(f"{name}: {fig['macs']} MACs, expected {KNOWN_MACS[name]}")
        models.append({"model": name, "file": file, "torchvision": fn, "input": input_hwc, **fig})
        print(f"{name:24} params {fig['params']:>12,}  buffers {fig['buffers']:>8,}  macs {fig['macs']:>15,}  out {fig['output']}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    doc = {
        "generator": "scripts/torchvision-figures.py (run with /usr/bin/python3); DO NOT EDIT",
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "models": models,
    }
    text = render(doc)
    json.loads(text)  # the hand-rolled renderer must still produce valid JSON
    if check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale; rerun without --check", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
