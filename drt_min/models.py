"""LeNet base models of the paper's MNIST experiments (Appendix F.1), held as one batched ensemble.

Architecture of each member (Salman et al.'s and Cohen et al.'s MNIST LeNet): conv 1->20 5x5, ReLU,
max-pool 2; conv 20->50 5x5, ReLU, max-pool 2; linear 800->500, ReLU; linear 500->10. Inputs are in
[0, 1] and are not normalised, so the smoothing sigma is measured in pixel space.

:class:`LeNetEnsemble` stores the parameters of all N members stacked along a leading axis and runs
them as one computation: the convolutions are grouped convolutions (one group per member) and the
linear layers are batched matrix products. A forward, a backward and the input gradients of every
member are therefore one pass each. The input may be shared, shape (B, 1, 28, 28), or given per
member, shape (B, N, 1, 28, 28); the second form is what makes per-member input gradients a single
backward (each member only sees its own copy) and lets the SmoothAdv attack move each member's
input independently.

With autograd off (certification) the forward takes an inference path that computes the same
function faster on CPU: max-pooling as four strided maxima before the ReLU, and sub-batches small
enough for the first convolution's output to stay in cache (``inference_chunk``, padded to full
size so that each sample's logits do not depend on the batch it is in). The two paths agree to
float rounding (tests compare both with a per-member loop of ordinary :class:`LeNet`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drt_min.errors import UserError

__all__ = ["LeNet", "LeNetEnsemble", "INPUT_SHAPE"]

INPUT_SHAPE = (1, 28, 28)


class LeNet(nn.Module):
    """One LeNet member as an ordinary module, (B, 1, 28, 28) -> logits (B, C)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


_PARAM_NAMES = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


class LeNetEnsemble(nn.Module):
    """N LeNet members evaluated together: x (B, 1, 28, 28) or (B, N, 1, 28, 28) -> logits (B, N, C).

    Each member is initialised exactly as a freshly constructed :class:`LeNet` (PyTorch's default
    initialisation), one after the other from the current random state, so ``torch.manual_seed(s)``
    followed by the constructor is reproducible.
    """

    def __init__(self, num_members: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        if num_members < 1:
            raise UserError(f"num_members must be at least 1, got {num_members}")
        if num_classes < 2:
            raise UserError(f"num_classes must be at least 2, got {num_classes}")
        self.num_members = int(num_members)
        self.num_classes = int(num_classes)
        members = [LeNet(num_classes) for _ in range(num_members)]
        for name in _PARAM_NAMES:
            stacked = torch.stack([m.get_parameter(name).detach() for m in members])
            self.register_parameter(name.replace(".", "_"), nn.Parameter(stacked.clone()))

    # -- conversion to and from ordinary modules ------------------------------------------------
    @classmethod
    def from_members(cls, members: list[LeNet]) -> "LeNetEnsemble":
        """Stack N :class:`LeNet` modules (copies of their parameters)."""
        if not members:
            raise UserError("need at least one member")
        num_classes = members[0].fc2.out_features
        ens = cls(len(members), num_classes)
        with torch.no_grad():
            for name in _PARAM_NAMES:
                stacked = torch.stack([m.get_parameter(name).detach() for m in members])
                ens.get_parameter(name.replace(".", "_")).copy_(stacked)
        return ens.to(members[0].conv1.weight.device)

    def member(self, index: int) -> LeNet:
        """A standalone :class:`LeNet` holding a copy of member ``index``'s parameters."""
        if not 0 <= index < self.num_members:
            raise IndexError(f"member index {index} out of range for {self.num_members} members")
        net = LeNet(self.num_classes).to(self.conv1_weight.device, self.conv1_weight.dtype)
        with torch.no_grad():
            for name in _PARAM_NAMES:
                net.get_parameter(name).copy_(self.get_parameter(name.replace(".", "_"))[index])
        return net

    def members(self) -> list[LeNet]:
        return [self.member(i) for i in range(self.num_members)]

    # -- the batched forward --------------------------------------------------------------------
    #: Noisy samples per sub-batch of the inference path on CPU, so that the first convolution's
    #: output (N x 20 x 24 x 24 floats per sample) stays in cache instead of spilling out of it on
    #: large batches. Chosen by measurement: benchmarks/results/certify-cpu.md (bare-forward table).
    inference_chunk: int = 64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, N, C). With autograd off (``torch.no_grad`` / ``inference_mode``) a faster
        path computes the same function; it agrees with the differentiable one to float rounding."""
        per_member = self._check_input(x)
        if torch.is_grad_enabled():
            return self._forward_differentiable(x, per_member)
        if x.device.type != "cpu":
            return self._forward_inference(x, per_member)
        # Every sub-batch has exactly inference_chunk samples (the last one zero-padded): oneDNN
        # picks its kernels by batch size, so this makes each sample's logits bit-identical
        # whatever batch it arrives in (certificates then do not depend on the batch size).
        chunk = self.inference_chunk
        outs = []
        for part in x.split(chunk):
            size = part.shape[0]
            if size < chunk:
                part = torch.cat([part, part.new_zeros((chunk - size, *part.shape[1:]))])
            outs.append(self._forward_inference(part, per_member)[:size])
        return torch.cat(outs)

    def _check_input(self, x: torch.Tensor) -> bool:
        n = self.num_members
        if x.dim() == 4 and tuple(x.shape[1:]) == INPUT_SHAPE:
            return False
        if x.dim() == 5 and x.shape[1] == n and tuple(x.shape[2:]) == INPUT_SHAPE:
            return True
        raise UserError(f"expected input of shape (B, 1, 28, 28) or (B, {n}, 1, 28, 28), "
                         f"got {tuple(x.shape)}")

    def _conv1(self, x: torch.Tensor, per_member: bool) -> torch.Tensor:
        n = self.num_members
        weight, bias = self.conv1_weight.reshape(n * 20, 1, 5, 5), self.conv1_bias.reshape(-1)
        if per_member:
            return F.conv2d(x.reshape(x.shape[0], n, 28, 28), weight, bias, groups=n)
        # Shared input: one convolution with N*20 output channels serves every member.
        return F.conv2d(x, weight, bias)

    def _conv2(self, h: torch.Tensor) -> torch.Tensor:
        n = self.num_members
        if h.device.type == "cpu":
            # oneDNN's grouped convolution is faster channels-last, in the forward and in a DRT
            # step's double backward (figures: benchmarks/results/certify-cpu.md, models.py section)
            h = h.contiguous(memory_format=torch.channels_last)
        return F.conv2d(h, self.conv2_weight.reshape(n * 50, 20, 5, 5), self.conv2_bias.reshape(-1),
                        groups=n)

    def _classifier(self, h: torch.Tensor) -> torch.Tensor:
        h = h.reshape(h.shape[0], self.num_members, 800).transpose(0, 1)  # (N, B, 800)
        h = torch.relu(torch.baddbmm(self.fc1_bias.unsqueeze(1), h, self.fc1_weight.transpose(1, 2)))
        out = torch.baddbmm(self.fc2_bias.unsqueeze(1), h, self.fc2_weight.transpose(1, 2))
        return out.transpose(0, 1)                                          # (B, N, C)

    def _forward_differentiable(self, x: torch.Tensor, per_member: bool) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self._conv1(x, per_member)), 2)           # (B, N*20, 12, 12)
        h = F.max_pool2d(F.relu(self._conv2(h)), 2)                         # (B, N*50, 4, 4)
        return self._classifier(h)

    def _forward_inference(self, x: torch.Tensor, per_member: bool) -> torch.Tensor:
        # relu(maxpool(h)) == maxpool(relu(h)), and the ReLU then touches a quarter of the data;
        # without a backward to support, four strided maxima can replace max_pool2d, which is the
        # slower of the two on CPU (benchmarks/results/certify-cpu.md, models.py section).
        h = torch.relu_(_max_pool_2x2(self._conv1(x, per_member)))
        h = torch.relu_(_max_pool_2x2(self._conv2(h)))
        return self._classifier(h)

    def extra_repr(self) -> str:
        return f"num_members={self.num_members}, num_classes={self.num_classes}"


def _max_pool_2x2(h: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(h, 2)`` for even spatial sizes, as the maximum of the four strided phases."""
    return torch.maximum(torch.maximum(h[..., 0::2, 0::2], h[..., 0::2, 1::2]),
                         torch.maximum(h[..., 1::2, 0::2], h[..., 1::2, 1::2]))
