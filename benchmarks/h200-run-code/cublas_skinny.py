# What the vendor's library (cuBLAS through PyTorch: Hopper's wgmma and bulk copies) makes of the layer's
# dense GEMMs at a few rows, weights from device memory: [T, H] · [2I, H]ᵀ (gate/up) and [T, I] · [H, I]ᵀ
# (down), f16, H = 1024. Each point cycles through enough copies of the weights that none stays in the
# 60 MB L2, captured in a CUDA graph (no launch gaps), timed with CUDA events. "Marginal" as BENCHMARKS.md:
# the bytes I = 16384 adds over I = 4096 in the time it adds, against the datasheet's 4.8 TB/s.
import json, sys, torch
torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
dev = torch.device("cuda")
H = 1024
res = {"gpu": torch.cuda.get_device_name(0), "points": []}

def time_gemm(t, n, k, reps=40):
    copies = max(2, int(200e6 // (n * k * 2)) + 1)
    ws = [torch.randn(n, k, device=dev, dtype=torch.float16) for _ in range(copies)]
    a = torch.randn(t, k, device=dev, dtype=torch.float16)
    outs = [None] * copies
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for i in range(3):
            torch.nn.functional.linear(a, ws[i % copies])
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for i in range(reps):
            outs[i % copies] = torch.nn.functional.linear(a, ws[i % copies])
    g.replay(); torch.cuda.synchronize()
    best = []
    for _ in range(7):
        e0 = torch.cuda.Event(enable_timing=True); e1 = torch.cuda.Event(enable_timing=True)
        e0.record(); g.replay(); e1.record(); torch.cuda.synchronize()
        best.append(e0.elapsed_time(e1) * 1e3 / reps)
    best.sort()
    del ws, g
    torch.cuda.empty_cache()
    return best[len(best) // 2]

for t in [1, 8, 16, 32, 64, 128, 256]:
    row = {"tokens": t}
    for i in [4096, 16384]:
        row[f"gate_up_us_i{i}"] = time_gemm(t, 2 * i, H)
        row[f"down_us_i{i}"] = time_gemm(t, H, i)
    for g in ["gate_up", "down"]:
        added = (2 if g == "gate_up" else 1) * (16384 - 4096) * H * 2
        dt = row[f"{g}_us_i16384"] - row[f"{g}_us_i4096"]
        row[f"{g}_marginal_hbm"] = added / (dt * 1e-6) / 4.8e12
    res["points"].append(row)
    print("%4d  gate/up %7.2f %7.2f us (%3.0f%%)  down %7.2f %7.2f us (%3.0f%%)" % (
        t, row["gate_up_us_i4096"], row["gate_up_us_i16384"], 100 * row["gate_up_marginal_hbm"],
        row["down_us_i4096"], row["down_us_i16384"], 100 * row["down_marginal_hbm"]), flush=True)
json.dump(res, open(sys.argv[1], "w"), indent=1)
