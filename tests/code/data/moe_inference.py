# A small mixture-of-experts decoder written for fromscratch's tests. It is never imported or run:
# the tests fingerprint it as "known public code" and check that renamed copies of it are found.
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class DecoderSettings:
    width: int = 512
    depth: int = 8
    heads: int = 8
    latent_rank: int = 64
    experts: int = 16
    experts_per_token: int = 2
    shared_experts: int = 1
    expert_width: int = 256
    vocab: int = 32000
    rope_base: float = 10000.0
    norm_eps: float = 1e-6


class ScaleNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.eps = eps
        self.gain = nn.Parameter(torch.ones(size))

    def forward(self, x):
        scale = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return x * scale * self.gain


def rotary_table(length: int, dim: int, base: float):
    steps = torch.arange(0, dim, 2, dtype=torch.float32) / dim
    inverse = 1.0 / (base ** steps)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inverse)
    return torch.polar(torch.ones_like(angles), angles)


def rotate(x, table):
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    turned = pairs * table.view(1, x.size(1), 1, x.size(-1) // 2)
    return torch.view_as_real(turned).flatten(3).type_as(x)


class LatentAttention(nn.Module):
    def __init__(self, s: DecoderSettings):
        super().__init__()
        self.heads = s.heads
        self.head_dim = s.width // s.heads
        self.down = nn.Linear(s.width, s.latent_rank, bias=False)
        self.down_norm = ScaleNorm(s.latent_rank, s.norm_eps)
        self.up_keys = nn.Linear(s.latent_rank, s.width, bias=False)
        self.up_values = nn.Linear(s.latent_rank, s.width, bias=False)
        self.queries = nn.Linear(s.width, s.width, bias=False)
        self.out = nn.Linear(s.width, s.width, bias=False)

    def forward(self, x, table, mask=None):
        batch, length, _ = x.shape
        q = self.queries(x).view(batch, length, self.heads, self.head_dim)
        latent = self.down_norm(self.down(x))
        k = self.up_keys(latent).view(batch, length, self.heads, self.head_dim)
        v = self.up_values(latent).view(batch, length, self.heads, self.head_dim)
        q, k = rotate(q, table), rotate(k, table)
        scores = torch.einsum("bshd,bthd->bsht", q, k) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask.unsqueeze(1)
        weights = scores.softmax(dim=-1, dtype=torch.float32).type_as(x)
        mixed = torch.einsum("bsht,bthd->bshd", weights, v)
        return self.out(mixed.flatten(2))


class Expert(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.gate = nn.Linear(width, hidden, bias=False)
        self.lift = nn.Linear(width, hidden, bias=False)
        self.drop = nn.Linear(hidden, width, bias=False)

    def forward(self, x):
        return self.drop(F.silu(self.gate(x)) * self.lift(x))


class Router(nn.Module):
    def __init__(self, s: DecoderSettings):
        super().__init__()
        self.top = s.experts_per_token
        self.table = nn.Parameter(torch.empty(s.experts, s.width))
        self.bias = nn.Parameter(torch.zeros(s.experts))

    def forward(self, x):
        logits = F.linear(x, self.table)
        probs = logits.sigmoid()
        chosen = (probs + self.bias).topk(self.top, dim=-1)[1]
        picked = probs.gather(1, chosen)
        picked = picked / picked.sum(dim=-1, keepdim=True)
        return picked.type_as(x), chosen


class ExpertLayer(nn.Module):
    def __init__(self, s: DecoderSettings):
        super().__init__()
        self.router = Router(s)
        self.experts = nn.ModuleList(Expert(s.width, s.expert_width) for _ in range(s.experts))
        self.shared = Expert(s.width, s.expert_width * s.shared_experts)

    def forward(self, x):
        shape = x.size()
        flat = x.view(-1, shape[-1])
        weights, chosen = self.router(flat)
        result = torch.zeros_like(flat)
        counts = torch.bincount(chosen.flatten(), minlength=len(self.experts)).tolist()
        for index, expert in enumerate(self.experts):
            if counts[index] == 0:
                continue
            rows, slot = torch.where(chosen == index)
            result[rows] += expert(flat[rows]) * weights[rows, slot, None]
        return (result + self.shared(flat)).view(shape)


class Block(nn.Module):
    def __init__(self, s: DecoderSettings, dense: bool):
        super().__init__()
        self.attention_norm = ScaleNorm(s.width, s.norm_eps)
        self.attention = LatentAttention(s)
        self.ffn_norm = ScaleNorm(s.width, s.norm_eps)
        self.ffn = Expert(s.width, s.expert_width * 4) if dense else ExpertLayer(s)

    def forward(self, x, table, mask):
        x = x + self.attention(self.attention_norm(x), table, mask)
        return x + self.ffn(self.ffn_norm(x))


class Decoder(nn.Module):
    def __init__(self, s: DecoderSettings):
        super().__init__()
        self.settings = s
        self.embed = nn.Embedding(s.vocab, s.width)
        self.blocks = nn.ModuleList(Block(s, dense=i == 0) for i in range(s.depth))
        self.norm = ScaleNorm(s.width, s.norm_eps)
        self.head = nn.Linear(s.width, s.vocab, bias=False)

    @torch.inference_mode()
    def forward(self, tokens):
        length = tokens.size(1)
        table = rotary_table(length, self.settings.width // self.settings.heads, self.settings.rope_base)
        mask = None
        if length > 1:
            mask = torch.full((length, length), float("-inf"), device=tokens.device).triu_(1)
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, table, mask)
        return self.head(self.norm(x)[:, -1])


def sample(logits, temperature: float = 1.0):
    logits = logits / max(temperature, 1e-5)
    probs = torch.softmax(logits, dim=-1)
    return probs.div_(torch.empty_like(probs).exponential_(1)).argmax(dim=-1)


@torch.inference_mode()
def generate(model: Decoder, prompt: list[int], steps: int, temperature: float = 1.0) -> list[int]:
    tokens = torch.tensor([prompt], dtype=torch.long)
    for _ in range(steps):
        logits = model(tokens)
        following = sample(logits, temperature)
        tokens = torch.cat([tokens, following[:, None]], dim=1)
    return tokens[0].tolist()
