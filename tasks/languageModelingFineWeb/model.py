"""The language model: a small GPT. The evaluation builds it with `build_model()` and loads model.pt.

Contract (keep it when you change the architecture): `build_model()` returns a torch.nn.Module whose
`forward(idx)` takes token ids of shape (batch, time) — up to the evaluation context of data/meta.json
(`eval_seq_len`: 256 offline, 1024 full) — and returns next-token logits of shape (batch, time, 50257)
(log-probabilities are fine: the evaluation applies log_softmax).

The output layer is an adaptive softmax (Grave et al., 2017): GPT-2 token ids roughly follow frequency, so
the 4,000 lowest ids get the full width and rarer ids two narrower clusters. It makes a training step on
the CPU about ten times cheaper than a full 50,257-way softmax. `loss(idx, targets)` is the training loss.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 50257
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    cutoffs: tuple[int, ...] = (4000, 16000)


# The `full` profile (FineWeb on a GPU host): a GPT-2-small-sized model with a 1024-token context.
FULL = GPTConfig(block_size=1024, n_layer=12, n_head=12, n_embd=768)


def profile() -> str:
    """MLGYM_PROFILE when set, else the profile of the prepared data (data/meta.json), else offline."""
    name = os.environ.get("MLGYM_PROFILE")
    meta = Path("data/meta.json")
    if not name and meta.is_file():
        name = json.loads(meta.read_text()).get("profile")
    return name or "offline"


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.GELU(), nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        )
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init)
        self.head = nn.AdaptiveLogSoftmaxWithLoss(cfg.n_embd, cfg.vocab_size, list(cfg.cutoffs), div_value=4.0)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def hidden(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the next token, (batch, time, vocab)."""
        h = self.hidden(idx)
        return self.head.log_prob(h.reshape(-1, h.size(-1)).float()).view(*idx.shape, -1)

    def loss(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy (nats), without computing every logit."""
        h = self.hidden(idx)
        return self.head(h.reshape(-1, h.size(-1)).float(), targets.reshape(-1)).loss


def build_model() -> GPT:
    return GPT(FULL if profile() == "full" else GPTConfig())
