"""PyTorch CPU reference for bench/train.bench.ts: the same policy-gradient step and sampling.

Shape (from the command line, defaults = the issue's reference): a pre-LayerNorm decoder-only
transformer with L layers, width D, H heads, context T, vocabulary V, GELU (sigmoid form) MLP of 4·D; one step is
forward + backward of a clipped-surrogate token-mean policy loss on a batch of N sequences of T
tokens, then Adam. Prints one JSON line with the median step time and sampling tokens/s.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def quick_gelu(x):
    # The sigmoid form of GELU, as the tfjs model uses it.
    return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def attn(self, x, cache=None):
        n, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(n, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if 'k' in cache:
                k = torch.cat([cache['k'], k], 2)
                v = torch.cat([cache['v'], v], 2)
            cache['k'], cache['v'] = k, v
        s = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)
        if t > 1:
            tk = k.shape[2]
            mask = torch.ones(t, tk, dtype=torch.bool).tril(tk - t)
            s = s.masked_fill(~mask, float('-inf'))
        y = F.softmax(s, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(n, t, d))

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        return x + self.fc2(quick_gelu(self.fc1(self.ln2(x))))


class Policy(nn.Module):
    def __init__(self, layers, d, h, t, v):
        super().__init__()
        self.wte = nn.Embedding(v, d)
        self.wpe = nn.Embedding(t, d)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, v, bias=False)

    def forward(self, ids, pos0=0, caches=None):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(pos0, pos0 + t))
        for i, b in enumerate(self.blocks):
            x = b(x, None if caches is None else caches[i])
        return self.head(self.lnf(x))


def pg_step(model, opt, ids, old_lp, adv, mask):
    logits = model(ids[:, :-1])
    logp = F.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    ratio = torch.exp(logp - old_lp)
    surr = torch.minimum(ratio * adv, ratio.clamp(0.8, 1.28) * adv)
    loss = -(surr * mask).sum() / mask.sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


@torch.no_grad()
def sample(model, prompts, new, use_cache):
    seq = prompts
    caches = [dict() for _ in model.blocks] if use_cache else None
    logits = model(seq, 0, caches)[:, -1]
    for _ in range(new):
        nxt = torch.multinomial(F.softmax(logits, -1), 1)
        seq = torch.cat([seq, nxt], 1)
        if _ == new - 1:
            break
        if use_cache:
            logits = model(nxt, seq.shape[1] - 1, caches)[:, -1]
        else:
            logits = model(seq)[:, -1]
    return seq


def main():
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    L, D, H, T, V = (args.get(k, d) for k, d in [('layers', 2), ('d', 128), ('heads', 4), ('t', 64), ('vocab', 64)])
    N = args.get('batch', 32)
    steps = args.get('steps', 5)
    torch.manual_seed(0)
    if 'threads' in args:
        torch.set_num_threads(args['threads'])
    model = Policy(L, D, H, T, V)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    ids = torch.randint(0, V, (N, T))
    old_lp = torch.full((N, T - 1), -math.log(V))
    adv = torch.randn(N, 1).expand(N, T - 1).contiguous()
    mask = torch.ones(N, T - 1)
    pg_step(model, opt, ids, old_lp, adv, mask)  # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        pg_step(model, opt, ids, old_lp, adv, mask)
        times.append(time.perf_counter() - t0)
    times.sort()
    out = {'step_s': times[len(times) // 2], 'step_times': times, 'threads': torch.get_num_threads(),
           'torch': torch.__version__, 'params': sum(p.numel() for p in model.parameters())}
    if args.get('no_sampling'):
        print(json.dumps(out))
        return
    P = args.get('prompt', 8)
    new = T - P
    prompts = torch.randint(0, V, (N, P))
    for use_cache in (True, False):
        sample(model, prompts, 4, use_cache)
        t0 = time.perf_counter()
        sample(model, prompts, new, use_cache)
        dt = time.perf_counter() - t0
        out['sample_tok_s_cache' if use_cache else 'sample_tok_s_nocache'] = N * new / dt
    print(json.dumps(out))


if __name__ == '__main__':
    main()
